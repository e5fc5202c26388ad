import { readdirSync, readFileSync } from "node:fs";
import assert from "node:assert/strict";
import type { ProcessTable } from "../../../src/server/process/process-table.js";
import type { ProcessTimers } from "../../../src/server/process/process-table-options.js";
import type { ProcessNotificationMethod, ProcessNotifications } from "../../../src/server/process/types.js";

/** A PATH for children whose environment is given exactly. */
export const CHILD_PATH = process.env["PATH"] ?? "/usr/local/bin:/usr/bin:/bin";

/** Base64 of a UTF-8 string. */
export function b64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

/** UTF-8 text of a base64 string. */
export function text(base64: string): string {
  return Buffer.from(base64, "base64").toString("utf8");
}

/** Every notification a sink received, in delivery order. */
export interface RecordedNotification {
  method: ProcessNotificationMethod;
  params: ProcessNotifications[ProcessNotificationMethod];
}

/** Installs a recording sink on `table`. */
export function recordNotifications(table: ProcessTable): RecordedNotification[] {
  const recorded: RecordedNotification[] = [];
  table.setSink((method, params) => recorded.push({ method, params }));
  return recorded;
}

/**
 * Long-polls `processId` until its accumulated output contains `expected`; returns the output and
 * the next afterSeq. Fails if the process closes first or nothing matches within `timeoutMs`.
 */
export async function readUntil(
  table: ProcessTable,
  processId: string,
  expected: string,
  afterSeq = 0,
  timeoutMs = 10_000,
): Promise<{ output: string; afterSeq: number }> {
  const deadline = Date.now() + timeoutMs;
  let output = "";
  let cursor = afterSeq;
  while (!output.includes(expected)) {
    const remaining = deadline - Date.now();
    assert.ok(remaining > 0, `timed out waiting for ${JSON.stringify(expected)}; got ${JSON.stringify(output)}`);
    const result = await table.read({ processId, afterSeq: cursor, waitMs: remaining });
    for (const chunk of result.chunks) output += text(chunk.chunk);
    cursor = result.nextSeq - 1;
    if (result.closed && !output.includes(expected)) {
      assert.fail(`process closed before ${JSON.stringify(expected)}; got ${JSON.stringify(output)}`);
    }
  }
  return { output, afterSeq: cursor };
}

/** Long-polls until `processId` is closed; returns the final read (all retained chunks). */
export async function waitClosed(table: ProcessTable, processId: string, timeoutMs = 10_000) {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const remaining = deadline - Date.now();
    assert.ok(remaining > 0, `timed out waiting for ${processId} to close`);
    // A huge afterSeq means only closure (or an unseen exit) ends the poll early.
    const probe = await table.read({ processId, afterSeq: Number.MAX_SAFE_INTEGER, waitMs: remaining });
    if (probe.closed) return table.read({ processId });
  }
}

/**
 * True when no live process of the session/group `sid` is left: `kill(-sid, 0)` fails with ESRCH,
 * or every remaining member is a zombie. Zombies are dead; they linger when an orphan is reparented
 * to a PID 1 that reaps lazily (as in this sandbox's init), which the process table cannot control.
 */
export function groupIsGone(sid: number): boolean {
  try {
    process.kill(-sid, 0);
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "ESRCH";
  }
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "latin1");
    } catch {
      continue; // exited meanwhile
    }
    const [state, , pgrp, session] = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if ((Number(pgrp) === sid || Number(session) === sid) && state !== "Z") return false;
  }
  return true;
}

/** Timers driven by {@link ManualTimers.advance}; nothing happens on its own. */
export class ManualTimers implements ProcessTimers {
  private time = 0;
  private nextId = 1;
  private readonly pending = new Map<number, { at: number; fn: () => void }>();

  now(): number {
    return this.time;
  }

  setTimeout(fn: () => void, ms: number): unknown {
    const id = this.nextId++;
    this.pending.set(id, { at: this.time + ms, fn });
    return id;
  }

  clearTimeout(handle: unknown): void {
    this.pending.delete(handle as number);
  }

  /** Moves time forward by `ms`, running every timer that falls due, in order. */
  advance(ms: number): void {
    const target = this.time + ms;
    for (;;) {
      const due = [...this.pending.entries()].filter(([, t]) => t.at <= target).sort((a, b) => a[1].at - b[1].at)[0];
      if (due === undefined) break;
      this.pending.delete(due[0]);
      this.time = due[1].at;
      due[1].fn();
    }
    this.time = target;
  }
}
