import type { HttpRequestParams } from "../../../generated/openrpc/types.js";
import { describeUrlParseFailure } from "../../rpc/path-uri.js";
import { ErrorCode, RpcError } from "../../rpc/rpc-error.js";
import { DENIED_HEADER_ENV_VARS, timeoutDelay } from "./http-request-options.js";

/** An `http/request` after validation: what the HTTP client sends. */
export interface PreparedHttpRequest {
  /** The method exactly as given (a valid token; case is kept, as upstream sends it). */
  readonly method: string;
  /** The parsed URL without userinfo and fragment. */
  readonly url: URL;
  /** Header name/value pairs flattened (`[name, value, name, value, …]`), names lower-case, values of one name together. */
  readonly headers: string[];
  /** The decoded request body, if any. */
  readonly body: Buffer | undefined;
  /** Whole-request timeout in ms, or undefined for none. */
  readonly timeoutMs: number | undefined;
  /** Follow redirects (true) or return the 3xx response (false). */
  readonly followRedirects: boolean;
}

/** RFC 9110 `token`: what HTTP methods and header names are made of. */
const TOKEN = /^[!#$%&'*+\-.^_`|~0-9A-Za-z]+$/;
/** Header values upstream accepts (`HeaderValue::from_str`): visible ASCII, space and tab. */
const HEADER_VALUE = /^[\t\u0020-\u007e]*$/;

function invalidParams(message: string): RpcError {
  return new RpcError(ErrorCode.InvalidParams, message);
}

/** Parses the URL with upstream's messages; only `http` and `https` are allowed. */
function parseHttpUrl(text: string): URL {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw invalidParams(`http/request url is invalid: ${describeUrlParseFailure(text)}`);
  }
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== "http" && scheme !== "https") throw invalidParams(`http/request only supports http and https URLs, got ${scheme}`);
  return url;
}

/** `text` percent-decoded, or as it is when it holds a malformed escape. */
function percentDecoded(text: string): string {
  try {
    return decodeURIComponent(text);
  } catch {
    return text;
  }
}

/** `name: value` with `valueEnvVar` resolved from `env`, as upstream words each refusal. */
function headerValue(header: NonNullable<HttpRequestParams["headers"]>[number], env: NodeJS.ProcessEnv): string {
  const variable = header.valueEnvVar;
  if (variable === undefined || variable === null) return header.value;
  if (DENIED_HEADER_ENV_VARS.some((denied) => denied.toLowerCase() === variable.toLowerCase())) {
    throw invalidParams(`http/request header ${header.name} cannot use executor environment variable ${variable}`);
  }
  const value = env[variable];
  if (value === undefined) throw invalidParams(`http/request header ${header.name} requires executor environment variable ${variable}`);
  if (value === "") throw invalidParams(`http/request header ${header.name} requires a non-empty executor environment variable ${variable}`);
  return header.value + value;
}

/**
 * Validates `http/request` params in upstream's order (method, URL, scheme, then each header) with
 * upstream's -32602 messages, and builds the request: header names lower-cased and the values of a
 * repeated name kept together in their order (as upstream's header map sends them), `accept: *\/*`
 * unless given, URL userinfo turned into `authorization: Basic …` unless given, fragment dropped.
 */
export function prepareHttpRequest(params: HttpRequestParams, env: NodeJS.ProcessEnv): PreparedHttpRequest {
  if (!TOKEN.test(params.method)) throw invalidParams("http/request method is invalid: invalid HTTP method");
  const url = parseHttpUrl(params.url);
  const byName = new Map<string, string[]>();
  for (const header of params.headers ?? []) {
    if (!TOKEN.test(header.name)) throw invalidParams("http/request header name is invalid: invalid HTTP header name");
    const value = headerValue(header, env);
    if (!HEADER_VALUE.test(value)) throw invalidParams(`http/request header value is invalid for ${header.name}: failed to parse header value`);
    const name = header.name.toLowerCase();
    const values = byName.get(name);
    if (values === undefined) byName.set(name, [value]);
    else values.push(value);
  }
  if (url.username !== "" || url.password !== "") {
    if (!byName.has("authorization")) {
      const credentials = `${percentDecoded(url.username)}:${percentDecoded(url.password)}`;
      byName.set("authorization", [`Basic ${Buffer.from(credentials, "utf8").toString("base64")}`]);
    }
    url.username = "";
    url.password = "";
  }
  url.hash = "";
  if (!byName.has("accept")) byName.set("accept", ["*/*"]);
  const headers: string[] = [];
  for (const [name, values] of byName) for (const value of values) headers.push(name, value);
  return {
    method: params.method,
    url,
    headers,
    body: params.bodyBase64 === undefined || params.bodyBase64 === null ? undefined : Buffer.from(params.bodyBase64, "base64"),
    timeoutMs: timeoutDelay(params.timeoutMs),
    followRedirects: (params.redirectPolicy ?? "follow") === "follow",
  };
}
