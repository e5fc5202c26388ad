import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInMemoryTransportPair } from "../../../src/rpc/in-memory-transport.js";
import type { MessageTransport } from "../../../src/rpc/message-transport.js";
import { ExecServer } from "../../../src/server/exec-server.js";
import { rawRpc } from "../../helpers/raw-rpc.js";
import { processRuns, tappedCalls } from "./tap-evidence.js";
import { tapTransport } from "./transport-tap.js";
import type { TapFrame } from "./websocket-tap.js";

/** `inner` plus a `sendBytes` that sends the decoded text (and counts its use), like a relay stream's. */
function withSendBytes(inner: MessageTransport, used: { count: number }): MessageTransport {
  return {
    send: (message) => inner.send(message),
    sendBytes: (utf8) => {
      used.count += 1;
      inner.send(Buffer.from(utf8).toString("utf8"));
    },
    onMessage: (listener) => inner.onMessage(listener),
    onClose: (listener) => inner.onClose(listener),
    close: (reason) => inner.close(reason),
  };
}

test("a tapped server transport records every message both ways, also those sent as bytes, and changes nothing", async () => {
  const [clientEnd, serverEnd] = createInMemoryTransportPair();
  const used = { count: 0 };
  const frames: TapFrame[] = [];
  const server = new ExecServer();
  server.serve(tapTransport(withSendBytes(serverEnd, used), 7, frames));
  const rpc = rawRpc(clientEnd);
  const scratch = mkdtempSync(join(tmpdir(), "transport-tap-"));
  try {
    await rpc.request("initialize", { clientName: "transport-tap-test" });
    rpc.notify("initialized");
    await rpc.request("process/start", { processId: "p1", argv: ["/bin/sh", "-c", "printf tapped; exit 4"], cwd: scratch, env: {}, tty: false });
    await rpc.waitFor((note) => note.method === "process/closed", 10_000);

    assert.ok(frames.every((frame) => frame.connection === 7 && frame.message !== undefined && !frame.binary));
    assert.deepEqual(
      frames.filter((frame) => frame.direction === "client->server").map((frame) => frame.message?.["method"]),
      ["initialize", "initialized", "process/start"],
    );
    assert.deepEqual(tappedCalls(frames).map((call) => [call.method, call.error]), [["initialize", undefined], ["process/start", undefined]]);
    const [run] = processRuns(frames, "printf tapped");
    assert.equal(run?.stdout, "tapped");
    assert.equal(run?.exitCode, 4);
    assert.equal(run?.closed, true);
    // What the client received is exactly what the tap recorded as sent, in order.
    assert.deepEqual(
      frames.filter((frame) => frame.direction === "server->client").map((frame) => frame.text),
      serverEnd.sent,
    );
    assert.ok(used.count >= 1, "process output went through sendBytes and was recorded");
  } finally {
    await server.shutdown();
    rmSync(scratch, { recursive: true, force: true });
  }
});
