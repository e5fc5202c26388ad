/**
 * Names and sizes of codex 0.169's end-to-end encrypted relay (spec: UPSTREAM-0.169-REMOTE §3.2).
 * The Noise protocol name and the suite tag carried in JSON differ on purpose (upstream's choice):
 * the name hashes `25519`, the tag says `X25519`.
 */

/** The Noise protocol name (43 bytes; `h = ck = SHA-256(name)`). */
export const NOISE_PROTOCOL_NAME = "Noise_hybridIK_25519+MLKEM768_AESGCM_SHA256";
/** The suite tag in registry JSON (`executor_public_key.suite`, `harness_public_key.suite`). */
export const NOISE_SUITE_TAG = "Noise_hybridIK_X25519+MLKEM768_AESGCM_SHA256";
/** `security_profile` of a Noise registration. */
export const NOISE_SECURITY_PROFILE = "noise_hybrid_ik_v1";
/** First prologue part; the others are environment id, registration id and stream id. */
export const NOISE_PROLOGUE_LABEL = "codex-exec-server-relay-noise/v1";
/** msg2 payload an executor sends when the registry answered 401 to `/validate` (the harness gives up). */
export const REGISTRY_REJECTION_PAYLOAD = "codex-registry-authentication-rejected/v1";
/** Reason of every reset a 0.169 executor sends (the text is not trusted by harnesses). */
export const NOISE_PROTOCOL_ERROR = "noise_relay_protocol_error";

/** X25519 public and private key length, in bytes. */
export const X25519_KEY_BYTES = 32;
/** ML-KEM-768 encapsulation (public) key length, in bytes. */
export const MLKEM768_PUBLIC_KEY_BYTES = 1184;
/** ML-KEM-768 ciphertext length, in bytes. */
export const MLKEM768_CIPHERTEXT_BYTES = 1088;
/** ML-KEM-768 key-generation seed (d ‖ z, FIPS 203), in bytes. */
export const MLKEM768_SEED_BYTES = 64;
/** AES-GCM tag length, in bytes. */
export const TAG_BYTES = 16;

/** msg1 without its payload: skem ct 1088 + e 32+1184 + s (32+16)+(1184+16) + payload tag 16 = 3568 bytes. */
export const MESSAGE1_OVERHEAD_BYTES =
  MLKEM768_CIPHERTEXT_BYTES + X25519_KEY_BYTES + MLKEM768_PUBLIC_KEY_BYTES + X25519_KEY_BYTES + TAG_BYTES + MLKEM768_PUBLIC_KEY_BYTES + TAG_BYTES + TAG_BYTES;
/** msg2 without its payload: ekem 1088 + skem 1088+16 + e 32+1184 + payload tag 16 = 3424 bytes. */
export const MESSAGE2_OVERHEAD_BYTES =
  MLKEM768_CIPHERTEXT_BYTES + MLKEM768_CIPHERTEXT_BYTES + TAG_BYTES + X25519_KEY_BYTES + MLKEM768_PUBLIC_KEY_BYTES + TAG_BYTES;
/** Largest harness authorization (msg1 payload), in bytes (0.169 relay.rs). */
export const MAX_AUTHORIZATION_BYTES = 4096;
