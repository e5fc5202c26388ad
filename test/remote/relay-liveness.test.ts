import { test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createExecServerClient } from "../../generated/openrpc/client.js";
import { ExecServer } from "../../src/server/exec-server.js";
import { HarnessConnection } from "../../src/remote/harness-connection.js";
import { RemoteExecutor, RemoteExecutorConfig } from "../../src/remote/remote-executor.js";
import { startRendezvous } from "../../src/remote/rendezvous/rendezvous-server.js";
import { waitUntil } from "../helpers/wait.js";

// A dead-peer timeout of ten heartbeat intervals: a stream survives an event loop stalled for 900 ms
// under load (its timers fire before the heartbeats waiting in the socket are read).
const endpoint = { heartbeatIntervalMs: 100, deadPeerTimeoutMs: 1000 };

test("idle streams stay up on heartbeats, and a stream whose harness vanished without a reset is ended so its session detaches", async () => {
  const secret = randomBytes(32);
  let rendezvous = await startRendezvous({ registryTokens: ["live-token"], signingSecret: secret });
  const port = Number(new URL(rendezvous.baseUrl).port);
  const server = new ExecServer({ sessions: { detachTtlMs: 100 } });
  const executor = new RemoteExecutor({
    config: RemoteExecutorConfig.withBearerToken(rendezvous.baseUrl, "live", "live-token"),
    server,
    relay: { endpoint },
    backoff: { initialMs: 50, maxMs: 100 },
  });
  const running = executor.run();
  try {
    await waitUntil(() => executor.state === "connected", 5000, "executor connected");
    const harness = await HarnessConnection.connect(rendezvous.harnessUrl("live"), { relay: { endpoint }, reconnect: false });
    const client = createExecServerClient(harness.openStream());
    await client.initialize({ clientName: "idle" });
    client.notifyInitialized();
    await new Promise((resolve) => setTimeout(resolve, 2000)); // two dead-peer timeouts of silence
    assert.equal((await client.fs.getMetadata({ path: "/" })).isDirectory, true, "heartbeats kept the idle stream alive");
    assert.equal(server.sessions.size, 1);

    // The rendezvous restarts and forgets who owned the stream; the harness is gone for good.
    await rendezvous.close();
    harness.close();
    rendezvous = await startRendezvous({ registryTokens: ["live-token"], signingSecret: secret, port });
    await waitUntil(() => executor.connections >= 2, 5000, "executor reconnected");
    await waitUntil(() => executor.mux.streamCount === 0, 5000, "the orphaned stream is ended by the dead-peer timeout");
    await waitUntil(() => server.sessions.size === 0, 5000, "its session detached and expired");
  } finally {
    executor.stop();
    await running.catch(() => undefined);
    await server.shutdown();
    await rendezvous.close();
  }
});
