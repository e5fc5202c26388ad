import type { CheckContext } from "../check.js";
import { CheckFailure, expect } from "../check.js";
import { show } from "../expectations.js";
import type { RawPeer, RawResponse } from "../raw-peer.js";

/** A server notification as a {@link CodexPeer} saw it. */
export interface Notice {
  readonly method: string;
  readonly params: Record<string, unknown>;
}

/**
 * What an expected error must look like beyond its code. Codes are always strict; the message is
 * strict only where a client parses it (`mention`), and otherwise compared with upstream's wording
 * (`upstream`), a difference being tolerated and noted (`messageWording=differs`).
 */
export interface ErrorExpectation {
  /** Upstream's exact message (string) or pattern; a mismatch is a tolerated, noted difference. */
  readonly upstream?: string | RegExp;
  /** Text the message must contain (case-insensitive) or pattern it must match: a failure otherwise. */
  readonly mention?: string | RegExp;
}

function matches(message: string, pattern: string | RegExp): boolean {
  return typeof pattern === "string" ? message.toLowerCase().includes(pattern.toLowerCase()) : pattern.test(message);
}

/**
 * Judges an error response: `code` strictly, the message per `expectation` (see
 * {@link ErrorExpectation}). Returns the message.
 */
export function expectCodexError(ctx: CheckContext, response: RawResponse, code: number, what: string, expectation: ErrorExpectation = {}): string {
  if (response.error === undefined) throw new CheckFailure(`${what}: expected error ${code}, got ${show(response.message)}`);
  const { code: actual, message } = response.error;
  if (actual !== code) throw new CheckFailure(`${what}: expected error ${code}, got ${actual}: ${message}`);
  if (expectation.mention !== undefined && !matches(message, expectation.mention)) {
    throw new CheckFailure(`${what}: error ${code} message ${show(message)} should mention ${String(expectation.mention)}`);
  }
  const upstream = expectation.upstream;
  if (upstream !== undefined && !(typeof upstream === "string" ? message === upstream : upstream.test(message))) {
    ctx.tolerate("messageWording", "differs", `${what}: ${show(message)} (upstream: ${typeof upstream === "string" ? show(upstream) : String(upstream)})`);
  }
  return message;
}

/**
 * A raw JSON-RPC connection speaking the codex-0.169 dialect as the codex client does (no
 * `"jsonrpc"` member, integer ids), with the conveniences every codex-0.169 check needs.
 */
export class CodexPeer {
  /** The session id `initialize` returned (after {@link handshake}). */
  sessionId: string | undefined;
  /** The `environmentInfo` `initialize` returned (after {@link handshake}). */
  environmentInfo: Record<string, unknown> | undefined;

  constructor(
    readonly raw: RawPeer,
    private readonly ctx: CheckContext,
  ) {}

  /** Opens a connection; performs `initialize` + `initialized` unless `handshake` is false. */
  static async open(ctx: CheckContext, options: { handshake?: boolean; resumeSessionId?: string } = {}): Promise<CodexPeer> {
    const peer = new CodexPeer(await ctx.openRaw(), ctx);
    if (options.handshake ?? true) await peer.handshake(options.resumeSessionId);
    return peer;
  }

  /** `initialize` (failing the check on an error) then `initialized`; returns the result. */
  async handshake(resumeSessionId?: string): Promise<Record<string, unknown>> {
    const result = await this.call("initialize", { clientName: "exec-server-conformance", ...(resumeSessionId === undefined ? {} : { resumeSessionId }) });
    this.raw.notify("initialized", {});
    this.sessionId = typeof result["sessionId"] === "string" ? result["sessionId"] : undefined;
    const info = result["environmentInfo"];
    this.environmentInfo = typeof info === "object" && info !== null ? (info as Record<string, unknown>) : undefined;
    return result;
  }

  /** Sends a request and resolves with its response (result or error). */
  request(method: string, params?: unknown, options: { id?: number | string; timeoutMs?: number } = {}): Promise<RawResponse> {
    return this.raw.request(method, params, options);
  }

  /** Sends a request that must succeed with an object result; returns it. */
  async call(method: string, params?: unknown, options: { timeoutMs?: number; what?: string } = {}): Promise<Record<string, unknown>> {
    const response = await this.request(method, params, options.timeoutMs === undefined ? {} : { timeoutMs: options.timeoutMs });
    const what = options.what ?? method;
    if (response.error !== undefined) throw new CheckFailure(`${what} failed with ${response.error.code}: ${response.error.message}`);
    const result = response.result;
    expect(typeof result === "object" && result !== null && !Array.isArray(result), `${what} answered ${show(result)}, expected an object`);
    return result as Record<string, unknown>;
  }

  /** Sends a request that must fail with `code` (see {@link expectCodexError}); returns the message. */
  async fails(method: string, params: unknown, code: number, what: string, expectation: ErrorExpectation = {}): Promise<string> {
    return expectCodexError(this.ctx, await this.request(method, params), code, what, expectation);
  }

  /** Every server notification received so far (optionally of one method), in order. */
  notices(method?: string): Notice[] {
    const found: Notice[] = [];
    for (const inbound of this.raw.inbound) {
      const value = inbound.value;
      if (value === undefined || typeof value["method"] !== "string" || Object.hasOwn(value, "id")) continue;
      if (method !== undefined && value["method"] !== method) continue;
      const params = value["params"];
      found.push({ method: value["method"], params: typeof params === "object" && params !== null ? (params as Record<string, unknown>) : {} });
    }
    return found;
  }

  /** Resolves with the first notification of `method` satisfying `pick`; fails the check after `timeoutMs`. */
  waitNotice(method: string, pick: (params: Record<string, unknown>) => boolean, what: string, timeoutMs?: number): Promise<Notice> {
    return this.raw.waitFor(() => this.notices(method).find((notice) => pick(notice.params)), what, timeoutMs);
  }

  /** Why the connection closed, or undefined while open. */
  get closedReason(): string | undefined {
    return this.raw.closedReason;
  }

  /** Closes the connection. */
  close(): void {
    this.raw.close();
  }
}
