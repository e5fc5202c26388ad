import type { MessageTransport } from "../rpc/message-transport.js";
import type { JsonRpcErrorObject, JsonRpcId } from "../rpc/json-rpc.js";
import type { Clock } from "../util/clock.js";
import { CheckFailure } from "./check.js";

/** One inbound message as a raw peer saw it. */
export interface RawInbound {
  /** The text as received. */
  readonly text: string;
  /** The decoded JSON object, or undefined when the text was not a JSON object. */
  readonly value: Record<string, unknown> | undefined;
}

/** A response as a raw peer sees it: exactly one of `result` / `error` is set on a well-formed one. */
export interface RawResponse {
  readonly id: unknown;
  readonly result?: unknown;
  readonly error?: JsonRpcErrorObject;
  readonly message: Record<string, unknown>;
}

/** Which envelope a raw request is sent in. */
export type Envelope = "2.0" | "lite";

/** How a {@link RawPeer} frames what it sends unless told otherwise per call. */
export interface RawPeerOptions {
  /** Envelope of requests and notifications (default `2.0`; codex-0.169 checks use `lite`, as the codex client does). */
  envelope?: Envelope;
  /** Number request ids 1, 2, 3… (as the codex client does) instead of `conformance-N` strings (default false). */
  integerIds?: boolean;
}

/**
 * A deliberately dumb JSON-RPC peer over a {@link MessageTransport}: it sends exactly the text it is
 * given (so lifecycle and malformed-input checks can send what the typed client never would) and
 * keeps every inbound message for later matching.
 */
export class RawPeer {
  readonly inbound: RawInbound[] = [];
  readonly #transport: MessageTransport;
  readonly #clock: Clock;
  readonly #defaultTimeoutMs: number;
  readonly #waiters = new Set<() => void>();
  readonly #envelope: Envelope;
  readonly #integerIds: boolean;
  #closedReason: string | undefined;
  #nextId = 1;

  /**
   * @param defaultTimeoutMs how long {@link request} and {@link waitFor} wait by default, in ms.
   */
  constructor(transport: MessageTransport, clock: Clock, defaultTimeoutMs: number, options: RawPeerOptions = {}) {
    this.#transport = transport;
    this.#clock = clock;
    this.#defaultTimeoutMs = defaultTimeoutMs;
    this.#envelope = options.envelope ?? "2.0";
    this.#integerIds = options.integerIds ?? false;
    transport.onMessage((text) => {
      let value: Record<string, unknown> | undefined;
      try {
        const decoded: unknown = JSON.parse(text);
        if (typeof decoded === "object" && decoded !== null && !Array.isArray(decoded)) value = decoded as Record<string, unknown>;
      } catch {
        // Kept as text: the tapped transport already reports non-JSON server output as a violation.
        value = undefined;
      }
      this.inbound.push({ text, value });
      this.#wake();
    });
    transport.onClose((reason) => {
      this.#closedReason = reason;
      this.#wake();
    });
  }

  /** Why the connection closed, or undefined while it is open. */
  get closedReason(): string | undefined {
    return this.#closedReason;
  }

  /** Sends `text` exactly as given. */
  sendText(text: string): void {
    this.#transport.send(text);
  }

  /** Sends a value as compact JSON. */
  sendJson(value: unknown): void {
    this.#transport.send(JSON.stringify(value));
  }

  /** Sends a notification (the peer's envelope unless told otherwise; params omitted when undefined). */
  notify(method: string, params?: unknown, envelope: Envelope = this.#envelope): void {
    this.sendJson({ ...(envelope === "2.0" ? { jsonrpc: "2.0" } : {}), method, ...(params === undefined ? {} : { params }) });
  }

  /** Sends a request and resolves with the response carrying its id. */
  request(method: string, params?: unknown, options: { envelope?: Envelope; id?: JsonRpcId; timeoutMs?: number } = {}): Promise<RawResponse> {
    const id = options.id ?? (this.#integerIds ? this.#nextId++ : `conformance-${this.#nextId++}`);
    this.sendJson({
      ...((options.envelope ?? this.#envelope) === "2.0" ? { jsonrpc: "2.0" } : {}),
      id,
      method,
      ...(params === undefined ? {} : { params }),
    });
    return this.waitForResponse(id, `the response to ${method} (id ${JSON.stringify(id)})`, options.timeoutMs);
  }

  /** Sends a request and returns its result; a server error fails the check with its code and message. */
  async call(method: string, params?: unknown): Promise<unknown> {
    const response = await this.request(method, params);
    if (response.error !== undefined) {
      throw new CheckFailure(`${method} failed with ${response.error.code}: ${response.error.message}`);
    }
    return response.result;
  }

  /** `initialize` + `initialized`; returns the session id, or undefined for a `{}` answer. */
  async handshake(params: Record<string, unknown> = { clientName: "exec-server-conformance" }): Promise<string | undefined> {
    const result = await this.call("initialize", params);
    this.notify("initialized", {});
    const sessionId = (result as { sessionId?: unknown } | null)?.sessionId;
    return typeof sessionId === "string" ? sessionId : undefined;
  }

  /** Resolves with the first response (result or error) whose id equals `id`. */
  async waitForResponse(id: unknown, what: string, timeoutMs?: number): Promise<RawResponse> {
    const found = await this.waitFor(() => this.inbound.find((m) => m.value !== undefined && responseLike(m.value) && m.value["id"] === id), what, timeoutMs);
    return toResponse(found.value as Record<string, unknown>);
  }

  /**
   * Resolves with the first response (result or error, any id) received after inbound index `from`
   * (use `inbound.length` before sending to ignore earlier ones).
   */
  async waitForNextResponse(from: number, what: string, timeoutMs?: number): Promise<RawResponse> {
    const found = await this.waitFor(() => this.inbound.slice(from).find((m) => m.value !== undefined && responseLike(m.value)), what, timeoutMs);
    return toResponse(found.value as Record<string, unknown>);
  }

  /**
   * Resolves when `pick` returns a value (checked now and after every inbound message). Fails the
   * check when the connection closes first or after `timeoutMs` (default: the peer's default).
   */
  waitFor<T>(pick: () => T | undefined, what: string, timeoutMs = this.#defaultTimeoutMs): Promise<T> {
    const now = pick();
    if (now !== undefined) return Promise.resolve(now);
    return new Promise<T>((resolve, reject) => {
      const finish = (error: Error | undefined, value?: T) => {
        this.#clock.clearTimeout(timer);
        this.#waiters.delete(waiter);
        if (error) reject(error);
        else resolve(value as T);
      };
      const waiter = () => {
        const value = pick();
        if (value !== undefined) finish(undefined, value);
        else if (this.#closedReason !== undefined) finish(new CheckFailure(`connection closed (${this.#closedReason}) while waiting for ${what}`));
      };
      const timer = this.#clock.setTimeout(() => finish(new CheckFailure(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
      this.#waiters.add(waiter);
      waiter();
    });
  }

  /** Closes the connection. */
  close(reason = "conformance check finished"): void {
    this.#transport.close(reason);
  }

  #wake(): void {
    for (const waiter of [...this.#waiters]) waiter();
  }
}

function responseLike(value: Record<string, unknown>): boolean {
  return !Object.hasOwn(value, "method") && (Object.hasOwn(value, "result") || Object.hasOwn(value, "error"));
}

function toResponse(message: Record<string, unknown>): RawResponse {
  const error = message["error"];
  return {
    id: message["id"],
    message,
    ...(Object.hasOwn(message, "result") ? { result: message["result"] } : {}),
    ...(typeof error === "object" && error !== null ? { error: error as JsonRpcErrorObject } : {}),
  };
}
