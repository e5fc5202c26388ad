/**
 * In-memory twin of harness ↔ rendezvous ↔ executor for tests: two frame queues the test drives
 * explicitly (deliver, drop, duplicate, reorder) and sockets that can be replaced to model a
 * reconnect. Nothing is delivered unless the test says so; no real time is involved.
 */
import type { FrameSocket } from "../../src/relay/relay-mux.js";

export type Direction = "toExecutor" | "toHarness";

class SimSocket implements FrameSocket {
  readonly frameListeners = new Set<(bytes: Uint8Array) => void>();
  readonly closeListeners = new Set<(reason: string) => void>();
  open = true;
  constructor(private readonly push: (bytes: Uint8Array) => void) {}
  send(bytes: Uint8Array): void {
    if (this.open) this.push(bytes);
  }
  onFrame(listener: (bytes: Uint8Array) => void): () => void {
    this.frameListeners.add(listener);
    return () => this.frameListeners.delete(listener);
  }
  onClose(listener: (reason: string) => void): () => void {
    this.closeListeners.add(listener);
    return () => this.closeListeners.delete(listener);
  }
  emit(bytes: Uint8Array): void {
    if (this.open) for (const l of [...this.frameListeners]) l(bytes);
  }
  close(reason: string): void {
    if (!this.open) return;
    this.open = false;
    for (const l of [...this.closeListeners]) l(reason);
  }
}

export class SimLink {
  readonly queues: Record<Direction, Uint8Array[]> = { toExecutor: [], toHarness: [] };
  harness: SimSocket | undefined;
  executor: SimSocket | undefined;
  /** Frames ever put on the link, per direction (for traffic assertions). */
  readonly sent: Record<Direction, number> = { toExecutor: 0, toHarness: 0 };

  /** Creates a fresh socket pair; the caller attaches them to the muxes. */
  connect(): { harness: FrameSocket; executor: FrameSocket } {
    this.disconnect();
    const harness = new SimSocket((b) => {
      this.queues.toExecutor.push(b);
      this.sent.toExecutor++;
    });
    const executor = new SimSocket((b) => {
      this.queues.toHarness.push(b);
      this.sent.toHarness++;
    });
    this.harness = harness;
    this.executor = executor;
    return { harness, executor };
  }

  /** Both sockets die; frames still in flight are lost (this is where real loss happens). */
  disconnect(): void {
    this.harness?.close("disconnect");
    this.executor?.close("disconnect");
    this.harness = undefined;
    this.executor = undefined;
    this.queues.toExecutor = [];
    this.queues.toHarness = [];
  }

  get connected(): boolean {
    return this.harness !== undefined;
  }

  /** Delivers the frame at `index` (default the oldest); returns false when there is none. */
  deliver(direction: Direction, index = 0): boolean {
    const queue = this.queues[direction];
    if (queue.length === 0) return false;
    const i = index % queue.length;
    const [bytes] = queue.splice(i, 1);
    (direction === "toExecutor" ? this.executor : this.harness)?.emit(bytes!);
    return true;
  }

  drop(direction: Direction, index = 0): void {
    const queue = this.queues[direction];
    if (queue.length > 0) queue.splice(index % queue.length, 1);
  }

  duplicate(direction: Direction, index = 0): void {
    const queue = this.queues[direction];
    if (queue.length > 0) queue.push(queue[index % queue.length]!);
  }

  /** Delivers everything queued in both directions, including frames produced meanwhile (bounded). */
  flush(maxSteps = 100_000): void {
    for (let i = 0; i < maxSteps; i++) {
      if (!this.deliver("toExecutor") && !this.deliver("toHarness")) return;
    }
    throw new Error("link did not quiesce");
  }
}
