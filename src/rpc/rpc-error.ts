/**
 * JSON-RPC error codes used by exec-server (CONTRACT.md §1). This table is the single source of
 * truth; the OpenRPC document's `components.errors` mirrors it.
 */
export const ErrorCode = {
  /** Ordering violations, duplicate process, unknown process, bad base64, invalid-input and permission-denied fs errors, malformed messages (id -1). */
  InvalidRequest: -32600,
  /** The method does not exist. */
  MethodNotFound: -32601,
  /** Params do not match the method's schema (including `argv must not be empty`, relative paths). */
  InvalidParams: -32602,
  /** Anything unexpected, including spawn failures and other I/O errors. */
  Internal: -32603,
  /** Filesystem path not found. */
  NotFound: -32004,
  /**
   * `initialize {resumeSessionId}` of a session still attached to another connection (codex 0.169;
   * clients match the message `is already attached to another connection` and retry).
   */
  SessionAttached: -32010,
} as const;

/** One of the codes in {@link ErrorCode}; other integers may arrive from foreign peers. */
export type ErrorCodeValue = (typeof ErrorCode)[keyof typeof ErrorCode];

/**
 * A JSON-RPC error carrying its code. Handlers throw it to answer with that code; the dispatcher
 * maps any other thrown value to -32603.
 */
export class RpcError extends Error {
  override readonly name = "RpcError";
  constructor(
    readonly code: number,
    message: string,
    readonly data?: unknown,
  ) {
    super(message);
  }

  /** The JSON-RPC `error` member for this error. */
  toJSON(): { code: number; message: string; data?: unknown } {
    return this.data === undefined
      ? { code: this.code, message: this.message }
      : { code: this.code, message: this.message, data: this.data };
  }
}

/** True when `value` is an {@link RpcError} (structural, so errors crossing module copies count). */
export function isRpcError(value: unknown): value is RpcError {
  return value instanceof RpcError;
}
