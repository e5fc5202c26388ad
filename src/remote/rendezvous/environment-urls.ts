import { createHmac, timingSafeEqual } from "node:crypto";

/**
 * Who dials an environment websocket: the Noise executor (`environment`) or a harness, or, for the
 * direct transport, the executor (`direct`) or the harness paired with it (`direct-harness`).
 */
export type EnvironmentRole = "environment" | "harness" | "direct" | "direct-harness";
const ROLES: readonly string[] = ["environment", "harness", "direct", "direct-harness"];

/** Claims of a codex-0.169-style capability URL. */
export interface EnvironmentClaims {
  environmentId: string;
  role: EnvironmentRole;
  /** The registration an executor URL belongs to (empty for harness URLs). */
  registrationId: string;
  expiresAtMs: number;
}

/** Path prefix of environment websockets (the shape upstream's tests use). */
export const ENVIRONMENT_WS_PREFIX = "/cloud-agent/default/ws/environment/";

/**
 * Signs and checks `{base}/cloud-agent/default/ws/environment/{id}?role=...&reg=...&exp=...&sig=...`
 * with HMAC-SHA256 over a domain tag and every claim, so no part can be edited or reused for
 * another environment, role or registration. The URL is a bearer capability: 0.169 dials it with no
 * other credential.
 */
export class EnvironmentUrlSigner {
  readonly #secret: Buffer;

  constructor(secret: Buffer) {
    if (secret.length < 16) throw new RangeError("rendezvous signing secret must be at least 16 bytes");
    this.#secret = secret;
  }

  sign(wsBase: string, claims: EnvironmentClaims): string {
    const url = new URL(`${wsBase.replace(/\/+$/, "")}${ENVIRONMENT_WS_PREFIX}${encodeURIComponent(claims.environmentId)}`);
    url.searchParams.set("role", claims.role);
    if (claims.registrationId !== "") url.searchParams.set("reg", claims.registrationId);
    url.searchParams.set("exp", String(claims.expiresAtMs));
    url.searchParams.set("sig", this.#mac(claims));
    return url.toString();
  }

  /** True when the request path is an environment websocket path (signed or not). */
  static matches(pathAndQuery: string): boolean {
    return pathAndQuery.startsWith(ENVIRONMENT_WS_PREFIX);
  }

  /** Checks a request path; `expired` tells a genuine but outdated URL (executors then register again). */
  verify(pathAndQuery: string, nowMs: number): { ok: true; claims: EnvironmentClaims } | { ok: false; reason: string; expired?: boolean; role?: EnvironmentRole } {
    const url = new URL(pathAndQuery, "http://rendezvous.invalid");
    if (!url.pathname.startsWith(ENVIRONMENT_WS_PREFIX)) return { ok: false, reason: "unknown path" };
    let environmentId: string;
    try {
      environmentId = decodeURIComponent(url.pathname.slice(ENVIRONMENT_WS_PREFIX.length));
    } catch {
      return { ok: false, reason: "malformed environment id" };
    }
    const role = url.searchParams.get("role");
    if (role === null || !ROLES.includes(role)) return { ok: false, reason: `role must be one of ${ROLES.join(", ")}` };
    const exp = Number(url.searchParams.get("exp"));
    if (!Number.isSafeInteger(exp)) return { ok: false, reason: "missing or malformed exp" };
    const claims: EnvironmentClaims = { environmentId, role: role as EnvironmentRole, registrationId: url.searchParams.get("reg") ?? "", expiresAtMs: exp };
    const expected = Buffer.from(this.#mac(claims));
    const given = Buffer.from(url.searchParams.get("sig") ?? "");
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "bad signature" };
    if (exp <= nowMs) return { ok: false, reason: "url expired", expired: true, role: claims.role };
    return { ok: true, claims };
  }

  #mac(claims: EnvironmentClaims): string {
    return createHmac("sha256", this.#secret)
      .update(`environment-url\n${claims.environmentId}\n${claims.role}\n${claims.registrationId}\n${claims.expiresAtMs}`)
      .digest("base64url");
  }
}
