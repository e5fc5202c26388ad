/**
 * Scenario `cluster`: rendezvous nodes sharing a `redis-server` (child process, no persistence).
 *
 * 1. RPC p50 through two nodes (harness on node B, executor on node A) ÷ through one node (harness
 *    and executor on node A), measured side by side in every repeat on the same executor.
 *    The same for codex 0.169 environments: a Noise executor registered through node A, harnesses
 *    `/connect`ed through node A or node B (Noise streams, our reliability layer).
 * 2. Reliable streams across nodes: 8 streams × pipelined calls through node B, every response
 *    audited (each request id answered exactly once).
 * 3. A swarm of registered executors spread over three nodes (lightweight executors in this process:
 *    register over HTTP, attach the websocket, echo relay frames back): registrations per second,
 *    heap per registered executor per node, and after SIGKILL of one node, the time until every
 *    executor it held is reachable again through another node (each re-registers after the real
 *    executor's first backoff, 1 s ± 20 %, at the next base URL; reachable = a harness frame sent
 *    through a surviving node comes back).
 */
import { spawn } from "node:child_process";
import { randomUUID } from "node:crypto";
import { createConnection, createServer, type AddressInfo } from "node:net";
import { WebSocket } from "ws";
import { createExecServerClient } from "../../generated/openrpc/client.js";
import { HarnessConnection } from "../../src/remote/harness-connection.js";
import { NoiseHarnessConnection } from "../../src/remote/noise-harness-connection.js";
import { dataFrame, encodeFrame, parseEnvelope } from "../../src/relay/frame-codec.js";
import type { MessageTransport } from "../../src/rpc/message-transport.js";
import { launchChild, trackProcess, type BenchChild } from "../lib/child.js";
import type { BenchContext, Scenario } from "../lib/context.js";
import { check, figure, ratio, type Check, type ScenarioResult } from "../lib/report.js";
import { nowMs, pairedRatios, percentile } from "../lib/stats.js";
import { initialize } from "../lib/topology.js";

const TOKEN = "bench-token";

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/** `redis-server` on a free loopback port, tracked with the bench children. */
async function startRedis(): Promise<{ url: string; stop(): Promise<void> }> {
  const port = await freePort();
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no"], { stdio: "ignore" });
  const tracked = trackProcess(child);
  const deadline = Date.now() + 10_000;
  for (;;) {
    if (child.exitCode !== null) throw new Error("redis-server exited at start (is it installed?)");
    const up = await new Promise<boolean>((resolve) => {
      const socket = createConnection(port, "127.0.0.1");
      socket.once("connect", () => {
        socket.destroy();
        resolve(true);
      });
      socket.once("error", () => resolve(false));
    });
    if (up) break;
    if (Date.now() > deadline) throw new Error("redis-server did not listen within 10 s");
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  return { url: `redis://127.0.0.1:${port}`, stop: () => tracked.stop() };
}

async function post(base: string, path: string): Promise<{ status: number; body: { url?: string } }> {
  const response = await fetch(`${base}${path}`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
  return { status: response.status, body: (await response.json().catch(() => ({}))) as { url?: string } };
}

async function openSocket(url: string): Promise<WebSocket> {
  const socket = new WebSocket(url, { perMessageDeflate: false });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
    socket.once("unexpected-response", (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
  });
  return socket;
}

/** Runs `task` over `items` with at most `limit` at once. */
async function pool<T>(items: readonly T[], limit: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(limit, items.length) }, async () => {
      while (next < items.length) await task(items[next++] as T);
    }),
  );
}

/** A lightweight registered executor: registers at `urls[index]`, attaches, echoes frames; moves on when its node dies. */
class SwarmExecutor {
  socket: WebSocket | undefined;
  node = -1;
  #stopped = false;
  constructor(
    readonly id: string,
    readonly urls: () => readonly (string | undefined)[],
  ) {}

  async attach(index: number): Promise<void> {
    const urls = this.urls();
    for (let attempt = 0; attempt < urls.length; attempt += 1) {
      const candidate = (index + attempt) % urls.length;
      const base = urls[candidate];
      if (base === undefined) continue;
      try {
        const registration = await post(base, `/cloud/executor/${this.id}/register`);
        if (registration.status !== 200 || !registration.body.url) throw new Error(`HTTP ${registration.status}`);
        const socket = await openSocket(registration.body.url);
        this.socket = socket;
        this.node = candidate;
        socket.on("message", (data: Buffer) => socket.send(data, { binary: true }));
        socket.once("close", () => {
          if (this.socket !== socket) return;
          this.socket = undefined;
          if (this.#stopped) return;
          // The real executor's first backoff after a lost connection: 1 s ± 20 %. A member whose every
          // node is gone gives up quietly (the scenario has ended or its check reports it).
          setTimeout(() => void this.attach(candidate + 1).catch(() => undefined), 800 + Math.random() * 400);
        });
        return;
      } catch {
        // This node is down: the real executor tries the next base URL at once.
      }
    }
    throw new Error(`${this.id}: no node accepted the registration`);
  }

  /** Ends the member for good: its socket closes and it does not re-attach (scenario teardown). */
  stop(): void {
    this.#stopped = true;
    this.socket?.terminate();
  }
}

/** True when a frame sent by a harness through `harnessBase` comes back from the executor within `timeoutMs`. */
async function reachable(harnessBase: string, executorId: string, timeoutMs: number): Promise<boolean> {
  const harness = await post(harnessBase, `/cloud/executor/${executorId}/harness`);
  if (!harness.body.url) return false;
  const socket = await openSocket(harness.body.url).catch(() => undefined);
  if (!socket) return false;
  try {
    const streamId = randomUUID();
    const echoed = new Promise<boolean>((resolve) => {
      const timer = setTimeout(() => resolve(false), timeoutMs);
      socket.on("message", (data: Buffer) => {
        const parsed = parseEnvelope(new Uint8Array(data));
        if (parsed.ok && parsed.streamId === streamId) {
          clearTimeout(timer);
          resolve(true);
        }
      });
    });
    socket.send(encodeFrame(dataFrame(streamId, { seq: 1, payload: new TextEncoder().encode("ping") })));
    return await echoed;
  } finally {
    socket.terminate();
  }
}

async function timedCalls(transport: MessageTransport, count: number, warmup: number): Promise<number[]> {
  const client = createExecServerClient(transport, { timeoutMs: 60_000 });
  for (let i = 0; i < warmup; i += 1) await client.fs.getMetadata({ path: "/" });
  const samples: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const start = nowMs();
    await client.fs.getMetadata({ path: "/" });
    samples.push((nowMs() - start) * 1000);
  }
  return samples;
}

export const clusterScenario: Scenario = {
  id: "cluster",
  title: "Rendezvous cluster on Redis (two-node RPC, cross-node reliability, executor swarm, node kill)",
  async run(context: BenchContext): Promise<ScenarioResult> {
    const started = nowMs();
    const checks: Check[] = [];
    const notes: string[] = [];
    const redis = await startRedis();
    const children: BenchChild[] = [];
    try {
      const nodes = [] as BenchChild[];
      for (let i = 0; i < 3; i += 1) nodes.push(await launchChild("cluster-node", { engineUrl: redis.url, token: TOKEN }, { exposeGc: true }));
      children.push(...nodes);
      const bases = nodes.map((node) => String(node.info.baseUrl));

      // 1 + 2: RPC through one node and through two, on one executor attached to node A.
      const executorId = `bench-cluster-${randomUUID()}`;
      const executor = await launchChild("executor", { baseUrl: bases[0] as string, executorId, token: TOKEN });
      children.push(executor);
      const count = context.quick ? 200 : 2000;
      const warmup = context.quick ? 50 : 500;
      const oneNode = await HarnessConnection.connect(await nodes[0]!.call<string>("harnessUrl", executorId), { reconnect: false });
      const twoNodes = await HarnessConnection.connect(await nodes[1]!.call<string>("harnessUrl", executorId), { reconnect: false });
      const one = oneNode.openStream();
      const two = twoNodes.openStream();
      await initialize(createExecServerClient(one, { timeoutMs: 60_000 }));
      await initialize(createExecServerClient(two, { timeoutMs: 60_000 }));
      const p50 = { one: [] as number[], two: [] as number[] };
      for (let repeat = 0; repeat < context.repeats; repeat += 1) {
        context.log(`cluster: rpc repeat ${repeat + 1}/${context.repeats}`);
        p50.one.push(percentile(await timedCalls(one, count, warmup), 50));
        p50.two.push(percentile(await timedCalls(two, count, warmup), 50));
      }

      // 1b: the same for a codex 0.169 environment (Noise streams), registered through node A.
      const environmentId = `bench-cluster-env-${randomUUID()}`;
      const noiseExecutor = await launchChild("noise-executor", { baseUrl: bases[0] as string, executorId: environmentId, token: TOKEN });
      children.push(noiseExecutor);
      const noiseHarness = (base: string) => NoiseHarnessConnection.connect({ registry: { baseUrl: base, environmentId, token: TOKEN }, reconnect: false });
      const noiseOneNode = await noiseHarness(bases[0] as string);
      const noiseTwoNodes = await noiseHarness(bases[1] as string);
      const noiseOne = noiseOneNode.openStream();
      const noiseTwo = noiseTwoNodes.openStream();
      await initialize(createExecServerClient(noiseOne, { timeoutMs: 60_000 }));
      await initialize(createExecServerClient(noiseTwo, { timeoutMs: 60_000 }));
      const noiseP50 = { one: [] as number[], two: [] as number[] };
      for (let repeat = 0; repeat < context.repeats; repeat += 1) {
        context.log(`cluster: noise rpc repeat ${repeat + 1}/${context.repeats}`);
        noiseP50.one.push(percentile(await timedCalls(noiseOne, count, warmup), 50));
        noiseP50.two.push(percentile(await timedCalls(noiseTwo, count, warmup), 50));
      }
      noiseOneNode.close();
      noiseTwoNodes.close();
      await noiseExecutor.stop();

      const STREAMS = 8;
      const CALLS = context.quick ? 50 : 250;
      let lost = 0;
      let duplicated = 0;
      await Promise.all(
        Array.from({ length: STREAMS }, async () => {
          const stream = twoNodes.openStream();
          const answered = new Map<number, number>();
          stream.onMessage((text) => {
            const message = JSON.parse(text) as { id?: number; method?: string };
            if (typeof message.id === "number" && message.method === undefined) answered.set(message.id, (answered.get(message.id) ?? 0) + 1);
          });
          const client = createExecServerClient(stream, { timeoutMs: 60_000 });
          await initialize(client);
          await Promise.all(Array.from({ length: CALLS }, () => client.fs.getMetadata({ path: "/" }).catch(() => undefined)));
          const counts = [...answered.values()];
          lost += CALLS + 1 - counts.length;
          duplicated += counts.filter((n) => n > 1).length;
        }),
      );
      checks.push(check("zero lost responses across nodes", lost === 0, `${lost} of ${STREAMS * (CALLS + 1)} requests without a response`));
      checks.push(check("zero duplicated responses across nodes", duplicated === 0, `${duplicated} answered more than once`));
      oneNode.close();
      twoNodes.close();
      await executor.stop();

      // 3: the swarm.
      const SWARM = context.quick ? 300 : 2000;
      const alive: (string | undefined)[] = [...bases];
      const heapBefore = await Promise.all(nodes.map((node) => node.call<{ heapUsed: number }>("memory").then((m) => m.heapUsed)));
      const swarm = Array.from({ length: SWARM }, (_, i) => new SwarmExecutor(`swarm-${i}`, () => alive));
      const registerStart = nowMs();
      let failures = 0;
      await pool(swarm, 64, async (member) => {
        const index = Number(member.id.slice(6)) % 3;
        await member.attach(index).catch(() => {
          failures += 1;
        });
      });
      const registerMs = nowMs() - registerStart;
      checks.push(check(`${SWARM} executors registered with no error`, failures === 0, `${failures} failed`));
      const counts = await Promise.all(nodes.map((node) => node.call<{ executors: number }>("counts")));
      const heapAfter = await Promise.all(nodes.map((node) => node.call<{ heapUsed: number }>("memory").then((m) => m.heapUsed)));
      const perExecutorKiB = nodes.map((_, i) => (heapAfter[i]! - heapBefore[i]!) / Math.max(1, counts[i]!.executors) / 1024);
      notes.push(`swarm spread: ${counts.map((c) => c.executors).join(" / ")} executors on the three nodes`);

      // Kill node C (index 2) and time until all its executors answer through node A.
      const victims = swarm.filter((member) => member.node === 2);
      const killedAt = nowMs();
      alive[2] = undefined;
      process.kill(nodes[2]!.pid, "SIGKILL");
      const pendingVictims = new Set(victims);
      const deadline = killedAt + 60_000;
      while (pendingVictims.size > 0 && nowMs() < deadline) {
        await pool([...pendingVictims], 32, async (member) => {
          if (member.socket === undefined) return;
          if (await reachable(bases[0] as string, member.id, 2000)) pendingVictims.delete(member);
        });
        if (pendingVictims.size > 0) await new Promise((resolve) => setTimeout(resolve, 100));
      }
      const recoveryMs = nowMs() - killedAt;
      checks.push(check("every executor of the killed node reachable again", pendingVictims.size === 0, `${victims.length - pendingVictims.size} of ${victims.length} reachable after ${(recoveryMs / 1000).toFixed(1)} s`));
      for (const member of swarm) member.stop();

      return {
        id: this.id,
        title: this.title,
        method: `redis-server 7 and three cluster nodes are child processes; RPC: ${count} sequential fs/getMetadata after ${warmup} warm-up per path and repeat, executor child on node A, harness in the bench process on node A (one node) or B (two nodes), for a seed-era executor and for a Noise executor (0.169 environment); swarm: ${SWARM} lightweight executors in the bench process, 64 registering at once; heap per executor = node heapUsed delta after gc ÷ executors on it`,
        figures: [
          figure("RPC p50 through one node", "µs", p50.one),
          figure("RPC p50 through two nodes", "µs", p50.two),
          figure("Noise RPC p50 through one node (0.169 environment)", "µs", noiseP50.one),
          figure("Noise RPC p50 through two nodes (0.169 environment)", "µs", noiseP50.two),
          figure(`registrations per second (${SWARM} executors over 3 nodes)`, "/s", [SWARM / (registerMs / 1000)]),
          ...perExecutorKiB.map((kib, i) => figure(`heap per registered executor, node ${"ABC"[i]}`, "KiB", [kib])),
          figure(`killed node's ${victims.length} executors reachable again`, "s", [recoveryMs / 1000]),
        ],
        ratios: [
          ratio("p50 two nodes / one node", pairedRatios(p50.two, p50.one), { op: "<=", value: 1.3 }),
          ratio("Noise p50 two nodes / one node", pairedRatios(noiseP50.two, noiseP50.one), { op: "<=", value: 1.3 }),
          ratio("killed node's executors reachable again / 10 s", [recoveryMs / 10_000], { op: "<=", value: 1 }),
        ],
        checks,
        skipped: [],
        notes,
        durationMs: nowMs() - started,
      };
    } finally {
      await Promise.all(children.map((child) => child.stop()));
      await redis.stop();
    }
  },
};
