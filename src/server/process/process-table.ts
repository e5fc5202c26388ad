import path from "node:path";
import type { FlowControl } from "../../rpc/message-transport.js";
import { ErrorCode, RpcError } from "../../rpc/rpc-error.js";
import { ExecSandbox, type PreparedProcess } from "../../sandbox/exec-sandbox.js";
import type { ChildHandle } from "./child-handle.js";
import { computeChildEnv } from "./env-policy.js";
import { ManagedProcess } from "./managed-process.js";
import type { ProcessTableOptions, ResolvedProcessTableOptions } from "./process-table-options.js";
import { resolveProcessTableOptions } from "./process-table-options.js";
import { checkDirectory } from "./resolve-program.js";
import { strictBase64Problem } from "../../util/strict-base64.js";
import type {
  ProcessNotificationSink,
  ProcessReadParams,
  ProcessReadResult,
  ProcessSignalParams,
  ProcessSignalResult,
  ProcessStartParams,
  ProcessStartResult,
  ProcessTerminateParams,
  ProcessTerminateResult,
  ProcessWriteParams,
  ProcessWriteResult,
} from "./types.js";


/**
 * The processes of one session (CONTRACT.md §3), independent of any transport: the server's
 * handlers call `start`/`read`/`write`/`terminate` with the method params and return the results;
 * notifications go to the current sink, which the session swaps as connections detach and attach.
 * Output is retained whether or not a sink is set.
 */
export class ProcessTable {
  private readonly options: ResolvedProcessTableOptions;
  private readonly processes = new Map<string, ManagedProcess>();
  private readonly retentionTimers = new Map<ManagedProcess, unknown>();
  private sink: ProcessNotificationSink | null = null;
  private flow: FlowControl | null = null;
  private unsubscribeDrain: (() => void) | undefined;
  /** Processes paused because the sink's flow was congested; all resume on its next drain. */
  private readonly paused = new Set<ManagedProcess>();
  private disposed = false;
  private readonly sandbox: ExecSandbox;
  /** The sandbox was created here (no `options.sandbox`), so {@link dispose} disposes it. */
  private readonly ownsSandbox: boolean;

  /** Throws a -32602 {@link RpcError} when an option is invalid. */
  constructor(options: ProcessTableOptions = {}) {
    this.options = resolveProcessTableOptions(options);
    this.ownsSandbox = options.sandbox === undefined;
    this.sandbox = options.sandbox ?? new ExecSandbox();
  }

  /**
   * Sets (or, with null, removes) the receiver of `process/output`, `process/exited` and
   * `process/closed`, with the flow control of the connection behind it. While `flow` is congested,
   * a process that just emitted output is paused (its child blocks once the OS pipe is full) until
   * `flow` drains. Without a sink or a flow nothing is ever paused; replacing or removing the sink
   * resumes every paused process at once.
   */
  setSink(sink: ProcessNotificationSink | null, flow: FlowControl | null = null): void {
    this.unsubscribeDrain?.();
    this.unsubscribeDrain = undefined;
    this.sink = sink;
    this.flow = sink === null ? null : flow;
    this.resumePaused();
    if (this.flow !== null) this.unsubscribeDrain = this.flow.onDrain(() => this.resumePaused());
  }

  /** Ids of processes whose output is currently paused by flow control (diagnostics, tests). */
  get pausedProcessIds(): string[] {
    return [...this.paused].map((managed) => managed.processId);
  }

  /** Ids currently in the table (starting, running, or closed within retention). */
  get processIds(): string[] {
    return [...this.processes.keys()];
  }

  /** The child's pid, which is also its session and process group id; undefined while starting or for an unknown id. */
  pidOf(processId: string): number | undefined {
    return this.processes.get(processId)?.pid;
  }

  /**
   * `process/start`. Resolves once the child is spawned. Errors: -32602 for invalid params
   * (`argv must not be empty`, relative `cwd`, a malformed or unsupported `sandbox`), -32600 for a
   * duplicate id, the process limit, a disposed table or a sandbox that cannot be applied
   * (`sandbox refused: …`, never run unsandboxed), -32603 with the OS error text when spawning
   * fails (the id is then released). `sandboxType` says whether the child runs in a sandbox.
   */
  async start(params: ProcessStartParams): Promise<ProcessStartResult> {
    const { processId } = params;
    validateStartParams(params);
    if (this.disposed) throw new RpcError(ErrorCode.InvalidRequest, "process table is shut down; no new processes");
    if (this.processes.has(processId)) {
      throw new RpcError(ErrorCode.InvalidRequest, `process ${processId} already exists`);
    }
    const live = [...this.processes.values()].filter((p) => p.state !== "closed").length;
    if (live >= this.options.maxProcesses) {
      throw new RpcError(
        ErrorCode.InvalidRequest,
        `cannot start process ${processId}: session already has ${live} processes (limit ${this.options.maxProcesses})`,
      );
    }
    const env = computeChildEnv(params.env, params.envPolicy, this.options.baseEnv);
    const pipeStdin = params.pipeStdin === true;
    // Reserve the id before the first await so exactly one of two concurrent starts wins.
    const managed = new ManagedProcess(
      processId,
      {
        maxRetainedBytes: this.options.maxRetainedBytes,
        terminateGraceMs: this.options.terminateGraceMs,
        maxRememberedWriteIds: this.options.maxRememberedWriteIds,
        timers: this.options.timers,
        emit: (method, notification) => this.emit(method, notification),
        onClosed: (closed) => {
          this.paused.delete(closed);
          this.retain(closed);
        },
        afterOutput: (emitted) => this.applyFlow(emitted),
      },
      { writableInput: pipeStdin || params.tty },
    );
    this.processes.set(processId, managed);
    const release = (): void => {
      if (this.processes.get(processId) === managed) this.processes.delete(processId);
      managed.markFailedToStart();
    };
    const [program, ...args] = params.argv as [string, ...string[]];
    let prepared: PreparedProcess;
    try {
      await checkDirectory(params.cwd);
    } catch (error) {
      release();
      throw new RpcError(ErrorCode.Internal, `failed to start process ${processId} (${program}): ${messageOf(error)}`);
    }
    try {
      prepared = await this.sandbox.prepareProcess(params.sandbox ?? null, {
        cwd: params.cwd,
        env,
        enforceManagedNetwork: params.enforceManagedNetwork === true,
      });
    } catch (error) {
      // -32602 (malformed context) and -32600 (sandbox refused) pass through as they are.
      release();
      throw error;
    }
    let handle: ChildHandle;
    try {
      handle = await prepared.spawn(
        { argv: [program, ...args], arg0: params.arg0 ?? undefined, cwd: params.cwd, env, pipeStdin, clock: this.options.timers, tty: params.tty },
        managed,
      );
    } catch (error) {
      release();
      if (error instanceof RpcError) throw error;
      throw new RpcError(ErrorCode.Internal, `failed to start process ${processId} (${program}): ${messageOf(error)}`);
    }
    managed.attach(handle, prepared.sandboxType === "none" ? undefined : { sandboxDenied: prepared.sandboxDenied });
    if (this.disposed) managed.terminate();
    return { processId, sandboxType: prepared.sandboxType };
  }

  /** `process/read`. Unknown id → -32600 `unknown process id <id>`; bad numbers → -32602. */
  async read(params: ProcessReadParams): Promise<ProcessReadResult> {
    const afterSeq = optionalCount(params.afterSeq, "afterSeq") ?? 0;
    const maxBytes = optionalCount(params.maxBytes, "maxBytes");
    const waitMs = optionalCount(params.waitMs, "waitMs") ?? 0;
    const managed = this.processes.get(params.processId);
    if (managed === undefined) {
      throw new RpcError(ErrorCode.InvalidRequest, `unknown process id ${params.processId}`);
    }
    // Longer waits are clamped (documented): a timer beyond 2^31 ms would fire at once in Node.
    return managed.read({ afterSeq, maxBytes, waitMs: this.disposed ? 0 : Math.min(waitMs, this.options.maxReadWaitMs) });
  }

  /**
   * `process/write`. Invalid base64 or an empty `writeId` → -32602 (as codex 0.169); writing to a
   * process whose input was writable after it exited → -32603 `failed to write to process stdin`;
   * every other outcome is a status. A repeated `writeId` answers `accepted` without writing again
   * (see {@link ManagedProcess.write}); without one (seed clients) every write is written.
   */
  async write(params: ProcessWriteParams): Promise<ProcessWriteResult> {
    const problem = typeof params.chunk === "string" ? strictBase64Problem(params.chunk) : "chunk must be a string";
    if (problem !== undefined) {
      throw new RpcError(ErrorCode.InvalidParams, `process/write requires valid base64 chunk: ${problem}`);
    }
    if (params.writeId === "") throw new RpcError(ErrorCode.InvalidParams, "writeId must not be empty");
    const managed = this.processes.get(params.processId);
    if (managed === undefined) return { status: "unknownProcess" };
    const writeId = params.writeId ?? undefined;
    return { status: await managed.write(Buffer.from(params.chunk, "base64"), this.options.maxStdinBufferedBytes, writeId) };
  }

  /**
   * `process/signal`: `interrupt` sends SIGINT to the process's session (see
   * {@link ManagedProcess.interrupt}). Answers `{}` whether or not a process was signalled (unknown,
   * exited and closed ids included), as codex 0.169.
   */
  signal(params: ProcessSignalParams): ProcessSignalResult {
    if (params.signal !== "interrupt") {
      throw new RpcError(ErrorCode.InvalidParams, `signal must be "interrupt", got ${JSON.stringify(params.signal)}`);
    }
    this.processes.get(params.processId)?.interrupt();
    return {};
  }

  /** `process/terminate`: `{running: true}` when a running process was signalled. */
  terminate(params: ProcessTerminateParams): ProcessTerminateResult {
    const managed = this.processes.get(params.processId);
    return { running: managed?.terminate() ?? false };
  }

  /**
   * Terminates every process (SIGTERM, SIGKILL after the grace period); resolves when every child
   * has closed. The table stays usable.
   */
  async terminateAll(): Promise<void> {
    const all = [...this.processes.values()];
    for (const managed of all) managed.terminate();
    await Promise.all(all.map((managed) => managed.gone));
  }

  /**
   * Refuses new starts, terminates every process, waits until every child is gone, then drops all
   * entries and timers. Pending long-polls are answered at once. Idempotent.
   */
  async dispose(): Promise<void> {
    this.disposed = true;
    for (const managed of this.processes.values()) managed.releaseReaders();
    await this.terminateAll();
    for (const timer of this.retentionTimers.values()) this.options.timers.clearTimeout(timer);
    this.retentionTimers.clear();
    this.processes.clear();
    this.setSink(null);
    if (this.ownsSandbox) await this.sandbox.dispose();
  }

  private applyFlow(managed: ManagedProcess): void {
    if (this.flow === null || !this.flow.congested()) return;
    if (managed.pauseOutput()) this.paused.add(managed);
  }

  private resumePaused(): void {
    const paused = [...this.paused];
    this.paused.clear();
    for (const managed of paused) managed.resumeOutput();
  }

  private emit: ProcessNotificationSink = (method, params) => {
    const sink = this.sink;
    if (sink === null) return;
    try {
      sink(method, params);
    } catch (error) {
      // A failing listener must not break output retention or the other processes.
      this.options.onSinkError(error);
    }
  };

  private retain(managed: ManagedProcess): void {
    const timer = this.options.timers.setTimeout(() => {
      this.retentionTimers.delete(managed);
      if (this.processes.get(managed.processId) === managed) this.processes.delete(managed.processId);
    }, this.options.retentionAfterCloseMs);
    this.retentionTimers.set(managed, timer);
  }
}

function validateStartParams(params: ProcessStartParams): void {
  const invalid = (message: string): RpcError => new RpcError(ErrorCode.InvalidParams, message);
  if (typeof params.processId !== "string" || params.processId === "") {
    throw invalid("processId must be a non-empty string");
  }
  if (!Array.isArray(params.argv) || params.argv.length === 0) throw invalid("argv must not be empty");
  if (!params.argv.every((arg) => typeof arg === "string")) throw invalid("argv must be an array of strings");
  if (params.argv[0] === "") throw invalid("argv[0] must not be empty");
  if (typeof params.cwd !== "string" || !path.isAbsolute(params.cwd)) {
    throw invalid(`cwd must be an absolute path, got ${JSON.stringify(params.cwd)}`);
  }
  if (typeof params.env !== "object" || params.env === null || Array.isArray(params.env)) {
    throw invalid("env must be an object of strings");
  }
  for (const [name, value] of Object.entries(params.env)) {
    if (typeof value !== "string") throw invalid(`env.${name} must be a string`);
  }
  if (typeof params.tty !== "boolean") throw invalid("tty must be a boolean");
  refuseUnsupportedStartMembers(params);
  if (params.envPolicy !== undefined && params.envPolicy !== null) {
    const inherit = params.envPolicy.inherit;
    if (inherit !== undefined && inherit !== null && !["all", "core", "none"].includes(inherit)) {
      throw invalid(`envPolicy.inherit must be "all", "core" or "none", got ${JSON.stringify(inherit)}`);
    }
  }
}

/**
 * Refuses (-32602, naming the member) the codex 0.169 `process/start` members whose behaviour this
 * server does not provide, so a caller never believes a restriction or a restore happened (see
 * docs/dialects.md). `metadata` is telemetry and `managedNetwork` only lists allowances of a policy
 * that is off unless `enforceManagedNetwork` is true, so both are accepted; `sandbox` is applied by
 * the sandbox (or refused there).
 */
function refuseUnsupportedStartMembers(params: ProcessStartParams): void {
  const invalid = (message: string): RpcError => new RpcError(ErrorCode.InvalidParams, message);
  // Decided: the managed network is codex's proxy with per-domain allowances; without a proxy this
  // server could only cut the network entirely, which is not what was asked.
  if (params.enforceManagedNetwork === true) {
    throw invalid("enforceManagedNetwork: true is not supported by this exec-server (it has no managed network proxy to enforce it with)");
  }
  // Decided, not pending: a proxy launch needs the server → client network/policyRequest round trip.
  if (params.networkProxy !== undefined && params.networkProxy !== null) {
    throw invalid("networkProxy is not supported by this exec-server (processes cannot be launched behind a codex network proxy)");
  }
  // Decided: codex sends shellSnapshot only to executors announcing capabilities.shellSnapshotV2,
  // which this one does not; a login shell (`bash -lc`) then runs in full, as codex expects.
  if (params.shellSnapshot !== undefined && params.shellSnapshot !== null) {
    throw invalid("shellSnapshot is not supported by this exec-server (capabilities.shellSnapshotV2 is false; run the login shell directly)");
  }
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

function optionalCount(value: number | null | undefined, name: string): number | undefined {
  if (value === undefined || value === null) return undefined;
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RpcError(ErrorCode.InvalidParams, `${name} must be a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return value;
}
