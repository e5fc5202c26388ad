import { createHmac, timingSafeEqual } from "node:crypto";
import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import { WebSocket, WebSocketServer } from "ws";
import { keepAlive } from "../../../util/websocket-keepalive.js";
import { decodeLinkMessage, type LinkMessage } from "./link-message.js";

/** Path of the node-to-node websocket on every cluster node. */
export const LINK_PATH = "/cluster/link";

/** Options of {@link LinkHub}; every limit has a documented default. */
export interface LinkHubOptions {
  /** This node's id (sent when dialling, refused when a peer claims it). */
  nodeId: string;
  /** Keys a dialling peer's signature may use (the cluster secret, plus older ones after a change). */
  verifyKeys: () => readonly Buffer[];
  /** Key this node signs its dials with. */
  signingKey: () => Buffer;
  /** Finds a peer's link URL (from the engine); undefined when the peer is unknown. */
  resolveLinkUrl: (peer: string) => Promise<string | undefined>;
  onMessage: (peer: string, message: LinkMessage) => void;
  /** The last link to `peer` closed or a dial failed. */
  onLinkLost: (peer: string) => void;
  /** `peer` stayed without a link for `peerGraceMs`: treat it as dead. */
  onPeerGone: (peer: string) => void;
  /** How long a peer may be without a link before it counts as gone, in ms. Default 5 000. */
  peerGraceMs?: number;
  /** Websocket pings on links; a peer missing a pong is dropped, 0 = off. Default 10 000 ms. */
  pingIntervalMs?: number;
  /** Largest link message in bytes. Default 80 MiB + 64 KiB (a relay frame plus the header). */
  maxMessageBytes?: number;
  /** Bytes queued per peer while its link is being dialled; beyond, messages are dropped (the relay retransmits). Default 16 MiB. */
  maxQueuedBytes?: number;
  /** Largest clock difference accepted in a dial's timestamp, in ms. Default 300 000. */
  maxClockSkewMs?: number;
  /** Extra CA (PEM) for `wss://` links between nodes with a self-signed certificate. */
  ca?: string | Buffer | undefined;
  log?: (line: string) => void;
}

interface Peer {
  readonly id: string;
  sockets: WebSocket[];
  dialing: boolean;
  /** The dial in flight, if any. */
  dial: Promise<void> | undefined;
  queue: Uint8Array[];
  queuedBytes: number;
  goneTimer: ReturnType<typeof setTimeout> | undefined;
}

/**
 * Direct websockets between cluster nodes, found through the engine: a node dials a peer the first
 * time it has a frame for it, authenticating with an HMAC of the cluster secret, and either side's
 * socket carries both directions. Frames for one peer always leave on the oldest open socket, so a
 * stream's frames stay in order. Messages sent while a link is being dialled are queued (bounded).
 */
export class LinkHub {
  readonly #options: LinkHubOptions;
  readonly #peers = new Map<string, Peer>();
  readonly #wss: WebSocketServer;
  readonly #log: (line: string) => void;
  #closed = false;
  /** Link messages dropped (no link, queue full, malformed). */
  dropped = 0;

  constructor(options: LinkHubOptions) {
    this.#options = options;
    this.#log = options.log ?? (() => {});
    this.#wss = new WebSocketServer({ noServer: true, perMessageDeflate: false, maxPayload: this.#maxMessageBytes });
  }

  get #maxMessageBytes(): number {
    return this.#options.maxMessageBytes ?? 80 * 1024 * 1024 + 64 * 1024;
  }

  /** Peers with at least one open link. */
  connectedPeers(): string[] {
    return [...this.#peers.values()].filter((peer) => peer.sockets.length > 0).map((peer) => peer.id);
  }

  /** True while `peer` has an open link. */
  isConnected(peer: string): boolean {
    return (this.#peers.get(peer)?.sockets.length ?? 0) > 0;
  }

  /** Sends one message to `peer`, dialling it first when needed. */
  send(peerId: string, bytes: Uint8Array): void {
    if (this.#closed) return;
    const peer = this.#peer(peerId);
    const socket = peer.sockets[0];
    if (socket !== undefined) {
      socket.send(bytes, { binary: true });
      return;
    }
    if (peer.queuedBytes + bytes.length > (this.#options.maxQueuedBytes ?? 16 * 1024 * 1024)) {
      this.dropped += 1;
    } else {
      peer.queue.push(bytes);
      peer.queuedBytes += bytes.length;
    }
    if (!peer.dialing) void this.#dial(peer);
  }

  /** Makes sure a link to `peer` exists or is being dialled; resolves true once one is open. */
  async connect(peerId: string): Promise<boolean> {
    const peer = this.#peer(peerId);
    if (peer.sockets.length > 0) return true;
    await (peer.dialing ? peer.dial : this.#dial(peer));
    return peer.sockets.length > 0;
  }

  /** Handles an upgrade on {@link LINK_PATH}; false for any other path. */
  accept(request: IncomingMessage, socket: Duplex, head: Buffer): boolean {
    const url = new URL(request.url ?? "/", "http://node.invalid");
    if (url.pathname !== LINK_PATH) return false;
    const peerId = url.searchParams.get("node") ?? "";
    const target = url.searchParams.get("to") ?? "";
    const ts = Number(url.searchParams.get("ts"));
    const sig = url.searchParams.get("sig") ?? "";
    const refuse = (why: string) => {
      this.#log(`refused cluster link: ${why}`);
      socket.end("HTTP/1.1 403 Forbidden\r\nconnection: close\r\ncontent-length: 0\r\n\r\n");
      return true;
    };
    if (this.#closed) return refuse("node closing");
    if (peerId === "" || peerId === this.#options.nodeId) return refuse("bad node id");
    // A dead node's record can point at a port a new node reuses: a link is for the node it was dialled for.
    if (target !== this.#options.nodeId) return refuse(`link meant for ${target || "(no node)"}, this is ${this.#options.nodeId}`);
    if (!Number.isSafeInteger(ts) || Math.abs(Date.now() - ts) > (this.#options.maxClockSkewMs ?? 300_000)) return refuse("stale or missing timestamp");
    const given = Buffer.from(sig);
    const matches = this.#options.verifyKeys().some((key) => {
      const expected = Buffer.from(linkSignature(key, peerId, target, ts));
      return expected.length === given.length && timingSafeEqual(expected, given);
    });
    if (!matches) return refuse("bad signature");
    this.#wss.handleUpgrade(request, socket, head, (ws) => this.#adopt(this.#peer(peerId), ws, "inbound"));
    return true;
  }

  /** Closes every link (graceful shutdown). */
  close(): void {
    this.#closed = true;
    for (const peer of this.#peers.values()) {
      clearTimeout(peer.goneTimer);
      for (const socket of peer.sockets) socket.close(1001, "node shutting down");
    }
    this.#peers.clear();
    this.#wss.close();
  }

  /** Drops every link at once (a crashing node, for tests). */
  crash(): void {
    this.#closed = true;
    for (const peer of this.#peers.values()) {
      clearTimeout(peer.goneTimer);
      for (const socket of peer.sockets) socket.terminate();
    }
    this.#peers.clear();
    for (const client of this.#wss.clients) client.terminate();
    this.#wss.close();
  }

  #peer(id: string): Peer {
    let peer = this.#peers.get(id);
    if (!peer) {
      peer = { id, sockets: [], dialing: false, dial: undefined, queue: [], queuedBytes: 0, goneTimer: undefined };
      this.#peers.set(id, peer);
    }
    return peer;
  }

  #dial(peer: Peer): Promise<void> {
    peer.dialing = true;
    peer.dial = this.#dialOnce(peer);
    return peer.dial;
  }

  async #dialOnce(peer: Peer): Promise<void> {
    try {
      const base = await this.#options.resolveLinkUrl(peer.id);
      if (base === undefined) throw new Error("no record of the node in the engine");
      const ts = Date.now();
      const url = new URL(base);
      url.searchParams.set("node", this.#options.nodeId);
      url.searchParams.set("to", peer.id);
      url.searchParams.set("ts", String(ts));
      url.searchParams.set("sig", linkSignature(this.#options.signingKey(), this.#options.nodeId, peer.id, ts));
      const socket = new WebSocket(url, {
        perMessageDeflate: false,
        maxPayload: this.#maxMessageBytes,
        handshakeTimeout: 5000,
        ...(this.#options.ca === undefined ? {} : { ca: this.#options.ca }),
      });
      await new Promise<void>((resolve, reject) => {
        socket.once("open", () => resolve());
        socket.once("error", reject);
        socket.once("unexpected-response", (_request, response) => {
          response.resume();
          socket.terminate();
          reject(new Error(`link upgrade refused with HTTP ${response.statusCode}`));
        });
      });
      if (this.#closed) {
        socket.terminate();
        return;
      }
      this.#adopt(peer, socket, "outbound");
    } catch (error) {
      this.dropped += peer.queue.length;
      peer.queue = [];
      peer.queuedBytes = 0;
      if (this.#closed) return;
      this.#log(`cluster link to ${peer.id} failed: ${error instanceof Error ? error.message : String(error)}`);
      if (peer.sockets.length === 0) {
        this.#startGoneTimer(peer);
        this.#options.onLinkLost(peer.id);
      }
    } finally {
      peer.dialing = false;
      peer.dial = undefined;
    }
  }

  #adopt(peer: Peer, socket: WebSocket, direction: "inbound" | "outbound"): void {
    if (this.#closed) {
      socket.terminate();
      return;
    }
    peer.sockets.push(socket);
    clearTimeout(peer.goneTimer);
    peer.goneTimer = undefined;
    keepAlive(socket, this.#options.pingIntervalMs ?? 10_000);
    this.#log(`cluster link to ${peer.id} open (${direction})`);
    socket.on("message", (data: Buffer, isBinary: boolean) => {
      const message = isBinary ? decodeLinkMessage(data) : undefined;
      if (!message) {
        this.dropped += 1;
        return;
      }
      this.#options.onMessage(peer.id, message);
    });
    socket.on("error", (error) => this.#log(`cluster link to ${peer.id}: ${error.message}`));
    socket.on("close", () => {
      peer.sockets = peer.sockets.filter((candidate) => candidate !== socket);
      if (this.#closed || peer.sockets.length > 0) return;
      this.#log(`cluster link to ${peer.id} closed`);
      this.#startGoneTimer(peer);
      this.#options.onLinkLost(peer.id);
    });
    const queued = peer.queue;
    peer.queue = [];
    peer.queuedBytes = 0;
    const first = peer.sockets[0] as WebSocket;
    for (const bytes of queued) first.send(bytes, { binary: true });
  }

  #startGoneTimer(peer: Peer): void {
    if (peer.goneTimer !== undefined) return;
    peer.goneTimer = setTimeout(() => {
      peer.goneTimer = undefined;
      if (peer.sockets.length > 0 || this.#closed) return;
      this.#options.onPeerGone(peer.id);
    }, this.#options.peerGraceMs ?? 5000);
    peer.goneTimer.unref?.();
  }
}

/** base64url HMAC-SHA256 over `link \n from \n to \n ts`. */
function linkSignature(key: Buffer, from: string, to: string, ts: number): string {
  return createHmac("sha256", key).update(`link\n${from}\n${to}\n${ts}`).digest("base64url");
}
