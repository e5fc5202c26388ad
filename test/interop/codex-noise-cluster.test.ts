/**
 * The real codex 0.169 executor (`codex exec-server --remote URL --environment-id ID
 * --registration-bearer-stdin`) registers through node 1 of a rendezvous cluster; our harness
 * `/connect`s through node 2 and runs a command on it over a Noise stream that crosses the node link.
 */
import assert from "node:assert/strict";
import { spawn, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { NoiseHarnessConnection } from "../../src/remote/noise-harness-connection.js";
import type { ClusterRendezvous } from "../../src/remote/rendezvous/cluster/cluster-rendezvous.js";
import { codexPath, codexSkip, makeCodexHome } from "../helpers/codex-binary.js";
import { rawRpc } from "../helpers/raw-rpc.js";
import { redisSkip, startTestRedis, type TestRedis } from "../helpers/redis-server.js";
import { waitUntil } from "../helpers/wait.js";
import { startNode, TOKEN } from "../remote/rendezvous/cluster/cluster-fixture.js";

const skip = codexSkip() || redisSkip();
const ENVIRONMENT = "env-codex-cluster";
const MARK = "CLUSTER-MARK-5d21";

let redis: TestRedis;
let nodes: ClusterRendezvous[] = [];
let executor: ChildProcess;
let home: ReturnType<typeof makeCodexHome>;
let executorLog = "";

before(async () => {
  if (skip) return;
  redis = await startTestRedis();
  nodes = [await startNode(redis.url), await startNode(redis.url)];
  home = makeCodexHome();
  executor = spawn(codexPath(), ["exec-server", "--remote", (nodes[0] as ClusterRendezvous).baseUrl, "--environment-id", ENVIRONMENT, "--registration-bearer-stdin"], {
    env: { ...process.env, CODEX_HOME: home.dir, RUST_LOG: "warn" },
    stdio: ["pipe", "ignore", "pipe"],
  });
  executor.stderr!.on("data", (d: Buffer) => (executorLog = (executorLog + d.toString()).slice(-8192)));
  executor.stdin!.end(`${TOKEN}\n`);
  await waitUntil(() => (nodes[0] as ClusterRendezvous).environments.registration(ENVIRONMENT) !== undefined, 20_000, () => `the codex executor to register (stderr: ${executorLog})`);
});

after(async () => {
  if (skip) return;
  if (executor.exitCode === null) {
    const exited = new Promise((resolve) => executor.once("exit", resolve));
    executor.kill("SIGTERM");
    await exited;
  }
  for (const node of nodes) await node.close();
  await redis.stop();
  home.dispose();
});

test("the real 0.169 executor registers through node 1; our harness on node 2 runs a command on it", { skip, timeout: 60_000 }, async () => {
  const [n1, n2] = nodes as [ClusterRendezvous, ClusterRendezvous];
  const connection = await NoiseHarnessConnection.connect({ registry: { baseUrl: n2.baseUrl, environmentId: ENVIRONMENT, token: TOKEN }, connectTimeoutMs: 20_000 });
  try {
    assert.equal(connection.connection.registrationId, n1.environments.registration(ENVIRONMENT)?.registrationId, "node 2 answers with node 1's registration");
    const stream = connection.openStream();
    const rpc = rawRpc(stream);
    const init = (await rpc.request("initialize", { clientName: "exec-server-cluster-test", resumeSessionId: null })) as { environmentInfo: { executorVersion: string } };
    assert.equal(init.environmentInfo.executorVersion, "0.169.0");
    rpc.notify("initialized");
    const dir = join(home.dir, "cluster-work");
    mkdirSync(dir, { recursive: true });
    await rpc.request("process/start", { processId: "p1", argv: ["/bin/sh", "-c", `printf '%s' "$MARK"; pwd; exit 4`], cwd: `file://${dir}`, env: { PATH: "/usr/bin:/bin", MARK }, tty: false });
    await rpc.waitFor((n) => n.method === "process/closed");
    const output = rpc.notifications
      .filter((n) => n.method === "process/output")
      .map((n) => Buffer.from((n.params as { chunk: string }).chunk, "base64").toString())
      .join("");
    assert.equal(output, `${MARK}${dir}\n`);
    assert.equal((rpc.notifications.find((n) => n.method === "process/exited")?.params as { exitCode: number }).exitCode, 4);
    // The stream crossed the node link: node 2 holds the harness socket, node 1 the executor's.
    assert.equal(n1.environments.router.snapshot().executors.includes(ENVIRONMENT), true);
    assert.equal(n2.environments.router.snapshot().harnessSockets, 1);
  } finally {
    connection.close();
  }
});
