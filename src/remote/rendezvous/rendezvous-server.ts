import { randomBytes, timingSafeEqual } from "node:crypto";
import { createServer as createHttpServer, type IncomingMessage, type ServerResponse } from "node:http";
import { createServer as createHttpsServer } from "node:https";
import { isIP, type AddressInfo } from "node:net";
import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import { WebSocketServer } from "../../util/ws-classes.js";
import { EnvironmentRegistry, type EnvironmentRegistryOptions } from "./environment-registry.js";
import type { RendezvousRouter, RendezvousRouterOptions, RouterSocket } from "./rendezvous-router.js";
import { LocalBackend, RendezvousUnavailableError, type RendezvousBackend } from "./rendezvous-backend.js";
import { UrlSigner, type RendezvousRole } from "./url-signer.js";
import { DEFAULT_PING_INTERVAL_MS, keepAlive } from "../../util/websocket-keepalive.js";

/** Options of {@link startRendezvous}; every limit has a documented default. */
export interface RendezvousOptions extends RendezvousRouterOptions {
  /** IP address to bind. Default 127.0.0.1. */
  host?: string;
  /** TCP port; 0 lets the OS choose. Default 0. */
  port?: number;
  /** Bearer tokens accepted by `POST /cloud/executor/{id}/register`. At least one is required. */
  registryTokens: readonly string[];
  /** Bearer tokens accepted by `POST /cloud/executor/{id}/harness`. Default: the registry tokens. */
  harnessTokens?: readonly string[];
  /** HMAC key for signed URLs. Default: 32 random bytes per process (URLs die with the process). */
  signingSecret?: Buffer;
  /** Lifetime of an issued URL, in ms; checked when the websocket connects. Default 600 000 (10 min). */
  urlTtlMs?: number;
  /** Largest websocket message in bytes; larger ones close that socket with 1009. Default 80 MiB (a legacy peer's whole 64 MiB message plus base64 overhead). */
  maxMessageBytes?: number;
  /** Serve https/wss with this PEM certificate and key. Default: plain http/ws. */
  tls?: { cert: string | Buffer; key: string | Buffer } | undefined;
  /** Base URL to put in issued URLs (behind a proxy). Default: the bound address. */
  publicBaseUrl?: string;
  /** Ping interval in ms for executor and harness sockets; a peer that misses a pong is dropped. 0 disables. Default 30 000. */
  pingIntervalMs?: number;
  /**
   * What routes and signs behind the HTTP front end. Default: the embedded single-process backend
   * (an in-memory router, `signingSecret`). A cluster node passes its own (`cluster/`).
   */
  backend?: (routerOptions: RendezvousRouterOptions) => RendezvousBackend;
  /** Lifetime of a codex-0.169 `harness_key_authorization`, ms. Default 3 600 000 (see environment-registry.ts). */
  authorizationTtlMs?: number;
  /** Tests and diagnostics: every binary frame routed for a 0.169 environment (see environment-registry.ts). */
  tap?: EnvironmentRegistryOptions["tap"] | undefined;
  /** AWS access keys accepted for codex 0.169's direct transport (SigV4). Default none: `direct/register` answers 501. */
  directCredentials?: EnvironmentRegistryOptions["directCredentials"];
}

/** A running reference rendezvous + registry. */
export interface Rendezvous {
  /** `http(s)://IP:PORT`: the registry base URL executors pass to `--remote`. */
  readonly baseUrl: string;
  readonly router: RendezvousRouter;
  readonly backend: RendezvousBackend;
  /** The codex 0.169 endpoints (`/cloud/environment/...`) and their own router (on a cluster node, backed by the cluster). */
  readonly environments: EnvironmentRegistry;
  /** Issues a signed `role=harness` URL for `executorId` (what the harness endpoint returns). */
  harnessUrl(executorId: string): string;
  close(): Promise<void>;
}

/** Default for {@link RendezvousOptions.urlTtlMs}. */
export const DEFAULT_URL_TTL_MS = 600_000;
/** Default for {@link RendezvousOptions.maxMessageBytes}. */
export const DEFAULT_RENDEZVOUS_MAX_MESSAGE_BYTES = 80 * 1024 * 1024;

/**
 * The reference rendezvous and executor registry (CONTRACT §6), so the whole remote path runs on one
 * machine: `POST /cloud/executor/{id}/register` (executor URL), `POST /cloud/executor/{id}/harness`
 * (harness URL), `GET /readyz`, and the websocket endpoint `/executor/{id}?role=...&exp=...&sig=...`.
 */
export async function startRendezvous(options: RendezvousOptions): Promise<Rendezvous> {
  if (options.registryTokens.length === 0 || options.registryTokens.some((token) => token === "")) {
    throw new Error("the rendezvous needs at least one non-empty registry token");
  }
  const secret = options.signingSecret ?? randomBytes(32);
  const urlTtlMs = options.urlTtlMs ?? DEFAULT_URL_TTL_MS;
  const backend: RendezvousBackend = options.backend?.(options) ?? new LocalBackend(options, new UrlSigner(secret));
  const router = backend.router;
  const log = options.log ?? (() => {});
  const harnessTokens = options.harnessTokens ?? options.registryTokens;
  const store = backend.environmentStore?.(options);
  const environments = new EnvironmentRegistry({ ...options, harnessTokens, secret: store?.keys()[0] ?? secret, urlTtlMs, store });
  const wss = new WebSocketServer({
    noServer: true,
    maxPayload: options.maxMessageBytes ?? DEFAULT_RENDEZVOUS_MAX_MESSAGE_BYTES,
    perMessageDeflate: false,
  });
  let wsBase = "";
  let httpBase = "";

  const issue = (executorId: string, role: RendezvousRole) =>
    backend.sign(wsBase, { executorId, role, expiresAtMs: Date.now() + urlTtlMs });

  const onRequest = (request: IncomingMessage, response: ServerResponse) => {
    const path = (request.url ?? "/").split("?")[0] ?? "/";
    if (request.method === "GET" && path === "/readyz") {
      const readiness = backend.readiness();
      return reply(response, readiness.ready ? 200 : 503, readiness.detail === undefined ? undefined : { ready: readiness.ready, detail: readiness.detail });
    }
    if (environments.handleRequest(request, response, path, wsBase)) return;
    if (request.method === "GET" && path === "/status") {
      const token = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? "")?.[1]?.trim();
      if (token === undefined) return reply(response, 401, { error: { code: "unauthenticated", message: "missing bearer token" } });
      if (!options.registryTokens.some((candidate) => sameSecret(candidate, token))) {
        return reply(response, 403, { error: { code: "forbidden", message: "bearer token not accepted" } });
      }
      void backend.status().then(
        (status) => reply(response, 200, status),
        (error: unknown) => reply(response, 503, { error: { code: "status_unavailable", message: error instanceof Error ? error.message : String(error) } }),
      );
      return;
    }
    const match = /^\/cloud\/executor\/([^/]+)\/(register|harness)$/.exec(path);
    if (!match) return reply(response, 404, { error: { code: "not_found", message: `no route for ${request.method} ${path}` } });
    if (request.method !== "POST") return reply(response, 405, { error: { code: "method_not_allowed", message: "use POST" } });
    let executorId: string;
    try {
      executorId = decodeURIComponent(match[1] as string);
    } catch {
      return reply(response, 400, { error: { code: "bad_executor_id", message: "malformed executor id" } });
    }
    const role: RendezvousRole = match[2] === "register" ? "executor" : "harness";
    const accepted = role === "executor" ? options.registryTokens : harnessTokens;
    const token = /^Bearer\s+(.+)$/i.exec(request.headers.authorization ?? "")?.[1]?.trim();
    if (token === undefined) return reply(response, 401, { error: { code: "unauthenticated", message: "missing bearer token" } });
    if (!accepted.some((candidate) => sameSecret(candidate, token))) {
      return reply(response, 403, { error: { code: "forbidden", message: "bearer token not accepted" } });
    }
    request.resume();
    if (role === "harness") return reply(response, 200, { executor_id: executorId, url: issue(executorId, role) });
    backend.register(executorId, executorName(request.headers["x-executor-name"])).then(
      () => {
        log(`registered executor ${executorId}`);
        reply(response, 200, { executor_id: executorId, url: issue(executorId, role) });
      },
      (error: unknown) => {
        if (error instanceof RendezvousUnavailableError) {
          log(`refused registration of ${executorId}: ${error.message}`);
          response.setHeader("retry-after", String(error.retryAfterSeconds));
          return reply(response, 503, { error: { code: error.code, message: error.message } });
        }
        reply(response, 500, { error: { code: "internal", message: error instanceof Error ? error.message : String(error) } });
      },
    );
  };

  const server = options.tls ? createHttpsServer({ cert: options.tls.cert, key: options.tls.key }, onRequest) : createHttpServer(onRequest);

  server.on("upgrade", (request: IncomingMessage, socket: Duplex, head: Buffer) => {
    if (environments.handleUpgrade(request, socket, head, wss)) return;
    if (backend.upgrade?.(request, socket, head)) return;
    const verdict = backend.verify(request.url ?? "/", Date.now());
    if (!verdict.ok) {
      log(`refused websocket: ${verdict.reason}`);
      socket.end(`HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
      return;
    }
    const { executorId, role } = verdict.claims;
    wss.handleUpgrade(request, socket, head, (ws) => {
      keepAlive(ws, options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS);
      if (role === "executor") serveExecutor(executorId, ws);
      else serveHarness(executorId, ws);
    });
  });

  function routerSocket(ws: WebSocket): RouterSocket {
    return {
      send: (bytes) => {
        if (ws.readyState === ws.OPEN) ws.send(bytes, { binary: true });
      },
      close: (code, reason) => ws.close(code, reason),
    };
  }

  function serveExecutor(executorId: string, ws: WebSocket): void {
    const socket = routerSocket(ws);
    backend.attachExecutor(executorId, socket);
    ws.on("message", (data, isBinary) => {
      if (!isBinary) return log("dropped text frame from executor (relay frames are binary)");
      backend.fromExecutor(executorId, socket, toBytes(data));
    });
    ws.on("close", () => backend.detachExecutor(executorId, socket));
    ws.on("error", (error) => log(`executor ${executorId} socket error: ${error.message}`));
  }

  function serveHarness(executorId: string, ws: WebSocket): void {
    const socket = routerSocket(ws);
    if (!backend.attachHarness(executorId, socket)) {
      ws.close(1013, "too many harness sockets for this executor");
      return;
    }
    ws.on("message", (data, isBinary) => {
      if (!isBinary) return log("dropped text frame from harness (relay frames are binary)");
      backend.fromHarness(executorId, socket, toBytes(data));
    });
    ws.on("close", () => backend.detachHarness(executorId, socket));
    ws.on("error", (error) => log(`harness socket error: ${error.message}`));
  }

  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(options.port ?? 0, options.host ?? "127.0.0.1", () => {
      server.off("error", reject);
      resolve();
    });
  });
  const address = server.address() as AddressInfo;
  const hostPart = isIP(address.address) === 6 ? `[${address.address}]` : address.address;
  httpBase = options.publicBaseUrl?.replace(/\/+$/, "") ?? `${options.tls ? "https" : "http"}://${hostPart}:${address.port}`;
  wsBase = httpBase.replace(/^http/, "ws");
  try {
    await backend.start?.({ publicBaseUrl: httpBase, boundBaseUrl: `${options.tls ? "https" : "http"}://${hostPart}:${address.port}` });
  } catch (error) {
    await backend.close();
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
    throw error;
  }

  return {
    baseUrl: httpBase,
    router,
    backend,
    environments,
    harnessUrl: (executorId) => issue(executorId, "harness"),
    async close() {
      await backend.close();
      environments.close();
      for (const client of wss.clients) client.terminate();
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      });
    },
  };
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  const text = body === undefined ? "" : JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

/** The optional `x-executor-name` header (URI-encoded by our executor), at most 256 characters. */
function executorName(header: string | string[] | undefined): string | undefined {
  if (typeof header !== "string" || header === "") return undefined;
  try {
    return decodeURIComponent(header).slice(0, 256);
  } catch {
    return header.slice(0, 256);
  }
}

function sameSecret(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}

function toBytes(data: Buffer | ArrayBuffer | Buffer[]): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}
