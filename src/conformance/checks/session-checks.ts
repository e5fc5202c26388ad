import type { Check, CheckContext, ConformanceClient } from "../check.js";
import { CheckFailure, expect, skip } from "../check.js";
import { RpcError } from "../../rpc/rpc-error.js";
import { describeError, expectRawError, show } from "../expectations.js";
import { readUntil, start, startParams } from "./process-helpers.js";

/** A session id no server issued. */
const UNKNOWN_SESSION_ID = "00000000-0000-4000-8000-000000000000";

/**
 * Resumes `sessionId` on a fresh connection. The server learns of the old connection's end
 * asynchronously, so "already attached" is retried until the step timeout.
 */
async function resume(ctx: CheckContext, sessionId: string): Promise<ConformanceClient> {
  const deadline = ctx.clock.now() + ctx.stepTimeoutMs;
  for (;;) {
    try {
      return await ctx.openClient({ resumeSessionId: sessionId });
    } catch (error) {
      const attached = error instanceof CheckFailure && /already attached/i.test(error.message);
      if (!attached || ctx.clock.now() >= deadline) throw error;
      await ctx.sleep(50);
    }
  }
}

/** CONTRACT §2 sessions: detach on disconnect, resume by id, unknown and attached ids refused. */
export function sessionChecks(): Check[] {
  return [
    {
      id: "session/resume",
      title: "after a disconnect, initialize with resumeSessionId returns the same sessionId and the process output is still readable",
      async run(ctx) {
        const first = await ctx.openClient();
        if (first.sessionId === undefined) skip("initialize answered {} (no session ids): resume is not supported by this server");
        await start(first, startParams(ctx, "survivor", ["sh", "-c", "printf before; sleep 0.5; printf after"]));
        first.close();
        const second = await resume(ctx, first.sessionId);
        expect(second.sessionId === first.sessionId, `resume returned sessionId ${show(second.sessionId)}, expected ${first.sessionId}`);
        const { text, last } = await readUntil(ctx, second, "survivor", (_text, result) => result.closed);
        expect(text === "beforeafter", `output read after resume was ${show(text)}, expected "beforeafter"`);
        expect(last.exitCode === 0, `exitCode after resume ${show(last.exitCode)}, expected 0`);
      },
    },
    {
      id: "session/resume-unknown",
      title: "initialize with an unknown resumeSessionId fails -32600 naming the id",
      async run(ctx) {
        const peer = await ctx.openRaw();
        const response = await peer.request("initialize", { clientName: "exec-server-conformance", resumeSessionId: UNKNOWN_SESSION_ID });
        expectRawError(response, -32600, "initialize resuming an unknown session", new RegExp(`unknown session.*${UNKNOWN_SESSION_ID}`, "i"));
      },
    },
    {
      id: "session/resume-attached",
      title: "resuming a session still attached to another connection fails -32600 (CONTRACT) or -32010 (codex 0.169) naming it already attached — variant attachedResumeCode",
      async run(ctx) {
        const owner = await ctx.openClient();
        if (owner.sessionId === undefined) skip("initialize answered {} (no session ids): resume is not supported by this server");
        const thief = await ctx.openClient({ handshake: false });
        let error: unknown;
        try {
          await thief.client.initialize({ clientName: "exec-server-conformance", resumeSessionId: owner.sessionId });
        } catch (caught) {
          error = caught;
        }
        if (!(error instanceof RpcError)) throw new CheckFailure(`initialize resuming an attached session: expected error -32600 or -32010, got ${error === undefined ? "a result" : describeError(error)}`);
        expect(error.code === -32600 || error.code === -32010, `initialize resuming an attached session: expected error -32600 or -32010, got ${error.code}: ${error.message}`);
        expect(/already attached/i.test(error.message), `initialize resuming an attached session: error message ${show(error.message)} should mention "already attached"`);
        ctx.variant("attachedResumeCode", String(error.code));
      },
    },
    {
      id: "session/separate-process-tables",
      title: "two connections get different sessions, each with its own process ids",
      async run(ctx) {
        const a = await ctx.openClient();
        const b = await ctx.openClient();
        if (a.sessionId !== undefined) expect(a.sessionId !== b.sessionId, `two connections share sessionId ${a.sessionId}`);
        await start(a, startParams(ctx, "same", ["true"]));
        await start(b, startParams(ctx, "same", ["true"]));
      },
    },
  ];
}
