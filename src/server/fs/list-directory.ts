import type { Dirent } from "node:fs";
import { opendir, realpath, stat } from "node:fs/promises";
import type { FsFailure } from "./fs-error.js";
import type { FsSandboxGuard } from "./fs-sandbox-guard.js";

/** One directory entry as `fs/readDirectory` and `fs/walk` see it. */
export interface ListedEntry {
  /** The name as Node decodes it (bytes that are not UTF-8 become U+FFFD, as upstream's lossy names). */
  readonly name: string;
  /** Follows a symlink. */
  readonly isDirectory: boolean;
  /** Follows a symlink. */
  readonly isFile: boolean;
  /** The entry itself is a symlink. */
  readonly isSymlink: boolean;
}

/** Options of {@link listDirectory}. */
export interface ListDirectoryOptions {
  /** More entries than this → `tooMany(count)` is thrown before any entry is stat'ed. */
  readonly maxEntries: number;
  readonly tooMany: (count: number) => FsFailure;
  /** Entries the sandbox hides are left out. */
  readonly guard: FsSandboxGuard;
}

/** Entries stat'ed concurrently (keeps the libuv pool from flooding). */
const STAT_BATCH = 32;

/**
 * Lists `dir` as upstream's `read_directory` does: a symlink (or an entry of unknown type) is
 * described by what it points to and left out when that cannot be stat'ed (dangling, looping);
 * every other entry by its directory-entry type, without a stat. Under a restricted sandbox an
 * entry whose real location the sandbox hides is left out (it would not exist in upstream's
 * sandbox), one it denies is kept (its name is visible, its contents are not).
 *
 * The directory is read incrementally and refused (before any stat) past `maxEntries`.
 */
export async function listDirectory(dir: string, options: ListDirectoryOptions): Promise<ListedEntry[]> {
  const dirents: Dirent[] = [];
  const handle = await opendir(dir, { bufferSize: 256 });
  try {
    let count = 0;
    for (let dirent = await handle.read(); dirent !== null; dirent = await handle.read()) {
      count++;
      if (count <= options.maxEntries) dirents.push(dirent);
    }
    if (count > options.maxEntries) throw options.tooMany(count);
  } finally {
    await handle.close();
  }
  const listed: ListedEntry[] = [];
  for (let start = 0; start < dirents.length; start += STAT_BATCH) {
    const batch = dirents.slice(start, start + STAT_BATCH);
    const described = await Promise.all(batch.map((dirent) => describe(dir, dirent, options.guard)));
    for (const entry of described) if (entry !== undefined) listed.push(entry);
  }
  return listed;
}

async function describe(dir: string, dirent: Dirent, guard: FsSandboxGuard): Promise<ListedEntry | undefined> {
  const path = dir.endsWith("/") ? dir + dirent.name : `${dir}/${dirent.name}`;
  const typed = dirent.isFile() || dirent.isDirectory() || dirent.isFIFO() || dirent.isSocket() || dirent.isCharacterDevice() || dirent.isBlockDevice();
  if (guard.restricted) {
    const real = await realpath(path).catch(() => undefined);
    if (real !== undefined && guard.listing(real) === "hidden") return undefined;
  }
  if (typed) return { name: dirent.name, isDirectory: dirent.isDirectory(), isFile: dirent.isFile(), isSymlink: false };
  try {
    const info = await stat(path);
    return { name: dirent.name, isDirectory: info.isDirectory(), isFile: info.isFile(), isSymlink: dirent.isSymbolicLink() };
  } catch {
    // Dangling or looping link, raced removal: upstream leaves such entries out.
    return undefined;
  }
}
