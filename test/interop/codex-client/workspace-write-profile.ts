import { pathToFileURL } from "node:url";

/** A file-system entry of an `ExecPermissionProfile` (UPSTREAM-0.169.md §4.2), as JSON. */
export type PermissionEntry = Record<string, unknown> & { access: "read" | "write" | "deny" | "none" };

/**
 * The file-system entries codex 0.169 sends for `-s workspace-write` with the default
 * `[sandbox_workspace_write]` settings (probed; see docs/codex-client.md): root readable, the project roots,
 * `/tmp` and `$TMPDIR` writable, and four project-root subpaths read-only when they exist.
 */
export const WORKSPACE_WRITE_ENTRIES: readonly PermissionEntry[] = [
  { path: { type: "special", value: { kind: "root" } }, access: "read" },
  { path: { type: "special", value: { kind: "project_roots" } }, access: "write" },
  { path: { type: "special", value: { kind: "slash_tmp" } }, access: "write" },
  { path: { type: "special", value: { kind: "tmpdir" } }, access: "write" },
  ...[".git", ".agents", ".codex", ".aws"].map(
    (subpath): PermissionEntry => ({ path: { type: "special", value: { kind: "project_roots", subpath } }, access: "read", missing_path_behavior: "skip" }),
  ),
];

/** The entry codex adds for a directory the user approved writing to (an approved apply_patch outside the workspace). */
export function writablePathEntry(directory: string): PermissionEntry {
  return { path: { type: "path", path: pathToFileURL(directory).href }, access: "write" };
}

/** The workspace-write `ExecPermissionProfile`: managed, restricted file system, network restricted. */
function workspaceWritePermissions(extraEntries: readonly PermissionEntry[]): Record<string, unknown> {
  return { type: "managed", file_system: { type: "restricted", entries: [...WORKSPACE_WRITE_ENTRIES, ...extraEntries] }, network: "restricted" };
}

/**
 * `process/start.sandbox` as codex 0.169 sends it under workspace-write with `workspace` as cwd and only
 * workspace root: the legacy flat `cwd`/`workspaceRoots`, no `policyContext`, no `userHomeDir`.
 */
export function workspaceWriteProcessSandbox(workspace: string): Record<string, unknown> {
  const uri = pathToFileURL(workspace).href;
  return {
    permissions: workspaceWritePermissions([]),
    cwd: uri,
    workspaceRoots: [uri],
    windowsSandboxLevel: "disabled",
    windowsSandboxProxySettingsMode: "reconcile",
    useLegacyLandlock: false,
  };
}

/**
 * The `sandbox` of codex 0.169's writing fs calls (`fs/writeFile`, `fs/createDirectory`) under workspace-write:
 * the flat `cwd`/`workspaceRoots` and the same in `policyContext`, plus `userHomeDir` — the exec-server's own
 * home as its `initialize` answer reported it (`environmentInfo.userHomeDir`), not the shell's `$HOME`.
 */
export function workspaceWriteFsSandbox(workspace: string, userHomeDirUri: string, extraEntries: readonly PermissionEntry[] = []): Record<string, unknown> {
  const uri = pathToFileURL(workspace).href;
  return {
    permissions: workspaceWritePermissions(extraEntries),
    cwd: uri,
    policyContext: { cwd: uri, workspaceRoots: [uri] },
    workspaceRoots: [uri],
    userHomeDir: userHomeDirUri,
    windowsSandboxLevel: "disabled",
    useLegacyLandlock: false,
  };
}
