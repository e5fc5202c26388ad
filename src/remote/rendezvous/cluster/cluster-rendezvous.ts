import { randomBytes } from "node:crypto";
import { DEFAULT_URL_TTL_MS, startRendezvous, type Rendezvous, type RendezvousOptions } from "../rendezvous-server.js";
import { ClusterEngine, type ClusterEngineOptions } from "./cluster-engine.js";
import { ClusterNode, type ClusterNodeOptions } from "./cluster-node.js";

/** Options of {@link startClusterRendezvous}: the rendezvous's own plus the cluster's. */
export interface ClusterRendezvousOptions extends Omit<RendezvousOptions, "backend"> {
  cluster: ClusterNodeOptions & Pick<ClusterEngineOptions, "url" | "prefix" | "commandTimeoutMs" | "maxReconnectDelayMs">;
}

/** A running cluster node. */
export interface ClusterRendezvous extends Rendezvous {
  readonly node: ClusterNode;
  /** Drops every socket and the engine connection with no goodbye (tests: an in-process crash). */
  crash(): Promise<void>;
}

/**
 * Starts one rendezvous node of a cluster (`exec-server rendezvous --cluster URL`): connects to the
 * engine (rejects when it cannot be reached now), agrees on the cluster's signing secret
 * (`signingSecret` if given and none is stored yet, else a random one; the first node's wins), then
 * serves like the single-process rendezvous.
 */
export async function startClusterRendezvous(options: ClusterRendezvousOptions): Promise<ClusterRendezvous> {
  const { cluster } = options;
  const log = cluster.log ?? options.log;
  const engine = new ClusterEngine({
    url: cluster.url,
    ...(cluster.prefix === undefined ? {} : { prefix: cluster.prefix }),
    ...(cluster.commandTimeoutMs === undefined ? {} : { commandTimeoutMs: cluster.commandTimeoutMs }),
    ...(cluster.maxReconnectDelayMs === undefined ? {} : { maxReconnectDelayMs: cluster.maxReconnectDelayMs }),
    ...(log ? { log } : {}),
  });
  let secret: Buffer;
  try {
    await engine.connect();
    secret = await engine.ensureSecret(options.signingSecret ?? randomBytes(32));
  } catch (error) {
    engine.crash();
    throw new Error(`cannot reach the cluster engine ${engine.url}: ${error instanceof Error ? error.message : String(error)}`);
  }
  let node: ClusterNode | undefined;
  const rendezvous = await startRendezvous({
    ...options,
    backend: (routerOptions) => {
      node = new ClusterNode(engine, secret, routerOptions, {
        ...(options.maxMessageBytes === undefined ? {} : { maxLinkMessageBytes: options.maxMessageBytes + 64 * 1024 }),
        registrationTtlMs: options.urlTtlMs ?? DEFAULT_URL_TTL_MS,
        ...cluster,
        ...(log ? { log } : {}),
      });
      return node;
    },
  });
  const started = node as unknown as ClusterNode;
  return {
    ...rendezvous,
    node: started,
    async crash() {
      started.crash();
      await rendezvous.close();
    },
  };
}
