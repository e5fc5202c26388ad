/**
 * How the fs methods report failures, in both dialects: ONE table of codes with a dialect column
 * (`FS_ERROR_CODES`), and one place that turns whatever an operation threw into the RpcError of the
 * request's dialect ({@link toFsRpcError}). docs/filesystem.md#errors shows the same table.
 *
 * - `seed`: CONTRACT.md §4 (plain-path requests): not found -32004 (also ENOTDIR caused by a
 *   non-final component), invalid input / permission / "exists" / "not empty" -32600, other I/O
 *   -32603; messages `<method> failed for <path>: <Node's error text>`.
 * - `codex-0.169`: what the codex 0.169 exec-server answers (probed): Rust's io error kinds —
 *   `NotFound` -32004, `InvalidInput`/`PermissionDenied` -32600, everything else -32603 — with the
 *   OS text as message (`No such file or directory (os error 2)`), and its own texts for the
 *   conditions it detects itself (``path `…` is not a file``, `path contains a symbolic link`, ...).
 */
import { lstat } from "node:fs/promises";
import type { RequestCall } from "../../rpc/dispatcher-core.js";
import { ErrorCode, RpcError, isRpcError, type ErrorCodeValue } from "../../rpc/rpc-error.js";
import { osErrorText } from "./os-error-text.js";

/** The dialect whose codes and texts an fs method answers with. */
export type FsDialect = "seed" | "codex-0.169";

/** `seed` for a plain-path request of a seed method, `codex-0.169` for everything else (URI paths, 0.169 methods). */
export function fsDialectOf(call: RequestCall | undefined): FsDialect {
  return call?.dialect === "uri" ? "codex-0.169" : "seed";
}

/** A Node system error (`err.code` like `"ENOENT"`). */
export interface SystemError extends Error {
  code: string;
  path?: string;
}

/** True when `value` is a Node system error carrying a string `code`. */
export function isSystemError(value: unknown): value is SystemError {
  return value instanceof Error && typeof (value as { code?: unknown }).code === "string";
}

/**
 * Conditions the fs layer detects itself (as opposed to OS errors). Each is thrown as an
 * {@link FsFailure} carrying its text in both dialects; its code comes from {@link FS_ERROR_CODES}.
 */
export type FsFailureKind =
  /** readFile / open of something that is not a regular file. */
  | "not-a-file"
  /** a size or count over a limit (file to read or write, directory listing, open handles). */
  | "over-limit"
  /** a request the method cannot take (bad base64, copy rules, walk limits, handle ids). */
  | "invalid-request"
  /** `followSymlinks: false` and the final component is a symlink (getMetadata, remove). */
  | "symlink-in-path"
  /** `followSymlinks: false` with a recursive remove. */
  | "no-follow-recursive-remove"
  /** the sandbox denies the path (a `deny` entry or glob). */
  | "sandbox-denied"
  /** the sandbox lets the path be read but not written. */
  | "sandbox-read-only"
  /** no sandbox entry covers the path (it does not exist for the caller), or a write into a read-only directory that does not exist. */
  | "sandbox-not-found"
  /** an unknown file handle id. */
  | "unknown-handle";

/** How an OS error code is classified for {@link FS_ERROR_CODES}. */
type OsErrorRow =
  | "ENOENT"
  | "ENOTDIR-parent"
  | "ENOTDIR"
  | "EACCES"
  | "EPERM"
  | "EINVAL"
  | "EISDIR"
  | "EEXIST"
  | "ENOTEMPTY"
  | "ELOOP"
  | "ENAMETOOLONG"
  | "other-os-error";

const { NotFound, InvalidRequest, Internal } = ErrorCode;

/**
 * THE table: every condition the fs methods report, with its code in each dialect. `ENOTDIR-parent`
 * is ENOTDIR raised because a non-final component is not a directory (`/a/file/x`).
 */
export const FS_ERROR_CODES: Readonly<Record<OsErrorRow | FsFailureKind, { readonly seed: ErrorCodeValue; readonly "codex-0.169": ErrorCodeValue }>> = {
  ENOENT: { seed: NotFound, "codex-0.169": NotFound },
  "ENOTDIR-parent": { seed: NotFound, "codex-0.169": Internal },
  ENOTDIR: { seed: InvalidRequest, "codex-0.169": Internal },
  EACCES: { seed: InvalidRequest, "codex-0.169": InvalidRequest },
  EPERM: { seed: InvalidRequest, "codex-0.169": InvalidRequest },
  EINVAL: { seed: InvalidRequest, "codex-0.169": InvalidRequest },
  EISDIR: { seed: InvalidRequest, "codex-0.169": Internal },
  EEXIST: { seed: InvalidRequest, "codex-0.169": Internal },
  ENOTEMPTY: { seed: InvalidRequest, "codex-0.169": Internal },
  ELOOP: { seed: InvalidRequest, "codex-0.169": Internal },
  ENAMETOOLONG: { seed: InvalidRequest, "codex-0.169": Internal },
  "other-os-error": { seed: Internal, "codex-0.169": Internal },
  "not-a-file": { seed: InvalidRequest, "codex-0.169": InvalidRequest },
  "over-limit": { seed: InvalidRequest, "codex-0.169": InvalidRequest },
  "invalid-request": { seed: InvalidRequest, "codex-0.169": InvalidRequest },
  "symlink-in-path": { seed: InvalidRequest, "codex-0.169": InvalidRequest },
  "no-follow-recursive-remove": { seed: InvalidRequest, "codex-0.169": Internal },
  "sandbox-denied": { seed: InvalidRequest, "codex-0.169": InvalidRequest },
  "sandbox-read-only": { seed: InvalidRequest, "codex-0.169": Internal },
  "sandbox-not-found": { seed: InvalidRequest, "codex-0.169": NotFound },
  "unknown-handle": { seed: NotFound, "codex-0.169": NotFound },
};

/** A condition detected by the fs layer, with its message in each dialect. */
export class FsFailure extends Error {
  constructor(
    readonly kind: FsFailureKind,
    readonly messages: { readonly seed: string; readonly "codex-0.169": string },
  ) {
    super(messages.seed);
    this.name = "FsFailure";
  }

  /** The RpcError of `dialect`. */
  toRpcError(dialect: FsDialect): RpcError {
    return new RpcError(FS_ERROR_CODES[this.kind][dialect], this.messages[dialect]);
  }
}

/** An {@link FsFailure} with the same text in both dialects. */
export function fsFailure(kind: FsFailureKind, message: string): FsFailure {
  return new FsFailure(kind, { seed: message, "codex-0.169": message });
}

/**
 * A Node-style system error for `code` (ENOTDIR, ELOOP, EBADF, ...), for conditions the fs layer
 * detects itself but must report exactly as the OS would (no-follow checks, closed handles).
 */
export function systemError(code: string, syscall: string, path?: string): SystemError {
  const error = new Error(`${code}: ${osErrorText(code)}, ${syscall}${path === undefined ? "" : ` '${path}'`}`) as SystemError;
  error.code = code;
  if (path !== undefined) error.path = path;
  return error;
}

/**
 * True when `err` says the path does not exist: ENOENT, or ENOTDIR caused by a non-final component
 * being a file (`/a/file/x`). ENOTDIR on an existing final component (`readdir` of a file) is an
 * invalid-input error instead, so the path is lstat'ed to tell the two apart.
 */
export async function isNotFoundError(err: unknown, path: string): Promise<boolean> {
  if (!isSystemError(err)) return false;
  if (err.code === "ENOENT") return true;
  if (err.code !== "ENOTDIR") return false;
  try {
    await lstat(err.path ?? path);
    return false; // the path exists; the final component just is not a directory
  } catch (lstatError) {
    return isSystemError(lstatError) && (lstatError.code === "ENOENT" || lstatError.code === "ENOTDIR");
  }
}

async function osErrorRow(err: SystemError, path: string): Promise<OsErrorRow> {
  if (err.code === "ENOTDIR") return (await isNotFoundError(err, path)) ? "ENOTDIR-parent" : "ENOTDIR";
  return Object.hasOwn(FS_ERROR_CODES, err.code) ? (err.code as OsErrorRow) : "other-os-error";
}

/**
 * Translates anything thrown by a filesystem operation into the {@link RpcError} of `dialect`:
 * RpcErrors pass through, {@link FsFailure}s and OS errors get their code from
 * {@link FS_ERROR_CODES}. Seed messages name the method, the path and Node's error text
 * (`fs/readFile failed for /x: ENOENT: no such file or directory, open '/x'`); codex 0.169 messages
 * are the OS text (`No such file or directory (os error 2)`).
 */
export async function toFsRpcError(method: string, err: unknown, path: string, dialect: FsDialect = "seed"): Promise<RpcError> {
  if (isRpcError(err)) return err;
  if (err instanceof FsFailure) return err.toRpcError(dialect);
  if (!isSystemError(err)) {
    const text = err instanceof Error ? err.message : String(err);
    return new RpcError(Internal, dialect === "seed" ? `${method} failed for ${path}: ${text}` : text);
  }
  const row = await osErrorRow(err, path);
  const message = dialect === "seed" ? `${method} failed for ${path}: ${err.message}` : osErrorText(err.code);
  return new RpcError(FS_ERROR_CODES[row][dialect], message);
}
