/** Why a Noise operation failed. Every code ends the stream (0.169 resets it); none is retried. */
export type NoiseErrorCode =
  /** A handshake message has the wrong size or shape, or a key in it is invalid. */
  | "handshake"
  /** AES-GCM authentication failed: tampered, replayed under another nonce, truncated or foreign. */
  | "decrypt"
  /** A record, message or window limit was exceeded. */
  | "limit"
  /** A record or message arrived that the protocol does not allow here. */
  | "protocol";

/** A refused Noise message or record. The message is for logs only; the wire reason stays generic. */
export class NoiseError extends Error {
  override readonly name = "NoiseError";
  constructor(
    readonly code: NoiseErrorCode,
    message: string,
  ) {
    super(message);
  }
}
