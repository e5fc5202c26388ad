import type { Check } from "../../check.js";
import { expect } from "../../check.js";
import { b64, show, unb64 } from "../../expectations.js";
import { CodexPeer, expectCodexError } from "../codex-peer.js";
import { uriJoin } from "../fs-steps.js";
import {
  chunksText,
  cleanupTerminate,
  eventsOf,
  expectExitedThenClosed,
  outputText,
  start,
  startParams,
  waitClosed,
  waitExited,
  waitOutput,
} from "../process-steps.js";

/** How long a check watches for stray notifications after `process/closed`, in milliseconds. */
const AFTER_CLOSE_QUIET_MS = 150;
/** A UUID for `metadata.threadId` (upstream decodes it as a thread id, so it must be one). */
const THREAD_ID = "0a9b094a-b9c0-4962-b294-32cd5ac0dc2c";

/** UPSTREAM-0.169 §2.5–2.9: start, notifications, read, write, signal, terminate. */
export function processChecks(): Check[] {
  return [
    {
      id: "process/start-result",
      title: "process/start answers {processId, sandboxType: \"none\"} and accepts metadata, arg0 omitted or null, null sandbox/envPolicy and managedNetwork",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const plain = await start(peer, startParams(ctx, "plain", ["true"]));
        expect(plain["processId"] === "plain" && plain["sandboxType"] === "none", `process/start answered ${show(plain)}, expected {processId: "plain", sandboxType: "none"}`);
        const full = await start(
          peer,
          startParams(ctx, "full", ["true"], {
            metadata: { threadId: THREAD_ID, toolCallId: "call-1" },
            arg0: null,
            envPolicy: null,
            sandbox: null,
            pipeStdin: false,
            enforceManagedNetwork: false,
            managedNetwork: { loopbackPorts: [], allowLocalBinding: false },
          }),
        );
        expect(full["processId"] === "full" && full["sandboxType"] === "none", `process/start with every optional member answered ${show(full)}`);
        await waitClosed(peer, "full");
      },
    },
    {
      id: "process/notifications",
      title: "output, exited and closed share one seq counter from 1; stderr and stdout are separate; exited {exitCode 3, sandboxDenied false} precedes a final closed",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        await start(peer, startParams(ctx, "seq", ["sh", "-c", "printf err >&2; sleep 0.1; printf out; exit 3"]));
        await waitClosed(peer, "seq");
        await ctx.sleep(AFTER_CLOSE_QUIET_MS);
        const events = eventsOf(peer, "seq");
        expectExitedThenClosed(events, "seq");
        const seqs = events.map((event) => event.params["seq"]);
        expect(show(seqs) === show(events.map((_event, i) => i + 1)), () => `seqs in arrival order are ${show(seqs)} (${events.map((e) => e.method).join(", ")}), expected 1, 2, 3, ...`);
        const exited = events.find((event) => event.method === "process/exited")!;
        expect(exited.params["exitCode"] === 3, `process/exited exitCode ${show(exited.params["exitCode"])}, expected 3`);
        expect(exited.params["sandboxDenied"] === false, `process/exited sandboxDenied ${show(exited.params["sandboxDenied"])}, expected false`);
        expect(outputText(events, "stderr") === "err", `stderr was ${show(outputText(events, "stderr"))}, expected "err"`);
        expect(outputText(events, "stdout") === "out", `stdout was ${show(outputText(events, "stdout"))}, expected "out"`);
      },
    },
    {
      id: "process/read-after-close",
      title: "process/read after close returns the notified chunks, nextSeq past closed, exited, exitCode, closed, failure null, sandboxDenied false",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        await start(peer, startParams(ctx, "done", ["sh", "-c", "printf err >&2; sleep 0.1; printf out; exit 3"]));
        const events = await waitClosed(peer, "done");
        const read = await peer.call("process/read", { processId: "done" });
        const chunkSeqs = (read["chunks"] as Array<{ seq: number }>).map((chunk) => chunk.seq);
        const notified = events.filter((event) => event.method === "process/output").map((event) => event.params["seq"]);
        expect(show(chunkSeqs) === show(notified), `process/read chunk seqs ${show(chunkSeqs)} differ from process/output seqs ${show(notified)}`);
        expect(chunksText(read) === "errout", `process/read returned ${show(chunksText(read))}, expected "errout"`);
        const closedSeq = events.find((event) => event.method === "process/closed")!.params["seq"] as number;
        expect(read["nextSeq"] === closedSeq + 1, `nextSeq ${show(read["nextSeq"])}, expected ${closedSeq + 1} (one past process/closed's seq)`);
        expect(read["exited"] === true && read["exitCode"] === 3 && read["closed"] === true, `process/read reports exited=${show(read["exited"])} exitCode=${show(read["exitCode"])} closed=${show(read["closed"])}`);
        expect(read["failure"] === null && read["sandboxDenied"] === false, `process/read failure=${show(read["failure"])} sandboxDenied=${show(read["sandboxDenied"])}, expected null and false`);
      },
    },
    {
      id: "process/read-paging",
      title: "process/read honours afterSeq and maxBytes (the first chunk always returned; nextSeq = last returned seq + 1)",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        await start(peer, startParams(ctx, "pages", ["sh", "-c", "printf aaaa; sleep 0.15; printf bbbb; sleep 0.15; printf cccc"]));
        await waitClosed(peer, "pages");
        const all = await peer.call("process/read", { processId: "pages", afterSeq: 0 });
        const chunks = all["chunks"] as Array<{ seq: number; chunk: string }>;
        expect(chunksText(all) === "aaaabbbbcccc", `all output read as ${show(chunksText(all))}`);
        expect(chunks.length >= 2, `output arrived as ${chunks.length} chunk(s); paging needs at least 2 (writes were 150 ms apart)`);
        let afterSeq = 0;
        let text = "";
        for (let page = 0; ; page++) {
          expect(page <= chunks.length, `paging with maxBytes 1 did not end after ${page} pages`);
          const result = await peer.call("process/read", { processId: "pages", afterSeq, maxBytes: 1 }, { what: `process/read afterSeq ${afterSeq} maxBytes 1` });
          const got = result["chunks"] as Array<{ seq: number; chunk: string }>;
          if (got.length === 0) break;
          expect(got.length === 1, `maxBytes 1 returned ${got.length} chunks; only the first chunk may exceed maxBytes`);
          expect(got[0]!.seq > afterSeq, `afterSeq ${afterSeq} returned chunk seq ${got[0]!.seq}`);
          expect(result["nextSeq"] === got[0]!.seq + 1, `nextSeq ${show(result["nextSeq"])} after a page ending at seq ${got[0]!.seq}, expected ${got[0]!.seq + 1}`);
          text += unb64(got[0]!.chunk);
          afterSeq = got[0]!.seq;
        }
        expect(text === "aaaabbbbcccc", `paging with maxBytes 1 read ${show(text)}`);
        const twoBytes = Buffer.from(chunks[0]!.chunk, "base64").length + Buffer.from(chunks[1]!.chunk, "base64").length;
        const two = await peer.call("process/read", { processId: "pages", maxBytes: twoBytes });
        expect((two["chunks"] as unknown[]).length === 2, `maxBytes ${twoBytes} (the first two chunks exactly) returned ${(two["chunks"] as unknown[]).length} chunks, expected 2`);
        const skipFirst = await peer.call("process/read", { processId: "pages", afterSeq: chunks[0]!.seq });
        const skipped = (skipFirst["chunks"] as Array<{ seq: number }>).map((chunk) => chunk.seq);
        expect(show(skipped) === show(chunks.slice(1).map((chunk) => chunk.seq)), `afterSeq ${chunks[0]!.seq} returned seqs ${show(skipped)}`);
      },
    },
    {
      id: "process/read-long-poll",
      title: "process/read waitMs waits for output and returns as soon as it arrives; on a silent process it returns empty after the wait",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        try {
          await start(peer, startParams(ctx, "late", ["sh", "-c", "sleep 0.6; printf late"]));
          const t0 = ctx.clock.now();
          const immediate = await peer.call("process/read", { processId: "late", waitMs: 0 });
          expect((immediate["chunks"] as unknown[]).length === 0 && ctx.clock.now() - t0 < 1_500, `waitMs 0 took ${Math.round(ctx.clock.now() - t0)} ms and returned ${show(immediate["chunks"])}`);
          const t1 = ctx.clock.now();
          const polled = await peer.call("process/read", { processId: "late", waitMs: 5000 }, { timeoutMs: 5000 + ctx.stepTimeoutMs });
          const polledMs = ctx.clock.now() - t1;
          // The poll wakes on the process's first activity: normally the output, but the exit can be
          // seen before the pipe's last bytes are read (upstream does this under load). Then the output
          // must follow on the next reads, before the process is closed.
          let seen = chunksText(polled);
          let next = polled;
          for (let round = 0; !seen.includes("late") && next["closed"] !== true && round < 20; round++) {
            next = await peer.call("process/read", { processId: "late", afterSeq: Number(next["nextSeq"]) - 1, waitMs: 1000 }, { timeoutMs: 1000 + ctx.stepTimeoutMs });
            seen += chunksText(next);
          }
          expect(
            chunksText(polled).includes("late") || (polled["exited"] === true && seen.includes("late")),
            `the long-poll returned ${show(chunksText(polled))} (exited ${show(polled["exited"])}) after ${Math.round(polledMs)} ms, expected "late" or the exit with "late" on the next reads (they gave ${show(seen)})`,
          );
          expect(polledMs >= 200, `the long-poll returned after ${Math.round(polledMs)} ms, before the output existed`);
          expect(polledMs < 4000, `the long-poll returned after ${Math.round(polledMs)} ms: it waited for the deadline instead of returning on output`);
          await start(peer, startParams(ctx, "quiet", ["sleep", "30"]));
          const t2 = ctx.clock.now();
          const quiet = await peer.call("process/read", { processId: "quiet", waitMs: 400 }, { timeoutMs: 400 + ctx.stepTimeoutMs });
          const quietMs = ctx.clock.now() - t2;
          expect((quiet["chunks"] as unknown[]).length === 0 && quiet["closed"] === false, `a silent process returned ${show(quiet)}`);
          expect(quietMs >= 300, `waitMs 400 on a silent process returned after ${Math.round(quietMs)} ms: it did not wait`);
        } finally {
          await cleanupTerminate(peer, "quiet");
        }
      },
    },
    {
      id: "process/read-closed-returns-at-once",
      title: "process/read of a closed process with afterSeq past its end and waitMs 6000 returns at once with closed true",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        await start(peer, startParams(ctx, "gone", ["true"]));
        await waitClosed(peer, "gone");
        const t0 = ctx.clock.now();
        const read = await peer.call("process/read", { processId: "gone", afterSeq: 100, waitMs: 6000 }, { timeoutMs: 6000 + ctx.stepTimeoutMs });
        const ms = ctx.clock.now() - t0;
        expect(read["closed"] === true && (read["chunks"] as unknown[]).length === 0, `process/read answered ${show(read)}`);
        expect(ms < 3000, `process/read of a closed process waited ${Math.round(ms)} ms instead of returning at once`);
      },
    },
    {
      id: "process/read-unknown",
      title: "process/read of an unknown process id → -32600 \"unknown process id <id>\"",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        await peer.fails("process/read", { processId: "nope" }, -32600, "process/read of an unknown id", { upstream: "unknown process id nope" });
      },
    },
    {
      id: "process/tty",
      title: "a tty process reports its output on stream pty",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        await start(peer, startParams(ctx, "tty", ["sh", "-c", "printf tty-ok"], { tty: true }));
        const events = await waitClosed(peer, "tty");
        const streams = [...new Set(events.filter((e) => e.method === "process/output").map((e) => String(e.params["stream"])))];
        expect(streams.length === 1 && streams[0] === "pty", `tty output streams ${show(streams)}, expected ["pty"]`);
        expect(outputText(events).includes("tty-ok"), `tty output ${show(outputText(events))} lacks "tty-ok"`);
      },
    },
    {
      id: "process/duplicate-id",
      title: "starting a live or a retained (closed) process id again → -32600 \"process <id> already exists\"",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        try {
          await start(peer, startParams(ctx, "twice", ["sleep", "30"]));
          await peer.fails("process/start", startParams(ctx, "twice", ["true"]), -32600, "process/start of a live id", { upstream: "process twice already exists" });
          await start(peer, startParams(ctx, "retained", ["true"]));
          await waitClosed(peer, "retained");
          await peer.fails("process/start", startParams(ctx, "retained", ["true"]), -32600, "process/start of a closed, retained id", { upstream: "process retained already exists" });
        } finally {
          await cleanupTerminate(peer, "twice");
        }
      },
    },
    {
      id: "process/spawn-failure",
      title: "a missing program → -32603 with the OS error; the id is then free for a new start",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        await peer.fails("process/start", startParams(ctx, "ghost", ["/nonexistent/conformance-program"]), -32603, "process/start of a missing program", {
          upstream: "No such file or directory (os error 2)",
        });
        await start(peer, startParams(ctx, "ghost", ["true"]));
      },
    },
    {
      id: "process/invalid-params",
      title: "argv [] → -32602 \"argv must not be empty\"; a missing env → -32602 naming env",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        await peer.fails("process/start", startParams(ctx, "empty", []), -32602, "process/start with argv []", { upstream: "argv must not be empty", mention: "argv" });
        const { env: _env, ...noEnv } = startParams(ctx, "noenv", ["true"]);
        await peer.fails("process/start", noEnv, -32602, "process/start without env", { upstream: "missing field `env`", mention: "env" });
      },
    },
    {
      id: "process/cwd-missing",
      title: "a cwd URI naming a missing directory → -32603 with the OS error",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        await peer.fails("process/start", startParams(ctx, "nocwd", ["true"], { cwd: uriJoin(ctx.scratchDir, "no-such-directory") }), -32603, "process/start in a missing cwd", {
          upstream: "No such file or directory (os error 2)",
        });
      },
    },
    {
      id: "process/cwd-foreign",
      title: "a cwd URI with a drive letter or a host (not valid on a Unix host) → -32602",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        if (ctx.environmentInfo?.["platformOs"] === "windows") return ctx.variant("foreignCwd", "not-checked-on-windows");
        const os = String(ctx.environmentInfo?.["platformOs"] ?? "linux");
        await peer.fails("process/start", startParams(ctx, "drive", ["true"], { cwd: "file:///C:/x" }), -32602, "process/start with cwd file:///C:/x", {
          upstream: `cwd URI \`file:///C:/x\` is not valid on this exec-server host: 'file:///C:/x' is invalid on '${os}'`,
        });
        await peer.fails("process/start", startParams(ctx, "host", ["true"], { cwd: "file://server/share" }), -32602, "process/start with cwd file://server/share", {
          upstream: `cwd URI \`file://server/share\` is not valid on this exec-server host: 'file://server/share' is invalid on '${os}'`,
        });
      },
    },
    {
      id: "process/cwd-plain-path",
      title: "a plain absolute cwd: refused -32602 (upstream) or accepted and used (seed-compatible servers) — variant plainPaths",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const native = decodeURIComponent(new URL(ctx.scratchDir).pathname);
        const response = await peer.request("process/start", startParams(ctx, "plain-cwd", ["pwd"], { cwd: native }));
        if (response.error !== undefined) {
          expect(response.error.code === -32602, `a plain absolute cwd was refused with ${response.error.code}: ${response.error.message}, expected -32602`);
          ctx.variant("plainPaths", "refused");
          return;
        }
        ctx.variant("plainPaths", "accepted");
        const events = await waitClosed(peer, "plain-cwd");
        expect(outputText(events, "stdout").trim() === native, `pwd in plain cwd ${native} printed ${show(outputText(events, "stdout"))}`);
      },
    },
    {
      id: "process/write-idempotent",
      title: "process/write to a pipeStdin process: accepted and echoed; the same writeId again → accepted without writing twice",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        try {
          await start(peer, startParams(ctx, "cat", ["cat"], { pipeStdin: true }));
          const write = async (writeId: string, text: string) => {
            let status = "starting";
            for (let attempt = 0; status === "starting" && attempt < 20; attempt++) {
              if (attempt > 0) await ctx.sleep(50);
              status = String((await peer.call("process/write", { processId: "cat", chunk: b64(text), writeId }))["status"]);
            }
            expect(status === "accepted", `process/write ${writeId} answered ${show(status)}, expected "accepted"`);
          };
          await write("w1", "one\n");
          await waitOutput(peer, "cat", (text) => text.includes("one\n"), "the echo of write w1");
          await write("w1", "one\n");
          await write("w2", "two\n");
          const text = await waitOutput(peer, "cat", (all) => all.includes("two\n"), "the echo of write w2");
          expect(text === "one\ntwo\n", `cat echoed ${show(text)}: a repeated writeId was written again (expected "one\\ntwo\\n")`);
        } finally {
          await cleanupTerminate(peer, "cat");
        }
      },
    },
    {
      id: "process/write-params",
      title: "process/write with an empty writeId or invalid base64 → -32602; without writeId: refused -32602 (upstream) or written (seed-compatible servers) — variant missingWriteId",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        try {
          await start(peer, startParams(ctx, "sink", ["cat"], { pipeStdin: true }));
          await peer.fails("process/write", { processId: "sink", chunk: b64("x"), writeId: "" }, -32602, "process/write with writeId \"\"", { upstream: "writeId must not be empty", mention: "writeId" });
          await peer.fails("process/write", { processId: "sink", chunk: "!!", writeId: "w-bad" }, -32602, "process/write with chunk \"!!\"", { upstream: "Invalid symbol 33, offset 0." });
          await peer.fails("process/write", { processId: "sink", chunk: "aGk", writeId: "w-pad" }, -32602, "process/write with unpadded base64", { upstream: "Invalid padding" });
          // Seed clients send no writeId: a server may take such a write (without idempotence), but then it must be written.
          let response = await peer.request("process/write", { processId: "sink", chunk: b64("no-id\n") });
          for (let attempt = 0; response.error === undefined && (response.result as Record<string, unknown>)["status"] === "starting" && attempt < 20; attempt++) {
            await ctx.sleep(50);
            response = await peer.request("process/write", { processId: "sink", chunk: b64("no-id\n") });
          }
          if (response.error !== undefined) {
            expectCodexError(ctx, response, -32602, "process/write without writeId", { upstream: "missing field `writeId`", mention: "writeId" });
            ctx.variant("missingWriteId", "refused");
            return;
          }
          const status = (response.result as Record<string, unknown>)["status"];
          expect(status === "accepted", `process/write without writeId answered ${show(response.result)}, expected -32602 or "accepted"`);
          await waitOutput(peer, "sink", (text) => text.includes("no-id\n"), "the echo of the write without writeId");
          ctx.variant("missingWriteId", "accepted");
        } finally {
          await cleanupTerminate(peer, "sink");
        }
      },
    },
    {
      id: "process/write-statuses",
      title: "process/write answers stdinClosed without pipeStdin, unknownProcess for an unknown id, and -32603 once the process is gone",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        try {
          await start(peer, startParams(ctx, "nopipe", ["sleep", "30"]));
          const closed = await peer.call("process/write", { processId: "nopipe", chunk: b64("x"), writeId: "w1" });
          expect(closed["status"] === "stdinClosed", `write without pipeStdin answered ${show(closed)}, expected stdinClosed`);
          const unknown = await peer.call("process/write", { processId: "nobody", chunk: b64("x"), writeId: "w1" });
          expect(unknown["status"] === "unknownProcess", `write to an unknown id answered ${show(unknown)}, expected unknownProcess`);
          await start(peer, startParams(ctx, "killed", ["cat"], { pipeStdin: true }));
          await peer.call("process/terminate", { processId: "killed" });
          await waitClosed(peer, "killed");
          await peer.fails("process/write", { processId: "killed", chunk: b64("x"), writeId: "w-late" }, -32603, "process/write after the process was terminated", {
            upstream: "failed to write to process stdin",
          });
        } finally {
          await cleanupTerminate(peer, "nopipe");
        }
      },
    },
    {
      id: "process/signal-interrupt",
      title: "process/signal interrupt answers {} and the process exits 130 (128 + SIGINT)",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        try {
          await start(peer, startParams(ctx, "sigint", ["sleep", "30"]));
          const result = await peer.call("process/signal", { processId: "sigint", signal: "interrupt" });
          expect(Object.keys(result).length === 0, `process/signal answered ${show(result)}, expected {}`);
          const exited = await waitExited(peer, "sigint");
          expect(exited["exitCode"] === 130, `an interrupted sleep exited ${show(exited["exitCode"])}, expected 130`);
        } finally {
          await cleanupTerminate(peer, "sigint");
        }
      },
    },
    {
      id: "process/signal-params",
      title: "process/signal of an unknown or exited process answers {}; an unknown signal → -32602",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const unknown = await peer.call("process/signal", { processId: "nobody", signal: "interrupt" });
        expect(Object.keys(unknown).length === 0, `signal to an unknown id answered ${show(unknown)}, expected {}`);
        await start(peer, startParams(ctx, "ended", ["true"]));
        await waitClosed(peer, "ended");
        const ended = await peer.call("process/signal", { processId: "ended", signal: "interrupt" });
        expect(Object.keys(ended).length === 0, `signal to an exited process answered ${show(ended)}, expected {}`);
        await peer.fails("process/signal", { processId: "ended", signal: "zzz" }, -32602, "process/signal with signal zzz", { upstream: "unknown variant `zzz`, expected `interrupt`" });
      },
    },
    {
      id: "process/terminate",
      title: "process/terminate → {running: true}, then exited and closed: 137 (SIGKILL, upstream) or 143 (SIGTERM first, seed contract) — variant terminateSignal; a process ignoring SIGTERM still dies (137); again → {running: false}; unknown id → {running: false}",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        try {
          await start(peer, startParams(ctx, "victim", ["sleep", "30"]));
          const first = await peer.call("process/terminate", { processId: "victim" });
          expect(first["running"] === true, `terminate of a running process answered ${show(first)}`);
          const events = await waitClosed(peer, "victim");
          expectExitedThenClosed(events, "victim");
          const exited = events.find((event) => event.method === "process/exited")!;
          const code = exited.params["exitCode"];
          expect(code === 137 || code === 143, `a terminated sleep exited ${show(code)}, expected 137 (128 + SIGKILL) or 143 (128 + SIGTERM)`);
          ctx.variant("terminateSignal", code === 137 ? "kill" : "term-then-kill");
          // SIG_IGN survives exec: the sleep ignores SIGTERM, so only a SIGKILL (at once or after a grace period) ends it.
          await start(peer, startParams(ctx, "stubborn", ["sh", "-c", "trap '' TERM; echo ready; exec sleep 30"]));
          await waitOutput(peer, "stubborn", (text) => text.includes("ready"), "the stubborn process ignoring SIGTERM");
          const stubborn = await peer.call("process/terminate", { processId: "stubborn" });
          expect(stubborn["running"] === true, `terminate of a process ignoring SIGTERM answered ${show(stubborn)}`);
          const killed = await waitExited(peer, "stubborn");
          expect(killed["exitCode"] === 137, `a process ignoring SIGTERM exited ${show(killed["exitCode"])} after terminate, expected 137 (128 + SIGKILL)`);
          const again = await peer.call("process/terminate", { processId: "victim" });
          expect(again["running"] === false, `a second terminate answered ${show(again)}`);
          const unknown = await peer.call("process/terminate", { processId: "nobody" });
          expect(unknown["running"] === false, `terminate of an unknown id answered ${show(unknown)}`);
        } finally {
          await cleanupTerminate(peer, "victim", "stubborn");
        }
      },
    },
  ];
}
