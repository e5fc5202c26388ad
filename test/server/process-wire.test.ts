import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodePathUri } from "../../src/rpc/path-uri.js";
import { startExecServer, type RunningExecServer } from "../../src/server/start-exec-server.js";
import { b64, JsonWsClient, type Message } from "../helpers/json-ws-client.js";

/** Process behaviours of the codex 0.169 dialect, through a real websocket and real children. */

let server: RunningExecServer;
let scratch: string;
const clients: JsonWsClient[] = [];
const PATH = "/usr/local/bin:/usr/bin:/bin";

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), "exec-server-process-wire-"));
  server = await startExecServer({ sessions: { detachTtlMs: 300 }, processes: { terminateGraceMs: 300 } });
});
after(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await server.close();
  await rm(scratch, { recursive: true, force: true });
});

async function ready(): Promise<JsonWsClient> {
  const client = await JsonWsClient.connect(server.url);
  clients.push(client);
  await client.handshake({ clientName: "codex-environment", resumeSessionId: null });
  return client;
}

function start(client: JsonWsClient, processId: string, argv: string[], extra: Record<string, unknown> = {}): Promise<Record<string, unknown>> {
  return client.call("process/start", { processId, argv, cwd: encodePathUri(scratch), env: { PATH }, tty: false, ...extra });
}

function eventsOf(client: JsonWsClient, processId: string): Message[] {
  return client.notifications.filter((n) => n.method?.startsWith("process/") && n.params?.["processId"] === processId);
}

async function closed(client: JsonWsClient, processId: string): Promise<Message[]> {
  await client.waitFor(() => eventsOf(client, processId).some((n) => n.method === "process/closed"), 10_000, `${processId} closed`);
  return eventsOf(client, processId);
}

function exitCodeOf(events: Message[]): unknown {
  return events.find((n) => n.method === "process/exited")?.params?.["exitCode"];
}

describe("process/signal", () => {
  test("interrupt sends SIGINT (exit 130) and answers {}; unknown and exited ids answer {} too", async () => {
    const client = await ready();
    await start(client, "sleeper", ["sleep", "30"]);
    assert.deepEqual(await client.call("process/signal", { processId: "sleeper", signal: "interrupt" }), {});
    assert.equal(exitCodeOf(await closed(client, "sleeper")), 130);
    assert.deepEqual(await client.call("process/signal", { processId: "sleeper", signal: "interrupt" }), {});
    assert.deepEqual(await client.call("process/signal", { processId: "nobody", signal: "interrupt" }), {});
    const bad = await client.request("process/signal", { processId: "sleeper", signal: "kill" });
    assert.equal(bad.error?.code, -32602);
    assert.match(bad.error?.message ?? "", /signal/);
  });

  test("reaches the foreground job of a shell, whose trap then decides the exit status", async () => {
    const client = await ready();
    await start(client, "trapper", ["bash", "-c", "trap 'echo caught; exit 7' INT; echo ready; sleep 30; echo unreachable"]);
    await client.waitFor(() => client.outputOf("trapper").includes("ready"), 10_000, "ready");
    await client.call("process/signal", { processId: "trapper", signal: "interrupt" });
    const events = await closed(client, "trapper");
    assert.equal(exitCodeOf(events), 7);
    assert.equal(client.outputOf("trapper"), "ready\ncaught\n");
  });
});

describe("process/write", () => {
  test("fails with -32603 once a process with writable input has exited; stdinClosed without input", async () => {
    const client = await ready();
    await start(client, "cat", ["cat"], { pipeStdin: true });
    await client.call("process/terminate", { processId: "cat" });
    await closed(client, "cat");
    const late = await client.request("process/write", { processId: "cat", chunk: b64("x"), writeId: "late" });
    assert.deepEqual(late.error, { code: -32603, message: "failed to write to process stdin" });
    await start(client, "quiet", ["true"]);
    await closed(client, "quiet");
    assert.deepEqual(await client.call("process/write", { processId: "quiet", chunk: b64("x"), writeId: "w" }), { status: "stdinClosed" });
    const badBase64 = await client.request("process/write", { processId: "quiet", chunk: "aGk", writeId: "w2" });
    assert.equal(badBase64.error?.code, -32602);
  });

  test("takes a write without writeId (seed clients), without idempotence", async () => {
    const client = await ready();
    await start(client, "echo", ["cat"], { pipeStdin: true });
    // start resolves once spawned, so the process is past `starting`.
    for (let i = 0; i < 2; i++) assert.deepEqual(await client.call("process/write", { processId: "echo", chunk: b64("a\n") }), { status: "accepted" });
    await client.waitFor(() => client.outputOf("echo").split("a\n").length - 1 >= 2, 5000, "two echoes");
    await client.call("process/terminate", { processId: "echo" });
  });
});

describe("process/read nextSeq", () => {
  test("a full read answers the next unused seq (past exit and close); a page continues after its last chunk", async () => {
    const client = await ready();
    await start(client, "pages", ["sh", "-c", "printf one; sleep 0.2; printf two"]);
    const events = await closed(client, "pages");
    const closedSeq = events.find((n) => n.method === "process/closed")?.params?.["seq"] as number;
    const full = await client.call("process/read", { processId: "pages" });
    assert.equal(full["nextSeq"], closedSeq + 1);
    const page = await client.call("process/read", { processId: "pages", maxBytes: 1 });
    const chunks = page["chunks"] as Array<{ seq: number }>;
    assert.equal(chunks.length, 1);
    assert.equal(page["nextSeq"], chunks[0]!.seq + 1);
  });
});

describe("process/terminate", () => {
  test("keeps the graceful contract: SIGTERM (143), and SIGKILL (137) for a process that ignores it", async () => {
    const client = await ready();
    await start(client, "polite", ["sleep", "30"]);
    await start(client, "stubborn", ["sh", "-c", "trap '' TERM; echo ready; exec sleep 30"]);
    await client.waitFor(() => client.outputOf("stubborn").includes("ready"), 5000, "stubborn ready");
    assert.deepEqual(await client.call("process/terminate", { processId: "polite" }), { running: true });
    assert.deepEqual(await client.call("process/terminate", { processId: "stubborn" }), { running: true });
    assert.equal(exitCodeOf(await closed(client, "polite")), 143);
    assert.equal(exitCodeOf(await closed(client, "stubborn")), 137);
  });
});

describe("envPolicy", () => {
  test("inherit core passes codex's core set; a partial policy takes the defaults", async () => {
    const client = await ready();
    const full = { ignoreDefaultExcludes: false, exclude: [], set: {}, includeOnly: [] };
    await start(client, "core", ["/usr/bin/env"], { env: { EXTRA: "1" }, envPolicy: { inherit: "core", ...full } });
    await closed(client, "core");
    const names = client
      .outputOf("core")
      .trim()
      .split("\n")
      .map((line) => line.slice(0, line.indexOf("=")));
    const core = new Set(["PATH", "SHELL", "TMPDIR", "TEMP", "TMP", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "LOGNAME", "USER"]);
    assert.ok(names.includes("EXTRA"));
    for (const name of names) assert.ok(name === "EXTRA" || core.has(name), `${name} is not a core variable`);
    await start(client, "partial", ["/usr/bin/env"], { env: { ONLY: "1" }, envPolicy: { inherit: "none" } });
    await closed(client, "partial");
    assert.equal(client.outputOf("partial"), "ONLY=1\n");
  });
});

describe("sessions", () => {
  test("resuming an attached session fails -32010 naming it, and the owner keeps it", async () => {
    const fresh = await JsonWsClient.connect(server.url);
    clients.push(fresh);
    const id = await fresh.handshake();
    const thief = await JsonWsClient.connect(server.url);
    clients.push(thief);
    const refused = await thief.request("initialize", { clientName: "thief", resumeSessionId: id });
    assert.deepEqual(refused.error, { code: -32010, message: `session ${id} is already attached to another connection` });
    assert.deepEqual(await fresh.call("environment/status"), { status: "ready" });
    // The refusal does not count as this connection's initialize.
    const own = await thief.handshake();
    assert.notEqual(own, id);
  });
});
