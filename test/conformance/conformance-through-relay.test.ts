import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { connectTransport } from "../../src/client/connect.js";
import { formatReport, runConformance } from "../../src/conformance/index.js";
import { ExecServer } from "../../src/server/exec-server.js";
import { RemoteExecutor, RemoteExecutorConfig } from "../../src/remote/remote-executor.js";
import { startRendezvous, type Rendezvous } from "../../src/remote/rendezvous/rendezvous-server.js";

const TOKEN = "conformance-registry-token";
let rendezvous: Rendezvous;
let server: ExecServer;
let executor: RemoteExecutor;
let running: Promise<void>;

before(async () => {
  rendezvous = await startRendezvous({ registryTokens: [TOKEN] });
  server = new ExecServer({ sessions: { detachTtlMs: 2_000 }, processes: { terminateGraceMs: 500 } });
  executor = new RemoteExecutor({ config: RemoteExecutorConfig.withBearerToken(rendezvous.baseUrl, "conformance", TOKEN), server, backoff: { initialMs: 50, maxMs: 200 } });
  running = executor.run();
  // Polls the executor's own state; the suite itself never sleeps on real time.
  for (let i = 0; executor.state !== "connected"; i++) {
    assert.ok(i < 500, "the executor never connected to the rendezvous");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
});
after(async () => {
  executor.stop();
  await running.catch(() => undefined);
  await server.shutdown();
  await rendezvous.close();
});

test("passes through the rendezvous with a role=harness URL (one relay stream per connection)", async () => {
  const url = rendezvous.harnessUrl("conformance");
  const report = await runConformance({ connect: () => connectTransport(url), dialect: "seed", only: /^(lifecycle|malformed|session|process\/(seq-ordering|read-long-poll))\b/ });
  assert.equal(report.failed, 0, formatReport(report));
  assert.ok(report.passed >= 15, formatReport(report));
});
