/**
 * Checks AWS Signature Version 4 on a registry request, as codex 0.169's direct transport signs it
 * (`--aws-sigv4`: `AWS4-HMAC-SHA256 Credential=…/DATE/REGION/SERVICE/aws4_request, SignedHeaders=…,
 * Signature=…`, `x-amz-date`, optional `x-amz-security-token`). HMAC-SHA256 and SHA-256 come from
 * Node's crypto; this file only builds the canonical request the specification defines.
 */
import { createHash, createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingHttpHeaders } from "node:http";

/** An access key the registry accepts. */
export interface SigV4Credential {
  readonly accessKeyId: string;
  readonly secretAccessKey: string;
}

/** The parts of a request that are signed. */
export interface SigV4Request {
  readonly method: string;
  /** Path as sent on the wire (already percent-encoded), without the query. */
  readonly path: string;
  /** Raw query string without `?` (may be empty). */
  readonly query: string;
  readonly headers: IncomingHttpHeaders;
  readonly body: Uint8Array;
}

/** Options of {@link verifySigV4}. */
export interface SigV4Options {
  /** Expected service in the credential scope. Default `execute-api` (0.169's default). */
  readonly service?: string;
  /** Largest accepted clock difference, ms. Default 900 000 (15 min, AWS's own). */
  readonly maxSkewMs?: number;
  readonly nowMs?: number;
}

const ALGORITHM = "AWS4-HMAC-SHA256";

export function verifySigV4(
  request: SigV4Request,
  credentials: readonly SigV4Credential[],
  options: SigV4Options = {},
): { ok: true; accessKeyId: string; region: string } | { ok: false; reason: string } {
  const header = single(request.headers.authorization);
  const match = /^AWS4-HMAC-SHA256 Credential=([^/,\s]+)\/(\d{8})\/([^/,\s]+)\/([^/,\s]+)\/aws4_request,\s*SignedHeaders=([a-z0-9;-]+),\s*Signature=([0-9a-f]{64})$/.exec(header ?? "");
  if (!match) return { ok: false, reason: "missing or malformed AWS4-HMAC-SHA256 authorization" };
  const [, accessKeyId, date, region, service, signedHeaderList, signature] = match as unknown as [string, string, string, string, string, string, string];
  if (service !== (options.service ?? "execute-api")) return { ok: false, reason: `unexpected service ${service}` };
  const credential = credentials.find((candidate) => candidate.accessKeyId === accessKeyId);
  if (credential === undefined) return { ok: false, reason: "unknown access key" };
  const amzDate = single(request.headers["x-amz-date"]) ?? "";
  const stamp = /^(\d{4})(\d{2})(\d{2})T(\d{2})(\d{2})(\d{2})Z$/.exec(amzDate);
  if (!stamp || !amzDate.startsWith(date)) return { ok: false, reason: "missing or inconsistent x-amz-date" };
  const signedAt = Date.UTC(Number(stamp[1]), Number(stamp[2]) - 1, Number(stamp[3]), Number(stamp[4]), Number(stamp[5]), Number(stamp[6]));
  if (Math.abs((options.nowMs ?? Date.now()) - signedAt) > (options.maxSkewMs ?? 900_000)) return { ok: false, reason: "request time too far from now" };
  const signedHeaders = signedHeaderList.split(";");
  if (!signedHeaders.includes("host") || !signedHeaders.includes("x-amz-date")) return { ok: false, reason: "host and x-amz-date must be signed" };
  const canonicalHeaders = signedHeaders.map((name) => `${name}:${(single(request.headers[name]) ?? "").trim().replace(/\s+/g, " ")}\n`).join("");
  const payloadHash = single(request.headers["x-amz-content-sha256"]) ?? createHash("sha256").update(request.body).digest("hex");
  const canonicalRequest = [request.method.toUpperCase(), canonicalUri(request.path), canonicalQuery(request.query), canonicalHeaders, signedHeaderList, payloadHash].join("\n");
  const scope = `${date}/${region}/${service}/aws4_request`;
  const stringToSign = [ALGORITHM, amzDate, scope, createHash("sha256").update(canonicalRequest).digest("hex")].join("\n");
  let key: Buffer = createHmac("sha256", `AWS4${credential.secretAccessKey}`).update(date).digest();
  for (const part of [region, service, "aws4_request"]) key = createHmac("sha256", key).update(part).digest();
  const expected = Buffer.from(createHmac("sha256", key).update(stringToSign).digest("hex"));
  const given = Buffer.from(signature);
  if (expected.length !== given.length || !timingSafeEqual(expected, given)) return { ok: false, reason: "signature does not match" };
  return { ok: true, accessKeyId, region };
}

function single(value: string | string[] | undefined): string | undefined {
  return Array.isArray(value) ? value.join(",") : value;
}

/** RFC 3986 unreserved characters stay; everything else is %XX (upper case), as SigV4 requires. */
function uriEncode(text: string): string {
  return encodeURIComponent(text).replace(/[!'()*]/g, (c) => `%${c.charCodeAt(0).toString(16).toUpperCase()}`);
}

/** Non-S3 services encode each segment of the (already encoded) path once more. */
function canonicalUri(path: string): string {
  return path === "" ? "/" : path.split("/").map(uriEncode).join("/");
}

function canonicalQuery(query: string): string {
  if (query === "") return "";
  return query
    .split("&")
    .map((pair) => {
      const [name = "", value = ""] = pair.split("=");
      return [uriEncode(decodeURIComponent(name)), uriEncode(decodeURIComponent(value))] as const;
    })
    .sort(([a, av], [b, bv]) => (a === b ? (av < bv ? -1 : 1) : a < b ? -1 : 1))
    .map(([name, value]) => `${name}=${value}`)
    .join("&");
}
