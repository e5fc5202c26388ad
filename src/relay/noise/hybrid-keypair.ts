/**
 * Static identities of the hybrid Noise channel: an X25519 key pair plus an ML-KEM-768 key pair,
 * and the JSON form registries exchange (`{suite, x25519_public_key, mlkem768_public_key}`,
 * standard base64 with padding, keys in that order, as 0.169 sends them).
 */
import { timingSafeEqual } from "node:crypto";
import { strictBase64Problem } from "../../util/strict-base64.js";
import { MLKEM768_PUBLIC_KEY_BYTES, MLKEM768_SEED_BYTES, NOISE_SUITE_TAG, X25519_KEY_BYTES } from "./noise-suite.js";
import { mlkemKeyPair, sha256, systemRandom, x25519PublicKey, type RandomSource } from "./suite-primitives.js";

/** The public half: what the registry stores and hands to the other side. */
export interface HybridPublicKey {
  /** 32 bytes. */
  readonly x25519: Uint8Array;
  /** 1184 bytes (FIPS 203 encapsulation key). */
  readonly mlkem768: Uint8Array;
}

/** A full static identity. Secrets never leave the process (no JSON form for them). */
export interface HybridKeyPair {
  readonly publicKey: HybridPublicKey;
  /** 32-byte X25519 private key. */
  readonly x25519Private: Uint8Array;
  /** 2400-byte ML-KEM-768 decapsulation key. */
  readonly mlkem768Secret: Uint8Array;
}

/** The registry's JSON form of a {@link HybridPublicKey}. */
export interface NoisePublicKeyJson {
  suite: string;
  x25519_public_key: string;
  mlkem768_public_key: string;
}

/** Builds a key pair from fixed secrets (tests and vectors): a 32-byte X25519 key and a 64-byte ML-KEM seed. */
export function hybridKeyPairFromSeeds(x25519Private: Uint8Array, mlkemSeed: Uint8Array): HybridKeyPair {
  const kem = mlkemKeyPair(mlkemSeed);
  return {
    publicKey: { x25519: x25519PublicKey(x25519Private), mlkem768: kem.publicKey },
    x25519Private: Uint8Array.from(x25519Private),
    mlkem768Secret: kem.secretKey,
  };
}

/** A fresh key pair (0.169 makes one per process, reused for every registration and stream). */
export function generateHybridKeyPair(random: RandomSource = systemRandom): HybridKeyPair {
  return hybridKeyPairFromSeeds(random(X25519_KEY_BYTES), random(MLKEM768_SEED_BYTES));
}

export function publicKeyToJson(key: HybridPublicKey): NoisePublicKeyJson {
  return {
    suite: NOISE_SUITE_TAG,
    x25519_public_key: Buffer.from(key.x25519).toString("base64"),
    mlkem768_public_key: Buffer.from(key.mlkem768).toString("base64"),
  };
}

/** Why `value` is not a valid public key JSON of this suite. */
export class PublicKeyJsonError extends Error {
  override readonly name = "PublicKeyJsonError";
}

/**
 * Parses and checks the JSON form: the suite tag, strict base64, exact lengths. (Whether an ML-KEM
 * key is well formed is checked when it is first encapsulated to.)
 * @throws PublicKeyJsonError naming the first problem.
 */
export function publicKeyFromJson(value: unknown): HybridPublicKey {
  if (typeof value !== "object" || value === null || Array.isArray(value)) throw new PublicKeyJsonError("public key must be a JSON object");
  const record = value as Record<string, unknown>;
  if (record.suite !== NOISE_SUITE_TAG) throw new PublicKeyJsonError(`unsupported key suite ${JSON.stringify(record.suite)}; expected ${NOISE_SUITE_TAG}`);
  return {
    x25519: decodeKey(record.x25519_public_key, "x25519_public_key", X25519_KEY_BYTES),
    mlkem768: decodeKey(record.mlkem768_public_key, "mlkem768_public_key", MLKEM768_PUBLIC_KEY_BYTES),
  };
}

function decodeKey(value: unknown, field: string, length: number): Uint8Array {
  if (typeof value !== "string") throw new PublicKeyJsonError(`${field} must be a base64 string`);
  const problem = strictBase64Problem(value);
  if (problem !== undefined) throw new PublicKeyJsonError(`${field} is not base64: ${problem}`);
  const bytes = new Uint8Array(Buffer.from(value, "base64"));
  if (bytes.length !== length) throw new PublicKeyJsonError(`${field} must be ${length} bytes, got ${bytes.length}`);
  return bytes;
}

/** Constant-time equality of two public keys. */
export function samePublicKey(a: HybridPublicKey, b: HybridPublicKey): boolean {
  return equalBytes(a.x25519, b.x25519) && equalBytes(a.mlkem768, b.mlkem768);
}

/** SHA-256 over both public keys, hex: a short, stable name for a key in logs and authorizations. */
export function publicKeyFingerprint(key: HybridPublicKey): string {
  return Buffer.from(sha256(key.x25519, key.mlkem768)).toString("hex");
}

function equalBytes(a: Uint8Array, b: Uint8Array): boolean {
  return a.length === b.length && timingSafeEqual(a, b);
}
