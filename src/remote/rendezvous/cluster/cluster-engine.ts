import { Redis, type RedisOptions } from "ioredis";

/** Options of {@link ClusterEngine}. */
export interface ClusterEngineOptions {
  /** `redis://[user:password@]host:port[/db]` (or `rediss://` for TLS). */
  url: string;
  /** Key prefix, so several clusters can share one Redis. Default `exec-server`. */
  prefix?: string;
  /** A command that gets no answer in this long fails (the caller treats it as unreachable), in ms. Default 2 000. */
  commandTimeoutMs?: number;
  /** Longest pause between reconnect attempts, in ms. Default 1 000. */
  maxReconnectDelayMs?: number;
  log?: (line: string) => void;
}

/** An executor's attachment as stored in the engine. */
export interface ExecutorLease {
  executorId: string;
  /** Node id holding the executor socket. */
  node: string;
  name: string;
  /** Epoch ms (the attaching node's clock). */
  since: number;
  /** Engine-wide counter of attachments: the highest one is the current socket. */
  epoch: number;
  /** Space `env`: the registration the attached socket belongs to ("" for executors). */
  registrationId: string;
}

/** A node's record (renewed while the node lives). */
export interface NodeRecord {
  id: string;
  /** `ws(s)://.../cluster/link` peers dial. */
  linkUrl: string;
  publicUrl: string;
  startedAt: number;
  executors: number;
  harnessSockets: number;
  streams: number;
}

/**
 * The two id spaces routed by a cluster: seed-era executors (`/cloud/executor/{id}`) and codex 0.169
 * environments (`/cloud/environment/{id}`). The same id in both spaces names two different things.
 */
export type RouteSpace = "exec" | "env";

/** A cluster event on the engine's channel: an executor (or an environment's executor) attached to `node`. */
export interface ExecutorEvent {
  /** `executor` for the `exec` space, `environment` for the `env` space. */
  type: "executor" | "environment";
  executorId: string;
  node: string;
  epoch: number;
}

/** A codex 0.169 environment registration as stored in the engine. */
export interface EnvironmentRecord {
  registrationId: string;
  /** The executor's public key as registered (`executor_public_key` JSON text). */
  executorKeyJson: string;
  /** `publicKeyFingerprint` of that key. */
  executorKeyFingerprint: string;
  /** Node that took the registration. */
  node: string;
}

/** An environment registration and where its executor is attached now. */
export interface EnvironmentLookup extends EnvironmentRecord {
  /** Node holding an executor socket of this environment (any registration), if its node record is alive. */
  attachedNode: string | undefined;
  /** The registration that attached socket belongs to. */
  attachedRegistrationId: string | undefined;
}

/** Outcome of {@link ClusterEngine.registerEnvironment}. */
export type EnvironmentRegistrationResult = { ok: true; registrationId: string } | { ok: false; attachedNode: string };

// Lua scripts run atomically in Redis. Keys are computed from ARGV where a key depends on a value read
// in the script (the owner's node record), which is why the engine must be one Redis (not Redis Cluster).
const CLAIM_EXECUTOR = `
local epoch = redis.call('INCR', KEYS[2])
local name = ARGV[2]
if name == '' then name = redis.call('HGET', KEYS[4], 'name') or '' end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'node', ARGV[1], 'name', name, 'since', ARGV[3], 'epoch', epoch, 'reg', ARGV[7])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
redis.call('PUBLISH', KEYS[3], cjson.encode({type = ARGV[6], executorId = ARGV[5], node = ARGV[1], epoch = epoch}))
return epoch`;

// KEYS: env:{id} (the registration), envexec:{id} (the attached executor). A registration is refused
// while an executor of the environment is attached to a live node (its node record exists), unless
// the caller found that node unreachable (ARGV[6]). The same executor key keeps its registration id.
const REGISTER_ENVIRONMENT = `
local attached = redis.call('HGET', KEYS[2], 'node')
if attached and attached ~= ARGV[6] and redis.call('EXISTS', ARGV[5] .. attached) == 1 then return {0, attached} end
if attached then redis.call('DEL', KEYS[2]) end
local reg = ARGV[1]
local current = redis.call('HMGET', KEYS[1], 'reg', 'fp')
if current[1] and current[2] == ARGV[8] then reg = current[1] end
redis.call('DEL', KEYS[1])
redis.call('HSET', KEYS[1], 'reg', reg, 'key', ARGV[2], 'fp', ARGV[8], 'node', ARGV[3], 'at', ARGV[7])
redis.call('PEXPIRE', KEYS[1], ARGV[4])
return {1, reg}`;

// KEYS: env:{id}, envexec:{id}; ARGV[1] node record prefix. Returns the registration fields and the
// attached executor's node and registration (empty when none, or when its node record expired).
const LOOKUP_ENVIRONMENT = `
local reg = redis.call('HMGET', KEYS[1], 'reg', 'key', 'fp', 'node')
local attached = redis.call('HMGET', KEYS[2], 'node', 'reg')
local node = attached[1] or ''
if node ~= '' and redis.call('EXISTS', ARGV[1] .. node) == 0 then node = '' end
return {reg[1] or '', reg[2] or '', reg[3] or '', reg[4] or '', node, attached[2] or ''}`;

// Re-creates a registration the engine lost (a restart), unless another one was made meanwhile.
const RESTORE_ENVIRONMENT = `
if redis.call('EXISTS', KEYS[1]) == 1 then return 0 end
redis.call('HSET', KEYS[1], 'reg', ARGV[1], 'key', ARGV[2], 'fp', ARGV[3], 'node', ARGV[4], 'at', ARGV[6])
redis.call('PEXPIRE', KEYS[1], ARGV[5])
return 1`;

const RELEASE_IF_NODE = `
if redis.call('HGET', KEYS[1], 'node') == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

const CLAIM_STREAM = `
local owner = redis.call('GET', KEYS[1])
if owner == false or owner == ARGV[1] or redis.call('EXISTS', ARGV[3] .. owner) == 0 then
  redis.call('SET', KEYS[1], ARGV[1], 'PX', ARGV[2])
  return 1
end
return 0`;

const RELEASE_STREAM = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/**
 * The cluster's shared state in Redis, with leases: node records, executor attachments
 * (id → node, name, epoch), last registrations, stream ownership claims and the URL signing secret,
 * plus one pub/sub channel of executor moves. Frames never go through it (nodes link directly).
 *
 * Commands fail fast while Redis is unreachable (no offline queue): callers turn that into a
 * retryable error; the client reconnects on its own and {@link ClusterEngine.onReady} fires again,
 * so callers re-publish what a restarted (empty) Redis lost.
 */
export class ClusterEngine {
  readonly url: string;
  readonly #prefix: string;
  readonly #cmd: Redis;
  readonly #sub: Redis;
  readonly #log: (line: string) => void;
  readonly #readyListeners = new Set<() => void>();
  readonly #eventListeners = new Set<(event: ExecutorEvent) => void>();
  #closed = false;
  #wasReady = false;

  constructor(options: ClusterEngineOptions) {
    this.url = redactUrl(options.url);
    this.#prefix = options.prefix ?? "exec-server";
    this.#log = options.log ?? (() => {});
    const maxDelay = options.maxReconnectDelayMs ?? 1000;
    const common = {
      lazyConnect: true,
      enableOfflineQueue: false,
      maxRetriesPerRequest: 0,
      commandTimeout: options.commandTimeoutMs ?? 2000,
      connectTimeout: options.commandTimeoutMs ?? 2000,
      retryStrategy: (attempt: number) => (this.#closed ? null : Math.min(50 * 2 ** Math.min(attempt, 5), maxDelay)),
      // RESP2 keeps replies as plain arrays/strings on Redis 6 and 7 alike.
      protocol: 2 as const,
    } satisfies RedisOptions;
    this.#cmd = new Redis(options.url, { ...common, connectionName: "exec-server-cluster" });
    // The subscriber connection may queue its SUBSCRIBE until connected (ioredis re-subscribes after reconnects).
    this.#sub = new Redis(options.url, { ...common, enableOfflineQueue: true, connectionName: "exec-server-cluster-sub" });
    for (const [name, script, keys] of [
      ["esClaimExecutor", CLAIM_EXECUTOR, 4],
      ["esReleaseIfNode", RELEASE_IF_NODE, 1],
      ["esClaimStream", CLAIM_STREAM, 1],
      ["esReleaseStream", RELEASE_STREAM, 1],
      ["esRegisterEnvironment", REGISTER_ENVIRONMENT, 2],
      ["esLookupEnvironment", LOOKUP_ENVIRONMENT, 2],
      ["esRestoreEnvironment", RESTORE_ENVIRONMENT, 1],
    ] as const) {
      this.#cmd.defineCommand(name, { lua: script, numberOfKeys: keys });
    }
    this.#cmd.on("ready", () => {
      if (this.#wasReady) this.#log(`cluster engine ${this.url} reachable again`);
      this.#wasReady = true;
      for (const listener of [...this.#readyListeners]) listener();
    });
    this.#cmd.on("error", (error: Error) => this.#log(`cluster engine ${this.url}: ${error.message}`));
    this.#cmd.on("close", () => {
      if (!this.#closed && this.#wasReady) this.#log(`cluster engine ${this.url} connection lost; reconnecting`);
    });
    this.#sub.on("error", () => {
      // Reported once by the command connection; the subscriber reconnects on its own.
    });
    this.#sub.on("message", (_channel: string, message: string) => {
      let event: ExecutorEvent;
      try {
        event = JSON.parse(message) as ExecutorEvent;
      } catch {
        return this.#log("cluster engine: ignored a malformed event");
      }
      if ((event.type !== "executor" && event.type !== "environment") || typeof event.executorId !== "string" || typeof event.node !== "string") return;
      for (const listener of [...this.#eventListeners]) listener(event);
    });
  }

  /** Connects both connections; rejects when Redis cannot be reached now. */
  async connect(): Promise<void> {
    await Promise.all([this.#cmd.connect(), this.#sub.connect()]);
    await this.#sub.subscribe(this.#key("events"));
  }

  /** True while commands can be sent. */
  get ready(): boolean {
    return this.#cmd.status === "ready";
  }

  /** Called after every (re)connect of the command connection. */
  onReady(listener: () => void): () => void {
    this.#readyListeners.add(listener);
    return () => this.#readyListeners.delete(listener);
  }

  /** Executor moves published by any node (including this one). */
  onEvent(listener: (event: ExecutorEvent) => void): () => void {
    this.#eventListeners.add(listener);
    return () => this.#eventListeners.delete(listener);
  }

  /** The cluster's URL signing secret: `candidate` becomes it unless another node set one first. */
  async ensureSecret(candidate: Buffer): Promise<Buffer> {
    const key = this.#key("secret");
    await this.#cmd.set(key, candidate.toString("base64"), "NX");
    const stored = await this.#cmd.get(key);
    if (stored === null) throw new Error("cluster engine lost the signing secret while it was set");
    return Buffer.from(stored, "base64");
  }

  /** Writes (or refreshes) this node's record with a lease of `leaseMs`. */
  async putNode(record: NodeRecord, leaseMs: number): Promise<void> {
    const key = this.#key(`node:${record.id}`);
    await this.#cmd
      .multi()
      .hset(key, { ...record })
      .pexpire(key, leaseMs)
      .exec();
  }

  async removeNode(id: string): Promise<void> {
    await this.#cmd.del(this.#key(`node:${id}`));
  }

  async node(id: string): Promise<NodeRecord | undefined> {
    const fields = await this.#cmd.hgetall(this.#key(`node:${id}`));
    return parseNode(fields);
  }

  async nodes(): Promise<NodeRecord[]> {
    const records = await this.#scanHashes("node:*");
    return records.map(([, fields]) => parseNode(fields)).filter((node): node is NodeRecord => node !== undefined);
  }

  /** Records a registration (informational: who registered where, when) with a lease. */
  async recordRegistration(executorId: string, node: string, name: string, leaseMs: number): Promise<void> {
    const key = this.#key(`reg:${executorId}`);
    await this.#cmd.multi().hset(key, { node, name, at: Date.now() }).pexpire(key, leaseMs).exec();
  }

  /**
   * Makes `node` the owner of an executor (or of an environment's executor socket: space `env`) with a
   * new epoch and tells every node; `name` "" takes the registration's. `registrationId` is stored
   * with an environment's attachment. Resolves to the epoch.
   */
  async claimExecutor(space: RouteSpace, executorId: string, node: string, name: string, leaseMs: number, registrationId = ""): Promise<number> {
    const run = (this.#cmd as unknown as Scripts).esClaimExecutor;
    const registrationKey = space === "exec" ? `reg:${executorId}` : `env:${executorId}`;
    const epoch = await run.call(this.#cmd, this.#leaseKey(space, executorId), this.#key("epoch"), this.#key("events"), this.#key(registrationKey), node, name, Date.now(), leaseMs, executorId, space === "exec" ? "executor" : "environment", registrationId);
    return Number(epoch);
  }

  /** Deletes the executor's attachment if `node` still holds it. */
  async releaseExecutor(space: RouteSpace, executorId: string, node: string): Promise<void> {
    await (this.#cmd as unknown as Scripts).esReleaseIfNode.call(this.#cmd, this.#leaseKey(space, executorId), node);
  }

  async executor(space: RouteSpace, executorId: string): Promise<ExecutorLease | undefined> {
    return parseExecutor(executorId, await this.#cmd.hgetall(this.#leaseKey(space, executorId)));
  }

  async executors(space: RouteSpace = "exec"): Promise<ExecutorLease[]> {
    const prefix = this.#leaseKey(space, "");
    const records = await this.#scanHashes(`${space === "exec" ? "exec" : "envexec"}:*`);
    return records.map(([key, fields]) => parseExecutor(key.slice(prefix.length), fields)).filter((lease): lease is ExecutorLease => lease !== undefined);
  }

  /** Claims a stream for `node`: true when it is free, already ours, or its owner node is gone. */
  async claimStream(space: RouteSpace, executorId: string, streamId: string, node: string, leaseMs: number): Promise<boolean> {
    const result = await (this.#cmd as unknown as Scripts).esClaimStream.call(this.#cmd, this.#streamKey(space, executorId, streamId), node, leaseMs, this.#key("node:"));
    return Number(result) === 1;
  }

  async releaseStream(space: RouteSpace, executorId: string, streamId: string, node: string): Promise<void> {
    await (this.#cmd as unknown as Scripts).esReleaseStream.call(this.#cmd, this.#streamKey(space, executorId, streamId), node);
  }

  /** The node owning a stream, if any. */
  async streamOwner(space: RouteSpace, executorId: string, streamId: string): Promise<string | undefined> {
    return (await this.#cmd.get(this.#streamKey(space, executorId, streamId))) ?? undefined;
  }

  /**
   * Extends the leases of executors attached here and streams owned here by `leaseMs`, in one round
   * trip; with `registrations` (space `env`: environment ids) their registration records get
   * `registrationTtlMs`. Resolves to what was missing (a restarted engine, or an expired lease) so
   * the caller can re-create it.
   */
  async renew(
    space: RouteSpace,
    executorIds: readonly string[],
    streams: readonly (readonly [string, string])[],
    leaseMs: number,
    registrations: { ids: readonly string[]; ttlMs: number } = { ids: [], ttlMs: 0 },
  ): Promise<{ executors: string[]; streams: [string, string][]; registrations: string[] }> {
    const missing = { executors: [] as string[], streams: [] as [string, string][], registrations: [] as string[] };
    if (executorIds.length + streams.length + registrations.ids.length === 0) return missing;
    const pipeline = this.#cmd.pipeline();
    for (const id of executorIds) pipeline.pexpire(this.#leaseKey(space, id), leaseMs);
    for (const [executorId, streamId] of streams) pipeline.pexpire(this.#streamKey(space, executorId, streamId), leaseMs);
    for (const id of registrations.ids) pipeline.pexpire(this.#key(`env:${id}`), registrations.ttlMs);
    const results = (await pipeline.exec()) ?? [];
    results.forEach(([error, value], index) => {
      if (error || Number(value) === 1) return;
      if (index < executorIds.length) missing.executors.push(executorIds[index] as string);
      else if (index < executorIds.length + streams.length) missing.streams.push([...(streams[index - executorIds.length] as readonly [string, string])]);
      else missing.registrations.push(registrations.ids[index - executorIds.length - streams.length] as string);
    });
    return missing;
  }

  /**
   * Records a codex 0.169 registration of `environmentId` unless an executor of the environment is
   * attached to a live node other than `deadNode` (then `{ok: false, attachedNode}`: 503
   * `registration_conflict`). A registration with the key of the current one keeps its id (so the
   * harness key authorizations issued for it stay valid); else `candidateId` becomes current.
   */
  async registerEnvironment(
    environmentId: string,
    candidate: { registrationId: string; executorKeyJson: string; executorKeyFingerprint: string },
    node: string,
    ttlMs: number,
    deadNode = "",
  ): Promise<EnvironmentRegistrationResult> {
    const run = (this.#cmd as unknown as Scripts).esRegisterEnvironment;
    const [ok, value] = (await run.call(
      this.#cmd,
      this.#key(`env:${environmentId}`),
      this.#leaseKey("env", environmentId),
      candidate.registrationId,
      candidate.executorKeyJson,
      node,
      ttlMs,
      this.#key("node:"),
      deadNode,
      Date.now(),
      candidate.executorKeyFingerprint,
    )) as [number, string];
    return Number(ok) === 1 ? { ok: true, registrationId: String(value) } : { ok: false, attachedNode: String(value) };
  }

  /** The current registration of an environment and where its executor is attached; undefined when none is stored. */
  async lookupEnvironment(environmentId: string): Promise<EnvironmentLookup | undefined> {
    const run = (this.#cmd as unknown as Scripts).esLookupEnvironment;
    const [registrationId, executorKeyJson, executorKeyFingerprint, node, attachedNode, attachedRegistrationId] = (await run.call(
      this.#cmd,
      this.#key(`env:${environmentId}`),
      this.#leaseKey("env", environmentId),
      this.#key("node:"),
    )) as string[];
    if (!registrationId) return undefined;
    return {
      registrationId,
      executorKeyJson: executorKeyJson ?? "",
      executorKeyFingerprint: executorKeyFingerprint ?? "",
      node: node ?? "",
      attachedNode: attachedNode || undefined,
      attachedRegistrationId: attachedRegistrationId || undefined,
    };
  }

  /** Writes a registration back after the engine lost it (a restart); no-op when one is stored. True when written. */
  async restoreEnvironment(environmentId: string, record: EnvironmentRecord, ttlMs: number): Promise<boolean> {
    const run = (this.#cmd as unknown as Scripts).esRestoreEnvironment;
    const result = await run.call(this.#cmd, this.#key(`env:${environmentId}`), record.registrationId, record.executorKeyJson, record.executorKeyFingerprint, record.node, ttlMs, Date.now());
    return Number(result) === 1;
  }

  /** Ends both connections (graceful). */
  async close(): Promise<void> {
    this.#closed = true;
    await Promise.allSettled([this.#cmd.quit(), this.#sub.quit()]);
    this.#cmd.disconnect();
    this.#sub.disconnect();
  }

  /** Drops both connections at once without any cleanup (a crashing node, for tests). */
  crash(): void {
    this.#closed = true;
    this.#cmd.disconnect();
    this.#sub.disconnect();
  }

  #key(suffix: string): string {
    return `${this.#prefix}:${suffix}`;
  }

  #leaseKey(space: RouteSpace, executorId: string): string {
    return this.#key(`${space === "exec" ? "exec" : "envexec"}:${executorId}`);
  }

  #streamKey(space: RouteSpace, executorId: string, streamId: string): string {
    return this.#key(`${space === "exec" ? "stream" : "envstream"}:${executorId.length}:${executorId}:${streamId}`);
  }

  async #scanHashes(pattern: string): Promise<[string, Record<string, string>][]> {
    const keys: string[] = [];
    let cursor = "0";
    do {
      const [next, batch] = await this.#cmd.scan(cursor, "MATCH", this.#key(pattern), "COUNT", 1000);
      cursor = next;
      keys.push(...batch);
    } while (cursor !== "0");
    const pipeline = this.#cmd.pipeline();
    for (const key of keys) pipeline.hgetall(key);
    const results = (await pipeline.exec()) ?? [];
    return keys.map((key, index) => [key, (results[index]?.[1] ?? {}) as Record<string, string>]);
  }
}

type Script = (this: Redis, ...args: (string | number)[]) => Promise<unknown>;
interface Scripts {
  esClaimExecutor: Script;
  esReleaseIfNode: Script;
  esClaimStream: Script;
  esReleaseStream: Script;
  esRegisterEnvironment: Script;
  esLookupEnvironment: Script;
  esRestoreEnvironment: Script;
}

function parseNode(fields: Record<string, string>): NodeRecord | undefined {
  if (!fields.id || !fields.linkUrl) return undefined;
  return {
    id: fields.id,
    linkUrl: fields.linkUrl,
    publicUrl: fields.publicUrl ?? "",
    startedAt: Number(fields.startedAt),
    executors: Number(fields.executors ?? 0),
    harnessSockets: Number(fields.harnessSockets ?? 0),
    streams: Number(fields.streams ?? 0),
  };
}

function parseExecutor(executorId: string, fields: Record<string, string>): ExecutorLease | undefined {
  if (!fields.node) return undefined;
  return { executorId, node: fields.node, name: fields.name ?? "", since: Number(fields.since ?? 0), epoch: Number(fields.epoch ?? 0), registrationId: fields.reg ?? "" };
}

/** The URL without its password, for logs and status. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = "***";
    return parsed.toString().replace(/\/$/, "");
  } catch {
    return "(unparsable engine URL)";
  }
}
