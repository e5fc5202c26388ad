import { UrlSigner, type SignedClaims } from "../url-signer.js";

/** Keys kept for verification after the cluster secret changed (an engine restart raced by a new node). Default 4. */
export const MAX_RING_KEYS = 4;

/**
 * The cluster's URL signing keys: URLs are signed with the current key (the secret stored in the
 * engine) and accepted when any key of the ring verifies them, so URLs issued before the cluster
 * converged on one secret stay valid until they expire.
 */
export class SigningKeyRing {
  #entries: { key: Buffer; signer: UrlSigner }[];

  constructor(current: Buffer) {
    this.#entries = [{ key: current, signer: new UrlSigner(current) }];
  }

  get currentKey(): Buffer {
    return (this.#entries[0] as { key: Buffer }).key;
  }

  /** Every key, current first. */
  keys(): Buffer[] {
    return this.#entries.map((entry) => entry.key);
  }

  /** Makes `key` the current key; the previous ones still verify (at most {@link MAX_RING_KEYS} in all). */
  adopt(key: Buffer): void {
    if (this.currentKey.equals(key)) return;
    this.#entries = [{ key, signer: new UrlSigner(key) }, ...this.#entries.filter((entry) => !entry.key.equals(key))].slice(0, MAX_RING_KEYS);
  }

  sign(base: string, claims: SignedClaims): string {
    return (this.#entries[0] as { signer: UrlSigner }).signer.sign(base, claims);
  }

  verify(pathAndQuery: string, nowMs: number): ReturnType<UrlSigner["verify"]> {
    let verdict: ReturnType<UrlSigner["verify"]> = { ok: false, reason: "bad signature" };
    for (const { signer } of this.#entries) {
      verdict = signer.verify(pathAndQuery, nowMs);
      // Anything but a signature mismatch (malformed, expired with a good signature) is final.
      if (verdict.ok || verdict.reason !== "bad signature") return verdict;
    }
    return verdict;
  }
}
