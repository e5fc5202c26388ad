import type { ProcessStream } from "./types.js";

/** One retained output chunk. */
export interface RetainedChunk {
  readonly seq: number;
  readonly stream: ProcessStream;
  readonly data: Buffer;
}

/** Chunks selected by {@link RetainedOutput.select}. */
export interface OutputSelection {
  chunks: RetainedChunk[];
  /** Bytes of evicted chunks with seq > afterSeq. */
  droppedBytes: number;
}

/** How many evicted chunk boundaries are remembered for exact `droppedBytes` accounting. */
const EVICTION_HISTORY_LIMIT = 8192;

/**
 * A FIFO of output chunks capped at `maxBytes` (decoded bytes), evicting the oldest. The newest
 * chunk is always kept, even when it alone exceeds the cap, so a reader never misses the latest
 * output. It remembers the seq/size of evicted chunks so a read can report what it missed:
 * exactly for at least the last {@link EVICTION_HISTORY_LIMIT} evicted chunks, as an upper bound (all bytes
 * evicted after the oldest remembered boundary) for a reader further behind.
 */
export class RetainedOutput {
  /** Retained chunks at indexes `head`…end; the evicted prefix holds `undefined` until compaction. */
  private readonly chunks: (RetainedChunk | undefined)[] = [];
  private head = 0;
  private retainedBytes = 0;
  /** Total bytes ever evicted. */
  private evictedBytes = 0;
  /** Evicted chunks, oldest first, as [seq, evictedBytes after evicting it]. */
  private evictedHistory: Array<readonly [number, number]> = [];
  /** Highest evicted seq forgotten from the history, and evictedBytes at that point. */
  private forgotten: readonly [number, number] = [0, 0];

  constructor(private readonly maxBytes: number) {}

  /** Bytes currently retained. */
  get bytes(): number {
    return this.retainedBytes;
  }

  /** Appends a chunk and evicts the oldest ones beyond the cap. */
  push(chunk: RetainedChunk): void {
    this.chunks.push(chunk);
    this.retainedBytes += chunk.data.length;
    while (this.retainedBytes > this.maxBytes && this.chunks.length - this.head > 1) {
      const evicted = this.chunks[this.head]!;
      // Let the evicted chunk go now, not at the next compaction: up to 1 024 evicted pipe buffers
      // (64 MiB at 64 KiB each) would otherwise stay reachable, survive young-generation collections
      // into the old generation, and their memory would wait for a full mark-compact.
      this.chunks[this.head] = undefined;
      this.head += 1;
      this.retainedBytes -= evicted.data.length;
      this.evictedBytes += evicted.data.length;
      this.evictedHistory.push([evicted.seq, this.evictedBytes]);
    }
    // Forget in batches so the history costs amortised O(1) per eviction.
    if (this.evictedHistory.length > 2 * EVICTION_HISTORY_LIMIT) {
      const drop = this.evictedHistory.length - EVICTION_HISTORY_LIMIT;
      this.forgotten = this.evictedHistory[drop - 1]!;
      this.evictedHistory = this.evictedHistory.slice(drop);
    }
    // Compact the backing array once the evicted prefix dominates, keeping push amortised O(1).
    if (this.head > 1024 && this.head * 2 > this.chunks.length) {
      this.chunks.splice(0, this.head);
      this.head = 0;
    }
  }

  /**
   * Chunks with seq > `afterSeq`: the first always, further ones while the running total of bytes
   * stays ≤ `maxBytes` (undefined = unlimited).
   */
  select(afterSeq: number, maxBytes: number | undefined): OutputSelection {
    const chunks: RetainedChunk[] = [];
    let total = 0;
    for (let i = this.firstIndexAfter(afterSeq); i < this.chunks.length; i++) {
      const chunk = this.chunks[i]!;
      if (chunks.length > 0 && maxBytes !== undefined && total + chunk.data.length > maxBytes) break;
      chunks.push(chunk);
      total += chunk.data.length;
    }
    return { chunks, droppedBytes: this.droppedAfter(afterSeq) };
  }

  /** True when some retained chunk has seq > `afterSeq`. */
  hasAfter(afterSeq: number): boolean {
    const last = this.chunks[this.chunks.length - 1];
    return last !== undefined && this.chunks.length > this.head && last.seq > afterSeq;
  }

  private firstIndexAfter(afterSeq: number): number {
    let lo = this.head;
    let hi = this.chunks.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.chunks[mid]!.seq > afterSeq) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  }

  private droppedAfter(afterSeq: number): number {
    const history = this.evictedHistory;
    if (history.length === 0 || history[history.length - 1]![0] <= afterSeq) return 0;
    // Evicted bytes up to and including the last evicted chunk with seq <= afterSeq.
    let lo = 0;
    let hi = history.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (history[mid]![0] <= afterSeq) lo = mid + 1;
      else hi = mid;
    }
    const seen = lo > 0 ? history[lo - 1]![1] : afterSeq >= this.forgotten[0] ? this.forgotten[1] : 0;
    return this.evictedBytes - seen;
  }
}
