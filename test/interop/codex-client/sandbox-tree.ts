import { mkdirSync, mkdtempSync, realpathSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, relative, isAbsolute } from "node:path";

/** The repository's scratch directory (git-ignored), outside the OS temporary directory on a normal checkout. */
const SCRATCH = join(import.meta.dirname, "..", "..", "..", ".tmp");

/**
 * A directory tree for sandboxed turns, all under one root outside `/tmp` and `$TMPDIR` (codex's workspace-write
 * profile makes both writable, so a target there would not prove anything):
 *
 * ```
 * root/workspace/          codex's cwd and only workspace root
 * root/workspace/escape -> ../sibling   a symlink out of the workspace
 * root/sibling/            a sibling directory of the workspace
 * root/home/               the sandboxed shell's $HOME (set through codex's shell_environment_policy)
 * root/etc/hosts           an /etc-like file that exists before the turn
 * ```
 */
export interface SandboxTree {
  root: string;
  workspace: string;
  sibling: string;
  home: string;
  etcHosts: string;
  /** `etcHosts`'s content before the turn. */
  etcHostsBefore: string;
  /** `workspace/escape`, a symlink to `sibling`. */
  escapeLink: string;
  /** Removes the whole tree. */
  dispose(): void;
}

/** True when `path` is `dir` or inside it. */
function isWithin(path: string, dir: string): boolean {
  const rel = relative(dir, path);
  return rel === "" || (!rel.startsWith("..") && !isAbsolute(rel));
}

/** The temporary directories a workspace-write profile makes writable (`/tmp`, `$TMPDIR`, Node's tmpdir), resolved. */
function writableTemporaryDirectories(): string[] {
  const candidates = ["/tmp", tmpdir(), process.env["TMPDIR"]].filter((dir): dir is string => dir !== undefined && dir !== "");
  return candidates.map((dir) => {
    try {
      return realpathSync(dir);
    } catch {
      return dir; // a $TMPDIR that does not exist cannot contain the tree; compare it as given
    }
  });
}

/**
 * Makes a fresh {@link SandboxTree} under the repository's `.tmp/`. Throws, naming the directory, when that
 * lies inside `/tmp` or `$TMPDIR` (a checkout under a temporary directory), since every "outside" target would
 * then be writable under workspace-write.
 */
export function makeSandboxTree(): SandboxTree {
  mkdirSync(SCRATCH, { recursive: true });
  const root = realpathSync(mkdtempSync(join(SCRATCH, "sandbox-turn-")));
  const dispose = (): void => rmSync(root, { recursive: true, force: true });
  const temporary = writableTemporaryDirectories().find((dir) => isWithin(root, dir));
  if (temporary !== undefined) {
    dispose();
    throw new Error(`the sandbox tree ${root} is inside ${temporary}, which codex's workspace-write profile makes writable; run from a checkout outside it`);
  }
  const workspace = join(root, "workspace");
  const sibling = join(root, "sibling");
  const home = join(root, "home");
  const etc = join(root, "etc");
  for (const dir of [workspace, sibling, home, etc]) mkdirSync(dir);
  const etcHosts = join(etc, "hosts");
  const etcHostsBefore = "127.0.0.1 localhost\n";
  writeFileSync(etcHosts, etcHostsBefore);
  const escapeLink = join(workspace, "escape");
  symlinkSync(sibling, escapeLink);
  return { root, workspace, sibling, home, etcHosts, etcHostsBefore, escapeLink, dispose };
}
