import { RpcError, ErrorCode } from "../../rpc/rpc-error.js";
import type { ExecSandbox } from "../../sandbox/exec-sandbox.js";
import { MAX_TIMER_DELAY_MS as MAX_TIMER_MS, systemClock, type Clock } from "../../util/clock.js";

/** Clock and timers the process table uses (the project's injected {@link Clock}). */
export type ProcessTimers = Clock;

/** Timers backed by the real clock; they are unref'd so retention timers never keep Node alive. */
export const realTimers: ProcessTimers = systemClock;

/** Limits and timings of one {@link ProcessTable}. Every field is optional; see the defaults. */
export interface ProcessTableOptions {
  /** Retained output per process, in bytes (decoded); the oldest chunks are evicted beyond it. Default 1 MiB (1048576). */
  maxRetainedBytes?: number;
  /** How long a closed process stays readable, in milliseconds, before its id is released. Default 30000. */
  retentionAfterCloseMs?: number;
  /** Delay between SIGTERM and SIGKILL on terminate, in milliseconds. Default 2000. */
  terminateGraceMs?: number;
  /** Processes that may be starting or running (not yet closed) at once. Default 256. */
  maxProcesses?: number;
  /** Input buffered for a child that has not read it yet, in bytes; `process/write` answers once it is below this. Default 8 MiB (8388608). */
  maxStdinBufferedBytes?: number;
  /** Longest `process/read` long-poll in milliseconds; larger `waitMs` values are clamped to it. Default 300000 (5 min). */
  maxReadWaitMs?: number;
  /** `process/write` `writeId`s remembered per process for idempotence (the oldest is forgotten beyond it). Default 4096, as upstream. */
  maxRememberedWriteIds?: number;
  /** Clock and timers. Default {@link realTimers}. */
  timers?: ProcessTimers;
  /** Server environment that `envPolicy` inherits from. Default `process.env`. */
  baseEnv?: NodeJS.ProcessEnv;
  /** Called when the notification sink throws; the error is otherwise ignored so one bad listener cannot stall a process. Default: no-op. */
  onSinkError?: (error: unknown) => void;
  /**
   * Applies `process/start.sandbox` (codex 0.169 permission profiles, bubblewrap). The server shares
   * one between all sessions (and its fs methods). Default: a table-owned `new ExecSandbox()`
   * (refusing sandboxed starts when bubblewrap is unusable), disposed with the table.
   */
  sandbox?: ExecSandbox;
}

/** {@link ProcessTableOptions} with every default applied (except `sandbox`, which the table creates on demand). */
export type ResolvedProcessTableOptions = Required<Omit<ProcessTableOptions, "sandbox">> & Pick<ProcessTableOptions, "sandbox">;

/** Default values of {@link ProcessTableOptions}. */
export const processTableDefaults = {
  maxRetainedBytes: 1024 * 1024,
  retentionAfterCloseMs: 30_000,
  terminateGraceMs: 2_000,
  maxProcesses: 256,
  maxReadWaitMs: 300_000,
  maxStdinBufferedBytes: 8 * 1024 * 1024,
  maxRememberedWriteIds: 4096,
} as const;

/** Applies defaults and validates limits; throws a -32602 {@link RpcError} naming a bad option. */
export function resolveProcessTableOptions(options: ProcessTableOptions = {}): ResolvedProcessTableOptions {
  const resolved: ResolvedProcessTableOptions = {
    maxRetainedBytes: options.maxRetainedBytes ?? processTableDefaults.maxRetainedBytes,
    retentionAfterCloseMs: options.retentionAfterCloseMs ?? processTableDefaults.retentionAfterCloseMs,
    terminateGraceMs: options.terminateGraceMs ?? processTableDefaults.terminateGraceMs,
    maxProcesses: options.maxProcesses ?? processTableDefaults.maxProcesses,
    maxReadWaitMs: options.maxReadWaitMs ?? processTableDefaults.maxReadWaitMs,
    maxStdinBufferedBytes: options.maxStdinBufferedBytes ?? processTableDefaults.maxStdinBufferedBytes,
    maxRememberedWriteIds: options.maxRememberedWriteIds ?? processTableDefaults.maxRememberedWriteIds,
    timers: options.timers ?? realTimers,
    baseEnv: options.baseEnv ?? process.env,
    onSinkError: options.onSinkError ?? (() => {}),
    ...(options.sandbox === undefined ? {} : { sandbox: options.sandbox }),
  };
  for (const key of ["maxRetainedBytes", "retentionAfterCloseMs", "terminateGraceMs", "maxProcesses", "maxReadWaitMs", "maxStdinBufferedBytes", "maxRememberedWriteIds"] as const) {
    const value = resolved[key];
    if (!Number.isSafeInteger(value) || value < 0) {
      throw new RpcError(ErrorCode.InvalidParams, `process table option ${key} must be a non-negative integer, got ${value}`);
    }
  }
  for (const key of ["retentionAfterCloseMs", "terminateGraceMs", "maxReadWaitMs"] as const) {
    // Node timers fire at once for delays above 2^31 - 1 ms.
    if (resolved[key] > MAX_TIMER_MS) {
      throw new RpcError(ErrorCode.InvalidParams, `process table option ${key} must be at most ${MAX_TIMER_MS} ms, got ${resolved[key]}`);
    }
  }
  if (resolved.maxProcesses < 1) {
    throw new RpcError(ErrorCode.InvalidParams, "process table option maxProcesses must be at least 1");
  }
  return resolved;
}
