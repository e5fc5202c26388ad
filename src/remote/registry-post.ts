import { request as httpRequest } from "node:http";
import { request as httpsRequest } from "node:https";

/** Largest registry response body kept, in bytes; the rest is read and dropped. */
export const REGISTRY_MAX_RESPONSE_BYTES = 1024 * 1024;

/** Default registry request timeout, in ms. */
export const DEFAULT_REGISTRY_TIMEOUT_MS = 10_000;

/** One registry POST (both the cleartext executor registry and the 0.169 environment registry). */
export interface RegistryPostRequest {
  /** Request headers; `content-length` is added from `body`. */
  readonly headers: Readonly<Record<string, string>>;
  /** Request body; default none (an empty POST). */
  readonly body?: string;
  /** Request timeout, ms. Default {@link DEFAULT_REGISTRY_TIMEOUT_MS}. */
  readonly timeoutMs?: number | undefined;
  /** Extra CA certificate (PEM) to trust for an https registry. */
  readonly ca?: string | Buffer | undefined;
}

/** Status and text body of a registry response. */
export interface RegistryResponse {
  readonly status: number;
  /** UTF-8 body, cut at {@link REGISTRY_MAX_RESPONSE_BYTES} (whole chunks). */
  readonly body: string;
}

/**
 * POSTs to an `http://` or `https://` registry endpoint; resolves with status and body whatever the
 * status is, rejects on a network failure, a timeout or another URL scheme. Redirects are not followed.
 */
export function registryPost(endpoint: string, request: RegistryPostRequest): Promise<RegistryResponse> {
  const url = new URL(endpoint);
  const send = url.protocol === "https:" ? httpsRequest : url.protocol === "http:" ? httpRequest : undefined;
  if (!send) return Promise.reject(new Error(`registry URL must be http:// or https://, got ${url.protocol}`));
  const timeoutMs = request.timeoutMs ?? DEFAULT_REGISTRY_TIMEOUT_MS;
  const body = request.body ?? "";
  return new Promise((resolve, reject) => {
    const outgoing = send(
      url,
      {
        method: "POST",
        headers: { ...request.headers, "content-length": String(Buffer.byteLength(body)) },
        timeout: timeoutMs,
        ...(request.ca === undefined ? {} : { ca: request.ca }),
      },
      (response) => {
        const chunks: Buffer[] = [];
        let size = 0;
        response.on("data", (chunk: Buffer) => {
          size += chunk.length;
          if (size <= REGISTRY_MAX_RESPONSE_BYTES) chunks.push(chunk);
        });
        response.on("end", () => resolve({ status: response.statusCode ?? 0, body: Buffer.concat(chunks).toString("utf8") }));
        response.on("error", reject);
      },
    );
    outgoing.on("timeout", () => outgoing.destroy(new Error(`timed out after ${timeoutMs} ms`)));
    outgoing.on("error", reject);
    if (request.body === undefined) outgoing.end();
    else outgoing.end(body);
  });
}

/** Replaces every occurrence of `token` in `text` (a registry quoting the header, say) with `[redacted]`. */
export function redactToken(text: string, token: string): string {
  return token.length > 0 ? text.split(token).join("[redacted]") : text;
}
