import { MAX_TIMER_DELAY_MS } from "../../util/clock.js";

const MiB = 1024 * 1024;

/** Largest decoded payload of one `http/request/bodyDelta` notification: 1 MiB (upstream's `MAX_HTTP_BODY_DELTA_BYTES`). */
export const MAX_HTTP_BODY_DELTA_BYTES = MiB;

/** Default {@link HttpRequestOptions.maxBufferedBodyBytes}: 64 MiB. */
export const DEFAULT_MAX_BUFFERED_BODY_BYTES = 64 * MiB;
/** Default {@link HttpRequestOptions.maxRequestsPerConnection}: 64. */
export const DEFAULT_MAX_HTTP_REQUESTS_PER_CONNECTION = 64;
/** Default {@link HttpRequestOptions.maxRedirections}: 10, as upstream (reqwest's default policy). */
export const DEFAULT_MAX_REDIRECTIONS = 10;

/**
 * Executor environment variables `valueEnvVar` may never read (compared case-insensitively): the
 * credentials upstream's 0.169 executor refuses to forward (`-32602 http/request header <name>
 * cannot use executor environment variable <var>`).
 */
export const DENIED_HEADER_ENV_VARS: readonly string[] = [
  "CODEX_EXEC_SERVER_NOISE_AUTH_TOKEN",
  "OPENAI_FEDERATION_RULE_ID",
  "OPENAI_IDENTITY_TOKEN_FILE",
  "OPENAI_WORKLOAD_IDENTITY_CONTEXT",
  "OPENAI_API_KEY",
  "CODEX_API_KEY",
  "CODEX_ACCESS_TOKEN",
  "CODEX_CONNECTORS_TOKEN",
  "AWS_ACCESS_KEY_ID",
  "AWS_SECRET_ACCESS_KEY",
  "AWS_SESSION_TOKEN",
  "AZURE_CLIENT_SECRET",
  "AZURE_FEDERATED_TOKEN_FILE",
  "GOOGLE_APPLICATION_CREDENTIALS",
];

/**
 * Options of `http/request` (codex 0.169): the executor performs HTTP requests for its clients, so
 * a client can reach anything this host can reach (as with `process/start`). Every limit has a
 * default; `enabled: false` removes the method (-32601) and clears `httpHeaderEnvVars`.
 */
export interface HttpRequestOptions {
  /** Serve `http/request` at all. Default true. */
  enabled?: boolean;
  /**
   * Largest response body a non-streaming request buffers, in bytes; a larger body fails the
   * request with -32600 (use `streamResponse`). Default {@link DEFAULT_MAX_BUFFERED_BODY_BYTES} (64 MiB).
   */
  maxBufferedBodyBytes?: number;
  /**
   * `http/request` calls in progress at once per connection, buffered ones plus streams whose body
   * is still being delivered; one more is refused with -32600. Default
   * {@link DEFAULT_MAX_HTTP_REQUESTS_PER_CONNECTION} (64).
   */
  maxRequestsPerConnection?: number;
  /** Redirects followed under `redirectPolicy: follow` before failing. Default {@link DEFAULT_MAX_REDIRECTIONS} (10). */
  maxRedirections?: number;
  /** Environment `valueEnvVar` reads. Default `process.env`. */
  env?: NodeJS.ProcessEnv;
}

/** {@link HttpRequestOptions} with every default applied and checked. */
export interface ResolvedHttpRequestOptions {
  readonly enabled: boolean;
  readonly maxBufferedBodyBytes: number;
  readonly maxRequestsPerConnection: number;
  readonly maxRedirections: number;
  readonly env: NodeJS.ProcessEnv;
}

function count(name: string, value: number | undefined, fallback: number, min: number, max: number): number {
  const resolved = value ?? fallback;
  if (!Number.isSafeInteger(resolved) || resolved < min || resolved > max) {
    throw new RangeError(`http option ${name} must be an integer within ${min}..${max}, got ${resolved}`);
  }
  return resolved;
}

/** Applies the defaults. @throws RangeError naming an out-of-range option. */
export function resolveHttpRequestOptions(options: HttpRequestOptions = {}): ResolvedHttpRequestOptions {
  return {
    enabled: options.enabled ?? true,
    maxBufferedBodyBytes: count("maxBufferedBodyBytes", options.maxBufferedBodyBytes, DEFAULT_MAX_BUFFERED_BODY_BYTES, 0, 1024 * MiB),
    maxRequestsPerConnection: count("maxRequestsPerConnection", options.maxRequestsPerConnection, DEFAULT_MAX_HTTP_REQUESTS_PER_CONNECTION, 1, 1_000_000),
    maxRedirections: count("maxRedirections", options.maxRedirections, DEFAULT_MAX_REDIRECTIONS, 0, 1000),
    env: options.env ?? process.env,
  };
}

/**
 * The timer delay for `timeoutMs`, or undefined for none: null/absent means no timeout (upstream),
 * and so does a value beyond what a timer can hold (about 24.8 days).
 */
export function timeoutDelay(timeoutMs: number | null | undefined): number | undefined {
  if (timeoutMs === null || timeoutMs === undefined || timeoutMs > MAX_TIMER_DELAY_MS) return undefined;
  return timeoutMs;
}
