import { readdirSync, readFileSync } from "node:fs";
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

/** Processes whose session is `sid`, from /proc (Linux only; bubblewrap is Linux only). */
function sessionMembers(sid: number): { pid: number; ppid: number }[] {
  const members: { pid: number; ppid: number }[] = [];
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    // No procfs: nothing can be enumerated (bubblewrap cannot run there either).
    return members;
  }
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    let stat: string;
    try {
      stat = readFileSync(`/proc/${entry}/stat`, "latin1");
    } catch {
      // Exited between readdir and read.
      continue;
    }
    // After the parenthesised command: state ppid pgrp session ...
    const fields = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    if (Number(fields[3]) === sid) members.push({ pid: Number(entry), ppid: Number(fields[1]) });
  }
  return members;
}
