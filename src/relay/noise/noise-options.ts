/**
 * Limits of Noise relay streams and of the executor socket that carries them. Defaults are codex
 * 0.169's (spec UPSTREAM-0.169-REMOTE §2.3, §3.2–3.4); every one is an option, validated here.
 */
import { DEFAULT_REORDER_BYTES, DEFAULT_REORDER_FRAMES } from "./ordered-records.js";
import { MAX_FRAMED_MESSAGE_BYTES, MAX_RECORD_PLAINTEXT_BYTES } from "./message-framing.js";

export interface NoiseLimits {
  /** Concurrent streams on one socket (executor: beyond it a handshake is refused with a reset). Default 128. */
  readonly maxStreams: number;
  /** Handshakes waiting for the registry's `/validate` answer per socket; beyond it, reset. Default 32. */
  readonly maxPendingValidations: number;
  /** Failed handshakes per executor socket before the socket is closed. Default 8. */
  readonly maxHandshakeFailures: number;
  /** Harness: time from msg1 to msg2 before the stream gives up, ms. Default 10 000. */
  readonly handshakeTimeoutMs: number;
  /** Largest JSON-RPC message inside a stream, bytes. Default 64 MiB. */
  readonly maxMessageBytes: number;
  /** Largest record plaintext, bytes (sent and accepted). Default 61 440 (60 KiB). */
  readonly maxRecordBytes: number;
  /** 0.169 peers: records buffered while waiting for a gap (and how far ahead one may be). Default 64. */
  readonly reorderFrames: number;
  /** 0.169 peers: bytes buffered while waiting for a gap. Default 1 MiB. */
  readonly reorderBytes: number;
}

export const DEFAULT_NOISE_LIMITS: NoiseLimits = Object.freeze({
  maxStreams: 128,
  maxPendingValidations: 32,
  maxHandshakeFailures: 8,
  handshakeTimeoutMs: 10_000,
  maxMessageBytes: MAX_FRAMED_MESSAGE_BYTES,
  maxRecordBytes: MAX_RECORD_PLAINTEXT_BYTES,
  reorderFrames: DEFAULT_REORDER_FRAMES,
  reorderBytes: DEFAULT_REORDER_BYTES,
});

/** Largest websocket message on a Noise relay socket, bytes (0.169: a larger frame tears the socket down). Default 256 KiB. */
export const NOISE_MAX_FRAME_BYTES = 256 * 1024;

/** Merges `overrides` over the defaults. @throws RangeError naming the bad option. */
export function resolveNoiseLimits(overrides: Partial<NoiseLimits> = {}): NoiseLimits {
  const limits: NoiseLimits = { ...DEFAULT_NOISE_LIMITS, ...overrides };
  for (const [key, value] of Object.entries(limits)) {
    if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`noise option ${key} must be a positive integer, got ${String(value)}`);
  }
  if (limits.maxRecordBytes > 65_535 - 16) throw new RangeError("noise option maxRecordBytes must leave room for the tag in a 65 535-byte Noise message");
  return limits;
}
