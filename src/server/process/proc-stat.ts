import { readdirSync, readFileSync } from "node:fs";

/** The fields of one `/proc/<pid>/stat` line that session signalling needs. */
export interface ProcStat {
  readonly pid: number;
  readonly ppid: number;
  /** Process group id. */
  readonly pgrp: number;
  /** Session id (the pid of the session leader). */
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
    // Fields after the parenthesised command (which may itself contain spaces or parentheses):
    // state ppid pgrp session ...
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    stats.push({ pid: Number(entry), ppid: Number(fields[1]), pgrp: Number(fields[2]), session: Number(fields[3]) });
  }
  return stats;
}
