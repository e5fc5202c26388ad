import { redactToken, registryPost } from "./registry-post.js";

/** What the executor registry returns for a registration (CONTRACT §6). */
export interface ExecutorRegistration {
  executorId: string;
  /** Signed rendezvous websocket URL with `role=executor`. */
  url: string;
}

/** A registry failure. `auth` errors (401/403) may be retried once after refreshing the credential. */
export class RegistryError extends Error {
  override readonly name = "RegistryError";
  constructor(
    readonly kind: "auth" | "request" | "network" | "response",
    readonly status: number | undefined,
    message: string,
  ) {
    super(message);
  }
}

/** Longest registry body quoted in an error message, in characters (CONTRACT §6). */
export const ERROR_BODY_PREVIEW_CHARS = 4096;

/** Options of {@link registerExecutor}. */
export interface RegisterExecutorOptions {
  /** Registry base URL, e.g. `http://127.0.0.1:8080` (a trailing slash is ignored). */
  baseUrl: string;
  executorId: string;
  /** Bearer token; sent only in the `Authorization` header and never included in errors. */
  token: string;
  /** Request timeout in ms. Default 10 000. */
  timeoutMs?: number;
  /** Extra CA certificate (PEM) to trust for an https registry (a self-signed reference rendezvous). */
  ca?: string | Buffer | undefined;
  /** Executor display name, sent as `x-executor-name` (our rendezvous shows it in its status; the contract has no body). Default none. */
  name?: string;
}

/**
 * `POST {base}/cloud/executor/{id}/register` with `Authorization: Bearer <token>` and no body.
 * Resolves to `{executorId, url}`; rejects with a {@link RegistryError} carrying the contract's text.
 */
export async function registerExecutor(options: RegisterExecutorOptions): Promise<ExecutorRegistration> {
  const base = options.baseUrl.replace(/\/+$/, "");
  const endpoint = `${base}/cloud/executor/${encodeURIComponent(options.executorId)}/register`;
  let response: { status: number; body: string };
  try {
    response = await registryPost(endpoint, {
      headers: { authorization: `Bearer ${options.token}`, ...(options.name === undefined ? {} : { "x-executor-name": encodeURIComponent(options.name) }) },
      timeoutMs: options.timeoutMs,
      ca: options.ca,
    });
  } catch (error) {
    const cause = error instanceof Error ? error.message : String(error);
    throw new RegistryError("network", undefined, `executor registry request failed: ${redactToken(cause, options.token)}`);
  }
  const body = response.body;
  if (response.status < 200 || response.status > 299) {
    const { code, message } = parseErrorBody(body);
    const safe = redactToken(message, options.token);
    if (response.status === 401 || response.status === 403) {
      throw new RegistryError("auth", response.status, `executor registry authentication failed (${response.status}): ${safe}`);
    }
    const status = code ? `${response.status}, ${code}` : `${response.status}`;
    throw new RegistryError("request", response.status, `executor registry request failed (${status}): ${safe}`);
  }
  let parsed: unknown;
  try {
    parsed = JSON.parse(body);
  } catch {
    throw new RegistryError("response", response.status, `executor registry returned invalid JSON: ${preview(body)}`);
  }
  const record = parsed as { executor_id?: unknown; url?: unknown } | null;
  if (typeof record?.executor_id !== "string" || typeof record.url !== "string" || !/^wss?:\/\//.test(record.url)) {
    throw new RegistryError(
      "response",
      response.status,
      `executor registry response must be {"executor_id": string, "url": "ws(s)://..."}: ${preview(body)}`,
    );
  }
  return { executorId: record.executor_id, url: record.url };
}

/** Extracts `{error: {code, message}}`, else a preview of the raw body. */
function parseErrorBody(body: string): { code: string | undefined; message: string } {
  try {
    const parsed = JSON.parse(body) as { error?: { code?: unknown; message?: unknown } };
    if (parsed && typeof parsed.error === "object" && parsed.error && typeof parsed.error.message === "string") {
      const code = parsed.error.code;
      return { code: code === undefined || code === null ? undefined : String(code), message: parsed.error.message };
    }
  } catch {
    // Not JSON: fall through to the raw preview, which is what the contract asks for.
  }
  return { code: undefined, message: preview(body) || "(empty body)" };
}

function preview(body: string): string {
  return body.length > ERROR_BODY_PREVIEW_CHARS ? `${body.slice(0, ERROR_BODY_PREVIEW_CHARS)}…` : body;
}
