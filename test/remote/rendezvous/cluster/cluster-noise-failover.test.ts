/**
 * A rendezvous node holding a codex-0.169-style (Noise) executor dies: the executor registers again
 * through another node (`--remote URL1,URL2,URL3`), keeps its registration id (same key), and the
 * Noise streams of harnesses on the surviving nodes resume with every line once.
 */
import { createConnection, createServer, type AddressInfo, type Socket } from "node:net";
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { freePort, redisSkip, startTestRedis } from "../../../helpers/redis-server.js";
import { waitUntil } from "../../../helpers/wait.js";
import { generateHybridKeyPair, publicKeyToJson } from "../../../../src/relay/noise/hybrid-keypair.js";
import type { ClusterRendezvous } from "../../../../src/remote/rendezvous/cluster/cluster-rendezvous.js";
import { finishTickers, noiseHarness, openSession, openSessions, postEnvironment, responseProblems, startChildNode, startKillableCluster, startNode, startNoiseExecutor, startTicker, startTickers, status, tickerProblems, useCleanups } from "./cluster-fixture.js";

const skip = redisSkip();

/** A TCP load balancer in front of rendezvous nodes: each connection goes to the first node that accepts it. */
async function loadBalancer(targets: () => readonly string[]): Promise<{ baseUrl: string; close(): Promise<void> }> {
  const open = new Set<Socket>();
  const server = createServer((client) => {
    open.add(client);
    client.pause();
    const tryTarget = (index: number) => {
      const target = targets()[index];
      if (target === undefined) return client.destroy();
      const { hostname, port } = new URL(target);
      const upstream = createConnection({ host: hostname, port: Number(port) });
      upstream.once("error", () => tryTarget(index + 1));
      upstream.once("connect", () => {
        open.add(upstream);
        upstream.removeAllListeners("error");
        upstream.on("error", () => client.destroy());
        client.on("error", () => upstream.destroy());
        upstream.on("close", () => client.destroy());
        client.on("close", () => upstream.destroy());
        client.pipe(upstream).pipe(client);
        client.resume();
      });
    };
    tryTarget(0);
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  return {
    baseUrl: `http://127.0.0.1:${(server.address() as AddressInfo).port}`,
    async close() {
      for (const socket of open) socket.destroy();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
const cleanups = useCleanups();

describe("rendezvous cluster: a node with a Noise executor dies", { skip }, () => {
  test("node 1 is killed mid-output: the executor re-registers through node 2 or 3, streams on nodes 2 and 3 finish complete and unrepeated", async (t) => {
    const { node1, n2, n3, nodeLog } = await startKillableCluster(cleanups);
    const log: string[] = [];
    const exec = await startNoiseExecutor("env-kill", [node1.baseUrl, n2.baseUrl, n3.baseUrl], (line) => log.push(line));
    cleanups.push(() => exec.stop());
    await waitUntil(() => exec.executor.state === "connected", 15_000, "executor connected to node 1");
    assert.equal(exec.executor.registryUrl, node1.baseUrl);
    const registrationId = exec.executor.registration?.registrationId;

    const harnesses = [await noiseHarness(n2.baseUrl, "env-kill"), await noiseHarness(n3.baseUrl, "env-kill")];
    cleanups.push(() => harnesses.forEach((harness) => harness.close()));
    const LINES = 150;
    const runs = await startTickers(await openSessions(harnesses, 2, "nk"), LINES);

    const registrationsBefore = exec.executor.registrations;
    const killedAt = Date.now();
    await node1.kill();
    await waitUntil(() => exec.executor.registrations > registrationsBefore && exec.executor.state === "connected", 20_000, () => `executor registered through another node (log: ${log.join(" | ")})`);
    t.diagnostic(`executor attached to another node ${Date.now() - killedAt} ms after the kill`);
    assert.notEqual(exec.executor.registryUrl, node1.baseUrl, "the executor moved");
    assert.equal(exec.executor.registration?.registrationId, registrationId, "the same executor key keeps its registration id");

    assert.deepEqual(await finishTickers(runs, LINES), [], `node log:\n${nodeLog.join("\n")}\nexecutor log:\n${log.join("\n")}`);
    // The resumed streams keep working, and new streams on the same harness connections pass /validate
    // (their authorizations name the registration id the executor kept).
    for (const { session } of runs) assert.ok((await session.client.fs.getMetadata({ path: "/" })).isDirectory);
    for (const [h, harness] of harnesses.entries()) {
      const late = await openSession(harness, `after-move-${h}`);
      assert.ok((await late.client.fs.getMetadata({ path: "/" })).isDirectory);
    }

    const seen = (await status(n2.baseUrl)) as unknown as { environments: { id: string; node: string }[] };
    const movedTo = seen.environments.find((environment) => environment.id === "env-kill")?.node;
    assert.ok(movedTo === n2.node.nodeId || movedTo === n3.node.nodeId, `the environment's executor is now on node 2 or 3, got ${movedTo}`);
  });

  test("the engine restarts empty: Noise streams keep flowing, the registry answers 503, then the node holding the executor restores its registration", async () => {
    const redis = await startTestRedis();
    cleanups.push(() => redis.stop());
    const nodes: ClusterRendezvous[] = [await startNode(redis.url), await startNode(redis.url), await startNode(redis.url)];
    cleanups.push(...nodes.map((node) => () => node.close()));
    const [n1, n2, n3] = nodes as [ClusterRendezvous, ClusterRendezvous, ClusterRendezvous];
    const exec = await startNoiseExecutor("env-engine", [n1.baseUrl]);
    cleanups.push(() => exec.stop());
    await waitUntil(() => exec.executor.state === "connected", 10_000, "executor connected");
    const harness = await noiseHarness(n2.baseUrl, "env-engine");
    cleanups.push(() => harness.close());
    const session = await openSession(harness, "engine-restart");
    const LINES = 100;
    const ticker = await startTicker(session.client, "tick", "ne", LINES, 0.03);
    await waitUntil(() => ticker.lines().length >= 5, 10_000, "output before the engine dies");

    await redis.kill();
    await waitUntil(() => nodes.every((node) => !node.node.engine.ready), 10_000, "every node noticed");
    const during = ticker.lines().length;
    const harnessKey = publicKeyToJson(generateHybridKeyPair().publicKey);
    const refused = await fetch(`${n3.baseUrl}/cloud/environment/env-engine/connect`, {
      method: "POST",
      headers: { "content-type": "application/json", authorization: "Bearer cluster-test-token" },
      body: JSON.stringify({ harness_public_key: harnessKey }),
    });
    assert.equal(refused.status, 503);
    assert.equal(refused.headers.get("retry-after"), "1");
    assert.equal(((await refused.json()) as { error: { code: string } }).error.code, "cluster_unavailable");
    await waitUntil(() => ticker.lines().length > during + 5, 10_000, "Noise output keeps flowing over the node link without the engine");
    assert.ok((await session.client.fs.getMetadata({ path: "/" })).isDirectory);

    await redis.restart();
    await waitUntil(() => nodes.every((node) => node.node.engine.ready), 15_000, "every node reconnected");
    // Node 1 writes the registration of the executor it holds back into the empty engine.
    let connected = await postEnvironment(n3.baseUrl, "env-engine", "connect", { harness_public_key: harnessKey });
    for (const deadline = Date.now() + 10_000; connected.status !== 200 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 100));
      connected = await postEnvironment(n3.baseUrl, "env-engine", "connect", { harness_public_key: harnessKey });
    }
    assert.equal(connected.status, 200, JSON.stringify(connected.json));
    assert.equal(connected.json.executor_registration_id, exec.executor.registration?.registrationId, "the same registration, restored");
    const late = await noiseHarness(n3.baseUrl, "env-engine");
    cleanups.push(() => late.close());
    const lateSession = await openSession(late, "after-restart");
    assert.ok((await lateSession.client.fs.getMetadata({ path: "/" })).isDirectory, "a new stream passes /validate against the restored registration");

    assert.deepEqual(tickerProblems(ticker, "ne", LINES, await ticker.closed), []);
    assert.deepEqual(responseProblems(session, "engine"), []);
    assert.equal(exec.executor.registrations, 1, "the executor never had to register again");
  });

  test("behind one load-balanced URL: node 1 dies, the executor redials the same signed URL, lands on node 2 and never registers again", async (t) => {
    const redis = await startTestRedis();
    cleanups.push(() => redis.stop());
    const nodeLog: string[] = [];
    const n2 = await startNode(redis.url, { log: (line) => nodeLog.push(line) });
    cleanups.push(() => n2.close());
    let node1Url = "";
    const balancer = await loadBalancer(() => [node1Url, n2.baseUrl].filter(Boolean));
    cleanups.push(() => balancer.close());
    // Node 1 issues URLs through the balancer (--public-url); node 2 hands harnesses its own address.
    // (The child prints its public URL, the balancer's; it listens on a port chosen here.)
    const port = await freePort();
    const node1 = await startChildNode(redis.url, ["--listen", `http://127.0.0.1:${port}`, "--public-url", balancer.baseUrl]);
    node1Url = `http://127.0.0.1:${port}`;
    cleanups.push(() => node1.kill());
    const log: string[] = [];
    const exec = await startNoiseExecutor("env-balanced", [balancer.baseUrl], (line) => log.push(line));
    cleanups.push(() => exec.stop());
    await waitUntil(() => exec.executor.state === "connected", 15_000, () => `executor connected through the balancer (log: ${log.join(" | ")})`);
    assert.ok(String(exec.executor.registration?.url).startsWith(balancer.baseUrl.replace(/^http/, "ws")), "node 1 signed a URL on the balancer");

    const harness = await noiseHarness(n2.baseUrl, "env-balanced");
    cleanups.push(() => harness.close());
    const session = await openSession(harness, "balanced");
    const LINES = 100;
    const ticker = await startTicker(session.client, "tick", "lb", LINES, 0.02);
    await waitUntil(() => ticker.lines().length >= 10, 15_000, "output before the kill");

    const connectionsBefore = exec.executor.connections;
    const killedAt = Date.now();
    await node1.kill();
    await waitUntil(() => exec.executor.connections > connectionsBefore && exec.executor.state === "connected", 20_000, () => `executor redialled (log: ${log.join(" | ")})`);
    t.diagnostic(`executor attached to node 2 ${Date.now() - killedAt} ms after the kill`);
    assert.equal(exec.executor.registrations, 1, "the same signed URL worked on node 2: no new registration");
    assert.deepEqual(tickerProblems(ticker, "lb", LINES, await ticker.closed), [], `node log:\n${nodeLog.join("\n")}\nexecutor log:\n${log.join("\n")}`);
    assert.deepEqual(responseProblems(session, "balanced"), []);
    const seen = (await status(n2.baseUrl)) as unknown as { environments: { id: string; node: string }[] };
    assert.equal(seen.environments.find((environment) => environment.id === "env-balanced")?.node, n2.node.nodeId);
  });
});
