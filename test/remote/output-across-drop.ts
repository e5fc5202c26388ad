/**
 * The exactly-once scenario both remote executors must pass: a process prints 40 lines while the
 * executor's rendezvous socket is dropped; every chunk and the exit arrive exactly once, in order.
 */
import assert from "node:assert/strict";
import type { ExecServerClient } from "../../generated/openrpc/client.js";
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
