/** Options of {@link StreamListeners}. */
export interface StreamListenersInit {
  /** Named in log lines. */
  readonly streamId: string;
  /** Where a throwing listener is reported (it never breaks the stream). */
  readonly log: (message: string) => void;
  /** First word of those log lines, e.g. `relay` or `noise`. */
  readonly logPrefix: string;
}

/**
 * The `onMessage`/`onClose` half of a virtual stream's {@link MessageTransport}, shared by cleartext
 * and Noise relay streams: messages that arrive before the first `onMessage` subscriber are kept
 * and handed to it; close listeners run once with the reason, and a listener added after the end
 * hears it on a microtask. A throwing listener is logged and skipped, so a failing consumer cannot
 * corrupt the stream's protocol state.
 */
export class StreamListeners {
  readonly #init: StreamListenersInit;
  readonly #messageListeners = new Set<(message: string) => void>();
  readonly #closeListeners = new Set<(reason: string) => void>();
  /** Messages that arrived before anyone listened (the accept callback subscribes right away). */
  #early: string[] | undefined = [];
  #closedReason: string | undefined;
  #closedByPeer = false;

  constructor(init: StreamListenersInit) {
    this.#init = init;
  }

  /** Why the stream ended, or undefined while open. */
  get closedReason(): string | undefined {
    return this.#closedReason;
  }

  /** True when the peer ended the stream (a `reset` it sent). */
  get closedByPeer(): boolean {
    return this.#closedByPeer;
  }

  /** `MessageTransport.onMessage`: the first subscriber also gets every message kept so far. */
  onMessage(listener: (message: string) => void): () => void {
    this.#messageListeners.add(listener);
    const early = this.#early;
    this.#early = undefined;
    if (early !== undefined) for (const m of early) this.deliver(m);
    return () => this.#messageListeners.delete(listener);
  }

  /** `MessageTransport.onClose`. */
  onClose(listener: (reason: string) => void): () => void {
    if (this.#closedReason !== undefined) {
      const reason = this.#closedReason;
      queueMicrotask(() => listener(reason));
      return () => {};
    }
    this.#closeListeners.add(listener);
    return () => this.#closeListeners.delete(listener);
  }

  /** Hands one inbound message to the listeners (or keeps it until the first one subscribes). */
  deliver(message: string): void {
    if (this.#early !== undefined) {
      this.#early.push(message);
      return;
    }
    for (const listener of [...this.#messageListeners]) {
      try {
        listener(message);
      } catch (error) {
        // A failing consumer must not corrupt the protocol state of the stream; report and go on.
        this.#init.log(`${this.#init.logPrefix}: message listener on ${this.#init.streamId} threw: ${String(error)}`);
      }
    }
  }

  /**
   * Records the end, runs `cleanUp` (the stream is already closed for it), then tells every close
   * listener once. Later calls do nothing.
   */
  end(reason: string, byPeer: boolean, cleanUp?: () => void): void {
    if (this.#closedReason !== undefined) return;
    this.#closedReason = reason;
    this.#closedByPeer = byPeer;
    cleanUp?.();
    const listeners = [...this.#closeListeners];
    this.#closeListeners.clear();
    for (const listener of listeners) {
      try {
        listener(reason);
      } catch (error) {
        this.#init.log(`${this.#init.logPrefix}: close listener on ${this.#init.streamId} threw: ${String(error)}`);
      }
    }
  }
}
