/**
 * `fs/watchMissing` + `fs/missingChanged` (codex 0.169, UPSTREAM-0.169.md §2.12) for one
 * connection, with the semantics the 0.169 binary shows (probed):
 *
 * - one watch per connection; a registration whose `watchId` is not greater than every id seen on
 *   the connection answers `watching: false` and leaves the current watch alone; any greater id
 *   replaces (cancels) the current watch, even when it is then refused;
 * - refused (`watching: false`): no `missing` paths, a `missing` path that exists (lstat: a dangling
 *   link exists) or cannot be looked up for another reason than "not found", a `present` path that
 *   does not exist (stat: a dangling link does not);
 * - `fs/missingChanged {watchId}` is sent once, then the watch ends, when the observed state
 *   changes: a missing path appears, `present` disappears, or the nearest existing ancestor of a
 *   missing path changes (a directory on the way was created or removed — upstream wakes codex for
 *   that too, so it can watch deeper). Unrelated changes in the same directories send nothing.
 *
 * **Mechanism (decision):** `fs.watch` (inotify) on each directory whose change can alter the
 * state — the nearest existing ancestor of every missing path and the parent of `present` — so a
 * change is noticed at once and an idle watch costs nothing; since any change of those ancestors
 * ends the watch, the set of watched directories never has to move. inotify misses some changes
 * (an ancestor of a watched directory renamed; network file systems) and can be refused (the
 * per-user watch limit), so the state is also re-read every `pollIntervalMs` (default 1 s, the
 * latency upstream shows). Resources are bounded: at most `maxPaths` paths per registration (more
 * → -32600), so at most `maxPaths + 1` inotify watches and one timer per connection, all released
 * when the watch fires, is replaced, or the connection closes.
 */
import { watch as watchDirectory, type FSWatcher } from "node:fs";
import { lstat, stat } from "node:fs/promises";
import { dirname } from "node:path";
import type { FsWatchMissingResult } from "../../../generated/openrpc/types.js";
import { RpcError } from "../../rpc/rpc-error.js";

/** Default {@link MissingPathWatchOptions.maxWatchedPaths}. */
export const DEFAULT_MAX_WATCHED_PATHS = 256;
/** Default {@link MissingPathWatchOptions.watchPollIntervalMs}. */
export const DEFAULT_WATCH_POLL_INTERVAL_MS = 1_000;

/** Limits of the missing-path watch of a connection. */
export interface MissingPathWatchOptions {
  /** Paths (`missing` plus `present`) one `fs/watchMissing` may name; more → -32600. Default 256. */
  readonly maxWatchedPaths?: number;
  /** How often the watched state is re-read besides the inotify events, in ms. Default 1 000. */
  readonly watchPollIntervalMs?: number;
  /**
   * Use inotify (`fs.watch`) besides the poll. Default true; false relies on the poll alone (file
   * systems whose changes inotify does not report, such as some network mounts).
   */
  readonly watchEvents?: boolean;
}

/** Where each missing path's nearest existing ancestor is, and whether `present` exists. */
type Snapshot = { readonly ancestors: readonly string[]; readonly present: boolean | undefined };

/** The nearest existing (lstat) ancestor of `path`, `path` itself when it exists. */
async function nearestExisting(path: string): Promise<string> {
  for (let candidate = path; ; candidate = dirname(candidate)) {
    try {
      await lstat(candidate);
      return candidate;
    } catch {
      // Missing, under a file, unreadable: look one level up (the root always exists).
      if (candidate === dirname(candidate)) return candidate;
    }
  }
}

async function exists(path: string): Promise<boolean> {
  try {
    await stat(path);
    return true;
  } catch {
    return false; // a dangling link, a missing path or one we may not stat: not present
  }
}

async function snapshot(missing: readonly string[], present: string | undefined): Promise<Snapshot> {
  return {
    ancestors: await Promise.all(missing.map(nearestExisting)),
    present: present === undefined ? undefined : await exists(present),
  };
}

function sameSnapshot(a: Snapshot, b: Snapshot): boolean {
  return a.present === b.present && a.ancestors.length === b.ancestors.length && a.ancestors.every((ancestor, i) => ancestor === b.ancestors[i]);
}

/** True when lstat says `path` does not exist (ENOENT); anything else (exists, other errors) is false. */
async function isMissing(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return false;
  } catch (error) {
    return (error as { code?: unknown }).code === "ENOENT";
  }
}

/** One accepted registration: watchers and a timer until it fires or is cancelled. */
class ActiveWatch {
  readonly #watchers: FSWatcher[] = [];
  #timer: NodeJS.Timeout | undefined;
  #checking = false;
  #checkAgain = false;
  #done = false;

  constructor(
    readonly watchId: number,
    private readonly missing: readonly string[],
    private readonly present: string | undefined,
    private readonly baseline: Snapshot,
    private readonly fire: (watchId: number) => void,
    pollIntervalMs: number,
    events: boolean,
  ) {
    const directories = new Set(events ? baseline.ancestors : []);
    if (events && present !== undefined) directories.add(dirname(present));
    for (const directory of directories) {
      try {
        const watcher = watchDirectory(directory, { persistent: false }, () => this.check());
        // An error (the directory went away, inotify trouble) only means "look again".
        watcher.on("error", () => this.check());
        this.#watchers.push(watcher);
      } catch {
        // Not watchable (a file, no inotify watches left): the poll still covers it.
      }
    }
    this.#timer = setInterval(() => this.check(), pollIntervalMs);
    this.#timer.unref();
    // Something may have changed between the snapshot and the watchers being armed.
    this.check();
  }

  /** Re-reads the state; fires (once) when it differs from the baseline. */
  check(): void {
    if (this.#done) return;
    if (this.#checking) {
      this.#checkAgain = true;
      return;
    }
    this.#checking = true;
    void snapshot(this.missing, this.present).then((current) => {
      this.#checking = false;
      if (this.#done) return;
      if (!sameSnapshot(current, this.baseline)) {
        this.cancel();
        this.fire(this.watchId);
        return;
      }
      if (this.#checkAgain) {
        this.#checkAgain = false;
        this.check();
      }
    });
  }

  /** Releases the watchers and the timer. */
  cancel(): void {
    this.#done = true;
    if (this.#timer !== undefined) clearInterval(this.#timer);
    this.#timer = undefined;
    for (const watcher of this.#watchers.splice(0)) watcher.close();
  }

  /** How many inotify watches this registration holds (tests). */
  get watcherCount(): number {
    return this.#watchers.length;
  }
}

/** The `fs/watchMissing` state of one connection. */
export class MissingPathWatch {
  #highestId: number | undefined;
  #active: ActiveWatch | undefined;
  #closed = false;
  readonly #maxPaths: number;
  readonly #pollIntervalMs: number;
  readonly #events: boolean;

  /** @param notify sends `fs/missingChanged {watchId}` on the connection. */
  constructor(
    private readonly notify: (watchId: number) => void,
    options: MissingPathWatchOptions = {},
  ) {
    this.#maxPaths = options.maxWatchedPaths ?? DEFAULT_MAX_WATCHED_PATHS;
    this.#pollIntervalMs = options.watchPollIntervalMs ?? DEFAULT_WATCH_POLL_INTERVAL_MS;
    this.#events = options.watchEvents ?? true;
  }

  /** The current registration's id and inotify watch count, if one is active (tests, diagnostics). */
  get active(): { watchId: number; watchers: number } | undefined {
    return this.#active === undefined ? undefined : { watchId: this.#active.watchId, watchers: this.#active.watcherCount };
  }

  /**
   * `fs/watchMissing`. Paths are native and absolute (the edge codec decoded them).
   *
   * @throws RpcError -32600 when more than `maxWatchedPaths` paths are named (nothing changes then).
   */
  async register(watchId: number, missing: readonly string[], present: string | undefined): Promise<FsWatchMissingResult> {
    const named = missing.length + (present === undefined ? 0 : 1);
    if (named > this.#maxPaths) {
      throw new RpcError(-32600, `fs/watchMissing watches at most ${this.#maxPaths} paths at once (got ${named}; maxWatchedPaths)`);
    }
    if (this.#closed || (this.#highestId !== undefined && watchId <= this.#highestId)) return { watching: false };
    this.#highestId = watchId;
    this.#active?.cancel();
    this.#active = undefined;
    if (missing.length === 0) return { watching: false };
    const allMissing = (await Promise.all(missing.map(isMissing))).every(Boolean);
    const presentOk = present === undefined || (await exists(present));
    const baseline = allMissing && presentOk ? await snapshot(missing, present) : undefined;
    // A newer registration (or the connection's end) while this one was looking: it lost.
    if (baseline === undefined || this.#highestId !== watchId || this.#closed) return { watching: false };
    this.#active = new ActiveWatch(
      watchId,
      missing,
      present,
      baseline,
      (id) => {
        if (this.#active?.watchId === id) this.#active = undefined;
        this.notify(id);
      },
      this.#pollIntervalMs,
      this.#events,
    );
    return { watching: true };
  }

  /** Ends the watch for good (the connection closed). */
  close(): void {
    this.#closed = true;
    this.#active?.cancel();
    this.#active = undefined;
  }
}
