import type { CheckContext } from "../check.js";
import { expect, fail } from "../check.js";
import { show, unb64 } from "../expectations.js";
import { CHILD_PATH } from "../checks/process-helpers.js";
import type { CodexPeer, Notice } from "./codex-peer.js";

/** `process/start` params with the required members (cwd = the run's scratch directory URI). */
export function startParams(ctx: CheckContext, processId: string, argv: string[], extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { processId, argv, cwd: ctx.scratchDir, env: { PATH: CHILD_PATH }, tty: false, ...extra };
}

/** Starts a process that must start; returns the result. */
export function start(peer: CodexPeer, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  return peer.call("process/start", params, { what: `process/start ${String(params["processId"])} (${(params["argv"] as string[]).join(" ")})` });
}

/** Notifications of one process (output, exited, closed), in arrival order. */
export function eventsOf(peer: CodexPeer, processId: string): Notice[] {
  return peer.notices().filter((notice) => notice.method.startsWith("process/") && notice.params["processId"] === processId);
}

/** Waits for `process/closed` of `processId`; returns that process's notifications. */
export async function waitClosed(peer: CodexPeer, processId: string, timeoutMs?: number): Promise<Notice[]> {
  await peer.waitNotice("process/closed", (params) => params["processId"] === processId, `process/closed for ${processId}`, timeoutMs);
  return eventsOf(peer, processId);
}

/** Waits for `process/exited` of `processId`; returns its params. */
export async function waitExited(peer: CodexPeer, processId: string, timeoutMs?: number): Promise<Record<string, unknown>> {
  return (await peer.waitNotice("process/exited", (params) => params["processId"] === processId, `process/exited for ${processId}`, timeoutMs)).params;
}

/** Decoded text of `process/output` notifications (optionally of one stream). */
export function outputText(events: readonly Notice[], stream?: string): string {
  return events
    .filter((event) => event.method === "process/output" && (stream === undefined || event.params["stream"] === stream))
    .map((event) => unb64(String(event.params["chunk"])))
    .join("");
}

/** Decoded text of `process/read` chunks. */
export function chunksText(result: Record<string, unknown>): string {
  return (result["chunks"] as Array<{ chunk: string }>).map((chunk) => unb64(chunk.chunk)).join("");
}

/** Waits until the process's notified output satisfies `done`; returns the text. */
export async function waitOutput(peer: CodexPeer, processId: string, done: (text: string) => boolean, what: string): Promise<string> {
  await peer.raw.waitFor(() => (done(outputText(eventsOf(peer, processId))) ? true : undefined), what);
  return outputText(eventsOf(peer, processId));
}

/**
 * Runs `sh -c script` in `cwd` (a URI) to completion and returns its stdout; a non-zero exit fails
 * the check with the script's stderr. Used for fixtures no fs method can make (symlinks, fifos).
 */
export async function runShell(peer: CodexPeer, ctx: CheckContext, processId: string, script: string, cwd: string): Promise<string> {
  await start(peer, startParams(ctx, processId, ["sh", "-c", script], { cwd }));
  const events = await waitClosed(peer, processId);
  const exited = events.find((event) => event.method === "process/exited");
  if (exited?.params["exitCode"] !== 0) {
    fail(`fixture script ${show(script)} exited ${show(exited?.params["exitCode"])}: ${outputText(events, "stderr")}`);
  }
  return outputText(events, "stdout");
}

/**
 * Environment variables printed by `env` (one `NAME=value` per line), as a map. Values with
 * newlines are not expected in the fixtures.
 */
export function parseEnv(text: string): Map<string, string> {
  const vars = new Map<string, string>();
  for (const line of text.split("\n")) {
    const eq = line.indexOf("=");
    if (eq > 0) vars.set(line.slice(0, eq), line.slice(eq + 1));
  }
  return vars;
}

/** Best-effort `process/terminate` for cleanup (the session's detach TTL reaps leftovers anyway). */
export async function cleanupTerminate(peer: CodexPeer, ...processIds: string[]): Promise<void> {
  if (peer.closedReason !== undefined) return;
  for (const processId of processIds) {
    await peer.request("process/terminate", { processId }).catch(() => {
      // Cleanup only: the verdict is already made and the connection may be closing.
    });
  }
}

/** Fails unless the notification list has `process/exited` before a final, single `process/closed`. */
export function expectExitedThenClosed(events: readonly Notice[], processId: string): void {
  const exited = events.findIndex((event) => event.method === "process/exited");
  const closed = events.findIndex((event) => event.method === "process/closed");
  expect(exited >= 0, `${processId}: no process/exited before process/closed`);
  expect(exited < closed, `${processId}: process/closed arrived before process/exited`);
  expect(closed === events.length - 1, () => `${processId}: notifications after process/closed: ${events.slice(closed + 1).map((e) => e.method).join(", ")}`);
}
