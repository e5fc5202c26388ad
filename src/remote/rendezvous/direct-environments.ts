/**
 * codex 0.169's **direct** transport in the reference rendezvous (spec UPSTREAM-0.169-REMOTE §1.2,
 * §2.1–2.2): an executor registers with `POST /cloud/environment/{id}/direct/register`
 * `{"transport":"direct_jsonrpc_v1"}` signed with AWS SigV4, dials the returned URL (SigV4 again) and
 * serves ONE plain JSON-RPC session on it, the rendezvous side being the client. Here that client
 * is a harness: `/connect` on a direct environment answers `{environment_id, transport, url}` and
 * the harness's websocket is paired with the executor's, messages passed through verbatim (text
 * stays text). When the harness leaves, the executor's socket is closed so it redials for the next
 * one. No end-to-end encryption: the rendezvous sees the JSON-RPC traffic (that is the transport).
 */
import { randomUUID } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { WebSocket } from "ws";
import type { EnvironmentUrlSigner } from "./environment-urls.js";
import { verifySigV4, type SigV4Credential } from "./sigv4-verifier.js";

/** The transport name 0.169 sends and expects back. */
export const DIRECT_TRANSPORT = "direct_jsonrpc_v1";

/** A refusal with an HTTP status and an error code (the registry replies `{error: {code, message}}`). */
export class DirectRefusal extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
  ) {
    super(message);
  }
}

interface DirectEnvironment {
  registrationId: string;
  /** The executor socket waiting for a harness, or serving one. */
  executor: WebSocket | undefined;
  harness: WebSocket | undefined;
}

export class DirectEnvironments {
  readonly #credentials: readonly SigV4Credential[];
  readonly #signer: EnvironmentUrlSigner;
  readonly #urlTtlMs: number;
  readonly #log: (line: string) => void;
  readonly #environments = new Map<string, DirectEnvironment>();

  constructor(credentials: readonly SigV4Credential[], signer: EnvironmentUrlSigner, urlTtlMs: number, log: (line: string) => void) {
    this.#credentials = credentials;
    this.#signer = signer;
    this.#urlTtlMs = urlTtlMs;
    this.#log = log;
  }

  /** True when direct registration is configured (at least one SigV4 credential). */
  get enabled(): boolean {
    return this.#credentials.length > 0;
  }

  has(environmentId: string): boolean {
    return this.#environments.has(environmentId);
  }

  /** `POST …/direct/register`: checks SigV4 over the exact request and answers 0.169's shape. */
  register(request: IncomingMessage, rawPath: string, body: Buffer, environmentId: string, wsBase: string) {
    if (!this.enabled) throw new DirectRefusal(501, "direct_transport_unsupported", "direct registration is not configured on this rendezvous (no SigV4 credentials)");
    const verdict = verifySigV4({ method: request.method ?? "POST", path: rawPath, query: "", headers: request.headers, body }, this.#credentials);
    if (!verdict.ok) {
      this.#log(`refused direct registration of ${environmentId}: ${verdict.reason}`);
      throw new DirectRefusal(401, "unauthenticated", "AWS SigV4 authentication failed");
    }
    let parsed: unknown;
    try {
      parsed = JSON.parse(body.toString("utf8"));
    } catch {
      throw new DirectRefusal(400, "bad_json", "request body must be JSON");
    }
    if ((parsed as { transport?: unknown } | null)?.transport !== DIRECT_TRANSPORT) throw new DirectRefusal(400, "unsupported_transport", `transport must be ${DIRECT_TRANSPORT}`);
    const existing = this.#environments.get(environmentId);
    if (existing?.executor !== undefined) throw new DirectRefusal(503, "registration_conflict", `environment ${environmentId} has a connected executor`);
    const registrationId = `direct-${randomUUID()}`;
    this.#environments.set(environmentId, { registrationId, executor: undefined, harness: undefined });
    this.#log(`registered direct environment ${environmentId} (${registrationId}, key ${verdict.accessKeyId})`);
    return {
      environment_id: environmentId,
      transport: DIRECT_TRANSPORT,
      registration_id: registrationId,
      url: this.#signer.sign(wsBase, { environmentId, role: "direct", registrationId, expiresAtMs: Date.now() + this.#urlTtlMs }),
    };
  }

  /** `/connect` on a direct environment: a harness URL, or 503 while no executor waits. */
  connect(environmentId: string, wsBase: string) {
    const environment = this.#environments.get(environmentId);
    if (environment === undefined) return undefined;
    if (environment.executor === undefined || environment.harness !== undefined) {
      throw new DirectRefusal(503, "environment_unavailable", `the direct executor of environment ${environmentId} is not connected or is serving another harness`);
    }
    return {
      environment_id: environmentId,
      transport: DIRECT_TRANSPORT,
      url: this.#signer.sign(wsBase, { environmentId, role: "direct-harness", registrationId: environment.registrationId, expiresAtMs: Date.now() + this.#urlTtlMs }),
    };
  }

  /** The HTTP status to refuse an upgrade with, or undefined to accept it. */
  checkUpgrade(role: "direct" | "direct-harness", environmentId: string, registrationId: string, request: IncomingMessage): number | undefined {
    const environment = this.#environments.get(environmentId);
    if (environment === undefined || environment.registrationId !== registrationId) return 409;
    if (role === "direct") {
      const path = (request.url ?? "/").split("?");
      const verdict = verifySigV4({ method: "GET", path: path[0] ?? "/", query: path[1] ?? "", headers: request.headers, body: new Uint8Array(0) }, this.#credentials);
      if (!verdict.ok) {
        this.#log(`refused direct executor websocket of ${environmentId}: ${verdict.reason}`);
        return 401;
      }
      return environment.executor === undefined ? undefined : 409;
    }
    return environment.executor === undefined || environment.harness !== undefined ? 503 : undefined;
  }

  /** An accepted executor socket: it waits for a harness. */
  attachExecutor(environmentId: string, ws: WebSocket): void {
    const environment = this.#environments.get(environmentId);
    if (environment === undefined) return void ws.close(1011, "environment unknown");
    environment.executor = ws;
    ws.on("message", (data, isBinary) => {
      if (environment.harness?.readyState === environment.harness?.OPEN) environment.harness?.send(data as Buffer, { binary: isBinary });
    });
    ws.on("close", () => {
      if (environment.executor === ws) environment.executor = undefined;
      environment.harness?.close(1011, "executor disconnected");
    });
    ws.on("error", (error) => this.#log(`direct executor ${environmentId} socket error: ${error.message}`));
  }

  /** An accepted harness socket, paired with the waiting executor. */
  attachHarness(environmentId: string, ws: WebSocket): void {
    const environment = this.#environments.get(environmentId);
    const executor = environment?.executor;
    if (environment === undefined || executor === undefined || environment.harness !== undefined) return void ws.close(1013, "no direct executor available");
    environment.harness = ws;
    ws.on("message", (data, isBinary) => {
      if (executor.readyState === executor.OPEN) executor.send(data as Buffer, { binary: isBinary });
    });
    ws.on("close", () => {
      if (environment.harness === ws) environment.harness = undefined;
      // One session per executor socket: closing it makes the executor redial for the next harness.
      executor.close(1000, "harness left");
    });
    ws.on("error", (error) => this.#log(`direct harness socket error: ${error.message}`));
  }
}
