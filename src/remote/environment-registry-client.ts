/**
 * Client of the codex 0.169 environment registry (spec UPSTREAM-0.169-REMOTE §1.1, §1.4, §3.3, §4.1):
 * `register` (executor), `connect` (harness) and `validate` (executor, per handshake). Bearer tokens
 * go only into the `Authorization` header; they are never part of an error message or a log line.
 */
import { publicKeyFromJson, publicKeyToJson, type HybridPublicKey } from "../relay/noise/hybrid-keypair.js";
import { NOISE_SECURITY_PROFILE } from "../relay/noise/noise-suite.js";
import { redactToken, registryPost } from "./registry-post.js";

/**
 * How a registry call failed: `auth` (401/403, fatal), `conflict` (503 registration_conflict, retry),
 * `request` (other status), `network`, `response` (bad body), `direct` (`/connect` answered with a
 * direct-transport environment: see {@link DirectEnvironmentAnswer}).
 */
export type EnvironmentRegistryErrorKind = "auth" | "conflict" | "request" | "network" | "response" | "direct";

export class EnvironmentRegistryError extends Error {
  override readonly name = "EnvironmentRegistryError";
  constructor(
    readonly kind: EnvironmentRegistryErrorKind,
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
  }

  /** Worth retrying later (a conflict, a network error, a 5xx or 429); auth failures and 4xx are not. */
  get retryable(): boolean {
    return this.kind === "conflict" || this.kind === "network" || (this.kind === "request" && (this.status === 429 || (this.status ?? 0) >= 500));
  }
}

/** Where and as whom to call the registry. */
export interface EnvironmentRegistryTarget {
  /** Registry base URL (`--remote`); trailing slashes are ignored. */
  readonly baseUrl: string;
  /** Used verbatim in the path (0.169 neither escapes nor validates it; we escape it). */
  readonly environmentId: string;
  /** Bearer token. */
  readonly token: string;
  /** Sent as `chatgpt-account-id` when set (0.169 harness: `CODEX_EXEC_SERVER_NOISE_CHATGPT_ACCOUNT_ID`). */
  readonly accountId?: string;
  /** Request timeout, ms. Default 10 000 (0.169). */
  readonly timeoutMs?: number;
  /** Extra CA (PEM) for an https registry. */
  readonly ca?: string | Buffer | undefined;
}

/**
 * `/connect` found a **direct** environment (codex 0.169 `direct_jsonrpc_v1`): no Noise; the harness
 * speaks plain JSON-RPC text frames on `url` (a capability URL, dialled with no credential).
 */
export class DirectEnvironmentAnswer extends EnvironmentRegistryError {
  constructor(readonly url: string) {
    super("direct", 200, "the environment uses the direct transport");
  }
}

/** The registry's answer to an executor registration. */
export interface EnvironmentRegistration {
  readonly environmentId: string;
  /** Signed websocket URL for the executor (opaque). */
  readonly url: string;
  readonly registrationId: string;
}

/** The registry's answer to a harness: everything needed to open Noise streams to the executor. */
export interface EnvironmentConnection {
  readonly environmentId: string;
  /** Signed websocket URL for the harness (opaque). */
  readonly url: string;
  readonly registrationId: string;
  readonly executorKey: HybridPublicKey;
  readonly authorization: string;
}

/** `POST {base}/cloud/environment/{id}/register` with the executor's public key. */
export async function registerEnvironment(target: EnvironmentRegistryTarget, executorKey: HybridPublicKey): Promise<EnvironmentRegistration> {
  const body = { security_profile: NOISE_SECURITY_PROFILE, executor_public_key: publicKeyToJson(executorKey) };
  const record = await call(target, "register", body, "environment registry executor registration failed");
  const environmentId = field(record, "environment_id");
  if (environmentId !== target.environmentId) throw responseError(`environment_id ${JSON.stringify(environmentId)} does not match the requested ${JSON.stringify(target.environmentId)}`);
  if (record.security_profile !== NOISE_SECURITY_PROFILE) throw responseError("unsupported security profile");
  return { environmentId, url: wsUrl(record), registrationId: field(record, "executor_registration_id") };
}

/** `POST {base}/cloud/environment/{id}/connect` with the harness's public key. */
export async function connectEnvironment(target: EnvironmentRegistryTarget, harnessKey: HybridPublicKey): Promise<EnvironmentConnection> {
  const record = await call(target, "connect", { harness_public_key: publicKeyToJson(harnessKey) }, "environment registry harness connection failed");
  if (record.transport === "direct_jsonrpc_v1") throw new DirectEnvironmentAnswer(wsUrl(record));
  const environmentId = field(record, "environment_id");
  if (environmentId !== target.environmentId) throw responseError(`environment_id ${JSON.stringify(environmentId)} does not match the requested ${JSON.stringify(target.environmentId)}`);
  if (record.security_profile !== NOISE_SECURITY_PROFILE) throw responseError("unsupported security profile");
  let executorKey: HybridPublicKey;
  try {
    executorKey = publicKeyFromJson(record.executor_public_key);
  } catch (error) {
    throw responseError(`executor_public_key: ${(error as Error).message}`);
  }
  return { environmentId, url: wsUrl(record), registrationId: field(record, "executor_registration_id"), executorKey, authorization: field(record, "harness_key_authorization") };
}

/** What `/validate` said: 200 `{valid: true}`; 401 → `rejected` (our credentials); anything else → `invalid`. */
export async function validateHarnessKey(
  target: EnvironmentRegistryTarget,
  request: { registrationId: string; harnessKey: HybridPublicKey; authorization: string; streamId: string },
): Promise<"valid" | "invalid" | "rejected"> {
  try {
    const record = await call(
      target,
      "validate",
      { executor_registration_id: request.registrationId, harness_public_key: publicKeyToJson(request.harnessKey), harness_key_authorization: request.authorization },
      "environment registry validation failed",
      { "x-codex-noise-stream-id": request.streamId },
    );
    return record.valid === true ? "valid" : "invalid";
  } catch (error) {
    if (error instanceof EnvironmentRegistryError && error.kind === "auth" && error.status === 401) return "rejected";
    throw error;
  }
}

async function call(
  target: EnvironmentRegistryTarget,
  action: string,
  body: unknown,
  what: string,
  extraHeaders: Record<string, string> = {},
): Promise<Record<string, unknown>> {
  const url = `${target.baseUrl.replace(/\/+$/, "")}/cloud/environment/${encodeURIComponent(target.environmentId)}/${action}`;
  const headers: Record<string, string> = {
    "content-type": "application/json",
    authorization: `Bearer ${target.token}`,
    ...(target.accountId ? { "chatgpt-account-id": target.accountId } : {}),
    ...extraHeaders,
  };
  let response: { status: number; body: string };
  try {
    response = await registryPost(url, { headers, body: JSON.stringify(body), timeoutMs: target.timeoutMs, ca: target.ca });
  } catch (error) {
    throw new EnvironmentRegistryError("network", undefined, `environment registry request failed: ${redactToken(error instanceof Error ? error.message : String(error), target.token)}`);
  }
  const { status } = response;
  if (status === 401 || status === 403) {
    // 0.169 omits the body here; so do we (a registry might echo credentials).
    throw new EnvironmentRegistryError("auth", status, `environment registry authentication failed (${status}): response body omitted`);
  }
  if (status < 200 || status > 299) {
    const code = errorCode(response.body);
    if (status === 503 && code === "registration_conflict") {
      throw new EnvironmentRegistryError("conflict", status, `environment registry request failed (503, registration_conflict): ${what}`);
    }
    throw new EnvironmentRegistryError("request", status, `environment registry request failed (${status}${code ? `, ${code}` : ""}): ${what}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(response.body);
  } catch {
    throw responseError("invalid JSON");
  }
  if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) throw responseError("not a JSON object");
  return parsed as Record<string, unknown>;
}

function field(record: Record<string, unknown>, name: string): string {
  const value = record[name];
  if (typeof value !== "string" || value === "") throw responseError(`${name} must be a non-empty string`);
  return value;
}

function wsUrl(record: Record<string, unknown>): string {
  const url = field(record, "url");
  if (!/^wss?:\/\//.test(url)) throw responseError("url must be ws:// or wss://");
  return url;
}

function responseError(detail: string): EnvironmentRegistryError {
  return new EnvironmentRegistryError("response", 200, `environment registry returned incomplete connection data: ${detail}`);
}

function errorCode(body: string): string | undefined {
  try {
    const code = (JSON.parse(body) as { error?: { code?: unknown } }).error?.code;
    return typeof code === "string" ? code : undefined;
  } catch {
    return undefined;
  }
}
