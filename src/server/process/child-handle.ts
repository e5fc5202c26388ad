import { constants as osConstants } from "node:os";
import type { Clock } from "../../util/clock.js";
import type { ProcessStream } from "./types.js";

/** Events a spawned child reports to its owner, in the order the OS delivers them. */
export interface ChildEvents {
  /** A chunk of output. */
  onOutput(stream: ProcessStream, data: Buffer): void;
  /** The child exited; `exitCode` already maps signals to 128 + signal number. */
  onExit(exitCode: number): void;
  /** Exit happened and every output stream reached EOF; always the last event. */
  onClose(): void;
  /** An I/O error after a successful spawn (the process keeps its entry; reads report it as `failure`). */
  onFailure(message: string): void;
}

/** Result of writing to a child's input. */
export type ChildWriteResult = "accepted" | "stdinClosed";

/** A running child, pipe- or PTY-backed; it leads its own session and process group. */
export interface ChildHandle {
  readonly pid: number;
  /** Writes to stdin (pipes) or the terminal (PTY). */
  write(data: Buffer): ChildWriteResult;
  /**
   * Resolves once at most `limitBytes` of written input are still buffered in this process (the
   * child is reading), or the input closed. Pipes track stdin; a PTY resolves at once (terminal
   * input is small and interactive).
   */
  inputDrained(limitBytes: number): Promise<void>;
  /** Releases the output streams so `onClose` fires even if a straggler keeps them open. */
  destroyStreams(): void;
  /**
   * Stops reading the child's output (stdout and stderr, or the terminal) so the OS pipe fills and
   * the child blocks in `write`; no `onOutput` arrives until {@link ChildHandle.resume}. Idempotent.
   */
  pause(): void;
  /** Reads the child's output again after {@link ChildHandle.pause}. Idempotent. */
  resume(): void;
  /**
   * Sends `signal` to the child and its descendants (every process group of its session; inside a
   * sandbox, the command rather than bubblewrap, see `signalSandboxedSession`). True when something
   * was signalled.
   */
  signal(signal: NodeJS.Signals): boolean;
}

/** What both spawners need. */
export interface ChildSpawnRequest {
  argv: readonly [string, ...string[]];
  arg0: string | undefined;
  cwd: string;
  env: Record<string, string>;
  pipeStdin: boolean;
  /** Timers for the spawner's own housekeeping (the PTY's liveness check while paused). */
  clock: Clock;
}

/** Exit status as shells report it: the exit code, or 128 + signal number for a signalled process. */
export function shellExitCode(code: number | null, signal: NodeJS.Signals | number | null | undefined): number {
  if (typeof signal === "number" && signal > 0) return 128 + signal;
  if (typeof signal === "string") {
    const number = (osConstants.signals as Record<string, number | undefined>)[signal];
    if (number !== undefined) return 128 + number;
  }
  return code ?? 0;
}
