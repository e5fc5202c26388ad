import type { Readable } from "node:stream";
import { Agent, interceptors, request, type Dispatcher } from "undici";
import type { HttpRequestParams, HttpRequestResult } from "../../../generated/openrpc/types.js";
import { ErrorCode, RpcError } from "../../rpc/rpc-error.js";
import { systemClock, type Clock } from "../../util/clock.js";
import { HttpBodyStream, type BodyDeltaSink } from "./http-body-stream.js";
import { resolveHttpRequestOptions, type HttpRequestOptions, type ResolvedHttpRequestOptions } from "./http-request-options.js";
import { responseHeaders } from "./http-response-headers.js";
import { prepareHttpRequest, type PreparedHttpRequest } from "./prepare-http-request.js";

/** What `http/request` needs of the requesting connection: its notification channel and flow. */
export type HttpConnection = BodyDeltaSink;

/** `http/request` calls of one connection: every call in progress, and the active streams by `requestId`. */
interface ConnectionRequests {
  /** Aborts of every call in progress (buffered or streaming, until its body is delivered). */
  readonly inProgress: Set<AbortController>;
  /** Streaming `requestId`s reserved or delivering; a stream is null until its response arrives. */
  readonly streams: Map<string, HttpBodyStream | null>;
  closed: boolean;
}

/** Statuses the redirect policy follows when they carry a `location`. */
const FOLLOWED_STATUSES = new Set([300, 301, 302, 303, 307, 308]);

/** Upstream's error once a redirect chain is longer than the limit (or loops). */
function tooManyRedirects(): RpcError {
  return new RpcError(ErrorCode.Internal, "http/request failed: too many redirects");
}

/** Releases a response body nobody will read (destroying it makes undici emit an abort error on it). */
function discard(body: Readable): void {
  body.on("error", () => {});
  body.destroy();
}

/** Text of an error thrown by the HTTP client (undici), for messages. */
function causeOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/**
 * `http/request` (codex 0.169, UPSTREAM-0.169.md §2.13) on this executor, with undici as the HTTP
 * client. Calls belong to the connection that made them (as upstream): a streaming `requestId` is
 * unique among that connection's active streams, and closing the connection aborts its calls.
 */
export class HttpRequestService {
  readonly options: ResolvedHttpRequestOptions;
  readonly #clock: Clock;
  readonly #agent: Agent;
  readonly #following: Dispatcher;
  readonly #connections = new WeakMap<HttpConnection, ConnectionRequests>();

  /** @throws RangeError when an option is out of range. */
  constructor(options: HttpRequestOptions = {}, clock: Clock = systemClock) {
    this.options = resolveHttpRequestOptions(options);
    this.#clock = clock;
    // Timeouts are whole-request (timeoutMs) and enforced here; undici's idle timeouts are off so a
    // request without timeoutMs waits as long as upstream's does (no limit).
    this.#agent = new Agent({ headersTimeout: 0, bodyTimeout: 0 });
    this.#following = this.#agent.compose(interceptors.redirect({ maxRedirections: this.options.maxRedirections }));
  }

  /** Calls of `connection` in progress (buffered ones, and streams until their final delta). */
  inProgress(connection: HttpConnection): number {
    return this.#connections.get(connection)?.inProgress.size ?? 0;
  }

  /**
   * Performs the request. Buffered: resolves with the whole body. Streaming: resolves with
   * `bodyBase64: ""` and delivers the body as `http/request/bodyDelta` notifications to
   * `connection`, starting after the result has been sent.
   */
  async request(params: HttpRequestParams, connection: HttpConnection): Promise<HttpRequestResult> {
    const state = this.#stateOf(connection);
    const streaming = params.streamResponse === true;
    const requestId = params.requestId;
    if (streaming && state.streams.has(requestId)) {
      throw new RpcError(ErrorCode.InvalidParams, `http/request streamResponse requestId \`${requestId}\` is already active`);
    }
    const limit = this.options.maxRequestsPerConnection;
    if (state.inProgress.size >= limit) {
      throw new RpcError(ErrorCode.InvalidRequest, `too many http/request calls in progress on this connection (limit ${limit})`);
    }
    const prepared = prepareHttpRequest(params, this.options.env);
    const abort = new AbortController();
    state.inProgress.add(abort);
    if (streaming) state.streams.set(requestId, null);
    const timer =
      prepared.timeoutMs === undefined
        ? undefined
        : this.#clock.setTimeout(() => abort.abort(new Error(`timed out after ${prepared.timeoutMs} ms`)), prepared.timeoutMs);
    let handedOver = false;
    const release = () => {
      if (timer !== undefined) this.#clock.clearTimeout(timer);
      state.inProgress.delete(abort);
      if (streaming) state.streams.delete(requestId);
    };
    try {
      const response = await this.#send(prepared, abort.signal);
      if (prepared.followRedirects && FOLLOWED_STATUSES.has(response.statusCode) && response.headers["location"] !== undefined) {
        // Still a redirect after maxRedirections hops.
        discard(response.body);
        throw tooManyRedirects();
      }
      const result = { status: response.statusCode, headers: responseHeaders(response.headers), bodyBase64: "" };
      if (!streaming) {
        result.bodyBase64 = (await this.#readWhole(response)).toString("base64");
        return result;
      }
      if (state.closed) {
        discard(response.body);
        return result;
      }
      const stream = new HttpBodyStream(requestId, response.body, connection, () => release());
      state.streams.set(requestId, stream);
      handedOver = true;
      // The result is sent once this handler's promise settles (microtasks); deltas must follow it.
      setImmediate(() => stream.start());
      return result;
    } finally {
      if (!handedOver) release();
    }
  }

  /** Aborts every call of `connection` (it closed): pending requests fail, streams stop silently. */
  closeConnection(connection: HttpConnection): void {
    const state = this.#connections.get(connection);
    if (state === undefined) return;
    state.closed = true;
    for (const stream of [...state.streams.values()]) stream?.abort();
    for (const abort of [...state.inProgress]) abort.abort(new Error("the connection closed"));
  }

  /** Closes the HTTP client's pooled connections (server shutdown). */
  async close(): Promise<void> {
    await this.#agent.destroy();
  }

  #stateOf(connection: HttpConnection): ConnectionRequests {
    let state = this.#connections.get(connection);
    if (state === undefined) {
      state = { inProgress: new Set(), streams: new Map(), closed: false };
      this.#connections.set(connection, state);
    }
    return state;
  }

  async #send(prepared: PreparedHttpRequest, signal: AbortSignal): Promise<Dispatcher.ResponseData> {
    try {
      return await request(prepared.url, {
        method: prepared.method as Dispatcher.HttpMethod,
        headers: prepared.headers,
        ...(prepared.body === undefined ? {} : { body: prepared.body }),
        signal,
        dispatcher: prepared.followRedirects ? this.#following : this.#agent,
      });
    } catch (error) {
      // undici refuses a redirect back to a URL already visited; upstream follows until its limit.
      if (causeOf(error).startsWith("Redirect loop detected")) throw tooManyRedirects();
      throw new RpcError(ErrorCode.Internal, `http/request failed: error sending request for url (${prepared.url.href}): ${causeOf(error)}`);
    }
  }

  /** The whole body of a buffered request, refused past {@link HttpRequestOptions.maxBufferedBodyBytes}. */
  async #readWhole(response: Dispatcher.ResponseData): Promise<Buffer> {
    const limit = this.options.maxBufferedBodyBytes;
    const tooLarge = () =>
      new RpcError(ErrorCode.InvalidRequest, `http/request response body is too large to buffer: limit is ${limit} bytes (use streamResponse)`);
    const declared = Number(response.headers["content-length"]);
    if (Number.isSafeInteger(declared) && declared > limit) {
      discard(response.body);
      throw tooLarge();
    }
    const chunks: Buffer[] = [];
    let total = 0;
    try {
      for await (const chunk of response.body as Readable) {
        total += (chunk as Buffer).length;
        if (total > limit) {
          discard(response.body);
          throw tooLarge();
        }
        chunks.push(chunk as Buffer);
      }
    } catch (error) {
      if (error instanceof RpcError) throw error;
      throw new RpcError(ErrorCode.Internal, `failed to read http/request response body: error decoding response body: ${causeOf(error)}`);
    }
    return Buffer.concat(chunks, total);
  }
}
