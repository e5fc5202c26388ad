import { WebSocket } from "../util/ws-classes.js";
import { createExecServerClient, type ExecServerClient } from "../../generated/openrpc/client.js";
import type { ClientOptions } from "../rpc/client-core.js";
import type { MessageTransport } from "../rpc/message-transport.js";
import type { HarnessConnectionOptions } from "../remote/harness-connection.js";
import { websocketTransport } from "../server/websocket-transport.js";

/** Options of {@link connectTransport} and {@link connectExecServer}. */
export interface ConnectOptions {
  /** Headers for a plain websocket upgrade (e.g. `authorization: Bearer <connection token>`). */
  headers?: Record<string, string>;
  /** Connect timeout in ms. Default 10 000. */
  connectTimeoutMs?: number;
  /** Relay options when the URL is a `role=harness` rendezvous URL. */
  harness?: HarnessConnectionOptions;
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

/**
 * Opens a JSON-RPC {@link MessageTransport} to an exec-server: plain JSON frames for `ws(s)://` URLs,
 * one relay stream over a new harness websocket for `role=harness` URLs.
 */
export async function connectTransport(url: string, options: ConnectOptions = {}): Promise<MessageTransport> {
  if (!/^wss?:\/\//.test(url)) throw new Error(`exec-server URL must be ws:// or wss://, got ${url}`);
  const timeoutMs = options.connectTimeoutMs ?? 10_000;
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
