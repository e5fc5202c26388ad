/**
 * The control state both remote executors share (the cleartext {@link RemoteExecutor} and the Noise
 * `NoiseRemoteExecutor`): the observable state, the interruptible back-off pause, stopping, and
 * serving a multiplexer over one connected rendezvous socket until that socket ends, and the
 * rotation over several registry base URLs. What comes before a socket (registering,
 * re-registering) differs and stays with each executor.
 */
import type { Backoff } from "./backoff.js";
import type { DialedFrameSocket } from "./websocket-frame-socket.js";

/** Observable state of a remote executor, for tests and status output. */
export type RemoteExecutorState = "registering" | "connecting" | "connected" | "backing-off" | "stopped" | "failed";

/** What {@link ExecutorLoop.serve} needs of a multiplexer (`RelayMux`, `NoiseMux`). */
export interface ServedMux {
  attachSocket(socket: DialedFrameSocket): void;
  detachSocket(): void;
  readonly streamCount: number;
}

/** Options of {@link ExecutorLoop}. */
export interface ExecutorLoopInit {
  /** The executor's reconnect backoff; reset after every successful connect. */
  readonly backoff: Backoff;
  /** Progress lines for a person. */
  readonly log: (line: string) => void;
  /** Verb of the back-off line (`…; <verb> in 1.0 s`): `reconnecting` or `retrying`. */
  readonly retryVerb: string;
  /** Registry base URLs to rotate over (see {@link ExecutorLoop.failover}); default none (`registryUrl` then throws). */
  readonly baseUrls?: readonly string[];
}

/** State, pause and serve of one remote executor's run loop (see the module comment). */
export class ExecutorLoop {
  readonly #init: ExecutorLoopInit;
  readonly #stateListeners = new Set<(state: RemoteExecutorState) => void>();
  #state: RemoteExecutorState = "registering";
  #stopped = false;
  #closeSocket: (() => void) | undefined;
  #wake: (() => void) | undefined;
  #connections = 0;
  /** Index in `baseUrls` of the registry in use, and how many failed in a row since the last connect. */
  #urlIndex = 0;
  #failedInARow = 0;

  constructor(init: ExecutorLoopInit) {
    this.#init = init;
  }

  /** The registry base URLs the loop rotates over. */
  get baseUrls(): readonly string[] {
    return this.#init.baseUrls ?? [];
  }

  /** The registry base URL in use. */
  get registryUrl(): string {
    const urls = this.baseUrls;
    if (urls.length === 0) throw new Error("executor loop has no registry base URL");
    return urls[this.#urlIndex % urls.length] as string;
  }

  /**
   * A registry failed: moves to the next base URL at once while some are untried since the last
   * connect (logging the switch), else waits the next backoff delay ({@link pause}).
   */
  async failover(why: string): Promise<void> {
    const count = this.baseUrls.length;
    this.#failedInARow += 1;
    if (count > 1) {
      const failed = this.registryUrl;
      this.#urlIndex = (this.#urlIndex + 1) % count;
      if (this.#failedInARow % count !== 0) {
        this.#init.log(`${why}; trying ${this.registryUrl} next (instead of ${failed})`);
        return;
      }
    }
    await this.pause(why);
  }

  get state(): RemoteExecutorState {
    return this.#state;
  }

  /** True once {@link stop} was called. */
  get stopped(): boolean {
    return this.#stopped;
  }

  /** Successful websocket connections so far. */
  get connections(): number {
    return this.#connections;
  }

  /** Calls `listener` on every state change; returns an unsubscribe function. */
  onState(listener: (state: RemoteExecutorState) => void): () => void {
    this.#stateListeners.add(listener);
    return () => this.#stateListeners.delete(listener);
  }

  setState(state: RemoteExecutorState): void {
    if (this.#state === state) return;
    this.#state = state;
    for (const listener of [...this.#stateListeners]) listener(state);
  }

  /** Drops the socket being served (tests use it to simulate a network failure). */
  dropConnection(): void {
    this.#closeSocket?.();
  }

  /**
   * Stops: marks the loop stopped, runs `closeStreams` while the socket is still there (so resets
   * reach the peers), closes the socket and cuts a pause short.
   */
  stop(closeStreams: () => void): void {
    this.#stopped = true;
    closeStreams();
    this.#closeSocket?.();
    this.#wake?.();
  }

  /**
   * Serves `mux` over the freshly connected `socket` until it closes: counts the connection, resets
   * the backoff and the failed-URL count, attaches, reports `connected`; resolves with the close reason once the mux is
   * detached again.
   */
  async serve(socket: DialedFrameSocket, mux: ServedMux): Promise<string> {
    this.#connections += 1;
    this.#failedInARow = 0;
    this.#init.backoff.reset();
    this.#closeSocket = () => socket.close("dropped by executor");
    mux.attachSocket(socket);
    this.setState("connected");
    this.#init.log(`connected to rendezvous (${mux.streamCount} streams resumed)`);
    const reason = await socket.closed;
    this.#closeSocket = undefined;
    mux.detachSocket();
    return reason;
  }

  /** Waits the next backoff delay in state `backing-off` (cut short by {@link stop}); nothing once stopped. */
  async pause(why: string): Promise<void> {
    if (this.#stopped) return;
    const delay = this.#init.backoff.next();
    this.setState("backing-off");
    this.#init.log(`${why}; ${this.#init.retryVerb} in ${(delay / 1000).toFixed(1)} s`);
    await new Promise<void>((resolve) => {
      const timer = setTimeout(resolve, delay);
      this.#wake = () => {
        clearTimeout(timer);
        resolve();
      };
    });
    this.#wake = undefined;
  }
}
