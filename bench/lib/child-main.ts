/**
 * Entry point of every bench child process (`node <bundle of this file> <role> <json>`, see `child.ts`).
 * Roles: `exec-server` (local listener), `rendezvous` (reference rendezvous, optional chaos),
 * `executor` (remote executor registered with a rendezvous), `noise-executor` (the same, registered
 * the codex 0.169 way and serving Noise streams), `raw` (the floor: a bare `ws` server
 * that echoes, sends a file, or pipes a command's stdout). The parent talks to it over IPC:
 * `{type: "ready", info}` once serving, then `{id, op, arg}` → `{id, result}` / `{id, error}`.
 * The child exits when the parent disconnects, so nothing outlives the bench.
 *
 * Each role imports only what it runs (dynamic imports): a child that also loaded the cluster
 * rendezvous and its Redis client had a larger heap, and every garbage collection of the server
 * cost more than in the real CLI (block reads: ≈ 2× the server CPU per MiB).
 */
import { spawn } from "node:child_process";
import { readFile } from "node:fs/promises";
import type { WebSocket } from "ws";
import type { RelayEndpointOptions } from "../../src/relay/relay-options.js";
import type { ChaosOptions } from "../../src/remote/rendezvous/frame-chaos.js";

/** Configuration passed as the second argument (JSON). */
export interface ChildConfig {
  maxSessions?: number;
  token?: string;
  chaos?: ChaosOptions;
  maxStreamsPerHarness?: number;
  baseUrl?: string;
  executorId?: string;
  maxStreams?: number;
  endpoint?: Partial<RelayEndpointOptions>;
  /** `cluster-node`: the engine URL (redis://...). */
  engineUrl?: string;
}

type Op = (arg: unknown) => unknown;

const role = process.argv[2] ?? "";
const config = JSON.parse(process.argv[3] ?? "{}") as ChildConfig;
const ops = new Map<string, Op>();
let shutdown: () => Promise<void> = async () => {};

ops.set("memory", () => {
  const gc = (globalThis as { gc?: () => void }).gc;
  if (gc) {
    gc();
    gc();
  }
  return { ...process.memoryUsage(), gc: gc !== undefined };
});

const send = (message: unknown) => process.send?.(message);

process.on("message", (raw: unknown) => {
  const { id, op, arg } = raw as { id: number; op: string; arg: unknown };
  const handler = ops.get(op);
  if (!handler) return void send({ id, error: `unknown op ${op}` });
  Promise.resolve()
    .then(() => handler(arg))
    .then(
      (result) => send({ id, result }),
      (error: unknown) => send({ id, error: error instanceof Error ? error.message : String(error) }),
    );
});

let exiting = false;
const exit = () => {
  if (exiting) return;
  exiting = true;
  // Bounded: a hung close must not keep a bench child alive.
  setTimeout(() => process.exit(0), 2000).unref();
  shutdown().finally(() => process.exit(0));
};
process.on("disconnect", exit);
process.on("SIGTERM", exit);
process.on("SIGINT", exit);

async function main(): Promise<unknown> {
  switch (role) {
    case "exec-server": {
      const { startExecServer } = await import("../../src/server/start-exec-server.js");
      const running = await startExecServer({ listen: "ws://127.0.0.1:0", sessions: { maxSessions: config.maxSessions ?? 4096 } });
      shutdown = () => running.close();
      return { url: running.url };
    }
    case "rendezvous": {
      const { startRendezvous } = await import("../../src/remote/rendezvous/rendezvous-server.js");
      const rendezvous = await startRendezvous({
        registryTokens: [config.token ?? "bench-token"],
        maxStreamsPerHarness: config.maxStreamsPerHarness ?? 128,
        ...(config.chaos ? { chaos: config.chaos } : {}),
      });
      shutdown = () => rendezvous.close();
      ops.set("harnessUrl", (executorId) => rendezvous.harnessUrl(String(executorId)));
      ops.set("stats", () => ({ ...rendezvous.router.chaosStats, droppedFrames: rendezvous.router.droppedFrames }));
      return { baseUrl: rendezvous.baseUrl };
    }
    case "cluster-node": {
      const { startClusterRendezvous } = await import("../../src/remote/rendezvous/cluster/cluster-rendezvous.js");
      const node = await startClusterRendezvous({
        registryTokens: [config.token ?? "bench-token"],
        maxStreamsPerHarness: config.maxStreamsPerHarness ?? 128,
        // The bench's swarm holds thousands of executors and harness sockets.
        maxHarnessSockets: 4096,
        cluster: { url: config.engineUrl ?? "", leaseMs: 15_000, peerGraceMs: 2000 },
      });
      shutdown = () => node.close();
      ops.set("harnessUrl", (executorId) => node.harnessUrl(String(executorId)));
      ops.set("counts", () => {
        const snapshot = node.router.snapshot();
        return { executors: snapshot.executors.length, harnessSockets: snapshot.harnessSockets, streams: snapshot.streams, dropped: node.router.droppedFrames };
      });
      return { baseUrl: node.baseUrl, nodeId: node.node.nodeId };
    }
    case "executor": {
      const { ExecServer } = await import("../../src/server/exec-server.js");
      const { RemoteExecutor, RemoteExecutorConfig } = await import("../../src/remote/remote-executor.js");
      const server = new ExecServer({ sessions: { maxSessions: config.maxSessions ?? 4096 } });
      const executor = new RemoteExecutor({
        config: RemoteExecutorConfig.withBearerToken(config.baseUrl ?? "", config.executorId ?? "bench", config.token ?? "bench-token"),
        server,
        backoff: { initialMs: 50, maxMs: 500 },
        relay: { ...(config.maxStreams ? { maxStreams: config.maxStreams } : {}), ...(config.endpoint ? { endpoint: config.endpoint } : {}) },
      });
      const connected = new Promise<void>((resolve) => {
        executor.onState((state) => {
          if (state === "connected") resolve();
        });
      });
      const running = executor.run();
      running.catch((error: unknown) => {
        process.stderr.write(`bench executor failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      });
      shutdown = async () => {
        executor.stop();
        await server.shutdown();
      };
      ops.set("streamCount", () => executor.mux.streamCount);
      await connected;
      return { executorId: config.executorId };
    }
    case "noise-executor": {
      const { ExecServer } = await import("../../src/server/exec-server.js");
      const { NoiseRemoteExecutor } = await import("../../src/remote/noise-remote-executor.js");
      const { staticToken } = await import("../../src/remote/bearer-token-source.js");
      const server = new ExecServer({ sessions: { maxSessions: config.maxSessions ?? 4096 } });
      const executor = new NoiseRemoteExecutor({
        baseUrl: config.baseUrl ?? "",
        environmentId: config.executorId ?? "bench",
        token: staticToken(config.token ?? "bench-token"),
        server,
        backoff: { initialMs: 50, maxMs: 500 },
        ...(config.maxStreams ? { limits: { maxStreams: config.maxStreams } } : {}),
        ...(config.endpoint ? { endpoint: config.endpoint } : {}),
      });
      const connected = new Promise<void>((resolve) => {
        executor.onState((state) => {
          if (state === "connected") resolve();
        });
      });
      executor.run().catch((error: unknown) => {
        process.stderr.write(`bench noise executor failed: ${error instanceof Error ? error.message : String(error)}\n`);
        process.exit(1);
      });
      shutdown = async () => {
        executor.stop();
        await server.shutdown();
      };
      await connected;
      return { environmentId: config.executorId };
    }
    case "raw":
      return startRaw();
    default:
      throw new Error(`unknown bench child role ${role}`);
  }
}

/**
 * The floor peer: a bare `ws` server with the same socket options as the exec-server. A text
 * message `!file <path>` is answered with the file as one binary message; `!spawn <argv json>`
 * pipes the command's stdout as binary messages, then `!end`; anything else is echoed as is.
 */
async function startRaw(): Promise<unknown> {
  const { WebSocketServer } = await import("ws");
  const wss = new WebSocketServer({ host: "127.0.0.1", port: 0, perMessageDeflate: false, maxPayload: 512 * 1024 * 1024 });
  await new Promise<void>((resolve) => wss.once("listening", () => resolve()));
  wss.on("connection", (socket: WebSocket) => {
    socket.on("message", (data, isBinary) => {
      const buffer = data as Buffer;
      if (!isBinary && buffer[0] === 0x21 /* ! */) {
        const text = buffer.toString("utf8");
        if (text.startsWith("!file ")) {
          void readFile(text.slice(6)).then((bytes) => socket.send(bytes, { binary: true }));
        } else if (text.startsWith("!spawn ")) {
          const argv = JSON.parse(text.slice(7)) as string[];
          const child = spawn(argv[0] as string, argv.slice(1), { stdio: ["ignore", "pipe", "ignore"] });
          child.stdout.on("data", (chunk: Buffer) => socket.send(chunk, { binary: true }));
          child.on("close", () => socket.send("!end"));
        }
        return;
      }
      socket.send(buffer, { binary: isBinary });
    });
  });
  shutdown = async () => {
    for (const client of wss.clients) client.terminate();
    await new Promise<void>((resolve) => wss.close(() => resolve()));
  };
  const address = wss.address();
  if (address === null || typeof address === "string") throw new Error("unexpected listener address");
  return { url: `ws://127.0.0.1:${address.port}` };
}

main().then(
  (info) => send({ type: "ready", info }),
  (error: unknown) => {
    process.stderr.write(`bench child ${role} failed: ${error instanceof Error ? error.stack : String(error)}\n`);
    process.exit(1);
  },
);
