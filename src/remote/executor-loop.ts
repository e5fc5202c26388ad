/**
 * The control state both remote executors share (the cleartext {@link RemoteExecutor} and the Noise
 * `NoiseRemoteExecutor`): the observable state, the interruptible back-off pause, stopping, and
 * serving a multiplexer over one connected rendezvous socket until that socket ends. What comes
 * before a socket (registering, failing over, re-registering) differs and stays with each executor.
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

  constructor(init: ExecutorLoopInit) {
    this.#init = init;
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
   * the backoff, attaches, reports `connected`; resolves with the close reason once the mux is
   * detached again.
   */
  async serve(socket: DialedFrameSocket, mux: ServedMux): Promise<string> {
    this.#connections += 1;
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
