/**
 * The codex 0.169 environment registry in a rendezvous cluster: registration on one node, `/connect`
 * and Noise streams through the others, stream ownership across nodes, registration conflicts and
 * `/validate` wherever the authorization was issued.
 */
import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { generateHybridKeyPair, publicKeyToJson } from "../../../../src/relay/noise/hybrid-keypair.js";
import type { ClusterRendezvous } from "../../../../src/remote/rendezvous/cluster/cluster-rendezvous.js";
import { redisSkip } from "../../../helpers/redis-server.js";
import { openRawFrameSocket } from "../../../helpers/raw-frame-socket.js";
import { waitUntil } from "../../../helpers/wait.js";
import {
  assertStreamOwnership,
  noiseHarness,
  openSessions,
  postEnvironment,
  runProblems,
  startNoiseExecutor,
  startTicker,
  status,
  useThreeNodeCluster,
} from "./cluster-fixture.js";

const skip = redisSkip();
const PROFILE = "noise_hybrid_ik_v1";

/** Polls `/connect` until the environment's executor counts as attached (the attachment reaches the engine asynchronously). */
async function connectWhenAttached(baseUrl: string, environmentId: string, harnessKey: unknown): Promise<Record<string, unknown>> {
  const deadline = Date.now() + 10_000;
  for (;;) {
    const answer = await postEnvironment(baseUrl, environmentId, "connect", { harness_public_key: harnessKey });
    if (answer.status === 200) return answer.json;
    if (answer.status !== 503 || Date.now() > deadline) throw new Error(`/connect on ${baseUrl}: HTTP ${answer.status} ${JSON.stringify(answer.json)}`);
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
}

describe("rendezvous cluster: codex 0.169 environments across three nodes", { skip }, () => {
  const cluster = useThreeNodeCluster();
  const { cleanups } = cluster;

  test("executor registered on node 1, harnesses connect through nodes 2 and 3: commands and files over Noise, every response once, in order", async () => {
    const [n1, n2, n3] = cluster.nodes;
    const exec = await startNoiseExecutor("env-routing", [n1.baseUrl, n2.baseUrl, n3.baseUrl]);
    cleanups.push(() => exec.stop());
    await waitUntil(() => exec.executor.state === "connected", 15_000, "executor connected to node 1");
    assert.equal(exec.executor.registryUrl, n1.baseUrl);

    const harnesses = [await noiseHarness(n2.baseUrl, "env-routing"), await noiseHarness(n3.baseUrl, "env-routing")];
    cleanups.push(() => harnesses.forEach((harness) => harness.close()));
    for (const harness of harnesses) assert.equal(harness.connection.registrationId, exec.executor.registration?.registrationId);
    const STREAMS_PER_HARNESS = 4;
    const LINES = 60;
    const sessions = await openSessions(harnesses, STREAMS_PER_HARNESS, "n");
    const runs = await Promise.all(
      sessions.map(async ({ session, token }) => {
        const ticker = await startTicker(session.client, "tick", token, LINES, 0.002);
        // Pipelined calls on the same stream while the output streams, and a file round trip.
        const metas = await Promise.all(Array.from({ length: 8 }, () => session.client.fs.getMetadata({ path: "/" })));
        assert.ok(metas.every((meta) => meta.isDirectory));
        const body = Buffer.from(`${token}\n`.repeat(20_000));
        const path = `/tmp/exec-server-cluster-noise-${process.pid}-${token}.txt`;
        await session.client.fs.writeFile({ path, dataBase64: body.toString("base64") });
        const back = await session.client.fs.readFile({ path });
        assert.ok(Buffer.from(back.dataBase64, "base64").equals(body), `${token}: the file came back intact`);
        await session.client.fs.remove({ path });
        return { session, token, ticker, closedSeq: await ticker.closed };
      }),
    );
    assert.deepEqual(runProblems(runs, LINES), []);
    for (const { session } of runs) assert.equal(session.responseIds.length, 13, "initialize, process/start, 8 getMetadata, write, read, remove answered once each");
    for (const { session } of runs) assert.equal(session.stream.peer, "reliable");

    const seen = await status(n3.baseUrl);
    const entry = (seen as unknown as { environments: { id: string; node: string; registrationId: string }[] }).environments.find((environment) => environment.id === "env-routing");
    assert.equal(entry?.node, n1.node.nodeId);
    assert.equal(entry?.registrationId, exec.executor.registration?.registrationId);
  });

  test("a raw harness on node 3 cannot inject into a stream owned by node 2's harness; replies reach only the owner", async () => {
    const [n1, n2, n3] = cluster.nodes;
    const executorKey = publicKeyToJson(generateHybridKeyPair().publicKey);
    const registration = await postEnvironment(n1.baseUrl, "env-raw", "register", { security_profile: PROFILE, executor_public_key: executorKey });
    assert.equal(registration.status, 200);
    const executor = await openRawFrameSocket(String(registration.json.url), 5000);
    const ownerBundle = await connectWhenAttached(n2.baseUrl, "env-raw", publicKeyToJson(generateHybridKeyPair().publicKey));
    const intruderBundle = await connectWhenAttached(n3.baseUrl, "env-raw", publicKeyToJson(generateHybridKeyPair().publicKey));
    assert.ok(String(ownerBundle.url).startsWith(n2.baseUrl.replace(/^http/, "ws")), "node 2 hands out its own websocket URL");
    const owner = await openRawFrameSocket(String(ownerBundle.url), 5000);
    const intruder = await openRawFrameSocket(String(intruderBundle.url), 5000);
    cleanups.push(() => [executor, owner, intruder].forEach((peer) => peer.socket.terminate()));

    await assertStreamOwnership(executor, owner, intruder, () => n3.environments.router.droppedFrames);
  });

  test("registration conflicts across nodes; URLs signed by one node work on another; a superseded executor URL gets 409 everywhere", async () => {
    const [n1, n2, n3] = cluster.nodes;
    const firstKey = publicKeyToJson(generateHybridKeyPair().publicKey);
    const first = await postEnvironment(n1.baseUrl, "env-conflict", "register", { security_profile: PROFILE, executor_public_key: firstKey });
    assert.equal(first.status, 200);
    // Node 1's executor URL dialled at node 2: the cluster's key signed it, the registration is in the engine.
    const atNode2 = String(first.json.url).replace(new URL(n1.baseUrl).host, new URL(n2.baseUrl).host);
    const executor = await openRawFrameSocket(atNode2, 5000);
    await connectWhenAttached(n3.baseUrl, "env-conflict", publicKeyToJson(generateHybridKeyPair().publicKey));
    const seen = await status(n1.baseUrl);
    assert.equal((seen as unknown as { environments: { id: string; node: string }[] }).environments.find((environment) => environment.id === "env-conflict")?.node, n2.node.nodeId);

    // Another executor registering through node 3 (or node 1) while this one is connected to node 2: 503.
    const otherKey = publicKeyToJson(generateHybridKeyPair().publicKey);
    for (const node of [n3, n1]) {
      const refused = await postEnvironment(node.baseUrl, "env-conflict", "register", { security_profile: PROFILE, executor_public_key: otherKey });
      assert.equal(refused.status, 503);
      assert.equal((refused.json.error as { code: string }).code, "registration_conflict");
    }

    // Once it disconnects, /connect on any node answers 503 environment_unavailable (404 for an unknown
    // environment), and a registration through node 3 succeeds and supersedes the first one.
    executor.socket.close();
    const harnessKey = publicKeyToJson(generateHybridKeyPair().publicKey);
    let unavailable = await postEnvironment(n1.baseUrl, "env-conflict", "connect", { harness_public_key: harnessKey });
    for (const deadline = Date.now() + 10_000; unavailable.status === 200 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      unavailable = await postEnvironment(n1.baseUrl, "env-conflict", "connect", { harness_public_key: harnessKey });
    }
    assert.equal(unavailable.status, 503);
    assert.equal((unavailable.json.error as { code: string }).code, "environment_unavailable");
    const unknown = await postEnvironment(n2.baseUrl, "env-never-registered", "connect", { harness_public_key: harnessKey });
    assert.equal(unknown.status, 404);
    assert.equal((unknown.json.error as { code: string }).code, "environment_not_found");
    let second = await postEnvironment(n3.baseUrl, "env-conflict", "register", { security_profile: PROFILE, executor_public_key: otherKey });
    for (const deadline = Date.now() + 10_000; second.status !== 200 && Date.now() < deadline; ) {
      await new Promise((resolve) => setTimeout(resolve, 50));
      second = await postEnvironment(n3.baseUrl, "env-conflict", "register", { security_profile: PROFILE, executor_public_key: otherKey });
    }
    assert.equal(second.status, 200, "registration after the executor left");
    assert.notEqual(second.json.executor_registration_id, first.json.executor_registration_id, "another key gets another registration");
    for (const node of [n1, n2, n3]) {
      const url = String(first.json.url).replace(new URL(n1.baseUrl).host, new URL(node.baseUrl).host);
      await assert.rejects(openRawFrameSocket(url), /409/, `node ${node.node.nodeId} refuses the superseded executor URL with 409`);
    }
    // The same key registering again (no executor connected) keeps its registration id.
    const again = await postEnvironment(n2.baseUrl, "env-conflict", "register", { security_profile: PROFILE, executor_public_key: otherKey });
    assert.equal(again.status, 200);
    assert.equal(again.json.executor_registration_id, second.json.executor_registration_id);
  });

  test("/validate on a node other than the one that issued the authorization", async () => {
    const [n1, n2, n3] = cluster.nodes;
    const executorKey = publicKeyToJson(generateHybridKeyPair().publicKey);
    const registration = await postEnvironment(n1.baseUrl, "env-validate", "register", { security_profile: PROFILE, executor_public_key: executorKey });
    const executor = await openRawFrameSocket(String(registration.json.url), 5000);
    cleanups.push(() => executor.socket.terminate());
    const harnessKey = publicKeyToJson(generateHybridKeyPair().publicKey);
    const bundle = await connectWhenAttached(n2.baseUrl, "env-validate", harnessKey);
    assert.deepEqual(bundle.executor_public_key, executorKey);
    const validate = (node: ClusterRendezvous, overrides: Record<string, unknown> = {}) =>
      postEnvironment(node.baseUrl, "env-validate", "validate", {
        executor_registration_id: registration.json.executor_registration_id,
        harness_public_key: harnessKey,
        harness_key_authorization: bundle.harness_key_authorization,
        ...overrides,
      });
    for (const node of [n3, n1, n2]) assert.deepEqual((await validate(node)).json, { valid: true }, `valid on ${node.node.nodeId}`);
    assert.deepEqual((await validate(n3, { harness_public_key: publicKeyToJson(generateHybridKeyPair().publicKey) })).json, { valid: false }, "another harness key");
    assert.deepEqual((await validate(n3, { harness_key_authorization: `${String(bundle.harness_key_authorization)}x` })).json, { valid: false }, "an edited authorization");
    assert.deepEqual((await validate(n3, { executor_registration_id: "reg-other" })).json, { valid: false }, "another registration");
  });
});
