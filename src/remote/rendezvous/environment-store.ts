import { randomUUID } from "node:crypto";
import type { HybridPublicKey, NoisePublicKeyJson } from "../../relay/noise/hybrid-keypair.js";
import { RendezvousRouter, type RendezvousRouterOptions, type RouterSocket } from "./rendezvous-router.js";

/** A codex 0.169 environment registration: its id and the executor's Noise public key. */
export interface StoredRegistration {
  registrationId: string;
  executorKeyJson: NoisePublicKeyJson;
}

/** The current registration of an environment, and whether its executor is connected. */
export interface EnvironmentState extends StoredRegistration {
  /** An executor socket of this registration is attached (to this process, or to any live cluster node). */
  executorAttached: boolean;
}

/** Outcome of {@link EnvironmentStore.register}: the registration id, or a conflict (an executor of the environment is connected). */
export type RegisterOutcome = { ok: true; registrationId: string } | { ok: false };

/**
 * Where the codex 0.169 environment registry keeps its state and routes its sockets. The single
 * process uses {@link LocalEnvironmentStore} (memory, one router); a cluster node keeps registrations
 * and attachments in the cluster engine and routes across nodes (`cluster/cluster-environments.ts`).
 * Async methods may reject with `RendezvousUnavailableError` (answered 503 with `retry-after`).
 */
export interface EnvironmentStore {
  /** The router of this process's environment sockets (counters, tests). */
  readonly router: RendezvousRouter;
  /** HMAC keys for URLs and authorizations, current first: sign with the first, accept any. */
  keys(): readonly Buffer[];
  /** Makes a registration current unless an executor of the environment is connected (`{ok: false}`). */
  register(environmentId: string, executorKey: HybridPublicKey, executorKeyJson: NoisePublicKeyJson): Promise<RegisterOutcome>;
  /** The current registration; undefined when the environment is not registered. */
  lookup(environmentId: string): Promise<EnvironmentState | undefined>;
  /** The last registration this process saw for the environment (synchronous; tests and logs). */
  cached(environmentId: string): StoredRegistration | undefined;
  attachExecutor(environmentId: string, registrationId: string, socket: RouterSocket): void;
  detachExecutor(environmentId: string, socket: RouterSocket): void;
  attachHarness(environmentId: string, socket: RouterSocket): boolean;
  detachHarness(environmentId: string, socket: RouterSocket): void;
  fromHarness(environmentId: string, socket: RouterSocket, bytes: Uint8Array): void;
  fromExecutor(environmentId: string, socket: RouterSocket, bytes: Uint8Array): void;
  close(): void;
}

/** The single-process store: registrations and attached executors in memory, one router, one key. */
export class LocalEnvironmentStore implements EnvironmentStore {
  readonly router: RendezvousRouter;
  readonly #secret: Buffer;
  readonly #registrations = new Map<string, StoredRegistration>();
  /** Environment id → the executor socket currently attached and its registration. */
  readonly #live = new Map<string, { registrationId: string; socket: RouterSocket }>();

  constructor(secret: Buffer, routerOptions: RendezvousRouterOptions) {
    this.#secret = secret;
    this.router = new RendezvousRouter(routerOptions);
  }

  keys(): readonly Buffer[] {
    return [this.#secret];
  }

  async register(environmentId: string, _executorKey: HybridPublicKey, executorKeyJson: NoisePublicKeyJson): Promise<RegisterOutcome> {
    if (this.#live.has(environmentId)) return { ok: false };
    const registrationId = `reg-${randomUUID()}`;
    this.#registrations.set(environmentId, { registrationId, executorKeyJson });
    return { ok: true, registrationId };
  }

  async lookup(environmentId: string): Promise<EnvironmentState | undefined> {
    const registration = this.#registrations.get(environmentId);
    if (registration === undefined) return undefined;
    return { ...registration, executorAttached: this.#live.get(environmentId)?.registrationId === registration.registrationId };
  }

  cached(environmentId: string): StoredRegistration | undefined {
    return this.#registrations.get(environmentId);
  }

  attachExecutor(environmentId: string, registrationId: string, socket: RouterSocket): void {
    this.#live.set(environmentId, { registrationId, socket });
    this.router.attachExecutor(environmentId, socket);
  }

  detachExecutor(environmentId: string, socket: RouterSocket): void {
    if (this.#live.get(environmentId)?.socket === socket) this.#live.delete(environmentId);
    this.router.detachExecutor(environmentId, socket);
  }

  attachHarness(environmentId: string, socket: RouterSocket): boolean {
    return this.router.attachHarness(environmentId, socket);
  }

  detachHarness(environmentId: string, socket: RouterSocket): void {
    this.router.detachHarness(environmentId, socket);
  }

  fromHarness(environmentId: string, socket: RouterSocket, bytes: Uint8Array): void {
    this.router.fromHarness(environmentId, socket, bytes);
  }

  fromExecutor(environmentId: string, socket: RouterSocket, bytes: Uint8Array): void {
    this.router.fromExecutor(environmentId, socket, bytes);
  }

  close(): void {
    this.router.close();
  }
}
