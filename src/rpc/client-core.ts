/**
 * Generic JSON-RPC client machinery behind the generated typed client
 * (`generated/openrpc/client.ts`): request ids, pending calls, timeouts, AbortSignal, notification
 * subscriptions and transport-close handling. Typed by a method map (see {@link MethodMapShape}).
 */
import type { Clock } from "../util/clock.js";
import { parseMessage, requestMessage, notificationMessage, type JsonRpcId } from "./json-rpc.js";
import type { MessageTransport } from "./message-transport.js";
import type {
  ClientNotificationMethod,
  MethodMapShape,
  MethodShape,
  RequestMethod,
  ServerNotificationMethod,
} from "./method-descriptor.js";
import { RpcError } from "./rpc-error.js";

/** Timer functions, injected so tests never wait on real time (the timer half of {@link Clock}). */
export type Timers = Pick<Clock, "setTimeout" | "clearTimeout">;

/** The host's timers (the default for {@link ClientOptions.timers}). */
export const systemTimers: Timers = {
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Default per-call timeout, in milliseconds. */
export const DEFAULT_TIMEOUT_MS = 30_000;

/** Options for a client. */
export interface ClientOptions {
  /**
   * Per-call timeout in milliseconds, default {@link DEFAULT_TIMEOUT_MS}; 0 disables. Long-polls
   * (`process/read` with `waitMs`) should pass a larger per-call `timeoutMs`.
   */
  timeoutMs?: number;
  /** Timer functions; default {@link systemTimers}. */
  timers?: Timers;
  /**
   * Called for inbound traffic the client cannot use (malformed text, responses to unknown ids —
   * e.g. after a timeout — and server-to-client requests, which this protocol does not have).
   * Default: ignore.
   */
  onProtocolError?: (reason: string, message: string) => void;
  /** Called when a notification listener throws. Default: ignore (one bad listener must not stop the others). */
  onListenerError?: (error: unknown, method: string) => void;
}

/** Per-call options. */
export interface CallOptions {
  /** Aborts the call: the promise rejects with a {@link RpcClientError} of kind `aborted`. */
  signal?: AbortSignal;
  /** Overrides {@link ClientOptions.timeoutMs} for this call (milliseconds; 0 disables). */
  timeoutMs?: number;
}

/** Why a call failed on the client side (the server never answered). */
export type RpcClientErrorKind = "timeout" | "aborted" | "closed";

/** A call that ended without a server answer. Server errors arrive as {@link RpcError} instead. */
export class RpcClientError extends Error {
  override readonly name = "RpcClientError";
  constructor(
    readonly kind: RpcClientErrorKind,
    message: string,
    options?: { cause?: unknown },
  ) {
    super(message, options);
  }
}

/**
 * A typed call for one method: params are optional when every param is optional.
 * Resolves with the result; rejects with {@link RpcError} (server error, carrying its code) or
 * {@link RpcClientError} (timeout, abort, transport closed).
 */
export type RequestFn<S extends MethodShape> = {} extends S["params"]
  ? (params?: S["params"], options?: CallOptions) => Promise<S["result"]>
  : (params: S["params"], options?: CallOptions) => Promise<S["result"]>;

/** A typed notification sender. */
export type NotifyFn<S extends MethodShape> = {} extends S["params"] ? (params?: S["params"]) => void : (params: S["params"]) => void;

interface PendingCall {
  method: string;
  resolve(result: unknown): void;
  reject(error: unknown): void;
  cleanup(): void;
}

/** The generic client. One instance per transport; it subscribes to the transport at construction. */
export class RpcClientCore<M extends MethodMapShape> {
  readonly #transport: MessageTransport;
  readonly #timers: Timers;
  readonly #timeoutMs: number;
  readonly #onProtocolError: (reason: string, message: string) => void;
  readonly #onListenerError: (error: unknown, method: string) => void;
  readonly #pending = new Map<JsonRpcId, PendingCall>();
  readonly #listeners = new Map<string, Set<(params: never) => void>>();
  readonly #unsubscribe: Array<() => void>;
  #nextId = 1;
  #closedReason: string | undefined;

  constructor(transport: MessageTransport, options: ClientOptions = {}) {
    this.#transport = transport;
    this.#timers = options.timers ?? systemTimers;
    this.#timeoutMs = options.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    if (!(Number.isFinite(this.#timeoutMs) && this.#timeoutMs >= 0)) {
      throw new RangeError(`timeoutMs must be a non-negative number of milliseconds, got ${String(options.timeoutMs)}`);
    }
    this.#onProtocolError = options.onProtocolError ?? (() => {});
    this.#onListenerError = options.onListenerError ?? (() => {});
    this.#unsubscribe = [
      transport.onMessage((message) => this.#receive(message)),
      transport.onClose((reason) => this.#closed(reason)),
    ];
  }

  /** True once the transport closed or {@link close} was called. */
  get isClosed(): boolean {
    return this.#closedReason !== undefined;
  }

  /** Number of calls waiting for a response. */
  get pendingCount(): number {
    return this.#pending.size;
  }

  /** Sends a request and resolves with its result. */
  request<K extends RequestMethod<M>>(method: K, params: M[K]["params"] | undefined, options: CallOptions = {}): Promise<M[K]["result"]> {
    if (this.#closedReason !== undefined) {
      return Promise.reject(new RpcClientError("closed", `${method} failed: transport closed (${this.#closedReason})`));
    }
    const signal = options.signal;
    if (signal?.aborted) {
      return Promise.reject(new RpcClientError("aborted", `${method} aborted before it was sent`, { cause: signal.reason }));
    }
    const id = this.#nextId++;
    const timeoutMs = options.timeoutMs ?? this.#timeoutMs;
    return new Promise<M[K]["result"]>((resolve, reject) => {
      let timer: unknown;
      const onAbort = (): void => {
        this.#settle(id)?.reject(new RpcClientError("aborted", `${method} aborted`, { cause: signal?.reason }));
      };
      const call: PendingCall = {
        method,
        resolve: resolve as (result: unknown) => void,
        reject,
        cleanup: () => {
          if (timer !== undefined) this.#timers.clearTimeout(timer);
          signal?.removeEventListener("abort", onAbort);
        },
      };
      this.#pending.set(id, call);
      if (timeoutMs > 0) {
        timer = this.#timers.setTimeout(() => {
          this.#settle(id)?.reject(new RpcClientError("timeout", `${method} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
      }
      signal?.addEventListener("abort", onAbort, { once: true });
      this.#transport.send(JSON.stringify(requestMessage(id, method, params ?? {})));
    });
  }

  /** A bound {@link RequestFn} for `method` (what the generated client exposes). */
  method<K extends RequestMethod<M>>(method: K): RequestFn<M[K]> {
    return ((params?: M[K]["params"], options?: CallOptions) => this.request(method, params, options)) as RequestFn<M[K]>;
  }

  /** Sends a notification. A no-op once closed (notifications have no outcome to report). */
  notify<K extends ClientNotificationMethod<M>>(method: K, params?: M[K]["params"]): void {
    if (this.#closedReason !== undefined) return;
    this.#transport.send(JSON.stringify(notificationMessage(method, params ?? {})));
  }

  /** Subscribes to a server notification; returns an unsubscribe function. */
  on<K extends ServerNotificationMethod<M>>(method: K, listener: (params: M[K]["params"]) => void): () => void {
    let set = this.#listeners.get(method);
    if (set === undefined) {
      set = new Set();
      this.#listeners.set(method, set);
    }
    const entry = listener as (params: never) => void;
    set.add(entry);
    return () => {
      set.delete(entry);
    };
  }

  /** Closes the transport; pending calls reject with kind `closed`. */
  close(reason = "client closed"): void {
    this.#closed(reason);
    this.#transport.close(reason);
  }

  #settle(id: JsonRpcId): PendingCall | undefined {
    const call = this.#pending.get(id);
    if (call === undefined) return undefined;
    this.#pending.delete(id);
    call.cleanup();
    return call;
  }

  #receive(text: string): void {
    const message = parseMessage(text);
    switch (message.kind) {
      case "response":
      case "error": {
        const call = message.id === null ? undefined : this.#settle(message.id);
        if (call === undefined) {
          this.#onProtocolError(`response for unknown id ${JSON.stringify(message.id)}`, text);
          return;
        }
        if (message.kind === "response") call.resolve(message.result);
        else call.reject(new RpcError(message.error.code, message.error.message, message.error.data));
        return;
      }
      case "notification": {
        const listeners = this.#listeners.get(message.method);
        if (listeners === undefined) return;
        for (const listener of [...listeners]) {
          try {
            (listener as (params: unknown) => void)(message.params);
          } catch (error) {
            this.#onListenerError(error, message.method);
          }
        }
        return;
      }
      case "request":
        this.#onProtocolError(`unexpected request ${message.method} from the server`, text);
        return;
      case "malformed":
        this.#onProtocolError(message.reason, text);
        return;
    }
  }

  #closed(reason: string): void {
    if (this.#closedReason !== undefined) return;
    this.#closedReason = reason;
    for (const off of this.#unsubscribe) off();
    for (const id of [...this.#pending.keys()]) {
      const call = this.#settle(id);
      call?.reject(new RpcClientError("closed", `${call.method} failed: transport closed (${reason})`));
    }
  }
}
