/**
 * Encoding, decoding and validation of `codex.exec_server.relay.v1.RelayMessageFrame`
 * (CONTRACT §7). One websocket binary message = one encoded frame.
 *
 * Encodings are byte-identical to upstream's prost encoder for every frame upstream can express
 * (fields in tag order, proto3 defaults omitted). The only addition is presence on `ack`: a frame
 * built with `ack: 0` encodes `18 00`, which upstream decodes as the default 0 and which this
 * project's endpoints read as "peer is a reliable endpoint" (docs/relay.md).
 */
import { fromBinary, toBinary } from "@bufbuild/protobuf";
import {
  type RelayData,
  type RelayMessageFrame,
  RelayMessageFrameSchema,
} from "../../generated/proto/codex/exec_server/relay/v1/relay_pb.js";
import { FrameValidationMessage, INVALID_FRAME_MESSAGE, RelayFrameError } from "./frame-errors.js";
import { decodeFrameFast, encodeFrameFast, scanEnvelopeFast, TYPE } from "./frame-wire.js";

export type { RelayData, RelayMessageFrame };

/** The only frame version this codec speaks. */
export const RELAY_FRAME_VERSION = 1;

/** Acknowledgement state carried by a frame; `ack` present marks a reliable endpoint. */
export interface AckFields {
  /** Highest contiguous segment seq received (0 = none). */
  readonly ack: number;
  /** Bit i acknowledges `ack + 1 + i` (unsigned 32-bit). */
  readonly ackBits: number;
}

/**
 * Encodes a frame to its protobuf bytes (a fresh `Uint8Array`). Does not validate (see
 * {@link validateFrame}). The common shapes take the hand-written path of `frame-wire.ts`, the rest
 * protobuf-es; both produce the same bytes.
 */
export function encodeFrame(frame: RelayMessageFrame): Uint8Array {
  return encodeFrameFast(frame) ?? toBinary(RelayMessageFrameSchema, frame);
}

/**
 * Decodes protobuf bytes into a frame without validating field rules. Payloads are views into
 * `bytes` (no copy), exactly as protobuf-es `fromBinary` returns them.
 * @throws RelayFrameError with code `undecodable` and message `invalid relay message frame: <detail>`.
 */
export function decodeFrame(bytes: Uint8Array): RelayMessageFrame {
  const fast = decodeFrameFast(bytes);
  if (fast !== undefined) return fast;
  try {
    return fromBinary(RelayMessageFrameSchema, bytes);
  } catch (error) {
    const detail = error instanceof Error ? error.message : String(error);
    throw new RelayFrameError("undecodable", `${INVALID_FRAME_MESSAGE}: ${detail}`);
  }
}

/**
 * Checks the field rules of CONTRACT §7 in upstream's order. Returns `null` for a valid frame,
 * otherwise the exact upstream message (e.g. `relay message frame is missing stream_id`).
 * Segment consistency (`segment_index < segment_count`) is the endpoint's job: it resets the
 * stream instead of dropping one frame.
 */
export function validateFrame(frame: RelayMessageFrame): string | null {
  if (frame.version !== RELAY_FRAME_VERSION) return FrameValidationMessage.unsupportedVersion(frame.version);
  if (frame.streamId === "") return FrameValidationMessage.missingStreamId;
  const body = frame.body;
  switch (body.case) {
    case undefined:
      return FrameValidationMessage.missingBody;
    case "reset":
      return body.value.reason === "" ? FrameValidationMessage.resetMissingReason : null;
    case "data":
      return body.value.segmentCount === 0 || body.value.payload.length === 0
        ? FrameValidationMessage.dataMissingFields
        : null;
    case "handshake":
      return body.value.payload.length === 0 ? FrameValidationMessage.handshakeMissingPayload : null;
    default:
      return null;
  }
}

/** Result of {@link parseFrame}: a valid frame or the reason it was refused. Never throws. */
export type ParsedFrame =
  | { readonly ok: true; readonly frame: RelayMessageFrame }
  | { readonly ok: false; readonly error: RelayFrameError; readonly frame?: RelayMessageFrame };

/** Decodes and validates in one step; the usual entry point for inbound socket bytes. */
export function parseFrame(bytes: Uint8Array): ParsedFrame {
  let frame: RelayMessageFrame;
  try {
    frame = decodeFrame(bytes);
  } catch (error) {
    if (error instanceof RelayFrameError) return { ok: false, error };
    throw error;
  }
  const problem = validateFrame(frame);
  return problem === null ? { ok: true, frame } : { ok: false, error: new RelayFrameError("invalid", problem), frame };
}

/** Result of {@link parseEnvelope}: where a valid frame goes, or why it was refused. Never throws. */
export type ParsedEnvelope =
  | { readonly ok: true; readonly streamId: string; readonly kind: Exclude<RelayMessageFrame["body"]["case"], undefined> }
  | { readonly ok: false; readonly error: RelayFrameError };

/**
 * What a router needs: the stream id and body kind of a frame, refused exactly when
 * {@link parseFrame} refuses it (same error), but without building the frame for the common
 * shapes (payloads are not touched). Resets and unusual encodings go through {@link parseFrame}.
 */
export function parseEnvelope(bytes: Uint8Array): ParsedEnvelope {
  const envelope = scanEnvelopeFast(bytes);
  if (envelope === undefined) {
    const parsed = parseFrame(bytes);
    return parsed.ok ? { ok: true, streamId: parsed.frame.streamId, kind: parsed.frame.body.case! } : { ok: false, error: parsed.error };
  }
  const { version, streamId, kind } = envelope;
  const problem =
    version !== RELAY_FRAME_VERSION
      ? FrameValidationMessage.unsupportedVersion(version)
      : streamId === ""
        ? FrameValidationMessage.missingStreamId
        : kind === undefined
          ? FrameValidationMessage.missingBody
          : kind === "data" && !envelope.dataComplete
            ? FrameValidationMessage.dataMissingFields
            : kind === "handshake" && !envelope.dataComplete
              ? FrameValidationMessage.handshakeMissingPayload
              : null;
  return problem === null ? { ok: true, streamId, kind: kind! } : { ok: false, error: new RelayFrameError("invalid", problem) };
}

/**
 * Frames are built as plain objects of exactly the shape protobuf-es `create` produces (`$typeName`,
 * every implicit-presence field, `ack` only when present), without its reflection pass.
 */
function frameOf(streamId: string, acks: AckFields | undefined, body: RelayMessageFrame["body"]): RelayMessageFrame {
  if (acks === undefined) return { $typeName: TYPE.frame, version: RELAY_FRAME_VERSION, streamId, ackBits: 0, body };
  return { $typeName: TYPE.frame, version: RELAY_FRAME_VERSION, streamId, ack: acks.ack >>> 0, ackBits: acks.ackBits >>> 0, body };
}

/** Segment fields of a data frame. */
export interface DataFields {
  readonly seq: number;
  /** Default 0. */
  readonly segmentIndex?: number;
  /** Default 1 (unsplit message). */
  readonly segmentCount?: number;
  readonly payload: Uint8Array;
}

/** Builds a data frame. Omitting `acks` produces upstream's (legacy) encoding. */
export function dataFrame(streamId: string, data: DataFields, acks?: AckFields): RelayMessageFrame {
  return frameOf(streamId, acks, {
    case: "data",
    value: { $typeName: TYPE.data, seq: data.seq, segmentIndex: data.segmentIndex ?? 0, segmentCount: data.segmentCount ?? 1, payload: data.payload },
  });
}

/** Builds a standalone ack frame (always carries `ack`, so never legacy-shaped). */
export function ackFrame(streamId: string, acks: AckFields): RelayMessageFrame {
  return frameOf(streamId, acks, { case: "ackFrame", value: { $typeName: TYPE.ack } });
}

/** Builds a resume frame; the harness's first frame is `resumeFrame(id, 0)`. */
export function resumeFrame(streamId: string, nextSeq: number, acks?: AckFields): RelayMessageFrame {
  return frameOf(streamId, acks, { case: "resume", value: { $typeName: TYPE.resume, nextSeq } });
}

/** Builds a reset frame; `reason` must be non-empty to be valid. */
export function resetFrame(streamId: string, reason: string, acks?: AckFields): RelayMessageFrame {
  return frameOf(streamId, acks, { case: "reset", value: { $typeName: TYPE.reset, reason } });
}

/** Builds a handshake frame carrying one Noise message (`payload` must be non-empty to be valid). */
export function handshakeFrame(streamId: string, payload: Uint8Array, acks?: AckFields): RelayMessageFrame {
  return frameOf(streamId, acks, { case: "handshake", value: { $typeName: TYPE.handshake, payload } });
}

/** Builds a heartbeat frame. */
export function heartbeatFrame(streamId: string, acks?: AckFields): RelayMessageFrame {
  return frameOf(streamId, acks, { case: "heartbeat", value: { $typeName: TYPE.heartbeat } });
}

/** True when the sender set `ack` explicitly: only this project's reliable endpoints do. */
export function hasAckPresence(frame: RelayMessageFrame): boolean {
  return frame.ack !== undefined;
}

/** Short human-readable description for logs (no payload bytes). */
export function describeFrame(frame: RelayMessageFrame): string {
  const acks = frame.ack === undefined ? "" : ` ack=${frame.ack} bits=${(frame.ackBits >>> 0).toString(16)}`;
  const body = frame.body;
  const detail =
    body.case === "data"
      ? ` seq=${body.value.seq} seg=${body.value.segmentIndex}/${body.value.segmentCount} bytes=${body.value.payload.length}`
      : body.case === "resume"
        ? ` next_seq=${body.value.nextSeq}`
        : body.case === "reset"
          ? ` reason=${JSON.stringify(body.value.reason)}`
          : body.case === "handshake"
            ? ` bytes=${body.value.payload.length}`
            : "";
  return `${body.case ?? "none"}[${frame.streamId}]${acks}${detail}`;
}
