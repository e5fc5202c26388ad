import { createHmac, timingSafeEqual } from "node:crypto";

/** What a harness key authorization binds. */
export interface AuthorizationClaims {
  environmentId: string;
  registrationId: string;
  /** `publicKeyFingerprint` of the harness's static key. */
  harnessKeyFingerprint: string;
  expiresAtMs: number;
}

/**
 * The `harness_key_authorization` the registry hands a harness with `/connect`, and checks again when
 * the executor asks `/validate`: `v1.<exp>.<HMAC-SHA256(environment, registration, harness key, exp)>`.
 * Stateless, so any registry process with the secret can validate it; opaque to harness and executor.
 */
export class HarnessKeyAuthorizer {
  readonly #secret: Buffer;

  constructor(secret: Buffer) {
    if (secret.length < 16) throw new RangeError("authorization secret must be at least 16 bytes");
    this.#secret = secret;
  }

  issue(claims: AuthorizationClaims): string {
    return `v1.${claims.expiresAtMs}.${this.#mac(claims)}`;
  }

  /** Checks `token` against the claims the executor presents; the reason is for logs. */
  check(token: string, claims: Omit<AuthorizationClaims, "expiresAtMs">, nowMs: number): { ok: true } | { ok: false; reason: string } {
    const match = /^v1\.(\d{1,16})\.([A-Za-z0-9_-]{43})$/.exec(token);
    if (!match) return { ok: false, reason: "malformed authorization" };
    const expiresAtMs = Number(match[1]);
    const expected = Buffer.from(this.#mac({ ...claims, expiresAtMs }));
    const given = Buffer.from(match[2] as string);
    if (given.length !== expected.length || !timingSafeEqual(given, expected)) return { ok: false, reason: "authorization does not match this environment, registration and key" };
    if (expiresAtMs <= nowMs) return { ok: false, reason: "authorization expired" };
    return { ok: true };
  }

  #mac(claims: AuthorizationClaims): string {
    return createHmac("sha256", this.#secret)
      .update(`harness-key-authorization\n${claims.environmentId}\n${claims.registrationId}\n${claims.harnessKeyFingerprint}\n${claims.expiresAtMs}`)
      .digest("base64url");
  }
}
