import { randomUUID } from "node:crypto";
import type { FlowControl } from "../rpc/message-transport.js";
import { ErrorCode, RpcError } from "../rpc/rpc-error.js";
import { MAX_TIMER_DELAY_MS } from "../util/clock.js";

/** Where a session's server notifications go while a connection is attached. */
export type NotificationSink = (method: string, params: unknown) => void;

/** What a session owns and must release: its process table (and anything else per session). */
export interface SessionResources {
  /**
   * Routes notifications to the attached connection, or retains them only (null) while detached.
   * `flow` is that connection's outbound flow control (absent: never congested); producers that can
   * wait, such as process output, pause while it is congested.
   */
  setSink(sink: NotificationSink | null, flow?: FlowControl): void;
  /** Terminates everything the session owns; resolves when it is gone. */
  dispose(): Promise<void>;
}

/** A JSON-RPC session: survives its connection for the detach TTL so a client can resume it. */
export interface Session<R extends SessionResources = SessionResources> {
  readonly id: string;
  readonly resources: R;
  /** Opaque token of the attached connection, or null while detached. */
  attachedTo: object | null;
  detachTimer: ReturnType<typeof setTimeout> | undefined;
}

/** Options of {@link SessionRegistry}. */
export interface SessionRegistryOptions<R extends SessionResources> {
  /** Creates the resources (process table, ...) of a new session. */
  createResources(sessionId: string): R;
  /** How long a detached session waits for `resumeSessionId` before its processes are killed, in ms. Default 30 000 (codex 0.169). */
  detachTtlMs?: number;
  /** Maximum live sessions (attached or detached); further `initialize` calls fail with -32600. Default 1 024. */
  maxSessions?: number;
}

/**
 * Default for {@link SessionRegistryOptions.detachTtlMs}: 30 s, codex 0.169's `DETACHED_SESSION_TTL`
 * (older upstream descriptions, and CONTRACT.md, said 10 s).
 */
export const DEFAULT_DETACH_TTL_MS = 30_000;
/** Default for {@link SessionRegistryOptions.maxSessions}. */
export const DEFAULT_MAX_SESSIONS = 1024;

/**
 * Sessions by id (CONTRACT §2): created by `initialize`, detached when their connection ends,
 * re-attached by `initialize {resumeSessionId}` within the TTL, disposed after it.
 */
export class SessionRegistry<R extends SessionResources = SessionResources> {
  readonly #sessions = new Map<string, Session<R>>();
  readonly #options: SessionRegistryOptions<R>;
  readonly #detachTtlMs: number;
  readonly #maxSessions: number;
  #closed = false;

  constructor(options: SessionRegistryOptions<R>) {
    this.#options = options;
    this.#detachTtlMs = options.detachTtlMs ?? DEFAULT_DETACH_TTL_MS;
    this.#maxSessions = options.maxSessions ?? DEFAULT_MAX_SESSIONS;
    if (!(this.#detachTtlMs >= 0 && this.#detachTtlMs <= MAX_TIMER_DELAY_MS)) {
      throw new RangeError(`detachTtlMs must be within 0..${MAX_TIMER_DELAY_MS}, got ${this.#detachTtlMs}`);
    }
    if (!(this.#maxSessions >= 1)) throw new RangeError(`maxSessions must be >= 1, got ${this.#maxSessions}`);
  }

  /** Number of live sessions (attached or detached). */
  get size(): number {
    return this.#sessions.size;
  }

  /** The live session with this id (attached or detached), for diagnostics and tests. */
  get(sessionId: string): Session<R> | undefined {
    return this.#sessions.get(sessionId);
  }

  /** Creates a session attached to `owner` and routes its notifications to `sink` (paced by `flow` when given). */
  create(owner: object, sink: NotificationSink, flow?: FlowControl): Session<R> {
    if (this.#closed) throw new RpcError(ErrorCode.InvalidRequest, "server is shutting down");
    if (this.#sessions.size >= this.#maxSessions) {
      throw new RpcError(ErrorCode.InvalidRequest, `too many sessions (limit ${this.#maxSessions})`);
    }
    const id = randomUUID();
    const session: Session<R> = { id, resources: this.#options.createResources(id), attachedTo: owner, detachTimer: undefined };
    this.#sessions.set(id, session);
    session.resources.setSink(sink, flow);
    return session;
  }

  /**
   * Re-attaches a detached session to `owner`. Unknown or expired id → -32600 `unknown session id
   * <id>`; a session attached to another connection → -32010 `session <id> is already attached to
   * another connection` (codex 0.169's code; clients match the text and retry).
   */
  resume(sessionId: string, owner: object, sink: NotificationSink, flow?: FlowControl): Session<R> {
    const session = this.#sessions.get(sessionId);
    if (!session) throw new RpcError(ErrorCode.InvalidRequest, `unknown session id ${sessionId}`);
    if (session.attachedTo !== null) {
      throw new RpcError(ErrorCode.SessionAttached, `session ${sessionId} is already attached to another connection`);
    }
    clearTimeout(session.detachTimer);
    session.detachTimer = undefined;
    session.attachedTo = owner;
    session.resources.setSink(sink, flow);
    return session;
  }

  /** Detaches `session` from `owner` (if still attached to it) and starts the detach TTL. */
  detach(session: Session<R>, owner: object): void {
    if (session.attachedTo !== owner || !this.#sessions.has(session.id)) return;
    session.attachedTo = null;
    session.resources.setSink(null);
    session.detachTimer = setTimeout(() => {
      void this.#expire(session);
    }, this.#detachTtlMs);
    session.detachTimer.unref?.();
  }

  async #expire(session: Session<R>): Promise<void> {
    if (session.attachedTo !== null || this.#sessions.get(session.id) !== session) return;
    this.#sessions.delete(session.id);
    await session.resources.dispose();
  }

  /** Disposes every session (graceful shutdown); resolves when all their processes are gone. */
  async closeAll(): Promise<void> {
    this.#closed = true;
    const all = [...this.#sessions.values()];
    this.#sessions.clear();
    for (const session of all) clearTimeout(session.detachTimer);
    await Promise.all(all.map((session) => session.resources.dispose()));
  }
}
