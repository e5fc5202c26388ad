import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { EnvironmentManager } from "../../src/environments/environment-manager.js";
import { RpcError } from "../../src/rpc/rpc-error.js";
import { startExecServer, type RunningExecServer } from "../../src/server/start-exec-server.js";

let remote: RunningExecServer;
before(async () => {
  remote = await startExecServer();
});
after(() => remote.close());

test("connects lazily, and after the connection drops reconnects resuming the remote session", async () => {
  const notifications: Array<[string, string]> = [];
  const manager = new EnvironmentManager({ onNotification: (id, method) => notifications.push([id, method]) });
  try {
    manager.add("box", remote.url);
    assert.equal(manager.list()[1]?.connected, false, "nothing is connected before first use");
    const first = await manager.client("box");
    assert.equal(manager.list()[1]?.connected, true);
    await first.process.start({ processId: "long", argv: ["sh", "-c", "echo one; sleep 0.3; echo two; sleep 30"], cwd: "/", env: {}, tty: false });
    first.close("simulated network failure");
    assert.equal(manager.list()[1]?.connected, false);
    const second = await manager.client("box");
    assert.notEqual(second, first, "a new connection");
    const read = await second.process.read({ processId: "long", waitMs: 3000, afterSeq: 0 });
    const text = read.chunks.map((chunk) => Buffer.from(chunk.chunk, "base64").toString()).join("");
    assert.match(text, /one/, "the process started on the first connection is visible: the session was resumed");
    await second.process.terminate({ processId: "long" });
    assert.ok(notifications.every(([id]) => id === "box"));
  } finally {
    manager.closeAll();
  }
});

test("replacing an environment closes its live connection and the default stays local", async () => {
  const manager = new EnvironmentManager();
  try {
    manager.add("box", remote.url);
    const client = await manager.client("box");
    manager.add("box", remote.url.replace(/:\d+$/, ":9"), 200);
    assert.equal(manager.list()[0]?.isDefault, true);
    assert.equal(manager.list()[1]?.execServerUrl, remote.url.replace(/:\d+$/, ":9"));
    await assert.rejects(manager.client("box"), (error: unknown) => error instanceof RpcError && /environment box \(ws:\/\/127\.0\.0\.1:9\) is unreachable/.test(error.message));
    await assert.rejects(client.fs.getMetadata({ path: "/" }), "the old connection was closed, not migrated");
  } finally {
    manager.closeAll();
  }
});

test("refuses bad ids and URLs with the contract's messages", () => {
  const manager = new EnvironmentManager();
  assert.throws(() => manager.add("", "ws://127.0.0.1:1"), { message: "environment id cannot be empty" });
  assert.throws(() => manager.add("x", ""), { message: "remote environment requires an exec-server url" });
  assert.throws(() => manager.add("x", "none"), { message: "remote environment cannot use disabled exec-server url" });
  assert.throws(() => manager.add("local", "ws://127.0.0.1:1"), { message: "environment id local is reserved" });
  assert.throws(() => manager.add("x", "ftp://h"), { message: "remote environment url must be ws:// or wss://, got ftp://h" });
  assert.throws(() => manager.remove("local"), { message: "the local environment cannot be removed" });
  assert.throws(() => manager.add("x", "ws://127.0.0.1:1", 1e12), { message: "connectTimeoutMs must be an integer from 1 to 2147483647, got 1000000000000" });
});
