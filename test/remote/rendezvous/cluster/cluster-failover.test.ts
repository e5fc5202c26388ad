import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { HarnessConnection } from "../../../../src/remote/harness-connection.js";
import type { ClusterRendezvous } from "../../../../src/remote/rendezvous/cluster/cluster-rendezvous.js";
import { redisSkip, startTestRedis } from "../../../helpers/redis-server.js";
import { waitUntil } from "../../../helpers/wait.js";
import { finishTickers, harnessUrl, openSession, openSessions, responseProblems, startExecutor, startKillableCluster, startNode, startTicker, startTickers, status, tickerProblems, TOKEN, useCleanups } from "./cluster-fixture.js";

const skip = redisSkip();

/** Polls an async condition every 50 ms until it holds. */
async function eventually(condition: () => Promise<boolean>, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}
const cleanups = useCleanups();

describe("rendezvous cluster: failures", { skip }, () => {
  test("node 1 is killed mid-output: the executor moves, streams resume, output complete and unrepeated", async () => {
    const { node1, n2, n3, nodeLog } = await startKillableCluster(cleanups);
    const log: string[] = [];
    const exec = await startExecutor("exec-kill", [node1.baseUrl, n2.baseUrl, n3.baseUrl], (line) => log.push(line));
    cleanups.push(() => exec.stop());
    await waitUntil(() => exec.executor.state === "connected", 15_000, "executor connected to node 1");
    assert.equal(exec.executor.registryUrl, node1.baseUrl);

    const harnesses = [await HarnessConnection.connect(await harnessUrl(n2.baseUrl, "exec-kill")), await HarnessConnection.connect(await harnessUrl(n3.baseUrl, "exec-kill"))];
    cleanups.push(() => harnesses.forEach((harness) => harness.close()));
    const LINES = 150;
    const runs = await startTickers(await openSessions(harnesses, 2, "k"), LINES);

    await node1.kill();
    const connectionsBefore = exec.executor.connections;
    await waitUntil(() => exec.executor.connections > connectionsBefore && exec.executor.state === "connected", 20_000, "executor reconnected to another node");
    assert.notEqual(exec.executor.registryUrl, node1.baseUrl, `the executor moved (log: ${log.join(" | ")})`);

    assert.deepEqual(await finishTickers(runs, LINES), [], `node log:\n${nodeLog.join("\n")}\nexecutor log:\n${log.join("\n")}`);
    // The streams keep working after the move.
    for (const { session } of runs) assert.ok((await session.client.fs.getMetadata({ path: "/" })).isDirectory);

    const seen = await status(n2.baseUrl);
    const movedTo = seen.executors.find((executor) => executor.id === "exec-kill")?.node;
    assert.ok(movedTo === n2.node.nodeId || movedTo === n3.node.nodeId, `executor is now on node 2 or 3, got ${movedTo}`);
  });

  test("the engine restarts: attached streams keep flowing, registrations get a retryable 503, then the cluster recovers", async () => {
    const redis = await startTestRedis();
    cleanups.push(() => redis.stop());
    const nodes: ClusterRendezvous[] = [await startNode(redis.url), await startNode(redis.url), await startNode(redis.url)];
    cleanups.push(...nodes.map((node) => () => node.close()));
    const [n1, n2, n3] = nodes as [ClusterRendezvous, ClusterRendezvous, ClusterRendezvous];
    const exec = await startExecutor("exec-engine", [n1.baseUrl]);
    cleanups.push(() => exec.stop());
    await waitUntil(() => exec.executor.state === "connected", 10_000, "executor connected");
    const harness = await HarnessConnection.connect(await harnessUrl(n2.baseUrl, "exec-engine"));
    cleanups.push(() => harness.close());
    const session = await openSession(harness, "engine-restart");
    const LINES = 100;
    const ticker = await startTicker(session.client, "tick", "e", LINES, 0.03);
    await waitUntil(() => ticker.lines().length >= 5, 10_000, "output before the engine dies");

    await redis.kill();
    await waitUntil(() => nodes.every((node) => !node.node.engine.ready), 10_000, "every node noticed");
    const during = ticker.lines().length;
    for (const node of nodes) {
      const ready = await fetch(`${node.baseUrl}/readyz`);
      assert.equal(ready.status, 503);
      assert.match(((await ready.json()) as { detail: string }).detail, /cluster engine .* unreachable/);
    }
    const refused = await fetch(`${n3.baseUrl}/cloud/executor/exec-new/register`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get("retry-after"), "1");
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, "cluster_unavailable");
    // The attached stream still flows over the node link, and still answers calls.
    await waitUntil(() => ticker.lines().length > during + 5, 10_000, "output keeps flowing without the engine");
    assert.ok((await session.client.fs.getMetadata({ path: "/" })).isDirectory);
    // A new stream needs a claim: it is refused with a clear, retryable reason instead of hanging.
    const refusedStream = harness.openStream();
    const reason = new Promise<string>((resolve) => refusedStream.onClose(resolve));
    refusedStream.send(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "initialize", params: { clientName: "x" } }));
    assert.match(await reason, /rendezvous_cluster_unavailable/);

    await redis.restart();
    await waitUntil(() => nodes.every((node) => node.node.engine.ready), 15_000, "every node reconnected");
    for (const node of nodes) assert.equal((await fetch(`${node.baseUrl}/readyz`)).status, 200);
    await eventually(async () => {
      const seen = await status(n3.baseUrl);
      return seen.nodes.length === 3 && seen.executors.some((executor) => executor.id === "exec-engine" && executor.node === n1.node.nodeId);
    }, 10_000, "node records and the executor lease re-created");
    // A harness on another node reaches the executor through the re-created lease.
    const late = await HarnessConnection.connect(await harnessUrl(n3.baseUrl, "exec-engine"));
    cleanups.push(() => late.close());
    const lateSession = await openSession(late, "after-restart");
    assert.ok((await lateSession.client.fs.getMetadata({ path: "/" })).isDirectory);
    const registered = await fetch(`${n3.baseUrl}/cloud/executor/exec-new/register`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
    assert.equal(registered.status, 200);

    assert.deepEqual(tickerProblems(ticker, "e", LINES, await ticker.closed), []);
    assert.deepEqual(responseProblems(session, "engine"), []);
  });
});
