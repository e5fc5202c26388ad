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
