/**
 * `exec-server forward` (StreamForwarder behind a NoiseRemoteExecutor): our reference rendezvous, the
 * forwarder registered as a codex 0.169 environment, and a destination websocket — our own exec-server,
 * a recording websocket server, or nothing listening. Harnesses reach the destination through `/connect`
 * and Noise; every stream gets its own destination connection.
 */
import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import type { IncomingMessage } from "node:http";
import { createServer as createNetServer, type AddressInfo, type Socket as NetSocket } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, describe, test } from "node:test";
import type { WebSocket as WsSocket } from "ws";
import { connectExecServer } from "../../src/client/connect.js";
import { staticToken } from "../../src/remote/bearer-token-source.js";
import { NoiseHarnessConnection } from "../../src/remote/noise-harness-connection.js";
import { NoiseRemoteExecutor } from "../../src/remote/noise-remote-executor.js";
import { startRendezvous, type Rendezvous } from "../../src/remote/rendezvous/rendezvous-server.js";
import { StreamForwarder, type StreamForwarderOptions } from "../../src/remote/stream-forwarder.js";
import { startExecServer } from "../../src/server/start-exec-server.js";
import { WebSocketServer } from "../../src/util/ws-classes.js";
import { stopChild } from "../helpers/codex-binary.js";
import { BUILT_CLI, spawnForwardCli } from "../helpers/forward-cli.js";
import { waitUntil } from "../helpers/wait.js";

const REGISTRY_TOKEN = "forward-registry-token";
const HARNESS_TOKEN = "forward-harness-token";
const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

let environments = 0;

/** A rendezvous and a forwarder registered with it, piping to `connect`. */
async function forwardStack(forward: Omit<StreamForwarderOptions, "log">) {
  const environmentId = `env-forward-${(environments += 1)}`;
  const rendezvous: Rendezvous = await startRendezvous({ registryTokens: [REGISTRY_TOKEN], harnessTokens: [HARNESS_TOKEN] });
  cleanups.push(() => rendezvous.close());
  const log: string[] = [];
  const forwarder = new StreamForwarder({ ...forward, log: (line) => log.push(line) });
  const executor = new NoiseRemoteExecutor({ baseUrl: rendezvous.baseUrl, environmentId, token: staticToken(REGISTRY_TOKEN), server: forwarder });
  const running = executor.run();
  cleanups.push(async () => {
    executor.stop();
    forwarder.close();
    await running.catch(() => {});
  });
  await waitUntil(() => executor.state === "connected", 10_000, "the forwarder to register and connect");
  const openStream = async () => {
    const harness = await NoiseHarnessConnection.connect({ registry: { baseUrl: rendezvous.baseUrl, environmentId, token: HARNESS_TOKEN }, connectTimeoutMs: 10_000 });
    cleanups.push(() => harness.close());
    return harness.openStream();
  };
  return { rendezvous, environmentId, forwarder, log, openStream };
}

/** A websocket server that records what arrives and lets the test answer. */
async function recordingDestination(check: (request: IncomingMessage) => boolean = () => true) {
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0, verifyClient: ({ req }: { req: IncomingMessage }) => check(req) });
  await new Promise<void>((resolve) => server.once("listening", () => resolve()));
  const sockets: WsSocket[] = [];
  const received: { socket: number; binary: boolean; text: string }[] = [];
  const headers: IncomingMessage["headers"][] = [];
  server.on("connection", (socket: WsSocket, request: IncomingMessage) => {
    const index = sockets.push(socket) - 1;
    headers.push(request.headers);
    socket.on("message", (data: Buffer, binary: boolean) => received.push({ socket: index, binary, text: data.toString("utf8") }));
  });
  cleanups.push(
    () =>
      new Promise<void>((resolve) => {
        for (const socket of sockets) socket.terminate();
        server.close(() => resolve());
      }),
  );
  return { url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`, sockets, received, headers };
}

describe("exec-server forward (StreamForwarder)", () => {
  test("a harness runs a process and file calls on our exec-server behind the forwarder; two streams get two destination connections", async () => {
    const destination = await startExecServer({ listen: "ws://127.0.0.1:0" });
    cleanups.push(() => destination.close());
    const { rendezvous, environmentId, forwarder } = await forwardStack({ connect: destination.url });
    const dir = await mkdtemp(join(tmpdir(), "forward-"));
    cleanups.push(() => rm(dir, { recursive: true, force: true }));

    const url = `${rendezvous.baseUrl}/cloud/environment/${environmentId}`;
    const [one, two] = await Promise.all([connectExecServer(url, { registryToken: HARNESS_TOKEN }), connectExecServer(url, { registryToken: HARNESS_TOKEN })]);
    cleanups.push(() => one.close(), () => two.close());
    const [initOne, initTwo] = await Promise.all([one.client.initialize({ clientName: "forward-one" }), two.client.initialize({ clientName: "forward-two" })]);
    one.client.notifyInitialized();
    two.client.notifyInitialized();
    assert.notEqual(initOne.sessionId, initTwo.sessionId, "each stream is its own connection, hence its own session");
    assert.equal(forwarder.forwarded, 2);
    assert.equal(forwarder.openPipes, 2);

    const data = Buffer.from("through the forwarder\n".repeat(5000));
    await one.client.fs.writeFile({ path: join(dir, "one.txt"), dataBase64: data.toString("base64") });
    assert.ok((await readFile(join(dir, "one.txt"))).equals(data), "the destination wrote what the harness sent");
    const back = await two.client.fs.readFile({ path: join(dir, "one.txt") });
    assert.ok(Buffer.from(back.dataBase64, "base64").equals(data));

    await one.client.process.start({ processId: "p", argv: ["sh", "-c", "printf forwarded-out; exit 3"], cwd: dir, env: {}, tty: false, arg0: null });
    let output = "";
    let exitCode: number | null = null;
    let after = 0;
    while (exitCode === null) {
      const read = await one.client.process.read({ processId: "p", afterSeq: after, maxBytes: null, waitMs: 2000 });
      for (const chunk of read.chunks) output += Buffer.from(chunk.chunk, "base64").toString();
      after = read.nextSeq - 1;
      if (read.exited) exitCode = read.exitCode;
    }
    assert.deepEqual({ output, exitCode }, { output: "forwarded-out", exitCode: 3 });
    // The harness's session lives on the destination (the forwarder interprets nothing).
    assert.equal(destination.server.sessions.size, 2);
  });

  test("pipes messages verbatim as binary frames (large ones in fragments), both frame kinds back, the bearer token, and ends the stream when the destination closes", async () => {
    const destination = await recordingDestination((request) => request.headers.authorization === "Bearer dest-token");
    const { forwarder, openStream } = await forwardStack({ connect: destination.url, token: "dest-token", fragmentBytes: 1024 });
    const stream = await openStream();
    const got: string[] = [];
    stream.onMessage((message) => got.push(message));
    let closedWith: string | undefined;
    stream.onClose((reason) => (closedWith = reason));

    const initialize = '{"id":1,"method":"initialize","params":{"clientName":"raw",  "spacing":"kept"}}';
    stream.send(initialize);
    const big = JSON.stringify({ id: 2, method: "x/big", params: { blob: "é".repeat(5000) } }); // ≈ 10 KB: ten fragments
    stream.send(big);
    await waitUntil(() => destination.received.length === 2, 10_000, "both messages at the destination");
    assert.deepEqual(destination.received, [
      { socket: 0, binary: true, text: initialize },
      { socket: 0, binary: true, text: big },
    ]);
    assert.equal(destination.headers[0]?.authorization, "Bearer dest-token");

    const socket = destination.sockets[0]!;
    socket.send('{"id":1,"result":{"as":"text"}}');
    socket.send(Buffer.from('{"id":2,"result":{"as":"binary"}}'), { binary: true });
    await waitUntil(() => got.length === 2, 10_000, "both replies at the harness");
    assert.deepEqual(got, ['{"id":1,"result":{"as":"text"}}', '{"id":2,"result":{"as":"binary"}}']);

    socket.close(1000, "done here");
    await waitUntil(() => closedWith !== undefined, 10_000, "the harness stream to end");
    await waitUntil(() => forwarder.openPipes === 0, 5_000, "the pipe to be gone");
  });

  test("replies the destination sent right before closing still reach the harness, then the stream ends", async () => {
    const destination = await recordingDestination();
    const { openStream } = await forwardStack({ connect: destination.url });
    const stream = await openStream();
    const got: string[] = [];
    let closedWith: string | undefined;
    stream.onMessage((message) => got.push(message));
    stream.onClose((reason) => (closedWith = reason));
    stream.send('{"id":1,"method":"initialize","params":{}}');
    await waitUntil(() => destination.received.length === 1, 10_000, "the destination connection");
    // 12 MiB in 48 replies: more than the stream's send window, so most is still unacknowledged when the socket closes.
    const replies = Array.from({ length: 48 }, (_, i) => JSON.stringify({ id: i, result: { blob: String(i % 10).repeat(256 * 1024) } }));
    const socket = destination.sockets[0]!;
    for (const reply of replies) socket.send(reply);
    socket.close(1000);
    await waitUntil(() => closedWith !== undefined, 20_000, "the harness stream to end");
    assert.equal(got.length, replies.length, "every reply arrived before the stream ended");
    assert.ok(got.every((message, i) => message === replies[i]));
  });

  test("a harness closing its stream closes the destination socket", async () => {
    const destination = await recordingDestination();
    const { openStream } = await forwardStack({ connect: destination.url });
    const stream = await openStream();
    stream.send('{"id":1,"method":"initialize","params":{}}');
    await waitUntil(() => destination.sockets.length === 1 && destination.received.length === 1, 10_000, "the destination connection");
    const closed = new Promise<number>((resolve) => destination.sockets[0]!.once("close", (code: number) => resolve(code)));
    stream.close("harness done");
    assert.equal(await closed, 1000);
  });

  test("an unreachable destination ends that stream with the reason; the forwarder keeps serving", async () => {
    // A port that was free a moment ago: nothing listens there.
    const gone = await recordingDestination();
    const port = new URL(gone.url).port;
    await cleanups.pop()!();
    const { forwarder, openStream, log } = await forwardStack({ connect: `ws://127.0.0.1:${port}`, connectTimeoutMs: 2_000 });
    for (let attempt = 0; attempt < 2; attempt += 1) {
      const stream = await openStream();
      let closedWith: string | undefined;
      stream.onClose((reason) => (closedWith = reason));
      stream.send('{"id":1,"method":"initialize","params":{}}');
      await waitUntil(() => closedWith !== undefined, 10_000, "the stream to end");
    }
    assert.equal(forwarder.forwarded, 2);
    assert.equal(forwarder.openPipes, 0);
    assert.ok(log.some((line) => line.includes(`cannot reach ws://127.0.0.1:${port}`)), log.join("\n"));
  });

  test("ends a stream whose messages waiting for a slow destination exceed maxPendingBytes, and one whose destination never answers the upgrade", async () => {
    // Accepts TCP, never answers the HTTP upgrade: the forwarder stays connecting.
    const silent = createNetServer((socket) => socket.on("error", () => {}));
    await new Promise<void>((resolve) => silent.listen(0, "127.0.0.1", () => resolve()));
    const held: NetSocket[] = [];
    silent.on("connection", (socket: NetSocket) => held.push(socket));
    cleanups.push(() => new Promise<void>((resolve) => (held.forEach((socket) => socket.destroy()), silent.close(() => resolve()))));
    const url = `ws://127.0.0.1:${(silent.address() as AddressInfo).port}`;
    const { forwarder, openStream, log } = await forwardStack({ connect: url, maxPendingBytes: 64 * 1024, connectTimeoutMs: 1_500 });

    const flooded = await openStream();
    let floodedReason: string | undefined;
    flooded.onClose((reason) => (floodedReason = reason));
    for (let i = 0; i < 3; i += 1) flooded.send(JSON.stringify({ id: i, method: "x/fill", params: { blob: "z".repeat(30_000) } }));
    await waitUntil(() => floodedReason !== undefined, 10_000, "the flooded stream to end");
    assert.ok(log.some((line) => line.includes("exceed maxPendingBytes 65536")), log.join("\n"));

    const waiting = await openStream();
    let waitingReason: string | undefined;
    waiting.onClose((reason) => (waitingReason = reason));
    waiting.send('{"id":1,"method":"initialize","params":{}}');
    await waitUntil(() => waitingReason !== undefined, 10_000, "the connect timeout to end the stream");
    assert.ok(log.some((line) => line.includes(`cannot reach ${url}`)), log.join("\n"));
    await waitUntil(() => forwarder.openPipes === 0, 5_000, "both pipes gone");
  });

  test("refuses a destination URL that is not ws:// or wss://, and limits that are not positive integers", () => {
    assert.throws(() => new StreamForwarder({ connect: "http://127.0.0.1:1" }), /--connect must be a ws:\/\/ or wss:\/\/ URL/);
    assert.throws(() => new StreamForwarder({ connect: "ws://127.0.0.1:1", fragmentBytes: 0 }), /fragmentBytes must be a positive integer/);
  });
});


describe("exec-server forward (the CLI)", { skip: existsSync(BUILT_CLI) ? false : "dist/src/cli.js is missing: run `npm run build` (npm test does)" }, () => {
  test("registers with the token from stdin and forwards a harness's calls to the destination", async () => {
    const destination = await startExecServer({ listen: "ws://127.0.0.1:0" });
    cleanups.push(() => destination.close());
    const rendezvous = await startRendezvous({ registryTokens: [REGISTRY_TOKEN], harnessTokens: [HARNESS_TOKEN] });
    cleanups.push(() => rendezvous.close());
    const forward = spawnForwardCli({ remote: rendezvous.baseUrl, environmentId: "env-cli", connect: destination.url, registryToken: REGISTRY_TOKEN });
    cleanups.push(() => stopChild(forward.child));
    await waitUntil(() => rendezvous.environments.registration("env-cli") !== undefined, 10_000, () => `the forward command to register (stderr: ${forward.stderr()})`);
    const connected = await connectExecServer(`${rendezvous.baseUrl}/cloud/environment/env-cli`, { registryToken: HARNESS_TOKEN });
    cleanups.push(() => connected.close());
    await connected.client.initialize({ clientName: "cli-forward" });
    connected.client.notifyInitialized();
    const metadata = await connected.client.fs.getMetadata({ path: tmpdir() });
    assert.equal(metadata.isDirectory, true);
    assert.equal(destination.server.sessions.size, 1, "the call ran on the destination");
    assert.match(forward.stderr(), new RegExp(`forwarding environment env-cli to ${destination.url.replace(/[.]/g, "\\.")}`));
    assert.doesNotMatch(forward.stderr(), new RegExp(REGISTRY_TOKEN), "the token is never logged");
    forward.child.kill("SIGTERM");
    assert.equal(await forward.closed, 0);
  });

  test("exits 2 for a destination that is not a websocket URL and for the cleartext transport", async () => {
    const run = (args: string[]) =>
      new Promise<{ code: number | null; stderr: string }>((resolve) => {
        const child = spawn(process.execPath, [BUILT_CLI, "forward", "--remote", "http://127.0.0.1:9", "--environment-id", "e", ...args], {
          stdio: ["ignore", "ignore", "pipe"],
          env: { ...process.env, CODEX_EXEC_SERVER_REMOTE_BEARER_TOKEN: "t" },
        });
        let stderr = "";
        child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
        child.once("close", (code) => resolve({ code, stderr }));
      });
    assert.deepEqual(await run(["--connect", "http://127.0.0.1:1"]), { code: 2, stderr: "exec-server: --connect must be a ws:// or wss:// URL, got http://127.0.0.1:1\n" });
    assert.deepEqual(await run(["--connect", "ws://127.0.0.1:1", "--remote-transport", "cleartext"]), {
      code: 2,
      stderr: "exec-server: the cleartext transport does not support forwarding (use --remote-transport noise)\n",
    });
  });
});
