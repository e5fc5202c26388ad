import { pathToFileURL } from "node:url";
import type { ChildEvents } from "../../src/server/process/child-handle.js";
import type { PreparedProcess, SandboxedChildHandle } from "../../src/sandbox/index.js";
import { systemClock } from "../../src/util/clock.js";

/** A PATH for sandboxed children. */
export const CHILD_PATH = "/usr/local/bin:/usr/bin:/bin";

/** `file://` URI of a native path. */
export const uri = (path: string): string => pathToFileURL(path).href;

/** A running child of a prepared process, with everything it reported. */
export interface RunningChild {
  readonly handle: SandboxedChildHandle;
  /** Output so far (UTF-8). */
  output(): string;
  /** Resolves with the exit code once the child closed. */
  readonly closed: Promise<number>;
}

/** Spawns `argv` (pipes, or a PTY with `tty`) through `prepared` and records what it reports. */
export async function startChild(
  prepared: PreparedProcess,
  argv: [string, ...string[]],
  options: { cwd: string; env?: Record<string, string>; tty?: boolean; arg0?: string },
): Promise<RunningChild> {
  const chunks: Buffer[] = [];
  let exitCode = -1;
  let resolveClosed!: (code: number) => void;
  const closed = new Promise<number>((resolve) => (resolveClosed = resolve));
  const events: ChildEvents = {
    onOutput: (_stream, data) => chunks.push(data),
    onExit: (code) => (exitCode = code),
    onClose: () => resolveClosed(exitCode),
    onFailure: () => undefined,
  };
  const handle = await prepared.spawn(
    {
      argv,
      arg0: options.arg0,
      cwd: options.cwd,
      env: options.env ?? { PATH: CHILD_PATH },
      pipeStdin: false,
      clock: systemClock,
      tty: options.tty ?? false,
    },
    events,
  );
  return { handle, output: () => Buffer.concat(chunks).toString("utf8"), closed };
}

/** Runs a shell script to completion; returns its output, exit code and `sandboxDenied`. */
export async function runScript(
  prepared: PreparedProcess,
  script: string,
  options: { cwd: string; env?: Record<string, string>; tty?: boolean },
): Promise<{ output: string; exitCode: number; sandboxDenied: boolean }> {
  const child = await startChild(prepared, ["/bin/sh", "-c", script], options);
  const exitCode = await child.closed;
  const output = child.output();
  return { output, exitCode, sandboxDenied: prepared.sandboxDenied(exitCode, [output]) };
}
