import type { MessageTransport } from "../rpc/message-transport.js";
import { parseMessage, type JsonRpcId } from "../rpc/json-rpc.js";
import type { VariantRecorder } from "./variant-recorder.js";
import type { JudgeOutcome, WireJudge } from "./wire-judge.js";

/**
 * A {@link MessageTransport} wrapper every check connection goes through. It watches both
 * directions so that, whatever the check itself asserts, every successful result and every server
 * notification is judged by the dialect's {@link WireJudge}, and the envelope variant is
 * recorded. Problems are collected as {@link TappedTransport.violations}; the runner fails a check
 * that leaves any.
 */
export class TappedTransport implements MessageTransport {
  /** Human-readable contract violations seen on this connection, in order. */
  readonly violations: string[] = [];
  readonly #inner: MessageTransport;
  readonly #variants: VariantRecorder;
  readonly #judge: WireJudge;
  /** Method of each request this side sent, by id, until its response arrives. */
  readonly #methods = new Map<JsonRpcId, string>();
  #closed = false;

  constructor(inner: MessageTransport, variants: VariantRecorder, judge: WireJudge) {
    this.#inner = inner;
    this.#variants = variants;
    this.#judge = judge;
    inner.onMessage((message) => this.#inspect(message));
    inner.onClose(() => {
      this.#closed = true;
    });
  }

  /** True once either side closed the connection. */
  get isClosed(): boolean {
    return this.#closed;
  }

  send(message: string): void {
    const parsed = parseMessage(message);
    if (parsed.kind === "request") this.#methods.set(parsed.id, parsed.method);
    this.#inner.send(message);
  }

  onMessage(listener: (message: string) => void): () => void {
    return this.#inner.onMessage(listener);
  }

  onClose(listener: (reason: string) => void): () => void {
    return this.#inner.onClose(listener);
  }

  close(reason?: string): void {
    this.#closed = true;
    this.#inner.close(reason);
  }

  #inspect(text: string): void {
    const parsed = parseMessage(text);
    switch (parsed.kind) {
      case "malformed":
        this.violations.push(`server sent a malformed message (${parsed.reason}): ${preview(text)}`);
        return;
      case "request": {
        const violation = this.#judge.serverRequest(parsed.method);
        if (violation !== undefined) this.violations.push(violation);
        return;
      }
      case "notification":
        this.#recordEnvelope(text);
        this.#apply(this.#judge.notification(parsed.method, parsed.params));
        return;
      case "response":
      case "error": {
        this.#recordEnvelope(text);
        const method = parsed.id === null ? undefined : this.#methods.get(parsed.id);
        if (method !== undefined && parsed.id !== null) this.#methods.delete(parsed.id);
        if (parsed.kind === "error" || method === undefined) return;
        this.#apply(this.#judge.result(method, parsed.result));
        return;
      }
    }
  }

  #apply(outcome: JudgeOutcome): void {
    if (!outcome.ok) this.violations.push(outcome.message);
    else for (const [key, value] of outcome.tolerated) this.#variants.observe(key, value);
  }

  #recordEnvelope(text: string): void {
    // parseMessage already accepted the shape; only the presence of the member is of interest.
    const value = JSON.parse(text) as Record<string, unknown>;
    this.#variants.observe("envelope", Object.hasOwn(value, "jsonrpc") ? "2.0" : "lite");
  }
}

/** Longest slice of an offending message quoted in a violation, in characters. */
const MAX_PREVIEW = 120;

function preview(text: string): string {
  return text.length > MAX_PREVIEW ? `${text.slice(0, MAX_PREVIEW - 1)}…` : text;
}
