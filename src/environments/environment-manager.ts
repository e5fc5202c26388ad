import type { EnvironmentEntry } from "../../generated/openrpc/types.js";
import type { ExecServerClient } from "../../generated/openrpc/client.js";
import { connectExecServer, parseEnvironmentUrl, type ConnectedClient, type ConnectOptions } from "../client/connect.js";
import type { FlowControl, MessageTransport } from "../rpc/message-transport.js";
import { ErrorCode, RpcError } from "../rpc/rpc-error.js";
import { MAX_TIMER_DELAY_MS } from "../util/clock.js";

/** The reserved id of the machine the manager runs on. */
export const LOCAL_ENVIRONMENT_ID = "local";

/** Options of {@link EnvironmentManager}; every limit has a documented default. */
export interface EnvironmentManagerOptions {
  /** Connect timeout for environments added without one, in ms. Default 10 000. */
  defaultConnectTimeoutMs?: number;
  /** How long `initialize` may take after the socket opens, in ms. Default 10 000. */
  initializeTimeoutMs?: number;
  /** Remote environments per manager. Default 64. */
  maxEnvironments?: number;
  /** `clientName` sent in `initialize`. Default `exec-server environment manager`. */
  clientName?: string;
  /** Receives every server notification of a remote environment (tag it with the id). */
  onNotification?: (environmentId: string, method: string, params: unknown) => void;
  /** Connection options (CA, relay options). */
  connect?: ConnectOptions;
  /**
   * Flow control of wherever notifications are forwarded to (the gateway's client connection), if
   * any. While it is congested after a forwarded notification, the environment's connection stops
   * reading (when its transport can pause), so the remote server's own backpressure pauses the
   * remote process instead of this process buffering without bound.
   */
  downstreamFlow?: () => FlowControl | undefined;
}

interface RemoteEnvironment {
  readonly environmentId: string;
  readonly execServerUrl: string;
  readonly connectTimeoutMs: number | null;
  /** Bearer for the registry of an environment URL, or for the websocket upgrade (`authBearerToken`). */
  readonly authBearerToken: string | undefined;
  connection: Promise<ConnectedClient> | undefined;
  /** Session to resume after a reconnect. */
  sessionId: string | undefined;
  connected: boolean;
}

/**
 * The local environment plus named remote environments (CONTRACT §8), each a plain `ws(s)://`
 * exec-server URL or a `role=harness` rendezvous URL. Upsert semantics: adding an existing id
 * replaces its definition without migrating live connections (the old connection is closed); the
 * default stays `local`. Connections are opened lazily on first use, with connect and initialize
 * timeouts, and re-opened (resuming the remote session) after they drop.
 */
export class EnvironmentManager {
  readonly #environments = new Map<string, RemoteEnvironment>();
  /** Connections paused for downstream backpressure, with the unsubscribe of their drain wait. */
  readonly #paused = new Map<MessageTransport, () => void>();
  readonly #options: EnvironmentManagerOptions;
  readonly #defaultTimeout: number;
  readonly #initializeTimeout: number;
  readonly #max: number;

  constructor(options: EnvironmentManagerOptions = {}) {
    this.#options = options;
    this.#defaultTimeout = options.defaultConnectTimeoutMs ?? 10_000;
    this.#initializeTimeout = options.initializeTimeoutMs ?? 10_000;
    this.#max = options.maxEnvironments ?? 64;
  }

  /**
   * Adds or replaces a remote environment; throws -32602 with the contract's messages on bad input.
   * `authBearerToken` (codex 0.169) is sent as `Authorization: Bearer` on a websocket upgrade, or to the
   * registry of an environment URL (`http(s)://…/cloud/environment/{id}`, reached over Noise).
   */
  add(environmentId: string, execServerUrl: string, connectTimeoutMs?: number | null, authBearerToken?: string | null): void {
    validateEnvironment(environmentId, execServerUrl);
    if (
      connectTimeoutMs !== undefined &&
      connectTimeoutMs !== null &&
      !(Number.isInteger(connectTimeoutMs) && connectTimeoutMs > 0 && connectTimeoutMs <= MAX_TIMER_DELAY_MS)
    ) {
      throw new RpcError(ErrorCode.InvalidParams, `connectTimeoutMs must be an integer from 1 to ${MAX_TIMER_DELAY_MS}, got ${connectTimeoutMs}`);
    }
    const previous = this.#environments.get(environmentId);
    if (!previous && this.#environments.size >= this.#max) {
      throw new RpcError(ErrorCode.InvalidRequest, `too many environments (limit ${this.#max})`);
    }
    if (previous) this.#disconnect(previous);
    this.#environments.set(environmentId, {
      environmentId,
      execServerUrl,
      connectTimeoutMs: connectTimeoutMs ?? null,
      authBearerToken: authBearerToken ?? undefined,
      connection: undefined,
      sessionId: undefined,
      connected: false,
    });
  }

  /** Removes a remote environment and closes its connection; false when it did not exist. */
  remove(environmentId: string): boolean {
    if (environmentId === LOCAL_ENVIRONMENT_ID) {
      throw new RpcError(ErrorCode.InvalidParams, "the local environment cannot be removed");
    }
    const environment = this.#environments.get(environmentId);
    if (!environment) return false;
    this.#disconnect(environment);
    this.#environments.delete(environmentId);
    return true;
  }

  /** `local` first, then remote environments in insertion order. */
  list(): EnvironmentEntry[] {
    return [
      { environmentId: LOCAL_ENVIRONMENT_ID, kind: "local", execServerUrl: null, isDefault: true, connected: true, connectTimeoutMs: null },
      ...[...this.#environments.values()].map((environment) => ({
        environmentId: environment.environmentId,
        kind: "remote" as const,
        execServerUrl: environment.execServerUrl,
        isDefault: false,
        connected: environment.connected,
        connectTimeoutMs: environment.connectTimeoutMs,
      })),
    ];
  }

  /** True when `environmentId` names a remote environment. */
  has(environmentId: string): boolean {
    return this.#environments.has(environmentId);
  }

  /**
   * The initialized client of a remote environment, connecting on first use. Unknown id → -32600;
   * unreachable → -32603 naming the environment and URL, within the connect timeout.
   */
  async client(environmentId: string): Promise<ExecServerClient> {
    const environment = this.#environments.get(environmentId);
    if (!environment) throw new RpcError(ErrorCode.InvalidRequest, `unknown environment ${environmentId}`);
    environment.connection ??= this.#connect(environment);
    try {
      return (await environment.connection).client;
    } catch (error) {
      if (this.#environments.get(environmentId) === environment) environment.connection = undefined;
      throw error;
    }
  }

  /** Resumes every connection paused for downstream backpressure (the downstream changed or went away). */
  resumeAll(): void {
    for (const [transport, stopWaiting] of [...this.#paused]) {
      stopWaiting();
      this.#paused.delete(transport);
      transport.resumeReceiving?.();
    }
  }

  #applyBackpressure(transport: MessageTransport): void {
    const flow = this.#options.downstreamFlow?.();
    if (!flow?.congested() || this.#paused.has(transport) || transport.pauseReceiving === undefined) return;
    transport.pauseReceiving();
    const stopWaiting = flow.onDrain(() => {
      stopWaiting();
      this.#paused.delete(transport);
      transport.resumeReceiving?.();
    });
    this.#paused.set(transport, stopWaiting);
  }

  /** Closes every remote connection (the environments stay defined). */
  closeAll(): void {
    for (const environment of this.#environments.values()) this.#disconnect(environment);
  }

  async #connect(environment: RemoteEnvironment): Promise<ConnectedClient> {
    const timeoutMs = environment.connectTimeoutMs ?? this.#defaultTimeout;
    const where = `environment ${environment.environmentId} (${environment.execServerUrl})`;
    let connected: ConnectedClient;
    const pending = connectExecServer(environment.execServerUrl, {
      ...this.#options.connect,
      ...(environment.authBearerToken === undefined
        ? {}
        : { headers: { ...this.#options.connect?.headers, authorization: `Bearer ${environment.authBearerToken}` }, registryToken: environment.authBearerToken }),
      connectTimeoutMs: timeoutMs,
      harness: { reconnect: false, ...this.#options.connect?.harness },
    });
    try {
      connected = await withTimeout(pending, timeoutMs, `timed out after ${timeoutMs} ms`);
    } catch (error) {
      // A connection that completes after the timeout must not leak.
      pending.then((late) => late.close(), () => undefined);
      throw new RpcError(ErrorCode.Internal, `${where} is unreachable: ${error instanceof Error ? error.message : String(error)}`);
    }
    try {
      const result = await connected.client.initialize(
        {
          clientName: this.#options.clientName ?? "exec-server environment manager",
          ...(environment.sessionId === undefined ? {} : { resumeSessionId: environment.sessionId }),
        },
        { timeoutMs: this.#initializeTimeout },
      );
      connected.client.notifyInitialized();
      environment.sessionId = typeof result.sessionId === "string" ? result.sessionId : environment.sessionId;
    } catch (error) {
      connected.close();
      throw new RpcError(ErrorCode.Internal, `${where} failed to initialize: ${error instanceof Error ? error.message : String(error)}`);
    }
    environment.connected = true;
    const forward = this.#options.onNotification;
    if (forward) {
      for (const method of ["process/output", "process/exited", "process/closed", "fs/missingChanged"] as const) {
        connected.client.on(method, (params) => {
          forward(environment.environmentId, method, params);
          this.#applyBackpressure(connected.transport);
        });
      }
    }
    connected.transport.onClose(() => {
      this.#paused.get(connected.transport)?.();
      this.#paused.delete(connected.transport);
      environment.connected = false;
      // The next call reconnects and resumes the remote session.
      if (environment.connection !== undefined) environment.connection = undefined;
    });
    return connected;
  }

  #disconnect(environment: RemoteEnvironment): void {
    const connection = environment.connection;
    environment.connection = undefined;
    environment.connected = false;
    void connection?.then((connected) => connected.close(), () => undefined);
  }
}

/** Applies the contract's checks on `environment/add` input (CONTRACT §8). */
export function validateEnvironment(environmentId: string, execServerUrl: string): void {
  if (environmentId.trim() === "") throw new RpcError(ErrorCode.InvalidParams, "environment id cannot be empty");
  if (environmentId === LOCAL_ENVIRONMENT_ID) throw new RpcError(ErrorCode.InvalidParams, "environment id local is reserved");
  if (execServerUrl.trim() === "") throw new RpcError(ErrorCode.InvalidParams, "remote environment requires an exec-server url");
  if (execServerUrl.trim().toLowerCase() === "none") {
    throw new RpcError(ErrorCode.InvalidParams, "remote environment cannot use disabled exec-server url");
  }
  let url: URL;
  try {
    url = new URL(execServerUrl);
  } catch {
    throw new RpcError(ErrorCode.InvalidParams, `remote environment url is not a valid URL: ${execServerUrl}`);
  }
  // The contract's message stays as it is; codex 0.169 environment URLs (http/https) are an addition.
  if (url.protocol !== "ws:" && url.protocol !== "wss:" && parseEnvironmentUrl(execServerUrl) === undefined) {
    throw new RpcError(ErrorCode.InvalidParams, `remote environment url must be ws:// or wss://, got ${execServerUrl}`);
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number, message: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(message)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}
