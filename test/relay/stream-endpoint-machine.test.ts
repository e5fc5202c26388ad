/**
 * Unit tests of the endpoint machine with pure `transition()`: they assert which named actions
 * (frames sent, messages delivered, timers scheduled) would run, without executing any.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { initialTransition, transition } from "xstate";
import { encodeMessage, type EndpointEvent, type PeerCapability } from "../../src/relay/endpoint-step.js";
import { ackFrame, dataFrame, encodeFrame, type RelayMessageFrame, resetFrame, resumeFrame } from "../../src/relay/frame-codec.js";
import { resolveRelayEndpointOptions } from "../../src/relay/relay-options.js";
import { streamEndpointMachine } from "../../src/relay/stream-endpoint-machine.js";

type Snapshot = ReturnType<typeof initialTransition<typeof streamEndpointMachine>>[0];
interface Action {
  type: string;
  params: unknown;
}

function start(role: "harness" | "executor", peer?: PeerCapability, options = {}) {
  const [snapshot] = initialTransition(streamEndpointMachine, {
    streamId: "s",
    role,
    options: resolveRelayEndpointOptions(options),
    ...(peer === undefined ? {} : { peer }),
  });
  return snapshot;
}

function run(snapshot: Snapshot, ...events: EndpointEvent[]): { snapshot: Snapshot; actions: Action[] } {
  let current = snapshot;
  const actions: Action[] = [];
  for (const event of events) {
    const [next, executed] = transition(streamEndpointMachine, current, event);
    current = next;
    actions.push(...(executed as Action[]));
  }
  return { snapshot: current, actions };
}

const framesOf = (actions: Action[], type = "sendFrame") =>
  actions.filter((a) => a.type === type).map((a) => (a.params as { frame: RelayMessageFrame }).frame);
const delivered = (actions: Action[]) =>
  actions.filter((a) => a.type === "deliverMessage").map((a) => new TextDecoder().decode((a.params as { payload: Uint8Array }).payload));
const timersStarted = (actions: Action[]) =>
  actions.filter((a) => a.type === "xstate.raise").map((a) => (a.params as { id: string }).id);
const hex = (f: RelayMessageFrame) => Buffer.from(encodeFrame(f)).toString("hex");
const acks = (ack: number, ackBits = 0) => ({ ack, ackBits });
const data = (seq: number, text: string, index = 0, count = 1, ack?: number) =>
  dataFrame("s", { seq, segmentIndex: index, segmentCount: count, payload: encodeMessage(text) }, ack === undefined ? undefined : acks(ack));
const frameEvent = (frame: RelayMessageFrame, now = 0): EndpointEvent => ({ type: "FRAME", frame, now });

test("a harness opens with resume {next_seq: 0} carrying ack presence", () => {
  const { actions, snapshot } = run(start("harness"), { type: "ATTACH", now: 0 });
  const frames = framesOf(actions);
  assert.equal(frames.length, 1);
  assert.equal(hex(frames[0]!), hex(resumeFrame("s", 0, acks(0))));
  assert.deepEqual(snapshot.value, { open: "attached" });
});

test("towards a reliable peer a large message is split into contiguous segments, at most 32 in flight", () => {
  const s0 = run(start("executor", "reliable", { maxSegmentBytes: 10 }), { type: "ATTACH", now: 0, resume: false }).snapshot;
  const { actions, snapshot } = run(s0, { type: "SEND", payload: encodeMessage("x".repeat(400)), now: 0 });
  const frames = framesOf(actions);
  assert.equal(frames.length, 32);
  frames.forEach((f, i) => {
    assert.equal(f.body.case, "data");
    const d = f.body.value as { seq: number; segmentIndex: number; segmentCount: number; payload: Uint8Array };
    assert.deepEqual([d.seq, d.segmentIndex, d.segmentCount, d.payload.length], [i + 1, i, 40, 10]);
    assert.equal(f.ack, 0);
  });
  assert.equal(snapshot.context.sender.queue.length, 8);
  assert.deepEqual(timersStarted(actions), ["relay.retransmit"]);
  // An ack of the first 5 opens the window by exactly 5 more segments.
  const next = run(snapshot, frameEvent(ackFrame("s", acks(5))));
  assert.deepEqual(framesOf(next.actions).map((f) => (f.body.value as { seq: number }).seq), [33, 34, 35, 36, 37]);
});

test("towards a legacy peer a large message stays one segment without ack presence, numbered from 0", () => {
  const s0 = run(start("executor", "legacy", { maxSegmentBytes: 10 }), { type: "ATTACH", now: 0 }).snapshot;
  const { actions, snapshot } = run(s0, { type: "SEND", payload: encodeMessage("y".repeat(100)), now: 0 });
  const frames = framesOf(actions);
  assert.equal(frames.length, 1, "no resume and no segmentation towards a legacy peer");
  assert.equal(hex(frames[0]!), hex(data(0, "y".repeat(100))));
  assert.equal(snapshot.context.sender.inFlight.length, 0, "nothing is kept for retransmission");
  assert.deepEqual(timersStarted(actions), []);
});

test("received data is delivered and acknowledged after the ack delay, unless a data frame carries the ack first", () => {
  const s0 = run(start("executor", "reliable"), { type: "ATTACH", now: 0, resume: false }).snapshot;
  const first = run(s0, frameEvent(data(1, '{"id":1}', 0, 1, 0)));
  assert.deepEqual(delivered(first.actions), ['{"id":1}']);
  assert.deepEqual(framesOf(first.actions), [], "no immediate standalone ack");
  assert.deepEqual(timersStarted(first.actions), ["relay.ack"]);
  const timedOut = run(first.snapshot, { type: "ACK_TIMEOUT" });
  assert.deepEqual(framesOf(timedOut.actions, "emitAck").map(hex), [hex(ackFrame("s", acks(1)))]);
  const piggybacked = run(first.snapshot, { type: "SEND", payload: encodeMessage("r"), now: 1 }, { type: "ACK_TIMEOUT" });
  assert.equal(framesOf(piggybacked.actions)[0]!.ack, 1, "the response carries the ack");
  assert.deepEqual(framesOf(piggybacked.actions, "emitAck"), [], "so no standalone ack follows");
});

test("a one-way flow is acknowledged at once every ackEverySegments data segments, not after the ack delay", () => {
  const s0 = run(start("harness", "reliable", { ackEverySegments: 2 }), { type: "ATTACH", now: 0, resume: false }).snapshot;
  const one = run(s0, frameEvent(data(1, "A", 0, 3, 0)));
  assert.deepEqual(framesOf(one.actions, "emitAck"), [], "one segment waits for the ack timer");
  const two = run(one.snapshot, frameEvent(data(2, "B", 1, 3, 0)));
  assert.deepEqual(framesOf(two.actions, "emitAck").map(hex), [hex(ackFrame("s", acks(2)))], "the second acks both at once");
  const three = run(two.snapshot, frameEvent(data(3, "C", 2, 3, 0)));
  assert.deepEqual(framesOf(three.actions, "emitAck"), [], "the count starts again after an ack went out");
  assert.deepEqual(delivered(three.actions), ["ABC"]);
  const timerOnly = run(start("harness", "reliable", { ackEverySegments: 0 }), { type: "ATTACH", now: 0, resume: false }, frameEvent(data(1, "A", 0, 2, 0)), frameEvent(data(2, "B", 1, 2, 0)));
  assert.deepEqual(framesOf(timerOnly.actions, "emitAck"), [], "0 leaves acks to the timer");
});

test("an ack-only frame or heartbeat is never acknowledged", () => {
  const s0 = run(start("executor", "reliable"), { type: "ATTACH", now: 0, resume: false }).snapshot;
  const { actions } = run(s0, frameEvent(ackFrame("s", acks(0))), { type: "ACK_TIMEOUT" });
  assert.deepEqual(framesOf(actions, "emitAck"), []);
  assert.deepEqual(timersStarted(actions), []);
});

test("a duplicate segment is not delivered again but the ack is re-advertised", () => {
  const s0 = run(start("executor", "reliable"), { type: "ATTACH", now: 0, resume: false }).snapshot;
  const { actions } = run(s0, frameEvent(data(1, "a", 0, 1, 0)), frameEvent(data(1, "a", 0, 1, 0)), { type: "ACK_TIMEOUT" });
  assert.deepEqual(delivered(actions), ["a"]);
  assert.deepEqual(framesOf(actions, "emitAck").map(hex), [hex(ackFrame("s", acks(1)))]);
});

test("out-of-order segments are buffered, advertised in ack_bits and reassembled in order", () => {
  const s0 = run(start("executor", "reliable"), { type: "ATTACH", now: 0, resume: false }).snapshot;
  const gap = run(s0, frameEvent(data(3, "C", 0, 1, 0)), frameEvent(data(2, "B", 1, 2, 0)), { type: "ACK_TIMEOUT" });
  assert.deepEqual(delivered(gap.actions), []);
  assert.deepEqual(framesOf(gap.actions, "emitAck").map(hex), [hex(ackFrame("s", acks(0, 0b110)))]);
  const filled = run(gap.snapshot, frameEvent(data(1, "A", 0, 2, 0)));
  assert.deepEqual(delivered(filled.actions), ["AB", "C"]);
  assert.equal(filled.snapshot.context.receiver.ack, 3);
});

test("inconsistent segment metadata resets the stream with a reason instead of allocating", () => {
  const s0 = run(start("executor", "reliable"), { type: "ATTACH", now: 0, resume: false }).snapshot;
  const { actions, snapshot } = run(s0, frameEvent(data(1, "A", 0, 4_000_000_000, 0)));
  const [reset] = framesOf(actions);
  assert.equal(reset?.body.case, "reset");
  assert.match((reset!.body.value as { reason: string }).reason, /^relay_message_too_large/);
  assert.equal(snapshot.status, "done");
  const failed = actions.find((a) => a.type === "failStream");
  assert.deepEqual((failed?.params as { byPeer: boolean }).byPeer, false);
  const mismatch = run(s0, frameEvent(data(1, "A", 0, 3, 0)), frameEvent(data(2, "B", 1, 2, 0)));
  assert.match((framesOf(mismatch.actions)[0]!.body.value as { reason: string }).reason, /^relay_invalid_segment: seq 2 is segment 1\/2, expected 1\/3/);
});

test("an unacked segment is retransmitted on timeout with backoff and the stream resets after the retry bound", () => {
  let { snapshot } = run(start("executor", "reliable", { maxRetransmits: 2 }), { type: "ATTACH", now: 0, resume: false }, { type: "SEND", payload: encodeMessage("m"), now: 0 });
  const rtos: number[] = [];
  for (let i = 0; i < 2; i++) {
    const r = run(snapshot, { type: "RETRANSMIT_TIMEOUT" });
    assert.deepEqual(framesOf(r.actions).map((f) => (f.body.value as { seq: number }).seq), [1]);
    rtos.push((r.actions.find((a) => a.type === "xstate.raise")!.params as { delay: number }).delay);
    snapshot = r.snapshot;
  }
  assert.deepEqual(rtos, [2000, 4000], "the timeout doubles from the initial 1 s");
  const last = run(snapshot, { type: "RETRANSMIT_TIMEOUT" });
  assert.match((framesOf(last.actions)[0]!.body.value as { reason: string }).reason, /^relay_retransmit_limit/);
  assert.equal(last.snapshot.status, "done");
});

test("a gap shown by ack_bits triggers one fast retransmit", () => {
  const s0 = run(start("executor", "reliable"), { type: "ATTACH", now: 0, resume: false }, ...["a", "b", "c", "d", "e"].map((m): EndpointEvent => ({ type: "SEND", payload: encodeMessage(m), now: 0 }))).snapshot;
  const { actions } = run(s0, frameEvent(ackFrame("s", acks(1, 0b1110))), frameEvent(ackFrame("s", acks(1, 0b1110))));
  assert.deepEqual(framesOf(actions).map((f) => (f.body.value as { seq: number }).seq), [2]);
});

test("a resume from the peer replays everything unacked and is answered with an ack, not a resume", () => {
  const s0 = run(start("executor", "reliable"), { type: "ATTACH", now: 0, resume: false }, { type: "SEND", payload: encodeMessage("a"), now: 0 }, { type: "SEND", payload: encodeMessage("b"), now: 0 }).snapshot;
  const { actions } = run(s0, frameEvent(resumeFrame("s", 0, acks(1))));
  assert.deepEqual(framesOf(actions).map((f) => f.body.case), ["data"]);
  assert.equal((framesOf(actions)[0]!.body.value as { seq: number }).seq, 2);
  const answer = run(s0, frameEvent(resumeFrame("s", 0, acks(2))));
  assert.deepEqual(framesOf(answer.actions, "emitAck").map((f) => f.body.case), ["ackFrame"]);
});

test("a harness learns a legacy peer from its first frame and stops tracking what it sent", () => {
  const s0 = run(start("harness"), { type: "ATTACH", now: 0 }, { type: "SEND", payload: encodeMessage("init"), now: 0 }).snapshot;
  assert.equal(s0.context.sender.inFlight.length, 1);
  const { snapshot, actions } = run(s0, frameEvent(data(0, "resp")), { type: "RETRANSMIT_TIMEOUT" });
  assert.equal(snapshot.context.peer, "legacy");
  assert.deepEqual(delivered(actions), ["resp"]);
  assert.equal(snapshot.context.sender.inFlight.length, 0);
  assert.deepEqual(framesOf(actions), [], "no retransmission and no ack to a legacy peer");
});

test("a peer reset ends the stream without answering", () => {
  const s0 = run(start("executor", "reliable"), { type: "ATTACH", now: 0, resume: false }).snapshot;
  const { snapshot, actions } = run(s0, frameEvent(resetFrame("s", "test_reset", acks(0))));
  assert.equal(snapshot.status, "done");
  assert.deepEqual(framesOf(actions), []);
  assert.deepEqual(actions.find((a) => a.type === "failStream")?.params, { reason: "test_reset", byPeer: true });
});
