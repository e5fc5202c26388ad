import type { ProcessReadResult, ProcessStartParams } from "../../../generated/openrpc/types.js";
import type { CheckContext, ConformanceClient, LoggedNotification } from "../check.js";
import { fail } from "../check.js";
import { expectOk, unb64 } from "../expectations.js";

/**
 * PATH given to child processes. `env` is the child's exact environment, and the server may run on
 * another machine, so a fixed standard PATH rather than this process's.
 */
export const CHILD_PATH = "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin";

/** `process/start` with the contract's required members filled in (cwd = the run's scratch directory). */
export function startParams(ctx: CheckContext, processId: string, argv: string[], extra: Partial<ProcessStartParams> = {}): ProcessStartParams {
  return { processId, argv, cwd: ctx.scratchDir, env: { PATH: CHILD_PATH }, tty: false, ...extra };
}

/** Starts a process; a failure fails the check. */
export async function start(conn: ConformanceClient, params: ProcessStartParams): Promise<void> {
  await expectOk(conn.client.process.start(params), `process/start ${params.processId} (${params.argv.join(" ")})`);
}

/** Notifications of one process, in arrival order. */
export function eventsOf(log: readonly LoggedNotification[], processId: string): LoggedNotification[] {
  return log.filter((event) => event.params["processId"] === processId);
}

/** Waits for `process/closed` of `processId` and returns that process's notifications. */
export async function waitClosed(conn: ConformanceClient, processId: string, timeoutMs?: number): Promise<LoggedNotification[]> {
  return conn.waitForNotification(
    (log) => {
      const events = eventsOf(log, processId);
      return events.some((event) => event.method === "process/closed") ? events : undefined;
    },
    `process/closed for ${processId}`,
    timeoutMs,
  );
}

/** Decoded output carried by `process/output` notifications (optionally one stream only). */
export function outputText(events: readonly LoggedNotification[], stream?: string): string {
  return events
    .filter((event) => event.method === "process/output" && (stream === undefined || event.params["stream"] === stream))
    .map((event) => unb64(String(event.params["chunk"])))
    .join("");
}

/** Decoded text of read chunks. */
export function chunksText(result: Pick<ProcessReadResult, "chunks">): string {
  return result.chunks.map((chunk) => unb64(chunk.chunk)).join("");
}

/**
 * Long-polls `process/read` from `afterSeq` 0 until `done(text, last)` holds, accumulating chunk text.
 * Fails the check after `budgetMs`.
 */
export async function readUntil(
  ctx: CheckContext,
  conn: ConformanceClient,
  processId: string,
  done: (text: string, last: ProcessReadResult) => boolean,
  budgetMs = ctx.stepTimeoutMs,
): Promise<{ text: string; last: ProcessReadResult }> {
  const deadline = ctx.clock.now() + budgetMs;
  let afterSeq = 0;
  let text = "";
  for (;;) {
    const remaining = Math.max(0, Math.round(deadline - ctx.clock.now()));
    const waitMs = Math.min(remaining, 1000);
    const last = await expectOk(
      conn.client.process.read({ processId, afterSeq, waitMs }, { timeoutMs: waitMs + ctx.stepTimeoutMs }),
      `process/read ${processId} afterSeq ${afterSeq}`,
    );
    text += chunksText(last);
    if (last.chunks.length > 0) afterSeq = last.chunks[last.chunks.length - 1]!.seq;
    if (done(text, last)) return { text, last };
    if (ctx.clock.now() >= deadline) fail(`process/read ${processId} never satisfied the check within ${budgetMs} ms (read ${JSON.stringify(text)} so far)`);
  }
}

/** Best-effort `process/terminate` for cleanup; errors do not matter once the check has its verdict. */
export async function cleanupTerminate(conn: ConformanceClient, ...processIds: string[]): Promise<void> {
  for (const processId of processIds) {
    await conn.client.process.terminate({ processId }).catch(() => {
      // Cleanup only: the connection may already be closed, and the session's detach TTL reaps it anyway.
    });
  }
}
