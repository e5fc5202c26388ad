/**
 * Wire types of the process methods and notifications (CONTRACT.md §3). Field names match the
 * contract exactly; the generated OpenRPC types are structurally identical, so handlers can pass
 * either. Optional fields accept both `null` and absent, as the contract requires of receivers.
 */

/** Which output stream a chunk came from; PTY-backed processes only ever report `pty`. */
export type ProcessStream = "stdout" | "stderr" | "pty";

/** `inherit` mode of {@link EnvPolicy}: which variables of the server's environment are the start. */
export type EnvInherit = "all" | "core" | "none";

/**
 * Environment policy, modelled on codex's shell environment policy. The child environment is
 * computed from the server's `process.env`, then `env` of {@link ProcessStartParams} is overlaid.
 */
export interface EnvPolicy {
  /** Start from all, the core (HOME, PATH, USER, LANG, LC_*, ...), or none of the server's variables. Default `all`. */
  inherit?: EnvInherit | null;
  /** When false (the default), names matching `*KEY*`, `*SECRET*` or `*TOKEN*` (case-insensitive) are removed. */
  ignoreDefaultExcludes?: boolean | null;
  /** Case-insensitive wildcard patterns (`*`, `?`) of names to remove. */
  exclude?: string[] | null;
  /** Variables set after inheritance and exclusion. */
  set?: Record<string, string> | null;
  /** When non-empty, only names matching one of these case-insensitive wildcard patterns are kept. */
  includeOnly?: string[] | null;
}

/** `process/start` params. */
export interface ProcessStartParams {
  /** Caller-chosen handle, unique within the session. */
  processId: string;
  /** Non-empty; `argv[0]` is the program (looked up in the child's `PATH` when it has no slash). */
  argv: string[];
  /** Absolute working directory. */
  cwd: string;
  /** Exact child environment when `envPolicy` is null/absent; otherwise overlaid on the policy's result. */
  env: Record<string, string>;
  envPolicy?: EnvPolicy | null;
  /** PTY-backed; output is reported as stream `pty` and writes go to the terminal. */
  tty: boolean;
  /** Non-PTY only: keep stdin writable (default false: the child's stdin is closed / `/dev/null`). */
  pipeStdin?: boolean | null;
  /** Overrides `argv[0]` as seen by the program. */
  arg0?: string | null;
  /** Routing hint for the server (CONTRACT.md §8); the local process table ignores it. */
  environmentId?: string | null;
}

/** `process/start` result. */
export interface ProcessStartResult {
  processId: string;
}

/** `process/read` params. */
export interface ProcessReadParams {
  processId: string;
  /** Return chunks with a seq greater than this. Default 0. */
  afterSeq?: number | null;
  /** Byte budget (decoded bytes) for chunks after the first, which is always returned. Default unlimited. */
  maxBytes?: number | null;
  /** Long-poll budget in milliseconds. Default 0 (answer at once). */
  waitMs?: number | null;
}

/** One retained output chunk as returned by `process/read`. */
export interface ProcessOutputChunk {
  seq: number;
  stream: ProcessStream;
  /** Standard base64 with padding. */
  chunk: string;
}

/** `process/read` result. */
export interface ProcessReadResult {
  chunks: ProcessOutputChunk[];
  /** Last returned seq + 1, or the process's next unused seq when no chunk is returned. */
  nextSeq: number;
  exited: boolean;
  /** Exit status once exited; 128 + signal number for a signalled process; null while running. */
  exitCode: number | null;
  /** True once the process exited and all its output streams reached EOF. */
  closed: boolean;
  /** Text of an error that broke the process's I/O after it started, else null. */
  failure: string | null;
  /** True when chunks with seq > afterSeq were evicted before this read could return them. */
  truncated: boolean;
  /** Decoded bytes of those evicted chunks (0 when `truncated` is false). */
  droppedBytes: number;
}

/** `process/write` params. */
export interface ProcessWriteParams {
  processId: string;
  /** Standard base64 with padding. */
  chunk: string;
}

/** `process/write` status: a status, never an error. */
export type ProcessWriteStatus = "accepted" | "unknownProcess" | "stdinClosed" | "starting";

/** `process/write` result. */
export interface ProcessWriteResult {
  status: ProcessWriteStatus;
}

/** `process/terminate` params. */
export interface ProcessTerminateParams {
  processId: string;
}

/** `process/terminate` result. */
export interface ProcessTerminateResult {
  /** True when a running process was signalled. */
  running: boolean;
}

/** `process/output` notification params. */
export interface ProcessOutputNotification {
  processId: string;
  seq: number;
  stream: ProcessStream;
  /** Standard base64 with padding. */
  chunk: string;
}

/** `process/exited` notification params. */
export interface ProcessExitedNotification {
  processId: string;
  seq: number;
  exitCode: number;
}

/** `process/closed` notification params. */
export interface ProcessClosedNotification {
  processId: string;
  seq: number;
}

/** Method name → params of every notification the process layer emits. */
export interface ProcessNotifications {
  "process/output": ProcessOutputNotification;
  "process/exited": ProcessExitedNotification;
  "process/closed": ProcessClosedNotification;
}

/** Name of a notification the process layer emits. */
export type ProcessNotificationMethod = keyof ProcessNotifications;

/**
 * Receives notifications. Called synchronously, in seq order per process; it must not throw (a
 * throwing sink is reported to `onSinkError` and otherwise ignored).
 */
export type ProcessNotificationSink = <M extends ProcessNotificationMethod>(
  method: M,
  params: ProcessNotifications[M],
) => void;
