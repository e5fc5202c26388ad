/**
 * Wire types of the filesystem methods (CONTRACT.md §4). Field names are exactly the contract's so
 * these stay structurally identical to the generated OpenRPC types. Every params object may also
 * carry `environmentId`, which the router strips before the filesystem layer sees it.
 */

/** Results are exactly the generated OpenRPC types (one source of truth for the wire shape). */
export type {
  DirectoryEntry as FsDirectoryEntry,
  FsCanonicalizeResult,
  FsCopyResult,
  FsCreateDirectoryResult,
  FsGetMetadataResult,
  FsReadDirectoryResult,
  FsReadFileResult,
  FsRemoveResult,
  FsWalkParams,
  FsWalkResult,
  FsWriteFileResult,
} from "../../../generated/openrpc/types.js";

/**
 * A sandbox policy as it travels on the wire (codex's `SandboxPolicy` serialisation). Only `type`
 * and the writable roots are interpreted; other members (`network_access`, ...) are ignored.
 */
export interface SandboxPolicyWire {
  /** `danger-full-access`, `read-only` or `workspace-write`; anything else is refused (-32602). */
  type: string;
  /** Absolute directories writable under `workspace-write` (upstream's snake_case spelling). */
  writable_roots?: string[];
  /** Camel-case spelling of {@link SandboxPolicyWire.writable_roots}, also accepted. */
  writableRoots?: string[];
  [member: string]: unknown;
}

/** The optional `sandbox` param: `{sandboxPolicy: {...}}` or a bare `{type: ...}` policy. */
export type FsSandbox = { sandboxPolicy: SandboxPolicyWire; [member: string]: unknown } | SandboxPolicyWire;

/** Members every filesystem params object may carry. */
export interface FsCommonParams {
  /** Follow a final symlink (default); `false` is refused until it is implemented. */
  followSymlinks?: boolean | null;
  /**
   * Sandbox to enforce for this call ({@link FsSandbox}); absent or null means unrestricted. Typed
   * `unknown` because the service parses it at run time (parseSandbox) whatever the caller's type.
   */
  sandbox?: unknown;
  /** Target environment; routed and stripped by the router, ignored here. */
  environmentId?: string | null;
}

/** `fs/readFile` params. */
export interface FsReadFileParams extends FsCommonParams {
  /** Absolute path of the file to read. */
  path: string;
}

/** `fs/writeFile` params. */
export interface FsWriteFileParams extends FsCommonParams {
  /** Absolute path of the file to create or truncate. */
  path: string;
  /** New contents, standard base64 with padding. */
  dataBase64: string;
}

/** `fs/createDirectory` params. */
export interface FsCreateDirectoryParams extends FsCommonParams {
  /** Absolute path of the directory to create. */
  path: string;
  /** Create missing parents and accept an existing directory; default true. */
  recursive?: boolean | null;
}

/** `fs/getMetadata` params. */
export interface FsGetMetadataParams extends FsCommonParams {
  /** Absolute path to describe. */
  path: string;
}

/** `fs/readDirectory` params. */
export interface FsReadDirectoryParams extends FsCommonParams {
  /** Absolute path of the directory to list. */
  path: string;
}

/** `fs/remove` params. */
export interface FsRemoveParams extends FsCommonParams {
  /** Absolute path to remove (a symlink is removed, never its target). */
  path: string;
  /** Remove a directory with its contents; default true. */
  recursive?: boolean | null;
  /** Succeed when the path does not exist; default true. */
  force?: boolean | null;
}

/** `fs/canonicalize` params. */
export interface FsCanonicalizeParams extends FsCommonParams {
  /** Absolute path to resolve. */
  path: string;
}

/** `fs/copy` params. */
export interface FsCopyParams extends FsCommonParams {
  /** Absolute path of the file, symlink or directory to copy. */
  sourcePath: string;
  /** Absolute path of the copy. */
  destinationPath: string;
  /** Must be true to copy a directory. */
  recursive: boolean;
}
