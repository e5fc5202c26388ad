/**
 * The real codex 0.169 harness (`codex app-server` with `CODEX_EXEC_SERVER_NOISE_*`) reaches OUR
 * executor through OUR rendezvous: `/connect`, the Noise handshake (our executor as responder,
 * validated with `/validate`) and its first JSON-RPC messages. (A model turn needs our server to
 * speak the 0.169 dialect, which is built elsewhere; see docs/remote.md.)
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { test } from "node:test";
import { decodeFrame } from "../../src/relay/frame-codec.js";
import type { NoiseRelayStream } from "../../src/relay/noise/noise-relay-stream.js";
import { staticToken } from "../../src/remote/bearer-token-source.js";
import { NoiseRemoteExecutor } from "../../src/remote/noise-remote-executor.js";
import { startRendezvous } from "../../src/remote/rendezvous/rendezvous-server.js";
import { ExecServer } from "../../src/server/exec-server.js";
import { codexPath, codexSkip, makeCodexHome } from "../helpers/codex-binary.js";
import { waitUntil } from "../helpers/wait.js";

const skip = codexSkip();

test("the real 0.169 app-server completes the Noise handshake with our executor and initializes a session on it", { skip, timeout: 60_000 }, async () => {
  const tapped: Uint8Array[] = [];
  const rendezvousLog: string[] = [];
  const rendezvous = await startRendezvous({
    registryTokens: ["executor-registry-token"],
    harnessTokens: ["harness-registry-token"],
    tap: (_from, _id, bytes) => tapped.push(bytes.slice()),
    log: (line) => rendezvousLog.push(line),
  });
  const server = new ExecServer();
  const executor = new NoiseRemoteExecutor({ baseUrl: rendezvous.baseUrl, environmentId: "env-ours", token: staticToken("executor-registry-token"), server });
  const running = executor.run();
  const home = makeCodexHome();
  const received: string[] = [];
  const sent: string[] = [];
  let opened: NoiseRelayStream | undefined;
  let appServer: ReturnType<typeof spawn> | undefined;
  try {
    await waitUntil(() => executor.state === "connected", 15_000, "our executor to connect");
    executor.mux!.onStream((stream) => {
      opened = stream;
      stream.onMessage((m) => received.push(m));
      const send = stream.send.bind(stream);
      stream.send = (m: string) => {
        sent.push(m);
        send(m);
      };
    });
    appServer = spawn(codexPath(), ["app-server"], {
      env: {
        ...process.env,
        CODEX_HOME: home.dir,
        RUST_LOG: "warn",
        CODEX_EXEC_SERVER_NOISE_REGISTRY_URL: rendezvous.baseUrl,
        CODEX_EXEC_SERVER_NOISE_ENVIRONMENT_ID: "env-ours",
        CODEX_EXEC_SERVER_NOISE_AUTH_TOKEN: "harness-registry-token",
      },
      stdio: ["pipe", "ignore", "ignore"],
    });
    appServer.stdin!.write(`${JSON.stringify({ id: 1, method: "initialize", params: { clientInfo: { name: "noise-test", version: "1" } } })}\n`);
    await waitUntil(() => received.some((m) => m.includes('"initialized"')), 30_000, `the real harness to initialize (rendezvous: ${rendezvousLog.join(" | ")})`);
    const initialize = JSON.parse(received[0]!) as { method: string; params: { clientName: string } };
    assert.equal(initialize.method, "initialize");
    assert.equal(initialize.params.clientName, "codex-environment");
    assert.match(sent[0]!, /"sessionId":"[^"]+"/, "our executor answered with a session");
    assert.equal(opened?.peer, "legacy", "the real harness speaks 0.169 (no acks); our executor follows");
    assert.ok(rendezvousLog.some((line) => /validate env-ours stream .*: valid/.test(line)));
    const frames = tapped.map((bytes) => decodeFrame(bytes));
    assert.deepEqual(frames.slice(0, 3).map((f) => f.body.case), ["resume", "handshake", "handshake"]);
    const latin1 = new TextDecoder("latin1");
    assert.ok(tapped.every((bytes) => !latin1.decode(bytes).includes("codex-environment")), "the rendezvous never sees the plaintext");
  } finally {
    if (appServer && appServer.exitCode === null) {
      const exited = new Promise((resolve) => appServer!.once("exit", resolve));
      appServer.kill("SIGTERM");
      await exited;
    }
    executor.stop();
    await running;
    await server.shutdown();
    await rendezvous.close();
    home.dispose();
  }
});
