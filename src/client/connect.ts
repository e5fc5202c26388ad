import { WebSocket } from "../util/ws-classes.js";
import { createExecServerClient, type ExecServerClient } from "../../generated/openrpc/client.js";
import type { ClientOptions } from "../rpc/client-core.js";
import type { MessageTransport } from "../rpc/message-transport.js";
import type { HarnessConnectionOptions } from "../remote/harness-connection.js";
import type { NoiseHarnessOptions } from "../remote/noise-harness-connection.js";
import { websocketTransport } from "../server/websocket-transport.js";

/** Options of {@link connectTransport} and {@link connectExecServer}. */
export interface ConnectOptions {
  /** Headers for a plain websocket upgrade (e.g. `authorization: Bearer <connection token>`). */
  headers?: Record<string, string>;
  /** Connect timeout in ms. Default 10 000. */
  connectTimeoutMs?: number;
  /** Relay options when the URL is a `role=harness` rendezvous URL. */
  harness?: HarnessConnectionOptions;
  /**
   * Registry bearer token for an environment URL (`http(s)://…/cloud/environment/{id}`, codex 0.169's
   * `CODEX_EXEC_SERVER_NOISE_AUTH_TOKEN`). Default: the bearer of `headers.authorization`.
   */
  registryToken?: string;
  /** Noise options for an environment URL (identity, limits, retries). */
  noise?: Omit<NoiseHarnessOptions, "registry">;
  /** Extra CA certificate (PEM) to trust for `wss://`. */
  ca?: string | Buffer;
  /** Typed client options (default request timeout, ...). */
  client?: ClientOptions;
}

/** True when `url` is a rendezvous harness URL (query `role=harness`): relay framing, CONTRACT §6. */
export function isHarnessUrl(url: string): boolean {
  try {
    return new URL(url).searchParams.get("role") === "harness";
  } catch {
    return false;
  }
}

/** A codex 0.169 environment, given as `http(s)://host[/prefix]/cloud/environment/{id}`: registry base URL and id. */
export function parseEnvironmentUrl(url: string): { baseUrl: string; environmentId: string } | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return undefined;
  }
  if (parsed.protocol !== "http:" && parsed.protocol !== "https:") return undefined;
  const match = /^(.*)\/cloud\/environment\/([^/]+)\/?$/.exec(parsed.pathname);
  if (!match) return undefined;
  let environmentId: string;
  try {
    environmentId = decodeURIComponent(match[2] as string);
  } catch {
    return undefined;
  }
  return { baseUrl: `${parsed.origin}${match[1]}`, environmentId };
}

/**
 * Opens a JSON-RPC {@link MessageTransport} to an exec-server: plain JSON frames for `ws(s)://` URLs,
 * one relay stream over a new harness websocket for `role=harness` URLs, and one end-to-end encrypted
 * Noise stream for an environment URL (`http(s)://…/cloud/environment/{id}`: registry `/connect`).
 */
export async function connectTransport(url: string, options: ConnectOptions = {}): Promise<MessageTransport> {
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
  const environment = parseEnvironmentUrl(url);
  if (environment !== undefined) return connectNoise(environment, options, timeoutMs);
  if (!/^wss?:\/\//.test(url)) throw new Error(`exec-server URL must be ws://, wss:// or an environment URL http(s)://…/cloud/environment/{id}, got ${url}`);
  if (isHarnessUrl(url)) {
    // Loaded on demand: the relay (xstate, protobuf) is not needed for plain websockets and costs
    // start-up time for every local server.
    const { HarnessConnection } = await import("../remote/harness-connection.js");
    const connection = await HarnessConnection.connect(url, {
      ...options.harness,
      dial: { handshakeTimeoutMs: timeoutMs, ...(options.ca === undefined ? {} : { ca: options.ca }), ...options.harness?.dial },
    });
    const stream = connection.openStream();
    stream.onClose(() => connection.close());
    return stream;
  }
  const socket = new WebSocket(url, {
    headers: options.headers ?? {},
    handshakeTimeout: timeoutMs,
    perMessageDeflate: false,
    maxPayload: 512 * 1024 * 1024,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
    socket.once("unexpected-response", (_request, response) => {
      reject(new Error(`websocket upgrade to ${url} refused with HTTP ${response.statusCode}`));
      response.resume();
      socket.terminate();
    });
  });
  return websocketTransport(socket);
}

/** A connected typed client and a way to close it. */
export interface ConnectedClient {
  readonly client: ExecServerClient;
  readonly transport: MessageTransport;
  close(): void;
}

/** Connects and wraps the transport in the generated typed client (no `initialize` is sent). */
export async function connectExecServer(url: string, options: ConnectOptions = {}): Promise<ConnectedClient> {
  const transport = await connectTransport(url, options);
  const client = createExecServerClient(transport, options.client);
  return { client, transport, close: () => transport.close("client closed") };
}

async function connectNoise(environment: { baseUrl: string; environmentId: string }, options: ConnectOptions, timeoutMs: number): Promise<MessageTransport> {
  const token = options.registryToken ?? /^Bearer\s+(\S+)$/i.exec(options.headers?.authorization ?? "")?.[1];
  if (token === undefined) throw new Error(`environment ${environment.environmentId} needs a registry bearer token`);
  // Loaded on demand, like the cleartext relay (ML-KEM and the relay are not needed for plain websockets).
  const { NoiseHarnessConnection } = await import("../remote/noise-harness-connection.js");
  const { DirectEnvironmentAnswer } = await import("../remote/environment-registry-client.js");
  let connection;
  try {
    connection = await NoiseHarnessConnection.connect({
      connectTimeoutMs: timeoutMs,
      ...options.noise,
      registry: { ...environment, token, timeoutMs, ...(options.ca === undefined ? {} : { ca: options.ca }) },
      dial: { handshakeTimeoutMs: timeoutMs, ...options.noise?.dial },
    });
  } catch (error) {
    // A direct-transport environment: plain JSON-RPC on the capability URL (no bearer, no Noise).
    if (error instanceof DirectEnvironmentAnswer) return connectTransport(error.url, { ...options, headers: {} });
    throw error;
  }
  const stream = connection.openStream();
  stream.onClose(() => connection.close());
  // Wait for the handshake, so a refusal (wrong key, rejected credentials) is this call's error.
  await new Promise<void>((resolve, reject) => {
    const offOpen = stream.onOpen(() => {
      offClose();
      resolve();
    });
    const offClose = stream.onClose((reason) => {
      offOpen();
      reject(new Error(`Noise handshake with environment ${environment.environmentId} failed: ${reason}`));
    });
  });
  return stream;
}
