import { CipherState } from "./cipher-state.js";
import { hkdf, sha256 } from "./suite-primitives.js";

/** Noise SymmetricState (spec §5.2) over SHA-256 and AESGCM: chaining key, handshake hash, cipher. */
export class SymmetricState {
  #ck: Uint8Array;
  #h: Uint8Array;
  readonly #cipher = new CipherState();

  /** InitializeSymmetric: `h` = the name zero-padded to 32 bytes, or SHA-256 of a longer name; `ck = h`. */
  constructor(protocolName: string) {
    const name = new TextEncoder().encode(protocolName);
    if (name.length <= 32) {
      this.#h = new Uint8Array(32);
      this.#h.set(name);
    } else {
      this.#h = sha256(name);
    }
    this.#ck = this.#h;
  }

  /** The handshake hash so far (a copy). */
  get handshakeHash(): Uint8Array {
    return this.#h.slice();
  }

  hasKey(): boolean {
    return this.#cipher.hasKey();
  }

  mixHash(data: Uint8Array): void {
    this.#h = sha256(this.#h, data);
  }

  mixKey(ikm: Uint8Array): void {
    const [ck, key] = hkdf(this.#ck, ikm, 2) as [Uint8Array, Uint8Array];
    this.#ck = ck;
    this.#cipher.initializeKey(key);
  }

  mixKeyAndHash(ikm: Uint8Array): void {
    const [ck, hashInput, key] = hkdf(this.#ck, ikm, 3) as [Uint8Array, Uint8Array, Uint8Array];
    this.#ck = ck;
    this.mixHash(hashInput);
    this.#cipher.initializeKey(key);
  }

  encryptAndHash(plaintext: Uint8Array): Uint8Array {
    const ciphertext = this.#cipher.encryptWithAd(this.#h, plaintext);
    this.mixHash(ciphertext);
    return ciphertext;
  }

  decryptAndHash(ciphertext: Uint8Array): Uint8Array {
    const plaintext = this.#cipher.decryptWithAd(this.#h, ciphertext);
    this.mixHash(ciphertext);
    return plaintext;
  }

  /** Split: the initiator's sending key first, then the responder's. */
  split(): [Uint8Array, Uint8Array] {
    const [k1, k2] = hkdf(this.#ck, new Uint8Array(0), 2) as [Uint8Array, Uint8Array];
    return [k1, k2];
  }
}
