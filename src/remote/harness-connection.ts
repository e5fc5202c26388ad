import { RelayMux, type RelayMuxOptions } from "../relay/relay-mux.js";
import type { RelayStream } from "../relay/relay-stream.js";
import type { BackoffOptions } from "./backoff.js";
import { HarnessSocketKeeper } from "./harness-socket-keeper.js";
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
  readonly #keeper: HarnessSocketKeeper;

  private constructor(url: string, socket: DialedFrameSocket, options: HarnessConnectionOptions) {
    this.mux = new RelayMux({ ...withRelayLiveness(options.relay), role: "harness" });
    this.#keeper = new HarnessSocketKeeper(
      {
        mux: this.mux,
        redial: () => dialFrameSocket(url, options.dial),
        reconnect: options.reconnect,
        onClosedWithoutReconnect: (reason) => this.mux.close(`harness socket closed: ${reason}`),
        backoff: options.backoff,
        redialTimeoutMs: options.reconnectTimeoutMs,
        log: options.log ?? (() => {}),
      },
      socket,
    );
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
    this.#keeper.drop();
  }

  /** Resets every stream and closes the websocket; no redial. */
  close(): void {
    this.#keeper.close();
  }
}
