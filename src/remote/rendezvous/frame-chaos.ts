/**
 * Test-only fault injection for the reference rendezvous (`--chaos-*` options, used by the bench):
 * drops, duplicates or reorders forwarded frames with a seeded PRNG, so a run is reproducible.
 */
export interface ChaosOptions {
  /** Probability in [0, 1] that a frame is dropped. */
  drop: number;
  /** Probability in [0, 1] that a frame is sent twice. */
  duplicate: number;
  /** Probability in [0, 1] that a frame is held back and sent after the next one on the same path. */
  reorder: number;
  /** PRNG seed. */
  seed: number;
}

/** Counters of what chaos did, for reports. */
export interface ChaosStats {
  forwarded: number;
  dropped: number;
  duplicated: number;
  reordered: number;
}

/** mulberry32: a tiny deterministic PRNG returning floats in [0, 1). */
export function mulberry32(seed: number): () => number {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/** One lossy path (one direction towards one socket). Held frames are flushed after `holdMs`. */
export class ChaosPath {
  #held: Uint8Array | undefined;
  #timer: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly options: ChaosOptions,
    private readonly random: () => number,
    private readonly stats: ChaosStats,
    private readonly send: (bytes: Uint8Array) => void,
    private readonly holdMs = 5,
  ) {}

  /** Forwards `bytes` through the faults. */
  forward(bytes: Uint8Array): void {
    this.stats.forwarded += 1;
    const roll = this.random();
    if (roll < this.options.drop) {
      this.stats.dropped += 1;
      return;
    }
    if (roll < this.options.drop + this.options.duplicate) {
      this.stats.duplicated += 1;
      this.#emit(bytes);
      this.#emit(bytes);
      return;
    }
    if (roll < this.options.drop + this.options.duplicate + this.options.reorder && this.#held === undefined) {
      this.stats.reordered += 1;
      this.#held = bytes;
      this.#timer = setTimeout(() => this.flush(), this.holdMs);
      return;
    }
    this.#emit(bytes);
  }

  #emit(bytes: Uint8Array): void {
    this.send(bytes);
    if (this.#held !== undefined) this.flush();
  }

  /** Sends a held frame now (also on close so nothing is silently kept forever). */
  flush(): void {
    clearTimeout(this.#timer);
    const held = this.#held;
    this.#held = undefined;
    if (held !== undefined) this.send(held);
  }
}
