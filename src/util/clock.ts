/**
 * Injected time source and timers. Logic that depends on time takes a `Clock` so tests drive time
 * explicitly with {@link ManualClock} instead of sleeping.
 */

/** Longest delay a Node timer honours, in ms (2^31 - 1); longer delays fire at once, so limits stay below it. */
export const MAX_TIMER_DELAY_MS = 2_147_483_647;

/** Opaque timer handle returned by {@link Clock.setTimeout}. */
export type TimerHandle = unknown;

/** Time and one-shot timers. `now()` is in milliseconds (monotonic for the real clock). */
export interface Clock {
  /** Current time in milliseconds. */
  now(): number;
  /** Runs `fn` once after `ms` milliseconds; returns a handle for {@link Clock.clearTimeout}. */
  setTimeout(fn: () => void, ms: number): TimerHandle;
  /** Cancels a pending timer; unknown or already-fired handles are ignored. */
  clearTimeout(handle: TimerHandle): void;
}

/** The process clock: `performance.now()` and Node's timers (unref'd so they never keep the process alive). */
export const systemClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => {
    const timer = setTimeout(fn, ms);
    timer.unref?.();
    return timer;
  },
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

interface PendingTimer {
  readonly id: number;
  readonly at: number;
  readonly fn: () => void;
}

/**
 * A clock that only moves when told to. Timers fire in due-time order (ties in creation order)
 * during {@link ManualClock.advance}; a timer scheduled by a firing timer fires in the same advance
 * if it is due.
 */
export class ManualClock implements Clock {
  #now: number;
  #nextId = 1;
  #timers: PendingTimer[] = [];

  /** @param start initial time in milliseconds (default 0). */
  constructor(start = 0) {
    this.#now = start;
  }

  now(): number {
    return this.#now;
  }

  setTimeout(fn: () => void, ms: number): TimerHandle {
    const timer = { id: this.#nextId++, at: this.#now + Math.max(0, ms), fn };
    this.#timers.push(timer);
    return timer.id;
  }

  clearTimeout(handle: TimerHandle): void {
    this.#timers = this.#timers.filter((t) => t.id !== handle);
  }

  /** Number of timers not yet fired or cancelled. */
  get pendingCount(): number {
    return this.#timers.length;
  }

  /** Due time of the earliest pending timer, or `undefined`. */
  nextDueAt(): number | undefined {
    let best: number | undefined;
    for (const t of this.#timers) if (best === undefined || t.at < best) best = t.at;
    return best;
  }

  /** Moves time forward by `ms`, firing every timer that becomes due, in order. */
  advance(ms: number): void {
    const target = this.#now + Math.max(0, ms);
    for (;;) {
      let next: PendingTimer | undefined;
      for (const t of this.#timers) if (t.at <= target && (next === undefined || t.at < next.at || (t.at === next.at && t.id < next.id))) next = t;
      if (next === undefined) break;
      const fired = next;
      this.#timers = this.#timers.filter((t) => t !== fired);
      this.#now = Math.max(this.#now, fired.at);
      fired.fn();
    }
    this.#now = target;
  }

  /** Fires the earliest pending timer (advancing time to it); returns false when none is pending. */
  runNext(): boolean {
    const due = this.nextDueAt();
    if (due === undefined) return false;
    this.advance(due - this.#now);
    return true;
  }
}
