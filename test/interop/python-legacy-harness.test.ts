import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { promisify } from "node:util";
import { ExecServer } from "../../src/server/exec-server.js";
import { RemoteExecutor, RemoteExecutorConfig } from "../../src/remote/remote-executor.js";
import { startRendezvous } from "../../src/remote/rendezvous/rendezvous-server.js";
import { waitUntil } from "../helpers/wait.js";
import { compileRelayProtoForPython, PYTHON, pythonPeersSkip } from "./python-peers.js";

const run = promisify(execFile);
const scratch = mkdtempSync(join(tmpdir(), "exec-server-legacy-"));
after(() => rmSync(scratch, { recursive: true, force: true }));


test(
  "an independent legacy harness (upstream framing, Google's protobuf) gets whole, unrepeated messages from our executor",
  { skip: pythonPeersSkip("websockets, google.protobuf", true) },
  async () => {
    const pb2 = compileRelayProtoForPython(join(scratch, "pb2"));
    const rendezvous = await startRendezvous({ registryTokens: ["legacy-token"] });
    const server = new ExecServer();
    const executor = new RemoteExecutor({ config: RemoteExecutorConfig.withBearerToken(rendezvous.baseUrl, "legacy", "legacy-token"), server });
    const running = executor.run();
    try {
      await waitUntil(() => executor.state === "connected", 5000, "executor connected");
      const { stdout } = await run(PYTHON, [join(import.meta.dirname, "python-legacy-harness.py"), pb2, rendezvous.harnessUrl("legacy"), scratch], { timeout: 40_000 });
      const summary = JSON.parse(stdout) as { sessionId: string; outputLength: number; exitCodes: number[]; seqsUnique: boolean; readChunks: number; violations: string[] };
      assert.deepEqual(summary.violations, [], "no frame a legacy peer would refuse or deliver twice");
      assert.match(summary.sessionId, /^[0-9a-f-]{36}$/);
      assert.equal(summary.outputLength, 200_001);
      assert.deepEqual(summary.exitCodes, [5]);
      assert.ok(summary.seqsUnique);
      assert.ok(summary.readChunks > 0);
    } finally {
      executor.stop();
      await running.catch(() => undefined);
      await server.shutdown();
      await rendezvous.close();
    }
  },
);
