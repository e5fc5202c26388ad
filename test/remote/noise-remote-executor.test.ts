import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { createServer } from "node:http";
import type { AddressInfo } from "node:net";
import { join } from "node:path";
import { Readable } from "node:stream";
import { after, describe, test } from "node:test";
import { createExecServerClient, type ExecServerClient } from "../../generated/openrpc/client.js";
import { connectExecServer } from "../../src/client/connect.js";
import { decodeFrame } from "../../src/relay/frame-codec.js";
import { staticToken } from "../../src/remote/bearer-token-source.js";
import { EnvironmentRegistryError } from "../../src/remote/environment-registry-client.js";
import { NoiseHarnessConnection } from "../../src/remote/noise-harness-connection.js";
import { NoiseRemoteExecutor } from "../../src/remote/noise-remote-executor.js";
import { startRendezvous, type Rendezvous, type RendezvousOptions } from "../../src/remote/rendezvous/rendezvous-server.js";
import { readStdinBearer } from "../../src/remote/stdin-bearer-token.js";
import { ExecServer } from "../../src/server/exec-server.js";
import { waitUntil } from "../helpers/wait.js";
import { assertOutputAcrossDrop, assertOutputAcrossRendezvousRestart } from "./remote-scenarios.js";
import { startRemoteWorld } from "./remote-world.js";

const REGISTRY_TOKEN = "executor-registry-token";
const HARNESS_TOKEN = "harness-registry-token";
const SECRET = "PLAINTEXT-MARKER-b41c";
const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

async function noiseStack(options: Partial<RendezvousOptions> = {}, environmentId = "env-1") {
  const tapped: Uint8Array[] = [];
  const rendezvousLog: string[] = [];
  const world = await startRemoteWorld({
    rendezvous: await startRendezvous({
      registryTokens: [REGISTRY_TOKEN],
      harnessTokens: [HARNESS_TOKEN],
      executorGraceMs: 10_000,
      tap: (_from, _id, bytes) => tapped.push(bytes.slice()),
      log: (line) => rendezvousLog.push(line),
      ...options,
    }),
    executor: (rendezvous, server, log) => new NoiseRemoteExecutor({ baseUrl: rendezvous.baseUrl, environmentId, token: staticToken(REGISTRY_TOKEN), server, backoff: { initialMs: 50, maxMs: 200 }, log }),
    harness: (rendezvous) => NoiseHarnessConnection.connect({ registry: { baseUrl: rendezvous.baseUrl, environmentId, token: HARNESS_TOKEN }, backoff: { initialMs: 50, maxMs: 200 } }),
    connectTimeoutMs: 10_000,
    cleanups,
  });
  return Object.assign(world, { tapped, rendezvousLog });
}

async function initialized(harness: NoiseHarnessConnection, name: string): Promise<{ client: ExecServerClient; sessionId: string }> {
  const client = createExecServerClient(harness.openStream(), { timeoutMs: 10_000 });
  const result = await client.initialize({ clientName: name });
  client.notifyInitialized();
  return { client, sessionId: String(result.sessionId) };
}

describe("our executor and harness over Noise", () => {
  test("register the 0.169 way, serve independent sessions per stream, and the rendezvous sees only ciphertext", async () => {
    const { harness, executor, tapped, rendezvousLog } = await noiseStack();
    const a = await initialized(harness, "noise-a");
    const b = await initialized(harness, "noise-b");
    assert.notEqual(a.sessionId, b.sessionId);
    assert.equal(executor.registrations, 1);
    const chunks: string[] = [];
    a.client.on("process/output", (event) => chunks.push(Buffer.from(event.chunk, "base64").toString()));
    const closed = new Promise<void>((resolve) => a.client.on("process/closed", () => resolve()));
    await a.client.process.start({ processId: "p", argv: ["sh", "-c", `echo ${SECRET}`], cwd: "/", env: {}, tty: false });
    await closed;
    assert.equal(chunks.join(""), `${SECRET}\n`);
    assert.equal(harness.mux.getStream([...tappedStreams(tapped)][0]!)?.peer, "reliable", "our peers keep acks and retransmission");
    const latin1 = new TextDecoder("latin1");
    for (const bytes of tapped) assert.ok(!latin1.decode(bytes).includes(SECRET));
    assert.ok(!rendezvousLog.join("\n").includes(REGISTRY_TOKEN) && !rendezvousLog.join("\n").includes(HARNESS_TOKEN));
  });

  test("a forged or foreign authorization is refused: the registry says invalid, our executor resets the stream", async () => {
    const { harness, rendezvousLog, executor } = await noiseStack({}, "env-forged");
    const { connection } = harness;
    const forged = harness.mux.openStream({ remoteStatic: connection.executorKey, environmentId: connection.environmentId, registrationId: connection.registrationId, authorization: "v1.99999999999999.AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA" });
    const reason = await new Promise<string>((resolve) => forged.onClose(resolve));
    assert.equal(reason, "noise_relay_protocol_error");
    assert.ok(rendezvousLog.some((line) => /validate env-forged stream .*: invalid/.test(line)));
    assert.equal(executor.mux?.handshakeFailures, 1, "charged to the socket");
    const honest = await initialized(harness, "honest");
    assert.equal(typeof honest.sessionId, "string");
  });

  test("deliver every output chunk and the exit exactly once across an executor socket drop", async () => {
    const { harness, executor } = await noiseStack();
    const { client } = await initialized(harness, "drop");
    await assertOutputAcrossDrop(client, executor);
    assert.equal(executor.registrations, 1, "a dropped socket redials the same URL, without registering again");
  });

  for (const keepSecret of [true, false]) {
    test(`resume streams after the rendezvous restarts on the same address, ${keepSecret ? "same" : "new"} signing secret (the executor registers again, same key)`, async () => {
      const secret = randomBytes(32);
      const stack = await noiseStack({ signingSecret: secret }, `env-restart-${keepSecret}`);
      const { client } = await initialized(stack.harness, "restart");
      await assertOutputAcrossRendezvousRestart(client, stack, (port) =>
        startRendezvous({ registryTokens: [REGISTRY_TOKEN], harnessTokens: [HARNESS_TOKEN], signingSecret: keepSecret ? secret : randomBytes(32), port }),
      );
      assert.equal(stack.executor.registrations, 2, "the restarted registry forgot the registration: the executor registered again");
    });
  }

  test("lose and duplicate nothing through a rendezvous that drops, duplicates and reorders 5 % of frames", async () => {
    const { harness } = await noiseStack({ chaos: { drop: 0.05, duplicate: 0.05, reorder: 0.05, seed: 7 } });
    const { client } = await initialized(harness, "chaos");
    const chunks: string[] = [];
    client.on("process/output", (event) => chunks.push(Buffer.from(event.chunk, "base64").toString()));
    const closed = new Promise<void>((resolve) => client.on("process/closed", () => resolve()));
    await client.process.start({ processId: "seq", argv: ["sh", "-c", "seq 1 3000"], cwd: "/", env: {}, tty: false });
    await closed;
    assert.deepEqual(chunks.join("").split("\n").filter(Boolean).map(Number), Array.from({ length: 3000 }, (_, i) => i + 1));
    const big = randomBytes(400_000).toString("base64");
    const echoed = await client.fs.writeFile({ path: "/dev/null", dataBase64: big });
    assert.deepEqual(echoed, {});
  });

  test("connectExecServer and environment URLs: a wrong harness token is refused with the registry's 403", async () => {
    const { rendezvous } = await noiseStack();
    const url = `${rendezvous.baseUrl}/cloud/environment/env-1`;
    const connected = await connectExecServer(url, { registryToken: HARNESS_TOKEN });
    const result = await connected.client.initialize({ clientName: "url" });
    assert.equal(typeof result.sessionId, "string");
    connected.close();
    await assert.rejects(connectExecServer(url, { registryToken: "wrong" }), (error: unknown) => error instanceof EnvironmentRegistryError && error.status === 403);
    await assert.rejects(connectExecServer(`${rendezvous.baseUrl}/cloud/environment/nope`, { registryToken: HARNESS_TOKEN }), /404, environment_not_found/);
  });

  test("environment/add reaches a Noise environment with authBearerToken", async () => {
    const { rendezvous } = await noiseStack({}, "env-add");
    const gateway = new ExecServer();
    cleanups.push(() => gateway.shutdown());
    const [near, far] = (await import("../../src/rpc/in-memory-transport.js")).createInMemoryTransportPair();
    gateway.serve(far);
    const client = createExecServerClient(near, { timeoutMs: 15_000 });
    await client.initialize({ clientName: "gateway", capabilities: { experimentalApi: true } } as never);
    client.notifyInitialized();
    await client.core.request("environment/add" as never, { environmentId: "far", execServerUrl: `${rendezvous.baseUrl}/cloud/environment/env-add`, authBearerToken: HARNESS_TOKEN } as never);
    const listing = await client.fs.readDirectory({ path: "/", environmentId: "far" } as never);
    assert.ok(listing.entries.length > 0);
  });

  test("a frame over 256 KiB tears down the executor's socket (0.169's cap); the executor redials and serves again", async () => {
    const { rendezvous, executor, harness } = await noiseStack({}, "env-cap");
    const { WebSocket } = await import("ws");
    const socket = new WebSocket(harness.connection.url);
    cleanups.push(() => socket.terminate());
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    const { encodeFrame, dataFrame } = await import("../../src/relay/frame-codec.js");
    socket.send(encodeFrame(dataFrame("oversized", { seq: 0, payload: new Uint8Array(300 * 1024) })));
    await waitUntil(() => executor.connections >= 2, 10_000, "the executor to redial after the oversized frame");
    assert.equal(executor.registrations, 1, "the same URL is redialled");
    const { client } = await initialized(harness, "after-cap");
    assert.ok((await client.fs.readDirectory({ path: "/" })).entries.length > 0);
    assert.ok(rendezvous.environments.registration("env-cap"));
  });

  test("a second executor for a connected environment gets 503 registration_conflict and retries until the first leaves", async () => {
    const first = await noiseStack({}, "env-conflict");
    const server = new ExecServer();
    const log: string[] = [];
    const second = new NoiseRemoteExecutor({ baseUrl: first.rendezvous.baseUrl, environmentId: "env-conflict", token: staticToken(REGISTRY_TOKEN), server, backoff: { initialMs: 50, maxMs: 100 }, log: (line) => log.push(line) });
    const running = second.run();
    cleanups.push(async () => {
      second.stop();
      await running.catch(() => undefined);
      await server.shutdown();
    });
    await waitUntil(() => log.some((line) => line.includes("retrying uncommitted registry registration")), 5000, "a conflict retry");
    assert.equal(second.registrations, 0);
    first.executor.stop();
    await waitUntil(() => second.state === "connected", 10_000, "the second executor takes over");
    assert.notEqual(first.rendezvous.environments.registration("env-conflict")?.registrationId, first.executor.registration?.registrationId);
  });

  test("a registry 401 or 403 at registration is fatal; a refused upgrade (4xx) registers again", async () => {
    const rendezvous: Rendezvous = await startRendezvous({ registryTokens: [REGISTRY_TOKEN] });
    cleanups.push(() => rendezvous.close());
    const server = new ExecServer();
    cleanups.push(() => server.shutdown());
    const refused = new NoiseRemoteExecutor({ baseUrl: rendezvous.baseUrl, environmentId: "e", token: staticToken("nope"), server });
    await assert.rejects(refused.run(), (error: unknown) => error instanceof EnvironmentRegistryError && error.kind === "auth" && /403/.test(error.message) && !error.message.includes("nope"));
    assert.equal(refused.state, "failed");

    // A registry whose first executor URL is refused with 409: the executor registers again at once.
    let registrations = 0;
    const registry = createServer((request, response) => {
      request.resume();
      if (request.url?.endsWith("/register")) {
        registrations += 1;
        const url = registrations === 1 ? `ws://127.0.0.1:${(registry.address() as AddressInfo).port}/refuse` : `${rendezvous.baseUrl.replace("http", "ws")}/nowhere`;
        response.writeHead(200, { "content-type": "application/json" });
        response.end(JSON.stringify({ environment_id: "e", url, security_profile: "noise_hybrid_ik_v1", executor_registration_id: `r${registrations}` }));
      }
    });
    registry.on("upgrade", (_request, socket) => socket.end("HTTP/1.1 409 Conflict\r\ncontent-length: 0\r\n\r\n"));
    await new Promise<void>((resolve) => registry.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => registry.close(() => resolve())));
    const executor = new NoiseRemoteExecutor({ baseUrl: `http://127.0.0.1:${(registry.address() as AddressInfo).port}`, environmentId: "e", token: staticToken(REGISTRY_TOKEN), server, backoff: { initialMs: 50, maxMs: 100 } });
    const running = executor.run();
    await waitUntil(() => registrations >= 2, 5000, "a second registration after the 409");
    executor.stop();
    await running;
  });

  test("several registry URLs: a registry that cannot be reached is skipped at once, validation goes to the one registered with", async () => {
    const rendezvous = await startRendezvous({ registryTokens: [REGISTRY_TOKEN], harnessTokens: [HARNESS_TOKEN] });
    const dead = createServer();
    await new Promise<void>((resolve) => dead.listen(0, "127.0.0.1", resolve));
    const deadUrl = `http://127.0.0.1:${(dead.address() as AddressInfo).port}`;
    await new Promise<void>((resolve) => dead.close(() => resolve()));
    const server = new ExecServer();
    const log: string[] = [];
    // A long backoff: reaching the live registry quickly proves the failover did not wait for it.
    const executor = new NoiseRemoteExecutor({ baseUrl: deadUrl, alternateBaseUrls: [rendezvous.baseUrl], environmentId: "env-alt", token: staticToken(REGISTRY_TOKEN), server, backoff: { initialMs: 30_000, maxMs: 30_000 }, log: (line) => log.push(line) });
    const running = executor.run();
    cleanups.push(async () => {
      executor.stop();
      await running.catch(() => undefined);
      await server.shutdown();
      await rendezvous.close();
    });
    await waitUntil(() => executor.state === "connected", 10_000, "connected through the second registry");
    assert.equal(executor.registryUrl, rendezvous.baseUrl);
    assert.match(log.join("\n"), new RegExp(`trying ${rendezvous.baseUrl.replace(/[.]/g, "\\.")} next`));
    const harness = await NoiseHarnessConnection.connect({ registry: { baseUrl: rendezvous.baseUrl, environmentId: "env-alt", token: HARNESS_TOKEN } });
    cleanups.push(() => harness.close());
    const { client } = await initialized(harness, "alternate");
    assert.ok((await client.fs.getMetadata({ path: "/" })).isDirectory, "the handshake passed /validate at the registry in use");
  });
});

describe("--registration-bearer-stdin", () => {
  test("reads one line, refuses whitespace inside it and never echoes the token", async () => {
    assert.equal(await (await readStdinBearer(Readable.from(["tok", "en-1\nrest"]))).current(), "token-1");
    await assert.rejects(readStdinBearer(Readable.from(["two words\n"])), /^Error: invalid registration bearer$/);
    await assert.rejects(readStdinBearer(Readable.from([""])), /invalid registration bearer/);
    await assert.rejects(readStdinBearer(Readable.from(["x".repeat(16 * 1024 + 1)])), /exceeds 16384 bytes/);
  });

  test("the CLI exits 2 with `invalid registration bearer` for a bearer with a space", async () => {
    const child = spawn(process.execPath, ["--import", "tsx", join(import.meta.dirname, "..", "..", "src", "cli.ts"), "--remote", "http://127.0.0.1:9", "--environment-id", "e", "--registration-bearer-stdin"], { stdio: ["pipe", "ignore", "pipe"] });
    let stderr = "";
    child.stderr.on("data", (d: Buffer) => (stderr += d.toString()));
    child.stdin.end("secret with-space\n");
    const code = await new Promise<number | null>((resolve) => child.once("close", resolve)); // stderr read to the end
    assert.equal(code, 2);
    assert.match(stderr, /invalid registration bearer/);
    assert.ok(!stderr.includes("secret"));
  });
});

function tappedStreams(tapped: Uint8Array[]): Set<string> {
  return new Set(tapped.map((bytes) => decodeFrame(bytes).streamId));
}
