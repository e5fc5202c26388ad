/**
 * How `fs/getMetadata` stats its path: on the libuv threadpool like every other fs call, or
 * synchronously on the event loop.
 *
 * Why it matters: a threadpool `lstat` is two thread hand-offs (wake a worker, wake the event loop
 * back); over a websocket that is ≈ 60 µs of a ≈ 200 µs `fs/getMetadata` round trip, where the stat
 * itself takes ≈ 2 µs (docs/bench.md, rpc). The cost of doing it synchronously: a stat that hangs
 * (a hard-mounted NFS server gone away, a stuck FUSE daemon, an automount that cannot mount) would
 * stop the whole server (every session, websocket pings, `/readyz`) instead of one threadpool thread.
 *
 * `auto` (the default) stats synchronously only while no mount visible to this process can hang
 * a stat: every mount in `/proc/self/mountinfo` has a type from {@link LOCAL_FILESYSTEM_TYPES}
 * (block-device and memory filesystems, the kernel's pseudo filesystems, overlay). A symlink can
 * only lead to a mounted filesystem, so this holds for any path, however it resolves. One network,
 * FUSE, automount or unknown mount anywhere, or no mount table (not Linux), and every stat goes to
 * the threadpool. The table is re-read (asynchronously) at most once per
 * {@link MOUNT_TABLE_MAX_AGE_MS} when stats happen, so a mount added while the server runs is seen
 * within about that long.
 */
import { readFile } from "node:fs/promises";
import { systemClock, type Clock } from "../../util/clock.js";

/** `auto` (default): synchronous while only local filesystems are mounted; `sync`: always; `async`: never. */
export type MetadataStatMode = "auto" | "sync" | "async";

/** The modes, for option parsing. */
export const METADATA_STAT_MODES: readonly MetadataStatMode[] = ["auto", "sync", "async"];

/**
 * Filesystem types (the type field of `/proc/self/mountinfo`) on which a stat cannot wait for
 * another machine or a userspace daemon. Anything else (nfs, cifs, 9p, ceph, fuse.*, autofs,
 * virtiofs, VM shared folders, or a type this list does not know) counts as one that can hang.
 */
export const LOCAL_FILESYSTEM_TYPES: ReadonlySet<string> = new Set([
  // Block-device filesystems.
  "ext2", "ext3", "ext4", "xfs", "btrfs", "zfs", "f2fs", "jfs", "reiserfs", "vfat", "exfat", "ntfs3",
  "iso9660", "udf", "squashfs", "erofs",
  // Memory and layered filesystems.
  "tmpfs", "ramfs", "overlay", "devtmpfs", "hugetlbfs",
  // Kernel pseudo filesystems.
  "proc", "sysfs", "cgroup", "cgroup2", "devpts", "mqueue", "bpf", "tracefs", "debugfs", "securityfs",
  "pstore", "configfs", "nsfs", "binfmt_misc", "fusectl", "efivarfs", "selinuxfs", "rpc_pipefs",
]);

/** Longest the verdict of `auto` is used before the mount table is read again, in ms. */
export const MOUNT_TABLE_MAX_AGE_MS = 1_000;

/**
 * True when every mount of a `/proc/<pid>/mountinfo` text is of a {@link LOCAL_FILESYSTEM_TYPES}
 * type (the type is the first field after the ` - ` separator). An empty or unparsable table is
 * not trusted (false).
 */
export function onlyLocalMounts(mountinfo: string): boolean {
  let mounts = 0;
  for (const line of mountinfo.split("\n")) {
    if (line.trim() === "") continue;
    const separator = line.indexOf(" - ");
    if (separator < 0) return false;
    const type = line.slice(separator + 3).split(" ", 1)[0] ?? "";
    if (!LOCAL_FILESYSTEM_TYPES.has(type)) return false;
    mounts++;
  }
  return mounts > 0;
}

/** Options of {@link MetadataStatPolicy}. */
export interface MetadataStatPolicyOptions {
  /** Default `auto`. */
  readonly mode?: MetadataStatMode;
  /** Reads the mount table; default `/proc/self/mountinfo` (a failure means "not only local"). */
  readonly readMountTable?: () => Promise<string>;
  readonly clock?: Clock;
}

/** Decides, per stat, whether `fs/getMetadata` may stat synchronously (see the module comment). */
export class MetadataStatPolicy {
  readonly mode: MetadataStatMode;
  readonly #readMountTable: () => Promise<string>;
  readonly #clock: Clock;
  /** The latest verdict of `auto` and when its table was read; undefined until the first read completes. */
  #verdict: { readonly local: boolean; readonly at: number } | undefined;
  #reading: Promise<void> | undefined;

  /** @throws RangeError for an unknown mode. */
  constructor(options: MetadataStatPolicyOptions = {}) {
    const mode = options.mode ?? "auto";
    if (!METADATA_STAT_MODES.includes(mode)) throw new RangeError(`metadataStat must be one of ${METADATA_STAT_MODES.join(", ")}, got ${String(mode)}`);
    this.mode = mode;
    this.#readMountTable = options.readMountTable ?? (() => readFile("/proc/self/mountinfo", "utf8"));
    this.#clock = options.clock ?? systemClock;
  }

  /**
   * Whether this stat may run synchronously. In `auto` mode the answer is the latest verdict on the
   * mount table (false until the first read completes); a verdict older than
   * {@link MOUNT_TABLE_MAX_AGE_MS} starts a new read in the background and is used meanwhile.
   */
  synchronous(): boolean {
    if (this.mode !== "auto") return this.mode === "sync";
    const verdict = this.#verdict;
    if (verdict === undefined || this.#clock.now() - verdict.at >= MOUNT_TABLE_MAX_AGE_MS) this.#refresh();
    return verdict?.local ?? false;
  }

  /** Resolves once a mount table read in progress (if any) has completed; for tests. */
  async settled(): Promise<void> {
    await this.#reading;
  }

  #refresh(): void {
    if (this.#reading !== undefined) return;
    const at = this.#clock.now();
    this.#reading = this.#readMountTable()
      .then(
        (table) => onlyLocalMounts(table),
        // No mount table (not Linux, no /proc): nothing says a stat cannot hang.
        () => false,
      )
      .then((local) => {
        this.#verdict = { local, at };
        this.#reading = undefined;
      });
  }
}
