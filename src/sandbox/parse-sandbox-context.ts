import { isAbsolute } from "node:path";
import { ErrorCode, RpcError } from "../rpc/rpc-error.js";
import { decodeFilePathUri, type PathUriDecoder } from "./decode-path-uri.js";
import type {
  EntryAccess,
  EntryTarget,
  FileSystemEntry,
  ManagedFileSystem,
  NetworkMode,
  PermissionProfile,
  SandboxContext,
  SandboxOverride,
  SpecialPath,
  WindowsSandboxLevel,
} from "./permission-profile.js";

/** Options of {@link parseSandboxContext}. */
export interface ParseSandboxContextOptions {
  /** PathUri → native path; default {@link decodeFilePathUri}. */
  readonly decodePath?: PathUriDecoder;
}

/**
 * Parses a `WireFileSystemSandboxContext` (`process/start.sandbox`, the `sandbox` of fs methods).
 * `undefined`/`null` → null (no sandbox). Errors are -32602 {@link RpcError}s worded like the serde
 * errors codex 0.169 answers (`` missing field `windowsSandboxLevel` ``, ``unknown variant `zzz`, expected
 * one of `managed`, `disabled`, `external` ``, `invalid type: integer \`0\`, expected a nonzero usize`, PathUri
 * errors). Unknown members are ignored everywhere, as upstream does. `none` is read as `deny`.
 */
export function parseSandboxContext(value: unknown, options: ParseSandboxContextOptions = {}): SandboxContext | null {
  if (value === undefined || value === null) return null;
  const decodePath = options.decodePath ?? decodeFilePathUri;
  const uri = (raw: unknown): string => {
    const text = str(raw);
    let native: string;
    try {
      native = decodePath(text);
    } catch (error) {
      throw invalid(error instanceof Error ? error.message : String(error));
    }
    if (!isAbsolute(native)) throw invalid(`path URI ${text} is not absolute`);
    return native;
  };
  const uriList = (raw: unknown): string[] => seq(raw).map(uri);

  const context = struct(value, "WireFileSystemSandboxContext");
  const permissions = parseProfile(required(context, "permissions"), uri);
  const windowsSandboxLevel = variant(required(context, "windowsSandboxLevel"), [
    "disabled",
    "restricted-token",
    "elevated",
    "mxc",
  ] as const);
  const policyContext = optional(context, "policyContext");
  const policy = policyContext === undefined ? undefined : struct(policyContext, "PolicyContext");
  const policyCwd = policy === undefined ? undefined : optional(policy, "cwd");
  const policyRoots = policy === undefined ? undefined : optional(policy, "workspaceRoots");
  const flatCwd = optional(context, "cwd");
  const flatRoots = optional(context, "workspaceRoots");
  // Decode every given path (a malformed one is an error even when another carrier wins).
  const cwdFromPolicy = policyCwd === undefined ? undefined : uri(policyCwd);
  const cwdFlat = flatCwd === undefined ? undefined : uri(flatCwd);
  const rootsFromPolicy = policyRoots === undefined ? undefined : uriList(policyRoots);
  const rootsFlat = flatRoots === undefined ? undefined : uriList(flatRoots);
  const userHomeDir = optional(context, "userHomeDir");
  const temporaryDirectories = optional(context, "temporaryDirectories");
  const proxyMode = optional(context, "windowsSandboxProxySettingsMode");
  const landlock = optional(context, "useLegacyLandlock");
  const override = optional(context, "sandboxOverride");
  const cwd = cwdFromPolicy ?? cwdFlat;
  return {
    permissions,
    windowsSandboxLevel: windowsSandboxLevel as WindowsSandboxLevel,
    ...(cwd === undefined ? {} : { cwd }),
    workspaceRoots: rootsFromPolicy ?? rootsFlat ?? [],
    ...(userHomeDir === undefined ? {} : { userHomeDir: uri(userHomeDir) }),
    temporaryDirectories: temporaryDirectories === undefined ? [] : uriList(temporaryDirectories),
    ...(proxyMode === undefined ? {} : { windowsSandboxProxySettingsMode: variant(proxyMode, ["reconcile", "preserve"] as const) }),
    useLegacyLandlock: landlock === undefined ? false : bool(landlock),
    ...(override === undefined
      ? {}
      : {
          sandboxOverride: variant(override, [
            "noOverride",
            "escalatedSandboxWithRestrictions",
            "bypassSandboxFirstAttempt",
          ] as const) as SandboxOverride,
        }),
  };
}

function parseProfile(value: unknown, uri: (raw: unknown) => string): PermissionProfile {
  const profile = struct(value, "internally tagged enum ExecPermissionProfile");
  const type = variant(required(profile, "type"), ["managed", "disabled", "external"] as const);
  switch (type) {
    case "disabled":
      return { type };
    case "external":
      return { type, network: network(required(profile, "network")) };
    case "managed": {
      const fileSystem = parseManagedFileSystem(required(profile, "file_system"), uri);
      return { type, fileSystem, network: network(required(profile, "network")) };
    }
  }
}

function parseManagedFileSystem(value: unknown, uri: (raw: unknown) => string): ManagedFileSystem {
  const fs = struct(value, "internally tagged enum ExecManagedFileSystemPermissions");
  const type = variant(required(fs, "type"), ["restricted", "unrestricted"] as const);
  if (type === "unrestricted") return { type };
  const entries = seq(required(fs, "entries")).map((entry) => parseEntry(entry, uri));
  const depth = optional(fs, "glob_scan_max_depth");
  if (depth === undefined) return { type, entries };
  if (typeof depth !== "number" || !Number.isSafeInteger(depth) || depth < 0) {
    throw invalid(`invalid type: ${describe(depth)}, expected a nonzero usize`);
  }
  if (depth === 0) throw invalid("invalid value: integer `0`, expected a nonzero usize");
  return { type, entries, globScanMaxDepth: depth };
}

function parseEntry(value: unknown, uri: (raw: unknown) => string): FileSystemEntry {
  const entry = struct(value, "struct ExecFileSystemSandboxEntry");
  const path = parseTarget(required(entry, "path"), uri);
  const raw = variant(required(entry, "access"), ["read", "write", "deny", "none"] as const);
  const access: EntryAccess = raw === "none" ? "deny" : raw;
  const missing = optional(entry, "missing_path_behavior");
  if (missing === undefined) return { path, access };
  variant(missing, ["skip"] as const);
  return { path, access, missingPathBehavior: "skip" };
}

function parseTarget(value: unknown, uri: (raw: unknown) => string): EntryTarget {
  const target = struct(value, "internally tagged enum ExecFileSystemPath");
  const type = variant(required(target, "type"), ["path", "glob_pattern", "special"] as const);
  switch (type) {
    case "path":
      return { type, path: uri(required(target, "path")) };
    case "glob_pattern":
      return { type, pattern: str(required(target, "pattern")) };
    case "special":
      return { type, value: parseSpecial(required(target, "value")) };
  }
}

function parseSpecial(value: unknown): SpecialPath {
  const special = struct(value, "internally tagged enum FileSystemSpecialPath");
  const kind = variant(required(special, "kind"), [
    "root",
    "minimal",
    "current_working_directory",
    "project_roots",
    "tmpdir",
    "slash_tmp",
    "unknown",
  ] as const);
  const subpathOf = (): { subpath?: string } => {
    const subpath = optional(special, "subpath");
    return subpath === undefined ? {} : { subpath: str(subpath) };
  };
  switch (kind) {
    case "current_working_directory":
    case "project_roots":
      return { kind, ...subpathOf() };
    case "unknown":
      return { kind, path: str(required(special, "path")), ...subpathOf() };
    default:
      return { kind };
  }
}

function network(value: unknown): NetworkMode {
  return variant(value, ["restricted", "enabled"] as const);
}

// --- serde-shaped primitives ----------------------------------------------------------------------

function invalid(message: string): RpcError {
  return new RpcError(ErrorCode.InvalidParams, message);
}

function describe(value: unknown): string {
  if (value === null) return "null";
  if (typeof value === "boolean") return `boolean \`${value}\``;
  if (typeof value === "number") {
    return Number.isInteger(value) ? `integer \`${value}\`` : `floating point \`${value}\``;
  }
  if (typeof value === "string") return `string ${JSON.stringify(value)}`;
  if (Array.isArray(value)) return "sequence";
  return "map";
}

function struct(value: unknown, name: string): Record<string, unknown> {
  if (typeof value !== "object" || value === null || Array.isArray(value)) {
    throw invalid(`invalid type: ${describe(value)}, expected ${/^(internally|struct) /.test(name) ? name : `struct ${name}`}`);
  }
  return value as Record<string, unknown>;
}

/** A present member (serde's `missing field` otherwise); a null is refused by the caller's type check. */
function required(object: Record<string, unknown>, field: string): unknown {
  const value = object[field];
  if (value === undefined) throw invalid(`missing field \`${field}\``);
  return value;
}

/** An `Option<T>` member: absent or null → undefined. */
function optional(object: Record<string, unknown>, field: string): unknown {
  const value = object[field];
  return value === null ? undefined : value;
}

function variant<const T extends readonly string[]>(value: unknown, allowed: T): T[number] {
  if (typeof value !== "string") throw invalid(`invalid type: ${describe(value)}, expected variant identifier`);
  if (!allowed.includes(value)) {
    const expected =
      allowed.length === 1 ? `\`${allowed[0]}\`` : `one of ${allowed.map((v) => `\`${v}\``).join(", ")}`;
    throw invalid(`unknown variant \`${value}\`, expected ${expected}`);
  }
  return value;
}

function str(value: unknown): string {
  if (typeof value !== "string") throw invalid(`invalid type: ${describe(value)}, expected a string`);
  return value;
}

function bool(value: unknown): boolean {
  if (typeof value !== "boolean") throw invalid(`invalid type: ${describe(value)}, expected a boolean`);
  return value;
}

function seq(value: unknown): unknown[] {
  if (!Array.isArray(value)) throw invalid(`invalid type: ${describe(value)}, expected a sequence`);
  return value;
}
