/**
 * The codex 0.169 sandbox shapes (UPSTREAM-0.169.md §4.1/§4.2) after parsing: wire member names
 * are kept (snake_case inside `permissions`, as on the wire), but every `PathUri` has been decoded
 * to a native absolute path. Produced by {@link parseSandboxContext}.
 */

/** `network` of a profile: `restricted` cuts the child off the network, `enabled` leaves it. */
export type NetworkMode = "restricted" | "enabled";

/**
 * What an entry grants. The wire accepts `none` as an older spelling of `deny` (0.169 echoes both
 * as `deny`), so parsing folds `none` into `deny`.
 */
export type EntryAccess = "read" | "write" | "deny";

/** A special root, resolved against the context when the policy is resolved. */
export type SpecialPath =
  /** `/`. */
  | { readonly kind: "root" }
  /** The platform's system directories (`/usr`, `/etc`, `/bin`, `/lib*`, `/sbin`), read-only. */
  | { readonly kind: "minimal" }
  /** The context's cwd (or the process cwd), joined with `subpath` when given. */
  | { readonly kind: "current_working_directory"; readonly subpath?: string }
  /** Every workspace root of the context, each joined with `subpath` when given. */
  | { readonly kind: "project_roots"; readonly subpath?: string }
  /** `$TMPDIR` of the child (process/start) or of the server (fs methods). */
  | { readonly kind: "tmpdir" }
  /** `/tmp`. */
  | { readonly kind: "slash_tmp" }
  /** A token from a newer codex; kept so the entry can be ignored instead of failing the request. */
  | { readonly kind: "unknown"; readonly path: string; readonly subpath?: string };

/** Where an entry applies. */
export type EntryTarget =
  | { readonly type: "path"; readonly path: string }
  /** A git-style glob; only `deny` globs have an effect (as upstream). Relative patterns are cwd-relative. */
  | { readonly type: "glob_pattern"; readonly pattern: string }
  | { readonly type: "special"; readonly value: SpecialPath };

/** One file-system entry of a restricted profile. */
export interface FileSystemEntry {
  readonly path: EntryTarget;
  readonly access: EntryAccess;
  /** `skip`: an entry whose path does not exist is ignored (otherwise a missing `deny` path is still masked). */
  readonly missingPathBehavior?: "skip";
}

/** `file_system` of a managed profile. */
export type ManagedFileSystem =
  | { readonly type: "unrestricted" }
  | {
      readonly type: "restricted";
      readonly entries: readonly FileSystemEntry[];
      /** Depth bound (≥ 1, path components below the glob's literal base) for deny globs; unbounded when absent. */
      readonly globScanMaxDepth?: number;
    };

/** `ExecPermissionProfile`, internally tagged by `type`. */
export type PermissionProfile =
  /** No sandbox at all. */
  | { readonly type: "disabled" }
  /** The caller sandboxes externally: the file system is left alone; `network` is still enforced. */
  | { readonly type: "external"; readonly network: NetworkMode }
  | { readonly type: "managed"; readonly fileSystem: ManagedFileSystem; readonly network: NetworkMode };

/** `windowsSandboxLevel` (required on the wire; Windows-only, ignored on Linux as upstream does). */
export type WindowsSandboxLevel = "disabled" | "restricted-token" | "elevated" | "mxc";

/** `sandboxOverride`; upstream's exec-server sandboxes every value the same way (probed), so do we. */
export type SandboxOverride = "noOverride" | "escalatedSandboxWithRestrictions" | "bypassSandboxFirstAttempt";

/** A parsed `WireFileSystemSandboxContext` (10 members) with native paths. */
export interface SandboxContext {
  readonly permissions: PermissionProfile;
  readonly windowsSandboxLevel: WindowsSandboxLevel;
  /** `policyContext.cwd`, else the legacy flat `cwd`. */
  readonly cwd?: string;
  /** `policyContext.workspaceRoots`, else the legacy flat `workspaceRoots`; empty when neither. */
  readonly workspaceRoots: readonly string[];
  readonly userHomeDir?: string;
  readonly temporaryDirectories: readonly string[];
  readonly windowsSandboxProxySettingsMode?: "reconcile" | "preserve";
  readonly useLegacyLandlock: boolean;
  readonly sandboxOverride?: SandboxOverride;
}
