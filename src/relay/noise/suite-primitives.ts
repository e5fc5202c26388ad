/**
 * The primitives of `Noise_hybridIK_25519+MLKEM768_AESGCM_SHA256`, each from a maintained library:
 * X25519, AES-256-GCM, SHA-256 and HKDF from Node's crypto (OpenSSL), ML-KEM-768 (FIPS 203) from
 * `@noble/post-quantum`. Nothing here implements a primitive; it only adapts byte layouts.
 */
import {
  generateKeyPairSync,
  createCipheriv,
  createDecipheriv,
  createHash,
  createPrivateKey,
  createPublicKey,
  createSecretKey,
  diffieHellman,
  hkdfSync,
  type KeyObject,
  randomBytes,
} from "node:crypto";
import { ml_kem768 } from "@noble/post-quantum/ml-kem.js";
import { NoiseError } from "./noise-error.js";
import { MLKEM768_CIPHERTEXT_BYTES, MLKEM768_PUBLIC_KEY_BYTES, MLKEM768_SEED_BYTES, TAG_BYTES, X25519_KEY_BYTES } from "./noise-suite.js";

/** Source of random bytes; injected so handshakes can be replayed from a test vector. Default `crypto.randomBytes`. */
export type RandomSource = (length: number) => Uint8Array;

export const systemRandom: RandomSource = (length) => randomBytes(length);

// Node imports raw X25519 keys only in containers: PKCS#8 DER for a private key (RFC 8410; JWK would
// need the public half too), JWK for a public key (about 10x cheaper to import than DER).
const PKCS8_X25519_PREFIX = Buffer.from("302e020100300506032b656e04220420", "hex");

/**
 * Imported private keys, by the identity of their byte array: a DER import costs ~0.4 ms, a
 * Diffie-Hellman with an imported key ~40 µs, and statics are used by every handshake.
 */
const privateKeyObjects = new WeakMap<Uint8Array, KeyObject>();

function x25519PrivateKeyObject(privateKey: Uint8Array): KeyObject {
  const cached = privateKeyObjects.get(privateKey);
  if (cached !== undefined) return cached;
  if (privateKey.length !== X25519_KEY_BYTES) throw new RangeError(`X25519 private key must be ${X25519_KEY_BYTES} bytes`);
  const key = createPrivateKey({ key: Buffer.concat([PKCS8_X25519_PREFIX, privateKey]), format: "der", type: "pkcs8" });
  privateKeyObjects.set(privateKey, key);
  return key;
}

function x25519PublicKeyObject(publicKey: Uint8Array): KeyObject {
  if (publicKey.length !== X25519_KEY_BYTES) throw new NoiseError("handshake", `X25519 public key must be ${X25519_KEY_BYTES} bytes`);
  return createPublicKey({ key: { kty: "OKP", crv: "X25519", x: Buffer.from(publicKey).toString("base64url") }, format: "jwk" });
}

/** The X25519 public key of a 32-byte private key. */
export function x25519PublicKey(privateKey: Uint8Array): Uint8Array {
  const jwk = createPublicKey(x25519PrivateKeyObject(privateKey)).export({ format: "jwk" });
  return new Uint8Array(Buffer.from(jwk.x as string, "base64url"));
}

/** A fresh X25519 key pair from OpenSSL's generator (its key object is kept for the DH operations). */
export function generateX25519(): { privateKey: Uint8Array; publicKey: Uint8Array } {
  const pair = generateKeyPairSync("x25519");
  const jwk = pair.privateKey.export({ format: "jwk" });
  const privateKey = new Uint8Array(Buffer.from(jwk.d as string, "base64url"));
  privateKeyObjects.set(privateKey, pair.privateKey);
  return { privateKey, publicKey: new Uint8Array(Buffer.from(jwk.x as string, "base64url")) };
}

/**
 * X25519(privateKey, publicKey). OpenSSL refuses an all-zero result (a low-order peer key), which
 * surfaces as a handshake error.
 */
export function x25519(privateKey: Uint8Array, publicKey: Uint8Array): Uint8Array {
  try {
    return new Uint8Array(diffieHellman({ privateKey: x25519PrivateKeyObject(privateKey), publicKey: x25519PublicKeyObject(publicKey) }));
  } catch (error) {
    if (error instanceof NoiseError) throw error;
    throw new NoiseError("handshake", `X25519 failed: ${(error as Error).message}`);
  }
}

/** An ML-KEM-768 key pair (FIPS 203 encapsulation key 1184 B, decapsulation key 2400 B). */
export interface MlKemKeyPair {
  readonly publicKey: Uint8Array;
  readonly secretKey: Uint8Array;
}

/** Deterministic ML-KEM-768 key generation from a 64-byte seed (d ‖ z). */
export function mlkemKeyPair(seed: Uint8Array): MlKemKeyPair {
  if (seed.length !== MLKEM768_SEED_BYTES) throw new RangeError(`ML-KEM-768 seed must be ${MLKEM768_SEED_BYTES} bytes`);
  return ml_kem768.keygen(seed);
}

/**
 * Encapsulates to `publicKey` with the 32-byte message `m` (FIPS 203 ML-KEM.Encaps_internal).
 * An invalid encapsulation key (wrong size, coefficients out of range) is a handshake error.
 */
export function mlkemEncapsulate(publicKey: Uint8Array, m: Uint8Array): { cipherText: Uint8Array; sharedSecret: Uint8Array } {
  if (publicKey.length !== MLKEM768_PUBLIC_KEY_BYTES) throw new NoiseError("handshake", `ML-KEM-768 public key must be ${MLKEM768_PUBLIC_KEY_BYTES} bytes`);
  try {
    return ml_kem768.encapsulate(publicKey, m);
  } catch (error) {
    throw new NoiseError("handshake", `ML-KEM-768 encapsulation refused the public key: ${(error as Error).message}`);
  }
}

/** Decapsulates (implicit rejection: a forged ciphertext yields an unrelated secret, caught by the next AEAD check). */
export function mlkemDecapsulate(cipherText: Uint8Array, secretKey: Uint8Array): Uint8Array {
  if (cipherText.length !== MLKEM768_CIPHERTEXT_BYTES) throw new NoiseError("handshake", `ML-KEM-768 ciphertext must be ${MLKEM768_CIPHERTEXT_BYTES} bytes`);
  return ml_kem768.decapsulate(cipherText, secretKey);
}

/** SHA-256 of the concatenation of `parts`. */
export function sha256(...parts: Uint8Array[]): Uint8Array {
  const hash = createHash("sha256");
  for (const part of parts) hash.update(part);
  return new Uint8Array(hash.digest());
}

/** Noise `HKDF(ck, ikm, n)`: RFC 5869 HKDF-SHA-256 with salt `ck`, empty info, `n` 32-byte outputs. */
export function hkdf(chainingKey: Uint8Array, ikm: Uint8Array, outputs: 2 | 3): Uint8Array[] {
  const okm = new Uint8Array(hkdfSync("sha256", ikm, chainingKey, new Uint8Array(0), 32 * outputs));
  return Array.from({ length: outputs }, (_, i) => okm.slice(32 * i, 32 * (i + 1)));
}

/** An AES-256 key prepared once for many records. */
export type AeadKey = KeyObject;

export function aeadKey(raw: Uint8Array): AeadKey {
  if (raw.length !== 32) throw new RangeError("AES-256 key must be 32 bytes");
  return createSecretKey(raw);
}

/** Noise AESGCM nonce: 32 zero bits, then the 64-bit big-endian counter. */
function nonceBytes(n: number): Buffer {
  if (!Number.isSafeInteger(n) || n < 0) throw new RangeError(`nonce must be a non-negative safe integer, got ${n}`);
  const nonce = Buffer.alloc(12);
  nonce.writeUInt32BE(Math.floor(n / 2 ** 32), 4);
  nonce.writeUInt32BE(n >>> 0, 8);
  return nonce;
}

/** AES-256-GCM seal: ciphertext ‖ 16-byte tag. */
export function aeadSeal(key: AeadKey, n: number, ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
  const cipher = createCipheriv("aes-256-gcm", key, nonceBytes(n), { authTagLength: TAG_BYTES });
  if (ad.length > 0) cipher.setAAD(ad);
  const head = cipher.update(plaintext);
  const tail = cipher.final();
  const out = new Uint8Array(head.length + tail.length + TAG_BYTES);
  out.set(head, 0);
  out.set(tail, head.length);
  out.set(cipher.getAuthTag(), head.length + tail.length);
  return out;
}

/** AES-256-GCM open; a wrong key, nonce, AD, tag or any changed byte throws a `decrypt` {@link NoiseError}. */
export function aeadOpen(key: AeadKey, n: number, ad: Uint8Array, sealed: Uint8Array): Uint8Array {
  if (sealed.length < TAG_BYTES) throw new NoiseError("decrypt", `ciphertext of ${sealed.length} bytes is shorter than the tag`);
  const body = sealed.subarray(0, sealed.length - TAG_BYTES);
  const decipher = createDecipheriv("aes-256-gcm", key, nonceBytes(n), { authTagLength: TAG_BYTES });
  decipher.setAuthTag(sealed.subarray(sealed.length - TAG_BYTES));
  if (ad.length > 0) decipher.setAAD(ad);
  try {
    const head = decipher.update(body);
    const tail = decipher.final();
    return tail.length === 0 ? new Uint8Array(head.buffer, head.byteOffset, head.length) : new Uint8Array(Buffer.concat([head, tail]));
  } catch {
    // OpenSSL only says "Unsupported state or unable to authenticate data"; the code says it all.
    throw new NoiseError("decrypt", "AES-GCM authentication failed");
  }
}
