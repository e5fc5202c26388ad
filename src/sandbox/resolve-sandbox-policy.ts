import { readFile, realpath, stat } from "node:fs/promises";
import { dirname, isAbsolute, posix } from "node:path";
import { ErrorCode, RpcError } from "../rpc/rpc-error.js";
import { resolveRealPath } from "../server/fs/resolve-real-path.js";
import { compileGlob, escapeGlob, GlobSyntaxError } from "./path-glob.js";
import type { EntryTarget, FileSystemEntry, SandboxContext } from "./permission-profile.js";
import type { DenyGlob, PathKind, PolicyRule, SandboxPolicy } from "./sandbox-policy.js";
import { NO_SANDBOX } from "./sandbox-policy.js";

/** The platform's system directories behind the `minimal` special path (those that exist). */
export const MINIMAL_READ_ROOTS: readonly string[] = ["/bin", "/sbin", "/usr", "/etc", "/lib", "/lib32", "/lib64", "/libx32"];

/** Names under every writable root that stay read-only unless an entry names them (as upstream: repo and agent metadata). */
export const PROTECTED_NAMES: readonly string[] = [".git", ".codex", ".agents", ".aws"];

/** What the resolution needs besides the context. */
export interface ResolveInput {
  /**
   * The process cwd (process/start): the policy cwd when the context carries none. Absent for fs
   * methods, where a cwd-dependent profile without a context cwd is refused (-32602).
   */
  readonly processCwd?: string;
  /** `$TMPDIR` for the `tmpdir` special path: the child's (process/start) or the server's (fs). */
  readonly tmpdir?: string;
}

/** Upstream's message for a cwd-dependent profile without a cwd (fs methods). */
export const DYNAMIC_REQUIRES_CWD = "file system sandbox context with dynamic permissions requires cwd";

/**
 * Resolves a parsed sandbox context into one {@link SandboxPolicy}: special paths become real paths,
 * relative globs become absolute, symlinks are resolved (rules are kept on real paths), missing
 * `read`/`write` paths are dropped (nothing can be granted on them), missing `deny` paths are kept
 * (unless `missing_path_behavior: "skip"`), and the protected names (`.git`, `.codex`, `.agents`,
 * `.aws`) that exist under a writable root become read-only rules unless an entry names them.
 *
 * - `null` / `disabled` → not enforced; `external` and `managed` + `unrestricted` → enforced only
 *   for the network (not enforced at all when the network is `enabled`); a restricted profile that
 *   grants `write` on `/` and narrows nothing is treated as an unrestricted file system.
 * - `windowsSandboxLevel`, `sandboxOverride`, `useLegacyLandlock`, `temporaryDirectories`,
 *   `userHomeDir` do not change the Linux policy (upstream 0.169 ignores them too; see docs/sandbox.md).
 *
 * @throws RpcError -32602 `file system sandbox context with dynamic permissions requires cwd` when the
 *   profile uses `current_working_directory`, `project_roots` or a relative glob and neither the
 *   context nor `input.processCwd` gives a cwd; -32602 for a malformed glob.
 */
export async function resolveSandboxPolicy(context: SandboxContext | null, input: ResolveInput = {}): Promise<SandboxPolicy> {
  if (context === null) return NO_SANDBOX;
  const permissions = context.permissions;
  const cwd = context.cwd ?? input.processCwd;
  switch (permissions.type) {
    case "disabled":
      return { enforced: false, reason: "the permission profile is disabled", notes: [] };
    case "external":
      return networkOnly(permissions.network, "the profile is external (sandboxed by the caller)", cwd);
    case "managed":
      break;
  }
  const fileSystem = permissions.fileSystem;
  if (fileSystem.type === "unrestricted") {
    return networkOnly(permissions.network, "the file system is unrestricted and the network enabled", cwd);
  }
  if (cwd === undefined && fileSystem.entries.some(isDynamic)) {
    throw new RpcError(ErrorCode.InvalidParams, DYNAMIC_REQUIRES_CWD);
  }
  const notes: string[] = [];
  const rules: PolicyRule[] = [];
  const denyGlobs: DenyGlob[] = [];
  for (const [index, entry] of fileSystem.entries.entries()) {
    const source = `entry ${index + 1} (${describeTarget(entry.path)})`;
    if (entry.path.type === "glob_pattern") {
      if (entry.access !== "deny") {
        notes.push(`${source} ignored: only deny globs have an effect`);
        continue;
      }
      denyGlobs.push(await resolveGlob(entry.path.pattern, cwd, fileSystem.globScanMaxDepth, source));
      continue;
    }
    const lexicalPaths = specialPaths(entry, cwd, context.workspaceRoots, input.tmpdir, notes, source);
    for (const lexical of lexicalPaths) {
      const rule = await ruleFor(lexical, entry, source, notes);
      if (rule !== undefined) addRule(rules, rule);
    }
  }
  for (const writable of rules.filter((rule) => rule.access === "write" && rule.kind === "directory")) {
    for (const rule of await protectedRules(writable, rules)) addRule(rules, rule);
  }
  const fullWrite =
    rules.some((rule) => rule.path === "/" && rule.access === "write") &&
    rules.every((rule) => rule.access === "write") &&
    denyGlobs.length === 0;
  if (fullWrite) {
    return networkOnly(permissions.network, "write on / with nothing narrower and the network enabled", cwd, notes);
  }
  return { enforced: true, fileSystem: { kind: "restricted", rules, denyGlobs }, network: permissions.network, cwd, notes };
}

function networkOnly(network: "restricted" | "enabled", reason: string, cwd: string | undefined, notes: string[] = []): SandboxPolicy {
  if (network === "enabled") return { enforced: false, reason, notes };
  return { enforced: true, fileSystem: { kind: "unrestricted" }, network, cwd, notes };
}

function isDynamic(entry: FileSystemEntry): boolean {
  const target = entry.path;
  if (target.type === "glob_pattern") return !target.pattern.startsWith("/");
  if (target.type === "special") return target.value.kind === "current_working_directory" || target.value.kind === "project_roots";
  return false;
}

function describeTarget(target: EntryTarget): string {
  switch (target.type) {
    case "path":
      return `path ${target.path}`;
    case "glob_pattern":
      return `glob ${target.pattern}`;
    case "special": {
      const value = target.value;
      const subpath = "subpath" in value && value.subpath !== undefined ? ` ${value.subpath}` : "";
      return `${value.kind}${subpath}`;
    }
  }
}

/** The lexical absolute paths an entry names (several for `minimal` and `project_roots`, none when unresolvable). */
function specialPaths(
  entry: FileSystemEntry,
  cwd: string | undefined,
  workspaceRoots: readonly string[],
  tmpdir: string | undefined,
  notes: string[],
  source: string,
): string[] {
  const target = entry.path;
  if (target.type === "path") return [target.path];
  if (target.type !== "special") return [];
  const value = target.value;
  switch (value.kind) {
    case "root":
      return ["/"];
    case "minimal":
      if (entry.access !== "read") notes.push(`${source}: minimal grants read only`);
      return [...MINIMAL_READ_ROOTS];
    case "current_working_directory":
      return [posix.resolve(cwd!, value.subpath ?? ".")];
    case "project_roots":
      if (workspaceRoots.length === 0) notes.push(`${source} ignored: the context has no workspace roots`);
      return workspaceRoots.map((root) => posix.resolve(root, value.subpath ?? "."));
    case "tmpdir":
      if (tmpdir === undefined || tmpdir === "" || !isAbsolute(tmpdir)) {
        notes.push(`${source} ignored: TMPDIR is not set to an absolute path`);
        return [];
      }
      return [tmpdir];
    case "slash_tmp":
      return ["/tmp"];
    case "unknown":
      notes.push(`${source} ignored: unknown special path ${value.path}`);
      return [];
  }
}

async function ruleFor(lexical: string, entry: FileSystemEntry, source: string, notes: string[]): Promise<PolicyRule | undefined> {
  const minimal = entry.path.type === "special" && entry.path.value.kind === "minimal";
  const access = minimal ? "read" : entry.access;
  let real: string;
  try {
    real = await resolveRealPath(lexical, { followFinal: true });
  } catch (error) {
    notes.push(`${source}: ${lexical} ignored: ${error instanceof Error ? error.message : String(error)}`);
    return undefined;
  }
  const kind = await kindOf(real);
  if (kind === "missing") {
    if (minimal) return undefined;
    if (access !== "deny" || entry.missingPathBehavior === "skip") {
      notes.push(`${source}: ${lexical} does not exist, so the entry grants nothing`);
      return undefined;
    }
  }
  return { path: real, access, kind, source, ...(real === lexical ? {} : { alias: lexical }) };
}

/** Adds `rule` unless one with the same path and access is already there. */
function addRule(rules: PolicyRule[], rule: PolicyRule): void {
  if (!rules.some((existing) => existing.path === rule.path && existing.access === rule.access)) rules.push(rule);
}

async function protectedRules(writable: PolicyRule, rules: readonly PolicyRule[]): Promise<PolicyRule[]> {
  const found: PolicyRule[] = [];
  for (const name of PROTECTED_NAMES) {
    const lexical = posix.join(writable.path, name);
    let real: string;
    try {
      real = await realpath(lexical);
    } catch {
      // Missing (or dangling): nothing to protect. The sandbox cannot keep a name from being created
      // without a placeholder on the host; see docs/sandbox.md.
      continue;
    }
    if (rules.some((rule) => rule.path === real || rule.path === lexical)) continue;
    const kind = await kindOf(real);
    found.push({ path: real, access: "read", kind, source: `${name} of writable ${writable.path}`, ...(real === lexical ? {} : { alias: lexical }) });
    if (name === ".git" && kind === "file") {
      // A worktree or submodule: `.git` points at the real git dir, which is protected too.
      const gitdir = await gitdirOf(real);
      if (gitdir !== undefined && !rules.some((rule) => rule.path === gitdir)) {
        found.push({ path: gitdir, access: "read", kind: "directory", source: `gitdir of ${real}` });
      }
    }
  }
  return found;
}

async function gitdirOf(dotGit: string): Promise<string | undefined> {
  try {
    const text = (await readFile(dotGit, "utf8")).trim();
    const match = /^gitdir:\s*(.+)$/m.exec(text);
    if (match === null) return undefined;
    return await realpath(posix.resolve(dirname(dotGit), match[1]!.trim()));
  } catch {
    // Unreadable pointer or missing target: nothing more to protect.
    return undefined;
  }
}

async function resolveGlob(pattern: string, cwd: string | undefined, maxDepth: number | undefined, source: string): Promise<DenyGlob> {
  const absolute = normaliseGlob(pattern.startsWith("/") ? pattern : `${escapeGlob(cwd!)}/${pattern}`);
  try {
    const glob = compileGlob(absolute);
    // Rules live on real paths, so the glob must too: resolve symlinks in its literal base.
    const realBase = await realpath(glob.base).catch(() => glob.base);
    if (realBase === glob.base) return { glob, maxDepth, source };
    const rest = glob.base === "/" ? absolute : absolute.slice(glob.base.length);
    return { glob: compileGlob(normaliseGlob(escapeGlob(realBase) + rest)), maxDepth, source };
  } catch (error) {
    if (error instanceof GlobSyntaxError) throw new RpcError(ErrorCode.InvalidParams, error.message);
    throw error;
  }
}

/** Collapses `.`, `..` and repeated separators lexically, as upstream resolves a pattern against its base. */
function normaliseGlob(pattern: string): string {
  const out: string[] = [];
  for (const component of pattern.split("/")) {
    if (component === "" || component === ".") continue;
    if (component === "..") out.pop();
    else out.push(component);
  }
  return `/${out.join("/")}`;
}

async function kindOf(path: string): Promise<PathKind> {
  try {
    const info = await stat(path);
    return info.isDirectory() ? "directory" : info.isFile() ? "file" : "other";
  } catch {
    return "missing";
  }
}
