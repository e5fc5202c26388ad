import type { Check } from "../check.js";
import { expect } from "../check.js";
import { b64, describeError, expectOk, expectRpcError, show, unb64 } from "../expectations.js";
import { RpcError } from "../../rpc/rpc-error.js";
import { chunksText, cleanupTerminate, eventsOf, outputText, readUntil, start, startParams, waitClosed } from "./process-helpers.js";

/** How long a check watches for stray events after `process/closed`, in milliseconds. */
const AFTER_CLOSE_QUIET_MS = 150;

/** CONTRACT §3: processes, sequence numbers, read paging and long-poll, write, terminate. */
export function processChecks(): Check[] {
  return [
    {
      id: "process/seq-ordering",
      title: "output, exited and closed share one seq counter from 1 without gaps; exited precedes closed and closed is last",
      async run(ctx) {
        const conn = await ctx.openClient();
        const script = "printf one; sleep 0.05; printf two >&2; sleep 0.05; printf three";
        await start(conn, startParams(ctx, "seq", ["sh", "-c", script]));
        await waitClosed(conn, "seq");
        await ctx.sleep(AFTER_CLOSE_QUIET_MS);
        const events = eventsOf(conn.notifications, "seq");
        const seqs = events.map((event) => Number(event.params["seq"]));
        const exited = events.findIndex((event) => event.method === "process/exited");
        const closed = events.findIndex((event) => event.method === "process/closed");
        expect(exited >= 0, "no process/exited before process/closed");
        expect(exited < closed, `process/closed (seq ${show(seqs[closed])}) arrived before process/exited (seq ${show(seqs[exited])})`);
        expect(closed === events.length - 1, () => `events after process/closed: ${events.slice(closed + 1).map((e) => e.method).join(", ")}`);
        expect(events.filter((event) => event.method === "process/closed").length === 1, "process/closed was sent more than once");
        expect(seqs[0] === 1, `the first event's seq is ${show(seqs[0])}, expected 1 (events: ${show(seqs)})`);
        for (let i = 1; i < seqs.length; i++) {
          expect(seqs[i] === seqs[i - 1]! + 1, () => `seqs must increase by 1 in arrival order, got ${show(seqs)} (${events.map((e) => e.method).join(", ")})`);
        }
        expect(events[exited]!.params["exitCode"] === 0, `exitCode ${show(events[exited]!.params["exitCode"])}, expected 0`);
        expect(outputText(events, "stdout") === "onethree", `stdout was ${show(outputText(events, "stdout"))}, expected "onethree"`);
        expect(outputText(events, "stderr") === "two", `stderr was ${show(outputText(events, "stderr"))}, expected "two"`);

        const read = await expectOk(conn.client.process.read({ processId: "seq", afterSeq: 0 }), "process/read after close");
        const notified = events.filter((event) => event.method === "process/output").map((event) => Number(event.params["seq"]));
        expect(show(read.chunks.map((chunk) => chunk.seq)) === show(notified), () => `process/read chunk seqs ${show(read.chunks.map((c) => c.seq))} differ from process/output seqs ${show(notified)}`);
        expect(read.exited && read.closed && read.exitCode === 0, `process/read reports exited=${read.exited} closed=${read.closed} exitCode=${show(read.exitCode)}`);
      },
    },
    {
      id: "process/exit-code",
      title: "a non-zero exit status is reported by process/exited and process/read",
      async run(ctx) {
        const conn = await ctx.openClient();
        await start(conn, startParams(ctx, "exit3", ["sh", "-c", "exit 3"]));
        const events = await waitClosed(conn, "exit3");
        const exited = events.find((event) => event.method === "process/exited");
        expect(exited?.params["exitCode"] === 3, `process/exited exitCode ${show(exited?.params["exitCode"])}, expected 3`);
        const read = await expectOk(conn.client.process.read({ processId: "exit3" }), "process/read");
        expect(read.exitCode === 3 && read.exited, `process/read exited=${read.exited} exitCode=${show(read.exitCode)}, expected exited with 3`);
      },
    },
    {
      id: "process/tty-output",
      title: "a tty process reports its output on stream pty",
      async run(ctx) {
        const conn = await ctx.openClient();
        await start(conn, startParams(ctx, "tty", ["sh", "-c", "printf tty-ok"], { tty: true }));
        const events = await waitClosed(conn, "tty");
        const streams = [...new Set(events.filter((e) => e.method === "process/output").map((e) => String(e.params["stream"])))];
        expect(streams.length === 1 && streams[0] === "pty", `tty output streams ${show(streams)}, expected ["pty"]`);
        expect(outputText(events).includes("tty-ok"), `tty output ${show(outputText(events))} lacks "tty-ok"`);
      },
    },
    {
      id: "process/read-paging",
      title: "process/read honours afterSeq and maxBytes (first chunk always returned) and pages through all output",
      async run(ctx) {
        const conn = await ctx.openClient();
        await start(conn, startParams(ctx, "pages", ["sh", "-c", "printf aaaa; sleep 0.15; printf bbbb; sleep 0.15; printf cccc"]));
        await waitClosed(conn, "pages");
        const all = await expectOk(conn.client.process.read({ processId: "pages", afterSeq: 0 }), "process/read everything");
        expect(chunksText(all) === "aaaabbbbcccc", `all output read as ${show(chunksText(all))}, expected "aaaabbbbcccc"`);
        expect(all.chunks.length >= 2, `output arrived as ${all.chunks.length} chunk(s); paging needs at least 2 (writes were 150 ms apart)`);
        const lastSeq = all.chunks[all.chunks.length - 1]!.seq;
        expect(all.nextSeq > lastSeq, `nextSeq ${all.nextSeq} must exceed the last chunk's seq ${lastSeq}`);

        let afterSeq = 0;
        let text = "";
        for (let page = 0; ; page++) {
          expect(page <= all.chunks.length, `paging with maxBytes 1 did not end after ${page} pages`);
          const result = await expectOk(conn.client.process.read({ processId: "pages", afterSeq, maxBytes: 1 }), `process/read afterSeq ${afterSeq} maxBytes 1`);
          if (result.chunks.length === 0) break;
          expect(result.chunks.length === 1, `maxBytes 1 returned ${result.chunks.length} chunks; only the first chunk may exceed maxBytes`);
          const chunk = result.chunks[0]!;
          expect(chunk.seq > afterSeq, `afterSeq ${afterSeq} returned chunk seq ${chunk.seq}`);
          expect(result.nextSeq === chunk.seq + 1, `nextSeq ${result.nextSeq} after a page ending at seq ${chunk.seq}, expected ${chunk.seq + 1}`);
          text += unb64(chunk.chunk);
          afterSeq = result.nextSeq - 1;
        }
        expect(text === "aaaabbbbcccc", `paging with maxBytes 1 read ${show(text)}, expected "aaaabbbbcccc"`);

        const first = all.chunks[0]!;
        const second = all.chunks[1]!;
        const twoBytes = Buffer.from(first.chunk, "base64").length + Buffer.from(second.chunk, "base64").length;
        const two = await expectOk(conn.client.process.read({ processId: "pages", afterSeq: 0, maxBytes: twoBytes }), `process/read maxBytes ${twoBytes}`);
        expect(two.chunks.length === 2, `maxBytes ${twoBytes} (the first two chunks exactly) returned ${two.chunks.length} chunks, expected 2`);
        const skipFirst = await expectOk(conn.client.process.read({ processId: "pages", afterSeq: first.seq }), `process/read afterSeq ${first.seq}`);
        expect(skipFirst.chunks.every((chunk) => chunk.seq > first.seq) && skipFirst.chunks.length === all.chunks.length - 1, `afterSeq ${first.seq} returned seqs ${show(skipFirst.chunks.map((c) => c.seq))}`);
      },
    },
    {
      id: "process/read-long-poll",
      title: "process/read with waitMs waits for output, returns as soon as it arrives, and returns empty at the deadline",
      async run(ctx) {
        const conn = await ctx.openClient();
        try {
          await start(conn, startParams(ctx, "late", ["sh", "-c", "sleep 0.6; printf late"]));
          const t0 = ctx.clock.now();
          const immediate = await expectOk(conn.client.process.read({ processId: "late", waitMs: 0 }), "process/read waitMs 0");
          const immediateMs = ctx.clock.now() - t0;
          expect(immediate.chunks.length === 0 && immediateMs < 500, `waitMs 0 took ${Math.round(immediateMs)} ms and returned ${immediate.chunks.length} chunks before any output`);

          const t1 = ctx.clock.now();
          const polled = await expectOk(conn.client.process.read({ processId: "late", waitMs: 5000 }, { timeoutMs: 5000 + ctx.stepTimeoutMs }), "process/read waitMs 5000");
          const polledMs = ctx.clock.now() - t1;
          expect(chunksText(polled).includes("late"), `the long-poll returned ${show(chunksText(polled))} after ${Math.round(polledMs)} ms, expected "late"`);
          expect(polledMs >= 200, `the long-poll returned after ${Math.round(polledMs)} ms, before the output existed`);
          expect(polledMs < 4000, `the long-poll returned after ${Math.round(polledMs)} ms: it waited for the deadline instead of returning on output`);

          await start(conn, startParams(ctx, "quiet", ["sleep", "30"]));
          const t2 = ctx.clock.now();
          const quiet = await expectOk(conn.client.process.read({ processId: "quiet", waitMs: 400 }, { timeoutMs: 400 + ctx.stepTimeoutMs }), "process/read waitMs 400 on a silent process");
          const quietMs = ctx.clock.now() - t2;
          expect(quiet.chunks.length === 0 && !quiet.closed, `a silent process returned ${quiet.chunks.length} chunks, closed=${quiet.closed}`);
          expect(quietMs >= 300, `waitMs 400 on a silent process returned after ${Math.round(quietMs)} ms: it did not wait`);
        } finally {
          await cleanupTerminate(conn, "quiet");
        }
      },
    },
    {
      id: "process/write-statuses",
      title: "process/write answers accepted (pipeStdin), stdinClosed (no pipeStdin) and unknownProcess",
      async run(ctx) {
        const conn = await ctx.openClient();
        try {
          await start(conn, startParams(ctx, "cat", ["cat"], { pipeStdin: true }));
          let status = "starting";
          for (let attempt = 0; status === "starting" && attempt < 20; attempt++) {
            if (attempt > 0) await ctx.sleep(50);
            status = (await expectOk(conn.client.process.write({ processId: "cat", chunk: b64("ping\n") }), "process/write to cat")).status;
          }
          expect(status === "accepted", `write to a pipeStdin process answered ${show(status)}, expected "accepted"`);
          await readUntil(ctx, conn, "cat", (text) => text.includes("ping"));

          await start(conn, startParams(ctx, "nostdin", ["sleep", "30"]));
          const closed = await expectOk(conn.client.process.write({ processId: "nostdin", chunk: b64("x") }), "process/write without pipeStdin");
          expect(closed.status === "stdinClosed", `write to a process without pipeStdin answered ${show(closed.status)}, expected "stdinClosed"`);

          const unknown = await expectOk(conn.client.process.write({ processId: "no-such-process", chunk: b64("x") }), "process/write to an unknown id");
          expect(unknown.status === "unknownProcess", `write to an unknown id answered ${show(unknown.status)}, expected "unknownProcess"`);
        } finally {
          await cleanupTerminate(conn, "cat", "nostdin");
        }
      },
    },
    {
      id: "process/terminate",
      title: "terminate answers running:true, then exited and closed arrive; a second terminate answers running:false",
      async run(ctx) {
        const conn = await ctx.openClient();
        await start(conn, startParams(ctx, "victim", ["sleep", "30"]));
        const first = await expectOk(conn.client.process.terminate({ processId: "victim" }), "process/terminate");
        expect(first.running === true, `terminate of a running process answered ${show(first)}, expected {running: true}`);
        const events = await waitClosed(conn, "victim");
        const exited = events.findIndex((event) => event.method === "process/exited");
        const closed = events.findIndex((event) => event.method === "process/closed");
        expect(exited >= 0 && exited < closed, `events after terminate: ${events.map((e) => e.method).join(", ")}; expected exited then closed`);
        ctx.variant("signalExitCode", String(events[exited]!.params["exitCode"]));
        const read = await expectOk(conn.client.process.read({ processId: "victim" }), "process/read after terminate");
        expect(read.exited && read.closed, `process/read after terminate: exited=${read.exited} closed=${read.closed}`);
        const second = await expectOk(conn.client.process.terminate({ processId: "victim" }), "second process/terminate");
        expect(second.running === false, `terminate of an exited process answered ${show(second)}, expected {running: false}`);
      },
    },
    {
      id: "process/duplicate-id",
      title: "starting a live process id again fails -32600; of two concurrent duplicate starts exactly one succeeds",
      async run(ctx) {
        const conn = await ctx.openClient();
        try {
          await start(conn, startParams(ctx, "dup", ["sleep", "30"]));
          await expectRpcError(conn.client.process.start(startParams(ctx, "dup", ["sleep", "30"])), -32600, "second process/start of dup", "already exists");
          const outcomes = await Promise.allSettled([
            conn.client.process.start(startParams(ctx, "race", ["sleep", "30"])),
            conn.client.process.start(startParams(ctx, "race", ["sleep", "30"])),
          ]);
          const ok = outcomes.filter((outcome) => outcome.status === "fulfilled").length;
          const refused = outcomes.filter((o) => o.status === "rejected" && o.reason instanceof RpcError && o.reason.code === -32600).length;
          expect(ok === 1 && refused === 1, () => `concurrent duplicate starts: ${outcomes.map((o) => (o.status === "fulfilled" ? "ok" : describeError(o.reason))).join(" / ")}; expected one ok and one -32600`);
        } finally {
          await cleanupTerminate(conn, "dup", "race");
        }
      },
    },
    {
      id: "process/spawn-failure",
      title: "a missing program fails -32603 with the OS error and releases the id",
      async run(ctx) {
        const conn = await ctx.openClient();
        const missing = `${ctx.scratchDir}/no-such-program`;
        await expectRpcError(conn.client.process.start(startParams(ctx, "ghost", [missing])), -32603, "process/start of a missing program", /ENOENT|no such file|not found/i);
        await start(conn, startParams(ctx, "ghost", ["true"]));
        await waitClosed(conn, "ghost");
      },
    },
    {
      id: "process/invalid-params",
      title: "empty argv fails -32602 naming argv; reading an unknown id fails -32600",
      async run(ctx) {
        const conn = await ctx.openClient();
        await expectRpcError(conn.client.process.start(startParams(ctx, "empty", [])), -32602, "process/start with argv []", "argv");
        await expectRpcError(conn.client.process.read({ processId: "no-such-process" }), -32600, "process/read of an unknown id", "unknown process");
      },
    },
  ];
}

