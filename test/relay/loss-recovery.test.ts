/**
 * Loss recovery of the reliable relay, deterministic (manual clock, in-memory link, seeded drops):
 * tail-loss probes, the time threshold for holes an ack reveals, and RTT estimates shared by the
 * streams of one socket. The model-based properties (reliable-model.test.ts) cover correctness under
 * arbitrary loss; these pin down how fast a loss is repaired.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import { WebSocketServer } from "ws";
import { encodeFrame, parseFrame, resumeFrame } from "../../src/relay/frame-codec.js";
import { RelayMux, type FrameSocket } from "../../src/relay/relay-mux.js";
import type { RelayStream } from "../../src/relay/relay-stream.js";
import { dialFrameSocket } from "../../src/remote/websocket-frame-socket.js";
import { ManualClock } from "../../src/util/clock.js";
import { DEFAULT_RELAY_ENDPOINT_OPTIONS, type RelayEndpointOptions } from "../../src/relay/relay-options.js";
import { mulberry32 } from "../../src/remote/rendezvous/frame-chaos.js";
import type { Direction } from "./sim-link.js";
import { assertPrefix, message, RelayWorld, type StreamRecord } from "./relay-world.js";

const { minRtoMs, ackDelayMs } = DEFAULT_RELAY_ENDPOINT_OPTIONS;

/** Delivers every queued frame, `latencyMs` of simulated time per frame, until both queues are empty. */
function deliverAll(world: RelayWorld, latencyMs = 1): void {
  for (let i = 0; i < 10_000; i++) {
    const dir: Direction | undefined = world.link.queues.toExecutor.length > 0 ? "toExecutor" : world.link.queues.toHarness.length > 0 ? "toHarness" : undefined;
    if (dir === undefined) return;
    world.clock.advance(latencyMs);
    world.link.deliver(dir);
  }
  throw new Error("link did not quiesce");
}

/** Seqs of the data frames queued in `dir`. */
function queuedDataSeqs(world: RelayWorld, dir: Direction): number[] {
  return world.link.queues[dir].flatMap((bytes) => {
    const parsed = parseFrame(bytes);
    return parsed.ok && parsed.frame.body.case === "data" ? [parsed.frame.body.value.seq] : [];
  });
}

/** Advances the clock 1 ms at a time until a data frame is queued in `dir`; returns the time it took. */
function waitForData(world: RelayWorld, dir: Direction, limitMs: number): number {
  const start = world.clock.now();
  while (queuedDataSeqs(world, dir).length === 0) {
    if (world.clock.now() - start > limitMs) assert.fail(`no data frame ${dir} within ${limitMs} ms`);
    world.clock.advance(1);
  }
  return world.clock.now() - start;
}

/** A world with one stream whose executor side exists and which has measured its RTT (a few round trips). */
function warmedUp(endpoint: Partial<RelayEndpointOptions> = {}): { world: RelayWorld; stream: StreamRecord } {
  const world = new RelayWorld(endpoint);
  const stream = world.open("s");
  for (let i = 0; i < 4; i++) {
    world.sendUp(stream, message(`warm-up ${i}`, 20));
    deliverAll(world);
    world.sendDown(stream, message(`warm-down ${i}`, 20));
    deliverAll(world);
  }
  world.heal();
  assert.ok(stream.harness.state.sender.rtt.srtt !== undefined, "the harness measured the RTT");
  return { world, stream };
}

test("a lost lone message is re-sent after one probe timeout (≈ srtt + 4·rttvar + ackDelay), long before minRtoMs", () => {
  const { world, stream } = warmedUp();
  const { srtt, rttvar } = stream.harness.state.sender.rtt;
  const pto = Math.ceil((srtt ?? 0) + Math.max(4 * rttvar, 1) + ackDelayMs);
  assert.ok(pto < minRtoMs, `probe timeout ${pto} ms is below minRtoMs ${minRtoMs} ms`);

  world.sendUp(stream, message("lost", 20));
  assert.equal(queuedDataSeqs(world, "toExecutor").length, 1);
  world.link.drop("toExecutor");
  const waited = waitForData(world, "toExecutor", minRtoMs);
  assert.equal(waited, pto, "re-sent exactly when the probe timeout expired");

  deliverAll(world);
  world.heal();
  assert.deepEqual(stream.gotUp, stream.sentUp, "delivered once, in order");
});

test("a lost ack costs one probe: the peer re-acknowledges the duplicate and nothing is delivered twice", () => {
  const { world, stream } = warmedUp();
  const { srtt, rttvar } = stream.harness.state.sender.rtt;
  const pto = Math.ceil((srtt ?? 0) + Math.max(4 * rttvar, 1) + ackDelayMs);
  world.sendUp(stream, message("acked late", 20));
  const sentAt = world.clock.now();
  deliverAll(world); // the executor got it; its ack is owed (delayed ack)
  world.clock.advance(ackDelayMs);
  const acksQueued = world.link.queues.toHarness.length;
  assert.ok(acksQueued > 0, "the delayed ack went out");
  for (let i = 0; i < acksQueued; i++) world.link.drop("toHarness");
  waitForData(world, "toExecutor", minRtoMs);
  assert.equal(world.clock.now() - sentAt, pto, "the probe went out one probe timeout after the message");
  deliverAll(world);
  world.heal();
  assert.deepEqual(stream.gotUp, stream.sentUp);
  assert.equal(stream.harness.state.sender.inFlight.length, 0, "the re-acknowledgement freed it");
});

test("a hole below acknowledged segments is re-sent when their ack arrives, one RTT later, without waiting for a timer", () => {
  const { world, stream } = warmedUp({ maxSegmentBytes: 16 });
  const srtt = stream.harness.state.sender.rtt.srtt ?? 0;
  world.sendUp(stream, message("segmented", 100)); // 7 segments
  const seqs = queuedDataSeqs(world, "toExecutor");
  assert.equal(seqs.length, 7);
  // The fifth: only two segments follow it, fewer than the packet threshold (3) needs.
  world.link.drop("toExecutor", 4);
  // Everything else arrives; the executor acknowledges (every second segment, the bitmap shows the hole).
  while (world.link.queues.toExecutor.length > 0) world.link.deliver("toExecutor");
  assert.ok(world.link.queues.toHarness.length > 0, "the executor acknowledged");
  world.clock.advance(Math.ceil(srtt * 1.125) + 1);
  while (world.link.queues.toHarness.length > 0) world.link.deliver("toHarness");
  assert.deepEqual(queuedDataSeqs(world, "toExecutor"), [seqs[4]], "only the hole is re-sent, at once");
  deliverAll(world);
  world.heal();
  assert.deepEqual(stream.gotUp, stream.sentUp);
});

test("a new stream starts from the RTT its socket's other streams measured", () => {
  const { world, stream } = warmedUp();
  const second = world.open("second");
  assert.deepEqual(second.harness.state.sender.rtt, stream.harness.state.sender.rtt);
});

test("a harness stream's first RTT sample is the answer to its resume", () => {
  const world = new RelayWorld();
  const stream = world.open("s");
  assert.equal(stream.harness.state.sender.rtt.srtt, undefined);
  world.clock.advance(3);
  world.link.deliver("toExecutor"); // the resume; the executor answers with an ack at once
  world.clock.advance(4);
  world.link.deliver("toHarness");
  assert.equal(stream.harness.state.sender.rtt.srtt, 7);
});

/**
 * Request/response traffic (a 20-byte request, a 3-segment response) over a link that drops 5 % of
 * frames in each direction (seeded). Returns the simulated time it took and checks exactly-once
 * delivery of every message.
 */
function lossyExchanges(endpoint: Partial<RelayEndpointOptions>, seed: number, exchanges: number): { ms: number; drops: number } {
  const world = new RelayWorld({ maxSegmentBytes: 64, ...endpoint });
  const random = mulberry32(seed);
  const stream = world.open("s");
  let drops = 0;
  let answered = 0;
  const start = world.clock.now();
  let executorSubscribed = false;
  for (let round = 0; round < exchanges; round++) {
    world.sendUp(stream, message(`request ${round}`, 20));
    for (let guard = 0; stream.gotDown.length <= round; guard++) {
      if (guard > 100_000) assert.fail(`exchange ${round} never completed`);
      if (!executorSubscribed && stream.executor !== undefined) {
        executorSubscribed = true;
        stream.executor.onMessage((request) => {
          world.sendDown(stream, message(`response to ${request.slice(0, 12)}`, 150));
          answered++;
        });
        // Requests that arrived before the subscription (the first one) are answered too.
        for (const request of stream.gotUp.slice(answered)) {
          world.sendDown(stream, message(`response to ${request.slice(0, 12)}`, 150));
          answered++;
        }
      }
      const dir: Direction | undefined = world.link.queues.toExecutor.length > 0 ? "toExecutor" : world.link.queues.toHarness.length > 0 ? "toHarness" : undefined;
      if (dir === undefined) {
        const due = world.clock.nextDueAt();
        assert.ok(due !== undefined, "something is pending");
        world.clock.advance(due - world.clock.now());
        continue;
      }
      world.clock.advance(1);
      if (random() < 0.05) {
        world.link.drop(dir);
        drops++;
      } else {
        world.link.deliver(dir);
      }
    }
  }
  const ms = world.clock.now() - start;
  world.heal();
  assertPrefix(stream.gotUp, stream.sentUp, "requests");
  assertPrefix(stream.gotDown, stream.sentDown, "responses");
  assert.equal(stream.gotUp.length, exchanges, "every request delivered exactly once");
  assert.equal(stream.gotDown.length, exchanges, "every response delivered exactly once");
  assert.deepEqual(stream.closed, []);
  return { ms, drops };
}

test("at 5 % seeded loss, 200 exchanges lose and duplicate nothing and take well under half the time they take without probes", () => {
  for (const seed of [1, 7, 42]) {
    const probing = lossyExchanges({}, seed, 200);
    const timeoutsOnly = lossyExchanges({ tailProbes: 0 }, seed, 200);
    assert.ok(probing.drops > 10, `seed ${seed}: the link dropped frames (${probing.drops})`);
    assert.ok(
      probing.ms * 2 < timeoutsOnly.ms,
      `seed ${seed}: ${probing.ms} ms with probes vs ${timeoutsOnly.ms} ms with the retransmission timeout alone`,
    );
  }
});

/** A frame socket that records what is sent and reports `openRttMs`. */
function fakeSocket(openRttMs: number): { socket: FrameSocket; deliver(bytes: Uint8Array): void } {
  let listener: (bytes: Uint8Array) => void = () => {};
  return {
    socket: { send: () => {}, onFrame: (l) => ((listener = l), () => {}), onClose: () => () => {}, openRttMs },
    deliver: (bytes) => listener(bytes),
  };
}

test("a fresh executor mux starts its streams from its socket's opening round trip, until a stream measures one", () => {
  const mux = new RelayMux({ role: "executor", clock: new ManualClock(0) });
  const accepted: RelayStream[] = [];
  mux.onStream((stream) => accepted.push(stream));
  const { socket, deliver } = fakeSocket(6);
  mux.attachSocket(socket);
  deliver(encodeFrame(resumeFrame("first", 0, { ack: 0, ackBits: 0 })));
  assert.equal(accepted[0]?.state.sender.rtt.srtt, 6, "seeded, so a lost first answer costs a probe timeout, not initialRtoMs");

  // Once the mux has an estimate, a replacement socket's opening round trip does not override it.
  const replacement = fakeSocket(50);
  mux.attachSocket(replacement.socket);
  replacement.deliver(encodeFrame(resumeFrame("second", 0, { ack: 0, ackBits: 0 })));
  assert.equal(accepted[1]?.state.sender.rtt.srtt, 6);
  assert.equal(new RelayWorld().harness.openStream("x").state.sender.rtt.srtt, undefined, "a socket without an opening RTT seeds nothing");
});

test("dialFrameSocket reports the round trip of its opening handshake", async () => {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  try {
    const { port } = server.address() as { port: number };
    const dialled = await dialFrameSocket(`ws://127.0.0.1:${port}`, { pingIntervalMs: 0 });
    assert.ok(dialled.openRttMs !== undefined && dialled.openRttMs > 0 && dialled.openRttMs < 10_000, String(dialled.openRttMs));
    dialled.close();
  } finally {
    for (const client of server.clients) client.terminate();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  }
});
