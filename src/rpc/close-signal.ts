/**
 * The close half of a transport: listeners run once, with the reason, when the transport closes;
 * a listener added after that runs on the next microtask. Shared by every transport implementation.
 */
export class CloseSignal {
  readonly #listeners = new Set<(reason: string) => void>();
  #reason: string | undefined;

  /** True once {@link CloseSignal.fire} ran. */
  get closed(): boolean {
    return this.#reason !== undefined;
  }

  /** Closes with `reason`; returns false (and does nothing) when already closed. */
  fire(reason: string): boolean {
    if (this.#reason !== undefined) return false;
    this.#reason = reason;
    for (const listener of [...this.#listeners]) listener(reason);
    this.#listeners.clear();
    return true;
  }

  /** Adds a listener; returns an unsubscribe function. */
  subscribe(listener: (reason: string) => void): () => void {
    const reason = this.#reason;
    if (reason !== undefined) {
      queueMicrotask(() => listener(reason));
      return () => {};
    }
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }
}
