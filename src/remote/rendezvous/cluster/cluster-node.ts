import { randomBytes } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { RendezvousUnavailableError, type Readiness, type RendezvousAddresses, type RendezvousBackend } from "../rendezvous-backend.js";
import type { RendezvousRouter, RendezvousRouterOptions, RouterSocket } from "../rendezvous-router.js";
import type { SignedClaims, UrlSigner } from "../url-signer.js";
import type { ClusterEngine, ExecutorEvent } from "./cluster-engine.js";
import { ClusterEnvironmentStore } from "./cluster-environments.js";
import { ClusterRouting } from "./cluster-routing.js";
import { LINK_PATH, LinkHub } from "./link-hub.js";
import { spaceOf, type LinkMessage } from "./link-message.js";
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
  /**
   * How long a codex 0.169 environment registration outlives its executor's last attachment, in ms
   * (its executor URL stays usable that long). Default 600 000 (the rendezvous's URL lifetime).
   */
  registrationTtlMs?: number;
  /**
   * A new harness stream's first frames wait this long for its executor to be found (attached here or
   * bound to a peer) before they are routed (or dropped when there is none), in ms. Default 5 000.
   */
  executorWaitMs?: number;
  /** Extra CA (PEM) to trust for `wss://` links. */
  ca?: string | Buffer | undefined;
  log?: (line: string) => void;
}

/** Registration names kept until their executor attaches. */
const MAX_PENDING_NAMES = 10_000;

/**
 * One rendezvous node of a cluster: the same routers as the single-process rendezvous (seed-era
 * executors, and codex 0.169 environments), plus shared state in the engine (attachments, stream
 * claims, environment registrations, the signing secret) and direct links to other nodes for frames.
 * Each id space is routed by a {@link ClusterRouting}; see there for how frames cross nodes.
 *
 * The engine only carries control state; with it unreachable, attached streams keep flowing over
 * the links, registrations and new streams get a retryable error, and `/readyz` answers 503.
 */
export class ClusterNode implements RendezvousBackend {
  readonly router: RendezvousRouter;
  readonly nodeId: string;
  readonly engine: ClusterEngine;
  readonly hub: LinkHub;
  readonly keys: SigningKeyRing;
  /** Seed-era executors (`/cloud/executor/{id}`). */
  readonly executors: ClusterRouting;
  /** Codex 0.169 environments (`/cloud/environment/{id}`): registrations in the engine, routing across nodes. */
  readonly environments: ClusterEnvironmentStore;
  readonly #leaseMs: number;
  readonly #options: ClusterNodeOptions;
  readonly #log: (line: string) => void;
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
    this.hub = new LinkHub({
      nodeId: this.nodeId,
      verifyKeys: () => this.keys.keys(),
      signingKey: () => this.keys.currentKey,
      resolveLinkUrl: async (peer) => (await this.engine.node(peer).catch(() => undefined))?.linkUrl,
      onMessage: (peer, message) => this.#onLinkMessage(peer, message),
      onLinkLost: (peer) => {
        this.executors.onLinkLost(peer);
        this.environments.routing.onLinkLost(peer);
      },
      onPeerGone: (peer) => {
        this.executors.onPeerGone(peer);
        this.environments.routing.onPeerGone(peer);
      },
      ...(options.peerGraceMs === undefined ? {} : { peerGraceMs: options.peerGraceMs }),
      ...(options.linkPingIntervalMs === undefined ? {} : { pingIntervalMs: options.linkPingIntervalMs }),
      ...(options.maxLinkMessageBytes === undefined ? {} : { maxMessageBytes: options.maxLinkMessageBytes }),
      ca: options.ca,
      log: this.#log,
    });
    const context = (space: "exec" | "env") => ({
      space,
      nodeId: this.nodeId,
      engine,
      hub: this.hub,
      leaseMs: this.#leaseMs,
      log: this.#log,
      closed: () => this.#closed,
      ...(options.executorWaitMs === undefined ? {} : { executorWaitMs: options.executorWaitMs }),
    });
    this.executors = new ClusterRouting(context("exec"), routerOptions);
    this.router = this.executors.router;
    this.environments = new ClusterEnvironmentStore({
      routing: new ClusterRouting(context("env"), routerOptions),
      engine,
      hub: this.hub,
      keys: this.keys,
      nodeId: this.nodeId,
      registrationTtlMs: options.registrationTtlMs ?? 600_000,
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

  environmentStore(): ClusterEnvironmentStore {
    return this.environments;
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
    const name = this.#names.get(executorId);
    this.#names.delete(executorId);
    this.executors.attachExecutor(executorId, socket, name === undefined ? {} : { name });
  }

  detachExecutor(executorId: string, socket: RouterSocket): void {
    this.executors.detachExecutor(executorId, socket);
  }

  attachHarness(executorId: string, socket: RouterSocket): boolean {
    return this.executors.attachHarness(executorId, socket);
  }

  detachHarness(executorId: string, socket: RouterSocket): void {
    this.executors.detachHarness(executorId, socket);
  }

  fromHarness(executorId: string, socket: RouterSocket, bytes: Uint8Array): void {
    this.executors.fromHarness(executorId, socket, bytes);
  }

  fromExecutor(executorId: string, socket: RouterSocket, bytes: Uint8Array): void {
    this.executors.fromExecutor(executorId, socket, bytes);
  }

  async status(): Promise<unknown> {
    const local = this.#localCounts();
    const base = { mode: "cluster", node: this.nodeId, engine: { url: this.engine.url, connected: this.engine.ready }, links: this.hub.connectedPeers().sort() };
    if (!this.engine.ready) {
      return {
        ...base,
        partial: true,
        nodes: [{ id: this.nodeId, linkUrl: this.#linkUrl, publicUrl: this.#publicUrl, startedAt: this.#startedAt, ...local }],
        executors: this.executors.localExecutorIds().sort().map((id) => ({ id, node: this.nodeId })),
        environments: this.environments.routing.localExecutorIds().sort().map((id) => ({ id, node: this.nodeId })),
        streams: local.streams,
      };
    }
    const [nodes, executors, environments] = await Promise.all([this.engine.nodes(), this.engine.executors("exec"), this.engine.executors("env")]);
    nodes.sort((a, b) => a.id.localeCompare(b.id));
    executors.sort((a, b) => a.executorId.localeCompare(b.executorId));
    environments.sort((a, b) => a.executorId.localeCompare(b.executorId));
    return {
      ...base,
      nodes: nodes.map((node) => (node.id === this.nodeId ? { ...node, ...local } : node)),
      executors: executors.map((lease) => ({ id: lease.executorId, name: lease.name, node: lease.node, since: new Date(lease.since).toISOString() })),
      environments: environments.map((lease) => ({ id: lease.executorId, registrationId: lease.registrationId, node: lease.node, since: new Date(lease.since).toISOString() })),
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
      const cleanup = Promise.allSettled([...this.executors.releaseAll(), ...this.environments.routing.releaseAll(), this.engine.removeNode(this.nodeId)]);
      await Promise.race([cleanup, new Promise((resolve) => setTimeout(resolve, 1000).unref?.())]);
    }
    this.hub.close();
    this.executors.close();
    this.environments.close();
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

  #onLinkMessage(peer: string, message: LinkMessage): void {
    if (spaceOf(message.kind) === "exec") this.executors.onLinkMessage(peer, message);
    else this.environments.routing.onLinkMessage(peer, message);
  }

  #onEvent(event: ExecutorEvent): void {
    if (event.type === "executor") this.executors.onEvent(event);
    else this.environments.routing.onEvent(event);
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
      await this.executors.renew();
      await this.environments.routing.renew({ ttlMs: this.environments.registrationTtlMs, restore: (ids) => this.environments.restore(ids) });
    } catch (error) {
      this.#log(`lease renewal failed: ${error instanceof Error ? error.message : String(error)}`);
    } finally {
      this.#renewing = false;
    }
  }

  #localCounts(): { executors: number; harnessSockets: number; streams: number } {
    const exec = this.executors.localCounts();
    const env = this.environments.routing.localCounts();
    return { executors: exec.executors + env.executors, harnessSockets: exec.harnessSockets + env.harnessSockets, streams: exec.streams + env.streams };
  }
}

/** The retryable error for requests that need the engine while it is unreachable. */
export function unavailable(url: string): RendezvousUnavailableError {
  return new RendezvousUnavailableError("cluster_unavailable", `rendezvous cluster engine ${url} is unreachable; retry shortly`, 1);
}
