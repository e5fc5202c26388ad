import { aeadKey, aeadOpen, aeadSeal, type AeadKey } from "./suite-primitives.js";

/**
 * Noise CipherState (spec §5.1) for AESGCM: a key (or none) and the nonce counter `n`. During a
 * handshake `n` counts implicitly; transport records use {@link TransportCipher} with explicit nonces.
 */
export class CipherState {
  #key: AeadKey | undefined;
  #n = 0;

  /** Sets the key (or clears it) and resets the nonce to 0. */
  initializeKey(key: Uint8Array | undefined): void {
    this.#key = key === undefined ? undefined : aeadKey(key);
    this.#n = 0;
  }

  hasKey(): boolean {
    return this.#key !== undefined;
  }

  /** Without a key: `plaintext` unchanged. With one: AES-GCM under nonce `n`, then `n += 1`. */
  encryptWithAd(ad: Uint8Array, plaintext: Uint8Array): Uint8Array {
    if (this.#key === undefined) return plaintext;
    return aeadSeal(this.#key, this.#n++, ad, plaintext);
  }

  /** Inverse of {@link encryptWithAd}; throws a `decrypt` NoiseError (and leaves `n`) on failure. */
  decryptWithAd(ad: Uint8Array, ciphertext: Uint8Array): Uint8Array {
    if (this.#key === undefined) return ciphertext;
    const plaintext = aeadOpen(this.#key, this.#n, ad, ciphertext);
    this.#n += 1;
    return plaintext;
  }
}

/**
 * One direction of an established Noise channel. The nonce of a record is its relay `seq`, given
 * explicitly: 0.169 numbers records from 0 and decrypts them in seq order with an implicit counter,
 * which is the same nonce; our reliable peers retransmit a seq with the same plaintext, so a nonce
 * never protects two different plaintexts. Associated data is empty (0.169).
 */
export class TransportCipher {
  readonly #key: AeadKey;

  constructor(key: Uint8Array) {
    this.#key = aeadKey(key);
  }

  seal(nonce: number, plaintext: Uint8Array): Uint8Array {
    return aeadSeal(this.#key, nonce, EMPTY, plaintext);
  }

  /** Throws a `decrypt` NoiseError when the record was not sealed under this key and nonce, or was changed. */
  open(nonce: number, ciphertext: Uint8Array): Uint8Array {
    return aeadOpen(this.#key, nonce, EMPTY, ciphertext);
  }
}

const EMPTY = new Uint8Array(0);
