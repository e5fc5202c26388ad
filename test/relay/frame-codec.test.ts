import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { create, fromBinary, toBinary } from "@bufbuild/protobuf";
import fc from "fast-check";
import { RelayDataSchema, RelayMessageFrameSchema } from "../../generated/proto/codex/exec_server/relay/v1/relay_pb.js";
import {
  ackFrame,
  dataFrame,
  decodeFrame,
  encodeFrame,
  handshakeFrame,
  heartbeatFrame,
  parseEnvelope,
  parseFrame,
  type RelayMessageFrame,
  resetFrame,
  resumeFrame,
  validateFrame,
} from "../../src/relay/frame-codec.js";
import { RelayFrameError } from "../../src/relay/frame-errors.js";

const repoRoot = join(dirname(fileURLToPath(import.meta.url)), "..", "..");
const vectorsPath = join(repoRoot, "..", "shared", "spec", "relay-vectors.json");

interface VectorData {
  seq?: number;
  segmentIndex?: number;
  segmentCount?: number;
  payloadUtf8?: string;
  payloadBase64?: string;
}
interface VectorFrame {
  version?: number;
  streamId?: string;
  ack?: number;
  ackBits?: number;
  data?: VectorData;
  ackFrame?: object;
  resume?: { nextSeq?: number };
  reset?: { reason?: string };
  heartbeat?: object;
}
interface Vector {
  name: string;
  hex: string;
  valid: boolean;
  decodable?: boolean;
  error?: string;
  frame?: VectorFrame;
}

const vectors = (JSON.parse(readFileSync(vectorsPath, "utf8")) as { vectors: Vector[] }).vectors;

/** Converts the vector's proto3-JSON-like form into a message (no `ack` presence unless given). */
function frameFromVector(v: VectorFrame): RelayMessageFrame {
  const body: RelayMessageFrame["body"] =
    v.data !== undefined
      ? {
          case: "data",
          value: create(RelayDataSchema, {
            seq: v.data.seq ?? 0,
            segmentIndex: v.data.segmentIndex ?? 0,
            segmentCount: v.data.segmentCount ?? 0,
            payload:
              v.data.payloadUtf8 !== undefined
                ? new TextEncoder().encode(v.data.payloadUtf8)
                : Buffer.from(v.data.payloadBase64 ?? "", "base64"),
          }),
        }
      : v.ackFrame !== undefined
        ? { case: "ackFrame", value: { $typeName: "codex.exec_server.relay.v1.RelayAck" } }
        : v.resume !== undefined
          ? { case: "resume", value: { $typeName: "codex.exec_server.relay.v1.RelayResume", nextSeq: v.resume.nextSeq ?? 0 } }
          : v.reset !== undefined
            ? { case: "reset", value: { $typeName: "codex.exec_server.relay.v1.RelayReset", reason: v.reset.reason ?? "" } }
            : v.heartbeat !== undefined
              ? { case: "heartbeat", value: { $typeName: "codex.exec_server.relay.v1.RelayHeartbeat" } }
              : { case: undefined };
  return create(RelayMessageFrameSchema, {
    version: v.version ?? 0,
    streamId: v.streamId ?? "",
    ...(v.ack !== undefined && v.ack !== 0 ? { ack: v.ack } : {}),
    ackBits: v.ackBits ?? 0,
    body,
  });
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString("hex");
const unhex = (s: string) => new Uint8Array(Buffer.from(s, "hex"));

test("the vector file has valid, invalid and undecodable cases", () => {
  assert.ok(vectors.filter((v) => v.valid).length >= 10);
  assert.ok(vectors.some((v) => !v.valid && v.decodable !== false));
  assert.ok(vectors.some((v) => v.decodable === false));
});

for (const v of vectors) {
  if (v.valid) {
    test(`vector ${v.name}: encodes byte-identically and decodes back`, () => {
      const frame = frameFromVector(v.frame!);
      assert.equal(hex(encodeFrame(frame)), v.hex);
      const decoded = decodeFrame(unhex(v.hex));
      assert.equal(validateFrame(decoded), null);
      assert.equal(hex(encodeFrame(decoded)), v.hex);
      assert.deepEqual(decoded, frame);
      const parsed = parseFrame(unhex(v.hex));
      assert.ok(parsed.ok);
    });
  } else if (v.decodable === false) {
    test(`vector ${v.name}: is refused with a clear decode error`, () => {
      assert.throws(
        () => decodeFrame(unhex(v.hex)),
        (e: unknown) => e instanceof RelayFrameError && e.code === "undecodable" && e.message.startsWith(`${v.error}: `) && e.message.length > v.error!.length + 2,
      );
      const parsed = parseFrame(unhex(v.hex));
      assert.ok(!parsed.ok);
      assert.ok(parsed.error.message.startsWith(v.error!));
    });
  } else {
    test(`vector ${v.name}: is refused with "${v.error}"`, () => {
      const frame = decodeFrame(unhex(v.hex));
      assert.equal(validateFrame(frame), v.error);
      const parsed = parseFrame(unhex(v.hex));
      assert.ok(!parsed.ok);
      assert.equal(parsed.error.code, "invalid");
      assert.equal(parsed.error.message, v.error);
    });
  }
}

test("constructors without acks reproduce upstream's encodings", () => {
  const payload = new TextEncoder().encode('{"id":1,"method":"test"}');
  assert.equal(hex(encodeFrame(dataFrame("s", { seq: 7, payload }))), "08011201732a1e0807180122187b226964223a312c226d6574686f64223a2274657374227d");
  assert.equal(hex(encodeFrame(resumeFrame("stream-1", 0))), "0801120873747265616d2d313a00");
  assert.equal(hex(encodeFrame(resetFrame("stream-a", "test_reset"))), "0801120873747265616d2d61420c0a0a746573745f7265736574");
  assert.equal(hex(encodeFrame(heartbeatFrame("stream-a"))), "0801120873747265616d2d614a00");
  assert.equal(hex(encodeFrame(ackFrame("stream-a", { ack: 3, ackBits: 5 }))), "0801120873747265616d2d61180320053200");
});

test("an explicit ack of 0 is encoded (presence) and survives decoding", () => {
  const frame = resumeFrame("stream-1", 0, { ack: 0, ackBits: 0 });
  assert.equal(hex(encodeFrame(frame)), "0801120873747265616d2d3118003a00");
  assert.equal(decodeFrame(encodeFrame(frame)).ack, 0);
  assert.equal(decodeFrame(unhex("0801120873747265616d2d313a00")).ack, undefined);
});

const frameArb: fc.Arbitrary<RelayMessageFrame> = fc
  .record({
    version: fc.nat({ max: 0xffffffff }),
    streamId: fc.string({ maxLength: 40 }),
    ack: fc.option(fc.nat({ max: 0xffffffff }), { nil: undefined }),
    ackBits: fc.nat({ max: 0xffffffff }),
    body: fc.oneof(
      fc.record({
        case: fc.constant("data" as const),
        value: fc.record({
          seq: fc.nat({ max: 0xffffffff }),
          segmentIndex: fc.nat({ max: 0xffffffff }),
          segmentCount: fc.nat({ max: 0xffffffff }),
          payload: fc.uint8Array({ maxLength: 200 }),
        }),
      }),
      fc.record({ case: fc.constant("ackFrame" as const), value: fc.constant({}) }),
      fc.record({ case: fc.constant("resume" as const), value: fc.record({ nextSeq: fc.nat({ max: 0xffffffff }) }) }),
      fc.record({ case: fc.constant("reset" as const), value: fc.record({ reason: fc.string({ maxLength: 30 }) }) }),
      fc.record({ case: fc.constant("heartbeat" as const), value: fc.constant({}) }),
      fc.record({ case: fc.constant("handshake" as const), value: fc.record({ payload: fc.uint8Array({ maxLength: 200 }) }) }),
      fc.constant({ case: undefined }),
    ),
    traceparent: fc.option(fc.string({ maxLength: 60 }), { nil: undefined }),
    tracestate: fc.option(fc.string({ maxLength: 30 }), { nil: undefined }),
  })
  .map(({ ack, traceparent, tracestate, ...rest }) =>
    create(RelayMessageFrameSchema, {
      ...rest,
      ...(ack === undefined ? {} : { ack }),
      ...(traceparent === undefined ? {} : { traceparent }),
      ...(tracestate === undefined ? {} : { tracestate }),
    }),
  );

test("any frame survives an encode/decode round trip and validates the same", () => {
  fc.assert(
    fc.property(frameArb, (frame) => {
      const bytes = encodeFrame(frame);
      const back = decodeFrame(bytes);
      assert.deepEqual(back, frame);
      assert.deepEqual(encodeFrame(back), bytes);
      assert.equal(validateFrame(back), validateFrame(frame));
    }),
    { numRuns: 300 },
  );
});

test("arbitrary bytes never throw out of parseFrame", () => {
  fc.assert(
    fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
      const parsed = parseFrame(bytes);
      if (!parsed.ok) assert.ok(parsed.error instanceof RelayFrameError);
    }),
    { numRuns: 300 },
  );
});

// The hand-written wire path (`frame-wire.ts`) against protobuf-es, which stays the reference.
const fromProtobufEs = (bytes: Uint8Array): RelayMessageFrame | string => {
  try {
    return fromBinary(RelayMessageFrameSchema, bytes);
  } catch {
    return "undecodable";
  }
};
const fromCodec = (bytes: Uint8Array): RelayMessageFrame | string => {
  try {
    return decodeFrame(bytes);
  } catch (error) {
    assert.ok(error instanceof RelayFrameError && error.code === "undecodable");
    return "undecodable";
  }
};
/** Stream ids and reasons beyond ASCII take the fallback; both kinds must agree with protobuf-es. */
const unicodeFrameArb = frameArb.map((frame) => ({ ...frame, streamId: `${frame.streamId}é☃` }));
/** Valid encodings, then truncated, extended with an unknown or repeated field, or with one byte changed. */
const mutatedBytesArb = fc
  .tuple(fc.oneof(frameArb, unicodeFrameArb), fc.nat(), fc.integer({ min: 0, max: 255 }), fc.constantFrom("truncate", "append-unknown", "append-repeat", "flip"))
  .map(([frame, at, byte, how]) => {
    const bytes = toBinary(RelayMessageFrameSchema, frame);
    const i = bytes.length === 0 ? 0 : at % bytes.length;
    if (how === "truncate") return bytes.subarray(0, i);
    if (how === "append-unknown") return new Uint8Array([...bytes, 0x68, byte & 0x7f]); // field 13, varint
    if (how === "append-repeat") return new Uint8Array([...bytes, ...bytes.subarray(i)]);
    const copy = new Uint8Array(bytes);
    if (copy.length > 0) copy[i] = byte;
    return copy;
  });

test("the hand-written encoder produces protobuf-es's bytes for any frame", () => {
  fc.assert(
    fc.property(fc.oneof(frameArb, unicodeFrameArb), (frame) => {
      assert.equal(hex(encodeFrame(frame)), hex(toBinary(RelayMessageFrameSchema, frame)));
    }),
    { numRuns: 500 },
  );
});

test("the hand-written decoder agrees with protobuf-es on valid, mutated and arbitrary bytes", () => {
  fc.assert(
    fc.property(fc.oneof(mutatedBytesArb, fc.uint8Array({ maxLength: 64 })), (bytes) => {
      assert.deepEqual(fromCodec(bytes), fromProtobufEs(bytes));
    }),
    { numRuns: 1000 },
  );
});

test("frames read one after another get their own stream ids while the decoder reuses the previous id's string", () => {
  // Ids of equal length that differ in one byte, a prefix, a non-ASCII id and the empty id, in any order:
  // the previous id's bytes are compared before its string is reused.
  const ids = ["s1", "s2", "t1", "s", "s12", "é1", "", "ab".repeat(40)];
  fc.assert(
    fc.property(fc.array(fc.constantFrom(...ids), { minLength: 1, maxLength: 20 }), (sequence) => {
      for (const id of sequence) {
        const bytes = toBinary(RelayMessageFrameSchema, create(RelayMessageFrameSchema, { version: 1, streamId: id, body: { case: "heartbeat", value: {} } }));
        assert.equal(decodeFrame(bytes).streamId, id);
        const envelope = parseEnvelope(bytes);
        if (id === "") assert.equal(envelope.ok, false);
        else assert.deepEqual(envelope, { ok: true, streamId: id, kind: "heartbeat" });
      }
    }),
    { numRuns: 300 },
  );
});

test("parseEnvelope accepts and refuses exactly what parseFrame does, with the same stream id, kind and error", () => {
  fc.assert(
    fc.property(fc.oneof(frameArb.map((f) => toBinary(RelayMessageFrameSchema, f)), mutatedBytesArb, fc.uint8Array({ maxLength: 64 })), (bytes) => {
      const full = parseFrame(bytes);
      const envelope = parseEnvelope(bytes);
      if (full.ok) assert.deepEqual(envelope, { ok: true, streamId: full.frame.streamId, kind: full.frame.body.case });
      else assert.deepEqual(envelope.ok ? envelope : envelope.error.message, full.error.message);
    }),
    { numRuns: 1000 },
  );
});

test("codex 0.169's handshake and trace-context fields (10-12) decode from the captured encodings", () => {
  // resume{} then the start of a handshake as a 0.169 harness sends them (stream id shortened).
  assert.deepEqual(decodeFrame(unhex("080112027331" + "3a00")).body.case, "resume");
  const handshake = decodeFrame(unhex("080112027331" + "5205" + "0a03aabbcc"));
  assert.equal(handshake.body.case, "handshake");
  assert.equal(hex(handshake.body.case === "handshake" ? handshake.body.value.payload : new Uint8Array()), "aabbcc");
  assert.equal(hex(encodeFrame(handshakeFrame("s1", unhex("aabbcc")))), "080112027331" + "5205" + "0a03aabbcc");
  const traced = dataFrame("s1", { seq: 0, payload: unhex("01") });
  traced.traceparent = "00-0af7651916cd43dd8448eb211c80319c-b7ad6b7169203331-01";
  traced.tracestate = "";
  const bytes = encodeFrame(traced);
  assert.equal(hex(bytes), hex(toBinary(RelayMessageFrameSchema, traced)));
  assert.ok(hex(bytes).endsWith("6200"), "an empty tracestate is present (explicit presence), last in tag order");
  assert.deepEqual(parseEnvelope(bytes), { ok: true, streamId: "s1", kind: "data" });
  assert.equal(validateFrame(decodeFrame(unhex("080112027331" + "5200"))), "relay handshake message frame is missing payload");
});

test("frame constructors build exactly what protobuf-es create builds", () => {
  const payload = new TextEncoder().encode("{}");
  const acks = { ack: 4, ackBits: 0x80000001 };
  const frames = (["data", "ackFrame", "resume", "reset", "heartbeat", "handshake"] as const).map((kind) => {
    switch (kind) {
      case "data":
        return { built: dataFrame("s", { seq: 3, segmentIndex: 1, segmentCount: 2, payload }, acks), body: { case: kind, value: create(RelayDataSchema, { seq: 3, segmentIndex: 1, segmentCount: 2, payload }) } };
      case "ackFrame":
        return { built: ackFrame("s", acks), body: { case: kind, value: {} } };
      case "resume":
        return { built: resumeFrame("s", 9, acks), body: { case: kind, value: { nextSeq: 9 } } };
      case "reset":
        return { built: resetFrame("s", "why", acks), body: { case: kind, value: { reason: "why" } } };
      case "heartbeat":
        return { built: heartbeatFrame("s", acks), body: { case: kind, value: {} } };
      case "handshake":
        return { built: handshakeFrame("s", payload, acks), body: { case: kind, value: { payload } } };
    }
  });
  for (const { built, body } of frames) {
    assert.deepEqual(built, create(RelayMessageFrameSchema, { version: 1, streamId: "s", ack: 4, ackBits: 0x80000001, body: body as RelayMessageFrame["body"] }));
  }
  assert.deepEqual(resumeFrame("s", 0), create(RelayMessageFrameSchema, { version: 1, streamId: "s", body: { case: "resume", value: {} } }));
  assert.equal(Object.hasOwn(resumeFrame("s", 0), "ack"), false, "no ack key without presence, as create leaves it");
});
