/**
 * The two roles of `Noise_hybridIK_25519+MLKEM768_AESGCM_SHA256` as codex 0.169 runs it (clatter
 * 2.2 `noise_hybrid_ik`; spec UPSTREAM-0.169-REMOTE §3.2):
 * ```
 * <- s                      pre-message: MixHash(rs.x25519), MixHash(rs.mlkem768)
 * -> skem, e, es, s, ss     payload = the harness key authorization (UTF-8, ≤ 4096 bytes)
 * <- ekem, skem, e, ee, se  payload = empty, or the registry-rejection marker
 * ```
 * Token effects: `e` sends the X25519 then the ML-KEM ephemeral public key in clear (MixHash each);
 * `s` EncryptAndHash-es both static public keys; `skem` encapsulates to the peer's static ML-KEM key,
 * EncryptAndHash(ct), then MixKeyAndHash(ss); `ekem` encapsulates to the peer's ephemeral ML-KEM key,
 * MixHash(ct), then MixKey(ss); the DH tokens MixKey(X25519(...)). The harness is the initiator.
 *
 * Randomness is drawn from the injected {@link RandomSource} in token order: initiator — skem
 * message (32), ephemeral X25519 key (32), ephemeral ML-KEM seed (64); responder — ekem message (32),
 * skem message (32), ephemeral X25519 key (32), ephemeral ML-KEM seed (64). A test vector replays it.
 */
import { TransportCipher } from "./cipher-state.js";
import type { HybridKeyPair, HybridPublicKey } from "./hybrid-keypair.js";
import { NoiseError } from "./noise-error.js";
import {
  MAX_AUTHORIZATION_BYTES,
  MESSAGE1_OVERHEAD_BYTES,
  MESSAGE2_OVERHEAD_BYTES,
  MLKEM768_CIPHERTEXT_BYTES,
  MLKEM768_PUBLIC_KEY_BYTES,
  MLKEM768_SEED_BYTES,
  NOISE_PROTOCOL_NAME,
  TAG_BYTES,
  X25519_KEY_BYTES,
} from "./noise-suite.js";
import { SymmetricState } from "./symmetric-state.js";
import { generateX25519, mlkemDecapsulate, mlkemEncapsulate, mlkemKeyPair, systemRandom, x25519, x25519PublicKey, type MlKemKeyPair, type RandomSource } from "./suite-primitives.js";

/** Both directions of an established channel, and the final handshake hash (channel binding). */
export interface TransportKeys {
  readonly send: TransportCipher;
  readonly receive: TransportCipher;
  readonly handshakeHash: Uint8Array;
}

interface Ephemeral {
  readonly x25519Private: Uint8Array;
  readonly x25519Public: Uint8Array;
  readonly kem: MlKemKeyPair;
}

function makeEphemeral(random: RandomSource): Ephemeral {
  // With the system's randomness OpenSSL generates the key (no import); injected randomness (test
  // vectors) is used as the private key itself.
  if (random === systemRandom) {
    const { privateKey, publicKey } = generateX25519();
    return { x25519Private: privateKey, x25519Public: publicKey, kem: mlkemKeyPair(random(MLKEM768_SEED_BYTES)) };
  }
  const x25519Private = random(X25519_KEY_BYTES);
  return { x25519Private, x25519Public: x25519PublicKey(x25519Private), kem: mlkemKeyPair(random(MLKEM768_SEED_BYTES)) };
}

/** Reads a message field by field; running past the end is a handshake error. */
class MessageReader {
  #at = 0;
  constructor(readonly bytes: Uint8Array) {}
  take(length: number): Uint8Array {
    if (this.#at + length > this.bytes.length) throw new NoiseError("handshake", "handshake message is truncated");
    const part = this.bytes.subarray(this.#at, this.#at + length);
    this.#at += length;
    return part;
  }
  rest(): Uint8Array {
    return this.take(this.bytes.length - this.#at);
  }
}

/** Writes a message as a list of parts. */
class MessageWriter {
  readonly #parts: Uint8Array[] = [];
  push(part: Uint8Array): void {
    this.#parts.push(part);
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.#parts.reduce((sum, part) => sum + part.length, 0));
    let at = 0;
    for (const part of this.#parts) {
      out.set(part, at);
      at += part.length;
    }
    return out;
  }
}

function initialState(prologue: Uint8Array, responderStatic: HybridPublicKey): SymmetricState {
  const state = new SymmetricState(NOISE_PROTOCOL_NAME);
  state.mixHash(prologue);
  state.mixHash(responderStatic.x25519);
  state.mixHash(responderStatic.mlkem768);
  return state;
}

/** Options of {@link HybridIkInitiator}. */
export interface InitiatorOptions {
  /** The harness's static identity. */
  readonly localStatic: HybridKeyPair;
  /** The executor's static key, pinned from the registry. */
  readonly remoteStatic: HybridPublicKey;
  /** {@link handshakePrologue} of the stream. */
  readonly prologue: Uint8Array;
  /** Default `crypto.randomBytes`. */
  readonly random?: RandomSource;
}

/** The harness side: {@link writeMessage1}, then {@link readMessage2}. Each instance runs once. */
export class HybridIkInitiator {
  readonly #state: SymmetricState;
  readonly #options: InitiatorOptions;
  readonly #random: RandomSource;
  #ephemeral: Ephemeral | undefined;
  #step: "write1" | "read2" | "done" = "write1";

  constructor(options: InitiatorOptions) {
    this.#options = options;
    this.#random = options.random ?? systemRandom;
    this.#state = initialState(options.prologue, options.remoteStatic);
  }

  /** `-> skem, e, es, s, ss` with `payload` (the authorization, at most 4096 bytes). */
  writeMessage1(payload: Uint8Array): Uint8Array {
    if (this.#step !== "write1") throw new Error("writeMessage1 called twice");
    if (payload.length > MAX_AUTHORIZATION_BYTES) throw new RangeError(`handshake payload must be at most ${MAX_AUTHORIZATION_BYTES} bytes`);
    this.#step = "read2";
    const state = this.#state;
    const { localStatic, remoteStatic } = this.#options;
    const out = new MessageWriter();
    // skem
    const encapsulated = mlkemEncapsulate(remoteStatic.mlkem768, this.#random(32));
    out.push(state.encryptAndHash(encapsulated.cipherText));
    state.mixKeyAndHash(encapsulated.sharedSecret);
    // e
    const e = (this.#ephemeral = makeEphemeral(this.#random));
    out.push(e.x25519Public);
    state.mixHash(e.x25519Public);
    out.push(e.kem.publicKey);
    state.mixHash(e.kem.publicKey);
    // es
    state.mixKey(x25519(e.x25519Private, remoteStatic.x25519));
    // s
    out.push(state.encryptAndHash(localStatic.publicKey.x25519));
    out.push(state.encryptAndHash(localStatic.publicKey.mlkem768));
    // ss
    state.mixKey(x25519(localStatic.x25519Private, remoteStatic.x25519));
    out.push(state.encryptAndHash(payload));
    return out.bytes();
  }

  /** `<- ekem, skem, e, ee, se`: returns msg2's payload and the transport keys. @throws NoiseError */
  readMessage2(message: Uint8Array): { payload: Uint8Array; keys: TransportKeys } {
    if (this.#step !== "read2") throw new Error("readMessage2 needs writeMessage1 first, once");
    this.#step = "done";
    if (message.length < MESSAGE2_OVERHEAD_BYTES) throw new NoiseError("handshake", `handshake response of ${message.length} bytes is shorter than ${MESSAGE2_OVERHEAD_BYTES}`);
    const state = this.#state;
    const e = this.#ephemeral!;
    const { localStatic } = this.#options;
    const reader = new MessageReader(message);
    // ekem
    const ekemCt = reader.take(MLKEM768_CIPHERTEXT_BYTES);
    state.mixHash(ekemCt);
    state.mixKey(mlkemDecapsulate(ekemCt, e.kem.secretKey));
    // skem
    const skemCt = state.decryptAndHash(reader.take(MLKEM768_CIPHERTEXT_BYTES + TAG_BYTES));
    state.mixKeyAndHash(mlkemDecapsulate(skemCt, localStatic.mlkem768Secret));
    // e
    const re = reader.take(X25519_KEY_BYTES);
    state.mixHash(re);
    state.mixHash(reader.take(MLKEM768_PUBLIC_KEY_BYTES));
    // ee, se
    state.mixKey(x25519(e.x25519Private, re));
    state.mixKey(x25519(localStatic.x25519Private, re));
    const payload = state.decryptAndHash(reader.rest());
    const [k1, k2] = state.split();
    return { payload, keys: { send: new TransportCipher(k1), receive: new TransportCipher(k2), handshakeHash: state.handshakeHash } };
  }
}

/** Options of {@link HybridIkResponder}. */
export interface ResponderOptions {
  /** The executor's static identity (the one it registered). */
  readonly localStatic: HybridKeyPair;
  /** {@link handshakePrologue} of the stream. */
  readonly prologue: Uint8Array;
  /** Default `crypto.randomBytes`. */
  readonly random?: RandomSource;
}

/** The executor side: {@link readMessage1}, then (after authorization) {@link writeMessage2}. */
export class HybridIkResponder {
  readonly #state: SymmetricState;
  readonly #options: ResponderOptions;
  readonly #random: RandomSource;
  #re: Uint8Array | undefined;
  #reKem: Uint8Array | undefined;
  #rs: HybridPublicKey | undefined;
  #step: "read1" | "write2" | "done" = "read1";

  constructor(options: ResponderOptions) {
    this.#options = options;
    this.#random = options.random ?? systemRandom;
    this.#state = initialState(options.prologue, options.localStatic.publicKey);
  }

  /** Reads msg1: returns its payload (the authorization) and the harness's static key. @throws NoiseError */
  readMessage1(message: Uint8Array): { payload: Uint8Array; remoteStatic: HybridPublicKey } {
    if (this.#step !== "read1") throw new Error("readMessage1 called twice");
    this.#step = "write2";
    if (message.length < MESSAGE1_OVERHEAD_BYTES || message.length > MESSAGE1_OVERHEAD_BYTES + MAX_AUTHORIZATION_BYTES) {
      throw new NoiseError("handshake", `handshake message of ${message.length} bytes is outside ${MESSAGE1_OVERHEAD_BYTES}..${MESSAGE1_OVERHEAD_BYTES + MAX_AUTHORIZATION_BYTES}`);
    }
    const state = this.#state;
    const { localStatic } = this.#options;
    const reader = new MessageReader(message);
    // skem (no key yet: the ciphertext is in clear)
    const skemCt = state.decryptAndHash(reader.take(MLKEM768_CIPHERTEXT_BYTES));
    state.mixKeyAndHash(mlkemDecapsulate(skemCt, localStatic.mlkem768Secret));
    // e
    const re = (this.#re = reader.take(X25519_KEY_BYTES).slice());
    state.mixHash(re);
    const reKem = (this.#reKem = reader.take(MLKEM768_PUBLIC_KEY_BYTES).slice());
    state.mixHash(reKem);
    // es
    state.mixKey(x25519(localStatic.x25519Private, re));
    // s
    const rsX25519 = state.decryptAndHash(reader.take(X25519_KEY_BYTES + TAG_BYTES));
    const rsKem = state.decryptAndHash(reader.take(MLKEM768_PUBLIC_KEY_BYTES + TAG_BYTES));
    this.#rs = { x25519: rsX25519, mlkem768: rsKem };
    // ss
    state.mixKey(x25519(localStatic.x25519Private, rsX25519));
    const payload = state.decryptAndHash(reader.rest());
    return { payload, remoteStatic: this.#rs };
  }

  /** `<- ekem, skem, e, ee, se` with `payload` (empty, or the rejection marker). */
  writeMessage2(payload: Uint8Array): { message: Uint8Array; keys: TransportKeys } {
    if (this.#step !== "write2") throw new Error("writeMessage2 needs readMessage1 first, once");
    this.#step = "done";
    const state = this.#state;
    const out = new MessageWriter();
    // ekem
    const ekem = mlkemEncapsulate(this.#reKem!, this.#random(32));
    out.push(ekem.cipherText);
    state.mixHash(ekem.cipherText);
    state.mixKey(ekem.sharedSecret);
    // skem
    const skem = mlkemEncapsulate(this.#rs!.mlkem768, this.#random(32));
    out.push(state.encryptAndHash(skem.cipherText));
    state.mixKeyAndHash(skem.sharedSecret);
    // e
    const e = makeEphemeral(this.#random);
    out.push(e.x25519Public);
    state.mixHash(e.x25519Public);
    out.push(e.kem.publicKey);
    state.mixHash(e.kem.publicKey);
    // ee, se
    state.mixKey(x25519(e.x25519Private, this.#re!));
    state.mixKey(x25519(e.x25519Private, this.#rs!.x25519));
    out.push(state.encryptAndHash(payload));
    const [k1, k2] = state.split();
    return { message: out.bytes(), keys: { send: new TransportCipher(k2), receive: new TransportCipher(k1), handshakeHash: state.handshakeHash } };
  }
}
