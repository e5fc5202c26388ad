import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { startExecServer, type RunningExecServer } from "../../src/server/start-exec-server.js";
import { JsonWsClient } from "../helpers/json-ws-client.js";

let open: RunningExecServer;
let guarded: RunningExecServer;

before(async () => {
  open = await startExecServer({ allowedOrigins: ["https://allowed.example"] });
  guarded = await startExecServer({ connectionToken: "s3cret-token" });
});
after(async () => {
  await open.close();
  await guarded.close();
});

const httpOf = (url: string) => url.replace(/^ws:/, "http:");

test("answers GET /readyz with 200 and an empty body", async () => {
  const response = await fetch(`${httpOf(open.url)}/readyz`);
  assert.equal(response.status, 200);
  assert.equal(await response.text(), "");
});

test("refuses an upgrade carrying a disallowed Origin with 403 and accepts an allowed one", async () => {
  await assert.rejects(JsonWsClient.connect(open.url, { origin: "https://evil.example" }), /403/);
  const allowed = await JsonWsClient.connect(open.url, { origin: "https://allowed.example" });
  await allowed.close();
});

test("requires the bearer connection token when one is configured", async () => {
  await assert.rejects(JsonWsClient.connect(guarded.url), /401/);
  await assert.rejects(JsonWsClient.connect(guarded.url, { authorization: "Bearer wrong" }), /401/);
  const client = await JsonWsClient.connect(guarded.url, { authorization: "Bearer s3cret-token" });
  await client.close();
});

test("refuses to listen off loopback without a token unless explicitly allowed", async () => {
  await assert.rejects(startExecServer({ listen: "ws://0.0.0.0:0" }), /non-loopback address 0\.0\.0\.0 without a connection token/);
});

test("answers /readyz with 503 once shutting down", async () => {
  const server = await startExecServer();
  const client = await JsonWsClient.connect(server.url);
  const closing = server.close();
  const response = await fetch(`${httpOf(server.url)}/readyz`).catch(() => undefined);
  // Either the listener already answered 503 or it already stopped listening: never 200.
  assert.notEqual(response?.status, 200);
  await closing;
  await client.close();
});

test("refuses upgrades beyond maxConnections with 503", async () => {
  const server = await startExecServer({ maxConnections: 1 });
  try {
    const first = await JsonWsClient.connect(server.url);
    await assert.rejects(JsonWsClient.connect(server.url), /503/);
    await first.close();
  } finally {
    await server.close();
  }
});

test("refuses requests beyond maxInFlightRequests on one connection and keeps serving", async () => {
  const server = await startExecServer({ maxInFlightRequests: 2 });
  try {
    const client = await JsonWsClient.connect(server.url);
    await client.handshake();
    await client.call("process/start", { processId: "s", argv: ["sleep", "5"], cwd: "/", env: {}, tty: false });
    const polls = [client.request("process/read", { processId: "s", waitMs: 1500 }), client.request("process/read", { processId: "s", waitMs: 1500 })];
    const refused = await client.request("fs/getMetadata", { path: "/" });
    assert.deepEqual(refused.error, { code: -32600, message: "too many requests in flight on this connection (limit 2)" });
    await Promise.all(polls);
    const accepted = await client.request("fs/getMetadata", { path: "/" });
    assert.equal(accepted.result?.["isDirectory"], true);
    await client.call("process/terminate", { processId: "s" });
    await client.close();
  } finally {
    await server.close();
  }
});

test("disconnects a client that stops answering pings, so its session detaches and can be resumed", async () => {
  const server = await startExecServer({ pingIntervalMs: 100 });
  try {
    const silent = await JsonWsClient.connect(server.url);
    const sessionId = await silent.handshake();
    // The peer vanishes without closing: it no longer reads, so it never answers a ping.
    (silent.socket as unknown as { _socket: { pause(): void } })._socket.pause();
    const again = await JsonWsClient.connect(server.url);
    const deadline = Date.now() + 5000;
    let resumed: string | undefined;
    while (Date.now() < deadline && resumed === undefined) {
      const answer = await again.request("initialize", { clientName: "again", resumeSessionId: sessionId });
      if (answer.result) resumed = String(answer.result["sessionId"]);
      else await new Promise((resolve) => setTimeout(resolve, 50));
    }
    assert.equal(resumed, sessionId, "the dead connection was dropped and its session detached");
    silent.socket.terminate();
    await again.close();
  } finally {
    await server.close();
  }
});
