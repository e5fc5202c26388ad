/**
 * The executor of codex 0.169's remote mode, served by our exec-server: registers its Noise identity
 * (`POST …/cloud/environment/{id}/register`), dials the returned URL and serves every validated Noise
 * stream as an independent JSON-RPC connection with its own session.
 *
 * Loop (0.169 rules, spec UPSTREAM-0.169-REMOTE §1.4, §2.3): one identity per process; register →
 * connect → serve; when the socket ends, redial the **same** URL (backoff 1 s doubling, jittered, reset
 * after a successful connect); an upgrade refused with a 4xx re-registers at once. A 401/403 from the
 * registry is fatal; 503 `registration_conflict` is retried with jitter. Unlike 0.169, other 5xx and
 * network errors at registration are retried with backoff instead of ending the process.
 * Streams with our own harnesses survive a socket loss and resume; 0.169 harness streams end with it.
 */
import type { MessageTransport } from "../rpc/message-transport.js";
import { generateHybridKeyPair, publicKeyFingerprint, type HybridKeyPair, type HybridPublicKey } from "../relay/noise/hybrid-keypair.js";
import { NOISE_MAX_FRAME_BYTES, type NoiseLimits } from "../relay/noise/noise-options.js";
import { NoiseMux } from "../relay/noise/noise-mux.js";
import type { RelayEndpointOptions } from "../relay/relay-options.js";
import { Backoff, type BackoffOptions } from "./backoff.js";
import type { BearerTokenSource } from "./bearer-token-source.js";
import { EnvironmentRegistryError, registerEnvironment, validateHarnessKey, type EnvironmentRegistration } from "./environment-registry-client.js";
import { ExecutorLoop, type RemoteExecutorState } from "./executor-loop.js";
import { REMOTE_RELAY_LIVENESS } from "./relay-liveness.js";
import { dialFrameSocket, type DialOptions } from "./websocket-frame-socket.js";

/** Options of {@link NoiseRemoteExecutor}. */
export interface NoiseRemoteExecutorOptions {
  /** Registry base URL (`--remote`). */
  readonly baseUrl: string;
  /**
   * More registry base URLs (`--remote URL1,URL2,...`: nodes of a rendezvous cluster). When a registry
   * or the rendezvous behind it fails, the executor registers through the next one at once; it backs
   * off only after every URL failed in a row. Default none.
   */
  readonly alternateBaseUrls?: readonly string[];
  /** Environment id (`--environment-id`), used as given. */
  readonly environmentId: string;
  /** Registry bearer token (registration and `/validate`). */
  readonly token: BearerTokenSource;
  /** Display name for logs (`--name`; 0.169 does not send it either). */
  readonly name?: string;
  /**
   * What serves each validated stream: an exec-server (only its `serve` is used, once per stream, with the
   * decrypted stream as the transport; a test may wrap it to observe the plaintext JSON-RPC), or a
   * `StreamForwarder` piping each stream to another exec-server (`exec-server forward`).
   */
  readonly server: { serve(stream: MessageTransport): unknown };
  /** Default: a fresh identity (0.169: one per process, reused for every registration). */
  readonly identity?: HybridKeyPair;
  readonly limits?: Partial<NoiseLimits>;
  /** Reliable-channel options towards our own harnesses. */
  readonly endpoint?: Partial<RelayEndpointOptions>;
  /** Accept our reliability layer from harnesses that offer it. Default true. */
  readonly offerReliability?: boolean;
  /** Redial/registration backoff. Default 1 s doubling to 30 s, 50 % jitter (0.169: ×[0.5, 1]). */
  readonly backoff?: BackoffOptions;
  /** Websocket options; frames default to at most 256 KiB (0.169). */
  readonly dial?: DialOptions;
  /** Registry request timeout, ms. Default 10 000. */
  readonly registryTimeoutMs?: number;
  readonly log?: (line: string) => void;
}

export class NoiseRemoteExecutor {
  readonly identity: HybridKeyPair;
  readonly #options: NoiseRemoteExecutorOptions;
  readonly #log: (line: string) => void;
  readonly #loop: ExecutorLoop;
  #mux: NoiseMux | undefined;
  #registration: EnvironmentRegistration | undefined;
  /** Successful registrations so far. */
  registrations = 0;

  constructor(options: NoiseRemoteExecutorOptions) {
    if (options.baseUrl.trim() === "" || (options.alternateBaseUrls ?? []).some((url) => url.trim() === "")) throw new Error("remote executor needs a registry base URL");
    if (options.environmentId.trim() === "") throw new Error("remote executor needs an environment id");
    this.#options = { ...options, environmentId: options.environmentId.trim() };
    this.identity = options.identity ?? generateHybridKeyPair();
    this.#log = options.log ?? (() => {});
    this.#loop = new ExecutorLoop({
      backoff: new Backoff({ jitter: 0.5, ...options.backoff }),
      log: this.#log,
      retryVerb: "retrying",
      baseUrls: [options.baseUrl, ...(options.alternateBaseUrls ?? [])],
    });
  }

  get state(): RemoteExecutorState {
    return this.#loop.state;
  }

  /** Successful websocket connections so far. */
  get connections(): number {
    return this.#loop.connections;
  }

  /** The multiplexer of the current registration (undefined before the first one). */
  get mux(): NoiseMux | undefined {
    return this.#mux;
  }

  get registration(): EnvironmentRegistration | undefined {
    return this.#registration;
  }

  /** The registry base URL in use (one of `baseUrl` and `alternateBaseUrls`). */
  get registryUrl(): string {
    return this.#loop.registryUrl;
  }

  /** Calls `listener` on every state change; returns an unsubscribe function. */
  onState(listener: (state: RemoteExecutorState) => void): () => void {
    return this.#loop.onState(listener);
  }

  /** Drops the current websocket (tests); the loop redials the same URL. */
  dropConnection(): void {
    this.#loop.dropConnection();
  }

  /** Runs until {@link stop}; rejects when the registry refuses the credentials. */
  async run(): Promise<void> {
    const loop = this.#loop;
    while (!loop.stopped) {
      if (this.#registration === undefined) {
        loop.setState("registering");
        try {
          await this.#register();
        } catch (error) {
          if (error instanceof EnvironmentRegistryError && !error.retryable) {
            loop.setState("failed");
            throw error;
          }
          const conflict = error instanceof EnvironmentRegistryError && error.kind === "conflict";
          if (conflict) await loop.pause("Noise executor retrying uncommitted registry registration");
          else await this.#loop.failover(`registration failed: ${errorText(error)}`);
          continue;
        }
      }
      loop.setState("connecting");
      let socket;
      try {
        socket = await dialFrameSocket(this.#registration!.url, { maxMessageBytes: NOISE_MAX_FRAME_BYTES, ...this.#options.dial });
      } catch (error) {
        // 0.169: an upgrade refused with a 4xx (expired or superseded URL) re-registers at once.
        if (/HTTP 4\d\d/.test(errorText(error))) {
          this.#log(`rendezvous refused the websocket (${errorText(error)}); registering again`);
          this.#registration = undefined;
          continue;
        }
        if (this.#loop.baseUrls.length > 1) {
          // With several registries, an unreachable rendezvous means registering through another one.
          this.#registration = undefined;
          await this.#loop.failover(`connecting to the rendezvous failed: ${errorText(error)}`);
        } else {
          await loop.pause(`connecting to the rendezvous failed: ${errorText(error)}`);
        }
        continue;
      }
      if (loop.stopped) {
        socket.close("executor stopping");
        break;
      }
      const reason = await loop.serve(socket, this.#mux!);
      if (loop.stopped) break;
      await loop.pause(`rendezvous connection lost (${reason})`);
    }
    loop.setState("stopped");
  }

  /** Stops the loop, resets every stream and closes the socket. */
  stop(): void {
    this.#loop.stop(() => this.#mux?.close("executor_shutdown"));
  }

  async #register(): Promise<void> {
    const { environmentId } = this.#options;
    const baseUrl = this.registryUrl;
    const token = await this.#options.token.current();
    const registration = await registerEnvironment(
      { baseUrl, environmentId, token, ...(this.#options.registryTimeoutMs ? { timeoutMs: this.#options.registryTimeoutMs } : {}), ca: this.#options.dial?.ca },
      this.identity.publicKey,
    );
    this.#registration = registration;
    this.registrations += 1;
    this.#log(
      `registered environment ${environmentId}${this.#options.name ? ` (${this.#options.name})` : ""}${this.#loop.baseUrls.length > 1 ? ` at ${baseUrl}` : ""}: registration ${registration.registrationId}, key ${publicKeyFingerprint(this.identity.publicKey).slice(0, 16)}`,
    );
    this.#adoptRegistration(registration);
  }

  /** The registration's ids enter every new stream's prologue; established streams keep running. */
  #adoptRegistration(registration: EnvironmentRegistration): void {
    const ids = { environmentId: registration.environmentId, registrationId: registration.registrationId };
    if (this.#mux !== undefined) {
      this.#mux.updateRegistration(ids);
      return;
    }
    const mux = new NoiseMux({
      role: "executor",
      identity: this.identity,
      registration: ids,
      authorize: (request) => this.#authorize(registration.environmentId, request.registrationId, request.streamId, request.harnessKey, request.authorization),
      endpoint: { ...REMOTE_RELAY_LIVENESS, ...this.#options.endpoint },
      ...(this.#options.limits ? { limits: this.#options.limits } : {}),
      offerReliability: this.#options.offerReliability ?? true,
      log: this.#log,
    });
    mux.onStream((stream) => {
      this.#log(`stream ${stream.streamId} opened (${mux.streamCount} open, ${stream.peer === "reliable" ? "reliable" : "codex 0.169"} peer)`);
      stream.onClose((reason) => this.#log(`stream ${stream.streamId} closed: ${reason} (${mux.streamCount} open)`));
      this.#options.server.serve(stream);
    });
    this.#mux = mux;
  }

  async #authorize(environmentId: string, registrationId: string, streamId: string, harnessKey: HybridPublicKey, authorization: string) {
    const token = await this.#options.token.current();
    return validateHarnessKey(
      { baseUrl: this.registryUrl, environmentId, token, ca: this.#options.dial?.ca, ...(this.#options.registryTimeoutMs ? { timeoutMs: this.#options.registryTimeoutMs } : {}) },
      { registrationId, harnessKey, authorization, streamId },
    );
  }
}

function errorText(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
