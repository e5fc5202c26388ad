import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ackFrame, dataFrame, encodeFrame, resumeFrame } from "../../src/relay/frame-codec.js";
import { startExecServer } from "../../src/server/start-exec-server.js";
import { compileRelayProtoForPython, PYTHON, pythonPeersSkip } from "./python-peers.js";

const run = promisify(execFile);
const SCRIPT = join(import.meta.dirname, "python-peer.py");

const scratch = mkdtempSync(join(tmpdir(), "exec-server-interop-"));
after(() => rmSync(scratch, { recursive: true, force: true }));

test("a Python websockets client runs a session against the server", { skip: pythonPeersSkip("websockets", false) }, async () => {
  const server = await startExecServer();
  try {
    const { stdout } = await run(PYTHON, [SCRIPT, "session", server.url, scratch], { timeout: 30_000 });
    const summary = JSON.parse(stdout) as { sessionId: string; start: unknown; output: string; exitCode: number; order: string[]; metadataIsDirectory: boolean };
    assert.match(summary.sessionId, /^[0-9a-f-]{36}$/);
    // sandboxType (codex 0.169) is answered to every process/start; seed clients ignore unknown members.
    assert.deepEqual(summary.start, { processId: "py", sandboxType: "none" });
    assert.equal(summary.output, "from-python-peer\n");
    assert.equal(summary.exitCode, 4);
    assert.equal(summary.order.at(-1), "process/closed");
    assert.equal(summary.metadataIsDirectory, true);
  } finally {
    await server.close();
  }
});

test("Google's protobuf library decodes our frames, including ack presence, and re-encodes them byte-identically", { skip: pythonPeersSkip("google.protobuf", true) }, async () => {
  const out = compileRelayProtoForPython(join(scratch, "pb2"));
  const payload = new TextEncoder().encode('{"id":1,"method":"initialize"}');
  const frames = [
    encodeFrame(resumeFrame("s", 0, { ack: 0, ackBits: 0 })),
    encodeFrame(dataFrame("s", { seq: 3, segmentIndex: 1, segmentCount: 2, payload }, { ack: 7, ackBits: 5 })),
    encodeFrame(ackFrame("s", { ack: 0, ackBits: 0 })),
    encodeFrame(dataFrame("legacy", { seq: 0, payload })),
  ];
  const hex = frames.map((frame) => Buffer.from(frame).toString("hex"));
  const child = execFile(PYTHON, [SCRIPT, "frames", out], { timeout: 30_000 });
  let stdout = "";
  child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stdin?.end(`${hex.join("\n")}\n`);
  await new Promise((resolve) => child.on("close", resolve)); // "close": stdout read to the end, not just exited
  const decoded = stdout.trim().split("\n").map((line) => JSON.parse(line) as Record<string, unknown>);
  assert.equal(decoded.length, 4);
  assert.deepEqual(decoded.map((frame) => frame["hasAck"]), [true, true, true, false]);
  assert.deepEqual(decoded.map((frame) => frame["reencoded"]), hex, "Google's encoder produces the same bytes");
  assert.deepEqual((decoded[1] as { data: unknown }).data, { seq: 3, segmentIndex: 1, segmentCount: 2, payload: Buffer.from(payload).toString("base64") });
  assert.equal((decoded[1] as { ack: number }).ack, 7);
});
