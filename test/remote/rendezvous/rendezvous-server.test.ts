import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import type { WebSocket } from "ws";
import { startRendezvous, type Rendezvous } from "../../../src/remote/rendezvous/rendezvous-server.js";
import { dataFrame, decodeFrame, encodeFrame, resetFrame } from "../../../src/relay/frame-codec.js";
import { openRawFrameSocket, type RawFrameSocket } from "../../helpers/raw-frame-socket.js";

const TOKEN = "registry-token-1";
let rendezvous: Rendezvous;
const sockets: WebSocket[] = [];

before(async () => {
  rendezvous = await startRendezvous({ registryTokens: [TOKEN], executorGraceMs: 200 });
});
after(async () => {
  for (const socket of sockets) socket.terminate();
  await rendezvous.close();
});

async function register(executorId: string, token = TOKEN, kind = "register"): Promise<Response> {
  return fetch(`${rendezvous.baseUrl}/cloud/executor/${executorId}/${kind}`, {
    method: "POST",
    headers: { authorization: `Bearer ${token}` },
  });
}

/** Opens a websocket (closed after the file's tests) and collects its binary frames. */
async function open(url: string): Promise<RawFrameSocket> {
  const peer = await openRawFrameSocket(url);
  sockets.push(peer.socket);
  return peer;
}

const data = (streamId: string, text: string) => encodeFrame(dataFrame(streamId, { seq: 0, payload: new TextEncoder().encode(text) }));

test("refuses registration without a valid bearer token", async () => {
  const noToken = await fetch(`${rendezvous.baseUrl}/cloud/executor/e1/register`, { method: "POST" });
  assert.equal(noToken.status, 401);
  const wrong = await register("e1", "not-the-token");
  assert.equal(wrong.status, 403);
  const body = (await wrong.json()) as { error: { message: string } };
  assert.equal(body.error.message, "bearer token not accepted");
});

test("issues signed executor and harness URLs and routes frames by stream id both ways", async () => {
  const registration = (await (await register("e2")).json()) as { executor_id: string; url: string };
  assert.equal(registration.executor_id, "e2");
  assert.match(registration.url, /^ws:\/\/127\.0\.0\.1:\d+\/executor\/e2\?role=executor&exp=\d+&sig=/);
  const harnessUrl = ((await (await register("e2", TOKEN, "harness")).json()) as { url: string }).url;
  assert.match(harnessUrl, /role=harness/);

  const executor = await open(registration.url);
  const harness = await open(harnessUrl);
  harness.socket.send(data("s1", "hello"));
  const atExecutor = decodeFrame(await executor.next());
  assert.equal(atExecutor.streamId, "s1");
  executor.socket.send(data("s1", "world"));
  const atHarness = decodeFrame(await harness.next());
  assert.equal(atHarness.body.case, "data");
  assert.equal(new TextDecoder().decode(atHarness.body.case === "data" ? atHarness.body.value.payload : new Uint8Array()), "world");
});

test("refuses websocket URLs with a bad or expired signature", async () => {
  const url = new URL(rendezvous.harnessUrl("e3"));
  const tampered = new URL(url);
  tampered.searchParams.set("sig", "A".repeat(43));
  await assert.rejects(open(tampered.toString()), /403/);
  const otherExecutor = new URL(url.toString().replace("/executor/e3", "/executor/e4"));
  await assert.rejects(open(otherExecutor.toString()), /403/);
  const promoted = new URL(url);
  promoted.searchParams.set("role", "executor");
  await assert.rejects(open(promoted.toString()), /403/);
  const expiredRendezvous = await startRendezvous({ registryTokens: [TOKEN], urlTtlMs: 1 });
  try {
    const expired = expiredRendezvous.harnessUrl("e3");
    await new Promise((resolve) => setTimeout(resolve, 5));
    await assert.rejects(open(expired), /403/);
  } finally {
    await expiredRendezvous.close();
  }
});

test("drops frames a second harness sends on a stream it does not own", async () => {
  const executor = await open(((await (await register("e5")).json()) as { url: string }).url);
  const owner = await open(rendezvous.harnessUrl("e5"));
  const intruder = await open(rendezvous.harnessUrl("e5"));
  owner.socket.send(data("owned", "from-owner"));
  assert.equal(decodeFrame(await executor.next()).streamId, "owned");
  const droppedBefore = rendezvous.router.droppedFrames;
  intruder.socket.send(data("owned", "injected"));
  intruder.socket.send(data("intruder-own", "legit"));
  const next = decodeFrame(await executor.next());
  assert.equal(next.streamId, "intruder-own", "the injected frame never reaches the executor");
  assert.equal(rendezvous.router.droppedFrames, droppedBefore + 1);
  // Replies on the owned stream go only to the owner.
  executor.socket.send(data("owned", "reply"));
  assert.equal(decodeFrame(await owner.next()).streamId, "owned");
  assert.equal(intruder.frames.length, 0);
});

test("sends reset harness_disconnected to the executor for each stream of a closed harness socket", async () => {
  const executor = await open(((await (await register("e6")).json()) as { url: string }).url);
  const harness = await open(rendezvous.harnessUrl("e6"));
  harness.socket.send(data("a", "1"));
  harness.socket.send(data("b", "1"));
  await executor.next();
  await executor.next();
  harness.socket.close();
  const resets = [decodeFrame(await executor.next()), decodeFrame(await executor.next())];
  assert.deepEqual(
    resets.map((frame) => [frame.streamId, frame.body.case, frame.body.case === "reset" ? frame.body.value.reason : ""]).sort(),
    [["a", "reset", "harness_disconnected"], ["b", "reset", "harness_disconnected"]],
  );
});

test("drops text frames and invalid frames without closing the socket", async () => {
  const executor = await open(((await (await register("e7")).json()) as { url: string }).url);
  const harness = await open(rendezvous.harnessUrl("e7"));
  harness.socket.send('{"id":1}');
  harness.socket.send(new Uint8Array([0x80]));
  harness.socket.send(encodeFrame(resetFrame("x", "")));
  harness.socket.send(data("ok", "after"));
  assert.equal(decodeFrame(await executor.next()).streamId, "ok");
  assert.equal(executor.frames.length, 0);
});

test("GET /status needs a registry token and lists executors and streams of the single process", async () => {
  assert.equal((await fetch(`${rendezvous.baseUrl}/status`)).status, 401);
  assert.equal((await fetch(`${rendezvous.baseUrl}/status`, { headers: { authorization: "Bearer nope" } })).status, 403);
  const executor = await open(((await (await register("e8")).json()) as { url: string }).url);
  const harness = await open(rendezvous.harnessUrl("e8"));
  harness.socket.send(data("st", "1"));
  await executor.next();
  const response = await fetch(`${rendezvous.baseUrl}/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
  assert.equal(response.status, 200);
  const status = (await response.json()) as { mode: string; executors: string[]; streams: number };
  assert.equal(status.mode, "single");
  assert.ok(status.executors.includes("e8"));
  assert.ok(status.streams >= 1);
  assert.equal((await fetch(`${rendezvous.baseUrl}/readyz`)).status, 200);
});
