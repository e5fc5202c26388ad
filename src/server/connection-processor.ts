import { responseBytes } from "../rpc/base64-member-json.js";
import { ErrorCode, RpcError } from "../rpc/rpc-error.js";
import { parseMessage } from "../rpc/json-rpc.js";
import { jsonPartsBytes } from "../rpc/json-parts-bytes.js";
import { exceedsMessageLimit, type FlowControl, type MessageTransport } from "../rpc/message-transport.js";
import { splitOutputJson } from "./process/output-notification.js";
import { isThenable } from "../util/is-thenable.js";

/** JSON-RPC id as received (integer or string); `-1` answers malformed input. */
export type RequestId = number | string;

/** The part of the generated dispatcher the connection processor uses. */
export interface RequestDispatcher<Ctx> {
  /**
   * Validates params, runs the handler and answers the response object, or a promise of it that
   * never rejects (when the handler had to wait); never throws. `gate` runs once params are
   * validated and decoded, before the handler; what it throws is the answer.
   */
  handleRequest(id: RequestId, method: string, params: unknown, ctx: Ctx, gate?: () => void): unknown;
  /** The method's descriptor, or undefined for an unknown method. */
  describe(method: string): { readonly direction: string } | undefined;
}

/** Per-connection lifecycle state (CONTRACT §2). */
export type LifecycleState = "awaiting-initialize" | "initializing" | "awaiting-initialized" | "ready" | "closed";

/** Hooks a server gives each connection. */
export interface ConnectionHooks<Ctx> {
  dispatcher: RequestDispatcher<Ctx>;
  /** Builds the handler context of this connection (it may hold the session once initialized). */
  createContext(connection: ConnectionProcessor<Ctx>): Ctx;
  /** Called once when the transport closes (detach the session here). */
  onClosed(ctx: Ctx): void;
  /** Diagnostics sink. Default none. */
  log?: (line: string) => void;
  /** Requests processed at once on this connection; more are refused with -32600. Default {@link DEFAULT_MAX_IN_FLIGHT_REQUESTS}. */
  maxInFlightRequests?: number;
  /** Rewrites a server notification's params before sending (the edge path codec). Default none. */
  encodeNotification?: (method: string, params: unknown) => unknown;
}

/** Default for {@link ConnectionHooks.maxInFlightRequests}: enough for many long-polls, bounded against floods. */
export const DEFAULT_MAX_IN_FLIGHT_REQUESTS = 1024;

/** Messages held while `initialize` runs; more are refused with an id -1 error. */
export const MAX_HELD_DURING_INITIALIZE = 1024;

/** Methods answered in any lifecycle state. */
const ALWAYS_ALLOWED = new Set(["rpc.discover"]);

/**
 * The family a method is gated as, in upstream's words (`client must call initialize before using
 * <family> methods`): codex 0.169's names for its families, the method's own prefix otherwise
 * (`environment` for this project's `environment/add|list|remove`).
 */
export function gatingFamily(method: string): string {
  if (method.startsWith("process/")) return "exec";
  if (method.startsWith("fs/")) return "filesystem";
  if (method.startsWith("http/")) return "http";
  if (method === "environment/info") return "environment info";
  if (method === "environment/status") return "environment status";
  if (method.startsWith("environmentConfig/")) return "environment config";
  if (method.startsWith("capabilityRoots/") || method.startsWith("capabilities/")) return "capability discovery";
  const slash = method.indexOf("/");
  return slash < 0 ? method : method.slice(0, slash);
}

/**
 * Runs the JSON-RPC lifecycle of one connection over any {@link MessageTransport}: `initialize` once,
 * then `initialized`, then everything else, concurrently. Malformed input, responses and unexpected
 * notifications are answered with id -1 and the connection stays open.
 */
export class ConnectionProcessor<Ctx> {
  #state: LifecycleState = "awaiting-initialize";
  readonly ctx: Ctx;
  readonly #transport: MessageTransport;
  readonly #hooks: ConnectionHooks<Ctx>;
  /** Requests whose response has not been sent yet. */
  #inFlight = 0;
  /** Messages that arrived while `initialize` was running; replayed in order once it completes. */
  #heldDuringInitialize: string[] = [];

  constructor(transport: MessageTransport, hooks: ConnectionHooks<Ctx>) {
    this.#transport = transport;
    this.#hooks = hooks;
    this.ctx = hooks.createContext(this);
    transport.onMessage((text) => this.#receive(text));
    transport.onClose(() => {
      if (this.#state === "closed") return;
      this.#state = "closed";
      hooks.onClosed(this.ctx);
    });
  }

  /** Current lifecycle state. */
  get state(): LifecycleState {
    return this.#state;
  }

  /** The transport's outbound flow control, if it has one (the session paces process output by it). */
  get flow(): FlowControl | undefined {
    return this.#transport.flow;
  }

  /**
   * Sends a server notification (no-op once closed). `process/output` params from the process layer
   * take a fast path: the same JSON text, built around the base64 chunk without JSON.stringify
   * scanning it, and handed to the transport as its three parts when it has `sendAsciiParts` (a
   * websocket writes the frame from them), else as UTF-8 bytes when it has `sendBytes`.
   */
  notify(method: string, rawParams: unknown): void {
    if (this.#state === "closed") return;
    const params = this.#hooks.encodeNotification === undefined ? rawParams : this.#hooks.encodeNotification(method, rawParams);
    const split = splitOutputJson(params);
    if (split === undefined) {
      this.#transport.send(JSON.stringify({ jsonrpc: "2.0", method, params }));
      return;
    }
    const head = `{"jsonrpc":"2.0","method":${JSON.stringify(method)},"params":${split.head}`;
    const tail = `${split.tail}}`;
    const transport = this.#transport;
    if (transport.sendAsciiParts !== undefined) transport.sendAsciiParts(head, split.ascii, tail);
    else if (transport.sendBytes !== undefined) transport.sendBytes(jsonPartsBytes(head, split.ascii, tail));
    else transport.send(head + split.ascii + tail);
  }

  /** Closes the underlying transport. */
  close(reason?: string): void {
    this.#transport.close(reason);
  }

  #receive(text: string): void {
    if (this.#state === "initializing") {
      // Pipelined clients send `initialized` and requests right behind `initialize`: hold them until
      // it completes so they see the post-initialize state (only this ordering is serialised).
      if (this.#heldDuringInitialize.length >= MAX_HELD_DURING_INITIALIZE) {
        this.#sendError(-1, ErrorCode.InvalidRequest, `more than ${MAX_HELD_DURING_INITIALIZE} messages sent before initialize completed`);
        return;
      }
      this.#heldDuringInitialize.push(text);
      return;
    }
    const message = parseMessage(text);
    switch (message.kind) {
      case "malformed":
        return this.#sendError(-1, ErrorCode.InvalidRequest, `invalid JSON-RPC message: ${message.reason}`);
      case "response":
      case "error":
        return this.#sendError(-1, ErrorCode.InvalidRequest, "unexpected response from client: this server sends no requests");
      case "notification":
        if (message.method === "initialized") {
          if (this.#state === "awaiting-initialized") this.#state = "ready";
          else if (this.#state !== "ready") {
            this.#sendError(-1, ErrorCode.InvalidRequest, "initialized notification received before initialize completed");
          }
          return;
        }
        return this.#sendError(-1, ErrorCode.InvalidRequest, `unexpected notification ${message.method}: only initialized may be sent`);
      case "request":
        return this.#request(message.id, message.method, message.params);
    }
  }

  #request(id: RequestId, method: string, params: unknown): void {
    const limit = this.#hooks.maxInFlightRequests ?? DEFAULT_MAX_IN_FLIGHT_REQUESTS;
    if (this.#inFlight >= limit) {
      return this.#sendError(id, ErrorCode.InvalidRequest, `too many requests in flight on this connection (limit ${limit})`);
    }
    const descriptor = this.#hooks.dispatcher.describe(method);
    if (descriptor !== undefined && descriptor.direction !== "request") {
      return this.#sendError(id, ErrorCode.InvalidRequest, `${method} is a notification, not a request`);
    }
    // Params are decoded before gating (upstream: a params error wins over "initialize first"), so
    // the ordering check runs as the dispatcher's gate, synchronously within handleRequest's call.
    // Once ready, only a second `initialize` is refused; other calls need no gate.
    const isInitialize = method === "initialize" && this.#state === "awaiting-initialize";
    const gate =
      this.#state === "ready" && method !== "initialize"
        ? undefined
        : (): void => {
            if (ALWAYS_ALLOWED.has(method)) return;
            const refusal = this.#orderingError(method);
            if (refusal !== undefined) throw new RpcError(ErrorCode.InvalidRequest, refusal);
            if (isInitialize) this.#state = "initializing";
          };
    this.#inFlight += 1;
    let outcome: unknown;
    try {
      outcome = this.#hooks.dispatcher.handleRequest(id, method, params, this.ctx, gate);
    } catch (error) {
      // handleRequest never throws by contract; if it does, answer rather than leave the caller hanging.
      outcome = Promise.reject(error);
    }
    if (!isThenable(outcome)) {
      // Answered without waiting (most calls): sent now, no promise reaction, no microtask hop.
      this.#settle(id, method, isInitialize, outcome, false);
      return;
    }
    // One reaction per request (then/catch/finally made three promises on every call).
    void Promise.resolve(outcome).then(
      (response: unknown) => this.#settle(id, method, isInitialize, response, false),
      (error: unknown) => this.#settle(id, method, isInitialize, error, true),
    );
  }

  /** Sends the answer of one request (its response, or `failure` when handleRequest broke its contract) and releases its slot. */
  #settle(id: RequestId, method: string, isInitialize: boolean, outcome: unknown, failed: boolean): void {
    try {
      if (failed) {
        this.#fail(id, outcome);
      } else {
        try {
          if (isInitialize && this.#state === "initializing") {
            const refused = typeof outcome === "object" && outcome !== null && "error" in outcome;
            this.#state = refused ? "awaiting-initialize" : "awaiting-initialized";
          }
          if (this.#state !== "closed") this.#sendResponse(id, method, outcome);
          if (isInitialize) this.#replayHeld();
        } catch (error) {
          this.#fail(id, error);
        }
      }
    } finally {
      this.#inFlight -= 1;
      if (isInitialize && this.#state === "initializing") {
        this.#state = "awaiting-initialize";
        this.#replayHeld();
      }
    }
  }

  #fail(id: RequestId, error: unknown): void {
    this.#sendError(id, ErrorCode.Internal, error instanceof Error ? error.message : String(error));
  }

  /**
   * Sends a response, or an error naming the limit when the transport could not carry it. A result
   * built by `withBase64Member` (`fs/readFile`, `fs/readBlock`) goes out as bytes made around its
   * base64 without `JSON.stringify` scanning it, when the transport takes bytes (docs/bench.md:
   * ≈ 4× less server CPU for a 64 MiB file); everything else is `JSON.stringify`'d.
   */
  #sendResponse(id: RequestId, method: string, response: unknown): void {
    const transport = this.#transport;
    const limit = transport.maxMessageBytes;
    const bytes = transport.sendBytes !== undefined && typeof response === "object" && response !== null && "result" in response ? responseBytes(id, response.result) : undefined;
    if (bytes !== undefined) {
      if (limit === undefined || bytes.length <= limit) transport.sendBytes!(bytes);
      else this.#sendError(id, ErrorCode.InvalidRequest, tooLarge(method, bytes.length, limit));
      return;
    }
    const text = JSON.stringify(response);
    if (!exceedsMessageLimit(text, limit)) {
      transport.send(text);
      return;
    }
    this.#sendError(id, ErrorCode.InvalidRequest, tooLarge(method, Buffer.byteLength(text, "utf8"), limit));
  }

  #replayHeld(): void {
    const held = this.#heldDuringInitialize;
    this.#heldDuringInitialize = [];
    for (const text of held) {
      if (this.#state === "closed") return;
      this.#receive(text);
    }
  }

  #orderingError(method: string): string | undefined {
    const family = gatingFamily(method);
    if (method === "initialize") {
      return this.#state === "awaiting-initialize" ? undefined : "initialize may only be sent once per connection";
    }
    if (this.#state === "awaiting-initialize" || this.#state === "initializing") {
      return `client must call initialize before using ${family} methods`;
    }
    if (this.#state === "awaiting-initialized") return `client must send initialized before using ${family} methods`;
    return undefined;
  }

  #sendError(id: RequestId, code: number, message: string): void {
    this.#hooks.log?.(`error answered to ${JSON.stringify(id)}: ${message}`);
    if (this.#state === "closed") return;
    this.#transport.send(JSON.stringify({ jsonrpc: "2.0", id, error: { code, message } }));
  }
}


/** The error text of a response larger than the connection's message limit. */
function tooLarge(method: string, bytes: number, limit: number | undefined): string {
  return `${method} result of ${bytes} bytes exceeds this connection's message limit of ${limit} bytes`;
}
