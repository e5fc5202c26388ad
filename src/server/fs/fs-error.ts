import { lstat } from "node:fs/promises";
import { ErrorCode, RpcError, isRpcError } from "../../rpc/rpc-error.js";

/**
 * OS error codes that mean "invalid input or permission denied" (CONTRACT §4 → -32600). ELOOP and
 * ENAMETOOLONG are included because they describe a bad path, not a failing disk.
 */
const INVALID_INPUT_CODES: ReadonlySet<string> = new Set([
  "EACCES",
  "EPERM",
  "EISDIR",
  "ENOTDIR",
  "EEXIST",
  "ENOTEMPTY",
  "EINVAL",
  "ELOOP",
  "ENAMETOOLONG",
]);

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

/**
 * Translates anything thrown by a filesystem operation into an {@link RpcError}: not found → -32004,
 * invalid input / permission denied → -32600, other I/O → -32603. RpcErrors pass through unchanged.
 * The message names the method, the path and the OS error text.
 */
export async function toFsRpcError(method: string, err: unknown, path: string): Promise<RpcError> {
  if (isRpcError(err)) return err;
  const osText = err instanceof Error ? err.message : String(err);
  const message = `${method} failed for ${path}: ${osText}`;
  if (await isNotFoundError(err, path)) return new RpcError(ErrorCode.NotFound, message);
  if (isSystemError(err) && INVALID_INPUT_CODES.has(err.code)) {
    return new RpcError(ErrorCode.InvalidRequest, message);
  }
  return new RpcError(ErrorCode.Internal, message);
}
