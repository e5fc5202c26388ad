/**
 * The real codex 0.169 executor in remote mode (`codex exec-server --remote URL --environment-id ID
 * --registration-bearer-stdin`) registers with our reference rendezvous; our harness reaches it
 * through `/connect` and a Noise stream and runs the 0.169 dialect on it. A frame tap at the
 * rendezvous and the rendezvous log show only ciphertext.
 */
import assert from "node:assert/strict";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { after, before, test } from "node:test";
import { decodeFrame } from "../../src/relay/frame-codec.js";
import { generateHybridKeyPair } from "../../src/relay/noise/hybrid-keypair.js";
import { NOISE_PROTOCOL_ERROR } from "../../src/relay/noise/noise-suite.js";
import { NoiseHarnessConnection } from "../../src/remote/noise-harness-connection.js";
import { startRendezvous, type Rendezvous } from "../../src/remote/rendezvous/rendezvous-server.js";
import { codexSkip, spawnCodex, type RunningCodex } from "../helpers/codex-binary.js";
import { rawRpc } from "../helpers/raw-rpc.js";
import { waitUntil } from "../helpers/wait.js";

const skip = codexSkip();
const REGISTRY_TOKEN = "registry-token-for-the-test";
const HARNESS_TOKEN = "harness-token-for-the-test";
const SECRET = "PLAINTEXT-MARKER-7f3a9c";
const ENVIRONMENT = "env-codex-1";

let rendezvous: Rendezvous;
let executor: RunningCodex;
const tapped: { from: string; bytes: Uint8Array }[] = [];
const rendezvousLog: string[] = [];

before(async () => {
  if (skip) return;
  rendezvous = await startRendezvous({
    registryTokens: [REGISTRY_TOKEN],
    harnessTokens: [HARNESS_TOKEN],
    tap: (from, _id, bytes) => tapped.push({ from, bytes: bytes.slice() }),
    log: (line) => rendezvousLog.push(line),
  });
  executor = spawnCodex(["exec-server", "--remote", rendezvous.baseUrl, "--environment-id", ENVIRONMENT, "--registration-bearer-stdin"], { stdin: `${REGISTRY_TOKEN}\n` });
  await waitUntil(() => rendezvous.environments.registration(ENVIRONMENT) !== undefined, 20_000, () => `the codex executor to register (stderr: ${executor.stderr()})`);
});

after(async () => {
  if (skip) return;
  await executor.stop();
  await rendezvous.close();
});

const connect = (overrides: { identity?: ReturnType<typeof generateHybridKeyPair>; reliable?: boolean } = {}) =>
  NoiseHarnessConnection.connect({
    registry: { baseUrl: rendezvous.baseUrl, environmentId: ENVIRONMENT, token: HARNESS_TOKEN },
    connectTimeoutMs: 20_000,
    ...(overrides.identity ? { identity: overrides.identity } : {}),
  });

test("the real 0.169 executor registers with our rendezvous; our harness runs initialize, files and a process over Noise", { skip, timeout: 60_000 }, async () => {
  const connection = await connect();
  try {
    assert.equal(rendezvous.environments.registration(ENVIRONMENT)?.registrationId, connection.connection.registrationId);
    const stream = connection.openStream();
    const rpc = rawRpc(stream);
    const init = (await rpc.request("initialize", { clientName: "exec-server-noise-test", resumeSessionId: null })) as { sessionId: string; environmentInfo: { executorVersion: string; cwd: string } };
    assert.equal(stream.peer, "legacy", "a 0.169 executor does not speak our reliability layer");
    assert.equal(init.environmentInfo.executorVersion, "0.169.0");
    assert.equal(typeof init.sessionId, "string");
    rpc.notify("initialized");
    const info = (await rpc.request("environment/info", {})) as { executorVersion: string };
    assert.equal(info.executorVersion, "0.169.0");

    const dir = join(executor.home, "work");
    mkdirSync(dir, { recursive: true });
    const big = Buffer.from(`${SECRET}\n`.repeat(30_000)); // ≈ 700 KB: many 60 KiB records each way
    await rpc.request("fs/writeFile", { path: `file://${dir}/big.txt`, dataBase64: big.toString("base64") });
    assert.ok(readFileSync(join(dir, "big.txt")).equals(big), "the executor wrote what we sent");
    const back = (await rpc.request("fs/readFile", { path: `file://${dir}/big.txt` })) as { dataBase64: string };
    assert.ok(Buffer.from(back.dataBase64, "base64").equals(big), "and reads it back intact");
    writeFileSync(join(dir, "theirs.txt"), `${SECRET} from disk`);
    const read = (await rpc.request("fs/readFile", { path: `file://${dir}/theirs.txt` })) as { dataBase64: string };
    assert.equal(Buffer.from(read.dataBase64, "base64").toString(), `${SECRET} from disk`);

    await rpc.request("process/start", { processId: "p1", argv: ["/bin/sh", "-c", `printf '%s' "$MARK"; pwd; exit 3`], cwd: `file://${dir}`, env: { PATH: "/usr/bin:/bin", MARK: SECRET }, tty: false });
    const closed = await rpc.waitFor((n) => n.method === "process/closed");
    assert.equal((closed.params as { processId: string }).processId, "p1");
    const output = rpc.notifications
      .filter((n) => n.method === "process/output")
      .map((n) => Buffer.from((n.params as { chunk: string }).chunk, "base64").toString())
      .join("");
    assert.equal(output, `${SECRET}${dir}\n`);
    const exited = rpc.notifications.find((n) => n.method === "process/exited");
    assert.equal((exited?.params as { exitCode: number }).exitCode, 3);

    // What the rendezvous saw: handshakes and data, never the plaintext.
    const frames = tapped.map(({ from, bytes }) => ({ from, frame: decodeFrame(bytes), bytes }));
    assert.ok(frames.some((f) => f.from === "harness" && f.frame.body.case === "handshake"));
    assert.ok(frames.some((f) => f.from === "executor" && f.frame.body.case === "handshake"));
    const data = frames.filter((f) => f.frame.body.case === "data");
    assert.ok(data.length > 20, `many data frames (${data.length})`);
    const latin1 = new TextDecoder("latin1");
    for (const f of tapped) assert.ok(!latin1.decode(f.bytes).includes(SECRET), "no routed frame contains the plaintext");
    assert.ok(!latin1.decode(Buffer.concat(tapped.map((f) => f.bytes))).includes("initialize"), "not even method names");
    assert.ok(!rendezvousLog.join("\n").includes(SECRET));
    assert.ok(!rendezvousLog.join("\n").includes(REGISTRY_TOKEN) && !rendezvousLog.join("\n").includes(HARNESS_TOKEN), "tokens are never logged");
    const executorRecords = data.filter((f) => f.from === "executor").map((f) => (f.frame.body.case === "data" ? f.frame.body.value : undefined)!);
    assert.ok(executorRecords.every((d) => d.segmentCount === 1 && d.payload.length <= 61_456));
    assert.ok(executorRecords.some((d) => d.payload.length === 61_456), "full 60 KiB records from the executor");
    const harnessRecords = data.filter((f) => f.from === "harness").map((f) => (f.frame.body.case === "data" ? f.frame.body.value : undefined)!);
    assert.deepEqual(harnessRecords.map((d) => d.seq).slice(0, 3), [0, 1, 2], "towards 0.169 our harness numbers records from 0");
  } finally {
    connection.close();
  }
});

test("a forged authorization is refused by the real executor with a reset, after the registry says invalid", { skip, timeout: 30_000 }, async () => {
  const connection = await connect({ identity: generateHybridKeyPair() });
  try {
    const forged = connection.mux.openStream({ ...connection.connection, remoteStatic: connection.connection.executorKey, authorization: `${connection.connection.authorization}x` });
    const reason = await new Promise<string>((resolve) => forged.onClose(resolve));
    assert.equal(reason, NOISE_PROTOCOL_ERROR);
    assert.ok(forged.closedByPeer);
    assert.ok(rendezvousLog.some((line) => /validate .* invalid/.test(line)), rendezvousLog.join("\n"));
    // The socket still serves honest streams.
    const honest = connection.openStream();
    const rpc = rawRpc(honest);
    const init = (await rpc.request("initialize", { clientName: "after-forgery", resumeSessionId: null })) as { sessionId: string };
    assert.equal(typeof init.sessionId, "string");
  } finally {
    connection.close();
  }
});
