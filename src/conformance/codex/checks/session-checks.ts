import type { Check, CheckContext } from "../../check.js";
import { CheckFailure, expect, fail } from "../../check.js";
import { b64, show } from "../../expectations.js";
import { CodexPeer } from "../codex-peer.js";
import { chunksText, start, startParams, waitOutput } from "../process-steps.js";

/** A session id no server issued. */
const UNKNOWN_SESSION_ID = "00000000-0000-4000-8000-000000000000";
/** Text a client parses to retry a resume (codex's `is_retryable_recovery_error`): strict. */
export const ALREADY_ATTACHED = "is already attached to another connection";

/**
 * Resumes `sessionId` on a fresh connection. The server learns of the old connection's end
 * asynchronously, so "already attached" (-32010) is retried until the step timeout, as the codex
 * client does.
 */
export async function resume(ctx: CheckContext, sessionId: string): Promise<CodexPeer> {
  const deadline = ctx.clock.now() + ctx.stepTimeoutMs;
  for (;;) {
    const peer = await CodexPeer.open(ctx, { handshake: false });
    const response = await peer.request("initialize", { clientName: "exec-server-conformance", resumeSessionId: sessionId });
    if (response.error === undefined) {
      peer.raw.notify("initialized", {});
      const result = response.result as Record<string, unknown>;
      peer.sessionId = typeof result["sessionId"] === "string" ? result["sessionId"] : undefined;
      return peer;
    }
    peer.close();
    const attached = response.error.code === -32010 && response.error.message.includes(ALREADY_ATTACHED);
    if (!attached || ctx.clock.now() >= deadline) throw new CheckFailure(`resume of ${sessionId} failed with ${response.error.code}: ${response.error.message}`);
    await ctx.sleep(50);
  }
}

/** Reads a process from `afterSeq` 0 with short long-polls until it is closed; returns the text and the last result. */
async function readToClose(ctx: CheckContext, peer: CodexPeer, processId: string): Promise<{ text: string; last: Record<string, unknown> }> {
  const deadline = ctx.clock.now() + ctx.stepTimeoutMs;
  let afterSeq = 0;
  let text = "";
  for (;;) {
    const last = await peer.call("process/read", { processId, afterSeq, waitMs: 500 }, { what: `process/read ${processId} afterSeq ${afterSeq}` });
    text += chunksText(last);
    const chunks = last["chunks"] as Array<{ seq: number }>;
    if (chunks.length > 0) afterSeq = chunks[chunks.length - 1]!.seq;
    if (last["closed"] === true) return { text, last };
    if (ctx.clock.now() >= deadline) fail(`${processId} was not closed within ${ctx.stepTimeoutMs} ms (read ${show(text)})`);
  }
}

/** UPSTREAM-0.169 §2.1: session resume, -32010 while attached, unknown ids, separate sessions. */
export function sessionChecks(): Check[] {
  return [
    {
      id: "session/resume",
      title: "after a disconnect, initialize with resumeSessionId returns the same sessionId and all output (also that produced while detached) is readable",
      async run(ctx) {
        const first = await CodexPeer.open(ctx);
        await start(first, startParams(ctx, "survivor", ["sh", "-c", "printf before; sleep 0.5; printf after"]));
        first.close();
        const second = await resume(ctx, first.sessionId!);
        expect(second.sessionId === first.sessionId, `resume returned sessionId ${show(second.sessionId)}, expected ${show(first.sessionId)}`);
        const { text, last } = await readToClose(ctx, second, "survivor");
        expect(text === "beforeafter", `output read after resume was ${show(text)}, expected "beforeafter"`);
        expect(last["exitCode"] === 0 && last["exited"] === true, `after resume process/read reports exited=${show(last["exited"])} exitCode=${show(last["exitCode"])}`);
      },
    },
    {
      id: "session/resume-notifications",
      title: "after a resume, the session's process notifications go to the new connection",
      async run(ctx) {
        const first = await CodexPeer.open(ctx);
        await start(first, startParams(ctx, "echo", ["cat"], { pipeStdin: true }));
        first.close();
        const second = await resume(ctx, first.sessionId!);
        try {
          const write = await second.call("process/write", { processId: "echo", chunk: b64("after-resume\n"), writeId: "w1" });
          expect(write["status"] === "accepted", `process/write after resume answered ${show(write)}`);
          await waitOutput(second, "echo", (text) => text.includes("after-resume"), "process/output of the resumed process on the new connection");
        } finally {
          await second.request("process/terminate", { processId: "echo" }).catch(() => undefined);
        }
      },
    },
    {
      id: "session/resume-attached",
      title: "resuming a session attached to a live connection → -32010 \"session <id> is already attached to another connection\"",
      async run(ctx) {
        const owner = await CodexPeer.open(ctx);
        const thief = await CodexPeer.open(ctx, { handshake: false });
        await thief.fails("initialize", { clientName: "exec-server-conformance", resumeSessionId: owner.sessionId }, -32010, "initialize resuming an attached session", {
          upstream: `session ${owner.sessionId!} is already attached to another connection`,
          // Case-sensitive, as codex's client matches it (String::contains).
          mention: new RegExp(ALREADY_ATTACHED),
        });
        await owner.call("environment/status", undefined, { what: "the owner's connection after the refused resume" });
      },
    },
    {
      id: "session/resume-unknown",
      title: "initialize with an unknown resumeSessionId → -32600; that failure does not count and a plain initialize then succeeds",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx, { handshake: false });
        await peer.fails("initialize", { clientName: "exec-server-conformance", resumeSessionId: UNKNOWN_SESSION_ID }, -32600, "initialize resuming an unknown session", {
          upstream: `unknown session id ${UNKNOWN_SESSION_ID}`,
        });
        await peer.handshake();
        expect(peer.sessionId !== UNKNOWN_SESSION_ID, "the retried initialize returned the unknown session id");
      },
    },
    {
      id: "session/separate-sessions",
      title: "two connections get different sessions, each with its own process ids",
      async run(ctx) {
        const a = await CodexPeer.open(ctx);
        const b = await CodexPeer.open(ctx);
        expect(a.sessionId !== b.sessionId, `two connections share sessionId ${show(a.sessionId)}`);
        await start(a, startParams(ctx, "same", ["true"]));
        await start(b, startParams(ctx, "same", ["true"]));
        await start(a, startParams(ctx, "only-a", ["true"]));
        await b.fails("process/read", { processId: "only-a" }, -32600, "process/read of another session's process", { upstream: "unknown process id only-a" });
      },
    },
  ];
}
