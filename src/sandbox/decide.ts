import { depthBelow, globMatches } from "./path-glob.js";
import type { DenyGlob, PolicyRule, RestrictedFileSystem, SandboxPolicy } from "./sandbox-policy.js";

/** The two questions asked of a policy. */
export type SandboxAccess = "read" | "write";

/** What applies at a path: a rule's access, or `none` when no rule covers it (nothing is granted). */
export type Grant = "read" | "write" | "deny" | "none";

/** The answer of {@link decide}. */
export interface SandboxDecision {
  readonly allowed: boolean;
  readonly grant: Grant;
  /** Which rule decided, for messages: `write entry 2 (path) at /w`, `deny glob **‍/*.pem (entry 3)`, `no entry covers the path`. */
  readonly rule: string;
}

const RANK: Record<PolicyRule["access"], number> = { read: 1, write: 2, deny: 3 };

/**
 * Whether `policy` lets a sandboxed command (or an fs method) `access` the absolute real path
 * `realPath` (symlinks already resolved: pass what `resolveRealPath` returns). Pure.
 *
 * Precedence (probed on codex 0.169, see docs/sandbox.md):
 * 1. a deny glob matching the path or one of its ancestors (within `glob_scan_max_depth`) denies;
 * 2. otherwise the rule whose path is the path itself or its nearest ancestor wins (most path
 *    components); on a tie `deny` beats `write` beats `read`;
 * 3. no covering rule: nothing is granted (`none`).
 * `read` is allowed by a `read` or `write` grant, `write` only by `write`.
 */
export function decide(policy: SandboxPolicy, realPath: string, access: SandboxAccess): SandboxDecision {
  if (!policy.enforced) return { allowed: true, grant: "write", rule: `no sandbox (${policy.reason})` };
  if (policy.fileSystem.kind === "unrestricted") {
    return { allowed: true, grant: "write", rule: "the file system is unrestricted" };
  }
  const { grant, rule } = grantAt(policy.fileSystem, realPath);
  const allowed = access === "read" ? grant === "read" || grant === "write" : grant === "write";
  return { allowed, grant, rule };
}

/** The grant at `realPath` under a restricted file system, and the rule that gave it. */
export function grantAt(fileSystem: RestrictedFileSystem, realPath: string): { grant: Grant; rule: string } {
  const glob = matchingDenyGlob(fileSystem.denyGlobs, realPath);
  if (glob !== undefined) {
    return { grant: "deny", rule: `deny glob ${glob.glob.pattern} (${glob.source})` };
  }
  let best: PolicyRule | undefined;
  let bestDepth = -1;
  for (const rule of fileSystem.rules) {
    if (!isWithin(realPath, rule.path)) continue;
    const depth = componentCount(rule.path);
    if (depth > bestDepth || (depth === bestDepth && RANK[rule.access] > RANK[best!.access])) {
      best = rule;
      bestDepth = depth;
    }
  }
  if (best === undefined) return { grant: "none", rule: "no entry covers the path" };
  return { grant: best.access, rule: `${best.access} ${best.source} at ${best.path}` };
}

/** The first deny glob matching `realPath` or one of its ancestors below the glob's base, within its depth bound. */
export function matchingDenyGlob(globs: readonly DenyGlob[], realPath: string): DenyGlob | undefined {
  for (const glob of globs) {
    let depth = depthBelow(glob.glob.base, realPath);
    if (depth < 1) continue;
    let candidate = realPath;
    while (depth >= 1) {
      if ((glob.maxDepth === undefined || depth <= glob.maxDepth) && globMatches(glob.glob, candidate)) return glob;
      candidate = candidate.slice(0, candidate.lastIndexOf("/")) || "/";
      depth -= 1;
    }
  }
  return undefined;
}

/** True when `path` equals `dir` or lies beneath it (both absolute and normalised). */
export function isWithin(path: string, dir: string): boolean {
  if (path === dir || dir === "/") return true;
  return path.startsWith(`${dir}/`);
}

/** Path components of an absolute path: `/` → 0, `/a/b` → 2. */
export function componentCount(path: string): number {
  return path === "/" ? 0 : path.split("/").length - 1;
}
