/**
 * A connected pair of in-memory {@link MessageTransport}s for tests: lossless, in order, and
 * asynchronous (a message is never delivered inside the `send` call that sent it, like a socket).
 */
import type { MessageTransport } from "./message-transport.js";

/** Options for {@link createInMemoryTransportPair}. */
export interface InMemoryTransportOptions {
  /** Schedules one delivery; default `queueMicrotask`. Inject to control interleavings. */
  schedule?: (task: () => void) => void;
}

/** One end of an in-memory pair; `sent` records every message this end sent (for assertions). */
export interface InMemoryTransport extends MessageTransport {
  readonly sent: readonly string[];
  readonly isClosed: boolean;
}

class Endpoint implements InMemoryTransport {
  peer!: Endpoint;
  readonly sent: string[] = [];
  readonly #messageListeners = new Set<(message: string) => void>();
  readonly #closeListeners = new Set<(reason: string) => void>();
  #closed = false;

  constructor(private readonly schedule: (task: () => void) => void) {}

  get isClosed(): boolean {
    return this.#closed;
  }

  send(message: string): void {
    if (this.#closed) return;
    this.sent.push(message);
    const peer = this.peer;
    this.schedule(() => peer.deliver(message));
  }

  onMessage(listener: (message: string) => void): () => void {
    this.#messageListeners.add(listener);
    return () => {
      this.#messageListeners.delete(listener);
    };
  }

  onClose(listener: (reason: string) => void): () => void {
    this.#closeListeners.add(listener);
    return () => {
      this.#closeListeners.delete(listener);
    };
  }

  close(reason = "closed"): void {
    if (this.#closed) return;
    this.closeNow(reason);
    // Queued behind messages already sent, so the peer sees them before the close.
    const peer = this.peer;
    this.schedule(() => peer.closeNow(reason));
  }

  deliver(message: string): void {
    if (this.#closed) return;
    for (const listener of [...this.#messageListeners]) listener(message);
  }

  closeNow(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    for (const listener of [...this.#closeListeners]) listener(reason);
    this.#closeListeners.clear();
    this.#messageListeners.clear();
  }
}

/** Two connected transports: what one sends, the other receives; closing either closes both. */
export function createInMemoryTransportPair(options: InMemoryTransportOptions = {}): [InMemoryTransport, InMemoryTransport] {
  const schedule = options.schedule ?? queueMicrotask;
  const a = new Endpoint(schedule);
  const b = new Endpoint(schedule);
  a.peer = b;
  b.peer = a;
  return [a, b];
}
