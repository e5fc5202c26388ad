import { readdirSync, readFileSync } from "node:fs";

/**
 * Process groups in the session led by `sid`, read from `/proc` (Linux). Interactive shells put
 * jobs in their own process groups, so signalling only the leader's group would miss them.
 * Returns just `[sid]` where `/proc` is unavailable.
 */
export function sessionProcessGroups(sid: number): number[] {
  const groups = new Set<number>([sid]);
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    // No procfs (macOS, BSD): the leader's own group is the best we can do.
    return [sid];
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "latin1");
    } catch {
      // The process exited between readdir and read: nothing to signal.
      continue;
    }
    // Fields after the parenthesised command (which may itself contain spaces or parentheses):
    // state ppid pgrp session ...
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    const pgrp = Number(fields[2]);
    const session = Number(fields[3]);
    if (session === sid && pgrp > 0) groups.add(pgrp);
  }
  return [...groups];
}

/**
 * Sends `signal` to every process group of the session led by `sid` (the child is always spawned
 * as a session leader: `detached` pipes call setsid, PTYs get their own session). Returns true when
 * at least one group existed. ESRCH/EPERM per group are expected (a group that just went away) and
 * ignored.
 */
export function signalSession(sid: number, signal: NodeJS.Signals): boolean {
  let delivered = false;
  for (const pgrp of sessionProcessGroups(sid)) {
    try {
      process.kill(-pgrp, signal);
      delivered = true;
    } catch {
      // ESRCH: the group is already gone; EPERM: not ours any more. Either way nothing to do.
    }
  }
  return delivered;
}
