import { createHmac, timingSafeEqual } from "node:crypto";

/** The two kinds of rendezvous websocket URL. */
export type RendezvousRole = "executor" | "harness";

/** Signed claims carried in a rendezvous URL's query: `role`, `exp` (epoch ms) and `sig`. */
export interface SignedClaims {
  executorId: string;
  role: RendezvousRole;
  expiresAtMs: number;
}

/**
 * Signs and checks rendezvous URLs with HMAC-SHA256 over `executorId \n role \n exp`. The signature
 * binds the executor id in the path, the role and the expiry, so none of them can be edited.
 */
export class UrlSigner {
  readonly #secret: Buffer;

  constructor(secret: Buffer) {
    if (secret.length < 16) throw new RangeError("rendezvous signing secret must be at least 16 bytes");
    this.#secret = secret;
  }

  /** Returns `{base}/executor/{id}?role=...&exp=...&sig=...`. */
  sign(base: string, claims: SignedClaims): string {
    const url = new URL(`${base.replace(/\/+$/, "")}/executor/${encodeURIComponent(claims.executorId)}`);
    url.searchParams.set("role", claims.role);
    url.searchParams.set("exp", String(claims.expiresAtMs));
    url.searchParams.set("sig", this.#mac(claims));
    return url.toString();
  }

  /** Verifies a request path+query; returns the claims or the reason for refusal. */
  verify(pathAndQuery: string, nowMs: number): { ok: true; claims: SignedClaims } | { ok: false; reason: string } {
    const url = new URL(pathAndQuery, "http://rendezvous.invalid");
    const match = /^\/executor\/([^/]+)$/.exec(url.pathname);
    if (!match) return { ok: false, reason: "unknown path" };
    let executorId: string;
    try {
      executorId = decodeURIComponent(match[1] as string);
    } catch {
      return { ok: false, reason: "malformed executor id" };
    }
    const role = url.searchParams.get("role");
    if (role !== "executor" && role !== "harness") return { ok: false, reason: "role must be executor or harness" };
    const exp = Number(url.searchParams.get("exp"));
    const sig = url.searchParams.get("sig") ?? "";
    if (!Number.isSafeInteger(exp)) return { ok: false, reason: "missing or malformed exp" };
    const claims: SignedClaims = { executorId, role, expiresAtMs: exp };
    const expected = Buffer.from(this.#mac(claims));
    const given = Buffer.from(sig);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "bad signature" };
    if (exp <= nowMs) return { ok: false, reason: "url expired" };
    return { ok: true, claims };
  }

  #mac(claims: SignedClaims): string {
    return createHmac("sha256", this.#secret)
      .update(`${claims.executorId}\n${claims.role}\n${claims.expiresAtMs}`)
      .digest("base64url");
  }
}
