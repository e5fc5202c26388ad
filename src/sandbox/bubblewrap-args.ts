import { componentCount, grantAt, isWithin, type Grant } from "./decide.js";
import type { PathKind, RestrictedFileSystem, SandboxPolicy } from "./sandbox-policy.js";

/** A path the plan must treat explicitly: a rule's path or an existing match of a deny glob. */
export interface MountTarget {
  readonly path: string;
  readonly kind: PathKind;
}

/** A symlink to recreate inside the sandbox (its directory is hidden, its target is visible). */
export interface AliasLink {
  /** Where the link is (its parent directory is a real path). */
  readonly path: string;
  /** What it points to (as `readlink` says). */
  readonly target: string;
}

/** Everything {@link buildBubblewrapArgs} needs besides the policy; all paths are real paths. */
export interface BubblewrapPlanInput {
  /** Existing matches of the policy's deny globs (scanned at launch). */
  readonly globMatches: readonly MountTarget[];
  /** Symlinks among the rules' aliases whose parent is real (recreated where the root is hidden). */
  readonly aliases: readonly AliasLink[];
  /** An empty host file with mode 000, bound over denied files. */
  readonly emptyFile: string;
  /** The command's working directory (real path). */
  readonly cwd: string;
}

/** The bubblewrap options for one sandboxed command (everything before `--`). */
export interface BubblewrapPlan {
  readonly args: readonly string[];
  /**
   * Missing denied paths bubblewrap will create on the host as mount points (inside a writable
   * bind), so nothing can be created there; removed again once the sandbox is gone.
   */
  readonly placeholders: readonly string[];
}

/** Namespaces and privileges every sandbox gets. */
export const BASE_ARGS: readonly string[] = [
  "--unshare-user",
  "--unshare-pid",
  "--unshare-ipc",
  "--die-with-parent",
  "--cap-drop",
  "ALL",
];

type Visibility = "write" | "read" | "hidden";

/** Paths always provided by the sandbox itself (fresh /dev and /proc), never governed by rules. */
const OWN_MOUNTS = ["/dev", "/proc"];

/**
 * Turns an enforced policy into bubblewrap options. Pure: every file-system fact comes in `input`.
 *
 * - Network: `--unshare-net` when restricted (only a loopback device inside).
 * - Unrestricted file system (network-only sandbox): `--bind / /`, host `/dev`, fresh `/proc`.
 * - Restricted: `/` is bound read-write, read-only, or replaced by an empty tmpfs (then remounted
 *   read-only) according to the grant at `/`; then, parents before children, every rule path and
 *   glob match whose grant differs from what its nearest mounted ancestor gives is mounted:
 *   `--bind` (write), `--ro-bind` (read), a mode-000 tmpfs (a denied directory; mode 111 when a
 *   visible path lies below it, so it can be traversed but not listed) or a mode-000 empty file
 *   (a denied file; a missing denied path inside a writable bind becomes a placeholder). Denied
 *   tmpfs mounts are remounted read-only last, so nobody inside can chmod them.
 * - A fresh `/dev` and `/proc`, `--chdir` to the real cwd.
 */
export function buildBubblewrapArgs(policy: SandboxPolicy & { enforced: true }, input: BubblewrapPlanInput): BubblewrapPlan {
  const args: string[] = [...BASE_ARGS];
  if (policy.network === "restricted") args.push("--unshare-net");
  const placeholders: string[] = [];
  if (policy.fileSystem.kind === "unrestricted") {
    args.push("--bind", "/", "/", "--dev-bind", "/dev", "/dev", "--proc", "/proc");
  } else {
    planRestricted(policy.fileSystem, input, args, placeholders);
  }
  args.push("--chdir", input.cwd);
  return { args, placeholders };
}

function visibility(grant: Grant): Visibility {
  return grant === "write" ? "write" : grant === "read" ? "read" : "hidden";
}

type Action =
  | { readonly type: "bind" | "ro-bind" | "mask-file" | "placeholder"; readonly path: string }
  | { readonly type: "mask-dir"; readonly path: string };

function planRestricted(fs: RestrictedFileSystem, input: BubblewrapPlanInput, args: string[], placeholders: string[]): void {
  const rootVisibility = visibility(grantAt(fs, "/").grant);
  const mounted = new Map<string, Visibility>();
  const inherited = (path: string): Visibility => {
    for (let parent = parentOf(path); parent !== undefined; parent = parentOf(parent)) {
      const state = mounted.get(parent);
      if (state !== undefined) return state;
    }
    return rootVisibility;
  };

  const targets = new Map<string, MountTarget>();
  for (const target of [...fs.rules, ...input.globMatches]) {
    if (target.path === "/" || OWN_MOUNTS.some((own) => isWithin(target.path, own))) continue;
    if (!targets.has(target.path)) targets.set(target.path, { path: target.path, kind: target.kind });
  }
  const ordered = [...targets.values()].sort(
    (a, b) => componentCount(a.path) - componentCount(b.path) || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0),
  );

  const actions: Action[] = [];
  for (const target of ordered) {
    const want = visibility(grantAt(fs, target.path).grant);
    const have = inherited(target.path);
    if (want === have) continue;
    if (want === "hidden") {
      if (target.kind === "missing") {
        // Only a writable parent could create it; elsewhere it can neither appear nor be read.
        if (have !== "write") continue;
        actions.push({ type: "placeholder", path: target.path });
      } else {
        actions.push({ type: target.kind === "directory" ? "mask-dir" : "mask-file", path: target.path });
      }
    } else {
      if (target.kind === "missing") continue;
      actions.push({ type: want === "write" ? "bind" : "ro-bind", path: target.path });
    }
    mounted.set(target.path, want);
  }

  if (rootVisibility === "write") args.push("--bind", "/", "/");
  else if (rootVisibility === "read") args.push("--ro-bind", "/", "/");
  else args.push("--tmpfs", "/");
  args.push("--dev", "/dev", "--proc", "/proc");

  const remount: string[] = rootVisibility === "hidden" ? ["/"] : [];
  for (const [index, action] of actions.entries()) {
    switch (action.type) {
      case "bind":
        args.push("--bind", action.path, action.path);
        break;
      case "ro-bind":
        args.push("--ro-bind", action.path, action.path);
        break;
      case "mask-file":
        args.push("--ro-bind", input.emptyFile, action.path);
        break;
      case "placeholder":
        args.push("--ro-bind", input.emptyFile, action.path);
        placeholders.push(action.path);
        break;
      case "mask-dir": {
        const traversable = actions
          .slice(index + 1)
          .some((later) => (later.type === "bind" || later.type === "ro-bind") && isWithin(later.path, action.path));
        args.push("--perms", traversable ? "0111" : "0000", "--tmpfs", action.path);
        remount.push(action.path);
        break;
      }
    }
  }
  for (const alias of input.aliases) {
    if (mounted.has(alias.path) || inherited(alias.path) !== "hidden") continue;
    args.push("--symlink", alias.target, alias.path);
  }
  for (const path of remount) args.push("--remount-ro", path);
}

function parentOf(path: string): string | undefined {
  if (path === "/") return undefined;
  const index = path.lastIndexOf("/");
  return index <= 0 ? "/" : path.slice(0, index);
}
