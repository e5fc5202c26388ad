/** Options of {@link Backoff}. */
export interface BackoffOptions {
  /** First delay in ms. Default 1 000 (CONTRACT §6). */
  initialMs?: number;
  /** Largest delay in ms. Default 30 000. */
  maxMs?: number;
  /** Fraction of the delay drawn at random and added or removed (0..1). Default 0.2. */
  jitter?: number;
  /** Random source in [0, 1); injected so tests are deterministic. Default Math.random. */
  random?: () => number;
}

/** Exponential reconnect backoff: 1 s doubling to 30 s with jitter, reset after a successful connect. */
export class Backoff {
  readonly #initialMs: number;
  readonly #maxMs: number;
  readonly #jitter: number;
  readonly #random: () => number;
  #attempt = 0;

  constructor(options: BackoffOptions = {}) {
    this.#initialMs = options.initialMs ?? 1000;
    this.#maxMs = options.maxMs ?? 30_000;
    this.#jitter = options.jitter ?? 0.2;
    this.#random = options.random ?? Math.random;
    if (!(this.#initialMs > 0) || !(this.#maxMs >= this.#initialMs)) throw new RangeError("backoff needs 0 < initialMs <= maxMs");
    if (!(this.#jitter >= 0 && this.#jitter <= 1)) throw new RangeError("backoff jitter must be within 0..1");
  }

  /** The next delay in ms (and advances the exponent). */
  next(): number {
    const base = Math.min(this.#maxMs, this.#initialMs * 2 ** this.#attempt);
    this.#attempt = Math.min(this.#attempt + 1, 30);
    const spread = base * this.#jitter * (this.#random() * 2 - 1);
    return Math.max(0, Math.round(Math.min(this.#maxMs, base + spread)));
  }

  /** Back to the initial delay (after a successful connect). */
  reset(): void {
    this.#attempt = 0;
  }
}
