import { RelayMux, type RelayMuxOptions } from "../relay/relay-mux.js";
import type { ExecServer } from "../server/exec-server.js";
import { Backoff, type BackoffOptions } from "./backoff.js";
import { ExecutorLoop, type RemoteExecutorState } from "./executor-loop.js";
import { withRelayLiveness } from "./relay-liveness.js";
import { staticToken, type BearerTokenSource } from "./bearer-token-source.js";
import { registerExecutor, RegistryError, type ExecutorRegistration } from "./registry-client.js";
import { dialFrameSocket, type DialOptions } from "./websocket-frame-socket.js";

/** Where and as whom the executor registers (CONTRACT §6). */
export class RemoteExecutorConfig {
  constructor(
    /** Registry base URL (`--remote`). */
    readonly baseUrl: string,
    /** Executor id (`--executor-id`). */
    readonly executorId: string,
    /** Bearer token source; re-read once after a 401/403. */
    readonly token: BearerTokenSource,
    /** Display name (`--name`): in logs, and in an `x-executor-name` header our rendezvous shows in its status (the contract's registration has no body). */
    readonly name?: string,
    /**
     * Further registry base URLs (several rendezvous nodes without a load balancer). Registration
     * stays on the URL that works; when it fails the next one is tried at once, and the backoff
     * applies once every URL has failed in a row. Default none.
     */
    readonly alternateBaseUrls: readonly string[] = [],
  ) {
    if (baseUrl.trim() === "" || alternateBaseUrls.some((url) => url.trim() === "")) throw new Error("remote executor needs a registry base URL");
    if (executorId.trim() === "") throw new Error("remote executor needs an executor id");
  }

  /** Programmatic constructor with a fixed token (upstream's `RemoteExecutorConfig::with_bearer_token`). */
  static withBearerToken(baseUrl: string, executorId: string, token: string): RemoteExecutorConfig {
    return new RemoteExecutorConfig(baseUrl, executorId, staticToken(token));
  }

  /** Every registry base URL, `baseUrl` first. */
  get baseUrls(): readonly string[] {
    return [this.baseUrl, ...this.alternateBaseUrls];
  }
}

/** Options of {@link RemoteExecutor}. */
export interface RemoteExecutorOptions {
  config: RemoteExecutorConfig;
  /** The exec-server each relay stream is served by (one session per stream). */
  server: ExecServer;
  /** Reconnect backoff: 1 s doubling to 30 s with 20 % jitter by default. */
  backoff?: BackoffOptions;
  /** Relay multiplexer options (max streams 128, endpoint timers); role is always executor. */
  relay?: Omit<RelayMuxOptions, "role">;
  /** Websocket dial options (extra CA for wss, timeouts). */
  dial?: DialOptions;
  /** Progress lines for a person (registered, connected, reconnecting in N s). Default none. */
  log?: (line: string) => void;
}

export type { RemoteExecutorState } from "./executor-loop.js";

/**
 * The remote executor loop: register → connect the signed websocket → serve the multiplexed relay
 * until the socket ends → back off → register again. Relay streams (and their sessions) outlive a
 * socket, so a reconnect resumes them. Authentication that still fails after one credential refresh
 * is fatal: {@link RemoteExecutor.run} rejects with the registry's message.
 */
export class RemoteExecutor {
  readonly mux: RelayMux;
  readonly #options: RemoteExecutorOptions;
  readonly #log: (line: string) => void;
  readonly #loop: ExecutorLoop;

  constructor(options: RemoteExecutorOptions) {
    this.#options = options;
    this.#log = options.log ?? (() => {});
    this.#loop = new ExecutorLoop({ backoff: new Backoff(options.backoff), log: this.#log, retryVerb: "reconnecting", baseUrls: options.config.baseUrls });
    this.mux = new RelayMux({ ...withRelayLiveness(options.relay), role: "executor" });
    this.mux.onStream((stream) => {
      this.#log(`stream ${stream.streamId} opened (${this.mux.streamCount} open)`);
      stream.onClose((reason) => this.#log(`stream ${stream.streamId} closed: ${reason} (${this.mux.streamCount} open)`));
      options.server.serve(stream);
    });
  }

  get state(): RemoteExecutorState {
    return this.#loop.state;
  }

  /** Successful websocket connections so far. */
  get connections(): number {
    return this.#loop.connections;
  }

  /** Calls `listener` on every state change; returns an unsubscribe function. */
  onState(listener: (state: RemoteExecutorState) => void): () => void {
    return this.#loop.onState(listener);
  }

  /** Drops the current websocket (tests use it to simulate a network failure); the loop reconnects. */
  dropConnection(): void {
    this.#loop.dropConnection();
  }

  /** Runs until {@link RemoteExecutor.stop}; rejects on fatal authentication failure. */
  async run(): Promise<void> {
    const { config } = this.#options;
    const loop = this.#loop;
    while (!loop.stopped) {
      loop.setState("registering");
      let registration: ExecutorRegistration;
      try {
        registration = await this.#register();
      } catch (error) {
        if (error instanceof RegistryError && error.kind === "auth") {
          loop.setState("failed");
          throw error;
        }
        await this.#loop.failover(`registration failed: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      this.#log(`registered executor ${config.executorId}${config.name ? ` (${config.name})` : ""}${config.baseUrls.length > 1 ? ` at ${this.registryUrl}` : ""}`);
      loop.setState("connecting");
      let socket;
      try {
        socket = await dialFrameSocket(registration.url, this.#options.dial);
      } catch (error) {
        await this.#loop.failover(`connecting to the rendezvous failed: ${error instanceof Error ? error.message : String(error)}`);
        continue;
      }
      if (loop.stopped) {
        socket.close("executor stopping");
        break;
      }
      const reason = await loop.serve(socket, this.mux);
      if (loop.stopped) break;
      await loop.pause(`rendezvous connection lost (${reason})`);
    }
    loop.setState("stopped");
  }

  /** Stops the loop, resets every stream and closes the socket. */
  stop(): void {
    this.#loop.stop(() => this.mux.close("executor_shutdown"));
  }

  /** The registry base URL in use. */
  get registryUrl(): string {
    return this.#loop.registryUrl;
  }

  /** Registers, refreshing the credential once after a 401/403 (the bounded auth retry). */
  async #register(): Promise<ExecutorRegistration> {
    const { config } = this.#options;
    const attempt = async (token: string) =>
      registerExecutor({ baseUrl: this.registryUrl, executorId: config.executorId, token, ca: this.#options.dial?.ca, ...(config.name ? { name: config.name } : {}) });
    try {
      return await attempt(await config.token.current());
    } catch (error) {
      if (!(error instanceof RegistryError) || error.kind !== "auth") throw error;
      this.#log(`${error.message}; refreshing the credential and retrying once`);
      return attempt(await config.token.refresh());
    }
  }
}
