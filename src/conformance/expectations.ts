import { RpcError } from "../rpc/rpc-error.js";
import { RpcClientError } from "../rpc/client-core.js";
import { CheckFailure } from "./check.js";
import type { RawResponse } from "./raw-peer.js";

/** Longest JSON preview of an unexpected value in a reason, in characters. */
const MAX_PREVIEW = 160;

/** Compact JSON of `value`, cut to a readable length. */
export function show(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_PREVIEW ? `${text.slice(0, MAX_PREVIEW - 1)}…` : text;
}

/** Describes what a typed call rejected with, for reasons. */
export function describeError(error: unknown): string {
  if (error instanceof RpcError) return `error ${error.code}: ${error.message}`;
  if (error instanceof RpcClientError) return `${error.kind}: ${error.message}`;
  return error instanceof Error ? error.message : String(error);
}

/**
 * Awaits a typed call that must fail with `code`; returns the error. When `fragment` is given the
 * message must contain it (case-insensitive) or match it.
 */
export async function expectRpcError(call: Promise<unknown>, code: number, what: string, fragment?: string | RegExp): Promise<RpcError> {
  let result: unknown;
  try {
    result = await call;
  } catch (error) {
    if (error instanceof CheckFailure) throw error;
    if (!(error instanceof RpcError)) throw new CheckFailure(`${what}: expected error ${code}, got ${describeError(error)}`);
    if (error.code !== code) throw new CheckFailure(`${what}: expected error ${code}, got ${error.code}: ${error.message}`);
    if (fragment !== undefined && !matches(error.message, fragment)) {
      throw new CheckFailure(`${what}: error ${code} message ${show(error.message)} should mention ${String(fragment)}`);
    }
    return error;
  }
  throw new CheckFailure(`${what}: expected error ${code}, got result ${show(result)}`);
}

/** Like {@link expectRpcError} for a raw response. */
export function expectRawError(response: RawResponse, code: number, what: string, fragment?: string | RegExp): void {
  if (response.error === undefined) throw new CheckFailure(`${what}: expected error ${code}, got ${show(response.message)}`);
  if (response.error.code !== code) {
    throw new CheckFailure(`${what}: expected error ${code}, got ${response.error.code}: ${response.error.message}`);
  }
  if (fragment !== undefined && !matches(response.error.message, fragment)) {
    throw new CheckFailure(`${what}: error ${code} message ${show(response.error.message)} should mention ${String(fragment)}`);
  }
}

/** Awaits a typed call that must succeed; a rejection fails the check naming `what`. */
export async function expectOk<T>(call: Promise<T>, what: string): Promise<T> {
  try {
    return await call;
  } catch (error) {
    if (error instanceof CheckFailure) throw error;
    throw new CheckFailure(`${what} failed: ${describeError(error)}`);
  }
}

function matches(message: string, fragment: string | RegExp): boolean {
  return typeof fragment === "string" ? message.toLowerCase().includes(fragment.toLowerCase()) : fragment.test(message);
}

/** Standard base64 of UTF-8 text. */
export function b64(text: string): string {
  return Buffer.from(text, "utf8").toString("base64");
}

/** UTF-8 text of standard base64. */
export function unb64(data: string): string {
  return Buffer.from(data, "base64").toString("utf8");
}
