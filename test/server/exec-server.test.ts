import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startExecServer, type RunningExecServer } from "../../src/server/start-exec-server.js";
import { b64, JsonWsClient } from "../helpers/json-ws-client.js";
import { alive, waitUntil } from "../helpers/wait.js";

let server: RunningExecServer;
let scratch: string;
const clients: JsonWsClient[] = [];

async function connect(): Promise<JsonWsClient> {
  const client = await JsonWsClient.connect(server.url);
  clients.push(client);
  return client;
}

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), "exec-server-test-"));
  server = await startExecServer({ sessions: { detachTtlMs: 300 }, processes: { terminateGraceMs: 500 } });
});
after(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await server.close();
  await rm(scratch, { recursive: true, force: true });
});

describe("lifecycle", () => {
  test("refuses methods before initialize and before initialized with the contract's messages", async () => {
    const client = await connect();
    const early = await client.request("process/start", { processId: "p", argv: ["true"], cwd: "/", env: {}, tty: false });
    assert.deepEqual(early.error, { code: -32600, message: "client must call initialize before using exec methods" });
    const badParams = await client.request("process/read", {});
    assert.equal(badParams.error?.code, -32602, "params are decoded before gating, as upstream");
    assert.match(String(badParams.error?.message), /processId/);
    for (const [method, params, family] of [
      ["http/request", { method: "GET", url: "http://127.0.0.1:9/", requestId: "r" }, "http"],
      ["environment/info", undefined, "environment info"],
      ["environment/status", undefined, "environment status"],
      ["environmentConfig/read", { cwd: "/", configPaths: [["model"]], requirementsPaths: [] }, "environment config"],
      ["capabilities/discoverV2", { cwd: "/" }, "capability discovery"],
      ["capabilityRoots/discoverV1", { roots: [] }, "capability discovery"],
      ["environment/list", {}, "environment"],
    ] as const) {
      const gated = await client.request(method, params);
      assert.deepEqual(gated.error, { code: -32600, message: `client must call initialize before using ${family} methods` }, method);
    }
    const badInitialize = await client.request("initialize", {});
    assert.equal(badInitialize.error?.code, -32602, "a failed initialize does not count");
    const init = await client.call("initialize", { clientName: "t" });
    assert.match(String(init["sessionId"]), /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    const beforeInitialized = await client.request("fs/getMetadata", { path: "/" });
    assert.deepEqual(beforeInitialized.error, { code: -32600, message: "client must send initialized before using filesystem methods" });
    const again = await client.request("initialize", { clientName: "t" });
    assert.deepEqual(again.error, { code: -32600, message: "initialize may only be sent once per connection" });
    const againBadParams = await client.request("initialize", {});
    assert.equal(againBadParams.error?.code, -32602, "params errors win over the second-initialize refusal too");
    client.notify("initialized", {});
    const ok = await client.request("fs/getMetadata", { path: "/" });
    assert.equal(ok.result?.["isDirectory"], true);
    assert.equal(ok.jsonrpc, "2.0");
  });

  test("answers malformed input, responses and unexpected notifications with id -1 and keeps the connection", async () => {
    const client = await connect();
    client.sendRaw("{not json");
    const first = await client.waitFor(() => client.stray[0], 5000, "error for malformed JSON");
    assert.equal(first.id, -1);
    assert.equal(first.error?.code, -32600);
    client.sendRaw(JSON.stringify({ id: 99, result: {} }));
    client.notify("process/output", {});
    await client.waitFor(() => client.stray.length >= 3, 5000, "three id -1 errors");
    assert.ok(client.stray.every((message) => message.id === -1 && message.error?.code === -32600));
    await client.handshake();
    const unknown = await client.request("process/explode", {});
    assert.equal(unknown.error?.code, -32601);
  });

  test("holds messages pipelined behind initialize until it completes", async () => {
    const client = await connect();
    client.sendRaw(JSON.stringify({ id: "i", method: "initialize", params: { clientName: "pipelined" } }));
    client.sendRaw(JSON.stringify({ method: "initialized" }));
    client.sendRaw(JSON.stringify({ id: "m", method: "fs/getMetadata", params: { path: "/" } }));
    const metadata = await client.waitFor(() => client.stray.find((m) => m.id === "m"), 5000, "metadata reply");
    assert.equal(metadata.error, undefined, JSON.stringify(metadata.error));
    assert.equal(metadata.result?.["isDirectory"], true);
    assert.equal(client.stray.filter((m) => m.id === -1).length, 0, "no ordering error for the pipelined initialized");
  });

  test("accepts binary frames carrying UTF-8 JSON", async () => {
    const client = await connect();
    const response = client.request("rpc.discover");
    const discovered = await response;
    assert.equal((discovered.result as { openrpc?: string } | undefined)?.openrpc?.startsWith("1.3"), true);
    client.sendRaw(Buffer.from(JSON.stringify({ id: "bin", method: "initialize", params: { clientName: "binary" } })));
    const reply = await client.waitFor(() => client.stray.find((m) => m.id === "bin"), 5000, "binary reply");
    assert.equal(typeof reply.result?.["sessionId"], "string");
  });

  test("refuses invalid params naming the field", async () => {
    const client = await connect();
    await client.handshake();
    const relative = await client.request("fs/readFile", { path: "relative/file" });
    assert.equal(relative.error?.code, -32602);
    assert.match(relative.error?.message ?? "", /path/);
    const emptyArgv = await client.request("process/start", { processId: "x", argv: [], cwd: "/", env: {}, tty: false });
    assert.equal(emptyArgv.error?.code, -32602);
    assert.match(emptyArgv.error?.message ?? "", /argv/);
  });
});

describe("processes over the websocket", () => {
  test("runs the contract's PTY echo session: ready, echo, terminate, exited then closed last", async () => {
    const client = await connect();
    await client.handshake();
    await client.call("process/start", {
      processId: "pty-1",
      argv: ["bash", "-c", "echo ready; while IFS= read -r line; do echo \"echo:$line\"; done"],
      cwd: scratch,
      env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin", TERM: "dumb" },
      tty: true,
    });
    await client.waitFor(() => client.outputOf("pty-1").includes("ready"), 10_000, "ready");
    const write = await client.call("process/write", { processId: "pty-1", chunk: b64("hello\n") });
    assert.equal(write["status"], "accepted");
    await client.waitFor(() => client.outputOf("pty-1").includes("echo:hello"), 10_000, "echo");
    const terminated = await client.call("process/terminate", { processId: "pty-1" });
    assert.equal(terminated["running"], true);
    await client.waitFor(() => client.notifications.some((n) => n.method === "process/closed" && n.params?.["processId"] === "pty-1"), 10_000, "closed");
    const events = client.notifications.filter((n) => n.params?.["processId"] === "pty-1");
    const seqs = events.map((n) => Number(n.params?.["seq"]));
    assert.deepEqual(seqs, [...seqs].sort((a, b) => a - b), "seqs increase");
    assert.equal(new Set(seqs).size, seqs.length, "seqs are unique");
    assert.equal(seqs[0], 1);
    assert.equal(events.at(-1)?.method, "process/closed");
    assert.equal(events.at(-2)?.method, "process/exited");
    assert.ok(events.every((n) => n.params?.["stream"] === undefined || n.params["stream"] === "pty"));
  });

  test("streams stdout and stderr of a pipe process and reports the exit code", async () => {
    const client = await connect();
    await client.handshake();
    await client.call("process/start", { processId: "pipes", argv: ["sh", "-c", "echo out; echo err >&2; exit 3"], cwd: scratch, env: {}, tty: false });
    const exited = await client.waitFor(() => client.notifications.find((n) => n.method === "process/exited" && n.params?.["processId"] === "pipes"), 10_000, "exit");
    assert.equal(exited.params?.["exitCode"], 3);
    await client.waitFor(() => client.notifications.find((n) => n.method === "process/closed" && n.params?.["processId"] === "pipes"), 10_000, "close");
    const read = await client.call("process/read", { processId: "pipes" });
    const streams = (read["chunks"] as Array<{ stream: string; chunk: string }>).map((c) => [c.stream, Buffer.from(c.chunk, "base64").toString()]);
    assert.deepEqual(streams.sort(), [["stderr", "err\n"], ["stdout", "out\n"]]);
    assert.equal(read["closed"], true);
    assert.equal(read["exitCode"], 3);
    const write = await client.call("process/write", { processId: "pipes", chunk: b64("x") });
    assert.notEqual(write["status"], "accepted");
  });

  test("a long-poll read does not block another request on the same connection", async () => {
    const client = await connect();
    await client.handshake();
    await client.call("process/start", { processId: "quiet", argv: ["sleep", "5"], cwd: scratch, env: {}, tty: false });
    const longPoll = client.request("process/read", { processId: "quiet", waitMs: 3000 });
    const started = Date.now();
    const metadata = await client.call("fs/getMetadata", { path: scratch });
    assert.equal(metadata["isDirectory"], true);
    assert.ok(Date.now() - started < 2500, "the metadata call was answered while the long-poll waited");
    await client.call("process/terminate", { processId: "quiet" });
    const polled = await longPoll;
    assert.ok(polled.result, "the long-poll returns once the process ends");
  });
});

describe("sessions", () => {
  test("resumes a detached session with its running process and retained output", async () => {
    const first = await connect();
    const sessionId = await first.handshake();
    await first.call("process/start", { processId: "survivor", argv: ["sh", "-c", "echo before; sleep 0.5; echo after; sleep 30"], cwd: scratch, env: {}, tty: false });
    await first.waitFor(() => first.outputOf("survivor").includes("before"), 5000, "before");
    await first.close();
    const second = await connect();
    const resumed = await second.call("initialize", { clientName: "again", resumeSessionId: sessionId });
    assert.equal(resumed["sessionId"], sessionId);
    second.notify("initialized", {});
    const read = await second.call("process/read", { processId: "survivor", waitMs: 3000, afterSeq: 1 });
    const text = (read["chunks"] as Array<{ chunk: string }>).map((c) => Buffer.from(c.chunk, "base64").toString()).join("");
    assert.match(text, /after/);
    const other = await connect();
    const stolen = await other.request("initialize", { clientName: "thief", resumeSessionId: sessionId });
    assert.deepEqual(stolen.error, { code: -32010, message: `session ${sessionId} is already attached to another connection` });
    await second.call("process/terminate", { processId: "survivor" });
  });

  test("kills a detached session's processes after the TTL and forgets the session", async () => {
    const client = await connect();
    const sessionId = await client.handshake();
    const pidFile = join(scratch, "orphan.pid");
    await client.call("process/start", { processId: "orphan", argv: ["sh", "-c", `echo $$ > ${pidFile}; exec sleep 60`], cwd: scratch, env: {}, tty: false });
    await waitForFile(pidFile);
    const pid = Number((await import("node:fs")).readFileSync(pidFile, "utf8").trim());
    await client.close();
    await waitUntil(() => !alive(pid), 5000, "the orphan is killed after the detach TTL");
    const late = await connect();
    const refused = await late.request("initialize", { clientName: "late", resumeSessionId: sessionId });
    assert.deepEqual(refused.error, { code: -32600, message: `unknown session id ${sessionId}` });
  });
});

describe("filesystem over the websocket", () => {
  test("writes, reads and lists files, and maps not-found to -32004", async () => {
    const client = await connect();
    await client.handshake();
    const file = join(scratch, "hello.txt");
    await client.call("fs/writeFile", { path: file, dataBase64: b64("hi there") });
    const read = await client.call("fs/readFile", { path: file });
    assert.equal(Buffer.from(String(read["dataBase64"]), "base64").toString(), "hi there");
    await writeFile(join(scratch, "second.txt"), "2");
    const listing = await client.call("fs/readDirectory", { path: scratch });
    assert.ok((listing["entries"] as Array<{ fileName: string }>).some((e) => e.fileName === "hello.txt"));
    const missing = await client.request("fs/readFile", { path: join(scratch, "missing") });
    assert.equal(missing.error?.code, -32004);
    const badBase64 = await client.request("fs/writeFile", { path: file, dataBase64: "***" });
    assert.equal(badBase64.error?.code, -32600);
    assert.match(badBase64.error?.message ?? "", /^fs\/writeFile requires valid base64 dataBase64/);
  });
});



async function waitForFile(path: string): Promise<void> {
  const { existsSync, readFileSync } = await import("node:fs");
  await waitUntil(() => existsSync(path) && readFileSync(path, "utf8").trim() !== "", 5000, `${path} written`);
}
