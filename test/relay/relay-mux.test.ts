import assert from "node:assert/strict";
import { test } from "node:test";
import { create } from "@bufbuild/protobuf";
import fc from "fast-check";
import { RelayMessageFrameSchema } from "../../generated/proto/codex/exec_server/relay/v1/relay_pb.js";
import { decodeFrame as decode, encodeFrame, resumeFrame } from "../../src/relay/frame-codec.js";
import { type FrameSocket, RelayMux } from "../../src/relay/relay-mux.js";
import type { RelayStream } from "../../src/relay/relay-stream.js";
import { ManualClock } from "../../src/util/clock.js";
import { LegacyPeer } from "./legacy-peer.js";
import { assertPrefix, message, RelayWorld } from "./relay-world.js";
import type { Direction } from "./sim-link.js";

/** A socket whose far end is the test itself. */
function loopSocket(onSend: (bytes: Uint8Array) => void) {
  let frameListener: ((bytes: Uint8Array) => void) | undefined;
  let closeListener: ((reason: string) => void) | undefined;
  const socket: FrameSocket = {
    send: onSend,
    onFrame: (l) => {
      frameListener = l;
      return () => (frameListener = undefined);
    },
    onClose: (l) => {
      closeListener = l;
      return () => (closeListener = undefined);
    },
  };
  return { socket, inject: (bytes: Uint8Array) => frameListener?.(bytes), close: () => closeListener?.("closed") };
}

test("many streams on one lossy, reordering link each receive exactly their own messages in order", () => {
  const op = fc.oneof(
    fc.record({ kind: fc.constant("send" as const), stream: fc.nat({ max: 5 }), up: fc.boolean(), size: fc.integer({ min: 1, max: 300 }) }),
    fc.record({ kind: fc.constantFrom("deliver" as const, "drop" as const, "duplicate" as const), dir: fc.constantFrom<Direction>("toExecutor", "toHarness"), index: fc.nat({ max: 30 }) }),
    fc.record({ kind: fc.constant("clock" as const), ms: fc.integer({ min: 1, max: 2_000 }) }),
    fc.record({ kind: fc.constant("reconnect" as const) }),
  );
  fc.assert(
    fc.property(fc.array(op, { maxLength: 150 }), (ops) => {
      const world = new RelayWorld({ maxSegmentBytes: 32, maxRetransmits: 1_000 });
      const records = Array.from({ length: 6 }, (_, i) => world.open(`stream-${i}`));
      let n = 0;
      for (const o of ops) {
        if (o.kind === "send") {
          const r = records[o.stream]!;
          const m = message(`${r.harness.streamId}/${o.up ? "u" : "d"}${n++}`, o.size);
          if (o.up) world.sendUp(r, m);
          else world.sendDown(r, m);
        } else if (o.kind === "clock") world.clock.advance(o.ms);
        else if (o.kind === "reconnect") {
          world.disconnect();
          world.connect();
        } else world.link[o.kind](o.dir, o.index);
      }
      world.heal();
      for (const r of records) {
        assertPrefix(r.gotUp, r.sentUp, `${r.harness.streamId} up`);
        assertPrefix(r.gotDown, r.sentDown, `${r.harness.streamId} down`);
        assert.equal(r.gotUp.length, r.sentUp.length);
        assert.equal(r.gotDown.length, r.sentDown.length);
        assert.deepEqual(r.closed, []);
      }
    }),
    { numRuns: 60 },
  );
});

test("a duplicated opening resume does not make the endpoints ping-pong (regression: seed 993762650)", () => {
  const world = new RelayWorld();
  world.open("s");
  world.link.duplicate("toExecutor", 0);
  world.link.flush(1_000);
  world.clock.advance(100);
  world.link.flush(1_000);
  assert.ok(world.link.sent.toExecutor + world.link.sent.toHarness < 10);
});

test("1-byte messages and a 5 MiB message cross with default options", () => {
  const world = new RelayWorld();
  const r = world.open("big");
  const big = `"${"z".repeat(5 * 1024 * 1024)}"`;
  for (const m of ["1", "2", big, "3"]) world.sendUp(r, m);
  world.heal();
  world.sendDown(r, big);
  world.sendDown(r, "4");
  world.heal();
  assert.deepEqual(r.gotUp.map((m) => m.length), [1, 1, big.length, 1]);
  assert.deepEqual(r.gotDown.map((m) => m.length), [big.length, 1]);
  assert.equal(r.gotUp[2], big);
});

test("a reset ends only its stream and a later data frame with the same id starts a fresh stream", () => {
  const world = new RelayWorld();
  const a = world.open("a");
  const b = world.open("b");
  world.sendUp(a, "a1");
  world.sendUp(b, "b1");
  world.heal();
  const firstExecutorA = a.executor!;
  a.harness.close("test_reset");
  world.heal();
  assert.equal(firstExecutorA.closedReason, "test_reset");
  assert.equal(firstExecutorA.closedByPeer, true);
  assert.equal(world.executor.getStream("a"), undefined);
  world.sendUp(b, "b2");
  world.heal();
  assert.deepEqual(b.gotUp, ["b1", "b2"]);
  // Same id again: the executor sees a brand-new stream.
  world.streams.delete("a");
  const again = world.open("a");
  world.sendUp(again, "fresh");
  world.heal();
  assert.notEqual(again.executor, firstExecutorA);
  assert.deepEqual(again.gotUp, ["fresh"]);
});

test("streams beyond the limit are refused with a reset carrying a reason", () => {
  const clock = new ManualClock();
  const out: Uint8Array[] = [];
  const executor = new RelayMux({ role: "executor", clock, maxStreams: 2 });
  const loop = loopSocket((b) => out.push(b));
  executor.attachSocket(loop.socket);
  for (const id of ["s1", "s2", "s3"]) loop.inject(encodeFrame(resumeFrame(id, 0, { ack: 0, ackBits: 0 })));
  assert.equal(executor.streamCount, 2);
  const reset = out.map((b) => decode(b)).find((f) => f.streamId === "s3");
  assert.equal(reset?.body.case, "reset");
  assert.match((reset!.body.value as { reason: string }).reason, /^relay_stream_limit/);
  const harness = new RelayMux({ role: "harness", clock, maxStreams: 1 });
  harness.openStream("x");
  assert.throws(() => harness.openStream("y"), /relay_stream_limit/);
});

test("a hostile peer's frames never throw and never grow buffers beyond their caps", () => {
  const limits = { maxReorderBytes: 4_096, maxMessageBytes: 16_384, maxSegmentBytes: 512 };
  const frameArb = fc
    .record({
      version: fc.constantFrom(1, 1, 1, 1, 0, 2),
      streamId: fc.constantFrom("", "a", "b", "c"),
      ack: fc.option(fc.oneof(fc.nat({ max: 40 }), fc.nat({ max: 0xffffffff })), { nil: undefined }),
      ackBits: fc.nat({ max: 0xffffffff }),
      body: fc.oneof(
        {
          weight: 5,
          arbitrary: fc.record({
            case: fc.constant("data" as const),
            value: fc.record({
              seq: fc.oneof(fc.nat({ max: 70 }), fc.nat({ max: 0xffffffff })),
              segmentIndex: fc.oneof(fc.nat({ max: 4 }), fc.nat({ max: 0xffffffff })),
              segmentCount: fc.oneof(fc.nat({ max: 5 }), fc.nat({ max: 0xffffffff })),
              payload: fc.uint8Array({ maxLength: 3_000 }),
            }),
          }),
        },
        { weight: 1, arbitrary: fc.record({ case: fc.constant("resume" as const), value: fc.record({ nextSeq: fc.nat({ max: 0xffffffff }) }) }) },
        { weight: 1, arbitrary: fc.record({ case: fc.constant("reset" as const), value: fc.record({ reason: fc.constantFrom("", "bye") }) }) },
        { weight: 1, arbitrary: fc.record({ case: fc.constantFrom("ackFrame" as const, "heartbeat" as const), value: fc.constant({}) }) },
      ),
    })
    .map(({ ack, ...rest }) => encodeFrame(create(RelayMessageFrameSchema, { ...rest, ...(ack === undefined ? {} : { ack }) })));
  const input = fc.oneof({ weight: 8, arbitrary: frameArb }, { weight: 1, arbitrary: fc.uint8Array({ maxLength: 40 }) });
  fc.assert(
    fc.property(fc.constantFrom("harness" as const, "executor" as const), fc.array(fc.tuple(input, fc.nat({ max: 100 })), { maxLength: 200 }), (role, inputs) => {
      const clock = new ManualClock();
      const mux = new RelayMux({ role, clock, maxStreams: 3, endpoint: limits });
      const loop = loopSocket(() => {});
      mux.attachSocket(loop.socket);
      const streams: RelayStream[] = [];
      if (role === "harness") for (const id of ["a", "b"]) streams.push(mux.openStream(id));
      mux.onStream((s) => streams.push(s));
      for (const [bytes, ms] of inputs) {
        loop.inject(bytes);
        clock.advance(ms);
        assert.ok(mux.streamCount <= 3);
        for (const s of streams) {
          const { receiver, sender } = s.state;
          assert.ok(receiver.buffer.length <= 32);
          assert.ok(receiver.bufferedBytes <= limits.maxReorderBytes);
          assert.ok((receiver.assembly?.bytes ?? 0) <= limits.maxMessageBytes);
          assert.ok(sender.inFlight.length <= 32);
        }
      }
    }),
    { numRuns: 120 },
  );
});

function legacyInterop(role: "harness" | "executor") {
  const clock = new ManualClock();
  const toUs: Uint8Array[] = [];
  const toLegacy: Uint8Array[] = [];
  const legacy = new LegacyPeer((b) => toUs.push(b));
  const ours = new RelayMux({ role, clock, endpoint: { maxSegmentBytes: 16 } });
  let loop = loopSocket((b) => toLegacy.push(b));
  ours.attachSocket(loop.socket);
  const pump = () => {
    for (let i = 0; i < 10_000 && (toUs.length > 0 || toLegacy.length > 0); i++) {
      const a = toLegacy.shift();
      if (a !== undefined) legacy.receive(a);
      const b = toUs.shift();
      if (b !== undefined) loop.inject(b);
    }
  };
  const reconnect = () => {
    loop.close();
    toUs.length = 0;
    toLegacy.length = 0;
    loop = loopSocket((b) => toLegacy.push(b));
    ours.attachSocket(loop.socket);
  };
  return { clock, legacy, ours, pump, reconnect, toLegacy };
}

test("our harness interoperates with a legacy executor: no refused frame, no duplicate delivery", () => {
  const { clock, legacy, ours, pump, reconnect } = legacyInterop("harness");
  const stream = ours.openStream("h1");
  const got: string[] = [];
  stream.onMessage((m) => got.push(m));
  const long = message("long", 200);
  stream.send('{"id":1,"method":"initialize"}');
  pump();
  legacy.sendMessage("h1", '{"id":1,"result":{}}');
  pump();
  assert.equal(stream.peer, "legacy");
  stream.send(long);
  stream.send('{"method":"initialized"}');
  clock.advance(120_000);
  pump();
  reconnect();
  clock.advance(120_000);
  pump();
  legacy.sendMessage("h1", long);
  pump();
  assert.deepEqual(legacy.refused, []);
  assert.deepEqual(legacy.delivered.get("h1"), ['{"id":1,"method":"initialize"}', long, '{"method":"initialized"}']);
  assert.deepEqual(got, ['{"id":1,"result":{}}', long]);
  assert.ok(legacy.kinds.every((k) => k === "data" || k === "resume"), `legacy saw ${legacy.kinds.join(",")}`);
});

test("our executor interoperates with a legacy harness: upstream-shaped frames only, no duplicates", () => {
  const { clock, legacy, ours, pump, reconnect, toLegacy } = legacyInterop("executor");
  const accepted: RelayStream[] = [];
  const got: string[] = [];
  ours.onStream((s) => {
    accepted.push(s);
    s.onMessage((m) => {
      got.push(m);
      s.send(message(`re:${m}`, 100));
    });
  });
  const sentToLegacy: Uint8Array[] = [];
  legacy.open("x");
  legacy.sendMessage("x", "m0");
  legacy.sendMessage("x", "m1");
  const originalPush = toLegacy.push.bind(toLegacy);
  toLegacy.push = (...items: Uint8Array[]) => {
    sentToLegacy.push(...items);
    return originalPush(...items);
  };
  pump();
  clock.advance(60_000);
  pump();
  reconnect();
  clock.advance(60_000);
  pump();
  assert.equal(accepted.length, 1);
  assert.equal(accepted[0]!.peer, "legacy");
  assert.deepEqual(got, ["m0", "m1"]);
  assert.deepEqual(legacy.refused, []);
  assert.deepEqual(legacy.delivered.get("x"), [message("re:m0", 100), message("re:m1", 100)]);
  for (const bytes of sentToLegacy) {
    const f = decode(bytes);
    assert.equal(f.ack, undefined, "no ack presence towards a legacy peer");
    assert.equal(f.body.case, "data");
  }
  const seqs = sentToLegacy.map((b) => (decode(b).body.value as { seq: number }).seq);
  assert.deepEqual(seqs, [0, 1], "numbered from 0 like upstream");
});

test("on a clean link every data segment crosses exactly once (no replay after the opening resume)", () => {
  const world = new RelayWorld({ maxSegmentBytes: 8 });
  const r = world.open("clean");
  const seen: string[] = [];
  const original = world.link.deliver.bind(world.link);
  world.link.deliver = (direction, index = 0) => {
    const bytes = world.link.queues[direction][index % Math.max(1, world.link.queues[direction].length)];
    if (bytes !== undefined) {
      const f = decode(bytes);
      if (f.body.case === "data") seen.push(`${direction}:${f.body.value.seq}`);
    }
    return original(direction, index);
  };
  world.sendUp(r, message("u0", 30));
  world.link.flush();
  world.sendDown(r, message("d0", 30));
  world.sendUp(r, message("u1", 3));
  world.heal();
  assert.deepEqual(r.gotUp.length, 2);
  assert.equal(new Set(seen).size, seen.length, `duplicates: ${seen.join(" ")}`);
});
