import type { Readable } from "node:stream";
import type { HttpRequestBodyDeltaNotification } from "../../../generated/openrpc/types.js";
import type { FlowControl } from "../../rpc/message-transport.js";
import { MAX_HTTP_BODY_DELTA_BYTES } from "./http-request-options.js";

/** Where a streamed body's `http/request/bodyDelta` notifications go: the requesting connection. */
export interface BodyDeltaSink {
  notify(method: "http/request/bodyDelta", params: HttpRequestBodyDeltaNotification): void;
  /** The connection's outbound flow control; absent = never congested. */
  readonly flow?: FlowControl | undefined;
}

/** Why a streamed body ended, as reported to {@link HttpBodyStream}'s `onFinished`. */
export type BodyStreamEnd = "done" | "error" | "aborted";

/**
 * Delivers one streamed `http/request` response body as `http/request/bodyDelta` notifications:
 * `seq` from 1, at most {@link MAX_HTTP_BODY_DELTA_BYTES} decoded bytes each, then a final
 * `{deltaBase64: "", done: true}` whose `error` says why the body ended early (null when complete).
 *
 * Backpressure: while the sink's flow is congested the body is not read, so its buffer fills and
 * the HTTP client stops reading the socket (the far server's writes then block); reading resumes
 * when the flow drains. Memory held per stream is the body's small read buffer plus one delta.
 */
export class HttpBodyStream {
  readonly requestId: string;
  readonly #body: Readable;
  readonly #sink: BodyDeltaSink;
  readonly #onFinished: (end: BodyStreamEnd) => void;
  #seq = 1;
  #started = false;
  #finished = false;
  #unsubscribeDrain: (() => void) | undefined;

  constructor(requestId: string, body: Readable, sink: BodyDeltaSink, onFinished: (end: BodyStreamEnd) => void) {
    this.requestId = requestId;
    this.#body = body;
    this.#sink = sink;
    this.#onFinished = onFinished;
    // Errors before start() (a timeout, a reset) are reported once reading starts; never unhandled.
    body.on("error", () => {});
  }

  /** Number of deltas sent so far. */
  get deltasSent(): number {
    return this.#seq - 1;
  }

  /** Begins delivering (call after the request's result went out: deltas must follow it). */
  start(): void {
    if (this.#started || this.#finished) return;
    this.#started = true;
    const body = this.#body;
    body.on("readable", () => this.#pump());
    body.on("end", () => this.#finish(null));
    body.on("error", (error: Error) => this.#finish(`error decoding response body: ${error.message}`));
    if (body.errored) this.#finish(`error decoding response body: ${body.errored.message}`);
    else this.#pump();
  }

  /** Stops at once without further notifications (the connection closed); releases the body. */
  abort(): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#unsubscribeDrain?.();
    this.#body.destroy();
    this.#onFinished("aborted");
  }

  #pump(): void {
    while (!this.#finished) {
      const flow = this.#sink.flow;
      if (flow !== undefined && flow.congested()) {
        this.#waitForDrain(flow);
        return;
      }
      const chunk = this.#body.read() as Buffer | null;
      if (chunk === null) return; // more on the next "readable", or "end"
      for (let at = 0; at < chunk.length; at += MAX_HTTP_BODY_DELTA_BYTES) {
        this.#send(chunk.subarray(at, at + MAX_HTTP_BODY_DELTA_BYTES), false, null);
      }
    }
  }

  #waitForDrain(flow: FlowControl): void {
    if (this.#unsubscribeDrain !== undefined) return;
    this.#unsubscribeDrain = flow.onDrain(() => {
      this.#unsubscribeDrain?.();
      this.#unsubscribeDrain = undefined;
      this.#pump();
    });
  }

  #finish(error: string | null): void {
    if (this.#finished) return;
    this.#finished = true;
    this.#unsubscribeDrain?.();
    this.#send(Buffer.alloc(0), true, error);
    if (error !== null) this.#body.destroy();
    this.#onFinished(error === null ? "done" : "error");
  }

  #send(bytes: Buffer, done: boolean, error: string | null): void {
    this.#sink.notify("http/request/bodyDelta", { requestId: this.requestId, seq: this.#seq++, deltaBase64: bytes.toString("base64"), done, error });
  }
}
