import assert from "node:assert/strict";
import { after, describe, it } from "node:test";
import { ErrorCode, RpcError } from "../../../src/rpc/rpc-error.js";
import { ProcessTable } from "../../../src/server/process/process-table.js";
import type { ProcessTableOptions } from "../../../src/server/process/process-table-options.js";
import type { ProcessStartParams } from "../../../src/server/process/types.js";
import {
  CHILD_PATH,
  ManualTimers,
  b64,
  groupIsGone,
  readUntil,
  recordNotifications,
  text,
  waitClosed,
} from "./helpers.js";
import { waitUntil } from "../../helpers/wait.js";

const tables: ProcessTable[] = [];

/** A table disposed (every child killed and awaited) after the suite. */
function newTable(options: ProcessTableOptions = {}): ProcessTable {
  const table = new ProcessTable({ terminateGraceMs: 300, ...options });
  tables.push(table);
  return table;
}

function params(processId: string, argv: string[], extra: Partial<ProcessStartParams> = {}): ProcessStartParams {
  return { processId, argv, cwd: "/tmp", env: { PATH: CHILD_PATH }, tty: false, ...extra };
}

function rpcError(code: number, message: string | RegExp) {
  return (error: unknown): boolean => {
    assert.ok(error instanceof RpcError, `expected RpcError, got ${String(error)}`);
    assert.equal(error.code, code);
    if (typeof message === "string") assert.equal(error.message, message);
    else assert.match(error.message, message);
    return true;
  };
}

after(async () => {
  await Promise.all(tables.map((table) => table.dispose()));
});

describe("ProcessTable with a PTY", () => {
  it("echoes written lines and reports exit then close with increasing seqs after terminate", async () => {
    const table = newTable();
    const notifications = recordNotifications(table);
    await table.start(
      params("pty", ["bash", "--norc", "--noprofile", "-c", 'echo ready; while read l; do echo "got:$l"; done'], { tty: true }),
    );
    const ready = await readUntil(table, "pty", "ready");
    assert.deepEqual(await table.write({ processId: "pty", chunk: b64("hello\n") }), { status: "accepted" });
    await readUntil(table, "pty", "got:hello", ready.afterSeq);
    assert.deepEqual(table.terminate({ processId: "pty" }), { running: true });
    const final = await waitClosed(table, "pty");
    assert.equal(final.exited, true);
    assert.equal(final.closed, true);
    assert.ok(final.chunks.every((c) => c.stream === "pty"));

    const seqs = notifications.map((n) => n.params.seq);
    assert.deepEqual(seqs, seqs.map((_, i) => i + 1), "one counter from 1 shared by every event");
    const methods = notifications.map((n) => n.method);
    assert.equal(methods.at(-1), "process/closed");
    assert.equal(methods.at(-2), "process/exited");
    assert.equal(methods.filter((m) => m === "process/exited").length, 1);
    const lastChunkSeq = final.chunks.at(-1)?.seq ?? 0;
    assert.equal(final.nextSeq, seqs.length + 1, "a full read's nextSeq is the next unused seq, past exit and close");
    const page = await table.read({ processId: "pty", maxBytes: 1 });
    assert.equal(page.nextSeq, (page.chunks.at(-1)?.seq ?? 0) + 1, "a page (maxBytes) continues after its last chunk");
    const tail = await table.read({ processId: "pty", afterSeq: lastChunkSeq, maxBytes: 1 });
    assert.equal(tail.nextSeq, seqs.length + 1, "a page past the last chunk: the next unused seq");
  });

  it("kills an interactive bash that ignores SIGTERM, together with its jobs", async () => {
    const table = newTable({ terminateGraceMs: 200 });
    await table.start(params("sh", ["bash", "--norc", "--noprofile", "-i"], { tty: true, env: { PATH: CHILD_PATH, PS1: "$ " } }));
    await table.write({ processId: "sh", chunk: b64("sleep 300 &\necho started-$((20+22))\n") });
    await readUntil(table, "sh", "started-42");
    const pid = table.pidOf("sh");
    assert.ok(pid !== undefined);
    assert.deepEqual(table.terminate({ processId: "sh" }), { running: true });
    const final = await waitClosed(table, "sh");
    assert.equal(final.exitCode, 128 + 9, "bash ignores SIGTERM, so SIGKILL ends it");
    // The background job runs in its own process group inside the terminal's session.
    await waitUntil(() => groupIsGone(pid), 10_000, "the terminal's process groups to be gone");
  });

  it("passes arg0 as the program's argv[0]", async () => {
    const table = newTable();
    await table.start(params("a0", ["cat", "/proc/self/cmdline"], { tty: true, arg0: "custom-name" }));
    const { output } = await readUntil(table, "a0", "cmdline");
    assert.equal(output, "custom-name\0/proc/self/cmdline\0");
  });
});

describe("ProcessTable with pipes", () => {
  it("reports stdout and stderr chunks with their streams and the exit code", async () => {
    const table = newTable();
    const notifications = recordNotifications(table);
    await table.start(params("p", ["bash", "-c", "echo out; sleep 0.1; echo err >&2; exit 7"]));
    const final = await waitClosed(table, "p");
    assert.deepEqual(
      final.chunks.map((c) => [c.stream, text(c.chunk)]),
      [
        ["stdout", "out\n"],
        ["stderr", "err\n"],
      ],
    );
    assert.equal(final.exitCode, 7);
    assert.equal(final.failure, null);
    assert.equal(notifications.at(-1)?.method, "process/closed");
    assert.deepEqual(
      notifications.map((n) => n.params.seq),
      [1, 2, 3, 4],
    );
  });

  it("reports 128 + signal number for a signalled process", async () => {
    const table = newTable();
    await table.start(params("sig", ["bash", "-c", "kill -TERM $$"]));
    assert.equal((await waitClosed(table, "sig")).exitCode, 143);
  });

  it("forwards writes to stdin when pipeStdin is true", async () => {
    const table = newTable();
    await table.start(params("cat", ["cat"], { pipeStdin: true }));
    assert.deepEqual(await table.write({ processId: "cat", chunk: b64("ping\n") }), { status: "accepted" });
    await readUntil(table, "cat", "ping\n");
    table.terminate({ processId: "cat" });
    await waitClosed(table, "cat");
    await assert.rejects(table.write({ processId: "cat", chunk: b64("late\n"), writeId: "w-late" }), rpcError(ErrorCode.Internal, "failed to write to process stdin"));
  });

  it("fails a write after a natural exit too, and keeps stdinClosed for a running child that closed its input", async () => {
    const table = newTable();
    await table.start(params("done", ["true"], { pipeStdin: true }));
    await waitClosed(table, "done");
    await assert.rejects(table.write({ processId: "done", chunk: b64("x") }), rpcError(ErrorCode.Internal, "failed to write to process stdin"));
    await table.start(params("shut", ["sh", "-c", "exec 0<&-; echo closed; sleep 30"], { pipeStdin: true }));
    await readUntil(table, "shut", "closed");
    // The first write after the child closed its end may still be taken by the pipe (EPIPE arrives asynchronously).
    let status = "accepted";
    for (let i = 0; i < 50 && status === "accepted"; i++) {
      status = (await table.write({ processId: "shut", chunk: b64("x") })).status;
      if (status === "accepted") await new Promise((r) => setTimeout(r, 20));
    }
    assert.equal(status, "stdinClosed");
    table.terminate({ processId: "shut" });
  });

  it("refuses an empty writeId and invalid base64 with -32602", async () => {
    const table = newTable();
    await table.start(params("ids", ["cat"], { pipeStdin: true }));
    await assert.rejects(table.write({ processId: "ids", chunk: b64("x"), writeId: "" }), rpcError(ErrorCode.InvalidParams, "writeId must not be empty"));
    await assert.rejects(table.write({ processId: "ids", chunk: "aGk", writeId: "w" }), rpcError(ErrorCode.InvalidParams, /base64/));
    table.terminate({ processId: "ids" });
  });

  it("interrupts with SIGINT (exit 130) and answers {} for unknown and exited processes", async () => {
    const table = newTable();
    await table.start(params("int", ["sleep", "30"]));
    assert.deepEqual(table.signal({ processId: "int", signal: "interrupt" }), {});
    assert.equal((await waitClosed(table, "int")).exitCode, 130);
    assert.deepEqual(table.signal({ processId: "int", signal: "interrupt" }), {});
    assert.deepEqual(table.signal({ processId: "nobody", signal: "interrupt" }), {});
  });

  it("interrupts a shell's foreground job through the whole session", async () => {
    const table = newTable();
    await table.start(params("trap", ["bash", "-c", "trap 'echo caught; exit 5' INT; echo ready; sleep 30; echo unreachable"]));
    await readUntil(table, "trap", "ready");
    table.signal({ processId: "trap", signal: "interrupt" });
    const final = await waitClosed(table, "trap");
    assert.equal(final.exitCode, 5);
    assert.match(final.chunks.map((c) => text(c.chunk)).join(""), /caught/);
  });

  it("closes stdin when pipeStdin is false", async () => {
    const table = newTable();
    await table.start(params("nostdin", ["bash", "-c", "sleep 0.2; cat; echo eof"]));
    assert.deepEqual(await table.write({ processId: "nostdin", chunk: b64("x") }), { status: "stdinClosed" });
    const final = await waitClosed(table, "nostdin");
    assert.equal(final.chunks.map((c) => text(c.chunk)).join(""), "eof\n");
    assert.equal(final.exitCode, 0);
  });

  it("passes arg0 as the program's argv[0]", async () => {
    const table = newTable();
    await table.start(params("a0p", ["cat", "/proc/self/cmdline"], { arg0: "other" }));
    const final = await waitClosed(table, "a0p");
    assert.equal(final.chunks.map((c) => text(c.chunk)).join(""), "other\0/proc/self/cmdline\0");
  });
});

/** Starts `cat` and makes it echo each piece as its own chunk (waiting for each echo). */
async function catWithChunks(table: ProcessTable, processId: string, pieces: string[]): Promise<void> {
  await table.start(params(processId, ["cat"], { pipeStdin: true }));
  let afterSeq = 0;
  for (const piece of pieces) {
    await table.write({ processId, chunk: b64(piece) });
    afterSeq = (await readUntil(table, processId, piece, afterSeq)).afterSeq;
  }
}

describe("ProcessTable stdin backpressure", () => {
  it("answers process/write only once a child that does not read has drained below maxStdinBufferedBytes", async () => {
    const table = newTable({ maxStdinBufferedBytes: 2 * 1024 * 1024 });
    await table.start(params("deaf", ["sleep", "30"], { pipeStdin: true }));
    const mebibyte = Buffer.alloc(1024 * 1024, 120).toString("base64");
    let pending: Promise<unknown> | undefined;
    let answered = 0;
    for (let i = 0; i < 8 && pending === undefined; i++) {
      const write = table.write({ processId: "deaf", chunk: mebibyte }).then(() => answered++);
      const settledQuickly = await Promise.race([write.then(() => true), new Promise((resolve) => setTimeout(() => resolve(false), 300))]);
      if (!settledQuickly) pending = write;
    }
    assert.ok(pending !== undefined, "a write waits once the buffer is over the limit");
    assert.ok(answered >= 2 && answered <= 4, `writes answered before the limit: ${answered}`);
    table.terminate({ processId: "deaf" });
    await pending;
    await waitClosed(table, "deaf");
  });
});

describe("ProcessTable reads", () => {
  it("clamps a huge waitMs to maxReadWaitMs instead of overflowing the timer", async () => {
    const table = newTable({ maxReadWaitMs: 300 });
    await table.start(params("sleeper", ["sleep", "5"]));
    const started = Date.now();
    const result = await table.read({ processId: "sleeper", waitMs: 1e12 });
    const elapsed = Date.now() - started;
    assert.deepEqual(result.chunks, []);
    assert.ok(elapsed >= 250, `waited ${elapsed} ms, not a timer that fired at once`);
    assert.ok(elapsed < 10_000, `waited ${elapsed} ms, clamped (the default limit is 300 s)`);
    table.terminate({ processId: "sleeper" });
  });

  it("refuses timer options beyond what Node timers can hold", () => {
    assert.throws(() => new ProcessTable({ retentionAfterCloseMs: 2 ** 31 }), rpcError(ErrorCode.InvalidParams, /retentionAfterCloseMs must be at most 2147483647 ms/));
  });

  it("pages with afterSeq and nextSeq", async () => {
    const table = newTable();
    await catWithChunks(table, "page", ["aaaa", "bbbb", "cccc"]);
    const all = await table.read({ processId: "page" });
    assert.deepEqual(all.chunks.map((c) => [c.seq, text(c.chunk)]), [
      [1, "aaaa"],
      [2, "bbbb"],
      [3, "cccc"],
    ]);
    assert.equal(all.nextSeq, 4);
    const rest = await table.read({ processId: "page", afterSeq: 1 });
    assert.deepEqual(rest.chunks.map((c) => c.seq), [2, 3]);
    const none = await table.read({ processId: "page", afterSeq: 3 });
    assert.deepEqual(none.chunks, []);
    assert.equal(none.nextSeq, 4, "the next unused seq when nothing is returned");
    assert.equal(none.exited, false);
  });

  it("returns the first chunk regardless of maxBytes and further ones within it", async () => {
    const table = newTable();
    await catWithChunks(table, "max", ["aaaa", "bbbb", "cccc"]);
    const one = await table.read({ processId: "max", maxBytes: 1 });
    assert.deepEqual(one.chunks.map((c) => c.seq), [1]);
    assert.equal(one.nextSeq, 2);
    const two = await table.read({ processId: "max", maxBytes: 8 });
    assert.deepEqual(two.chunks.map((c) => c.seq), [1, 2]);
    assert.equal(two.nextSeq, 3);
  });

  it("times out a long-poll with no output", async () => {
    const table = newTable();
    await table.start(params("quiet", ["sleep", "30"]));
    const started = Date.now();
    const result = await table.read({ processId: "quiet", waitMs: 200 });
    assert.ok(Date.now() - started >= 180, "waited roughly waitMs");
    assert.deepEqual(result.chunks, []);
    assert.equal(result.nextSeq, 1);
    assert.equal(result.exited, false);
  });

  it("wakes a long-poll when output arrives and serves other calls meanwhile", async () => {
    const table = newTable();
    await table.start(params("wake", ["cat"], { pipeStdin: true }));
    const started = Date.now();
    const pending = table.read({ processId: "wake", waitMs: 20_000 });
    const other = await table.read({ processId: "wake" });
    assert.deepEqual(other.chunks, [], "a concurrent read is answered while the long-poll waits");
    await table.write({ processId: "wake", chunk: b64("now") });
    const result = await pending;
    assert.ok(Date.now() - started < 10_000);
    assert.equal(text(result.chunks[0]?.chunk ?? ""), "now");
  });

  it("returns a long-poll at once when an unseen exit exists", async () => {
    const table = newTable();
    await table.start(params("ex", ["bash", "-c", "exit 4"]));
    await waitClosed(table, "ex");
    const started = Date.now();
    const result = await table.read({ processId: "ex", afterSeq: 0, waitMs: 20_000 });
    assert.ok(Date.now() - started < 1_000);
    assert.equal(result.exitCode, 4);
    assert.equal(result.nextSeq, 3, "exit took seq 1 and close seq 2");
  });

  it("reports evicted unseen output through truncated and droppedBytes", async () => {
    const table = newTable({ maxRetainedBytes: 10 });
    await catWithChunks(table, "evict", ["111111", "222222", "333333"]);
    const fromStart = await table.read({ processId: "evict" });
    assert.deepEqual(fromStart.chunks.map((c) => [c.seq, text(c.chunk)]), [[3, "333333"]]);
    assert.equal(fromStart.truncated, true);
    assert.equal(fromStart.droppedBytes, 12);
    const afterFirst = await table.read({ processId: "evict", afterSeq: 1 });
    assert.equal(afterFirst.droppedBytes, 6);
    const caughtUp = await table.read({ processId: "evict", afterSeq: 2 });
    assert.equal(caughtUp.truncated, false);
    assert.equal(caughtUp.droppedBytes, 0);
  });

  it("retains output while no sink is attached and delivers later events to a new sink", async () => {
    const table = newTable();
    table.setSink(null);
    await catWithChunks(table, "detached", ["kept"]);
    const notifications = recordNotifications(table);
    await table.write({ processId: "detached", chunk: b64("live") });
    await readUntil(table, "detached", "live", 1);
    assert.equal(text((await table.read({ processId: "detached" })).chunks[0]?.chunk ?? ""), "kept");
    assert.deepEqual(notifications.map((n) => [n.method, n.params.seq]), [["process/output", 2]]);
  });
});

describe("ProcessTable errors and ids", () => {
  it("rejects an empty argv, a relative cwd and an unknown id", async () => {
    const table = newTable();
    await assert.rejects(table.start(params("e", [])), rpcError(ErrorCode.InvalidParams, "argv must not be empty"));
    await assert.rejects(table.start(params("e", ["true"], { cwd: "tmp" })), rpcError(ErrorCode.InvalidParams, /cwd must be an absolute path/));
    await assert.rejects(table.read({ processId: "nope" }), rpcError(ErrorCode.InvalidRequest, "unknown process id nope"));
    assert.deepEqual(await table.write({ processId: "nope", chunk: b64("x") }), { status: "unknownProcess" });
    assert.deepEqual(table.terminate({ processId: "nope" }), { running: false });
    await assert.rejects(table.write({ processId: "nope", chunk: "not base64!" }), rpcError(ErrorCode.InvalidParams, /base64/));
  });

  it("fails a start with the OS error and releases the id", async () => {
    const table = newTable();
    for (const tty of [false, true]) {
      await assert.rejects(
        table.start(params("missing", ["definitely-not-a-program-xyz"], { tty })),
        rpcError(ErrorCode.Internal, /ENOENT/),
      );
      assert.deepEqual(table.processIds, []);
    }
    await assert.rejects(table.start(params("missing", ["true"], { cwd: "/nonexistent-dir-xyz" })), rpcError(ErrorCode.Internal, /ENOENT/));
    await table.start(params("missing", ["true"]));
    assert.equal((await waitClosed(table, "missing")).exitCode, 0);
  });

  it("lets exactly one of two concurrent starts with the same id win", async () => {
    const table = newTable();
    const results = await Promise.allSettled([
      table.start(params("dup", ["sleep", "30"])),
      table.start(params("dup", ["sleep", "30"])),
    ]);
    assert.equal(results.filter((r) => r.status === "fulfilled").length, 1);
    const rejected = results.find((r) => r.status === "rejected");
    assert.ok(rejected?.status === "rejected");
    rpcError(ErrorCode.InvalidRequest, "process dup already exists")(rejected.reason);
  });

  it("answers starting to a write that arrives while the process is spawning", async () => {
    const table = newTable();
    const starting = table.start(params("early", ["cat"], { pipeStdin: true }));
    assert.deepEqual(await table.write({ processId: "early", chunk: b64("x") }), { status: "starting" });
    await starting;
    assert.deepEqual(await table.write({ processId: "early", chunk: b64("x") }), { status: "accepted" });
  });

  it("keeps a closed id for the retention period, then releases it", async () => {
    const timers = new ManualTimers();
    const table = newTable({ timers, retentionAfterCloseMs: 5_000 });
    await table.start(params("kept", ["bash", "-c", "echo bye"]));
    await waitClosed(table, "kept");
    await assert.rejects(table.start(params("kept", ["true"])), rpcError(ErrorCode.InvalidRequest, "process kept already exists"));
    timers.advance(4_999);
    assert.equal(text((await table.read({ processId: "kept" })).chunks[0]?.chunk ?? ""), "bye\n");
    timers.advance(1);
    await assert.rejects(table.read({ processId: "kept" }), rpcError(ErrorCode.InvalidRequest, "unknown process id kept"));
    await table.start(params("kept", ["true"]));
  });

  it("refuses starts beyond maxProcesses with a clear error", async () => {
    const table = newTable({ maxProcesses: 1 });
    await table.start(params("one", ["sleep", "30"]));
    await assert.rejects(table.start(params("two", ["sleep", "30"])), rpcError(ErrorCode.InvalidRequest, /limit 1/));
  });
});

describe("ProcessTable environment", () => {
  it("gives the child exactly env when there is no policy", async () => {
    const table = newTable();
    await table.start(params("env", ["/usr/bin/env"], { env: { ONLY: "this" } }));
    const final = await waitClosed(table, "env");
    assert.equal(final.chunks.map((c) => text(c.chunk)).join(""), "ONLY=this\n");
  });

  it("applies envPolicy to the server environment and overlays env", async () => {
    const table = newTable({ baseEnv: { PATH: CHILD_PATH, HOME: "/h", SECRET_THING: "x", OTHER: "o" } });
    await table.start(
      params("policy", ["/usr/bin/env"], { env: { EXTRA: "e" }, envPolicy: { inherit: "all", exclude: ["oth*"], set: { S: "s" } } }),
    );
    const final = await waitClosed(table, "policy");
    const lines = final.chunks.map((c) => text(c.chunk)).join("").trim().split("\n").sort();
    assert.deepEqual(lines, ["EXTRA=e", "HOME=/h", `PATH=${CHILD_PATH}`, "S=s"]);
  });
});

describe("ProcessTable termination", () => {
  it("terminateAll leaves no process behind, including descendants and TERM-ignoring children", async () => {
    const table = newTable({ terminateGraceMs: 200 });
    await table.start(params("tree", ["bash", "-c", "sleep 300 & sleep 300 & echo up; wait"]));
    await table.start(params("stubborn", ["bash", "-c", "trap '' TERM; echo up; while :; do sleep 1; done"]));
    await table.start(params("leftover", ["bash", "-c", "sleep 300 & echo up"]));
    await table.start(params("shell", ["bash", "--norc", "--noprofile", "-i"], { tty: true }));
    for (const id of ["tree", "stubborn", "leftover"]) await readUntil(table, id, "up");
    const pids = ["tree", "stubborn", "leftover", "shell"].map((id) => table.pidOf(id));
    assert.ok(pids.every((pid) => pid !== undefined));
    await table.terminateAll();
    for (const pid of pids) assert.equal(groupIsGone(pid!), true, `process group ${pid} is gone`);
    for (const id of ["tree", "stubborn", "leftover", "shell"]) assert.equal((await table.read({ processId: id })).closed, true);
  });

  it("reports running false for a process that already exited", async () => {
    const table = newTable();
    await table.start(params("done", ["true"]));
    await waitClosed(table, "done");
    assert.deepEqual(table.terminate({ processId: "done" }), { running: false });
  });

  it("refuses new starts and answers pending long-polls once disposed", async () => {
    const table = new ProcessTable({ terminateGraceMs: 200 });
    await table.start(params("d", ["sleep", "30"]));
    const started = Date.now();
    const pending = table.read({ processId: "d", waitMs: 20_000 });
    const pid = table.pidOf("d")!;
    await table.dispose();
    const result = await pending;
    assert.ok(Date.now() - started < 10_000, "the long-poll did not run to its deadline");
    assert.deepEqual(result.chunks, []);
    assert.equal(groupIsGone(pid), true);
    await assert.rejects(table.start(params("d2", ["true"])), rpcError(ErrorCode.InvalidRequest, /shut down/));
  });
});
