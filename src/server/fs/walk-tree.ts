/**
 * `fs/walk` (codex 0.169, UPSTREAM-0.169.md §2.10) as the 0.169 binary answers it (probed; where
 * the spec text and the binary differ, the binary's behaviour is what is implemented):
 *
 * - limits: `maxDirectories`/`maxEntries` 0 → -32600 `filesystem walk limits must be greater than
 *   zero`; above 64 / 10 000 / 50 000 → -32600 `filesystem walk limits exceed maximums: …`
 *   (checked before the root is looked at);
 * - the root: missing → -32004; a file, or a directory symlink without `followDirectorySymlinks` →
 *   no entries, not truncated;
 * - breadth first; each directory's entries sorted by name (bytes of the UTF-8 name); entries are
 *   the directory listing (dangling links already left out), each counted against `maxEntries`
 *   whether listed or not: symlinks (unless a followed directory link), FIFOs, sockets and devices
 *   are counted but not listed; when the count reaches `maxEntries` and another entry remains, the
 *   walk stops with `truncated: true`;
 * - a directory at depth < `maxDepth` (the root's children are depth 0) is descended, once per
 *   identity (its realpath when following links, else its path); a hidden directory (`.name`) is
 *   listed but not descended with `pruneHiddenDirectories`; when `maxDirectories` directories are
 *   already queued (the root counts), further ones set `truncated` but the listing goes on;
 * - an entry that cannot be stat'ed (a name that is not UTF-8, a raced removal) or a directory that
 *   cannot be read becomes `{path, message}` in `errors` (the OS text) and the walk goes on;
 * - the answer is bounded like upstream's: each entry costs its URI's length + 64 bytes, each error
 *   its URI + message + 64, at most 4 MiB in total; past that the walk stops, truncated.
 *
 * Under a restricted sandbox the root must be readable, entries the sandbox hides are not listed
 * (nor counted), and a denied directory is listed but reading it is an error entry.
 */
import { lstat, realpath, stat } from "node:fs/promises";
import { encodePathUri } from "../../rpc/path-uri.js";
import type { WalkEntry, WalkError, WalkOptions } from "../../../generated/openrpc/types.js";
import { FsFailure, fsFailure, isSystemError } from "./fs-error.js";
import type { FsSandboxGuard } from "./fs-sandbox-guard.js";
import { listDirectory } from "./list-directory.js";
import { osErrorText } from "./os-error-text.js";

/** Deepest `maxDepth` accepted. */
export const MAX_WALK_DEPTH = 64;
/** Largest `maxDirectories` accepted. */
export const MAX_WALK_DIRECTORIES = 10_000;
/** Largest `maxEntries` accepted. */
export const MAX_WALK_ENTRIES = 50_000;
/** Budget of one answer, in bytes of paths and messages (upstream's). */
export const MAX_WALK_RESPONSE_BYTES = 4 * 1024 * 1024;
/** What each entry or error costs on top of its text (upstream's). */
const ITEM_OVERHEAD_BYTES = 64;

/** The `fs/walk` result with native paths (the edge codec sends them as URIs). */
export interface WalkOutcome {
  entries: WalkEntry[];
  errors: WalkError[];
  truncated: boolean;
}

const utf8 = (name: string): Buffer => Buffer.from(name, "utf8");

/** The message of a failed step: the OS text, or the failure's codex 0.169 text. */
function messageOf(error: unknown): string {
  if (error instanceof FsFailure) return error.messages["codex-0.169"];
  if (isSystemError(error)) return osErrorText(error.code);
  return error instanceof Error ? error.message : String(error);
}

/**
 * Walks `root` within `options`, checking reads against `guard`; `maxResponseBytes` (default
 * upstream's 4 MiB) bounds the answer.
 *
 * @throws FsFailure for invalid limits, a system error when the root cannot be stat'ed, a sandbox
 *   refusal of the root.
 */
export async function walkTree(
  root: string,
  options: WalkOptions,
  guard: FsSandboxGuard,
  maxResponseBytes: number = MAX_WALK_RESPONSE_BYTES,
): Promise<WalkOutcome> {
  const { maxDepth, maxDirectories, maxEntries, followDirectorySymlinks } = options;
  const prune = options.pruneHiddenDirectories === true;
  if (maxDirectories === 0 || maxEntries === 0) throw fsFailure("invalid-request", "filesystem walk limits must be greater than zero");
  if (maxDepth > MAX_WALK_DEPTH || maxDirectories > MAX_WALK_DIRECTORIES || maxEntries > MAX_WALK_ENTRIES) {
    throw fsFailure(
      "invalid-request",
      `filesystem walk limits exceed maximums: depth=${MAX_WALK_DEPTH}, directories=${MAX_WALK_DIRECTORIES}, entries=${MAX_WALK_ENTRIES}`,
    );
  }
  await guard.check("fs/walk", root, "read");
  const rootInfo = await stat(root);
  const rootIsLink = (await lstat(root)).isSymbolicLink();
  const outcome: WalkOutcome = { entries: [], errors: [], truncated: false };
  if (!rootInfo.isDirectory() || (rootIsLink && !followDirectorySymlinks)) return outcome;

  const visited = new Set<string>([followDirectorySymlinks ? await realpath(root) : root]);
  const queue: Array<{ dir: string; depth: number }> = [{ dir: root, depth: 0 }];
  let directories = 1;
  let counted = 0;
  let responseBytes = 0;
  const reserve = (bytes: number): boolean => {
    const total = responseBytes + bytes + ITEM_OVERHEAD_BYTES;
    if (total > maxResponseBytes) {
      outcome.truncated = true;
      return false;
    }
    responseBytes = total;
    return true;
  };
  const pushError = (path: string, error: unknown): boolean => {
    const message = messageOf(error);
    if (!reserve(encodePathUri(path).length + Buffer.byteLength(message, "utf8"))) return false;
    outcome.errors.push({ path, message });
    return true;
  };

  for (let next = queue.shift(); next !== undefined; next = queue.shift()) {
    const { dir, depth } = next;
    let listed;
    try {
      if (dir !== root) await guard.check("fs/walk", dir, "read");
      listed = await listDirectory(dir, {
        maxEntries: Number.MAX_SAFE_INTEGER,
        tooMany: () => fsFailure("over-limit", "unreachable"),
        guard,
      });
    } catch (error) {
      if (!pushError(dir, error)) return outcome;
      continue;
    }
    listed.sort((a, b) => Buffer.compare(utf8(a.name), utf8(b.name)));
    for (const entry of listed) {
      if (counted === maxEntries) {
        outcome.truncated = true;
        return outcome;
      }
      counted++;
      const path = dir.endsWith("/") ? dir + entry.name : `${dir}/${entry.name}`;
      let isDirectory: boolean;
      let isFile: boolean;
      let isSymlink: boolean;
      try {
        const linkInfo = await lstat(path);
        const info = linkInfo.isSymbolicLink() ? await stat(path) : linkInfo;
        ({ isDirectory, isFile, isSymlink } = { isDirectory: info.isDirectory(), isFile: info.isFile(), isSymlink: linkInfo.isSymbolicLink() });
      } catch (error) {
        if (!pushError(path, error)) return outcome;
        continue;
      }
      if (isSymlink && (!followDirectorySymlinks || !isDirectory)) continue;
      if (!isDirectory && !isFile) continue;
      if (!reserve(encodePathUri(path).length)) return outcome;
      outcome.entries.push({ path, kind: isDirectory ? "directory" : "file" });
      if (!isDirectory || depth >= maxDepth) continue;
      if (prune && entry.name.startsWith(".")) continue;
      let identity = path;
      if (followDirectorySymlinks) {
        try {
          identity = await realpath(path);
        } catch (error) {
          if (!pushError(path, error)) return outcome;
          continue;
        }
      }
      if (visited.has(identity)) continue;
      visited.add(identity);
      if (directories === maxDirectories) {
        outcome.truncated = true;
      } else {
        directories++;
        queue.push({ dir: path, depth: depth + 1 });
      }
    }
  }
  return outcome;
}
