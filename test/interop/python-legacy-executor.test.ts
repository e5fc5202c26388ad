import { after, test } from "node:test";
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { createExecServerClient } from "../../generated/openrpc/client.js";
import { HarnessConnection } from "../../src/remote/harness-connection.js";
import { startRendezvous } from "../../src/remote/rendezvous/rendezvous-server.js";
import { compileRelayProtoForPython, PYTHON, pythonPeersSkip } from "./python-peers.js";

const scratch = mkdtempSync(join(tmpdir(), "exec-server-legacy-exec-"));
after(() => rmSync(scratch, { recursive: true, force: true }));


test(
  "our harness talks to an independent legacy executor: whole messages, each request delivered once",
  { skip: pythonPeersSkip("websockets, google.protobuf", true) },
  async () => {
    const pb2 = compileRelayProtoForPython(join(scratch, "pb2"));
    const rendezvous = await startRendezvous({ registryTokens: ["legacy-exec-token"] });
    const child = spawn(PYTHON, [join(import.meta.dirname, "python-legacy-executor.py"), pb2, rendezvous.baseUrl, "legacy-exec", "legacy-exec-token"], { stdio: ["pipe", "pipe", "inherit"] });
    const lines = createInterface({ input: child.stdout });
    const nextLine = () => new Promise<string>((resolve, reject) => {
      lines.once("line", resolve);
      child.once("exit", (code) => reject(new Error(`legacy executor exited ${code}`)));
    });
    let harness: HarnessConnection | undefined;
    try {
      assert.equal(await nextLine(), "ready");
      harness = await HarnessConnection.connect(rendezvous.harnessUrl("legacy-exec"));
      const client = createExecServerClient(harness.openStream(), { timeoutMs: 10_000 });
      const init = await client.initialize({ clientName: "to-legacy" });
      assert.equal(init.sessionId, "legacy-session");
      const big = "y".repeat(150_000); // larger than one reliable segment: must still go out whole
      const echoed = (await client.core.request("test/echo" as never, { text: big } as never)) as { text: string };
      assert.equal(echoed.text.length, big.length);
      // Give a reliable endpoint's retransmission timer time to misfire, if it were going to.
      await new Promise((resolve) => setTimeout(resolve, 2500));
      const summaryLine = nextLine();
      child.stdin.end();
      const summary = JSON.parse(await summaryLine) as { requests: number[]; violations: string[] };
      assert.deepEqual(summary.violations, []);
      assert.deepEqual(summary.requests, [1, 2], "each request reached the legacy executor exactly once");
    } finally {
      harness?.close();
      child.kill("SIGKILL");
      await rendezvous.close();
    }
  },
);
