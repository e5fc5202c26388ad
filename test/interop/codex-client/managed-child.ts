import { spawn, type ChildProcess, type SpawnOptions } from "node:child_process";

/** A child process started in its own process group, with its output captured and a bounded stop. */
export interface ManagedChild {
  child: ChildProcess;
  /** Resolves when the child has exited. */
  exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  /** Everything the child wrote to stdout / stderr so far (stdout only when it is not consumed elsewhere). */
  stdout(): string;
  stderr(): string;
  /** SIGTERM to the child's process group, SIGKILL after `graceMs` (default 2000 ms); resolves once it exited. */
  stop(graceMs?: number): Promise<void>;
}

/**
 * Spawns `command` as the leader of a new process group (so `stop` also ends whatever it spawned, and only that),
 * capturing stdout and stderr unless `captureStdout` is false (then the caller reads `child.stdout`).
 */
export function spawnManaged(command: string, args: string[], options: SpawnOptions & { captureStdout?: boolean }): ManagedChild {
  const { captureStdout = true, ...spawnOptions } = options;
  const child = spawn(command, args, { ...spawnOptions, detached: true, stdio: spawnOptions.stdio ?? ["ignore", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  if (captureStdout) child.stdout?.on("data", (chunk: Buffer) => (stdout += chunk.toString("utf8")));
  child.stderr?.on("data", (chunk: Buffer) => (stderr += chunk.toString("utf8")));
  const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((resolve) => {
    if (child.exitCode !== null || child.signalCode !== null) resolve({ code: child.exitCode, signal: child.signalCode });
    child.once("exit", (code, signal) => resolve({ code, signal }));
    child.once("error", () => resolve({ code: null, signal: null }));
  });
  const signalGroup = (signal: NodeJS.Signals): void => {
    if (child.pid === undefined) return;
    try {
      process.kill(-child.pid, signal);
    } catch {
      // The group is already gone (every member exited): nothing left to signal.
    }
  };
  return {
    child,
    exited,
    stdout: () => stdout,
    stderr: () => stderr,
    stop: async (graceMs = 2000) => {
      const running = child.exitCode === null && child.signalCode === null;
      if (running) signalGroup("SIGTERM");
      const timer = setTimeout(() => signalGroup("SIGKILL"), graceMs);
      await exited;
      clearTimeout(timer);
      // Members that outlived the leader (a helper it spawned) end with it.
      signalGroup("SIGKILL");
    },
  };
}
