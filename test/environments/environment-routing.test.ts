import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { createServer } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { ExecServer } from "../../src/server/exec-server.js";
import { startExecServer, type RunningExecServer } from "../../src/server/start-exec-server.js";
import { RemoteExecutor, RemoteExecutorConfig } from "../../src/remote/remote-executor.js";
import { startRendezvous, type Rendezvous } from "../../src/remote/rendezvous/rendezvous-server.js";
import { b64, JsonWsClient, type Message } from "../helpers/json-ws-client.js";
import { encodePathUri } from "../../src/rpc/path-uri.js";

let gateway: RunningExecServer;
let plain: RunningExecServer;
let rendezvous: Rendezvous;
let executor: RemoteExecutor;
let executorServer: ExecServer;
let running: Promise<void>;
let scratch: string;
const clients: JsonWsClient[] = [];

before(async () => {
  scratch = await mkdtemp(join(tmpdir(), "exec-server-env-"));
  gateway = await startExecServer();
  plain = await startExecServer();
  rendezvous = await startRendezvous({ registryTokens: ["env-token"] });
  executorServer = new ExecServer();
  executor = new RemoteExecutor({ config: RemoteExecutorConfig.withBearerToken(rendezvous.baseUrl, "relay-env", "env-token"), server: executorServer, backoff: { initialMs: 50, maxMs: 100 } });
  running = executor.run();
  const deadline = Date.now() + 5000;
  while (executor.state !== "connected" && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
});
after(async () => {
  await Promise.all(clients.map((client) => client.close()));
  executor.stop();
  await running.catch(() => undefined);
  await executorServer.shutdown();
  await Promise.all([gateway.close(), plain.close(), rendezvous.close()]);
  await rm(scratch, { recursive: true, force: true });
});

async function gatewayClient(experimental = true): Promise<JsonWsClient> {
  const client = await JsonWsClient.connect(gateway.url);
  clients.push(client);
  await client.handshake({ clientName: "gateway-test", capabilities: { experimentalApi: experimental } });
  return client;
}

const error = (response: Message) => response.error;

test("refuses environment methods without the experimentalApi capability", async () => {
  const client = await gatewayClient(false);
  const response = await client.request("environment/add", { environmentId: "a", execServerUrl: plain.url });
  assert.deepEqual(error(response), { code: -32600, message: "environment/add requires experimentalApi capability" });
});

test("validates environment/add with the contract's messages", async () => {
  const client = await gatewayClient();
  const cases: Array<[Record<string, unknown>, string]> = [
    [{ environmentId: "", execServerUrl: plain.url }, "environment id cannot be empty"],
    [{ environmentId: "x", execServerUrl: "" }, "remote environment requires an exec-server url"],
    [{ environmentId: "x", execServerUrl: "none" }, "remote environment cannot use disabled exec-server url"],
    [{ environmentId: "local", execServerUrl: plain.url }, "environment id local is reserved"],
    [{ environmentId: "x", execServerUrl: "http://127.0.0.1:1" }, "remote environment url must be ws:// or wss://, got http://127.0.0.1:1"],
  ];
  for (const [params, message] of cases) {
    const response = await client.request("environment/add", params);
    assert.equal(response.error?.message, message, JSON.stringify(params));
  }
});

test("runs processes and reads files in a plain and a relayed environment, with tagged notifications on the caller's connection only", async () => {
  const client = await gatewayClient();
  const bystander = await gatewayClient();
  await client.call("environment/add", { environmentId: "plain", execServerUrl: plain.url });
  await client.call("environment/add", { environmentId: "relay", execServerUrl: rendezvous.harnessUrl("relay-env") });
  const file = join(scratch, "env.txt");
  await writeFile(file, "from the environment");
  for (const environmentId of ["plain", "relay"]) {
    const read = await client.call("fs/readFile", { path: file, environmentId });
    assert.equal(Buffer.from(String(read["dataBase64"]), "base64").toString(), "from the environment");
    await client.call("process/start", { processId: "p", argv: ["sh", "-c", `echo hello-${environmentId}`], cwd: scratch, env: {}, tty: false, environmentId });
    const closed = await client.waitFor(
      () => client.notifications.find((n) => n.method === "process/closed" && n.params?.["environmentId"] === environmentId),
      10_000,
      `closed from ${environmentId}`,
    );
    assert.equal(closed.params?.["processId"], "p");
    const output = client.notifications
      .filter((n) => n.method === "process/output" && n.params?.["environmentId"] === environmentId)
      .map((n) => Buffer.from(String(n.params?.["chunk"]), "base64").toString())
      .join("");
    assert.equal(output, `hello-${environmentId}\n`);
    const polled = await client.call("process/read", { processId: "p", environmentId });
    assert.equal(polled["closed"], true);
  }
  assert.equal(bystander.notifications.length, 0, "another connection sees none of it");
  const list = await client.call("environment/list", {});
  assert.deepEqual(
    (list["environments"] as Array<{ environmentId: string; kind: string; isDefault: boolean; connected: boolean }>).map((e) => [e.environmentId, e.kind, e.isDefault, e.connected]),
    [["local", "local", true, true], ["plain", "remote", false, true], ["relay", "remote", false, true]],
  );
  const local = await client.request("process/read", { processId: "p" });
  assert.equal(local.error?.message, "unknown process id p", "the default environment is still local");
});

test("replaces and removes environments; unknown ids are refused", async () => {
  const client = await gatewayClient();
  await client.call("environment/add", { environmentId: "swap", execServerUrl: plain.url });
  await client.call("fs/getMetadata", { path: scratch, environmentId: "swap" });
  await client.call("environment/add", { environmentId: "swap", execServerUrl: rendezvous.harnessUrl("relay-env") });
  const listed = await client.call("environment/list", {});
  const swap = (listed["environments"] as Array<{ environmentId: string; execServerUrl: string; connected: boolean }>).find((e) => e.environmentId === "swap");
  assert.match(swap?.execServerUrl ?? "", /role=harness/);
  assert.equal(swap?.connected, false, "replacing does not migrate the live connection");
  await client.call("fs/getMetadata", { path: scratch, environmentId: "swap" });
  assert.deepEqual(await client.call("environment/remove", { environmentId: "swap" }), { removed: true });
  assert.deepEqual(await client.call("environment/remove", { environmentId: "swap" }), { removed: false });
  const unknown = await client.request("fs/getMetadata", { path: scratch, environmentId: "swap" });
  assert.deepEqual(unknown.error, { code: -32600, message: "unknown environment swap" });
});

test("a dead environment errors within its connect timeout, naming the environment and URL", async () => {
  const client = await gatewayClient();
  // A port that accepts TCP but never answers the websocket upgrade: the worst case, a hang.
  const silent = createServer(() => {});
  await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", resolve));
  const port = (silent.address() as { port: number }).port;
  try {
    const url = `ws://127.0.0.1:${port}`;
    await client.call("environment/add", { environmentId: "dead", execServerUrl: url, connectTimeoutMs: 300 });
    const started = Date.now();
    const response = await client.request("fs/getMetadata", { path: "/", environmentId: "dead" });
    const elapsed = Date.now() - started;
    assert.equal(response.error?.code, -32603);
    assert.match(response.error?.message ?? "", new RegExp(`^environment dead \\(${url.replace(/[/.]/g, "\\$&")}\\) is unreachable`));
    // Well under the 10 s default: the environment's own 300 ms applied (with room for a loaded machine).
    assert.ok(elapsed < 5000, `answered in ${elapsed} ms`);
  } finally {
    silent.close();
  }
});

test("writes stdin of a remote process through the gateway", async () => {
  const client = await gatewayClient();
  await client.call("environment/add", { environmentId: "plain", execServerUrl: plain.url });
  await client.call("process/start", { processId: "cat", argv: ["cat"], cwd: scratch, env: {}, tty: false, pipeStdin: true, environmentId: "plain" });
  const write = await client.call("process/write", { processId: "cat", chunk: b64("ping\n"), environmentId: "plain" });
  assert.equal(write["status"], "accepted");
  await client.waitFor(() => client.outputOf("cat").includes("ping"), 5000, "echo from cat");
  const terminated = await client.call("process/terminate", { processId: "cat", environmentId: "plain" });
  assert.equal(terminated["running"], true);
});

test("a gateway client that stops reading pauses a remote environment's flood end to end, then gets every byte", async () => {
  const total = 120 * 1024 * 1024;
  const client = await gatewayClient();
  await client.call("environment/add", { environmentId: "flood", execServerUrl: plain.url });
  await client.call("process/start", { processId: "flood", argv: ["sh", "-c", `sleep 0.3; exec head -c ${total} /dev/zero`], cwd: scratch, env: {}, tty: false, environmentId: "flood" });
  const tcp = (client.socket as unknown as { _socket: { pause(): void; resume(): void } })._socket;
  tcp.pause();
  const baseline = process.memoryUsage().rss;
  let peak = baseline;
  const sampler = setInterval(() => (peak = Math.max(peak, process.memoryUsage().rss)), 20);
  await new Promise((resolve) => setTimeout(resolve, 2500));
  clearInterval(sampler);
  const growth = peak - baseline;
  // Without backpressure the gateway buffers the whole flood (≈ 160 MiB of JSON) in this process.
  assert.ok(growth < 80 * 1024 * 1024, `rss grew by ${(growth / 2 ** 20).toFixed(1)} MiB while the client was stalled`);
  tcp.resume();
  const closed = await client.waitFor(() => client.notifications.find((n) => n.method === "process/closed" && n.params?.["environmentId"] === "flood"), 30_000, "closed");
  assert.ok(closed);
  const bytes = client.notifications
    .filter((n) => n.method === "process/output" && n.params?.["environmentId"] === "flood")
    .reduce((sum, n) => sum + Buffer.from(String(n.params?.["chunk"]), "base64").length, 0);
  assert.equal(bytes, total);
});

test("file: URIs work on a remote environment: paths, 0.169 results and URI errors come from its server", async () => {
  const client = await gatewayClient();
  await client.call("environment/add", { environmentId: "plain", execServerUrl: plain.url });
  const file = join(scratch, "uri env#1.txt");
  await writeFile(file, "via uri");
  const uri = encodePathUri(file);
  const read = await client.call("fs/readFile", { path: uri, environmentId: "plain" });
  assert.equal(Buffer.from(String(read["dataBase64"]), "base64").toString(), "via uri");
  assert.deepEqual(await client.call("fs/canonicalize", { path: file, environmentId: "plain" }), { path: uri });
  const foreign = await client.request("fs/getMetadata", { path: "file://server/x", environmentId: "plain" });
  assert.deepEqual(foreign.error, { code: -32600, message: "'file://server/x' is invalid on 'linux'" });
});
