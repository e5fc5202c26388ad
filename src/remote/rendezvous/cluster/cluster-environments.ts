import { randomUUID } from "node:crypto";
import { publicKeyFingerprint, type HybridPublicKey, type NoisePublicKeyJson } from "../../../relay/noise/hybrid-keypair.js";
import type { EnvironmentState, EnvironmentStore, RegisterOutcome, StoredRegistration } from "../environment-store.js";
import { RendezvousUnavailableError } from "../rendezvous-backend.js";
import type { RendezvousRouter, RouterSocket } from "../rendezvous-router.js";
import type { ClusterEngine, EnvironmentRecord } from "./cluster-engine.js";
import type { ClusterRouting } from "./cluster-routing.js";
import type { LinkHub } from "./link-hub.js";
import type { SigningKeyRing } from "./signing-key-ring.js";

/** What {@link ClusterEnvironmentStore} works with (the node's engine, links, keys and env-space routing). */
export interface ClusterEnvironmentContext {
  readonly routing: ClusterRouting;
  readonly engine: ClusterEngine;
  readonly hub: LinkHub;
  readonly keys: SigningKeyRing;
  readonly nodeId: string;
  /** How long a registration outlives its executor's last attachment, ms. */
  readonly registrationTtlMs: number;
  readonly log: (line: string) => void;
}

/** Registrations remembered for {@link EnvironmentStore.cached} (tests and logs only). */
const MAX_CACHED = 10_000;

/**
 * The codex 0.169 environment registry's state on a cluster node: registrations
 * (`P:env:{id}`: registration id, executor key, registering node) and executor attachments
 * (`P:envexec:{id}`: node, registration, epoch) live in the engine, URLs and harness key
 * authorizations are HMACs with the cluster's key ring, and environment sockets are routed across
 * nodes like seed-era executors (link kinds 4–6, stream claims under `P:envstream:`). So
 * `/register`, `/connect`, `/validate` and every environment websocket URL work on any node.
 *
 * - `/register` is refused (`registration_conflict`) while an executor of the environment is attached
 *   to a live node; a holder whose link cannot be opened counts as dead (the registration then
 *   proceeds at once instead of waiting for the dead node's lease to expire).
 * - A registration with the key of the current one keeps its registration id: after a node failure
 *   the executor registers again through another node, and the authorizations harnesses got
 *   before (bound to that id) stay valid, so their new streams still pass `/validate`.
 * - A registration lives `registrationTtlMs` past its executor's last attachment; the node holding the
 *   executor keeps it alive and writes it back after an engine restart.
 */
export class ClusterEnvironmentStore implements EnvironmentStore {
  readonly router: RendezvousRouter;
  readonly routing: ClusterRouting;
  readonly registrationTtlMs: number;
  readonly #ctx: ClusterEnvironmentContext;
  /** The last registration seen per environment, with its engine record. */
  readonly #cache = new Map<string, StoredRegistration & { record: EnvironmentRecord }>();
  /** Registrations of the executors attached here (to write back after an engine restart). */
  readonly #attached = new Map<string, EnvironmentRecord>();

  constructor(ctx: ClusterEnvironmentContext) {
    this.#ctx = ctx;
    this.routing = ctx.routing;
    this.router = ctx.routing.router;
    this.registrationTtlMs = ctx.registrationTtlMs;
  }

  keys(): readonly Buffer[] {
    return this.#ctx.keys.keys();
  }

  async register(environmentId: string, executorKey: HybridPublicKey, executorKeyJson: NoisePublicKeyJson): Promise<RegisterOutcome> {
    const { engine, nodeId } = this.#ctx;
    if (!engine.ready) throw this.#unavailable();
    const candidate = { registrationId: `reg-${randomUUID()}`, executorKeyJson: JSON.stringify(executorKeyJson), executorKeyFingerprint: publicKeyFingerprint(executorKey) };
    try {
      let result = await engine.registerEnvironment(environmentId, candidate, nodeId, this.registrationTtlMs);
      if (!result.ok) {
        const holder = result.attachedNode;
        // The holder's record says "attached", but that node may have just died (its lease lingers):
        // a holder we cannot link to, or this node without the socket, does not block the registration.
        const dead = holder === nodeId ? this.routing.localExecutor(environmentId) === undefined : !(await this.#ctx.hub.connect(holder));
        if (dead) {
          this.#ctx.log(`environment ${environmentId}: its executor's node ${holder} is unreachable; registering anyway`);
          result = await engine.registerEnvironment(environmentId, candidate, nodeId, this.registrationTtlMs, holder);
        }
      }
      if (!result.ok) return { ok: false };
      this.#remember(environmentId, executorKeyJson, { ...candidate, registrationId: result.registrationId, node: nodeId });
      return { ok: true, registrationId: result.registrationId };
    } catch (error) {
      if (error instanceof RendezvousUnavailableError) throw error;
      throw this.#unavailable();
    }
  }

  async lookup(environmentId: string): Promise<EnvironmentState | undefined> {
    const { engine, nodeId } = this.#ctx;
    if (!engine.ready) throw this.#unavailable();
    const found = await engine.lookupEnvironment(environmentId).catch(() => {
      throw this.#unavailable();
    });
    if (found === undefined) {
      this.#cache.delete(environmentId);
      return undefined;
    }
    const executorKeyJson = JSON.parse(found.executorKeyJson) as NoisePublicKeyJson;
    this.#remember(environmentId, executorKeyJson, found);
    const attachedHere = this.routing.localExecutor(environmentId)?.registrationId === found.registrationId;
    const attachedElsewhere = found.attachedNode !== undefined && found.attachedNode !== nodeId && found.attachedRegistrationId === found.registrationId;
    return { registrationId: found.registrationId, executorKeyJson, executorAttached: attachedHere || attachedElsewhere };
  }

  cached(environmentId: string): StoredRegistration | undefined {
    const cached = this.#cache.get(environmentId);
    return cached === undefined ? undefined : { registrationId: cached.registrationId, executorKeyJson: cached.executorKeyJson };
  }

  /** Called after the upgrade checked (`lookup`) that `registrationId` is current. */
  attachExecutor(environmentId: string, registrationId: string, socket: RouterSocket): void {
    const record = this.#cache.get(environmentId)?.record;
    if (record?.registrationId === registrationId) this.#attached.set(environmentId, record);
    this.routing.attachExecutor(environmentId, socket, { registrationId });
  }

  detachExecutor(environmentId: string, socket: RouterSocket): void {
    this.routing.detachExecutor(environmentId, socket);
    if (this.routing.localExecutor(environmentId) === undefined) this.#attached.delete(environmentId);
  }

  attachHarness(environmentId: string, socket: RouterSocket): boolean {
    return this.routing.attachHarness(environmentId, socket);
  }

  detachHarness(environmentId: string, socket: RouterSocket): void {
    this.routing.detachHarness(environmentId, socket);
  }

  fromHarness(environmentId: string, socket: RouterSocket, bytes: Uint8Array): void {
    this.routing.fromHarness(environmentId, socket, bytes);
  }

  fromExecutor(environmentId: string, socket: RouterSocket, bytes: Uint8Array): void {
    this.routing.fromExecutor(environmentId, socket, bytes);
  }

  /** Writes back the registrations of executors attached here that the engine lost (a restart). */
  async restore(environmentIds: readonly string[]): Promise<void> {
    for (const environmentId of environmentIds) {
      const record = this.#attached.get(environmentId);
      if (record === undefined || this.routing.localExecutor(environmentId)?.registrationId !== record.registrationId) continue;
      if (await this.#ctx.engine.restoreEnvironment(environmentId, record, this.registrationTtlMs)) {
        this.#ctx.log(`re-created the registration ${record.registrationId} of environment ${environmentId} in the engine`);
      }
    }
  }

  close(): void {
    this.routing.close();
  }

  #remember(environmentId: string, executorKeyJson: NoisePublicKeyJson, found: EnvironmentRecord): void {
    const record: EnvironmentRecord = { registrationId: found.registrationId, executorKeyJson: found.executorKeyJson, executorKeyFingerprint: found.executorKeyFingerprint, node: found.node };
    this.#cache.delete(environmentId);
    this.#cache.set(environmentId, { registrationId: found.registrationId, executorKeyJson, record });
    if (this.#cache.size > MAX_CACHED) this.#cache.delete(this.#cache.keys().next().value as string);
  }

  #unavailable(): RendezvousUnavailableError {
    return new RendezvousUnavailableError("cluster_unavailable", `rendezvous cluster engine ${this.#ctx.engine.url} is unreachable; retry shortly`, 1);
  }
}
