/**
 * The receive side of a 0.169 Noise stream (0.169 `ordered_ciphertext.rs`): records carry `seq`
 * from 0 and are decrypted strictly in seq order (the nonce is the seq), so early ones wait here.
 * Duplicates (a seq already delivered or already waiting) are dropped silently; a seq too far ahead
 * or a window over its frame or byte budget is an error (the stream is reset).
 */
import { NoiseError } from "./noise-error.js";

/** Options of {@link OrderedRecords}. */
export interface OrderedRecordsOptions {
  /** Records that may wait for a gap, and how far ahead of the next seq one may be. Default 64. */
  readonly maxFrames?: number;
  /** Bytes of waiting records. Default 1 MiB. */
  readonly maxBytes?: number;
}

/** Defaults of {@link OrderedRecordsOptions} (0.169's). */
export const DEFAULT_REORDER_FRAMES = 64;
export const DEFAULT_REORDER_BYTES = 1024 * 1024;

/** What {@link OrderedRecords.accept} did with one record. */
export type AcceptResult =
  | { readonly kind: "deliver"; readonly records: readonly { readonly seq: number; readonly payload: Uint8Array }[] }
  | { readonly kind: "buffered" }
  | { readonly kind: "duplicate" };

export class OrderedRecords {
  readonly #maxFrames: number;
  readonly #maxBytes: number;
  readonly #waiting = new Map<number, Uint8Array>();
  #waitingBytes = 0;
  #next = 0;

  constructor(options: OrderedRecordsOptions = {}) {
    this.#maxFrames = options.maxFrames ?? DEFAULT_REORDER_FRAMES;
    this.#maxBytes = options.maxBytes ?? DEFAULT_REORDER_BYTES;
    if (!Number.isSafeInteger(this.#maxFrames) || this.#maxFrames <= 0) throw new RangeError("maxFrames must be a positive integer");
    if (!Number.isSafeInteger(this.#maxBytes) || this.#maxBytes <= 0) throw new RangeError("maxBytes must be a positive integer");
  }

  /** The seq expected next. */
  get next(): number {
    return this.#next;
  }

  /** Takes one record. @throws NoiseError (`limit`) when it is too far ahead or the window is full. */
  accept(seq: number, payload: Uint8Array): AcceptResult {
    if (seq < this.#next || this.#waiting.has(seq)) return { kind: "duplicate" };
    if (seq === this.#next) {
      const records = [{ seq, payload }];
      this.#next += 1;
      for (let ready = this.#waiting.get(this.#next); ready !== undefined; ready = this.#waiting.get(this.#next)) {
        this.#waiting.delete(this.#next);
        this.#waitingBytes -= ready.length;
        records.push({ seq: this.#next, payload: ready });
        this.#next += 1;
      }
      return { kind: "deliver", records };
    }
    if (seq - this.#next >= this.#maxFrames) throw new NoiseError("limit", `record seq ${seq} is more than ${this.#maxFrames} ahead of ${this.#next}`);
    if (this.#waiting.size + 1 > this.#maxFrames || this.#waitingBytes + payload.length > this.#maxBytes) {
      throw new NoiseError("limit", `reorder window full (${this.#waiting.size} records, ${this.#waitingBytes} bytes)`);
    }
    // Copied: the frame's buffer belongs to the socket layer.
    this.#waiting.set(seq, payload.slice());
    this.#waitingBytes += payload.length;
    return { kind: "buffered" };
  }
}
