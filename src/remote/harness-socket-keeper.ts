/**
 * The harness side's one websocket to a rendezvous, kept alive for a multiplexer: when the socket
 * drops, the mux detaches (streams keep their state) and a new socket is dialled with backoff; once
 * it is open the mux attaches it and the streams resume. Shared by the cleartext
 * {@link HarnessConnection} and the Noise `NoiseHarnessConnection`, which differ in how they dial
 * and in what ends the redialling.
 */
import { Backoff, type BackoffOptions } from "./backoff.js";
import type { DialedFrameSocket } from "./websocket-frame-socket.js";

/** What the keeper needs of a multiplexer (`RelayMux`, `NoiseMux`). */
export interface KeptMux {
  attachSocket(socket: DialedFrameSocket): void;
  detachSocket(): void;
  close(reason: string): void;
  readonly streamCount: number;
}

/** Options of {@link HarnessSocketKeeper}. */
export interface HarnessSocketKeeperInit {
  readonly mux: KeptMux;
  /** Dials a replacement socket (rejects when it cannot). */
  readonly redial: () => Promise<DialedFrameSocket>;
  /** Redial when the socket drops. Default true. */
  readonly reconnect?: boolean | undefined;
  /** With `reconnect: false`: called once the socket has closed and the mux is detached. */
  readonly onClosedWithoutReconnect: (reason: string) => void;
  /** Redial backoff. Default 250 ms doubling to 5 s with 20 % jitter (a harness waits for a person). */
  readonly backoff?: BackoffOptions | undefined;
  /** Give up redialling after this long without a socket, in ms, and end every stream. Default 60 000. */
  readonly redialTimeoutMs?: number | undefined;
  /** A redial error that ends redialling at once (refused credentials, say). Default: none. */
  readonly isFatal?: (error: unknown) => boolean;
  readonly log: (line: string) => void;
}

/** Keeps one harness socket attached to a mux, redialling when it drops (see the module comment). */
export class HarnessSocketKeeper {
  readonly #init: HarnessSocketKeeperInit;
  #socket: DialedFrameSocket;
  #closed = false;

  /** Starts with `socket` (already open) attached to the mux. */
  constructor(init: HarnessSocketKeeperInit, socket: DialedFrameSocket) {
    this.#init = init;
    this.#socket = socket;
    this.#adopt(socket);
  }

  /** Drops the current websocket as a network failure would (tests); streams resume on the redial. */
  drop(): void {
    this.#socket.close("dropped by harness");
  }

  /** Resets every stream and closes the websocket; no redial. */
  close(): void {
    this.#closed = true;
    this.#init.mux.close("harness_closed");
    this.#socket.close("harness closed");
  }

  #adopt(socket: DialedFrameSocket): void {
    const { mux } = this.#init;
    this.#socket = socket;
    mux.attachSocket(socket);
    void socket.closed.then((reason) => {
      if (this.#socket !== socket) return;
      mux.detachSocket();
      if (this.#closed) return;
      if (this.#init.reconnect === false) {
        this.#init.onClosedWithoutReconnect(reason);
        return;
      }
      this.#init.log(`harness socket closed (${reason}); redialling`);
      void this.#redial();
    });
  }

  async #redial(): Promise<void> {
    const { mux, log } = this.#init;
    const backoff = new Backoff({ initialMs: 250, maxMs: 5000, ...this.#init.backoff });
    const deadline = Date.now() + (this.#init.redialTimeoutMs ?? 60_000);
    while (!this.#closed) {
      try {
        const socket = await this.#init.redial();
        if (this.#closed) {
          socket.close("harness closed");
          return;
        }
        log(`harness socket reconnected; resuming ${mux.streamCount} streams`);
        this.#adopt(socket);
        return;
      } catch (error) {
        if (Date.now() >= deadline || this.#init.isFatal?.(error) === true) {
          mux.close("harness_reconnect_failed");
          log(`giving up redialling: ${error instanceof Error ? error.message : String(error)}`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, backoff.next()));
      }
    }
  }
}
