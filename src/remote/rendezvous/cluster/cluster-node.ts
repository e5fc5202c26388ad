import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { RendezvousUnavailableError, type Readiness, type RendezvousAddresses, type RendezvousBackend } from "../rendezvous-backend.js";
import { RendezvousRouter, type RendezvousRouterOptions, type RouterSocket, type StreamClaim } from "../rendezvous-router.js";
import type { SignedClaims, UrlSigner } from "../url-signer.js";
import type { ClusterEngine, ExecutorEvent } from "./cluster-engine.js";
import { LINK_PATH, LinkHub } from "./link-hub.js";
import { encodeLinkMessage, LinkKind, type LinkMessage } from "./link-message.js";
import { SigningKeyRing } from "./signing-key-ring.js";

/** Options of {@link ClusterNode}; every limit has a documented default. */
export interface ClusterNodeOptions {
  /** This node's id. Default `n-` + 8 random hex digits (a restarted node is a new node). */
  nodeId?: string;
  /** Lease of node records, executor attachments and stream claims, in ms; renewed every third of it. Default 15 000. */
  leaseMs?: number;
  /** `http(s)://HOST:PORT` other nodes use to reach this one (behind a load balancer). Default: the bound address. */
  advertiseUrl?: string;
  /** A peer without a link for this long is dead: its harnesses' streams are reset at their executors, in ms. Default 5 000. */
  peerGraceMs?: number;
  /** Websocket pings on node links, in ms (0 = off). Default 10 000. */
  linkPingIntervalMs?: number;
  /** Largest message on a node link, in bytes. Default 80 MiB + 64 KiB (the rendezvous's largest frame plus the link header). */
  maxLinkMessageBytes?: number;
  /** Extra CA (PEM) to trust for `wss://` links. */
  ca?: string | Buffer | undefined;
  log?: (line: string) => void;
}

/** Executor frames held per stream while the stream's owner is looked up, and in all. */
const MAX_ORPHAN_FRAMES_PER_STREAM = 256;
const MAX_ORPHAN_FRAMES = 8192;
/** Registration names kept until their executor attaches. */
const MAX_PENDING_NAMES = 10_000;

interface LocalExecutor {
  socket: RouterSocket;
  /** The engine epoch of this attachment; MAX_SAFE_INTEGER until the claim answered (older events must not evict it). */
  epoch: number;
}

/**
 * One rendezvous node of a cluster: the same router as the single-process rendezvous, plus shared
 * state in the engine (executor attachments, stream claims, the signing secret) and direct links to
 * other nodes for frames.
 *
 * - Harness on this node, executor on node M: the router's executor socket for that id is a proxy
 *   that sends `toExecutor` link messages to M. On M each peer node appears in the router as one
 *   proxy harness socket per executor, so M's router still enforces ownership per stream.
 * - A harness stream's first frame waits for its claim in the engine (`claimStream`): a stream
 *   owned by another node's harness is never forwarded, so it cannot be taken over across nodes.
 * - When an executor moves here, frames for streams nobody owns here are held while the engine says
 *   which node owns the stream, then routed there (`unownedFromExecutor`).
 * - The engine only carries control state; with it unreachable, attached streams keep flowing over
 *   the links, registrations and new streams get a retryable error, and `/readyz` answers 503.
 */
export class ClusterNode implements RendezvousBackend {
  readonly router: RendezvousRouter;
  readonly nodeId: string;
  readonly engine: ClusterEngine;
  readonly hub: LinkHub;
  readonly keys: SigningKeyRing;
  readonly #leaseMs: number;
  readonly #options: ClusterNodeOptions;
  readonly #log: (line: string) => void;
  readonly #local = new Map<string, LocalExecutor>();
  readonly #remote = new Map<string, { node: string; socket: RouterSocket }>();
  readonly #proxies = new Map<string, Map<string, RouterSocket>>();
  readonly #proxyPeer = new WeakMap<RouterSocket, string>();
  /** Streams claimed (or being claimed) for harness sockets on this node: key → [executorId, streamId, held]. */
  readonly #claims = new Map<string, { executorId: string; streamId: string; held: boolean }>();
  readonly #orphans = new Map<string, Uint8Array[]>();
  #orphanFrames = 0;
  readonly #resolving = new Set<string>();
  readonly #goneSentAt = new Map<string, number>();
  readonly #names = new Map<string, string>();
  #renewTimer: ReturnType<typeof setInterval> | undefined;
  #renewing = false;
  #linkUrl = "";
  #publicUrl = "";
  readonly #startedAt = Date.now();
  #closed = false;
  #unsubscribe: (() => void)[] = [];

  constructor(engine: ClusterEngine, secret: Buffer, routerOptions: RendezvousRouterOptions, options: ClusterNodeOptions = {}) {
    this.engine = engine;
    this.#options = options;
    this.nodeId = options.nodeId ?? `n-${randomBytes(4).toString("hex")}`;
    this.#leaseMs = options.leaseMs ?? 15_000;
    if (!Number.isSafeInteger(this.#leaseMs) || this.#leaseMs < 300) throw new RangeError(`cluster leaseMs must be an integer of at least 300, got ${this.#leaseMs}`);
    const log = options.log ?? routerOptions.log ?? (() => {});
    this.#log = (line) => log(`[${this.nodeId}] ${line}`);
    this.keys = new SigningKeyRing(secret);
    this.router = new RendezvousRouter({
      ...routerOptions,
      log: this.#log,
      hooks: {
        claimStream: (executorId, streamId, socket) => this.#claimStream(executorId, streamId, socket),
        releaseStream: (executorId, streamId, socket) => this.#releaseStream(executorId, streamId, socket),
        unownedFromExecutor: (executorId, streamId, bytes) => this.#unownedFromExecutor(executorId, streamId, bytes),
        noExecutor: (executorId, socket) => this.#noExecutor(executorId, socket),
      },
    });
    this.hub = new LinkHub({
      nodeId: this.nodeId,
      verifyKeys: () => this.keys.keys(),
      signingKey: () => this.keys.currentKey,
      resolveLinkUrl: async (peer) => (await this.engine.node(peer).catch(() => undefined))?.linkUrl,
      onMessage: (peer, message) => this.#onLinkMessage(peer, message),
      onLinkLost: (peer) => this.#onLinkLost(peer),
      onPeerGone: (peer) => this.#onPeerGone(peer),
      ...(options.peerGraceMs === undefined ? {} : { peerGraceMs: options.peerGraceMs }),
      ...(options.linkPingIntervalMs === undefined ? {} : { pingIntervalMs: options.linkPingIntervalMs }),
      ...(options.maxLinkMessageBytes === undefined ? {} : { maxMessageBytes: options.maxLinkMessageBytes }),
      ca: options.ca,
      log: this.#log,
    });
    this.#unsubscribe.push(
      engine.onEvent((event) => this.#onEvent(event)),
      engine.onReady(() => void this.#renew()),
    );
  }

  // ---- RendezvousBackend ----------------------------------------------------------------------

  sign(base: string, claims: SignedClaims): string {
    return this.keys.sign(base, claims);
  }

  verify(pathAndQuery: string, nowMs: number): ReturnType<UrlSigner["verify"]> {
    return this.keys.verify(pathAndQuery, nowMs);
  }

  async register(executorId: string, name: string | undefined): Promise<void> {
    if (!this.engine.ready) throw unavailable(this.engine.url);
    try {
      await this.engine.recordRegistration(executorId, this.nodeId, name ?? "", this.#leaseMs);
    } catch {
      throw unavailable(this.engine.url);
    }
    if (name !== undefined) {
      this.#names.delete(executorId);
      this.#names.set(executorId, name);
      if (this.#names.size > MAX_PENDING_NAMES) this.#names.delete(this.#names.keys().next().value as string);
    }
  }

  readiness(): Readiness {
    return this.engine.ready ? { ready: true } : { ready: false, detail: `cluster engine ${this.engine.url} unreachable` };
  }

  async start(addresses: RendezvousAddresses): Promise<void> {
    this.#publicUrl = addresses.publicBaseUrl;
    const base = (this.#options.advertiseUrl ?? addresses.boundBaseUrl).replace(/\/+$/, "");
    this.#linkUrl = `${base.replace(/^http/, "ws")}${LINK_PATH}`;
    await this.#renew();
    this.#renewTimer = setInterval(() => void this.#renew(), Math.max(100, Math.floor(this.#leaseMs / 3)));
    this.#renewTimer.unref?.();
    this.#log(`cluster node up (engine ${this.engine.url}, link ${this.#linkUrl})`);
  }

  upgrade(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    return this.hub.accept(request, socket, head);
  }

  attachExecutor(executorId: string, socket: RouterSocket): void {
    this.#remote.delete(executorId);
    this.#local.set(executorId, { socket, epoch: Number.MAX_SAFE_INTEGER });
    this.router.attachExecutor(executorId, socket);
    void this.#claimExecutor(executorId, socket);
  }

  detachExecutor(executorId: string, socket: RouterSocket): void {
    if (this.#local.get(executorId)?.socket === socket) {
      this.#local.delete(executorId);
      if (this.engine.ready && !this.#closed) this.engine.releaseExecutor(executorId, this.nodeId).catch(() => undefined);
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

  async status(): Promise<unknown> {
    const local = this.#localCounts();
    const base = { mode: "cluster", node: this.nodeId, engine: { url: this.engine.url, connected: this.engine.ready }, links: this.hub.connectedPeers().sort() };
    if (!this.engine.ready) {
      return { ...base, partial: true, nodes: [{ id: this.nodeId, linkUrl: this.#linkUrl, publicUrl: this.#publicUrl, startedAt: this.#startedAt, ...local }], executors: [...this.#local.keys()].sort().map((id) => ({ id, node: this.nodeId })), streams: local.streams };
    }
    const [nodes, executors] = await Promise.all([this.engine.nodes(), this.engine.executors()]);
    nodes.sort((a, b) => a.id.localeCompare(b.id));
    executors.sort((a, b) => a.executorId.localeCompare(b.executorId));
    return {
      ...base,
      nodes: nodes.map((node) => (node.id === this.nodeId ? { ...node, ...local } : node)),
      executors: executors.map((lease) => ({ id: lease.executorId, name: lease.name, node: lease.node, since: new Date(lease.since).toISOString() })),
      streams: nodes.reduce((sum, node) => sum + (node.id === this.nodeId ? local.streams : node.streams), 0),
    };
  }

  async close(): Promise<void> {
    if (this.#closed) return;
    this.#closed = true;
    clearInterval(this.#renewTimer);
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    if (this.engine.ready) {
      // Best effort: leases expire anyway; a quick release lets executors and harnesses move sooner.
      const cleanup = Promise.allSettled([
        ...[...this.#local.keys()].map((executorId) => this.engine.releaseExecutor(executorId, this.nodeId)),
        ...[...this.#claims.values()].map((claim) => this.engine.releaseStream(claim.executorId, claim.streamId, this.nodeId)),
        this.engine.removeNode(this.nodeId),
      ]);
      await Promise.race([cleanup, new Promise((resolve) => setTimeout(resolve, 1000).unref?.())]);
    }
    this.hub.close();
    this.router.close();
    await this.engine.close();
  }

  /** Stops at once with no goodbye to peers or the engine (a crash, for tests). The server still closes its sockets. */
  crash(): void {
    this.#closed = true;
    clearInterval(this.#renewTimer);
    for (const unsubscribe of this.#unsubscribe) unsubscribe();
    this.hub.crash();
    this.engine.crash();
  }

  // ---- router hooks ---------------------------------------------------------------------------

  #claimStream(executorId: string, streamId: string, socket: RouterSocket): Promise<StreamClaim> | undefined {
    // Proxies carry streams another node already claimed.
    if (this.#proxyPeer.has(socket)) return undefined;
    if (!this.engine.ready) return Promise.resolve("unavailable");
    const key = streamKey(executorId, streamId);
    const claim = { executorId, streamId, held: false };
    this.#claims.set(key, claim);
    return this.engine.claimStream(executorId, streamId, this.nodeId, this.#leaseMs).then(
      (ok): StreamClaim => {
        if (this.#claims.get(key) !== claim) {
          // Released while the claim was in flight: undo it.
          if (ok) this.engine.releaseStream(executorId, streamId, this.nodeId).catch(() => undefined);
          return ok ? "ok" : "taken";
        }
        if (!ok) {
          this.#claims.delete(key);
          return "taken";
        }
        claim.held = true;
        return "ok";
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
    if (claim.held && this.engine.ready && !this.#closed) this.engine.releaseStream(executorId, streamId, this.nodeId).catch(() => undefined);
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
    if (!this.engine.ready || this.#orphanFrames >= MAX_ORPHAN_FRAMES) return false;
    this.#orphans.set(key, [bytes]);
    this.#orphanFrames += 1;
    this.engine.streamOwner(executorId, streamId).then(
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
    if (owner === undefined || owner === this.nodeId || executor === null || this.#closed) {
      this.router.droppedFrames += frames.length;
      return;
    }
    const proxy = this.#harnessProxy(owner, executorId);
    if (!proxy || !this.router.adoptStream(executorId, streamId, proxy)) {
      this.router.droppedFrames += frames.length;
      return;
    }
    this.#log(`stream ${streamId} of ${executorId} is owned by ${owner}; routing there`);
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
    this.hub.send(peer, encodeLinkMessage(LinkKind.executorGone, executorId));
  }

  // ---- executors ------------------------------------------------------------------------------

  async #claimExecutor(executorId: string, socket: RouterSocket): Promise<void> {
    const name = this.#names.get(executorId) ?? "";
    this.#names.delete(executorId);
    try {
      const epoch = await this.engine.claimExecutor(executorId, this.nodeId, name, this.#leaseMs);
      const local = this.#local.get(executorId);
      if (local?.socket === socket) local.epoch = epoch;
    } catch (error) {
      // The renewal loop claims it again once the engine answers.
      this.#log(`could not record executor ${executorId} in the engine yet: ${error instanceof Error ? error.message : String(error)}`);
    }
  }

  /** Another node took an executor: evict an older local socket, point harness sockets here at that node. */
  #onEvent(event: ExecutorEvent): void {
    if (event.node === this.nodeId || this.#closed) return;
    const local = this.#local.get(event.executorId);
    if (local !== undefined) {
      if (event.epoch <= local.epoch) return;
      this.#log(`executor ${event.executorId} attached to ${event.node} (newer); closing the socket here`);
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
    if (!this.engine.ready) return retry();
    void (async () => {
      const lease = await this.engine.executor(executorId).catch(() => undefined);
      if (this.#closed || this.#local.has(executorId) || !this.router.hasRoute(executorId)) return this.#resolving.delete(executorId);
      if (lease !== undefined && lease.node !== this.nodeId) {
        const bound = this.#remote.get(executorId);
        if (bound?.node === lease.node && this.router.executorOf(executorId) === bound.socket) return this.#resolving.delete(executorId);
        // A dead node's lease lingers until it expires: bind only to a node that answers.
        if (await this.hub.connect(lease.node)) {
          this.#resolving.delete(executorId);
          if (!this.#local.has(executorId) && this.router.hasRoute(executorId)) this.#bindRemote(executorId, lease.node);
          return;
        }
      }
      retry();
    })();
  }

  /** Makes `node` the executor of `executorId` in the router, through a proxy socket. */
  #bindRemote(executorId: string, node: string): void {
    if (this.#closed) return;
    const current = this.#remote.get(executorId);
    if (current?.node === node && this.router.executorOf(executorId) === current.socket) return;
    const socket: RouterSocket = {
      send: (bytes) => this.hub.send(node, encodeLinkMessage(LinkKind.toExecutor, executorId, bytes)),
      close: () => {
        if (this.#remote.get(executorId)?.socket === socket) this.#remote.delete(executorId);
      },
    };
    this.#remote.set(executorId, { node, socket });
    this.#log(`executor ${executorId} is on ${node}`);
    this.router.attachExecutor(executorId, socket);
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
      send: (bytes) => this.hub.send(peer, encodeLinkMessage(LinkKind.toHarness, executorId, bytes)),
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

  // ---- links ----------------------------------------------------------------------------------

  #onLinkMessage(peer: string, message: LinkMessage): void {
    if (this.#closed) return;
    const { executorId, frame } = message;
    switch (message.kind) {
      case LinkKind.toExecutor: {
        const proxy = this.#harnessProxy(peer, executorId);
        if (proxy) this.router.fromHarness(executorId, proxy, frame);
        else this.router.droppedFrames += 1;
        return;
      }
      case LinkKind.toHarness: {
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
      case LinkKind.executorGone: {
        if (this.#remote.get(executorId)?.node !== peer) return;
        this.#unbindRemote(executorId);
        this.#resolveExecutor(executorId, 1);
        return;
      }
    }
  }

  #onLinkLost(peer: string): void {
    for (const [executorId, bound] of [...this.#remote]) {
      if (bound.node !== peer) continue;
      this.#unbindRemote(executorId);
      this.#resolveExecutor(executorId, 1);
    }
  }

  /** A peer stayed unreachable: its harness sockets are gone, so their streams end at the executors here. */
  #onPeerGone(peer: string): void {
    const byExecutor = this.#proxies.get(peer);
    this.#proxies.delete(peer);
    if (!byExecutor) return;
    this.#log(`node ${peer} is gone; resetting the streams of its harnesses (${byExecutor.size} executors)`);
    for (const [executorId, socket] of byExecutor) this.router.detachHarness(executorId, socket);
  }

  // ---- leases ---------------------------------------------------------------------------------

  /** Renews this node's leases and re-creates what the engine lost (an engine restart empties it). */
  async #renew(): Promise<void> {
    if (this.#renewing || this.#closed || !this.engine.ready) return;
    this.#renewing = true;
    try {
      const secret = await this.engine.ensureSecret(this.keys.currentKey);
      if (!secret.equals(this.keys.currentKey)) {
        this.#log("the cluster signing secret changed in the engine; adopting it (older URLs stay valid until they expire)");
        this.keys.adopt(secret);
      }
      await this.engine.putNode({ id: this.nodeId, linkUrl: this.#linkUrl, publicUrl: this.#publicUrl, startedAt: this.#startedAt, ...this.#localCounts() }, this.#leaseMs);
      const held = [...this.#claims.values()].filter((claim) => claim.held).map((claim) => [claim.executorId, claim.streamId] as const);
      const missing = await this.engine.renew([...this.#local.keys()], held, this.#leaseMs);
      for (const executorId of missing.executors) {
        const local = this.#local.get(executorId);
        if (local) await this.#claimExecutor(executorId, local.socket);
      }
      for (const [executorId, streamId] of missing.streams) {
        if (!(await this.engine.claimStream(executorId, streamId, this.nodeId, this.#leaseMs))) {
          this.#log(`stream ${streamId} of ${executorId} is now claimed by another node`);
        }
      }
      if (missing.executors.length + missing.streams.length > 0) {
        this.#log(`re-created ${missing.executors.length} executor leases and ${missing.streams.length} stream claims in the engine`);
      }
    } catch (error) {
      this.#log(`lease renewal failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.#renewing = false;
    }
  }

  #localCounts(): { executors: number; harnessSockets: number; streams: number } {
    let proxies = 0;
    for (const byExecutor of this.#proxies.values()) proxies += byExecutor.size;
    return { executors: this.#local.size, harnessSockets: Math.max(0, this.router.snapshot().harnessSockets - proxies), streams: this.#claims.size };
  }
}

function streamKey(executorId: string, streamId: string): string {
  return `${executorId}\n${streamId}`;
}

function unavailable(url: string): RendezvousUnavailableError {
  return new RendezvousUnavailableError("cluster_unavailable", `rendezvous cluster engine ${url} is unreachable; retry shortly`, 1);
}
