import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { startExecServer } from "../../../src/server/start-exec-server.js";
import { b64, JsonWsClient } from "../../helpers/json-ws-client.js";
import { fileReads, fileWrites, processRuns, tappedCalls } from "./tap-evidence.js";
import { startWebsocketTap } from "./websocket-tap.js";

test("the tap relays a session both ways unchanged and its recording yields the process run and file traffic", async () => {
  const server = await startExecServer();
  const tap = await startWebsocketTap(server.url);
  const scratch = mkdtempSync(join(tmpdir(), "websocket-tap-"));
  const client = await JsonWsClient.connect(tap.url);
  try {
    await client.handshake();
    const path = join(scratch, "f.txt");
    await client.call("fs/writeFile", { path, dataBase64: b64("through the tap") });
    assert.equal(readFileSync(path, "utf8"), "through the tap");
    const read = await client.call("fs/readFile", { path });
    assert.equal(read["dataBase64"], b64("through the tap"));
    await client.call("process/start", { processId: "p1", argv: ["/bin/sh", "-c", "printf tapped; printf oops >&2; exit 4"], cwd: scratch, env: {}, tty: false });
    await client.waitFor(() => client.notifications.some((n) => n.method === "process/closed"), 10_000, "process/closed");
    client.sendRaw(Buffer.from(JSON.stringify({ id: 99, method: "fs/getMetadata", params: { path: scratch } })));
    await client.waitFor(() => tap.frames.some((f) => f.direction === "server->client" && f.message?.["id"] === 99), 5000, "answer to the binary frame");

    assert.ok(tap.frames.some((f) => f.binary && f.direction === "client->server"), "a binary frame stays binary");
    assert.ok(tap.frames.every((f) => f.connection === 1 && f.message !== undefined));
    assert.deepEqual(tappedCalls(tap.frames).map((call) => call.method), ["initialize", "fs/writeFile", "fs/readFile", "process/start", "fs/getMetadata"]);
    const [run, ...others] = processRuns(tap.frames, "printf tapped");
    assert.equal(others.length, 0);
    assert.deepEqual({ stdout: run?.stdout, stderr: run?.stderr, exitCode: run?.exitCode, closed: run?.closed }, { stdout: "tapped", stderr: "oops", exitCode: 4, closed: true });
    assert.equal(fileWrites(tap.frames, path)[0]?.data.toString("utf8"), "through the tap");
    assert.equal(fileReads(tap.frames, path)[0]?.data.toString("utf8"), "through the tap");
    assert.deepEqual(processRuns(tap.frames, "not in any argv"), []);
  } finally {
    await client.close();
    await tap.close();
    await server.close();
    rmSync(scratch, { recursive: true, force: true });
  }
});

test("closing the upstream server closes the client's socket through the tap", async () => {
  const server = await startExecServer();
  const tap = await startWebsocketTap(server.url);
  const client = await JsonWsClient.connect(tap.url);
  try {
    await client.handshake();
    const closed = new Promise<void>((resolve) => client.socket.once("close", () => resolve()));
    await server.close();
    await closed;
  } finally {
    await client.close();
    await tap.close();
  }
});
