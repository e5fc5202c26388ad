/**
 * Hand-written protobuf wire encoding of `RelayMessageFrame`, the hot path of every relay hop.
 *
 * The schema is small and fixed (four envelope fields, a six-way oneof, two optional trace-context
 * strings, messages of at most four fields), so sizes are computed first and every frame is written into one exactly sized
 * `Uint8Array` (a view of a shared slab when small), and inbound frames are read in one pass without the reflection layer. Output is the
 * same as protobuf-es `toBinary`/`fromBinary` (fields in tag order, proto3 defaults omitted, `ack`
 * written whenever present); anything outside the common shape returns `undefined` and the caller
 * falls back to protobuf-es: unknown or repeated fields, unexpected wire types, over-long varints,
 * values that are not uint32, non-ASCII or invalid UTF-8 text, `$unknown` fields on a message.
 * `frame-codec.test.ts` checks both paths against each other and against the shared vectors.
 */
import type { RelayData, RelayMessageFrame } from "../../generated/proto/codex/exec_server/relay/v1/relay_pb.js";

/** `$typeName`s, as protobuf-es `create` sets them. */
export const TYPE = {
  frame: "codex.exec_server.relay.v1.RelayMessageFrame",
  data: "codex.exec_server.relay.v1.RelayData",
  ack: "codex.exec_server.relay.v1.RelayAck",
  resume: "codex.exec_server.relay.v1.RelayResume",
  reset: "codex.exec_server.relay.v1.RelayReset",
  heartbeat: "codex.exec_server.relay.v1.RelayHeartbeat",
  handshake: "codex.exec_server.relay.v1.RelayHandshake",
} as const;

// Field tags (field number << 3 | wire type): 0 = varint, 2 = length-delimited.
const T_VERSION = 0x08;
const T_STREAM_ID = 0x12;
const T_ACK = 0x18;
const T_ACK_BITS = 0x20;
const T_DATA = 0x2a;
const T_ACK_FRAME = 0x32;
const T_RESUME = 0x3a;
const T_RESET = 0x42;
const T_HEARTBEAT = 0x4a;
const T_HANDSHAKE = 0x52;
const T_TRACEPARENT = 0x5a;
const T_TRACESTATE = 0x62;
// Inside RelayData / RelayResume / RelayReset.
const T_1_VARINT = 0x08;
const T_2_VARINT = 0x10;
const T_3_VARINT = 0x18;
const T_4_BYTES = 0x22;
const T_1_BYTES = 0x0a;

const isU32 = (v: unknown): v is number => typeof v === "number" && v >>> 0 === v;

function varintSize(v: number): number {
  return v < 0x80 ? 1 : v < 0x4000 ? 2 : v < 0x200000 ? 3 : v < 0x10000000 ? 4 : 5;
}

/** Byte length of `s` when every char is ASCII, else -1 (the caller falls back). */
function asciiLength(s: string): number {
  for (let i = 0; i < s.length; i++) if (s.charCodeAt(i) > 0x7f) return -1;
  return s.length;
}

/** Size of a uint32 field with implicit presence (omitted when 0). */
const u32Field = (v: number): number => (v === 0 ? 0 : 1 + varintSize(v));
/** Size of a length-delimited field with a body of `n` bytes. */
const lenField = (n: number): number => 1 + varintSize(n) + n;

class Writer {
  pos = 0;
  constructor(readonly buf: Uint8Array) {}
  varint(v: number): void {
    const b = this.buf;
    while (v > 0x7f) {
      b[this.pos++] = (v & 0x7f) | 0x80;
      v >>>= 7;
    }
    b[this.pos++] = v;
  }
  u32(tag: number, v: number): void {
    if (v === 0) return;
    this.buf[this.pos++] = tag;
    this.varint(v);
  }
  ascii(tag: number, s: string): void {
    if (s.length === 0) return;
    this.text(tag, s);
  }
  /** A string field written even when empty (explicit presence). */
  text(tag: number, s: string): void {
    const b = this.buf;
    b[this.pos++] = tag;
    this.varint(s.length);
    for (let i = 0; i < s.length; i++) b[this.pos++] = s.charCodeAt(i);
  }
}

/**
 * Small frames are cut from shared slabs (like Node's `Buffer` pool): a `Uint8Array` view costs
 * far less than its own backing store. A slab region is handed out once and never rewritten, so a
 * frame stays valid for as long as anyone holds it; a slab lives while any of its frames does.
 */
const SLAB_BYTES = 16 * 1024;
const MAX_SLAB_FRAME_BYTES = 2 * 1024;
let slab = new ArrayBuffer(SLAB_BYTES);
let slabUsed = 0;

function allocate(size: number): Uint8Array {
  if (size > MAX_SLAB_FRAME_BYTES) return new Uint8Array(size);
  if (slabUsed + size > SLAB_BYTES) {
    slab = new ArrayBuffer(SLAB_BYTES);
    slabUsed = 0;
  }
  const bytes = new Uint8Array(slab, slabUsed, size);
  // Keep views 8-byte aligned, as Node's pool does.
  slabUsed += (size + 7) & ~7;
  return bytes;
}

/** Encodes `frame`, or returns `undefined` when it is outside the fast path (see the file comment). */
export function encodeFrameFast(frame: RelayMessageFrame): Uint8Array | undefined {
  const { version, streamId, ack, ackBits, body } = frame;
  if (frame.$unknown !== undefined || !isU32(version) || !isU32(ackBits) || (ack !== undefined && !isU32(ack))) return undefined;
  const idLength = asciiLength(streamId);
  if (idLength < 0) return undefined;
  const { traceparent, tracestate } = frame;
  const parentLength = traceparent === undefined ? 0 : asciiLength(traceparent);
  const stateLength = tracestate === undefined ? 0 : asciiLength(tracestate);
  if (parentLength < 0 || stateLength < 0) return undefined;
  let size = u32Field(version) + (idLength === 0 ? 0 : lenField(idLength)) + (ack === undefined ? 0 : 1 + varintSize(ack)) + u32Field(ackBits);
  if (traceparent !== undefined) size += lenField(parentLength);
  if (tracestate !== undefined) size += lenField(stateLength);
  // Size of the oneof's message, and the per-case values checked once.
  let bodySize = 0;
  let reasonLength = 0;
  switch (body.case) {
    case undefined:
      break;
    case "data": {
      const d = body.value;
      if (d.$unknown !== undefined || !isU32(d.seq) || !isU32(d.segmentIndex) || !isU32(d.segmentCount) || !(d.payload instanceof Uint8Array)) return undefined;
      bodySize = u32Field(d.seq) + u32Field(d.segmentIndex) + u32Field(d.segmentCount) + (d.payload.length === 0 ? 0 : lenField(d.payload.length));
      break;
    }
    case "resume":
      if (body.value.$unknown !== undefined || !isU32(body.value.nextSeq)) return undefined;
      bodySize = u32Field(body.value.nextSeq);
      break;
    case "reset":
      reasonLength = body.value.$unknown === undefined ? asciiLength(body.value.reason) : -1;
      if (reasonLength < 0) return undefined;
      bodySize = reasonLength === 0 ? 0 : lenField(reasonLength);
      break;
    case "handshake":
      if (body.value.$unknown !== undefined || !(body.value.payload instanceof Uint8Array)) return undefined;
      bodySize = body.value.payload.length === 0 ? 0 : lenField(body.value.payload.length);
      break;
    case "ackFrame":
    case "heartbeat":
      if (body.value.$unknown !== undefined) return undefined;
      break;
    default:
      return undefined;
  }
  if (body.case !== undefined) size += lenField(bodySize);
  const w = new Writer(allocate(size));
  w.u32(T_VERSION, version);
  w.ascii(T_STREAM_ID, streamId);
  if (ack !== undefined) {
    w.buf[w.pos++] = T_ACK;
    w.varint(ack);
  }
  w.u32(T_ACK_BITS, ackBits);
  switch (body.case) {
    case "data": {
      const d = body.value;
      w.buf[w.pos++] = T_DATA;
      w.varint(bodySize);
      w.u32(T_1_VARINT, d.seq);
      w.u32(T_2_VARINT, d.segmentIndex);
      w.u32(T_3_VARINT, d.segmentCount);
      if (d.payload.length > 0) {
        w.buf[w.pos++] = T_4_BYTES;
        w.varint(d.payload.length);
        w.buf.set(d.payload, w.pos);
        w.pos += d.payload.length;
      }
      break;
    }
    case "resume":
      w.buf[w.pos++] = T_RESUME;
      w.varint(bodySize);
      w.u32(T_1_VARINT, body.value.nextSeq);
      break;
    case "reset":
      w.buf[w.pos++] = T_RESET;
      w.varint(bodySize);
      w.ascii(T_1_BYTES, body.value.reason);
      break;
    case "ackFrame":
      w.buf[w.pos++] = T_ACK_FRAME;
      w.buf[w.pos++] = 0;
      break;
    case "heartbeat":
      w.buf[w.pos++] = T_HEARTBEAT;
      w.buf[w.pos++] = 0;
      break;
    case "handshake": {
      const payload = body.value.payload;
      w.buf[w.pos++] = T_HANDSHAKE;
      w.varint(bodySize);
      if (payload.length > 0) {
        w.buf[w.pos++] = T_1_BYTES;
        w.varint(payload.length);
        w.buf.set(payload, w.pos);
        w.pos += payload.length;
      }
      break;
    }
  }
  if (traceparent !== undefined) w.text(T_TRACEPARENT, traceparent);
  if (tracestate !== undefined) w.text(T_TRACESTATE, tracestate);
  return w.buf;
}

/** A cursor over inbound bytes; every read returns -1 (or `undefined`) when the fast path must give up. */
class Reader {
  pos: number;
  constructor(
    readonly buf: Uint8Array,
    start: number,
  ) {
    this.pos = start;
  }
  /** A uint32 varint of at most 5 bytes whose value fits 32 bits; -1 otherwise. */
  varint(end: number): number {
    const b = this.buf;
    let result = 0;
    for (let shift = 0; shift < 35; shift += 7) {
      if (this.pos >= end) return -1;
      const byte = b[this.pos++]!;
      if (shift === 28) return byte > 0x0f ? -1 : (result + byte * 0x10000000) >>> 0;
      result |= (byte & 0x7f) << shift;
      if (byte < 0x80) return result >>> 0;
    }
    return -1;
  }
  /** End offset of a length-delimited field starting at `pos`, or -1. */
  length(end: number): number {
    const n = this.varint(end);
    return n < 0 || this.pos + n > end ? -1 : this.pos + n;
  }
  /** ASCII text in [pos, stop); `undefined` for any byte ≥ 0x80 (the fallback validates UTF-8). */
  ascii(stop: number): string | undefined {
    const b = this.buf;
    for (let i = this.pos; i < stop; i++) if (b[i]! > 0x7f) return undefined;
    const text = latin1(b, this.pos, stop);
    this.pos = stop;
    return text;
  }
  /**
   * A stream id: {@link ascii}, but the bytes of the previous id are compared first and its string
   * returned when they are equal (a stream's frames all repeat its id), so the common frame builds
   * no string and hands the stream table the string it already hashed.
   */
  streamId(stop: number): string | undefined {
    const b = this.buf;
    const start = this.pos;
    const n = stop - start;
    if (n === lastId.length && n > 0) {
      const bytes = lastId.bytes;
      let i = 0;
      while (i < n && b[start + i] === bytes[i]) i++;
      if (i === n) {
        this.pos = stop;
        return lastId.text;
      }
    }
    const text = this.ascii(stop);
    if (text !== undefined && n <= MAX_CACHED_ID_BYTES) {
      lastId.bytes.set(b.subarray(start, stop));
      lastId.length = n;
      lastId.text = text;
    }
    return text;
  }
}

/** Longest stream id kept by {@link Reader.streamId} (ids are UUIDs in practice: 36 bytes). */
const MAX_CACHED_ID_BYTES = 64;
/** The stream id read last: its bytes (the first `length`) and its string. */
const lastId = { bytes: new Uint8Array(MAX_CACHED_ID_BYTES), length: -1, text: "" };

/** [start, stop) of `bytes` (checked ASCII) as a string, built by Node in one go instead of a char at a time. */
function latin1(bytes: Uint8Array, start: number, stop: number): string {
  if (start === stop) return "";
  return Buffer.from(bytes.buffer, bytes.byteOffset + start, stop - start).toString("latin1");
}

/** Fields of a `RelayData` read by {@link scanData} (one scratch object: no allocation per frame). */
const scratch = { seq: 0, segmentIndex: 0, segmentCount: 0, payloadStart: 0, payloadEnd: -1 };

/** Reads a `RelayData` body in [pos, end) into {@link scratch}; false when outside the fast path. */
function scanData(r: Reader, end: number): boolean {
  scratch.seq = scratch.segmentIndex = scratch.segmentCount = scratch.payloadStart = 0;
  scratch.payloadEnd = -1;
  let seen = 0;
  while (r.pos < end) {
    const tag = r.buf[r.pos++]!;
    const bit = 1 << (tag >> 3);
    if (seen & bit) return false;
    seen |= bit;
    let v: number;
    switch (tag) {
      case T_1_VARINT:
        if ((v = r.varint(end)) < 0) return false;
        scratch.seq = v;
        break;
      case T_2_VARINT:
        if ((v = r.varint(end)) < 0) return false;
        scratch.segmentIndex = v;
        break;
      case T_3_VARINT:
        if ((v = r.varint(end)) < 0) return false;
        scratch.segmentCount = v;
        break;
      case T_4_BYTES: {
        const stop = r.length(end);
        if (stop < 0) return false;
        scratch.payloadStart = r.pos;
        scratch.payloadEnd = stop;
        r.pos = stop;
        break;
      }
      default:
        return false;
    }
  }
  return true;
}

function readData(r: Reader, end: number): RelayData | undefined {
  if (!scanData(r, end)) return undefined;
  const { seq, segmentIndex, segmentCount, payloadStart, payloadEnd } = scratch;
  // A fresh empty payload when absent, as protobuf-es creates one (messages are mutable).
  const payload = payloadEnd < 0 ? new Uint8Array(0) : r.buf.subarray(payloadStart, payloadEnd);
  return { $typeName: TYPE.data, seq, segmentIndex, segmentCount, payload };
}

/** Reads a message whose only field is varint field 1 (`RelayResume`); its value, or -1. */
function readSingleVarint(r: Reader, end: number): number {
  if (r.pos === end) return 0;
  if (r.buf[r.pos++] !== T_1_VARINT) return -1;
  const v = r.varint(end);
  return r.pos === end ? v : -1;
}

/** Reads a message whose only field is bytes field 1 (`RelayHandshake`); a view of its value, or `undefined`. */
function readSingleBytes(r: Reader, end: number): Uint8Array | undefined {
  if (r.pos === end) return new Uint8Array(0);
  if (r.buf[r.pos++] !== T_1_BYTES) return undefined;
  const stop = r.length(end);
  if (stop !== end) return undefined;
  const value = r.buf.subarray(r.pos, stop);
  r.pos = stop;
  return value;
}

/** The seen-fields bit of a field number: the body's oneof members share one bit. */
const fieldBit = (field: number): number => 1 << (field >= 5 && field <= 10 ? 5 : field);

/** Reads a message whose only field is string field 1 (`RelayReset`); its value, or `undefined`. */
function readSingleText(r: Reader, end: number): string | undefined {
  if (r.pos === end) return "";
  if (r.buf[r.pos++] !== T_1_BYTES) return undefined;
  const stop = r.length(end);
  if (stop !== end) return undefined;
  return r.ascii(stop);
}

/** Decodes `bytes`, or returns `undefined` when they are outside the fast path (see the file comment). */
export function decodeFrameFast(bytes: Uint8Array): RelayMessageFrame | undefined {
  const r = new Reader(bytes, 0);
  const end = bytes.length;
  let version = 0;
  let streamId = "";
  let ack = -1;
  let ackBits = 0;
  let body: RelayMessageFrame["body"] = { case: undefined };
  let traceparent: string | undefined;
  let tracestate: string | undefined;
  let seen = 0;
  while (r.pos < end) {
    const tag = bytes[r.pos++]!;
    // The body's six cases share one bit: two oneof members in one frame take the slow path.
    const bit = fieldBit(tag >> 3);
    if (seen & bit) return undefined;
    seen |= bit;
    switch (tag) {
      case T_VERSION:
        if ((version = r.varint(end)) < 0) return undefined;
        break;
      case T_STREAM_ID: {
        const stop = r.length(end);
        const text = stop < 0 ? undefined : r.streamId(stop);
        if (text === undefined) return undefined;
        streamId = text;
        break;
      }
      case T_ACK:
        if ((ack = r.varint(end)) < 0) return undefined;
        break;
      case T_ACK_BITS:
        if ((ackBits = r.varint(end)) < 0) return undefined;
        break;
      case T_DATA: {
        const stop = r.length(end);
        const value = stop < 0 ? undefined : readData(r, stop);
        if (value === undefined) return undefined;
        body = { case: "data", value };
        break;
      }
      case T_RESUME: {
        const stop = r.length(end);
        const nextSeq = stop < 0 ? -1 : readSingleVarint(r, stop);
        if (nextSeq < 0) return undefined;
        body = { case: "resume", value: { $typeName: TYPE.resume, nextSeq } };
        break;
      }
      case T_RESET: {
        const stop = r.length(end);
        const reason = stop < 0 ? undefined : readSingleText(r, stop);
        if (reason === undefined) return undefined;
        body = { case: "reset", value: { $typeName: TYPE.reset, reason } };
        break;
      }
      case T_ACK_FRAME:
      case T_HEARTBEAT:
        // Empty messages only; anything inside is an unknown field.
        if (r.pos >= end || bytes[r.pos++] !== 0) return undefined;
        body = tag === T_ACK_FRAME ? { case: "ackFrame", value: { $typeName: TYPE.ack } } : { case: "heartbeat", value: { $typeName: TYPE.heartbeat } };
        break;
      case T_HANDSHAKE: {
        const stop = r.length(end);
        const payload = stop < 0 ? undefined : readSingleBytes(r, stop);
        if (payload === undefined) return undefined;
        body = { case: "handshake", value: { $typeName: TYPE.handshake, payload } };
        break;
      }
      case T_TRACEPARENT:
      case T_TRACESTATE: {
        const stop = r.length(end);
        const text = stop < 0 ? undefined : r.ascii(stop);
        if (text === undefined) return undefined;
        if (tag === T_TRACEPARENT) traceparent = text;
        else tracestate = text;
        break;
      }
      default:
        return undefined;
    }
  }
  const frame: RelayMessageFrame = { $typeName: TYPE.frame, version, streamId, ackBits, body };
  if (ack >= 0) frame.ack = ack;
  if (traceparent !== undefined) frame.traceparent = traceparent;
  if (tracestate !== undefined) frame.tracestate = tracestate;
  return frame;
}

/** What a router needs of a frame: where it goes and whether it is valid (see `parseEnvelope`). */
export interface FrameEnvelope {
  readonly version: number;
  readonly streamId: string;
  readonly kind: "data" | "ackFrame" | "resume" | "heartbeat" | "handshake" | undefined;
  /** Data frames: `segment_count != 0` and a non-empty payload (CONTRACT §7); handshake frames: a non-empty payload. */
  readonly dataComplete: boolean;
}

/**
 * Reads only the envelope of `bytes` (version, stream id, which body) without building the frame or
 * touching the payload. `undefined` outside the fast path and for `reset` frames (their reason must
 * be checked as UTF-8 text): the caller then decodes the whole frame.
 */
export function scanEnvelopeFast(bytes: Uint8Array): FrameEnvelope | undefined {
  const r = new Reader(bytes, 0);
  const end = bytes.length;
  let version = 0;
  let streamId = "";
  let kind: FrameEnvelope["kind"];
  let dataComplete = false;
  let seen = 0;
  while (r.pos < end) {
    const tag = bytes[r.pos++]!;
    const bit = fieldBit(tag >> 3);
    if (seen & bit) return undefined;
    seen |= bit;
    switch (tag) {
      case T_VERSION:
        if ((version = r.varint(end)) < 0) return undefined;
        break;
      case T_STREAM_ID: {
        const stop = r.length(end);
        const text = stop < 0 ? undefined : r.streamId(stop);
        if (text === undefined) return undefined;
        streamId = text;
        break;
      }
      case T_ACK:
      case T_ACK_BITS:
        if (r.varint(end) < 0) return undefined;
        break;
      case T_DATA: {
        const stop = r.length(end);
        if (stop < 0 || !scanData(r, stop)) return undefined;
        kind = "data";
        dataComplete = scratch.segmentCount !== 0 && scratch.payloadEnd > scratch.payloadStart;
        break;
      }
      case T_RESUME: {
        const stop = r.length(end);
        if (stop < 0 || readSingleVarint(r, stop) < 0) return undefined;
        kind = "resume";
        break;
      }
      case T_ACK_FRAME:
      case T_HEARTBEAT:
        if (r.pos >= end || bytes[r.pos++] !== 0) return undefined;
        kind = tag === T_ACK_FRAME ? "ackFrame" : "heartbeat";
        break;
      case T_HANDSHAKE: {
        const stop = r.length(end);
        const payload = stop < 0 ? undefined : readSingleBytes(r, stop);
        if (payload === undefined) return undefined;
        kind = "handshake";
        dataComplete = payload.length > 0;
        break;
      }
      case T_TRACEPARENT:
      case T_TRACESTATE: {
        // Passed through untouched; only checked as text the way a full decode would.
        const stop = r.length(end);
        if (stop < 0 || r.ascii(stop) === undefined) return undefined;
        break;
      }
      default:
        return undefined;
    }
  }
  return { version, streamId, kind, dataComplete };
}
