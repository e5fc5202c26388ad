/**
 * `tsx bench/cluster-engine-probe.ts [--out FILE]`: the measurements behind the cluster's engine
 * choice (docs/cluster.md). Starts a throw-away `redis-server` (7.0, no persistence) and, when its
 * client can be loaded, a `nats-server -js` (2.9, memory storage), and measures what the rendezvous
 * cluster asks of its engine:
 *
 * - lease write (executor registration: write with expiry), p50/p99 of sequential calls;
 * - ownership claim (create only if absent), p50/p99;
 * - 2 000 registrations issued at once: registrations per second;
 * - notification round trip (publish → a second connection → publish back), p50/p99: what routing a
 *   frame through the engine would cost per hop pair;
 * - engine memory per lease (2 000 leases of ~100 bytes);
 * - whether a single key can expire on its own (per-key TTL).
 *
 * The NATS client is not a dependency of the project: install it next to the probe to include NATS
 * (`npm i --no-save @nats-io/transport-node@3.4.0 @nats-io/kv@3.4.0`); without it only Redis runs.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { createConnection, createServer, type AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Redis } from "ioredis";
import { WebSocket } from "ws";
import { nowMs, percentile } from "./lib/stats.js";

const SEQUENTIAL = 2000;
const BURST = 2000;
const VALUE = JSON.stringify({ node: "node-0123456789abcdef", name: "ci-runner-0042", since: 1_780_000_000_000, url: "ws://127.0.0.1:40000/cluster" });

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function waitPort(port: number, child: ChildProcess): Promise<void> {
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null) throw new Error(`engine exited with ${child.exitCode}`);
    const ok = await new Promise<boolean>((resolve) => {
      const socket = createConnection(port);
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (ok) return;
    await new Promise((resolve) => setTimeout(resolve, 50));
  }
  throw new Error(`engine not listening on ${port}`);
}


interface Measures {
  engine: string;
  version: string;
  leaseWriteUs: { p50: number; p99: number };
  claimUs: { p50: number; p99: number };
  burstRegistrationsPerSecond: number;
  notifyRoundTripUs: { p50: number; p99: number };
  bytesPerLease: number;
  perKeyTtl: string;
}

async function timed(count: number, op: (i: number) => Promise<unknown>): Promise<{ p50: number; p99: number }> {
  for (let i = 0; i < 200; i += 1) await op(-1 - i);
  const samples: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const start = nowMs();
    await op(i);
    samples.push(nowMs() - start);
  }
  return { p50: round(percentile(samples, 50) * 1000), p99: round(percentile(samples, 99) * 1000) };
}

const round = (n: number) => Math.round(n * 10) / 10;

async function probeRedis(): Promise<Measures> {
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  try {
    await waitPort(port, child);
    const a = new Redis({ port, host: "127.0.0.1", lazyConnect: true });
    const b = new Redis({ port, host: "127.0.0.1", lazyConnect: true });
    const sub = new Redis({ port, host: "127.0.0.1", lazyConnect: true });
    const subB = new Redis({ port, host: "127.0.0.1", lazyConnect: true });
    await Promise.all([a.connect(), b.connect(), sub.connect(), subB.connect()]);
    const version = String(((await a.info("server")).match(/redis_version:(\S+)/) ?? [])[1]);
    const leaseWriteUs = await timed(SEQUENTIAL, (i) => a.set(`probe:lease:${i}`, VALUE, "PX", 30_000));
    const claimUs = await timed(SEQUENTIAL, (i) => a.set(`probe:claim:${i}`, "node-a", "PX", 30_000, "NX"));
    await a.flushall();
    const before = Number(((await a.info("memory")).match(/used_memory:(\d+)/) ?? [])[1]);
    const started = nowMs();
    await Promise.all(Array.from({ length: BURST }, (_, i) => a.set(`probe:exec:${i}`, VALUE, "PX", 30_000)));
    const burstRegistrationsPerSecond = Math.round(BURST / ((nowMs() - started) / 1000));
    const after = Number(((await a.info("memory")).match(/used_memory:(\d+)/) ?? [])[1]);
    // Notification round trip: a publishes on ping, b's subscriber answers on pong.
    await subB.subscribe("probe:ping");
    subB.on("message", (_channel: string, message: string) => void b.publish("probe:pong", message));
    await sub.subscribe("probe:pong");
    let waiter: (() => void) | undefined;
    sub.on("message", () => waiter?.());
    const notifyRoundTripUs = await timed(SEQUENTIAL, async (i) => {
      const answered = new Promise<void>((resolve) => (waiter = resolve));
      await a.publish("probe:ping", String(i));
      await answered;
    });
    await a.set("probe:ttl", "x", "PX", 50);
    await new Promise((resolve) => setTimeout(resolve, 120));
    const perKeyTtl = (await a.exists("probe:ttl")) === 0 ? "yes (SET ... PX, expired on time)" : "no";
    for (const client of [a, b, sub, subB]) client.disconnect();
    return { engine: "redis", version, leaseWriteUs, claimUs, burstRegistrationsPerSecond, notifyRoundTripUs, bytesPerLease: Math.round((after - before) / BURST), perKeyTtl };
  } finally {
    child.kill("SIGKILL");
  }
}

interface NatsConnection {
  info?: { version: string };
  subscribe(subject: string, options: { callback: (error: unknown, message: { data: Uint8Array }) => void }): unknown;
  publish(subject: string, data?: Uint8Array | string): void;
  flush(): Promise<void>;
  drain(): Promise<void>;
}
interface NatsTransport {
  connect(options: { servers: string }): Promise<NatsConnection>;
}
interface NatsKv {
  put(key: string, value: Uint8Array): Promise<number>;
  create(key: string, value: Uint8Array): Promise<number>;
}
interface NatsKvModule {
  Kvm: new (connection: NatsConnection) => { create(name: string, options: Record<string, unknown>): Promise<NatsKv> };
}

async function probeNats(): Promise<Measures | string> {
  // Not a project dependency: loaded by name at run time, with the few types the probe uses declared here.
  let transport: NatsTransport;
  let kvModule: NatsKvModule;
  try {
    const names = ["@nats-io/transport-node", "@nats-io/kv"];
    transport = (await import(names[0] as string)) as NatsTransport;
    kvModule = (await import(names[1] as string)) as NatsKvModule;
  } catch {
    return "skipped: @nats-io/transport-node and @nats-io/kv are not installed (npm i --no-save @nats-io/transport-node@3.4.0 @nats-io/kv@3.4.0)";
  }
  const port = await freePort();
  const monitor = await freePort();
  const store = mkdtempSync(join(tmpdir(), "nats-probe-"));
  const child = spawn("nats-server", ["-a", "127.0.0.1", "-p", String(port), "-m", String(monitor), "-js", "-sd", store], { stdio: "ignore" });
  try {
    await waitPort(port, child);
    const a = await transport.connect({ servers: `127.0.0.1:${port}` });
    const b = await transport.connect({ servers: `127.0.0.1:${port}` });
    const version = a.info?.version ?? "unknown";
    const kvm = new kvModule.Kvm(a);
    const kv = await kvm.create("probe", { storage: "memory", history: 1, ttl: 30_000 });
    const encoder = new TextEncoder();
    const value = encoder.encode(VALUE);
    const leaseWriteUs = await timed(SEQUENTIAL, (i) => kv.put(`lease.${i + 1000}`, value));
    const claimUs = await timed(SEQUENTIAL, (i) => kv.create(`claim.${i + 1000}`, encoder.encode("node-a")));
    const jsz = async () => ((await (await fetch(`http://127.0.0.1:${monitor}/jsz`)).json()) as { memory: number }).memory;
    const before = await jsz();
    const started = nowMs();
    await Promise.all(Array.from({ length: BURST }, (_, i) => kv.put(`exec.${i}`, value)));
    const burstRegistrationsPerSecond = Math.round(BURST / ((nowMs() - started) / 1000));
    const after = await jsz();
    b.subscribe("probe.ping", { callback: (_error: unknown, message: { data: Uint8Array }) => b.publish("probe.pong", message.data) });
    let waiter: (() => void) | undefined;
    a.subscribe("probe.pong", { callback: () => waiter?.() });
    await b.flush();
    await a.flush();
    const notifyRoundTripUs = await timed(SEQUENTIAL, async (i) => {
      const answered = new Promise<void>((resolve) => (waiter = resolve));
      a.publish("probe.ping", String(i));
      await answered;
    });
    await a.drain();
    await b.drain();
    return {
      engine: "nats",
      version,
      leaseWriteUs,
      claimUs,
      burstRegistrationsPerSecond,
      notifyRoundTripUs,
      bytesPerLease: Math.round((after - before) / BURST),
      perKeyTtl: "no in 2.9 (bucket-wide max_age only; per-message TTL needs server 2.11)",
    };
  } finally {
    child.kill("SIGKILL");
    rmSync(store, { recursive: true, force: true });
  }
}

/** The alternative to routing frames through the engine: a direct websocket between two processes. */
async function probeWebsocketLink(): Promise<{ roundTripUs: { p50: number; p99: number } }> {
  const port = await freePort();
  const script = `const { WebSocketServer } = require("ws"); const s = new WebSocketServer({ host: "127.0.0.1", port: ${port}, perMessageDeflate: false }); s.on("connection", (c) => c.on("message", (d, b) => c.send(d, { binary: b })));`;
  const child = spawn(process.execPath, ["-e", script], { stdio: "ignore", cwd: process.cwd() });
  try {
    await waitPort(port, child);
    const socket = new WebSocket(`ws://127.0.0.1:${port}`, { perMessageDeflate: false });
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    const frame = Buffer.alloc(200, 7);
    const roundTripUs = await timed(SEQUENTIAL, async () => {
      const answered = new Promise<void>((resolve) => socket.once("message", () => resolve()));
      socket.send(frame);
      await answered;
    });
    socket.terminate();
    return { roundTripUs };
  } finally {
    child.kill("SIGKILL");
  }
}

const outIndex = process.argv.indexOf("--out");
const results = { date: new Date().toISOString(), redis: await probeRedis(), nats: await probeNats(), websocketLink: await probeWebsocketLink() };
process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
if (outIndex > 0 && process.argv[outIndex + 1]) writeFileSync(process.argv[outIndex + 1] as string, `${JSON.stringify(results, null, 2)}\n`);
process.exit(0);
