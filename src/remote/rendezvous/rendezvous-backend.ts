import type { IncomingMessage } from "node:http";
import type { Duplex } from "node:stream";
import type { EnvironmentStore } from "./environment-store.js";
import { RendezvousRouter, type RendezvousRouterOptions, type RouterSocket } from "./rendezvous-router.js";
import type { SignedClaims, UrlSigner } from "./url-signer.js";

/** Why {@link RendezvousBackend.register} refused: a retryable condition, answered with HTTP 503. */
export class RendezvousUnavailableError extends Error {
  override readonly name = "RendezvousUnavailableError";
  constructor(
    /** Error code in the `{error: {code, message}}` body. */
    readonly code: string,
    message: string,
    /** Seconds for the `retry-after` header. */
    readonly retryAfterSeconds = 1,
  ) {
    super(message);
  }
}

/** What `/readyz` reports. */
export interface Readiness {
  ready: boolean;
  /** Why not ready (or what the backend depends on), for the response body. */
  detail?: string;
}

/** Where a started rendezvous can be reached. */
export interface RendezvousAddresses {
  /** The base URL put in issued URLs (`--public-url`, else the bound address). */
  publicBaseUrl: string;
  /** `http(s)://IP:PORT` actually bound. */
  boundBaseUrl: string;
}

/**
 * What the rendezvous HTTP/websocket front end needs from the layer behind it: URL signing,
 * registration, readiness, status and frame routing between sockets. The single-process rendezvous
 * is {@link LocalBackend} (an in-memory router and one signing key); a cluster node
 * (`cluster/cluster-node.ts`) satisfies the same interface with shared state in an engine.
 */
export interface RendezvousBackend {
  /** The router of this process (for counters and tests). */
  readonly router: RendezvousRouter;
  /** Signs an issued websocket URL. */
  sign(base: string, claims: SignedClaims): string;
  /** Verifies a websocket request's path and query. */
  verify(pathAndQuery: string, nowMs: number): ReturnType<UrlSigner["verify"]>;
  /** Records an executor registration; rejects with {@link RendezvousUnavailableError} when it cannot now. */
  register(executorId: string, name: string | undefined): Promise<void>;
  readiness(): Readiness;
  /** Called once the listener is bound. */
  start?(addresses: RendezvousAddresses): Promise<void>;
  /**
   * Where the codex 0.169 environment registry keeps its state and routes (called once, before
   * `start`). Default (absent): the registry's own in-memory store with the process's secret.
   */
  environmentStore?(routerOptions: RendezvousRouterOptions): EnvironmentStore;
  /** Extra websocket routes (cluster links); true when the request was taken. */
  upgrade?(request: IncomingMessage, socket: Duplex, head: Buffer): boolean;
  attachExecutor(executorId: string, socket: RouterSocket): void;
  detachExecutor(executorId: string, socket: RouterSocket): void;
  attachHarness(executorId: string, socket: RouterSocket): boolean;
  detachHarness(executorId: string, socket: RouterSocket): void;
  fromHarness(executorId: string, socket: RouterSocket, bytes: Uint8Array): void;
  fromExecutor(executorId: string, socket: RouterSocket, bytes: Uint8Array): void;
  /** JSON for `GET /status`: nodes, executors and streams. */
  status(): Promise<unknown>;
  close(): Promise<void>;
}

/** The embedded single-process backend: one router in memory and one signing key. */
export class LocalBackend implements RendezvousBackend {
  readonly router: RendezvousRouter;

  constructor(
    options: RendezvousRouterOptions,
    private readonly signer: UrlSigner,
  ) {
    this.router = new RendezvousRouter(options);
  }

  sign(base: string, claims: SignedClaims): string {
    return this.signer.sign(base, claims);
  }

  verify(pathAndQuery: string, nowMs: number): ReturnType<UrlSigner["verify"]> {
    return this.signer.verify(pathAndQuery, nowMs);
  }

  async register(): Promise<void> {}

  readiness(): Readiness {
    return { ready: true };
  }

  attachExecutor(executorId: string, socket: RouterSocket): void {
    this.router.attachExecutor(executorId, socket);
  }

  detachExecutor(executorId: string, socket: RouterSocket): void {
    this.router.detachExecutor(executorId, socket);
  }

  attachHarness(executorId: string, socket: RouterSocket): boolean {
    return this.router.attachHarness(executorId, socket);
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
    const snapshot = this.router.snapshot();
    return { mode: "single", executors: snapshot.executors.sort(), waiting: snapshot.waiting.sort(), harnessSockets: snapshot.harnessSockets, streams: snapshot.streams };
  }

  async close(): Promise<void> {
    this.router.close();
  }
}
