import { isAbsolute } from "node:path";
import { ErrorCode, RpcError } from "../../rpc/rpc-error.js";

/**
 * Runtime checks of filesystem params. The typed signatures describe well-formed input, but params
 * arrive as JSON from a peer, so every field is checked and refused with -32602 naming the field.
 */

/** The params object itself, refused unless it is a JSON object. */
export function paramsObject(params: unknown): Record<string, unknown> {
  if (typeof params !== "object" || params === null || Array.isArray(params)) {
    throw new RpcError(ErrorCode.InvalidParams, "params must be an object");
  }
  return params as Record<string, unknown>;
}

/** A required absolute path field (`path must be an absolute path: foo`). */
export function absolutePath(params: Record<string, unknown>, field: string): string {
  const value = params[field];
  if (typeof value !== "string") {
    throw new RpcError(ErrorCode.InvalidParams, `${field} must be a string`);
  }
  if (value.includes("\0")) {
    throw new RpcError(ErrorCode.InvalidParams, `${field} must not contain NUL bytes`);
  }
  if (!isAbsolute(value)) {
    throw new RpcError(ErrorCode.InvalidParams, `${field} must be an absolute path: ${value}`);
  }
  return value;
}

/** A required string field. */
export function requiredString(params: Record<string, unknown>, field: string): string {
  const value = params[field];
  if (typeof value !== "string") {
    throw new RpcError(ErrorCode.InvalidParams, `${field} must be a string`);
  }
  return value;
}

/** A boolean field; `fallback` when absent or null, or refused as missing when `fallback` is undefined. */
export function booleanField(params: Record<string, unknown>, field: string, fallback?: boolean): boolean {
  const value = params[field];
  if (typeof value === "boolean") return value;
  if ((value === undefined || value === null) && fallback !== undefined) return fallback;
  throw new RpcError(ErrorCode.InvalidParams, `${field} must be a boolean`);
}

/**
 * Refuses `followSymlinks: false` (-32602): not following a final symlink is not implemented yet,
 * and silently following it would act on a file the caller asked not to touch. Absent, null and
 * true mean the default behaviour (follow).
 */
export function refuseNoFollow(params: Record<string, unknown>, method: string): void {
  const value = params["followSymlinks"];
  if (value === undefined || value === null || value === true) return;
  // TODO(issue 11): honour followSymlinks: false (upstream: ELOOP on a final symlink, "path contains a symbolic link" for getMetadata).
  throw new RpcError(ErrorCode.InvalidParams, `${method}: followSymlinks: false is not supported by this exec-server yet`);
}
