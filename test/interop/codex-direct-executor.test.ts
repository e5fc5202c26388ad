/**
 * The real codex 0.169 executor with the **direct** transport (`--remote-transport direct --aws-sigv4`)
 * registers with our rendezvous (SigV4 checked against a configured key), dials the returned URL
 * (SigV4 again), and our harness, paired with it through `/connect`, speaks plain JSON-RPC to it.
 */
import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { connectTransport } from "../../src/client/connect.js";
import { startRendezvous, type Rendezvous } from "../../src/remote/rendezvous/rendezvous-server.js";
import { codexSkip, spawnCodex, type RunningCodex } from "../helpers/codex-binary.js";
import { rawRpc } from "../helpers/raw-rpc.js";
import { waitUntil } from "../helpers/wait.js";

const skip = codexSkip();
// AWS's documentation example key: never a real credential.
const ACCESS_KEY = "AKIDEXAMPLE";
const SECRET_KEY = "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY";
const HARNESS_TOKEN = "harness-token";
let rendezvous: Rendezvous;
let executor: RunningCodex;
const log: string[] = [];

before(async () => {
  if (skip) return;
  rendezvous = await startRendezvous({ registryTokens: ["registry-token"], harnessTokens: [HARNESS_TOKEN], directCredentials: [{ accessKeyId: ACCESS_KEY, secretAccessKey: SECRET_KEY }], log: (line) => log.push(line) });
  executor = spawnCodex(["exec-server", "--remote", rendezvous.baseUrl, "--environment-id", "env-direct", "--remote-transport", "direct", "--aws-sigv4", "--aws-region", "us-east-1"], {
    env: { AWS_ACCESS_KEY_ID: ACCESS_KEY, AWS_SECRET_ACCESS_KEY: SECRET_KEY, AWS_EC2_METADATA_DISABLED: "true", AWS_PROFILE: "", AWS_CONFIG_FILE: "/dev/null", AWS_SHARED_CREDENTIALS_FILE: "/dev/null" },
  });
});

after(async () => {
  if (skip) return;
  await executor.stop();
  await rendezvous.close();
});

async function session(name: string) {
  let transport;
  for (let attempt = 0; ; attempt++) {
    try {
      transport = await connectTransport(`${rendezvous.baseUrl}/cloud/environment/env-direct`, { registryToken: HARNESS_TOKEN, connectTimeoutMs: 15_000 });
      break;
    } catch (error) {
      if (attempt > 40) throw new Error(`${(error as Error).message}; executor stderr: ${executor.stderr()}; rendezvous: ${log.join(" | ")}`);
      await new Promise((resolve) => setTimeout(resolve, 250));
    }
  }
  const rpc = rawRpc(transport);
  const init = (await rpc.request("initialize", { clientName: name, resumeSessionId: null })) as { sessionId: string; environmentInfo: { executorVersion: string } };
  return { transport, rpc, init };
}

test("the real direct executor registers with SigV4 and serves our harness plain JSON-RPC, one session per socket", { skip, timeout: 60_000 }, async () => {
  await waitUntil(() => log.some((line) => line.includes("registered direct environment env-direct")), 20_000, () => `the direct registration (stderr: ${executor.stderr()})`);
  const first = await session("direct-1");
  assert.equal(first.init.environmentInfo.executorVersion, "0.169.0");
  first.rpc.notify("initialized");
  const info = (await first.rpc.request("environment/info", {})) as { executorVersion: string };
  assert.equal(info.executorVersion, "0.169.0");
  first.transport.close("done");
  // The executor's socket was closed with the harness's; it redials the same URL for the next one.
  const second = await session("direct-2");
  assert.notEqual(second.init.sessionId, first.init.sessionId);
  second.transport.close("done");
  assert.ok(!log.join("\n").includes(SECRET_KEY));
});
