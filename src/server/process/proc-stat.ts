import { readdirSync, readFileSync } from "node:fs";

/** The fields of one `/proc/<pid>/stat` line that session signalling needs. */
export interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /**
   * Process group id; 0 when the group leader lives outside this pid namespace (a container whose
   * session began before it), so a caller must never signal `-pgrp` for a 0.
   */
  readonly pgrp: number;
  /** Session id (the pid of the session leader); 0 when the leader is outside this pid namespace. */
  readonly session: number;
}

/**
 * Every process visible in `/proc` (Linux), read once; `undefined` where there is no procfs
 * (macOS, BSD), so callers can choose their own fallback. A process that exits between the
 * directory listing and the read is skipped.
 */
export function readProcStats(): ProcStat[] | undefined {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    // No procfs: nothing can be enumerated; the caller decides what that means.
    return undefined;
  }
  const stats: ProcStat[] = [];
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "latin1");
    } catch {
      // The process exited between readdir and read: nothing to report.
      continue;
    }
    const parsed = parseProcStat(Number(entry), stat);
    if (parsed) stats.push(parsed);
  }
  return stats;
}

/**
 * The fields of one `/proc/<pid>/stat` text, or `undefined` when it is not one (a truncated read).
 * The command name sits in parentheses and may itself contain spaces or parentheses, so the
 * fields are taken after the last `)`: state ppid pgrp session ...
 */
export function parseProcStat(pid: number, text: string): ProcStat | undefined {
  const close = text.lastIndexOf(")");
  if (close < 0) return undefined;
  const fields = text.slice(close + 2).split(" ");
  const [ppid, pgrp, session] = [Number(fields[1]), Number(fields[2]), Number(fields[3])];
  if (!Number.isInteger(ppid) || !Number.isInteger(pgrp) || !Number.isInteger(session)) return undefined;
  return { pid, ppid, pgrp, session };
}
