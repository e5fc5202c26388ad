/**
 * `exec-server forward` against the real codex 0.169 binary, both ways round:
 * - codex's own `exec-server forward` registers with our rendezvous and pipes our harness's Noise
 *   streams to our exec-server;
 * - our `exec-server forward` (the CLI) pipes our harness's streams to codex's `exec-server --listen`,
 *   which answers in its own dialect (file: URIs, `environmentInfo`), untouched by the forwarder.
 */
import assert from "node:assert/strict";
import { existsSync, mkdirSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, test } from "node:test";
import { connectExecServer } from "../../src/client/connect.js";
import { NoiseHarnessConnection } from "../../src/remote/noise-harness-connection.js";
import { startRendezvous } from "../../src/remote/rendezvous/rendezvous-server.js";
import { startExecServer } from "../../src/server/start-exec-server.js";
import { codexSkip, spawnCodex, startCodexExecServer, stopChild } from "../helpers/codex-binary.js";
import { BUILT_CLI, spawnForwardCli } from "../helpers/forward-cli.js";
import { rawRpc } from "../helpers/raw-rpc.js";
import { waitUntil } from "../helpers/wait.js";

const skip = codexSkip() || (existsSync(BUILT_CLI) ? false : "dist/src/cli.js is missing: run `npm run build` (npm test does)");
const REGISTRY_TOKEN = "forward-interop-registry-token";
const HARNESS_TOKEN = "forward-interop-harness-token";
const cleanups: Array<() => Promise<unknown> | void> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

test("codex's own `exec-server forward` pipes our harness's streams to our exec-server", { skip, timeout: 60_000 }, async () => {
  const destination = await startExecServer({ listen: "ws://127.0.0.1:0" });
  cleanups.push(() => destination.close());
  const rendezvous = await startRendezvous({ registryTokens: [REGISTRY_TOKEN], harnessTokens: [HARNESS_TOKEN] });
  cleanups.push(() => rendezvous.close());
  const forwarder = spawnCodex(["exec-server", "forward", "--remote", rendezvous.baseUrl, "--environment-id", "env-codex-forward", "--connect", destination.url, "--registration-bearer-stdin"], {
    stdin: `${REGISTRY_TOKEN}\n`,
  });
  cleanups.push(() => forwarder.stop());
  await waitUntil(() => rendezvous.environments.registration("env-codex-forward") !== undefined, 20_000, () => `codex forward to register (stderr: ${forwarder.stderr()})`);

  const dir = await mkdtemp(join(tmpdir(), "codex-forward-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  const connected = await connectExecServer(`${rendezvous.baseUrl}/cloud/environment/env-codex-forward`, { registryToken: HARNESS_TOKEN });
  cleanups.push(() => connected.close());
  const init = await connected.client.initialize({ clientName: "through-codex-forward" });
  connected.client.notifyInitialized();
  assert.equal(typeof init.sessionId, "string");
  const data = Buffer.from("piped by codex\n".repeat(20_000)); // ≈ 300 KB: many Noise records each way
  await connected.client.fs.writeFile({ path: join(dir, "codex.txt"), dataBase64: data.toString("base64") });
  assert.ok(readFileSync(join(dir, "codex.txt")).equals(data), "our exec-server wrote what our harness sent through codex's forwarder");
  const back = await connected.client.fs.readFile({ path: join(dir, "codex.txt") });
  assert.ok(Buffer.from(back.dataBase64, "base64").equals(data));
  assert.equal(destination.server.sessions.size, 1, "the session lives on our exec-server");
});

test("our `exec-server forward` pipes our harness's streams to codex's `exec-server --listen`", { skip, timeout: 60_000 }, async () => {
  const destination = await startCodexExecServer();
  cleanups.push(() => destination.stop());
  const rendezvous = await startRendezvous({ registryTokens: [REGISTRY_TOKEN], harnessTokens: [HARNESS_TOKEN] });
  cleanups.push(() => rendezvous.close());
  const forward = spawnForwardCli({ remote: rendezvous.baseUrl, environmentId: "env-our-forward", connect: destination.url, registryToken: REGISTRY_TOKEN });
  cleanups.push(() => stopChild(forward.child));
  await waitUntil(() => rendezvous.environments.registration("env-our-forward") !== undefined, 20_000, () => `our forward to register (stderr: ${forward.stderr()})`);

  const harness = await NoiseHarnessConnection.connect({ registry: { baseUrl: rendezvous.baseUrl, environmentId: "env-our-forward", token: HARNESS_TOKEN }, connectTimeoutMs: 20_000 });
  cleanups.push(() => harness.close());
  const rpc = rawRpc(harness.openStream());
  const init = (await rpc.request("initialize", { clientName: "through-our-forward", resumeSessionId: null })) as { environmentInfo: { executorVersion: string } };
  assert.equal(init.environmentInfo.executorVersion, "0.169.0", "codex answered, through our forwarder");
  rpc.notify("initialized");

  const dir = await mkdtemp(join(tmpdir(), "our-forward-"));
  cleanups.push(() => rm(dir, { recursive: true, force: true }));
  mkdirSync(join(dir, "sub"));
  const data = Buffer.from("piped by us\n".repeat(30_000));
  await rpc.request("fs/writeFile", { path: `file://${dir}/sub/ours.txt`, dataBase64: data.toString("base64") });
  assert.ok(readFileSync(join(dir, "sub", "ours.txt")).equals(data), "codex wrote what our harness sent through our forwarder");
  await rpc.request("process/start", { processId: "p1", argv: ["/bin/sh", "-c", "printf forwarded; exit 4"], cwd: `file://${dir}`, env: { PATH: "/usr/bin:/bin" }, tty: false });
  await rpc.waitFor((n) => n.method === "process/closed");
  const output = rpc.notifications
    .filter((n) => n.method === "process/output")
    .map((n) => Buffer.from((n.params as { chunk: string }).chunk, "base64").toString())
    .join("");
  assert.equal(output, "forwarded");
  assert.equal((rpc.notifications.find((n) => n.method === "process/exited")?.params as { exitCode: number }).exitCode, 4);
  assert.doesNotMatch(forward.stderr(), new RegExp(REGISTRY_TOKEN), "the token is never logged");
});
