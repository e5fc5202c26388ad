import { RelayMux, type RelayMuxOptions } from "../relay/relay-mux.js";
import type { RelayStream } from "../relay/relay-stream.js";
import { Backoff, type BackoffOptions } from "./backoff.js";
import { withRelayLiveness } from "./relay-liveness.js";
import { dialFrameSocket, type DialedFrameSocket, type DialOptions } from "./websocket-frame-socket.js";

/** Options of {@link HarnessConnection}. */
export interface HarnessConnectionOptions {
  /** Relay multiplexer options (max streams 128, endpoint timers); role is always harness. */
  relay?: Omit<RelayMuxOptions, "role">;
  dial?: DialOptions;
  /** Redial the same URL when the socket drops, so streams resume. Default true. */
  reconnect?: boolean;
  /** Redial backoff. Default 250 ms doubling to 5 s with 20 % jitter (a harness waits for a person). */
  backoff?: BackoffOptions;
  /** Give up redialling after this long without a socket, in ms, and end every stream. Default 60 000. */
  reconnectTimeoutMs?: number;
  log?: (line: string) => void;
}

/**
 * One harness websocket to a rendezvous (`role=harness` URL) carrying any number of relay streams.
 * Each {@link HarnessConnection.openStream} is an independent JSON-RPC connection to the executor
 * (its own session); give it to `createExecServerClient`. When the socket drops it is redialled and
 * every stream resumes, retransmitting what the executor has not acknowledged.
 */
export class HarnessConnection {
  readonly mux: RelayMux;
  readonly #url: string;
  readonly #options: HarnessConnectionOptions;
  readonly #log: (line: string) => void;
  #socket: DialedFrameSocket;
  #closed = false;

  private constructor(url: string, socket: DialedFrameSocket, options: HarnessConnectionOptions) {
    this.#url = url;
    this.#options = options;
    this.#log = options.log ?? (() => {});
    this.mux = new RelayMux({ ...withRelayLiveness(options.relay), role: "harness" });
    this.#socket = socket;
    this.#adopt(socket);
  }

  /** Dials `url` (a rendezvous `role=harness` URL) and resolves once the websocket is open. */
  static async connect(url: string, options: HarnessConnectionOptions = {}): Promise<HarnessConnection> {
    return new HarnessConnection(url, await dialFrameSocket(url, options.dial), options);
  }

  /** Opens a new relay stream (UUIDv4 id; first frame `resume {next_seq: 0}`). */
  openStream(): RelayStream {
    return this.mux.openStream();
  }

  /** Drops the current websocket as a network failure would (tests); streams resume on the redial. */
  dropConnection(): void {
    this.#socket.close("dropped by harness");
  }

  /** Resets every stream and closes the websocket; no redial. */
  close(): void {
    this.#closed = true;
    this.mux.close("harness_closed");
    this.#socket.close("harness closed");
  }

  #adopt(socket: DialedFrameSocket): void {
    this.#socket = socket;
    this.mux.attachSocket(socket);
    void socket.closed.then((reason) => {
      if (this.#socket !== socket) return;
      this.mux.detachSocket();
      if (this.#closed) return;
      if (this.#options.reconnect === false) {
        this.mux.close(`harness socket closed: ${reason}`);
        return;
      }
      this.#log(`harness socket closed (${reason}); redialling`);
      void this.#redial();
    });
  }

  async #redial(): Promise<void> {
    const backoff = new Backoff({ initialMs: 250, maxMs: 5000, ...this.#options.backoff });
    const deadline = Date.now() + (this.#options.reconnectTimeoutMs ?? 60_000);
    while (!this.#closed) {
      try {
        const socket = await dialFrameSocket(this.#url, this.#options.dial);
        if (this.#closed) {
          socket.close("harness closed");
          return;
        }
        this.#log(`harness socket reconnected; resuming ${this.mux.streamCount} streams`);
        this.#adopt(socket);
        return;
      } catch (error) {
        if (Date.now() >= deadline) {
          this.mux.close("harness_reconnect_failed");
          this.#log(`giving up redialling: ${error instanceof Error ? error.message : String(error)}`);
          return;
        }
        await new Promise((resolve) => setTimeout(resolve, backoff.next()));
      }
    }
  }
}
