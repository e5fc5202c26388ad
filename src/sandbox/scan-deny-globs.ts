import { opendir, realpath } from "node:fs/promises";
import type { MountTarget } from "./bubblewrap-args.js";
import { depthBelow, globMatches } from "./path-glob.js";
import type { DenyGlob } from "./sandbox-policy.js";
import { SandboxRefusedError } from "./sandbox-refused-error.js";

/** Limits of a glob scan. */
export interface GlobScanLimits {
  /** Directory entries looked at over all globs before the launch is refused. */
  readonly maxScanEntries: number;
  /** Matches (paths to mask) over all globs before the launch is refused. */
  readonly maxMatches: number;
}

/** Host trees never scanned: the sandbox mounts its own /dev and /proc, and /sys holds no files to hide. */
const SKIPPED_TREES = new Set(["/proc", "/sys", "/dev"]);

/**
 * The existing paths matching the deny globs (what the launcher masks), found by walking each
 * glob's base breadth-first without following symlinks, at most `glob_scan_max_depth` components
 * deep. A matched directory is not entered (it is masked whole); symlinks are never matches (the
 * sandbox cannot mask a link itself; what it points to is decided by its own path). Exceeding a
 * limit refuses the launch: a deny that cannot be expanded is never silently dropped.
 *
 * @throws SandboxRefusedError when a limit is exceeded.
 */
export async function scanDenyGlobs(globs: readonly DenyGlob[], limits: GlobScanLimits): Promise<MountTarget[]> {
  const matches: MountTarget[] = [];
  let visited = 0;
  for (const deny of globs) {
    const base = await realpath(deny.glob.base).catch(() => undefined);
    // Missing base: nothing exists there yet, so nothing to mask. A base that is not real was missing
    // when the policy was resolved; its pattern could not match real paths consistently anyway.
    if (base !== deny.glob.base) continue;
    let level = [base];
    while (level.length > 0) {
      const next: string[] = [];
      for (const dir of level) {
        if (SKIPPED_TREES.has(dir)) continue;
        let handle;
        try {
          handle = await opendir(dir);
        } catch {
          // Unreadable or vanished directory: nothing in it can be masked or read by us either.
          continue;
        }
        for await (const entry of handle) {
          visited += 1;
          if (visited > limits.maxScanEntries) {
            throw new SandboxRefusedError(
              `deny glob ${deny.glob.pattern} (${deny.source}): more than ${limits.maxScanEntries} entries to scan; ` +
                "set glob_scan_max_depth or narrow the pattern",
            );
          }
          if (entry.isSymbolicLink()) continue;
          const path = dir === "/" ? `/${entry.name}` : `${dir}/${entry.name}`;
          const depth = depthBelow(deny.glob.base, path);
          if (deny.maxDepth !== undefined && depth > deny.maxDepth) continue;
          if (globMatches(deny.glob, path)) {
            matches.push({ path, kind: entry.isDirectory() ? "directory" : entry.isFile() ? "file" : "other" });
            if (matches.length > limits.maxMatches) {
              throw new SandboxRefusedError(
                `deny glob ${deny.glob.pattern} (${deny.source}): more than ${limits.maxMatches} matches to mask`,
              );
            }
            continue;
          }
          if (entry.isDirectory() && (deny.maxDepth === undefined || depth < deny.maxDepth)) next.push(path);
        }
      }
      level = next;
    }
  }
  return matches;
}
