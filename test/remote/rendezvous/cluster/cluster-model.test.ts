import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import fc from "fast-check";
import { HarnessConnection } from "../../../../src/remote/harness-connection.js";
import type { ClusterRendezvous } from "../../../../src/remote/rendezvous/cluster/cluster-rendezvous.js";
import { redisSkip, startTestRedis, type TestRedis } from "../../../helpers/redis-server.js";
import { waitUntil } from "../../../helpers/wait.js";
import { harnessUrl, openSession, responseProblems, startExecutor, startNode, type Session } from "./cluster-fixture.js";

const skip = redisSkip();
const verboseLog = process.env.CLUSTER_MODEL_VERBOSE ? { log: (line: string) => process.stderr.write(`${Date.now() % 100000} ${line}\n`) } : {};

/** One harness per node; a killed node takes its harness (and that harness's calls) with it. */
interface HarnessSlot {
  generation: number;
  harness: HarnessConnection;
  session: Session;
}

interface PendingCall {
  slot: number;
  generation: number;
  call: Promise<number>;
}

/** The system under test for one run: three nodes on fixed ports, an executor knowing all three, a harness on each. */
class World {
  nodes: ClusterRendezvous[] = [];
  ports: number[] = [];
  slots: HarnessSlot[] = [];
  pending: PendingCall[] = [];
  /** Slot generations that were killed (their calls may fail, never answer wrongly). */
  readonly killed = new Set<string>();
  exec!: Awaited<ReturnType<typeof startExecutor>>;

  constructor(
    readonly redisUrl: string,
    readonly executorId: string,
    readonly dir: string,
  ) {}

  async start(): Promise<void> {
    for (let i = 0; i < 3; i += 1) {
      const node = await startNode(this.redisUrl, { executorGraceMs: 15_000, ...verboseLog });
      this.nodes.push(node);
      this.ports.push(Number(new URL(node.baseUrl).port));
    }
    this.exec = await startExecutor(this.executorId, this.nodes.map((node) => node.baseUrl), verboseLog.log);
    await waitUntil(() => this.exec.executor.state === "connected", 10_000, "executor connected");
    for (let i = 0; i < 3; i += 1) this.slots.push(await this.#openSlot(i, 0));
  }

  async #openSlot(index: number, generation: number): Promise<HarnessSlot> {
    const node = this.nodes[index] as ClusterRendezvous;
    const harness = await HarnessConnection.connect(await harnessUrl(node.baseUrl, this.executorId), { reconnect: false });
    return { generation, harness, session: await openSession(harness, `slot-${index}-${generation}`, 30_000) };
  }

  /** Crashes node `index` (every socket dropped, no goodbye) and starts a fresh node on its port with a new harness. */
  async killNode(index: number): Promise<void> {
    const slot = this.slots[index] as HarnessSlot;
    this.killed.add(`${index}:${slot.generation}`);
    await (this.nodes[index] as ClusterRendezvous).crash();
    slot.harness.close();
    this.nodes[index] = await startNode(this.redisUrl, { port: this.ports[index] as number, executorGraceMs: 15_000, ...verboseLog });
    this.slots[index] = await this.#openSlot(index, slot.generation + 1);
  }

  /** Fires `count` calls on slot `index` without waiting: each returns the size of that slot's own file. */
  call(index: number, count: number): void {
    const slot = this.slots[index] as HarnessSlot;
    for (let i = 0; i < count; i += 1) {
      const call = slot.session.client.fs.getMetadata({ path: join(this.dir, `slot-${index}`) }).then((meta) => meta.size);
      call.catch(() => undefined);
      this.pending.push({ slot: index, generation: slot.generation, call });
    }
  }

  /** Every call of a surviving harness answers its own file's size; a killed harness's calls never answer wrongly. */
  async settle(): Promise<string[]> {
    const problems: string[] = [];
    const pending = this.pending;
    this.pending = [];
    for (const { slot, generation, call } of pending) {
      const expected = 100 + slot;
      const outcome = await call.then(
        (size) => ({ size }),
        (error: unknown) => ({ error: error instanceof Error ? error.message : String(error) }),
      );
      const wasKilled = this.killed.has(`${slot}:${generation}`);
      if ("size" in outcome && outcome.size !== expected) problems.push(`slot ${slot}: got size ${outcome.size}, expected ${expected} (cross-talk)`);
      if ("error" in outcome && !wasKilled) problems.push(`slot ${slot} gen ${generation}: call failed on a live harness: ${outcome.error}`);
    }
    this.slots.forEach((slot, index) => problems.push(...responseProblems(slot.session, `slot ${index}`)));
    return problems;
  }

  async stop(): Promise<void> {
    for (const slot of this.slots) slot.harness.close();
    await this.exec?.stop();
    for (const node of this.nodes) await node.close();
  }
}

type Command = fc.AsyncCommand<object, World>;

const killNode = (index: number): Command => ({
  check: () => true,
  run: async (_model, world) => world.killNode(index),
  toString: () => `killNode(${index})`,
});
const dropExecutor: Command = {
  check: () => true,
  run: async (_model, world) => world.exec.executor.dropConnection(),
  toString: () => "dropExecutor",
};
const call = (index: number, count: number): Command => ({
  check: () => true,
  run: async (_model, world) => world.call(index, count),
  toString: () => `call(${index}, ${count})`,
});
const settle: Command = {
  check: () => true,
  run: async (_model, world) => assert.deepEqual(await world.settle(), []),
  toString: () => "settle",
};

describe("rendezvous cluster: model", { skip }, () => {
  let redis: TestRedis;
  let dir: string;
  before(async () => {
    redis = await startTestRedis();
    dir = mkdtempSync(join(tmpdir(), "cluster-model-"));
    for (let i = 0; i < 3; i += 1) writeFileSync(join(dir, `slot-${i}`), Buffer.alloc(100 + i));
  });
  after(async () => {
    await redis?.stop();
    rmSync(dir, { recursive: true, force: true });
  });

  test("random interleavings of node kills, executor reconnects and harness calls: every live call answered once, correctly", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(
        fc.commands(
          [
            fc.integer({ min: 0, max: 2 }).map(killNode),
            fc.constant(dropExecutor),
            fc.tuple(fc.integer({ min: 0, max: 2 }), fc.integer({ min: 1, max: 8 })).map(([index, count]) => call(index, count)),
            fc.constant(settle),
          ],
          { maxCommands: 7 },
        ),
        async (commands) => {
          run += 1;
          if (process.env.CLUSTER_MODEL_VERBOSE) process.stderr.write(`run ${run}: ${commands.toString()}\n`);
          const world = new World(redis.url, `model-exec-${run}`, dir);
          try {
            await world.start();
            await fc.asyncModelRun(() => ({ model: {}, real: world }), [...commands, call(0, 2), call(1, 2), call(2, 2), settle]);
          } catch (error) {
            if (process.env.CLUSTER_MODEL_VERBOSE) process.stderr.write(`run ${run} failed: ${error instanceof Error ? error.stack : String(error)}\n`);
            throw error;
          } finally {
            await world.stop();
          }
        },
      ),
      // Each run starts three nodes and an executor: a handful of runs keeps the suite fast.
      { numRuns: Number(process.env.CLUSTER_MODEL_RUNS ?? 4), seed: Number(process.env.CLUSTER_MODEL_SEED ?? 15), endOnFailure: true, ...(process.env.CLUSTER_MODEL_PATH ? { path: process.env.CLUSTER_MODEL_PATH } : {}) },
    );
  });
});
