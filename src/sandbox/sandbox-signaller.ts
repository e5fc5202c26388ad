import type { Clock, TimerHandle } from "../util/clock.js";
import { signalSandboxedSession } from "./signal-sandboxed-session.js";

/**
 * How often (ms) a signal sent before the sandboxed command existed looks for it again. bubblewrap
 * builds its namespaces and mounts for a few milliseconds (longer under load) after its own exec.
 */
export const PENDING_SIGNAL_POLL_MS = 10;

/**
 * Signals the command of one bubblewrap sandbox (see {@link signalSandboxedSession}), including one
 * that does not exist yet: a SIGINT or SIGTERM sent while bubblewrap is still setting up (a client's
 * `process/signal` right after `process/start`) would otherwise reach nobody and be lost, since
 * bubblewrap's own processes are spared. Such signals are kept, in order, and delivered as soon as
 * the command appears, until {@link SandboxSignaller.stop} (the sandbox exited). SIGKILL is never
 * deferred: it kills bubblewrap itself, and with it anything pending.
 */
export class SandboxSignaller {
  private pending: NodeJS.Signals[] = [];
  private timer: TimerHandle | undefined;
  private stopped = false;

  /** `leader`: the outer bwrap's pid (a session leader); `clock`: timers for the polling. */
  constructor(
    private readonly leader: number,
    private readonly clock: Clock,
  ) {}

  /**
   * Sends `signal` to the command and its descendants now, or once the command exists. True when it
   * was delivered or is pending; false once the sandbox is gone and nothing was signalled.
   */
  signal(signal: NodeJS.Signals): boolean {
    if (signal === "SIGKILL") {
      this.clearPending();
      return signalSandboxedSession(this.leader, signal);
    }
    // Later signals wait behind earlier pending ones, so they arrive in the order they were sent.
    if (this.pending.length === 0 && signalSandboxedSession(this.leader, signal)) return true;
    if (this.stopped) return false;
    if (!this.pending.includes(signal)) this.pending.push(signal);
    this.timer ??= this.clock.setTimeout(() => this.poll(), PENDING_SIGNAL_POLL_MS);
    return true;
  }

  /** The sandbox exited: drops pending signals and stops looking for the command. Idempotent. */
  stop(): void {
    this.stopped = true;
    this.clearPending();
  }

  private poll(): void {
    this.timer = undefined;
    const [first, ...rest] = this.pending;
    if (this.stopped || first === undefined) return;
    if (!signalSandboxedSession(this.leader, first)) {
      this.timer = this.clock.setTimeout(() => this.poll(), PENDING_SIGNAL_POLL_MS);
      return;
    }
    this.pending = [];
    for (const signal of rest) signalSandboxedSession(this.leader, signal);
  }

  private clearPending(): void {
    this.pending = [];
    if (this.timer !== undefined) this.clock.clearTimeout(this.timer);
    this.timer = undefined;
  }
}
