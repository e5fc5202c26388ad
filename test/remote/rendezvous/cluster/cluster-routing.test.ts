import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { HarnessConnection } from "../../../../src/remote/harness-connection.js";
import { openRawFrameSocket } from "../../../helpers/raw-frame-socket.js";
import { redisSkip } from "../../../helpers/redis-server.js";
import { waitUntil } from "../../../helpers/wait.js";
import { assertStreamOwnership, harnessUrl, openSessions, runProblems, startExecutor, startTicker, status, TOKEN, useThreeNodeCluster } from "./cluster-fixture.js";

const skip = redisSkip();

describe("rendezvous cluster: routing across three nodes", { skip }, () => {
  const cluster = useThreeNodeCluster();
  const { cleanups } = cluster;

  test("harnesses on nodes 2 and 3 reach an executor on node 1: every response once, in order, no cross-talk", async () => {
    const [n1, n2, n3] = cluster.nodes;
    const exec = await startExecutor("exec-routing", [n1.baseUrl, n2.baseUrl, n3.baseUrl]);
    cleanups.push(() => exec.stop());
    await waitUntil(() => exec.executor.state === "connected", 10_000, "executor connected to node 1");
    assert.equal(exec.executor.registryUrl, n1.baseUrl);

    const harnesses = [await HarnessConnection.connect(await harnessUrl(n2.baseUrl, "exec-routing")), await HarnessConnection.connect(await harnessUrl(n3.baseUrl, "exec-routing"))];
    cleanups.push(() => harnesses.forEach((harness) => harness.close()));
    const STREAMS_PER_HARNESS = 6;
    const LINES = 60;
    const sessions = await openSessions(harnesses, STREAMS_PER_HARNESS, "h");
    const runs = await Promise.all(
      sessions.map(async ({ session, token }) => {
        const ticker = await startTicker(session.client, "tick", token, LINES, 0.002);
        // Pipelined calls on the same stream while the output streams.
        const metas = await Promise.all(Array.from({ length: 10 }, () => session.client.fs.getMetadata({ path: "/" })));
        assert.ok(metas.every((meta) => meta.isDirectory));
        return { session, token, ticker, closedSeq: await ticker.closed };
      }),
    );
    assert.deepEqual(runProblems(runs, LINES), []);
    for (const { session } of runs) assert.equal(session.responseIds.length, 12, "initialize, process/start and 10 getMetadata answered once each");

    // Another node's counts reach the status at its next lease renewal (every leaseMs / 3 = 1 s):
    // wait for them instead of assuming the calls above took that long.
    let seen = await status(n2.baseUrl);
    for (const deadline = Date.now() + 10_000; seen.streams !== 2 * STREAMS_PER_HARNESS && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      seen = await status(n2.baseUrl);
    }
    assert.equal(seen.nodes.length, 3);
    const entry = seen.executors.find((executor) => executor.id === "exec-routing");
    assert.equal(entry?.node, n1.node.nodeId);
    assert.equal(entry?.name, "name-of-exec-routing");
    assert.equal(seen.streams, 2 * STREAMS_PER_HARNESS, "every stream is claimed by its harness's node");
  });

  test("a harness on another node cannot take over a stream; replies go only to the owner", async () => {
    const [n1, n2, n3] = cluster.nodes;
    const registration = (await (await fetch(`${n1.baseUrl}/cloud/executor/raw-exec/register`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } })).json()) as { url: string };
    const executor = await openRawFrameSocket(registration.url, 5000);
    const owner = await openRawFrameSocket(await harnessUrl(n2.baseUrl, "raw-exec"), 5000);
    const intruder = await openRawFrameSocket(await harnessUrl(n3.baseUrl, "raw-exec"), 5000);
    cleanups.push(() => [executor, owner, intruder].forEach((peer) => peer.socket.terminate()));

    await assertStreamOwnership(executor, owner, intruder, () => n3.router.droppedFrames);
  });
});
