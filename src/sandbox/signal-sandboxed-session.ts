import { readProcStats, type ProcStat } from "../server/process/proc-stat.js";
import { signalSession } from "../server/process/signal-session.js";

/**
 * Signals the processes of a bubblewrap sandbox whose outer `bwrap` (spawned as a session leader)
 * is `leader`. SIGKILL goes to every process group of the session, bubblewrap included: its death
 * tears the pid namespace down, so nothing inside survives. Any other signal skips bubblewrap's own
 * two processes (the leader and its direct child, the namespace's init) and reaches only the
 * command and its descendants: bubblewrap would die of SIGTERM/SIGINT at once and take the command
 * with it (`--die-with-parent`), cutting a trap handler short and losing its exit status.
 * Returns true when at least one process was signalled.
 */
export function signalSandboxedSession(leader: number, signal: NodeJS.Signals): boolean {
  if (signal === "SIGKILL") return signalSession(leader, signal);
  let delivered = false;
  for (const pid of sessionMembers(leader)) {
    if (pid.pid === leader || pid.ppid === leader) continue;
    try {
      process.kill(pid.pid, signal);
      delivered = true;
    } catch {
      // ESRCH: it exited meanwhile; EPERM: not ours. Nothing to signal either way.
    }
  }
  return delivered;
}

/** Processes whose session is `sid` (Linux only; bubblewrap is Linux only, and needs procfs too). */
function sessionMembers(sid: number): ProcStat[] {
  return (readProcStats() ?? []).filter((stat) => stat.session === sid);
}
