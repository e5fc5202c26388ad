import assert from "node:assert/strict";
import { test } from "node:test";
import { decodeFrame, encodeFrame, handshakeFrame, hasAckPresence, resumeFrame, dataFrame } from "../../../src/relay/frame-codec.js";
import { NOISE_PROTOCOL_ERROR } from "../../../src/relay/noise/noise-suite.js";
import { NoiseWorld } from "./noise-world.js";

const SECRET = "SECRET-MARKER-0123456789";
const utf8 = new TextDecoder("latin1");

function frames(world: NoiseWorld, direction: "toExecutor" | "toHarness") {
  return world.link.queues[direction].map((bytes) => decodeFrame(bytes));
}

/** Every frame put on the link, as the rendezvous would see it. */
function tap(world: NoiseWorld): Uint8Array[] {
  const seen: Uint8Array[] = [];
  for (const side of ["harness", "executor"] as const) {
    const socket = world.link[side]!;
    const send = socket.send.bind(socket);
    socket.send = (bytes: Uint8Array) => {
      seen.push(bytes.slice());
      send(bytes);
    };
  }
  return seen;
}

test("our peers handshake, exchange messages both ways, and the link carries only ciphertext", async () => {
  const world = new NoiseWorld();
  const seen = tap(world);
  const stream = world.open("s1");
  world.sendUp(stream, `{"id":1,"method":"initialize","params":{"clientName":"${SECRET}"}}`);
  await world.settle();
  assert.equal(stream.harness.peer, "reliable");
  assert.equal(stream.executor?.peer, "reliable");
  assert.deepEqual(stream.gotUp, [`{"id":1,"method":"initialize","params":{"clientName":"${SECRET}"}}`]);
  world.sendDown(stream, `{"id":1,"result":{"echo":"${SECRET}"}}`);
  world.heal();
  assert.deepEqual(stream.gotDown, [`{"id":1,"result":{"echo":"${SECRET}"}}`]);
  assert.equal(world.validations.length, 1);
  assert.equal(world.validations[0]!.authorization, "authorization-1");
  const kinds = seen.map((bytes) => decodeFrame(bytes).body.case);
  assert.deepEqual(kinds.slice(0, 3), ["resume", "handshake", "handshake"]);
  assert.ok(kinds.includes("data"));
  for (const bytes of seen) assert.ok(!utf8.decode(bytes).includes(SECRET), "no frame carries the plaintext");
  assert.ok(seen.every((bytes) => hasAckPresence(decodeFrame(bytes))), "our peers mark every frame with ack presence");
});

test("towards a 0.169-style harness the executor speaks 0.169: no acks, seq from 0, reordering and duplicates handled", async () => {
  const world = new NoiseWorld({ harnessReliable: false });
  const stream = world.open("s1");
  await world.settle();
  assert.equal(stream.executor?.peer, "legacy");
  for (let i = 0; i < 3; i++) world.sendUp(stream, `{"n":${i}}`);
  const up = frames(world, "toExecutor");
  assert.deepEqual(up.map((f) => (f.body.case === "data" ? f.body.value.seq : -1)), [0, 1, 2]);
  assert.ok(up.every((f) => !hasAckPresence(f)));
  world.link.duplicate("toExecutor", 1);
  world.link.deliver("toExecutor", 2);
  world.link.deliver("toExecutor", 1);
  assert.deepEqual(stream.gotUp, [], "seq 1 and 2 wait for seq 0");
  world.link.flush();
  assert.deepEqual(stream.gotUp, ['{"n":0}', '{"n":1}', '{"n":2}'], "in order, the duplicate dropped");
  world.sendDown(stream, '{"id":1,"result":{}}');
  const down = frames(world, "toHarness");
  assert.equal(down.length, 1);
  assert.ok(!hasAckPresence(down[0]!));
  assert.equal(down[0]!.body.case === "data" ? down[0]!.body.value.seq : -1, 0);
  world.link.flush();
  assert.deepEqual(stream.gotDown, ['{"id":1,"result":{}}']);
  assert.deepEqual(stream.closed, []);
});

test("a wrong authorization is refused: reset, nothing served, the socket charged", async () => {
  const world = new NoiseWorld();
  const stream = world.open("s1", "forged-authorization");
  world.sendUp(stream, '{"id":1,"method":"initialize"}');
  await world.settle();
  assert.equal(world.validations.length, 1);
  assert.equal(stream.executor, undefined, "the executor never serves the stream");
  assert.deepEqual(stream.closed, [`H ${NOISE_PROTOCOL_ERROR}`]);
  assert.equal(world.executor.handshakeFailures, 1);
  assert.equal(world.executor.streamCount, 0);
});

test("a registry 401 completes the handshake with the rejection marker, which the harness treats as terminal", async () => {
  const world = new NoiseWorld({ authorize: async () => "rejected" });
  const stream = world.open("s1");
  await world.settle();
  assert.equal(stream.harness.rejected, true);
  assert.match(stream.harness.closedReason ?? "", /executor credentials rejected/);
  assert.equal(stream.executor, undefined);
});

test("eight failed handshakes close the executor socket", async () => {
  const world = new NoiseWorld();
  const executorSocket = world.link.executor!;
  for (let i = 0; i < 7; i++) executorSocket.emit(encodeFrame(handshakeFrame(`bad-${i}`, new Uint8Array(3600).fill(i))));
  assert.equal(world.executor.handshakeFailures, 7);
  assert.equal(executorSocket.open, true);
  assert.ok(frames(world, "toHarness").every((f) => f.body.case === "reset" && f.body.value.reason === NOISE_PROTOCOL_ERROR));
  executorSocket.emit(encodeFrame(handshakeFrame("bad-7", new Uint8Array(10))));
  assert.equal(executorSocket.open, false, "the eighth failure closes the socket");
  assert.equal(world.executor.attached, false);
});

test("data for an unknown stream gets a reset; resume, heartbeat and invalid frames are ignored", () => {
  const world = new NoiseWorld();
  const socket = world.link.executor!;
  socket.emit(encodeFrame(resumeFrame("ghost", 0)));
  socket.emit(new Uint8Array([0xff, 0x00]));
  assert.equal(world.link.queues.toHarness.length, 0);
  socket.emit(encodeFrame(dataFrame("ghost", { seq: 0, payload: new Uint8Array([1, 2, 3]) })));
  const [reset] = frames(world, "toHarness");
  assert.equal(reset?.body.case, "reset");
  assert.equal(reset?.body.case === "reset" ? reset.body.value.reason : "", NOISE_PROTOCOL_ERROR);
  assert.equal(world.executor.handshakeFailures, 0, "unknown data is not a handshake failure");
});

test("a changed data frame resets the stream and nothing garbled is delivered", async () => {
  for (const reliable of [true, false]) {
    const world = new NoiseWorld({ harnessReliable: reliable });
    const stream = world.open("s1");
    await world.settle();
    world.sendUp(stream, `{"id":1,"method":"x","params":{"p":"${SECRET}"}}`);
    const queued = world.link.queues.toExecutor[0]!;
    queued[queued.length - 3] = queued[queued.length - 3]! ^ 0x40;
    world.link.flush();
    assert.deepEqual(stream.gotUp, []);
    assert.ok(stream.closed.includes(`H ${NOISE_PROTOCOL_ERROR}`), `${reliable}: the harness is reset: ${stream.closed.join(", ")}`);
    assert.ok(stream.closed.some((c) => c.startsWith("E ") && c.includes("AES-GCM authentication failed")), `${reliable}: ${stream.closed.join(", ")}`);
  }
});

test("a 0.169 stream whose seq jumps 64 or more ahead is reset", async () => {
  const world = new NoiseWorld({ harnessReliable: false });
  const stream = world.open("s1");
  await world.settle();
  world.link.executor!.emit(encodeFrame(dataFrame("s1", { seq: 64, payload: new Uint8Array(40) })));
  assert.ok(stream.closed.some((c) => c.startsWith("E ") && c.includes("ahead")), stream.closed.join(", "));
});

test("beyond the stream limit a handshake is refused with a reset", async () => {
  const world = new NoiseWorld({ limits: { maxStreams: 2 } });
  const streams = ["a", "b", "c"].map((id) => world.open(id));
  await world.settle();
  assert.equal(world.executor.streamCount, 2);
  assert.deepEqual(streams[2]!.closed, [`H ${NOISE_PROTOCOL_ERROR}`]);
});

test("a harness whose handshake gets no answer gives up after the handshake timeout", () => {
  const world = new NoiseWorld();
  const stream = world.open("s1");
  world.link.drop("toExecutor", 1);
  world.link.flush();
  world.clock.advance(9_999);
  assert.deepEqual(stream.closed, []);
  world.clock.advance(1);
  assert.equal(stream.closed.length, 1);
  assert.match(stream.closed[0]!, /no handshake response within 10000 ms/);
});

test("messages sent before the handshake completes are queued and delivered once, in order", async () => {
  const world = new NoiseWorld();
  const stream = world.open("s1");
  for (let i = 0; i < 5; i++) world.sendUp(stream, `{"n":${i}}`);
  assert.deepEqual(frames(world, "toExecutor").map((f) => f.body.case), ["resume", "handshake"], "no data before msg2");
  await world.settle();
  world.heal();
  assert.deepEqual(stream.gotUp, stream.sentUp);
});

test("a message bigger than one record spans records and arrives whole in both modes", async () => {
  for (const reliable of [true, false]) {
    const world = new NoiseWorld({ harnessReliable: reliable });
    const stream = world.open("s1");
    await world.settle();
    const big = JSON.stringify({ data: "x".repeat(200_000) });
    world.sendDown(stream, big);
    const sizes = frames(world, "toHarness").filter((f) => f.body.case === "data").map((f) => (f.body.case === "data" ? f.body.value.payload.length : 0));
    assert.deepEqual(sizes.slice(0, 3), [61_456, 61_456, 61_456], "records of 60 KiB plaintext + 16-byte tag");
    world.heal();
    assert.equal(stream.gotDown[0], big);
  }
});
