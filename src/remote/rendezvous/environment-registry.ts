/**
 * The codex 0.169 registry endpoints of the reference rendezvous (spec UPSTREAM-0.169-REMOTE §1, §3.3,
 * §4.1), next to the seed-era `/cloud/executor/...` ones:
 *
 * | endpoint | auth | answer |
 * |---|---|---|
 * | `POST /cloud/environment/{id}/register` `{security_profile, executor_public_key}` | registry token | `{environment_id, url, security_profile, executor_registration_id}` |
 * | `POST /cloud/environment/{id}/connect` `{harness_public_key}` | harness token | `{environment_id, url, security_profile, executor_registration_id, executor_public_key, harness_key_authorization}` |
 * | `POST /cloud/environment/{id}/validate` `{executor_registration_id, harness_public_key, harness_key_authorization}` | registry token | `{valid}` |
 * | `POST /cloud/environment/{id}/direct/register` `{transport: "direct_jsonrpc_v1"}` | AWS SigV4 (`directCredentials`; none → 501) | `{environment_id, transport, registration_id, url}` (see direct-environments.ts) |
 * | websocket `/cloud-agent/default/ws/environment/{id}?role=environment\|harness\|direct\|direct-harness&...&sig=...` | the signature (+ SigV4 for `direct`) | relay frames; plain JSON-RPC for the direct roles |
 *
 * Auth failures are 401 (no or malformed bearer) and 403 (bearer not accepted). A registration while
 * another registration of the environment has a live executor socket is refused with 503
 * `registration_conflict` (0.169 executors retry it). An executor URL of a superseded registration
 * is refused with 409 (0.169 re-registers after a 4xx). Routing uses its own {@link RendezvousRouter}
 * and reads only frame envelopes: the rendezvous never holds a key and never sees plaintext.
 *
 * State and routing live in an {@link EnvironmentStore}: this process's memory by default, the
 * cluster engine and node links on a cluster node (`cluster/cluster-environments.ts`), where every
 * endpoint and URL works on any node.
 */
import { timingSafeEqual } from "node:crypto";
import type { IncomingMessage, ServerResponse } from "node:http";
import type { Duplex } from "node:stream";
import type { WebSocket, WebSocketServer } from "ws";
import { publicKeyFingerprint, publicKeyFromJson, type HybridPublicKey, type NoisePublicKeyJson } from "../../relay/noise/hybrid-keypair.js";
import { NOISE_SECURITY_PROFILE } from "../../relay/noise/noise-suite.js";
import { keepAlive } from "../../util/websocket-keepalive.js";
import { DirectEnvironments, DirectRefusal } from "./direct-environments.js";
import { EnvironmentUrlSigner } from "./environment-urls.js";
import type { SigV4Credential } from "./sigv4-verifier.js";
import { HarnessKeyAuthorizer } from "./harness-key-authorization.js";
import { LocalEnvironmentStore, type EnvironmentStore } from "./environment-store.js";
import { RendezvousUnavailableError } from "./rendezvous-backend.js";
import type { RendezvousRouter, RendezvousRouterOptions, RouterSocket } from "./rendezvous-router.js";

/** Options of {@link EnvironmentRegistry}. */
export interface EnvironmentRegistryOptions extends RendezvousRouterOptions {
  registryTokens: readonly string[];
  harnessTokens: readonly string[];
  /** HMAC key for URLs and authorizations (the default store's, and the direct transport's). */
  secret: Buffer;
  /** Where registrations live and sockets are routed. Default: this process ({@link LocalEnvironmentStore} with `secret`). */
  store?: EnvironmentStore | undefined;
  /** Lifetime of issued websocket URLs, ms. Default 600 000. */
  urlTtlMs?: number;
  /** Lifetime of a harness key authorization, ms (checked by `/validate` at each handshake). Default 3 600 000. */
  authorizationTtlMs?: number;
  /** Ping interval of environment websockets, ms (0 = off). Default 30 000. */
  pingIntervalMs?: number;
  /** Largest JSON request body, bytes. Default 64 KiB. */
  maxBodyBytes?: number;
  /** AWS credentials accepted for the direct transport's SigV4. Default none: `direct/register` answers 501. */
  directCredentials?: readonly SigV4Credential[] | undefined;
  /** Tests and diagnostics: sees every binary frame routed for an environment, as the rendezvous does. */
  tap?: ((from: "executor" | "harness", environmentId: string, bytes: Uint8Array) => void) | undefined;
}

/** Default of {@link EnvironmentRegistryOptions.authorizationTtlMs}: one hour. */
export const DEFAULT_AUTHORIZATION_TTL_MS = 3_600_000;

class HttpError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

export class EnvironmentRegistry {
  /** Routes environment sockets (separate from the seed-era executor routes: ids never collide). */
  readonly router: RendezvousRouter;
  readonly #options: EnvironmentRegistryOptions;
  readonly #store: EnvironmentStore;
  /** Signers and authorizers per key of the store, current first (rebuilt when the keys change). */
  #keyed: { keys: readonly Buffer[]; signers: EnvironmentUrlSigner[]; authorizers: HarnessKeyAuthorizer[] } = { keys: [], signers: [], authorizers: [] };
  readonly #log: (line: string) => void;
  readonly #direct: DirectEnvironments;

  constructor(options: EnvironmentRegistryOptions) {
    this.#options = options;
    this.#store = options.store ?? new LocalEnvironmentStore(options.secret, options);
    this.router = this.#store.router;
    this.#log = options.log ?? (() => {});
    this.#direct = new DirectEnvironments(options.directCredentials ?? [], new EnvironmentUrlSigner(options.secret), options.urlTtlMs ?? 600_000, this.#log);
  }

  /** The current registration of an environment as this process last saw it (tests, logs). */
  registration(environmentId: string): { registrationId: string; executorKey: HybridPublicKey } | undefined {
    const cached = this.#store.cached(environmentId);
    return cached === undefined ? undefined : { registrationId: cached.registrationId, executorKey: publicKeyFromJson(cached.executorKeyJson) };
  }

  #crypto(): { signers: EnvironmentUrlSigner[]; authorizers: HarnessKeyAuthorizer[] } {
    const keys = this.#store.keys();
    if (keys.length !== this.#keyed.keys.length || keys.some((key, index) => key !== this.#keyed.keys[index])) {
      this.#keyed = { keys: [...keys], signers: keys.map((key) => new EnvironmentUrlSigner(key)), authorizers: keys.map((key) => new HarnessKeyAuthorizer(key)) };
    }
    return this.#keyed;
  }

  #sign(wsBase: string, claims: Parameters<EnvironmentUrlSigner["sign"]>[1]): string {
    return (this.#crypto().signers[0] as EnvironmentUrlSigner).sign(wsBase, claims);
  }

  /** Verifies with every key of the store; anything but a signature mismatch is final. */
  #verify(path: string, nowMs: number): ReturnType<EnvironmentUrlSigner["verify"]> {
    let verdict: ReturnType<EnvironmentUrlSigner["verify"]> = { ok: false, reason: "bad signature" };
    for (const signer of this.#crypto().signers) {
      verdict = signer.verify(path, nowMs);
      if (verdict.ok || verdict.reason !== "bad signature") return verdict;
    }
    return verdict;
  }

  /** Handles `POST /cloud/environment/...`; false when `path` is not one of these endpoints. */
  handleRequest(request: IncomingMessage, response: ServerResponse, path: string, wsBase: string): boolean {
    const match = /^\/cloud\/environment\/([^/]+)\/(register|direct\/register|connect|validate)$/.exec(path);
    if (!match) return false;
    void this.#serve(request, response, match[1] as string, match[2] as string, wsBase, path);
    return true;
  }

  async #serve(request: IncomingMessage, response: ServerResponse, rawId: string, action: string, wsBase: string, rawPath: string): Promise<void> {
    try {
      if (request.method !== "POST") throw new HttpError(405, "method_not_allowed", "use POST");
      let environmentId: string;
      try {
        environmentId = decodeURIComponent(rawId).trim();
      } catch {
        throw new HttpError(400, "bad_environment_id", "malformed environment id");
      }
      if (environmentId === "") throw new HttpError(400, "bad_environment_id", "empty environment id");
      if (action === "direct/register") {
        const raw = await readBody(request, this.#options.maxBodyBytes ?? 64 * 1024);
        return reply(response, 200, this.#direct.register(request, rawPath, raw, environmentId, wsBase));
      }
      this.#authenticate(request, action === "connect" ? this.#options.harnessTokens : this.#options.registryTokens);
      const body = parseJson(await readBody(request, this.#options.maxBodyBytes ?? 64 * 1024));
      const answer =
        action === "register" ? await this.#register(environmentId, body, wsBase) : action === "connect" ? await this.#connect(environmentId, body, wsBase) : await this.#validate(environmentId, body, request);
      reply(response, 200, answer);
    } catch (error) {
      if (error instanceof RendezvousUnavailableError) {
        this.#log(`environment registry: ${error.message}`);
        response.setHeader("retry-after", String(error.retryAfterSeconds));
        return reply(response, 503, { error: { code: error.code, message: error.message } });
      }
      if (error instanceof HttpError || error instanceof DirectRefusal) return reply(response, error.status, { error: { code: error.code, message: error.message } });
      this.#log(`environment registry error: ${error instanceof Error ? error.message : String(error)}`);
      reply(response, 500, { error: { code: "internal", message: "internal error" } });
    }
  }

  #authenticate(request: IncomingMessage, accepted: readonly string[]): void {
    const token = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? "")?.[1];
    if (token === undefined) throw new HttpError(401, "unauthenticated", "missing bearer token");
    if (!accepted.some((candidate) => sameSecret(candidate, token))) throw new HttpError(403, "forbidden", "bearer token not accepted");
  }

  async #register(environmentId: string, body: Record<string, unknown>, wsBase: string) {
    if (body.security_profile !== NOISE_SECURITY_PROFILE) {
      throw new HttpError(400, "unsupported_security_profile", `security_profile must be ${NOISE_SECURITY_PROFILE}`);
    }
    const executorKey = parseKey(body.executor_public_key, "executor_public_key");
    const outcome = await this.#store.register(environmentId, executorKey, body.executor_public_key as NoisePublicKeyJson);
    if (!outcome.ok) {
      // Another registration's executor is connected: refuse, retryably (0.169 backs off and retries).
      throw new HttpError(503, "registration_conflict", `environment ${environmentId} has a connected executor`);
    }
    const { registrationId } = outcome;
    this.#log(`registered environment ${environmentId} (${registrationId}, key ${publicKeyFingerprint(executorKey).slice(0, 16)})`);
    return {
      environment_id: environmentId,
      url: this.#sign(wsBase, { environmentId, role: "environment", registrationId, expiresAtMs: Date.now() + this.#urlTtl() }),
      security_profile: NOISE_SECURITY_PROFILE,
      executor_registration_id: registrationId,
    };
  }

  async #connect(environmentId: string, body: Record<string, unknown>, wsBase: string) {
    const harnessKey = parseKey(body.harness_public_key, "harness_public_key");
    const registration = await this.#store.lookup(environmentId);
    if (registration === undefined) {
      const direct = this.#direct.connect(environmentId, wsBase);
      if (direct !== undefined) return direct;
      throw new HttpError(404, "environment_not_found", `environment ${environmentId} is not registered`);
    }
    if (!registration.executorAttached) {
      throw new HttpError(503, "environment_unavailable", `the executor of environment ${environmentId} is not connected`);
    }
    const now = Date.now();
    return {
      environment_id: environmentId,
      url: this.#sign(wsBase, { environmentId, role: "harness", registrationId: "", expiresAtMs: now + this.#urlTtl() }),
      security_profile: NOISE_SECURITY_PROFILE,
      executor_registration_id: registration.registrationId,
      executor_public_key: registration.executorKeyJson,
      harness_key_authorization: (this.#crypto().authorizers[0] as HarnessKeyAuthorizer).issue({
        environmentId,
        registrationId: registration.registrationId,
        harnessKeyFingerprint: publicKeyFingerprint(harnessKey),
        expiresAtMs: now + (this.#options.authorizationTtlMs ?? DEFAULT_AUTHORIZATION_TTL_MS),
      }),
    };
  }

  async #validate(environmentId: string, body: Record<string, unknown>, request: IncomingMessage) {
    const streamId = String(request.headers["x-codex-noise-stream-id"] ?? "?");
    const harnessKey = parseKey(body.harness_public_key, "harness_public_key");
    const registrationId = body.executor_registration_id;
    const token = body.harness_key_authorization;
    if (typeof registrationId !== "string" || typeof token !== "string") {
      throw new HttpError(400, "bad_request", "executor_registration_id and harness_key_authorization must be strings");
    }
    const current = await this.#store.lookup(environmentId);
    const verdict =
      current === undefined || current.registrationId !== registrationId
        ? ({ ok: false, reason: "not the current registration" } as const)
        : this.#checkAuthorization(token, { environmentId, registrationId, harnessKeyFingerprint: publicKeyFingerprint(harnessKey) });
    this.#log(`validate ${environmentId} stream ${streamId}: ${verdict.ok ? "valid" : `invalid (${verdict.reason})`}`);
    return { valid: verdict.ok };
  }

  /** Checks with every key of the store (an authorization issued before the cluster's key changed stays valid). */
  #checkAuthorization(token: string, claims: Parameters<HarnessKeyAuthorizer["check"]>[1]): ReturnType<HarnessKeyAuthorizer["check"]> {
    let verdict: ReturnType<HarnessKeyAuthorizer["check"]> = { ok: false, reason: "no key" };
    for (const authorizer of this.#crypto().authorizers) {
      verdict = authorizer.check(token, claims, Date.now());
      if (verdict.ok) return verdict;
    }
    return verdict;
  }

  #urlTtl(): number {
    return this.#options.urlTtlMs ?? 600_000;
  }

  /** Takes over the upgrade of an environment websocket; false when the path is not one. */
  handleUpgrade(request: IncomingMessage, socket: Duplex, head: Buffer, wss: WebSocketServer): boolean {
    const path = request.url ?? "/";
    if (!EnvironmentUrlSigner.matches(path)) return false;
    const verdict = this.#verify(path, Date.now());
    if (!verdict.ok) {
      this.#log(`refused environment websocket: ${verdict.reason}`);
      // An executor's own URL that expired: 409, so it registers again (0.169 does on a 4xx; direct only on 409).
      const executorUrl = verdict.expired === true && (verdict.role === "environment" || verdict.role === "direct");
      socket.end(executorUrl ? "HTTP/1.1 409 Conflict\r\nconnection: close\r\ncontent-length: 0\r\n\r\n" : "HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
      return true;
    }
    const { environmentId, role, registrationId } = verdict.claims;
    if (role === "direct" || role === "direct-harness") {
      const refusal = this.#direct.checkUpgrade(role, environmentId, registrationId, request);
      if (refusal !== undefined) {
        socket.end(`HTTP/1.1 ${refusal} ${refusal === 401 ? "Unauthorized" : refusal === 409 ? "Conflict" : "Service Unavailable"}\r\nconnection: close\r\ncontent-length: 0\r\n\r\n`);
        return true;
      }
      wss.handleUpgrade(request, socket, head, (ws) => {
        keepAlive(ws, this.#options.pingIntervalMs ?? 30_000);
        if (role === "direct") this.#direct.attachExecutor(environmentId, ws);
        else this.#direct.attachHarness(environmentId, ws);
      });
      return true;
    }
    const upgrade = () =>
      wss.handleUpgrade(request, socket, head, (ws) => {
        keepAlive(ws, this.#options.pingIntervalMs ?? 30_000);
        if (role === "environment") this.#serveExecutor(environmentId, registrationId, ws);
        else this.#serveHarness(environmentId, ws);
      });
    if (role !== "environment") {
      upgrade();
      return true;
    }
    this.#store.lookup(environmentId).then(
      (current) => {
        if (socket.destroyed) return;
        if (current?.registrationId !== registrationId) {
          this.#log(`refused executor websocket of superseded registration ${registrationId}`);
          socket.end("HTTP/1.1 409 Conflict\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
          return;
        }
        upgrade();
      },
      (error: unknown) => {
        // The store cannot answer now (a cluster engine outage): the executor redials after a 5xx.
        this.#log(`refused executor websocket for now: ${error instanceof Error ? error.message : String(error)}`);
        socket.end("HTTP/1.1 503 Service Unavailable\r\nconnection: close\r\nretry-after: 1\r\ncontent-length: 0\r\n\r\n");
      },
    );
    return true;
  }

  #serveExecutor(environmentId: string, registrationId: string, ws: WebSocket): void {
    const socket = routerSocket(ws);
    this.#store.attachExecutor(environmentId, registrationId, socket);
    ws.on("message", (data, isBinary) => {
      if (!isBinary) return;
      const bytes = toBytes(data);
      this.#options.tap?.("executor", environmentId, bytes);
      this.#store.fromExecutor(environmentId, socket, bytes);
    });
    ws.on("close", () => this.#store.detachExecutor(environmentId, socket));
    ws.on("error", (error) => this.#log(`environment ${environmentId} socket error: ${error.message}`));
  }

  #serveHarness(environmentId: string, ws: WebSocket): void {
    const socket = routerSocket(ws);
    if (!this.#store.attachHarness(environmentId, socket)) {
      ws.close(1013, "too many harness sockets for this environment");
      return;
    }
    ws.on("message", (data, isBinary) => {
      if (!isBinary) return;
      const bytes = toBytes(data);
      this.#options.tap?.("harness", environmentId, bytes);
      this.#store.fromHarness(environmentId, socket, bytes);
    });
    ws.on("close", () => this.#store.detachHarness(environmentId, socket));
    ws.on("error", (error) => this.#log(`harness socket error: ${error.message}`));
  }

  close(): void {
    this.#store.close();
  }
}

function parseKey(value: unknown, field: string): HybridPublicKey {
  try {
    return publicKeyFromJson(value);
  } catch (error) {
    throw new HttpError(400, "bad_public_key", `${field}: ${(error as Error).message}`);
  }
}

async function readBody(request: IncomingMessage, limit: number): Promise<Buffer> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of request as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > limit) throw new HttpError(413, "body_too_large", `request body over ${limit} bytes`);
    chunks.push(chunk);
  }
  return Buffer.concat(chunks);
}

function parseJson(body: Buffer): Record<string, unknown> {
  let parsed: unknown;
  try {
    parsed = JSON.parse(body.toString("utf8"));
  } catch {
    throw new HttpError(400, "bad_json", "request body must be JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw new HttpError(400, "bad_json", "request body must be a JSON object");
  return parsed as Record<string, unknown>;
}

function reply(response: ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, { "content-type": "application/json", "content-length": Buffer.byteLength(text) });
  response.end(text);
}

function routerSocket(ws: WebSocket): RouterSocket {
  return {
    send: (bytes) => {
      if (ws.readyState === ws.OPEN) ws.send(bytes, { binary: true });
    },
    close: (code, reason) => ws.close(code, reason),
  };
}

function toBytes(data: Buffer | ArrayBuffer | Buffer[]): Uint8Array {
  if (Array.isArray(data)) return Buffer.concat(data);
  return data instanceof ArrayBuffer ? new Uint8Array(data) : data;
}

function sameSecret(expected: string, given: string): boolean {
  const a = Buffer.from(expected);
  const b = Buffer.from(given);
  return a.length === b.length && timingSafeEqual(a, b);
}
