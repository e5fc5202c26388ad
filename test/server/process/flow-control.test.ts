import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import type { FlowControl } from "../../../src/rpc/message-transport.js";
import { ProcessTable } from "../../../src/server/process/process-table.js";
import type { ProcessStartParams } from "../../../src/server/process/types.js";
import { alive, waitUntil } from "../../helpers/wait.js";
import { CHILD_PATH, waitClosed } from "./helpers.js";

/** A flow control the test congests and drains by hand. */
class FakeFlow implements FlowControl {
  isCongested = false;
  readonly #listeners = new Set<() => void>();

  congested(): boolean {
    return this.isCongested;
  }

  bufferedBytes(): number {
    return 0;
  }

  onDrain(listener: () => void): () => void {
    this.#listeners.add(listener);
    return () => this.#listeners.delete(listener);
  }

  drain(): void {
    this.isCongested = false;
    for (const listener of [...this.#listeners]) listener();
  }

  get listenerCount(): number {
    return this.#listeners.size;
  }
}

/** Output bytes, method order and exit codes a sink received. */
function countingSink() {
  const seen = { bytes: 0, methods: [] as string[], exitCodes: [] as number[] };
  const sink = (method: string, params: unknown) => {
    const p = params as { chunk?: string; exitCode?: number };
    if (method === "process/output") seen.bytes += Buffer.from(p.chunk ?? "", "base64").length;
    else seen.methods.push(method);
    if (method === "process/exited") seen.exitCodes.push(p.exitCode ?? -1);
  };
  return { seen, sink };
}

const tables: ProcessTable[] = [];

function newTable(): ProcessTable {
  const table = new ProcessTable({ terminateGraceMs: 300 });
  tables.push(table);
  return table;
}

function params(processId: string, argv: string[], extra: Partial<ProcessStartParams> = {}): ProcessStartParams {
  return { processId, argv, cwd: "/tmp", env: { PATH: CHILD_PATH }, tty: false, ...extra };
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));
const TEN_MIB = 10 * 1024 * 1024;

after(async () => {
  await Promise.all(tables.map((table) => table.dispose()));
});

describe("ProcessTable flow control", () => {
  it("pauses a pipe child while the sink is congested and resumes it on drain", async () => {
    const table = newTable();
    const flow = new FakeFlow();
    const { seen, sink } = countingSink();
    table.setSink(sink, flow);
    flow.isCongested = true;
    await table.start(params("big", ["head", "-c", String(TEN_MIB), "/dev/zero"]));
    await waitUntil(() => table.pausedProcessIds.includes("big"), 5_000, "the process to pause");
    await sleep(300);
    const pid = table.pidOf("big");
    assert.ok(pid !== undefined && alive(pid), "the child is blocked, not finished");
    assert.ok(seen.bytes < 1024 * 1024, `only what was read before the pause arrived: ${seen.bytes} bytes`);
    assert.deepEqual(seen.methods, []);
    flow.drain();
    const final = await waitClosed(table, "big");
    assert.equal(final.closed, true);
    assert.equal(seen.bytes, TEN_MIB);
    assert.deepEqual(seen.methods, ["process/exited", "process/closed"]);
    assert.deepEqual(table.pausedProcessIds, []);
  });

  it("pauses every process that writes while congested and resumes them all on one drain", async () => {
    const table = newTable();
    const flow = new FakeFlow();
    const { seen, sink } = countingSink();
    table.setSink(sink, flow);
    flow.isCongested = true;
    for (const id of ["a", "b", "c"]) await table.start(params(id, ["head", "-c", String(TEN_MIB), "/dev/zero"]));
    await waitUntil(() => table.pausedProcessIds.length === 3, 5_000, "all three processes to pause");
    flow.drain();
    await Promise.all(["a", "b", "c"].map((id) => waitClosed(table, id)));
    assert.equal(seen.bytes, 3 * TEN_MIB);
  });

  it("never pauses without a sink, and detaching the sink resumes a paused process at once", async () => {
    const table = newTable();
    const flow = new FakeFlow();
    flow.isCongested = true;
    table.setSink(null, flow);
    await table.start(params("detached", ["head", "-c", String(TEN_MIB), "/dev/zero"]));
    assert.equal((await waitClosed(table, "detached")).closed, true);
    assert.equal(flow.listenerCount, 0, "a detached table does not listen to the flow");

    const { sink } = countingSink();
    table.setSink(sink, flow);
    await table.start(params("paused", ["head", "-c", String(TEN_MIB), "/dev/zero"]));
    await waitUntil(() => table.pausedProcessIds.includes("paused"), 5_000, "the process to pause");
    table.setSink(null);
    assert.deepEqual(table.pausedProcessIds, []);
    assert.equal((await waitClosed(table, "paused")).closed, true, "closes while the flow is still congested");
  });

  it("reports exited then closed when a paused child that ignores SIGTERM is terminated", async () => {
    const table = newTable();
    const flow = new FakeFlow();
    const { seen, sink } = countingSink();
    table.setSink(sink, flow);
    flow.isCongested = true;
    // SIG_IGN survives exec, so only the SIGKILL escalation ends `head`.
    await table.start(params("stuck", ["sh", "-c", `trap '' TERM; exec head -c ${10 * TEN_MIB} /dev/zero`]));
    await waitUntil(() => table.pausedProcessIds.includes("stuck"), 5_000, "the process to pause");
    assert.deepEqual(table.terminate({ processId: "stuck" }), { running: true });
    const final = await waitClosed(table, "stuck", 5_000);
    assert.equal(final.exitCode, 137);
    assert.deepEqual(seen.methods, ["process/exited", "process/closed"]);
    assert.deepEqual(seen.exitCodes, [137]);
    assert.ok(flow.isCongested, "closed without the flow ever draining");
  });

  it("pauses a PTY child and still delivers the output of a child that exits while paused", async () => {
    const table = newTable();
    const flow = new FakeFlow();
    const chunks: string[] = [];
    table.setSink((method, p) => {
      if (method === "process/output") chunks.push(Buffer.from((p as { chunk: string }).chunk, "base64").toString("latin1"));
    }, flow);
    flow.isCongested = true;
    await table.start(params("pty", ["bash", "--norc", "--noprofile", "-c", "for i in $(seq 1 300); do echo line$i; done; sleep 0.4"], { tty: true }));
    await waitUntil(() => table.pausedProcessIds.includes("pty"), 5_000, "the PTY to pause");
    // The child finishes its 300 lines (they fit in the terminal buffer) and exits while still paused.
    const final = await waitClosed(table, "pty", 5_000);
    assert.equal(final.exitCode, 0);
    assert.match(chunks.join(""), /line300\r\n/);
    assert.ok(flow.isCongested, "delivered without the flow ever draining");
  });
});
