import {
  DEFAULT_FLOW_HIGH_WATER_BYTES,
  DEFAULT_FLOW_LOW_WATER_BYTES,
  type FlowControl,
  type FlowWaterMarks,
} from "./message-transport.js";

/**
 * The hysteresis shared by every transport's {@link FlowControl}: the transport reports its buffered
 * byte count with {@link WaterMarkFlow.update} (and {@link WaterMarkFlow.release} when it closes);
 * this class decides congestion and runs drain listeners.
 */
export class WaterMarkFlow implements FlowControl {
  readonly highWaterBytes: number;
  readonly lowWaterBytes: number;
  readonly #listeners = new Set<() => void>();
  #bytes = 0;
  #congested = false;
  #released = false;

  /** @throws RangeError when a mark is not a non-negative integer or low exceeds high. */
  constructor(marks: FlowWaterMarks = {}) {
    this.highWaterBytes = marks.highWaterBytes ?? DEFAULT_FLOW_HIGH_WATER_BYTES;
    this.lowWaterBytes = marks.lowWaterBytes ?? Math.min(DEFAULT_FLOW_LOW_WATER_BYTES, this.highWaterBytes);
    for (const [name, value] of [["highWaterBytes", this.highWaterBytes], ["lowWaterBytes", this.lowWaterBytes]] as const) {
      if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`flow option ${name} must be a non-negative integer, got ${value}`);
    }
    if (this.lowWaterBytes > this.highWaterBytes) {
      throw new RangeError(`flow option lowWaterBytes (${this.lowWaterBytes}) must not exceed highWaterBytes (${this.highWaterBytes})`);
    }
  }

  congested(): boolean {
    return this.#congested;
  }

  bufferedBytes(): number {
    return this.#bytes;
  }

  onDrain(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  /** Records the current buffered byte count; crossing the low-water mark while congested runs the drain listeners. */
  update(bytes: number): void {
    this.#bytes = bytes;
    if (this.#released) return;
    if (!this.#congested) {
      if (bytes > this.highWaterBytes) this.#congested = true;
      return;
    }
    if (bytes <= this.lowWaterBytes) this.#drain();
  }

  /** The transport closed: never congested again; waiting producers are released once. */
  release(): void {
    if (this.#released) return;
    this.#released = true;
    if (this.#congested) this.#drain();
  }

  #drain(): void {
    this.#congested = false;
    for (const listener of [...this.#listeners]) listener();
  }
}
