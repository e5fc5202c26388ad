import type { NetworkMode } from "./permission-profile.js";
import type { PathGlob } from "./path-glob.js";

/** What a rule grants at its path and below (until a more specific rule). */
export type RuleAccess = "read" | "write" | "deny";

/** What the file at a rule's path was when the policy was resolved. */
export type PathKind = "directory" | "file" | "other" | "missing";

/** One resolved file-system rule: a real path (symlinks resolved) and what it grants there and below. */
export interface PolicyRule {
  /** Absolute real path. */
  readonly path: string;
  readonly access: RuleAccess;
  readonly kind: PathKind;
  /** Human-readable origin, used in refusals: `entry 2 (project_roots)`, `.git of writable /w`. */
  readonly source: string;
  /** The path as written (before resolving symlinks) when it differs from {@link PolicyRule.path}. */
  readonly alias?: string;
}

/** A `deny` glob entry: reading (and writing existing matches) is denied for matches and below. */
export interface DenyGlob {
  readonly glob: PathGlob;
  /** `glob_scan_max_depth`: only matches at most this many components below the glob's base count. */
  readonly maxDepth: number | undefined;
  readonly source: string;
}

/** A restricted file system: rules plus deny globs. */
export interface RestrictedFileSystem {
  readonly kind: "restricted";
  readonly rules: readonly PolicyRule[];
  readonly denyGlobs: readonly DenyGlob[];
}

/**
 * The one policy a sandbox context resolves to ({@link resolveSandboxPolicy}); {@link decide}
 * answers questions about it, the bubblewrap launcher enforces it.
 */
export type SandboxPolicy =
  /** Nothing to enforce: the command runs directly (`sandboxType: "none"`). */
  | { readonly enforced: false; readonly reason: string; readonly notes: readonly string[] }
  | {
      readonly enforced: true;
      readonly fileSystem: { readonly kind: "unrestricted" } | RestrictedFileSystem;
      readonly network: NetworkMode;
      /** The policy cwd (the context's, else the process cwd); undefined for a static fs-only policy. */
      readonly cwd: string | undefined;
      /** What was ignored while resolving (unknown specials, read/write globs, missing paths) and why. */
      readonly notes: readonly string[];
    };

/** Policy of a request without a sandbox. */
export const NO_SANDBOX: SandboxPolicy = { enforced: false, reason: "no sandbox requested", notes: [] };

/** The `sandboxType` a policy is reported as: `linuxSeccomp` (upstream's name for the Linux sandbox) or `none`. */
export function sandboxTypeOf(policy: SandboxPolicy): "none" | "linuxSeccomp" {
  return policy.enforced ? "linuxSeccomp" : "none";
}
