import { encodeFrame, parseEnvelope, resetFrame } from "../../relay/frame-codec.js";
import { ChaosPath, mulberry32, type ChaosOptions, type ChaosStats } from "./frame-chaos.js";

/** A physical websocket as the router sees it: binary frames out, close. */
export interface RouterSocket {
  send(bytes: Uint8Array): void;
  close(code: number, reason: string): void;
}

/** Options of {@link RendezvousRouter}; every limit has a documented default. */
export interface RendezvousRouterOptions {
  /** How long harness sockets are kept after their executor's socket drops, in ms. Default 30 000. */
  executorGraceMs?: number;
  /** Harness sockets per executor. Default 256. */
  maxHarnessSockets?: number;
  /** Streams owned by one harness socket; frames opening more are answered with a reset. Default 128. */
  maxStreamsPerHarness?: number;
  /** Test-only fault injection on data, ack and heartbeat frames. Default off. */
  chaos?: ChaosOptions | undefined;
  /** Diagnostics sink (one line per event). Default: none. */
  log?: (line: string) => void;
  /** Cluster hooks (`cluster/`); the single-process rendezvous has none and routes exactly as without them. */
  hooks?: RouterHooks | undefined;
}

/** Outcome of a cluster stream claim: routed, owned by another node's harness (dropped), or the engine is unreachable (reset). */
export type StreamClaim = "ok" | "taken" | "unavailable";

/**
 * What a rendezvous cluster node plugs into the router. Every hook is optional; each is called
 * synchronously from the routing path and must not throw.
 */
export interface RouterHooks {
  /**
   * A harness socket sends the first frame of a stream. `undefined` routes it at once; a promise holds
   * that stream's frames (in order, at most {@link MAX_PENDING_FRAMES}) until it settles.
   */
  claimStream?(executorId: string, streamId: string, socket: RouterSocket): Promise<StreamClaim> | undefined;
  /** A stream this router routed ended: reset either way, its harness socket closed, or its route expired. */
  releaseStream?(executorId: string, streamId: string, socket: RouterSocket): void;
  /** An executor frame for a stream no harness socket here owns; true when the hook takes it (else it is dropped). */
  unownedFromExecutor?(executorId: string, streamId: string, bytes: Uint8Array): boolean;
  /** A harness frame found no executor socket for its executor (the frame is dropped). */
  noExecutor?(executorId: string, socket: RouterSocket): void;
}

/** Frames held per stream while its cluster claim is pending; more are dropped (the relay retransmits). */
export const MAX_PENDING_FRAMES = 256;

/** What a router currently holds, for status output. */
export interface RouterSnapshot {
  /** Executor ids with an attached executor socket. */
  executors: string[];
  /** Executor ids whose harness sockets wait for their executor (grace period). */
  waiting: string[];
  harnessSockets: number;
  streams: number;
}

/** Reason sent to the executor for each stream of a harness socket that closed (upstream's text). */
export const HARNESS_DISCONNECTED = "harness_disconnected";

interface ExecutorRoute {
  executor: RouterSocket | null;
  harnesses: Map<RouterSocket, Set<string>>;
  owners: Map<string, RouterSocket>;
  /** Streams whose cluster claim is pending, with their held frames. */
  pending: Map<string, Uint8Array[]>;
  graceTimer: ReturnType<typeof setTimeout> | undefined;
  toExecutor: ChaosPath | undefined;
  toHarness: Map<RouterSocket, ChaosPath>;
}

/**
 * Routes relay frames between one executor socket and many harness sockets by `stream_id` and
 * nothing else (CONTRACT §6): it decodes only the envelope (`parseEnvelope`: stream id and body
 * kind, validated like a whole frame), never payloads, and never acks,
 * retries, reorders or reassembles. A stream belongs to the harness socket that first used it;
 * frames for it from any other harness socket are dropped.
 */
export class RendezvousRouter {
  readonly #routes = new Map<string, ExecutorRoute>();
  readonly #graceMs: number;
  readonly #maxHarnessSockets: number;
  readonly #maxStreams: number;
  readonly #log: (line: string) => void;
  readonly #chaos: ChaosOptions | undefined;
  readonly #random: () => number;
  readonly #hooks: RouterHooks | undefined;
  /** What chaos did so far (all zero without chaos). */
  readonly chaosStats: ChaosStats = { forwarded: 0, dropped: 0, duplicated: 0, reordered: 0 };
  /** Frames dropped by routing rules (invalid, unowned, hijack attempts, no socket). */
  droppedFrames = 0;
  #dropsSinceLog = 0;
  #lastDropLogAt = -Infinity;

  constructor(options: RendezvousRouterOptions = {}) {
    this.#graceMs = options.executorGraceMs ?? 30_000;
    this.#maxHarnessSockets = options.maxHarnessSockets ?? 256;
    this.#maxStreams = options.maxStreamsPerHarness ?? 128;
    this.#log = options.log ?? (() => {});
    this.#chaos = options.chaos;
    this.#random = mulberry32(options.chaos?.seed ?? 1);
    this.#hooks = options.hooks;
  }

  #route(executorId: string): ExecutorRoute {
    let route = this.#routes.get(executorId);
    if (!route) {
      route = { executor: null, harnesses: new Map(), owners: new Map(), pending: new Map(), graceTimer: undefined, toExecutor: undefined, toHarness: new Map() };
      this.#routes.set(executorId, route);
    }
    return route;
  }

  /** Attaches the executor's socket, replacing (and closing) any previous one. */
  attachExecutor(executorId: string, socket: RouterSocket): void {
    const route = this.#route(executorId);
    clearTimeout(route.graceTimer);
    route.graceTimer = undefined;
    const previous = route.executor;
    route.executor = socket;
    route.toExecutor = this.#chaosPath((bytes) => socket.send(bytes));
    if (previous && previous !== socket) previous.close(4000, "replaced by a newer executor connection");
    this.#log(`executor ${executorId} connected (${route.harnesses.size} harness sockets waiting)`);
  }

  /** The executor's socket closed: keep harness sockets for the grace period so streams can resume. */
  detachExecutor(executorId: string, socket: RouterSocket): void {
    const route = this.#routes.get(executorId);
    if (!route || route.executor !== socket) return;
    route.toExecutor?.flush();
    route.executor = null;
    route.toExecutor = undefined;
    this.#log(`executor ${executorId} disconnected; keeping ${route.harnesses.size} harness sockets for ${this.#graceMs} ms`);
    route.graceTimer = setTimeout(() => {
      route.graceTimer = undefined;
      if (route.executor) return;
      for (const harness of [...route.harnesses.keys()]) harness.close(1011, "executor unavailable");
      route.harnesses.clear();
      for (const [streamId, owner] of route.owners) this.#hooks?.releaseStream?.(executorId, streamId, owner);
      route.owners.clear();
      route.pending.clear();
      this.#routes.delete(executorId);
    }, this.#graceMs);
    route.graceTimer.unref?.();
  }

  /** Attaches a harness socket; false (and the caller refuses it) when the limit is reached. */
  attachHarness(executorId: string, socket: RouterSocket): boolean {
    const route = this.#route(executorId);
    if (route.harnesses.size >= this.#maxHarnessSockets) return false;
    route.harnesses.set(socket, new Set());
    const path = this.#chaosPath((bytes) => socket.send(bytes));
    if (path) route.toHarness.set(socket, path);
    return true;
  }

  /** A harness socket closed: the executor gets `reset {harness_disconnected}` for each of its streams. */
  detachHarness(executorId: string, socket: RouterSocket): void {
    const route = this.#routes.get(executorId);
    const streams = route?.harnesses.get(socket);
    if (!route || !streams) return;
    route.harnesses.delete(socket);
    route.toHarness.get(socket)?.flush();
    route.toHarness.delete(socket);
    for (const streamId of streams) {
      route.owners.delete(streamId);
      // A stream still waiting for its claim never reached the executor: nothing to reset there.
      if (!route.pending.delete(streamId)) route.executor?.send(encodeFrame(resetFrame(streamId, HARNESS_DISCONNECTED)));
      this.#hooks?.releaseStream?.(executorId, streamId, socket);
    }
    if (!route.executor && route.harnesses.size === 0 && route.graceTimer === undefined) this.#routes.delete(executorId);
  }

  /** A binary message from a harness socket. */
  fromHarness(executorId: string, socket: RouterSocket, bytes: Uint8Array): void {
    const route = this.#routes.get(executorId);
    const owned = route?.harnesses.get(socket);
    const parsed = parseEnvelope(bytes);
    if (!route || !owned || !parsed.ok) return this.#drop(parsed.ok ? "harness socket not attached" : parsed.error.message);
    const { streamId, kind } = parsed;
    const owner = route.owners.get(streamId);
    if (owner === undefined) {
      if (kind === "reset") return this.#drop("reset for an unowned stream");
      if (owned.size >= this.#maxStreams) {
        socket.send(encodeFrame(resetFrame(streamId, `too many streams on this harness socket (limit ${this.#maxStreams})`)));
        return this.#drop("stream limit");
      }
      route.owners.set(streamId, socket);
      owned.add(streamId);
      const claim = this.#hooks?.claimStream?.(executorId, streamId, socket);
      if (claim !== undefined) {
        route.pending.set(streamId, [bytes]);
        void claim.then(
          (outcome) => this.#settleClaim(executorId, route, socket, streamId, outcome),
          () => this.#settleClaim(executorId, route, socket, streamId, "unavailable"),
        );
        return;
      }
    } else if (owner !== socket) {
      return this.#drop(`stream ${streamId} belongs to another harness socket`);
    }
    const held = route.pending.get(streamId);
    if (held !== undefined) {
      if (held.length >= MAX_PENDING_FRAMES) return this.#drop(`stream ${streamId}: too many frames while its claim is pending`);
      held.push(bytes);
      return;
    }
    this.#toExecutor(executorId, route, socket, streamId, kind, bytes);
  }

  #toExecutor(executorId: string, route: ExecutorRoute, socket: RouterSocket, streamId: string, kind: string | undefined, bytes: Uint8Array): void {
    if (kind === "reset") {
      route.owners.delete(streamId);
      route.harnesses.get(socket)?.delete(streamId);
      this.#hooks?.releaseStream?.(executorId, streamId, socket);
    }
    if (!route.executor) {
      this.#hooks?.noExecutor?.(executorId, socket);
      return this.#drop("no executor socket");
    }
    this.#forward(route.toExecutor, route.executor, bytes, kind);
  }

  /** A pending claim settled: route the held frames in order, or refuse the stream. */
  #settleClaim(executorId: string, route: ExecutorRoute, socket: RouterSocket, streamId: string, outcome: StreamClaim): void {
    const held = route.pending.get(streamId);
    if (held === undefined || route.owners.get(streamId) !== socket || this.#routes.get(executorId) !== route) return;
    route.pending.delete(streamId);
    if (outcome === "ok") {
      for (const bytes of held) {
        const parsed = parseEnvelope(bytes);
        if (parsed.ok) this.#toExecutor(executorId, route, socket, streamId, parsed.kind, bytes);
        if (route.owners.get(streamId) !== socket) break;
      }
      return;
    }
    route.owners.delete(streamId);
    route.harnesses.get(socket)?.delete(streamId);
    if (outcome === "unavailable") {
      socket.send(encodeFrame(resetFrame(streamId, "rendezvous_cluster_unavailable: the cluster engine is unreachable; retry")));
    }
    this.droppedFrames += held.length - 1;
    this.#drop(outcome === "taken" ? `stream ${streamId} belongs to a harness on another node` : `stream ${streamId}: cluster engine unreachable`);
  }

  /** A binary message from the executor socket. */
  fromExecutor(executorId: string, socket: RouterSocket, bytes: Uint8Array): void {
    const route = this.#routes.get(executorId);
    if (!route || route.executor !== socket) return this.#drop("stale executor socket");
    const parsed = parseEnvelope(bytes);
    if (!parsed.ok) return this.#drop(parsed.error.message);
    const { streamId, kind } = parsed;
    const owner = route.owners.get(streamId);
    if (!owner) {
      if (this.#hooks?.unownedFromExecutor?.(executorId, streamId, bytes)) return;
      return this.#drop(`no harness owns stream ${streamId}`);
    }
    if (kind === "reset") {
      route.owners.delete(streamId);
      route.harnesses.get(owner)?.delete(streamId);
      this.#hooks?.releaseStream?.(executorId, streamId, owner);
    }
    this.#forward(route.toHarness.get(owner), owner, bytes, kind);
  }

  /** The executor socket of `executorId`, or null (none attached). */
  executorOf(executorId: string): RouterSocket | null {
    return this.#routes.get(executorId)?.executor ?? null;
  }

  /** True while `executorId` has a route (an executor socket, harness sockets, or a grace period). */
  hasRoute(executorId: string): boolean {
    return this.#routes.has(executorId);
  }

  /** Executor ids with a route here. */
  routedExecutors(): string[] {
    return [...this.#routes.keys()];
  }

  /**
   * Gives `streamId` to `socket`, an attached harness socket of `executorId` that does not own it yet
   * (a cluster node adopting a stream whose executor moved here). False when that is not possible.
   */
  adoptStream(executorId: string, streamId: string, socket: RouterSocket): boolean {
    const route = this.#routes.get(executorId);
    const owned = route?.harnesses.get(socket);
    if (!route || !owned || route.owners.has(streamId)) return route?.owners.get(streamId) === socket;
    route.owners.set(streamId, socket);
    owned.add(streamId);
    return true;
  }

  /** Counts for status output. */
  snapshot(): RouterSnapshot {
    const snapshot: RouterSnapshot = { executors: [], waiting: [], harnessSockets: 0, streams: 0 };
    for (const [executorId, route] of this.#routes) {
      if (route.executor) snapshot.executors.push(executorId);
      else snapshot.waiting.push(executorId);
      snapshot.harnessSockets += route.harnesses.size;
      snapshot.streams += route.owners.size;
    }
    return snapshot;
  }

  /** Closes every socket and timer (server shutdown). */
  close(): void {
    for (const route of this.#routes.values()) {
      clearTimeout(route.graceTimer);
      route.executor?.close(1001, "rendezvous shutting down");
      for (const harness of route.harnesses.keys()) harness.close(1001, "rendezvous shutting down");
    }
    this.#routes.clear();
  }

  #forward(path: ChaosPath | undefined, socket: RouterSocket, bytes: Uint8Array, kind: string | undefined): void {
    // Resets, resumes and frames on chaos-free routers pass straight through.
    if (path && (kind === "data" || kind === "ackFrame" || kind === "heartbeat")) path.forward(bytes);
    else socket.send(bytes);
  }

  #chaosPath(send: (bytes: Uint8Array) => void): ChaosPath | undefined {
    return this.#chaos ? new ChaosPath(this.#chaos, this.#random, this.chaosStats, send) : undefined;
  }

  #drop(reason: string): void {
    this.droppedFrames += 1;
    // A hostile or broken peer can send drops by the thousand: log at most one line per second,
    // with the count since the last line, so the log stays readable and cheap.
    this.#dropsSinceLog += 1;
    const now = Date.now();
    if (now - this.#lastDropLogAt < 1000) return;
    const extra = this.#dropsSinceLog > 1 ? ` (+${this.#dropsSinceLog - 1} more since the last report)` : "";
    this.#lastDropLogAt = now;
    this.#dropsSinceLog = 0;
    this.#log(`dropped frame: ${reason}${extra}`);
  }
}
