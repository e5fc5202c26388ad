import { RendezvousRouter, type RendezvousRouterOptions, type RouterSocket, type StreamClaim } from "../rendezvous-router.js";
import type { ClusterEngine, ExecutorEvent, RouteSpace } from "./cluster-engine.js";
import type { LinkHub } from "./link-hub.js";
import { encodeLinkMessage, linkKindsOf, type LinkMessage } from "./link-message.js";

/** What a {@link ClusterRouting} shares with the node that owns it. */
export interface ClusterRoutingContext {
  readonly space: RouteSpace;
  readonly nodeId: string;
  readonly engine: ClusterEngine;
  readonly hub: LinkHub;
  readonly leaseMs: number;
  readonly log: (line: string) => void;
  /** True once the node is closing or crashed. */
  readonly closed: () => boolean;
  /** How long a new stream's first frames wait for its executor to be found, ms. Default {@link DEFAULT_EXECUTOR_WAIT_MS}. */
  readonly executorWaitMs?: number;
}

/** Default of {@link ClusterRoutingContext.executorWaitMs}: how long a new stream's first frames wait for its executor to be found (here or on a peer), ms. */
export const DEFAULT_EXECUTOR_WAIT_MS = 5000;

/** Executor frames held per stream while the stream's owner is looked up, and in all. */
const MAX_ORPHAN_FRAMES_PER_STREAM = 256;
const MAX_ORPHAN_FRAMES = 8192;

interface LocalExecutor {
  socket: RouterSocket;
  /** The engine epoch of this attachment; MAX_SAFE_INTEGER until the claim answered (older events must not evict it). */
  epoch: number;
  /** Name (space `exec`) stored with the attachment. */
  name: string;
  /** Registration id (space `env`) stored with the attachment. */
  registrationId: string;
}

/**
 * The routing of one id space (seed-era executors, or codex 0.169 environments) on a cluster node:
 * the single-process router plus shared state in the engine and frames over the node links.
 *
 * - Harness here, executor on node M: the router's executor socket for that id is a proxy that sends
 *   link messages to M. On M each peer node appears in the router as one proxy harness socket per
 *   executor, so M's router still enforces ownership per stream.
 * - A harness stream's first frame waits for its claim in the engine (`claimStream`): a stream owned
 *   by another node's harness is never forwarded, so it cannot be taken over across nodes.
 * - When an executor moves here, frames for streams nobody owns here are held while the engine says
 *   which node owns the stream, then routed there (`unownedFromExecutor`).
 */
export class ClusterRouting {
  readonly router: RendezvousRouter;
  readonly #ctx: ClusterRoutingContext;
  readonly #kinds: ReturnType<typeof linkKindsOf>;
  readonly #local = new Map<string, LocalExecutor>();
  readonly #remote = new Map<string, { node: string; socket: RouterSocket }>();
  readonly #proxies = new Map<string, Map<string, RouterSocket>>();
  readonly #proxyPeer = new WeakMap<RouterSocket, string>();
  /** Streams claimed (or being claimed) for harness sockets on this node. */
  readonly #claims = new Map<string, { executorId: string; streamId: string; held: boolean }>();
  readonly #orphans = new Map<string, Uint8Array[]>();
  #orphanFrames = 0;
  readonly #resolving = new Set<string>();
  readonly #goneSentAt = new Map<string, number>();
  /** New streams waiting for their executor to be bound here (their first frames are held). */
  readonly #executorWaiters = new Map<string, Set<() => void>>();

  constructor(ctx: ClusterRoutingContext, routerOptions: RendezvousRouterOptions) {
    this.#ctx = ctx;
    this.#kinds = linkKindsOf(ctx.space);
    this.router = new RendezvousRouter({
      ...routerOptions,
      log: ctx.log,
      hooks: {
        claimStream: (executorId, streamId, socket) => this.#claimStream(executorId, streamId, socket),
        releaseStream: (executorId, streamId, socket) => this.#releaseStream(executorId, streamId, socket),
        unownedFromExecutor: (executorId, streamId, bytes) => this.#unownedFromExecutor(executorId, streamId, bytes),
        noExecutor: (executorId, socket) => this.#noExecutor(executorId, socket),
      },
    });
  }

  get #engine(): ClusterEngine {
    return this.#ctx.engine;
  }

  get #closed(): boolean {
    return this.#ctx.closed();
  }

  // ---- sockets of this node ---------------------------------------------------------------------

  /** An executor socket attached here; `name` / `registrationId` are stored with its lease. */
  attachExecutor(executorId: string, socket: RouterSocket, details: { name?: string; registrationId?: string } = {}): void {
    this.#remote.delete(executorId);
    this.#local.set(executorId, { socket, epoch: Number.MAX_SAFE_INTEGER, name: details.name ?? "", registrationId: details.registrationId ?? "" });
    this.router.attachExecutor(executorId, socket);
    this.#executorBound(executorId);
    void this.#claimExecutor(executorId, socket);
  }

  detachExecutor(executorId: string, socket: RouterSocket): void {
    if (this.#local.get(executorId)?.socket === socket) {
      this.#local.delete(executorId);
      if (this.#engine.ready && !this.#closed) this.#engine.releaseExecutor(this.#ctx.space, executorId, this.#ctx.nodeId).catch(() => undefined);
    }
    this.router.detachExecutor(executorId, socket);
  }

  attachHarness(executorId: string, socket: RouterSocket): boolean {
    if (!this.router.attachHarness(executorId, socket)) return false;
    if (!this.router.executorOf(executorId)) this.#resolveExecutor(executorId);
    return true;
  }

  detachHarness(executorId: string, socket: RouterSocket): void {
    this.router.detachHarness(executorId, socket);
  }

  fromHarness(executorId: string, socket: RouterSocket, bytes: Uint8Array): void {
    this.router.fromHarness(executorId, socket, bytes);
  }

  fromExecutor(executorId: string, socket: RouterSocket, bytes: Uint8Array): void {
    this.router.fromExecutor(executorId, socket, bytes);
  }

  /** The executor socket attached to this node for `executorId` (with its registration), if any. */
  localExecutor(executorId: string): { registrationId: string } | undefined {
    const local = this.#local.get(executorId);
    return local === undefined ? undefined : { registrationId: local.registrationId };
  }

  /** Ids of executors attached to this node. */
  localExecutorIds(): string[] {
    return [...this.#local.keys()];
  }

  /** Stream claims held by harness sockets here. */
  heldStreams(): (readonly [string, string])[] {
    return [...this.#claims.values()].filter((claim) => claim.held).map((claim) => [claim.executorId, claim.streamId] as const);
  }

  /** Counts for the node record: executors here, harness sockets here (not peer proxies), streams claimed here. */
  localCounts(): { executors: number; harnessSockets: number; streams: number } {
    let proxies = 0;
    for (const byExecutor of this.#proxies.values()) proxies += byExecutor.size;
    return { executors: this.#local.size, harnessSockets: Math.max(0, this.router.snapshot().harnessSockets - proxies), streams: this.#claims.size };
  }

  /** Best-effort release of everything this node holds in the engine (graceful shutdown). */
  releaseAll(): Promise<unknown>[] {
    const { space, nodeId } = this.#ctx;
    return [
      ...[...this.#local.keys()].map((executorId) => this.#engine.releaseExecutor(space, executorId, nodeId)),
      ...[...this.#claims.values()].map((claim) => this.#engine.releaseStream(space, claim.executorId, claim.streamId, nodeId)),
    ];
  }

  close(): void {
    this.router.close();
  }

  // ---- router hooks -----------------------------------------------------------------------------

  #claimStream(executorId: string, streamId: string, socket: RouterSocket): Promise<StreamClaim> | undefined {
    // Proxies carry streams another node already claimed.
    if (this.#proxyPeer.has(socket)) return undefined;
    if (!this.#engine.ready) return Promise.resolve("unavailable");
    const key = streamKey(executorId, streamId);
    const claim = { executorId, streamId, held: false };
    this.#claims.set(key, claim);
    const { space, nodeId, leaseMs } = this.#ctx;
    return this.#engine.claimStream(space, executorId, streamId, nodeId, leaseMs).then(
      (ok): StreamClaim | Promise<StreamClaim> => {
        if (this.#claims.get(key) !== claim) {
          // Released while the claim was in flight: undo it.
          if (ok) this.#engine.releaseStream(space, executorId, streamId, nodeId).catch(() => undefined);
          return ok ? "ok" : "taken";
        }
        if (!ok) {
          this.#claims.delete(key);
          return "taken";
        }
        claim.held = true;
        // A harness that just attached may open a stream before its executor's node is known here:
        // hold the first frames (a Noise handshake is not retransmitted) until it is, or a while.
        return this.router.executorOf(executorId) ? "ok" : this.#waitForExecutor(executorId).then((): StreamClaim => "ok");
      },
      (): StreamClaim => {
        if (this.#claims.get(key) === claim) this.#claims.delete(key);
        return "unavailable";
      },
    );
  }

  #releaseStream(executorId: string, streamId: string, socket: RouterSocket): void {
    if (this.#proxyPeer.has(socket)) return;
    const key = streamKey(executorId, streamId);
    const claim = this.#claims.get(key);
    if (!claim) return;
    this.#claims.delete(key);
    if (claim.held && this.#engine.ready && !this.#closed) this.#engine.releaseStream(this.#ctx.space, executorId, streamId, this.#ctx.nodeId).catch(() => undefined);
  }

  #unownedFromExecutor(executorId: string, streamId: string, bytes: Uint8Array): boolean {
    const key = streamKey(executorId, streamId);
    const held = this.#orphans.get(key);
    if (held !== undefined) {
      if (held.length < MAX_ORPHAN_FRAMES_PER_STREAM && this.#orphanFrames < MAX_ORPHAN_FRAMES) {
        held.push(bytes);
        this.#orphanFrames += 1;
      }
      return true;
    }
    if (!this.#engine.ready || this.#orphanFrames >= MAX_ORPHAN_FRAMES) return false;
    this.#orphans.set(key, [bytes]);
    this.#orphanFrames += 1;
    this.#engine.streamOwner(this.#ctx.space, executorId, streamId).then(
      (owner) => this.#adoptOrphan(executorId, streamId, owner),
      () => this.#adoptOrphan(executorId, streamId, undefined),
    );
    return true;
  }

  /** The engine answered who owns an executor frame's stream: route the held frames there. */
  #adoptOrphan(executorId: string, streamId: string, owner: string | undefined): void {
    const key = streamKey(executorId, streamId);
    const frames = this.#orphans.get(key);
    this.#orphans.delete(key);
    if (frames === undefined) return;
    this.#orphanFrames -= frames.length;
    const executor = this.router.executorOf(executorId);
    if (owner === undefined || owner === this.#ctx.nodeId || executor === null || this.#closed) {
      this.router.droppedFrames += frames.length;
      return;
    }
    const proxy = this.#harnessProxy(owner, executorId);
    if (!proxy || !this.router.adoptStream(executorId, streamId, proxy)) {
      this.router.droppedFrames += frames.length;
      return;
    }
    this.#ctx.log(`stream ${streamId} of ${this.#label(executorId)} is owned by ${owner}; routing there`);
    for (const bytes of frames) this.router.fromExecutor(executorId, executor, bytes);
  }

  #noExecutor(executorId: string, socket: RouterSocket): void {
    const peer = this.#proxyPeer.get(socket);
    if (peer === undefined) {
      this.#resolveExecutor(executorId);
      return;
    }
    // A peer routes frames here for an executor that is not (any more) attached here: tell it, at most twice a second.
    const key = `${peer}\n${executorId}`;
    const now = Date.now();
    if (now - (this.#goneSentAt.get(key) ?? 0) < 500) return;
    this.#goneSentAt.set(key, now);
    if (this.#goneSentAt.size > 10_000) this.#goneSentAt.clear();
    this.#ctx.hub.send(peer, encodeLinkMessage(this.#kinds.executorGone, executorId));
  }

  // ---- executors --------------------------------------------------------------------------------

  async #claimExecutor(executorId: string, socket: RouterSocket): Promise<void> {
    const local = this.#local.get(executorId);
    if (local?.socket !== socket) return;
    try {
      const epoch = await this.#engine.claimExecutor(this.#ctx.space, executorId, this.#ctx.nodeId, local.name, this.#ctx.leaseMs, local.registrationId);
      if (this.#local.get(executorId)?.socket === socket) local.epoch = epoch;
    } catch (error) {
      // The renewal loop claims it again once the engine answers.
      this.#ctx.log(`could not record ${this.#label(executorId)} in the engine yet: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Another node took an executor: evict an older local socket, point harness sockets here at that node. */
  onEvent(event: ExecutorEvent): void {
    if (event.node === this.#ctx.nodeId || this.#closed) return;
    const local = this.#local.get(event.executorId);
    if (local !== undefined) {
      if (event.epoch <= local.epoch) return;
      this.#ctx.log(`${this.#label(event.executorId)} attached to ${event.node} (newer); closing the socket here`);
      this.#local.delete(event.executorId);
    }
    // Binding replaces the router's executor socket: a local one is closed with 4000 "replaced".
    if (this.router.hasRoute(event.executorId)) this.#bindRemote(event.executorId, event.node);
  }

  /** Finds which node holds `executorId` (engine), retrying with backoff while harness sockets wait for it. */
  #resolveExecutor(executorId: string, attempt = 0): void {
    if (this.#resolving.has(executorId) || this.#local.has(executorId) || this.#closed) return;
    this.#resolving.add(executorId);
    const retry = () => {
      const timer = setTimeout(() => {
        this.#resolving.delete(executorId);
        if (this.router.hasRoute(executorId) && !this.router.executorOf(executorId)) this.#resolveExecutor(executorId, attempt + 1);
      }, Math.min(100 * 2 ** attempt, 2000));
      timer.unref?.();
    };
    if (!this.#engine.ready) return retry();
    void (async () => {
      const lease = await this.#engine.executor(this.#ctx.space, executorId).catch(() => undefined);
      if (this.#closed || this.#local.has(executorId) || !this.router.hasRoute(executorId)) return this.#resolving.delete(executorId);
      if (lease !== undefined && lease.node !== this.#ctx.nodeId) {
        const bound = this.#remote.get(executorId);
        if (bound?.node === lease.node && this.router.executorOf(executorId) === bound.socket) return this.#resolving.delete(executorId);
        // A dead node's lease lingers until it expires: bind only to a node that answers.
        if (await this.#ctx.hub.connect(lease.node)) {
          this.#resolving.delete(executorId);
          if (!this.#local.has(executorId) && this.router.hasRoute(executorId)) this.#bindRemote(executorId, lease.node);
          return;
        }
      }
      retry();
    })();
  }

  /** Resolves once `executorId` has an executor socket here (local or a peer's proxy), or after `executorWaitMs`. */
  #waitForExecutor(executorId: string): Promise<void> {
    this.#resolveExecutor(executorId);
    return new Promise<void>((resolve) => {
      let waiters = this.#executorWaiters.get(executorId);
      if (!waiters) {
        waiters = new Set();
        this.#executorWaiters.set(executorId, waiters);
      }
      const done = () => {
        clearTimeout(timer);
        waiters.delete(done);
        if (waiters.size === 0 && this.#executorWaiters.get(executorId) === waiters) this.#executorWaiters.delete(executorId);
        resolve();
      };
      const timer = setTimeout(done, this.#ctx.executorWaitMs ?? DEFAULT_EXECUTOR_WAIT_MS);
      timer.unref?.();
      waiters.add(done);
    });
  }

  #executorBound(executorId: string): void {
    const waiters = this.#executorWaiters.get(executorId);
    if (waiters) for (const done of [...waiters]) done();
  }

  /** Makes `node` the executor of `executorId` in the router, through a proxy socket. */
  #bindRemote(executorId: string, node: string): void {
    if (this.#closed) return;
    const current = this.#remote.get(executorId);
    if (current?.node === node && this.router.executorOf(executorId) === current.socket) return;
    const socket: RouterSocket = {
      send: (bytes) => this.#ctx.hub.send(node, encodeLinkMessage(this.#kinds.toExecutor, executorId, bytes)),
      close: () => {
        if (this.#remote.get(executorId)?.socket === socket) this.#remote.delete(executorId);
      },
    };
    this.#remote.set(executorId, { node, socket });
    this.#ctx.log(`${this.#label(executorId)} is on ${node}`);
    this.router.attachExecutor(executorId, socket);
    this.#executorBound(executorId);
  }

  #unbindRemote(executorId: string): void {
    const current = this.#remote.get(executorId);
    if (!current) return;
    this.#remote.delete(executorId);
    this.router.detachExecutor(executorId, current.socket);
  }

  /** The proxy harness socket standing for `peer`'s harness sockets of `executorId`. */
  #harnessProxy(peer: string, executorId: string): RouterSocket | undefined {
    let byExecutor = this.#proxies.get(peer);
    const existing = byExecutor?.get(executorId);
    if (existing) return existing;
    const socket: RouterSocket = {
      send: (bytes) => this.#ctx.hub.send(peer, encodeLinkMessage(this.#kinds.toHarness, executorId, bytes)),
      close: () => {
        if (this.#proxies.get(peer)?.get(executorId) === socket) this.#proxies.get(peer)?.delete(executorId);
      },
    };
    if (!this.router.attachHarness(executorId, socket)) return undefined;
    if (!byExecutor) {
      byExecutor = new Map();
      this.#proxies.set(peer, byExecutor);
    }
    byExecutor.set(executorId, socket);
    this.#proxyPeer.set(socket, peer);
    return socket;
  }

  // ---- links ------------------------------------------------------------------------------------

  /** A link message of this space from `peer`. */
  onLinkMessage(peer: string, message: LinkMessage): void {
    if (this.#closed) return;
    const { executorId, frame } = message;
    switch (message.kind) {
      case this.#kinds.toExecutor: {
        const proxy = this.#harnessProxy(peer, executorId);
        if (proxy) this.router.fromHarness(executorId, proxy, frame);
        else this.router.droppedFrames += 1;
        return;
      }
      case this.#kinds.toHarness: {
        // The executor's own socket here wins over a peer's claim (the event evicts it if it is older).
        if (this.#local.has(executorId) || !this.router.hasRoute(executorId)) {
          this.router.droppedFrames += 1;
          return;
        }
        // Peers are authenticated: a frame from the executor's side proves where it is now.
        if (this.#remote.get(executorId)?.node !== peer) this.#bindRemote(executorId, peer);
        const bound = this.#remote.get(executorId);
        if (bound) this.router.fromExecutor(executorId, bound.socket, frame);
        return;
      }
      case this.#kinds.executorGone: {
        if (this.#remote.get(executorId)?.node !== peer) return;
        this.#unbindRemote(executorId);
        this.#resolveExecutor(executorId, 1);
        return;
      }
    }
  }

  onLinkLost(peer: string): void {
    for (const [executorId, bound] of [...this.#remote]) {
      if (bound.node !== peer) continue;
      this.#unbindRemote(executorId);
      this.#resolveExecutor(executorId, 1);
    }
  }

  /** A peer stayed unreachable: its harness sockets are gone, so their streams end at the executors here. */
  onPeerGone(peer: string): void {
    const byExecutor = this.#proxies.get(peer);
    this.#proxies.delete(peer);
    if (!byExecutor) return;
    this.#ctx.log(`node ${peer} is gone; resetting the streams of its harnesses (${byExecutor.size} ${this.#ctx.space === "exec" ? "executors" : "environments"})`);
    for (const [executorId, socket] of byExecutor) this.router.detachHarness(executorId, socket);
  }

  // ---- leases -----------------------------------------------------------------------------------

  /**
   * Renews the leases of this space and re-creates what the engine lost. `registrations` (space
   * `env`): environment registrations to keep alive while their executor is attached here.
   */
  async renew(registrations?: { ttlMs: number; restore: (environmentIds: string[]) => Promise<void> }): Promise<void> {
    const { space, nodeId, leaseMs } = this.#ctx;
    const localIds = [...this.#local.keys()];
    const missing = await this.#engine.renew(space, localIds, this.heldStreams(), leaseMs, registrations ? { ids: localIds, ttlMs: registrations.ttlMs } : undefined);
    if (registrations && missing.registrations.length > 0) await registrations.restore(missing.registrations);
    for (const executorId of missing.executors) {
      const local = this.#local.get(executorId);
      if (local) await this.#claimExecutor(executorId, local.socket);
    }
    for (const [executorId, streamId] of missing.streams) {
      if (!(await this.#engine.claimStream(space, executorId, streamId, nodeId, leaseMs))) {
        this.#ctx.log(`stream ${streamId} of ${this.#label(executorId)} is now claimed by another node`);
      }
    }
    if (missing.executors.length + missing.streams.length + missing.registrations.length > 0) {
      this.#ctx.log(
        `re-created ${missing.executors.length} ${space === "exec" ? "executor" : "environment executor"} leases, ${missing.streams.length} stream claims${space === "env" ? ` and ${missing.registrations.length} registrations` : ""} in the engine`,
      );
    }
  }

  #label(executorId: string): string {
    return this.#ctx.space === "exec" ? `executor ${executorId}` : `environment ${executorId}`;
  }
}

function streamKey(executorId: string, streamId: string): string {
  return `${executorId}\n${streamId}`;
}
