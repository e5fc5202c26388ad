import { ErrorCode, RpcError } from "../../rpc/rpc-error.js";
import type { ChildEvents, ChildHandle } from "./child-handle.js";
import type { ProcessTimers } from "./process-table-options.js";
import { createOutputNotification } from "./output-notification.js";
import { RetainedOutput } from "./retained-output.js";
import type {
  ProcessNotificationSink,
  ProcessReadResult,
  ProcessStream,
  ProcessWriteStatus,
} from "./types.js";

/** Where a process is in its life. `exited` = the child exited but some output stream is still open. */
export type ProcessPhase = "starting" | "running" | "exited" | "closed" | "failedToStart";

/** What a {@link ManagedProcess} needs from its table. */
export interface ManagedProcessContext {
  readonly maxRetainedBytes: number;
  readonly terminateGraceMs: number;
  /** `writeId`s remembered per process for idempotent writes; the oldest is forgotten beyond this. */
  readonly maxRememberedWriteIds: number;
  readonly timers: ProcessTimers;
  /** Delivers a notification to whoever currently listens (or nobody). */
  readonly emit: ProcessNotificationSink;
  /** Called once when the process closed (for retention). */
  readonly onClosed: (process: ManagedProcess) => void;
  /** Called after each `process/output` notification; the table pauses the process here while its sink is congested. */
  readonly afterOutput: (process: ManagedProcess) => void;
}

/** What a {@link ManagedProcess} knows about its child before it is spawned. */
export interface ManagedProcessTraits {
  /** The child gets writable input (`pipeStdin` or a PTY): a write after its exit is an error, not `stdinClosed`. */
  readonly writableInput: boolean;
}

/** How a sandboxed child's exit is classified (from `PreparedProcess` of the sandbox). */
export interface SandboxExitClassifier {
  /** `sandboxDenied` for a child that exited with `exitCode` after writing `output`. */
  sandboxDenied(exitCode: number, output: Iterable<Uint8Array>): boolean;
}

/**
 * How long `process/exited` of a sandboxed child may wait for its output streams to reach EOF, in
 * milliseconds. The exit is reported once the output is complete, so `sandboxDenied` sees every
 * message (a pipe can deliver output after the exit event); inside bubblewrap's pid namespace
 * nothing outlives the command, so EOF follows the exit at once and this bound is a safety net.
 */
export const SANDBOXED_EXIT_DRAIN_MS = 500;

/** The error of a write to a process whose input was writable but which has exited (upstream's text). */
export const STDIN_WRITE_FAILED = "failed to write to process stdin";

/** `process/read` arguments after validation and defaults. */
export interface ReadRequest {
  afterSeq: number;
  /** Undefined = unlimited. */
  maxBytes: number | undefined;
  waitMs: number;
}

/**
 * One process: its seq counter (from 1, shared by output, exit and close), retained output,
 * terminal state, long-poll waiters and termination escalation. It receives {@link ChildEvents}
 * from a pipe or PTY child and turns them into notifications and read results.
 */
export class ManagedProcess implements ChildEvents {
  private phase: ProcessPhase = "starting";
  private nextSeq = 1;
  private readonly output: RetainedOutput;
  private exitCode: number | null = null;
  private exitSeq: number | null = null;
  private failure: string | null = null;
  private handle: ChildHandle | undefined;
  private classifier: SandboxExitClassifier | undefined;
  private sandboxDenied = false;
  /** The child exited (its exit may not be reported yet, see {@link SANDBOXED_EXIT_DRAIN_MS}). */
  private childExited = false;
  /** Exit status held back until the output streams end (sandboxed children). */
  private heldExitCode: number | undefined;
  private heldExitTimer: unknown;
  private terminateRequested = false;
  private interruptRequested = false;
  private escalationTimer: unknown;
  private readonly waiters = new Set<() => void>();
  /** `writeId`s of accepted writes, oldest first (a Set keeps insertion order). */
  private readonly writeIds = new Set<string>();
  private readersReleased = false;
  /** Output reading is paused for flow control. */
  private outputPaused = false;
  /** SIGKILL was sent: flow control no longer applies, so the streams drain to EOF and `process/closed` arrives. */
  private flowExempt = false;
  private resolveGone!: () => void;
  /** Resolves once the process closed or failed to start: no child of it is left to wait for. */
  readonly gone: Promise<void> = new Promise((resolve) => (this.resolveGone = resolve));

  constructor(
    readonly processId: string,
    private readonly context: ManagedProcessContext,
    private readonly traits: ManagedProcessTraits = { writableInput: false },
  ) {
    this.output = new RetainedOutput(context.maxRetainedBytes);
  }

  /** Current phase. */
  get state(): ProcessPhase {
    return this.phase;
  }

  /** The child's pid (its session and process group id) once spawned. */
  get pid(): number | undefined {
    return this.handle?.pid;
  }

  /** True while output reading is paused by {@link ManagedProcess.pauseOutput}. */
  get paused(): boolean {
    return this.outputPaused;
  }

  /**
   * Stops reading the child's output (flow control: the sink is congested). Returns false, doing
   * nothing, when there is nothing to pause: not spawned, closed, already paused, or being killed.
   */
  pauseOutput(): boolean {
    if (this.outputPaused || this.flowExempt || this.handle === undefined || this.phase === "closed") return false;
    this.outputPaused = true;
    this.handle.pause();
    return true;
  }

  /** Reads the child's output again after {@link ManagedProcess.pauseOutput}; no-op when not paused. */
  resumeOutput(): void {
    if (!this.outputPaused) return;
    this.outputPaused = false;
    if (this.phase !== "closed") this.handle?.resume();
  }

  /**
   * Records a successful spawn; applies a terminate or interrupt that arrived while starting. With a
   * `classifier` (a sandboxed child) the exit is reported once the output is complete and carries
   * `sandboxDenied`.
   */
  attach(handle: ChildHandle, classifier?: SandboxExitClassifier): void {
    this.handle = handle;
    this.classifier = classifier;
    if (this.phase === "starting") this.phase = "running";
    if (this.terminateRequested) this.terminate();
    else if (this.interruptRequested) this.interrupt();
  }

  /** Records a failed spawn: the process never existed. */
  markFailedToStart(): void {
    this.phase = "failedToStart";
    this.wake();
    this.resolveGone();
  }

  onOutput(stream: ProcessStream, data: Buffer): void {
    if (data.length === 0 || this.phase === "closed") return;
    const seq = this.nextSeq++;
    this.output.push({ seq, stream, data });
    this.context.emit("process/output", createOutputNotification(this.processId, seq, stream, data));
    this.wake();
    this.context.afterOutput(this);
  }

  onExit(exitCode: number): void {
    if (this.exitSeq !== null || this.heldExitCode !== undefined) return;
    this.childExited = true;
    if (this.classifier !== undefined && this.phase !== "closed") {
      // Sandboxed: report the exit once every output byte is in, so sandboxDenied sees all of it.
      this.heldExitCode = exitCode;
      this.heldExitTimer = this.context.timers.setTimeout(() => this.reportExit(exitCode), SANDBOXED_EXIT_DRAIN_MS);
      return;
    }
    this.reportExit(exitCode);
  }

  private reportExit(exitCode: number): void {
    if (this.exitSeq !== null) return;
    if (this.heldExitTimer !== undefined) this.context.timers.clearTimeout(this.heldExitTimer);
    this.heldExitTimer = undefined;
    this.heldExitCode = undefined;
    this.childExited = true;
    const seq = this.nextSeq++;
    this.exitCode = exitCode;
    this.exitSeq = seq;
    this.sandboxDenied = this.classifier?.sandboxDenied(exitCode, this.retainedData()) ?? false;
    if (this.phase !== "closed") this.phase = "exited";
    this.context.emit("process/exited", { processId: this.processId, seq, exitCode, sandboxDenied: this.sandboxDenied });
    this.wake();
  }

  private *retainedData(): Iterable<Uint8Array> {
    for (const chunk of this.output.select(0, undefined).chunks) yield chunk.data;
  }

  onClose(): void {
    if (this.phase === "closed") return;
    // A child can only close after exiting; if the exit event was somehow lost (or is held back
    // for the output, see onExit), report it first so `process/closed` stays the last event.
    if (this.exitSeq === null) this.reportExit(this.heldExitCode ?? this.exitCode ?? 0);
    const seq = this.nextSeq++;
    this.phase = "closed";
    this.outputPaused = false;
    if (this.escalationTimer !== undefined) this.context.timers.clearTimeout(this.escalationTimer);
    this.escalationTimer = undefined;
    this.context.emit("process/closed", { processId: this.processId, seq });
    this.wake();
    this.resolveGone();
    this.context.onClosed(this);
  }

  onFailure(message: string): void {
    this.failure ??= message;
    this.wake();
  }

  /**
   * `process/write`: writes `data` to the child's stdin (or terminal). An accepted write resolves
   * once at most `maxBufferedBytes` of input wait for the child (stdin backpressure: a child that
   * does not read cannot make the server buffer without bound), or the input closed. With a
   * `writeId` the write is idempotent: an id already accepted answers `accepted` without writing
   * again (a retry after a lost answer). The id is remembered synchronously with the write, so a
   * concurrent duplicate cannot slip in; ids of writes that were not accepted are not remembered,
   * so their retry writes. A child without writable input answers `stdinClosed`; one whose input
   * was writable but which has exited (or was terminated) throws -32603 {@link STDIN_WRITE_FAILED}.
   */
  async write(data: Buffer, maxBufferedBytes: number, writeId?: string): Promise<ProcessWriteStatus> {
    if (writeId !== undefined && this.writeIds.has(writeId)) return "accepted";
    if (this.phase === "starting") return "starting";
    if (!this.traits.writableInput) return "stdinClosed";
    if (this.childExited || this.phase !== "running" || this.handle === undefined) {
      throw new RpcError(ErrorCode.Internal, STDIN_WRITE_FAILED);
    }
    const status = this.handle.write(data);
    if (status === "accepted" && writeId !== undefined) this.rememberWriteId(writeId);
    if (status === "accepted") await this.handle.inputDrained(maxBufferedBytes);
    return status;
  }

  private rememberWriteId(writeId: string): void {
    this.writeIds.add(writeId);
    if (this.writeIds.size > this.context.maxRememberedWriteIds) {
      const oldest = this.writeIds.values().next();
      if (oldest.done !== true) this.writeIds.delete(oldest.value);
    }
  }

  /**
   * Sends SIGTERM to every process group of the child's session, then SIGKILL after the grace
   * period if it has not closed (from then on flow control no longer pauses its output), then (after another grace period) destroys the output streams so
   * `process/closed` is delivered even if an escaped descendant holds them. Returns true when a
   * running (or still starting) process was signalled.
   */
  terminate(): boolean {
    if (this.phase === "closed" || this.phase === "failedToStart") return false;
    if (this.handle === undefined) {
      // Starting: signalled as soon as the spawn succeeds (see attach).
      this.terminateRequested = true;
      return true;
    }
    const wasRunning = this.phase === "running" && !this.childExited;
    const handle = this.handle;
    // Even an exited leader may have left descendants holding the output open; signal them too.
    handle.signal("SIGTERM");
    if (this.escalationTimer === undefined) {
      const grace = this.context.terminateGraceMs;
      this.escalationTimer = this.context.timers.setTimeout(() => {
        if (this.phase === "closed") return;
        handle.signal("SIGKILL");
        // A paused child (or its dead pipes) would never reach EOF while the sink stays congested.
        this.flowExempt = true;
        this.resumeOutput();
        this.escalationTimer = this.context.timers.setTimeout(() => {
          if (this.phase !== "closed") this.handle?.destroyStreams();
        }, grace);
      }, grace);
    }
    return wasRunning;
  }

  /**
   * `process/signal {interrupt}`: SIGINT to the child and its descendants (a shell's foreground
   * job, a sandboxed command). A process still spawning is interrupted once the spawn succeeds;
   * an exited or closed one is left alone.
   */
  interrupt(): void {
    if (this.phase === "closed" || this.phase === "failedToStart" || this.childExited) return;
    if (this.handle === undefined) {
      this.interruptRequested = true;
      return;
    }
    this.handle.signal("SIGINT");
  }

  /** `process/read` for this process; long-polls up to `waitMs` without blocking anything else. */
  async read(request: ReadRequest): Promise<ProcessReadResult> {
    const deadline = this.context.timers.now() + request.waitMs;
    for (;;) {
      const result = this.snapshot(request);
      const remaining = deadline - this.context.timers.now();
      if (this.isReady(result, request.afterSeq) || remaining <= 0 || this.readersReleased) return result;
      await this.waitForActivity(remaining);
    }
  }

  /** Answers pending and future long-polls at once (the table is shutting down). */
  releaseReaders(): void {
    this.readersReleased = true;
    this.wake();
  }

  private wake(): void {
    const waiters = [...this.waiters];
    this.waiters.clear();
    for (const waiter of waiters) waiter();
  }

  private isReady(result: ProcessReadResult, afterSeq: number): boolean {
    return (
      result.chunks.length > 0 ||
      result.closed ||
      (this.exitSeq !== null && this.exitSeq > afterSeq) ||
      this.phase === "failedToStart"
    );
  }

  private snapshot(request: ReadRequest): ProcessReadResult {
    const { chunks, droppedBytes } = this.output.select(request.afterSeq, request.maxBytes);
    const last = chunks[chunks.length - 1];
    return {
      chunks: chunks.map((c) => ({ seq: c.seq, stream: c.stream, chunk: c.data.toString("base64") })),
      // As upstream: a page (maxBytes) continues after its last chunk; a full read after everything
      // so far, exit and close included.
      nextSeq: last === undefined || request.maxBytes === undefined ? this.nextSeq : last.seq + 1,
      exited: this.exitSeq !== null,
      exitCode: this.exitCode,
      closed: this.phase === "closed",
      failure: this.failure,
      truncated: droppedBytes > 0,
      droppedBytes,
      sandboxDenied: this.sandboxDenied,
    };
  }

  private waitForActivity(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timers = this.context.timers;
      const done = (): void => {
        timers.clearTimeout(timer);
        this.waiters.delete(done);
        resolve();
      };
      const timer = timers.setTimeout(done, ms);
      this.waiters.add(done);
    });
  }
}
