import { createServer, type IncomingMessage, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import { timingSafeEqual } from "node:crypto";
import type { WebSocket } from "ws";
import { WebSocketServer } from "../util/ws-classes.js";
import { formatListenUrl, isLoopbackAddress } from "./listen-url.js";
import { DEFAULT_PING_INTERVAL_MS, keepAlive } from "../util/websocket-keepalive.js";

/** Options of {@link startWebsocketListener}. Every limit has a documented default. */
export interface WebsocketListenerOptions {
  /** IP address to bind (IPv4 or IPv6 literal). */
  host: string;
  /** TCP port; 0 lets the OS choose. */
  port: number;
  /** Largest inbound websocket message in bytes; larger ones close the socket with 1009. Default 128 MiB. */
  maxMessageBytes?: number;
  /** Origins allowed to connect; a request carrying any other `Origin` header gets 403. Default: none. */
  allowedOrigins?: readonly string[];
  /** Bearer token required on the upgrade request (`Authorization: Bearer <token>`); 401 otherwise. */
  connectionToken?: string | undefined;
  /**
   * Permit a non-loopback bind without a connection token. Default false: binding elsewhere than
   * loopback without a token throws, because anyone who can reach the port can spawn processes.
   */
  allowUnauthenticatedRemote?: boolean;
  /** Open websockets at once; further upgrades get 503. Default 1 024. */
  maxConnections?: number;
  /** Ping interval in ms; a client that misses a pong is disconnected (its session detaches). 0 disables. Default 30 000. */
  pingIntervalMs?: number;
  /**
   * Called once per accepted websocket, with the upgrade request and the byte stream under the
   * websocket (the socket `ws` writes its frames to; see `WebsocketTransportOptions.stream`).
   */
  onConnection(socket: WebSocket, request: IncomingMessage, stream: Duplex): void;
}

/** Default for {@link WebsocketListenerOptions.maxMessageBytes}: 128 MiB. */
export const DEFAULT_MAX_MESSAGE_BYTES = 128 * 1024 * 1024;

/** Default for {@link WebsocketListenerOptions.maxConnections}. */
export const DEFAULT_MAX_CONNECTIONS = 1024;

/** A running listener. */
export interface WebsocketListener {
  /** The bound address as `ws://IP:PORT`. */
  readonly url: string;
  readonly port: number;
  /** Makes `/readyz` answer 503 and refuses new upgrades; existing sockets stay open. */
  markShuttingDown(): void;
  /** Stops listening and closes every websocket with 1001. */
  close(): Promise<void>;
}

/**
 * One HTTP listener serving `GET /readyz` (200, or 503 once shutting down) and upgrading any request
 * on `/` to a websocket (CONTRACT §5), with Origin and bearer-token checks before the upgrade.
 */
export async function startWebsocketListener(options: WebsocketListenerOptions): Promise<WebsocketListener> {
  const maxMessageBytes = options.maxMessageBytes ?? DEFAULT_MAX_MESSAGE_BYTES;
  if (!Number.isInteger(maxMessageBytes) || maxMessageBytes <= 0) {
    throw new RangeError(`maxMessageBytes must be a positive integer, got ${maxMessageBytes}`);
  }
  if (!isLoopbackAddress(options.host) && !options.connectionToken && !options.allowUnauthenticatedRemote) {
    throw new Error(
      `refusing to listen on non-loopback address ${options.host} without a connection token; ` +
        "pass --connection-token-file FILE (or set EXEC_SERVER_CONNECTION_TOKEN), or --allow-unauthenticated-remote",
    );
  }
  const allowedOrigins = new Set(options.allowedOrigins ?? []);
  const maxConnections = options.maxConnections ?? DEFAULT_MAX_CONNECTIONS;
  if (!Number.isInteger(maxConnections) || maxConnections <= 0) {
    throw new RangeError(`maxConnections must be a positive integer, got ${maxConnections}`);
  }
  let shuttingDown = false;

  const wss = new WebSocketServer({ noServer: true, maxPayload: maxMessageBytes, perMessageDeflate: false });
  const server: Server = createServer((request, response) => {
    const path = (request.url ?? "/").split("?")[0];
    if (request.method === "GET" && path === "/readyz") {
      response.writeHead(shuttingDown ? 503 : 200, { "content-length": "0" });
      response.end();
      return;
    }
    response.writeHead(request.method === "GET" && path === "/" ? 426 : 404, { "content-type": "text/plain" });
    response.end(path === "/" ? "websocket upgrade required\n" : "not found\n");
  });

  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    const refusal = refuseUpgrade(request);
    if (refusal) {
      socket.end(`HTTP/1.1 ${refusal.status} ${refusal.text}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    wss.handleUpgrade(request, socket, head, (ws) => {
      keepAlive(ws, options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS);
      options.onConnection(ws, request, socket);
    });
  });

  function refuseUpgrade(request: IncomingMessage): { status: number; text: string } | undefined {
    if (shuttingDown || wss.clients.size >= maxConnections) return { status: 503, text: "Service Unavailable" };
    const path = (request.url ?? "/").split("?")[0];
    if (path !== "/") return { status: 404, text: "Not Found" };
    const origin = request.headers.origin;
    if (origin !== undefined && !allowedOrigins.has(origin)) return { status: 403, text: "Forbidden" };
    if (options.connectionToken && !bearerMatches(request.headers.authorization, options.connectionToken)) {
      return { status: 401, text: "Unauthorized" };
    }
    return undefined;
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port, options.host, () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  return {
    url: formatListenUrl(address.address, address.port),
    port: address.port,
    markShuttingDown() {
      shuttingDown = true;
    },
    async close() {
      shuttingDown = true;
      for (const client of wss.clients) client.close(1001, "server shutting down");
      const closed = new Promise<void>((resolve) => server.close(() => resolve()));
      server.closeIdleConnections();
      // A peer that never answers the close handshake must not hold shutdown hostage.
      const force = setTimeout(() => {
        for (const client of wss.clients) client.terminate();
        server.closeAllConnections();
      }, 1000);
      await closed;
      clearTimeout(force);
    },
  };
}

/** Constant-time comparison of an `Authorization: Bearer` header against the expected token. */
function bearerMatches(header: string | undefined, token: string): boolean {
  const match = /^Bearer\s+(.+)$/i.exec(header ?? "");
  if (!match) return false;
  const given = Buffer.from((match[1] as string).trim());
  const expected = Buffer.from(token);
  return given.length === expected.length && timingSafeEqual(given, expected);
}
