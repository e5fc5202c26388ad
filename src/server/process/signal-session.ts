import { readProcStats } from "./proc-stat.js";

/**
 * Process groups in the session led by `sid`, read from `/proc` (Linux). Interactive shells put
 * jobs in their own process groups, so signalling only the leader's group would miss them.
 * Returns just `[sid]` where `/proc` is unavailable.
 */
export function sessionProcessGroups(sid: number): number[] {
  // No procfs (macOS, BSD): the leader's own group is the best we can do.
  const stats = readProcStats() ?? [];
  const groups = new Set<number>([sid]);
  for (const stat of stats) if (stat.session === sid && stat.pgrp > 0) groups.add(stat.pgrp);
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
