/**
 * Generic request/notification dispatch behind the generated `createDispatcher`
 * (`generated/openrpc/dispatch.ts`). Rules (vscode-jsonrpc style):
 * - unknown method → -32601 `method not found: <name>`;
 * - params are validated first → -32602 naming the failing field;
 * - then the optional {@link ParamsCodec} rewrites them (paths) and, later, the result;
 * - then the caller's optional {@link RequestGate} may refuse the call (lifecycle ordering: params
 *   errors win over gating, as upstream decodes params first);
 * - a thrown {@link RpcError} passes through with its code, message and data;
 * - anything else thrown → -32603 with the error's message.
 * Omitted params are `null`; methods without declared params get `{}`.
 */
import { errorResponse, successResponse, type JsonRpcErrorObject, type JsonRpcId, type JsonRpcResponse } from "./json-rpc.js";
import type { MethodDescriptor } from "./method-descriptor.js";
import type { PathDialect } from "./path-codec.js";
import { ErrorCode, RpcError } from "./rpc-error.js";
import type { ValidationResult } from "./validation.js";
import { isThenable } from "../util/is-thenable.js";

/** A request handler as the core sees it (the generated `Handlers<Ctx>` is the typed view). */
export type AnyRequestHandler<Ctx> = (params: never, ctx: Ctx, call: RequestCall) => unknown;

/**
 * What a handler knows about the request besides its params and connection: the dialect its
 * result is encoded in (the edge path codec's verdict, `plain` for a seed-dialect request whose path
 * members were all plain absolute paths; `uri` otherwise and for every codex 0.169 method). Handlers
 * whose answers differ between the dialects (error codes and texts of the fs methods) read it.
 */
export interface RequestCall {
  readonly dialect: PathDialect;
}

/** The call of a request that went through no codec: paths were not decoded, so only plain ones can work. */
const PLAIN_CALL: RequestCall = { dialect: "plain" };
/** The call of a request whose result is encoded with URIs (shared: calls are immutable). */
const URI_CALL: RequestCall = { dialect: "uri" };

/**
 * Called once params are validated and decoded, right before the handler (synchronously within
 * `handleRequest`'s call); throwing an {@link RpcError} answers it instead of running the handler.
 */
export type RequestGate = (descriptor: MethodDescriptor) => void;

/** The request/notification dispatcher. */
export interface Dispatcher<Ctx> {
  /**
   * Answers one request. Never throws; the response always carries `"jsonrpc":"2.0"`. `gate` runs
   * after params validation and decoding and before the handler (see {@link RequestGate}).
   * Returns the response itself when the handler returned a value (not a promise) and nothing on
   * the way needed to wait, else a promise of it that never rejects: a connection then sends the
   * answer without a promise and microtask hops (most `fs/getMetadata` calls).
   */
  handleRequest(id: JsonRpcId, method: string, params: unknown, ctx: Ctx, gate?: RequestGate): JsonRpcResponse | Promise<JsonRpcResponse>;
  /**
   * Handles one client notification. Resolves `undefined` when handled (or when no handler is
   * registered), else the error to report (the connection sends it with id -1, CONTRACT.md §2):
   * -32600 for anything that is not a client notification, -32602 for invalid params, -32603 when
   * the handler throws. Never throws.
   */
  handleNotification(method: string, params: unknown, ctx: Ctx): Promise<JsonRpcErrorObject | undefined>;
  /** The descriptor of any method of the document (requests and notifications), or undefined. */
  describe(method: string): MethodDescriptor | undefined;
}

/**
 * Rewrites validated params before the handler runs and its result before it is sent: the edge
 * path codec (`path-codec.ts`) implements it. A thrown {@link RpcError} is answered as is.
 */
export interface ParamsCodec {
  decodeParams(
    descriptor: MethodDescriptor,
    params: unknown,
  ): { readonly params: unknown; readonly resultDialect?: PathDialect; encodeResult(result: unknown): unknown };
}

/** Behaviour switches for a dispatcher. */
export interface DispatcherOptions {
  /** Applied to the params and result of every request method (not to builtins). Default none. */
  codec?: ParamsCodec;
  /**
   * Validate handler results against the document; an invalid result becomes -32603
   * `invalid result for <method>: ...`. Default false (tests and development turn it on).
   */
  validateResults?: boolean;
}

/** Everything the core needs; the generated code supplies the tables. */
export interface DispatcherCoreInput<Ctx> {
  descriptors: readonly MethodDescriptor[];
  validateParams(method: string, value: unknown): ValidationResult;
  validateResult(method: string, value: unknown): ValidationResult;
  /** Request handlers keyed by method name; only own properties are consulted. */
  handlers: object;
  /** Handlers answered by the dispatcher itself (`rpc.discover`); they take precedence. */
  builtins?: Readonly<Record<string, AnyRequestHandler<Ctx>>>;
  /** Client-notification handlers keyed by method name; missing ones mean "ignore". */
  notificationHandlers?: object;
  options?: DispatcherOptions;
}

function ownFunction(table: object | undefined, name: string): ((params: unknown, ctx: unknown, call: RequestCall) => unknown) | undefined {
  if (table === undefined || !Object.hasOwn(table, name)) return undefined;
  const value: unknown = (table as Record<string, unknown>)[name];
  return typeof value === "function" ? (value.bind(table) as (params: unknown, ctx: unknown, call: RequestCall) => unknown) : undefined;
}


/** Maps a thrown value to a JSON-RPC error object. */
export function toErrorObject(error: unknown): JsonRpcErrorObject {
  if (error instanceof RpcError) return error.toJSON();
  const message = error instanceof Error ? error.message : String(error);
  return { code: ErrorCode.Internal, message: message === "" ? "internal error" : message };
}

/** Builds a {@link Dispatcher} from descriptor tables, validators and handlers. */
export function createDispatcherCore<Ctx>(input: DispatcherCoreInput<Ctx>): Dispatcher<Ctx> {
  const byName = new Map(input.descriptors.map((d) => [d.name, d] as const));
  const validateResults = input.options?.validateResults ?? false;
  const codec = input.options?.codec;
  /**
   * Each request method's handler, bound once on its first call (binding per request was an
   * allocation and ≈ 0.5 µs on every call); `null` for a method without one. The tables are read
   * then, so handlers must be in place before a method is first called.
   */
  const resolved = new Map<string, { readonly handler: (params: unknown, ctx: unknown, call: RequestCall) => unknown; readonly builtin: boolean } | null>();
  const handlerOf = (method: string) => {
    let entry = resolved.get(method);
    if (entry === undefined) {
      const builtin = ownFunction(input.builtins, method);
      const handler = builtin ?? ownFunction(input.handlers, method);
      entry = handler === undefined ? null : { handler, builtin: builtin !== undefined };
      resolved.set(method, entry);
    }
    return entry;
  };

  const prepare = (descriptor: MethodDescriptor, params: unknown): { ok: true; params: unknown } | { ok: false; message: string } => {
    // A method without declared params ignores them (`initialized`, `rpc.discover`) unless closed.
    if (descriptor.params.length === 0 && !descriptor.paramsClosed) return { ok: true, params: {} };
    const value = params === null || params === undefined ? {} : params;
    const verdict = input.validateParams(descriptor.name, value);
    return verdict.ok ? { ok: true, params: value } : verdict;
  };

  return {
    describe: (method) => byName.get(method),

    handleRequest(id, method, params, ctx, gate) {
      try {
        const descriptor = byName.get(method);
        const entry = descriptor?.direction === "request" ? handlerOf(method) : null;
        if (descriptor === undefined || entry === null) {
          return errorResponse(id, { code: ErrorCode.MethodNotFound, message: `method not found: ${method}` });
        }
        const { handler, builtin } = entry;
        const prepared = prepare(descriptor, params);
        if (!prepared.ok) return errorResponse(id, { code: ErrorCode.InvalidParams, message: prepared.message });
        const decoded = codec === undefined || builtin ? undefined : codec.decodeParams(descriptor, prepared.params);
        gate?.(descriptor);
        const call: RequestCall = decoded?.resultDialect === "uri" ? URI_CALL : PLAIN_CALL;
        const raw = handler(decoded === undefined ? prepared.params : decoded.params, ctx, call);
        const finish = (value: unknown): JsonRpcResponse => {
          try {
            const result = decoded === undefined ? value : decoded.encodeResult(value);
            if (validateResults) {
              const verdict = input.validateResult(method, result);
              if (!verdict.ok) return errorResponse(id, { code: ErrorCode.Internal, message: verdict.message });
            }
            return successResponse(id, result);
          } catch (error) {
            return errorResponse(id, toErrorObject(error));
          }
        };
        // A thenable is awaited as `await` would (adopting its state); a plain value is answered now.
        if (isThenable(raw)) return Promise.resolve(raw).then(finish, (error: unknown) => errorResponse(id, toErrorObject(error)));
        return finish(raw);
      } catch (error) {
        return errorResponse(id, toErrorObject(error));
      }
    },

    async handleNotification(method, params, ctx) {
      try {
        const descriptor = byName.get(method);
        if (descriptor?.direction !== "client-notification") {
          return { code: ErrorCode.InvalidRequest, message: `unexpected notification ${method}` };
        }
        const prepared = prepare(descriptor, params);
        if (!prepared.ok) return { code: ErrorCode.InvalidParams, message: prepared.message };
        const handler = ownFunction(input.notificationHandlers, method);
        if (handler !== undefined) await handler(prepared.params, ctx, PLAIN_CALL);
        return undefined;
      } catch (error) {
        return toErrorObject(error);
      }
    },
  };
}
