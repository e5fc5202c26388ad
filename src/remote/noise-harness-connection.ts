/**
 * The harness side of codex 0.169's remote mode: `POST …/cloud/environment/{id}/connect` with this
 * process's Noise identity, dial the returned harness URL, and open end-to-end encrypted streams to
 * the executor (each one is an independent JSON-RPC connection, e.g. for `createExecServerClient`).
 *
 * When the socket drops it is redialled (a fresh `/connect` when the URL is refused), and streams
 * with one of our executors resume without loss; streams with a 0.169 executor end, as in 0.169.
 */
import { generateHybridKeyPair, type HybridKeyPair } from "../relay/noise/hybrid-keypair.js";
import { NOISE_MAX_FRAME_BYTES, type NoiseLimits } from "../relay/noise/noise-options.js";
import { NoiseMux } from "../relay/noise/noise-mux.js";
import type { NoiseRelayStream } from "../relay/noise/noise-relay-stream.js";
import type { RelayEndpointOptions } from "../relay/relay-options.js";
import { Backoff, type BackoffOptions } from "./backoff.js";
import { connectEnvironment, EnvironmentRegistryError, type EnvironmentConnection, type EnvironmentRegistryTarget } from "./environment-registry-client.js";
import { HarnessSocketKeeper } from "./harness-socket-keeper.js";
import { REMOTE_RELAY_LIVENESS } from "./relay-liveness.js";
import { dialFrameSocket, type DialedFrameSocket, type DialOptions } from "./websocket-frame-socket.js";

/** Options of {@link NoiseHarnessConnection.connect}. */
export interface NoiseHarnessOptions {
  /** Registry base URL, environment id and harness bearer token. */
  readonly registry: EnvironmentRegistryTarget;
  /** This harness's static identity. Default: one per process (as 0.169), generated on first use. */
  readonly identity?: HybridKeyPair;
  readonly limits?: Partial<NoiseLimits>;
  readonly endpoint?: Partial<RelayEndpointOptions>;
  /** Offer our reliability layer to the executor. Default true. */
  readonly offerReliability?: boolean;
  /** Websocket options; the largest frame defaults to 256 KiB (0.169). */
  readonly dial?: DialOptions;
  /** Redial when the socket drops. Default true. */
  readonly reconnect?: boolean;
  /** Retry/redial backoff. Default 250 ms doubling to 5 s with 20 % jitter. */
  readonly backoff?: BackoffOptions;
  /** Give up the first `/connect` and dial (retrying 5xx and network errors) after this long, ms. Default 60 000. */
  readonly connectTimeoutMs?: number;
  /** Give up redialling a dropped socket after this long, ms. Default 60 000. */
  readonly retryTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

let processIdentity: HybridKeyPair | undefined;

/** The harness identity of this process (0.169 keeps one for the whole app-server process). */
export function harnessIdentity(): HybridKeyPair {
  processIdentity ??= generateHybridKeyPair();
  return processIdentity;
}

export class NoiseHarnessConnection {
  readonly mux: NoiseMux;
  readonly #options: NoiseHarnessOptions;
  readonly #identity: HybridKeyPair;
  readonly #keeper: HarnessSocketKeeper;
  #connection: EnvironmentConnection;

  private constructor(options: NoiseHarnessOptions, identity: HybridKeyPair, connection: EnvironmentConnection, socket: DialedFrameSocket) {
    this.#options = options;
    this.#identity = identity;
    const log = options.log ?? (() => {});
    this.#connection = connection;
    this.mux = new NoiseMux({
      role: "harness",
      identity,
      endpoint: { ...REMOTE_RELAY_LIVENESS, ...options.endpoint },
      ...(options.limits ? { limits: options.limits } : {}),
      offerReliability: options.offerReliability ?? true,
      log,
    });
    this.#keeper = new HarnessSocketKeeper(
      {
        mux: this.mux,
        redial: () => this.#redial(),
        reconnect: options.reconnect,
        onClosedWithoutReconnect: (reason) => log(`harness socket closed (${reason})`),
        backoff: options.backoff,
        redialTimeoutMs: options.retryTimeoutMs,
        // Only refused credentials end the redial: after a rendezvous restart the environment may be
        // unknown (404) or unavailable (503) until its executor has registered again.
        isFatal: (error) => error instanceof EnvironmentRegistryError && error.kind === "auth",
        log,
      },
      socket,
    );
  }

  /** Asks the registry for the environment (retrying 5xx and network errors) and dials it. */
  static async connect(options: NoiseHarnessOptions): Promise<NoiseHarnessConnection> {
    const identity = options.identity ?? harnessIdentity();
    const deadline = Date.now() + (options.connectTimeoutMs ?? 60_000);
    const backoff = new Backoff({ initialMs: 250, maxMs: 5000, ...options.backoff });
    for (;;) {
      try {
        const connection = await connectEnvironment(options.registry, identity.publicKey);
        const socket = await dialFrameSocket(connection.url, dialOptions(options));
        return new NoiseHarnessConnection(options, identity, connection, socket);
      } catch (error) {
        const retryable = !(error instanceof EnvironmentRegistryError) || error.retryable;
        if (!retryable || Date.now() >= deadline) throw error;
        const delay = backoff.next();
        options.log?.(`${error instanceof Error ? error.message : String(error)}; retrying in ${(delay / 1000).toFixed(1)} s`);
        await new Promise((resolve) => setTimeout(resolve, delay));
      }
    }
  }

  /** The registry's answer in use (executor key, registration id). */
  get connection(): EnvironmentConnection {
    return this.#connection;
  }

  /** Opens a Noise stream to the executor; messages sent before the handshake completes are queued. */
  openStream(): NoiseRelayStream {
    const { executorKey, environmentId, registrationId, authorization } = this.#connection;
    return this.mux.openStream({ remoteStatic: executorKey, environmentId, registrationId, authorization });
  }

  /** Drops the websocket as a network failure would (tests); streams with our executors resume. */
  dropConnection(): void {
    this.#keeper.drop();
  }

  /** Resets every stream and closes the websocket; no redial. */
  close(): void {
    this.#keeper.close();
  }

  /** Dials the URL in use again; an expired or refused one is replaced by asking the registry again. */
  async #redial(): Promise<DialedFrameSocket> {
    try {
      return await dialFrameSocket(this.#connection.url, dialOptions(this.#options));
    } catch (error) {
      // Same identity, so streams keep their keys.
      if (!/HTTP 4\d\d/.test(error instanceof Error ? error.message : "")) throw error;
      this.#connection = await connectEnvironment(this.#options.registry, this.#identity.publicKey);
      return dialFrameSocket(this.#connection.url, dialOptions(this.#options));
    }
  }
}

function dialOptions(options: NoiseHarnessOptions): DialOptions {
  return { maxMessageBytes: NOISE_MAX_FRAME_BYTES, ...(options.registry.ca === undefined ? {} : { ca: options.registry.ca }), ...options.dial };
}
