import { readFileSync } from "node:fs";

/**
 * True while a process with `pid` exists and has not died (signal 0 probes without signalling).
 * A zombie counts as dead: under an init that does not reap (a container whose pid 1 is a plain
 * program, or `unshare --pid --fork`), an orphan that died stays a zombie, and signal 0 still finds it.
 */
export function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
  } catch {
    return false;
  }
  return procState(pid) !== "Z";
}

/** The state letter of `/proc/<pid>/stat` (Linux), or undefined where it cannot be read. */
function procState(pid: number): string | undefined {
  try {
    const text = readFileSync(`/proc/${pid}/stat`, "latin1");
    // "pid (command name) S ...": the state follows the last parenthesis.
    return text[text.lastIndexOf(")") + 2];
  } catch {
    return undefined;
  }
}

/**
 * Polls `condition` every 20 ms until it holds; rejects naming `what` after `timeoutMs`. A `what`
 * that reports state (a child's stderr, a log) is a function, read when the wait gives up.
 */
export async function waitUntil(condition: () => boolean, timeoutMs: number, what: string | (() => string) = "condition"): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${typeof what === "function" ? what() : what}`);
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
}
