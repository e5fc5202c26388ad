/**
 * Scenarios both remote executors (cleartext and Noise) must pass, run on a client whose session
 * goes through a remote world (`remote-world.ts`): a process keeps printing while the executor's socket drops, or
 * while the rendezvous restarts, and its output arrives exactly once, in order.
 */
import assert from "node:assert/strict";
import type { ExecServerClient } from "../../generated/openrpc/client.js";
import type { Rendezvous } from "../../src/remote/rendezvous/rendezvous-server.js";
import { waitUntil } from "../helpers/wait.js";

/** What the scenario needs of an executor. */
export interface DroppableExecutor {
  dropConnection(): void;
  readonly connections: number;
}

/**
 * Runs the ticker on `client`, drops `executor`'s socket after some output, and asserts the
 * exactly-once delivery; resolves with the seqs of the exit and of the close notification.
 */
export async function assertOutputAcrossDrop(client: ExecServerClient, executor: DroppableExecutor): Promise<{ exitSeq: number; closedSeq: number }> {
  const chunks: Array<{ seq: number; text: string }> = [];
  const exits: number[] = [];
  client.on("process/output", (event) => chunks.push({ seq: event.seq, text: Buffer.from(event.chunk, "base64").toString() }));
  client.on("process/exited", (event) => exits.push(event.seq));
  const closed = new Promise<number>((resolve) => client.on("process/closed", (event) => resolve(event.seq)));
  await client.process.start({
    processId: "ticker",
    argv: ["sh", "-c", "i=0; while [ $i -lt 40 ]; do echo line-$i; i=$((i+1)); sleep 0.02; done; exit 7"],
    cwd: "/",
    env: {},
    tty: false,
  });
  await waitUntil(() => chunks.length >= 5, 5000, "some output before the drop");
  executor.dropConnection();
  await waitUntil(() => executor.connections >= 2, 5000, "executor reconnected");
  const closedSeq = await closed;
  const lines = chunks.map((chunk) => chunk.text).join("").split("\n").filter(Boolean);
  assert.deepEqual(lines, Array.from({ length: 40 }, (_, i) => `line-${i}`), "every line once, in order");
  const seqs = chunks.map((chunk) => chunk.seq);
  assert.equal(new Set(seqs).size, seqs.length, "no duplicate chunk");
  assert.equal(exits.length, 1, "exactly one exit");
  return { exitSeq: exits[0]!, closedSeq };
}

/**
 * Runs a slow process on `client`, restarts the rendezvous on the same port with `restart` (which
 * becomes `world.rendezvous`, so the world's cleanup closes it) and asserts the process finished
 * and all its output arrived once, in order.
 */
export async function assertOutputAcrossRendezvousRestart(
  client: ExecServerClient,
  world: { rendezvous: Rendezvous },
  restart: (port: number) => Promise<Rendezvous>,
): Promise<void> {
  const chunks: string[] = [];
  client.on("process/output", (event) => chunks.push(Buffer.from(event.chunk, "base64").toString()));
  const exited = new Promise<number | null>((resolve) => client.on("process/exited", (event) => resolve(event.exitCode)));
  await client.process.start({ processId: "slow", argv: ["sh", "-c", "for i in 1 2 3 4 5 6 7 8 9 10; do echo n$i; sleep 0.1; done"], cwd: "/", env: {}, tty: false });
  await waitUntil(() => chunks.length >= 2, 5000, "output before the restart");
  const port = Number(new URL(world.rendezvous.baseUrl).port);
  await world.rendezvous.close();
  world.rendezvous = await restart(port);
  assert.equal(await exited, 0);
  await waitUntil(() => chunks.join("").includes("n10"), 10_000, "all output");
  assert.deepEqual(chunks.join("").split("\n").filter(Boolean), Array.from({ length: 10 }, (_, i) => `n${i + 1}`));
}
