/**
 * `followSymlinks: false` (codex 0.169): the operation must not pass through any symlink. Upstream
 * walks the path component by component without following (`openat` + `O_NOFOLLOW`), so a symlink
 * anywhere before the final component fails with ENOTDIR (`Not a directory (os error 20)`) — also
 * `/lib` on a merged-/usr system — and what happens at a symlink in the final position depends on the
 * method (ELOOP from `O_NOFOLLOW` for readFile/writeFile, `path contains a symbolic link` for
 * getMetadata and remove, ENOTDIR for createDirectory).
 *
 * Node has no `openat`, so the ancestors are checked with lstat before the operation: not atomic
 * with it (see docs/filesystem.md, "Not defended").
 */
import { lstat } from "node:fs/promises";
import { dirname } from "node:path";
import { isSystemError, systemError } from "./fs-error.js";

/**
 * Throws ENOTDIR when a component of `path` before the final one is a symlink or not a directory.
 * Components are checked from `/` down; the first missing one ends the check (the operation itself
 * then fails with ENOENT, or creates it: `mkdir -p`).
 */
export async function assertNoSymlinkAncestors(path: string): Promise<void> {
  const ancestors: string[] = [];
  for (let dir = dirname(path); ; dir = dirname(dir)) {
    ancestors.unshift(dir);
    if (dir === "/" || dir === dirname(dir)) break;
  }
  for (const ancestor of ancestors) {
    let info;
    try {
      info = await lstat(ancestor);
    } catch (error) {
      if (isSystemError(error) && error.code === "ENOENT") return;
      throw error;
    }
    if (!info.isDirectory()) throw systemError("ENOTDIR", "openat", ancestor);
  }
}

/** lstat of `path`, or undefined when it does not exist (ENOENT); other errors propagate. */
export async function lstatOrMissing(path: string): Promise<import("node:fs").Stats | undefined> {
  try {
    return await lstat(path);
  } catch (error) {
    if (isSystemError(error) && error.code === "ENOENT") return undefined;
    throw error;
  }
}
