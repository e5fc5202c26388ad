/**
 * Errors of the relay frame layer. Messages of invalid-but-decodable frames are exactly the
 * strings upstream endpoints log (see `relay-vectors.json`), so logs stay comparable.
 */

/** Why a frame was refused. */
export type RelayFrameErrorCode =
  /** The bytes are not a protobuf `RelayMessageFrame` at all. */
  | "undecodable"
  /** The frame decodes but violates a field rule of CONTRACT §7 (see {@link validateFrame}). */
  | "invalid";

/** A frame the relay layer refuses; never thrown out of an endpoint, only returned or logged. */
export class RelayFrameError extends Error {
  override readonly name = "RelayFrameError";
  constructor(
    readonly code: RelayFrameErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Prefix of every decode error message; the protobuf reader's detail follows after `: `. */
export const INVALID_FRAME_MESSAGE = "invalid relay message frame";

/** Exact validation messages (upstream wording). */
export const FrameValidationMessage = {
  unsupportedVersion: (version: number) => `unsupported relay message frame version ${version}`,
  missingStreamId: "relay message frame is missing stream_id",
  missingBody: "relay message frame is missing body",
  resetMissingReason: "relay reset message frame is missing reason",
  dataMissingFields: "relay data message frame is missing required fields",
  handshakeMissingPayload: "relay handshake message frame is missing payload",
} as const;
