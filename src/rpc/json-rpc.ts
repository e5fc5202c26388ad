/**
 * JSON-RPC message shapes and a classifier for inbound texts (CONTRACT.md §1).
 *
 * Upstream speaks "JSON-RPC lite" (no `"jsonrpc"` member); we accept messages with or without it and
 * always emit `"jsonrpc":"2.0"`.
 */

/** A request id: an integer or a string. */
export type JsonRpcId = number | string;

/** The `error` member of an error response. */
export interface JsonRpcErrorObject {
  code: number;
  message: string;
  data?: unknown;
}

/** A request as emitted by this project. */
export interface JsonRpcRequest {
  jsonrpc: "2.0";
  id: JsonRpcId;
  method: string;
  params?: unknown;
}

/** A notification as emitted by this project. */
export interface JsonRpcNotification {
  jsonrpc: "2.0";
  method: string;
  params?: unknown;
}

/** A successful response. */
export interface JsonRpcSuccessResponse {
  jsonrpc: "2.0";
  id: JsonRpcId;
  result: unknown;
}

/** An error response; `id` is `-1` (upstream) or `null` when the request id is unknown. */
export interface JsonRpcErrorResponse {
  jsonrpc: "2.0";
  id: JsonRpcId | null;
  error: JsonRpcErrorObject;
}

/** Either response shape. */
export type JsonRpcResponse = JsonRpcSuccessResponse | JsonRpcErrorResponse;

/** Any message this project emits. */
export type JsonRpcMessage = JsonRpcRequest | JsonRpcNotification | JsonRpcResponse;

/** The result of {@link parseMessage}. Omitted `params` are reported as `null`. */
export type ParsedMessage =
  | { kind: "request"; id: JsonRpcId; method: string; params: unknown }
  | { kind: "notification"; method: string; params: unknown }
  | { kind: "response"; id: JsonRpcId | null; result: unknown }
  | { kind: "error"; id: JsonRpcId | null; error: JsonRpcErrorObject }
  /** Not JSON or not a JSON-RPC shape; `id` is set when the message carried a usable one. */
  | { kind: "malformed"; reason: string; id?: JsonRpcId };

/** Builds a request (`params` omitted when undefined). */
export function requestMessage(id: JsonRpcId, method: string, params?: unknown): JsonRpcRequest {
  return params === undefined ? { jsonrpc: "2.0", id, method } : { jsonrpc: "2.0", id, method, params };
}

/** Builds a notification (`params` omitted when undefined). */
export function notificationMessage(method: string, params?: unknown): JsonRpcNotification {
  return params === undefined ? { jsonrpc: "2.0", method } : { jsonrpc: "2.0", method, params };
}

/** Builds a success response. `undefined` results are sent as `null` (JSON has no undefined). */
export function successResponse(id: JsonRpcId, result: unknown): JsonRpcSuccessResponse {
  return { jsonrpc: "2.0", id, result: result === undefined ? null : result };
}

/** Builds an error response. */
export function errorResponse(id: JsonRpcId | null, error: JsonRpcErrorObject): JsonRpcErrorResponse {
  const body: JsonRpcErrorObject =
    error.data === undefined
      ? { code: error.code, message: error.message }
      : { code: error.code, message: error.message, data: error.data };
  return { jsonrpc: "2.0", id, error: body };
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function isId(value: unknown): value is JsonRpcId {
  return typeof value === "string" || (typeof value === "number" && Number.isInteger(value));
}

/**
 * Classifies one inbound text as request, notification, response, error response or malformed.
 * Never throws. Batches (JSON arrays) are not supported and classify as malformed.
 */
export function parseMessage(text: string): ParsedMessage {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    return { kind: "malformed", reason: `invalid JSON: ${error instanceof Error ? error.message : String(error)}` };
  }
  return classifyMessage(value);
}

/** Like {@link parseMessage} for an already-decoded JSON value. */
export function classifyMessage(value: unknown): ParsedMessage {
  if (!isPlainObject(value)) {
    return { kind: "malformed", reason: "a JSON-RPC message must be a JSON object" };
  }
  const hasId = Object.hasOwn(value, "id");
  const id = value["id"];
  const usableId = hasId && isId(id) ? { id } : {};
  if (Object.hasOwn(value, "jsonrpc") && value["jsonrpc"] !== "2.0") {
    return { kind: "malformed", reason: `unsupported jsonrpc version ${JSON.stringify(value["jsonrpc"])}`, ...usableId };
  }
  if (Object.hasOwn(value, "method")) {
    const method = value["method"];
    if (typeof method !== "string" || method.length === 0) {
      return { kind: "malformed", reason: "method must be a non-empty string", ...usableId };
    }
    const params = value["params"] === undefined ? null : value["params"];
    if (params !== null && typeof params !== "object") {
      return { kind: "malformed", reason: `params of ${method} must be an object, an array or null`, ...usableId };
    }
    if (!hasId) return { kind: "notification", method, params };
    if (!isId(id)) return { kind: "malformed", reason: "id must be an integer or a string" };
    return { kind: "request", id, method, params };
  }
  const hasResult = Object.hasOwn(value, "result");
  const hasError = Object.hasOwn(value, "error");
  if (hasResult || hasError) {
    if (!hasId || (id !== null && !isId(id))) {
      return { kind: "malformed", reason: "a response needs an integer, string or null id" };
    }
    if (hasResult && hasError) return { kind: "malformed", reason: "a response has either result or error, not both", ...usableId };
    if (hasResult) return { kind: "response", id, result: value["result"] };
    const error = value["error"];
    if (!isPlainObject(error) || typeof error["code"] !== "number" || !Number.isInteger(error["code"]) || typeof error["message"] !== "string") {
      return { kind: "malformed", reason: "error must be an object with an integer code and a string message", ...usableId };
    }
    const errorObject: JsonRpcErrorObject =
      error["data"] === undefined
        ? { code: error["code"], message: error["message"] }
        : { code: error["code"], message: error["message"], data: error["data"] };
    return { kind: "error", id, error: errorObject };
  }
  return { kind: "malformed", reason: "not a JSON-RPC request, notification or response (no method, result or error)", ...usableId };
}
