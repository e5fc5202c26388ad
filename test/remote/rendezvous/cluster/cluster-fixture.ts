/** Shared pieces of the cluster tests: nodes, executors, harness sessions and a seq-checked process. */
import { spawn, type ChildProcess } from "node:child_process";
import { join } from "node:path";
import assert from "node:assert/strict";
import { after, before } from "node:test";
import { createInterface } from "node:readline";
import { dataFrame, decodeFrame, encodeFrame } from "../../../../src/relay/frame-codec.js";
import { createExecServerClient, type ExecServerClient } from "../../../../generated/openrpc/client.js";
import { HarnessConnection } from "../../../../src/remote/harness-connection.js";
import { NoiseHarnessConnection } from "../../../../src/remote/noise-harness-connection.js";
import { NoiseRemoteExecutor } from "../../../../src/remote/noise-remote-executor.js";
import { RemoteExecutor, RemoteExecutorConfig } from "../../../../src/remote/remote-executor.js";
import { startClusterRendezvous, type ClusterRendezvous } from "../../../../src/remote/rendezvous/cluster/cluster-rendezvous.js";
import type { RelayStream } from "../../../../src/relay/relay-stream.js";
import type { NoiseRelayStream } from "../../../../src/relay/noise/noise-relay-stream.js";
import { staticToken } from "../../../../src/remote/bearer-token-source.js";
import { ExecServer } from "../../../../src/server/exec-server.js";
import type { RawFrameSocket } from "../../../helpers/raw-frame-socket.js";
import { startTestRedis, type TestRedis } from "../../../helpers/redis-server.js";
import { waitUntil } from "../../../helpers/wait.js";

export const TOKEN = "cluster-test-token";
const ROOT = join(import.meta.dirname, "..", "..", "..", "..");

/** Node options the tests use: short leases and graces so failures show quickly. */
export async function startNode(engineUrl: string, options: { port?: number; log?: (line: string) => void; executorGraceMs?: number } = {}): Promise<ClusterRendezvous> {
  return startClusterRendezvous({
    registryTokens: [TOKEN],
    executorGraceMs: options.executorGraceMs ?? 20_000,
    ...(options.port === undefined ? {} : { port: options.port }),
    ...(options.log ? { log: options.log } : {}),
    cluster: { url: engineUrl, leaseMs: 3000, peerGraceMs: 1000, maxReconnectDelayMs: 200 },
  });
}

/** A node in its own process (`exec-server rendezvous --cluster`), so killing it closes its sockets as a crash does. */
export interface ChildNode {
  readonly baseUrl: string;
  readonly child: ChildProcess;
  kill(): Promise<void>;
}

export async function startChildNode(engineUrl: string, extraArgs: readonly string[] = []): Promise<ChildNode> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(ROOT, "src", "cli.ts"), "rendezvous", "--listen", "http://127.0.0.1:0", "--cluster", engineUrl, "--cluster-lease-ms", "3000", "--cluster-peer-grace-ms", "1000", "--executor-grace-ms", "20000", "--quiet", ...extraArgs],
    { cwd: ROOT, env: { ...process.env, EXEC_SERVER_RENDEZVOUS_TOKEN: TOKEN }, stdio: ["ignore", "pipe", "inherit"] },
  );
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  const baseUrl = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error("child rendezvous node printed no URL within 30 s")), 30_000);
    createInterface({ input: child.stdout as NodeJS.ReadableStream }).once("line", (line) => {
      clearTimeout(timer);
      resolve(line.trim());
    });
    child.once("exit", (code) => reject(new Error(`child rendezvous node exited with ${code}`)));
  });
  return {
    baseUrl,
    child,
    async kill() {
      if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
      await exited;
    },
  };
}

/** Asks a node for a harness URL through its HTTP endpoint. */
export async function harnessUrl(baseUrl: string, executorId: string): Promise<string> {
  const response = await fetch(`${baseUrl}/cloud/executor/${encodeURIComponent(executorId)}/harness`, { method: "POST", headers: { authorization: `Bearer ${TOKEN}` } });
  if (response.status !== 200) throw new Error(`harness URL: HTTP ${response.status}`);
  return ((await response.json()) as { url: string }).url;
}

/** An executor (in this process) that knows every node's base URL. */
export async function startExecutor(executorId: string, baseUrls: readonly string[], log?: (line: string) => void): Promise<RunningExecutor<RemoteExecutor>> {
  const server = new ExecServer({ processes: { terminateGraceMs: 300 } });
  const executor = new RemoteExecutor({
    config: new RemoteExecutorConfig(baseUrls[0] as string, executorId, staticToken(TOKEN), `name-of-${executorId}`, baseUrls.slice(1)),
    server,
    backoff: { initialMs: 50, maxMs: 200 },
    ...(log ? { log } : {}),
  });
  return runExecutor(executor, server);
}

/** One harness stream with a typed client and a tap recording every response id it delivered. */
export interface Session {
  readonly client: ExecServerClient;
  readonly stream: RelayStream | NoiseRelayStream;
  /** Response ids in delivery order (a duplicate or a reordering shows here). */
  readonly responseIds: number[];
}

export async function openSession(harness: Pick<HarnessConnection, "openStream"> | { openStream(): NoiseRelayStream }, name: string, timeoutMs = 20_000): Promise<Session> {
  const stream = harness.openStream();
  const responseIds: number[] = [];
  stream.onMessage((text) => {
    const message = JSON.parse(text) as { id?: unknown; method?: unknown };
    if (typeof message.id === "number" && message.method === undefined) responseIds.push(message.id);
  });
  const client = createExecServerClient(stream, { timeoutMs });
  await client.initialize({ clientName: name });
  client.notifyInitialized();
  return { client, stream, responseIds };
}

/** A session and the token its ticker's lines carry. */
export interface NamedSession {
  readonly session: Session;
  readonly token: string;
}

/** Opens `perHarness` sessions on every harness: session `${prefix}${h}-s${i}`, token `${prefix}${h}s${i}`. */
export function openSessions(harnesses: readonly Parameters<typeof openSession>[0][], perHarness: number, prefix: string): Promise<NamedSession[]> {
  return Promise.all(
    harnesses.flatMap((harness, h) => Array.from({ length: perHarness }, (_, i) => openSession(harness, `${prefix}${h}-s${i}`).then((session) => ({ session, token: `${prefix}${h}s${i}` })))),
  );
}

/** Output of one process as seen through notifications, with every seq. */
export interface Ticker {
  readonly lines: () => string[];
  readonly seqs: number[];
  readonly exits: number[];
  readonly closed: Promise<number>;
}

/** Starts `count` lines `token-i` (one every `sleepS` seconds) and records output, exit and close seqs. */
export async function startTicker(client: ExecServerClient, processId: string, token: string, count: number, sleepS = 0.01): Promise<Ticker> {
  const chunks: string[] = [];
  const seqs: number[] = [];
  const exits: number[] = [];
  client.on("process/output", (event) => {
    if (event.processId !== processId) return;
    seqs.push(event.seq);
    chunks.push(Buffer.from(event.chunk, "base64").toString());
  });
  client.on("process/exited", (event) => {
    if (event.processId === processId) exits.push(event.seq);
  });
  const closed = new Promise<number>((resolve) =>
    client.on("process/closed", (event) => {
      if (event.processId === processId) resolve(event.seq);
    }),
  );
  await client.process.start({
    processId,
    argv: ["sh", "-c", `i=1; while [ $i -le ${count} ]; do echo ${token}-$i; i=$((i+1)); sleep ${sleepS}; done`],
    cwd: "/",
    env: {},
    tty: false,
  });
  return { lines: () => chunks.join("").split("\n").filter(Boolean), seqs, exits, closed };
}

/** Checks a finished ticker: every line once and in order, only its own token, seqs strictly increasing, one exit. */
export function tickerProblems(ticker: Ticker, token: string, count: number, closedSeq: number): string[] {
  const problems: string[] = [];
  const expected = Array.from({ length: count }, (_, i) => `${token}-${i + 1}`);
  const lines = ticker.lines();
  if (lines.join("\n") !== expected.join("\n")) {
    const foreign = lines.filter((line) => !line.startsWith(`${token}-`));
    problems.push(`${token}: ${lines.length} lines, expected ${count}${foreign.length ? `; foreign lines ${foreign.slice(0, 3).join(",")}` : ""}`);
  }
  for (let i = 1; i < ticker.seqs.length; i += 1) {
    if ((ticker.seqs[i] as number) <= (ticker.seqs[i - 1] as number)) {
      problems.push(`${token}: seq ${ticker.seqs[i]} after ${ticker.seqs[i - 1]}`);
      break;
    }
  }
  if (ticker.exits.length !== 1) problems.push(`${token}: ${ticker.exits.length} exits`);
  if (!(closedSeq > (ticker.exits[0] ?? Infinity))) problems.push(`${token}: closed seq ${closedSeq} not after exit`);
  return problems;
}

/** Response ids that were delivered more than once or out of request order. */
export function responseProblems(session: Session, label: string): string[] {
  const problems: string[] = [];
  const seen = new Set<number>();
  for (const id of session.responseIds) {
    if (seen.has(id)) problems.push(`${label}: response ${id} delivered twice`);
    seen.add(id);
  }
  return problems;
}

/** A session's ticker once its process closed (`closedSeq`: the seq of `process/closed`). */
export interface FinishedRun extends NamedSession {
  readonly ticker: Ticker;
  readonly closedSeq: number;
}

/** Problems of finished tickers of `count` lines each: their lines and seqs, and their sessions' responses. */
export function runProblems(runs: readonly FinishedRun[], count: number): string[] {
  return runs.flatMap(({ session, token, ticker, closedSeq }) => [...tickerProblems(ticker, token, count, closedSeq), ...responseProblems(session, token)]);
}

/** A ticker of {@link startTickers} on its session. */
export interface TickerRun extends NamedSession {
  readonly ticker: Ticker;
}

/** Starts a ticker of `count` lines (one every 20 ms) on every session and waits until each has printed 10. */
export async function startTickers(sessions: readonly NamedSession[], count: number): Promise<TickerRun[]> {
  const runs = await Promise.all(sessions.map(async ({ session, token }) => ({ session, token, ticker: await startTicker(session.client, "tick", token, count, 0.02) })));
  await waitUntil(() => runs.every(({ ticker }) => ticker.lines().length >= 10), 15_000, "10 lines on every stream");
  return runs;
}

/** Waits for every ticker to close and returns their problems (see {@link runProblems}). */
export async function finishTickers(runs: readonly TickerRun[], count: number): Promise<string[]> {
  return runProblems(await Promise.all(runs.map(async (run) => ({ ...run, closedSeq: await run.ticker.closed }))), count);
}

/** GET /status with the registry token. */
export async function status(baseUrl: string): Promise<{ nodes: { id: string }[]; executors: { id: string; node: string; name: string }[]; streams: number; node: string; engine: { connected: boolean } }> {
  const response = await fetch(`${baseUrl}/status`, { headers: { authorization: `Bearer ${TOKEN}` } });
  if (response.status !== 200) throw new Error(`status: HTTP ${response.status}`);
  return (await response.json()) as never;
}

/** A started executor loop, its server, and a stop that ends both. */
export interface RunningExecutor<E> {
  readonly executor: E;
  readonly server: ExecServer;
  stop(): Promise<void>;
}

/** Runs `executor`'s loop (a fatal error surfaces through its state) until `stop`. */
function runExecutor<E extends { run(): Promise<void>; stop(): void }>(executor: E, server: ExecServer): RunningExecutor<E> {
  const running = executor.run();
  running.catch(() => undefined);
  return {
    executor,
    server,
    async stop() {
      executor.stop();
      await running.catch(() => undefined);
      await server.shutdown();
    },
  };
}

/** Cleanups a test pushes; they run in reverse. */
export type Cleanups = Array<() => Promise<void> | void>;

/** Registers an `after` hook of the enclosing file or `describe` that runs the returned cleanups in reverse. */
export function useCleanups(): Cleanups {
  const cleanups: Cleanups = [];
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
  });
  return cleanups;
}

/**
 * A real Redis, node 1 in its own process (for the test to kill) and nodes 2 and 3 in this one, their
 * log lines in `nodeLog`; `cleanups` stop them all.
 */
export async function startKillableCluster(cleanups: Cleanups): Promise<{ node1: ChildNode; n2: ClusterRendezvous; n3: ClusterRendezvous; nodeLog: string[] }> {
  const redis = await startTestRedis();
  cleanups.push(() => redis.stop());
  const node1 = await startChildNode(redis.url);
  cleanups.push(() => node1.kill());
  const nodeLog: string[] = [];
  const n2 = await startNode(redis.url, { log: (line) => nodeLog.push(line) });
  const n3 = await startNode(redis.url, { log: (line) => nodeLog.push(line) });
  cleanups.push(() => n2.close(), () => n3.close());
  return { node1, n2, n3, nodeLog };
}

/**
 * Registers `before`/`after` hooks of the enclosing `describe` for a real Redis and three nodes on it;
 * cleanups pushed by the tests run (in reverse) before the nodes close.
 */
export function useThreeNodeCluster(): { readonly nodes: [ClusterRendezvous, ClusterRendezvous, ClusterRendezvous]; readonly cleanups: Cleanups } {
  let redis: TestRedis | undefined;
  let nodes: ClusterRendezvous[] = [];
  const cleanups: Cleanups = [];
  before(async () => {
    redis = await startTestRedis();
    nodes = [await startNode(redis.url), await startNode(redis.url), await startNode(redis.url)];
  });
  after(async () => {
    for (const cleanup of cleanups.reverse()) await cleanup();
    for (const node of nodes) await node.close();
    await redis?.stop();
  });
  return {
    get nodes() {
      return nodes as [ClusterRendezvous, ClusterRendezvous, ClusterRendezvous];
    },
    cleanups,
  };
}

/** Our codex-0.169-style executor (Noise) in this process, knowing every node's base URL. */
export async function startNoiseExecutor(environmentId: string, baseUrls: readonly string[], log?: (line: string) => void): Promise<RunningExecutor<NoiseRemoteExecutor>> {
  const server = new ExecServer({ processes: { terminateGraceMs: 300 } });
  const executor = new NoiseRemoteExecutor({
    baseUrl: baseUrls[0] as string,
    alternateBaseUrls: baseUrls.slice(1),
    environmentId,
    token: staticToken(TOKEN),
    server,
    backoff: { initialMs: 50, maxMs: 200 },
    ...(log ? { log } : {}),
  });
  return runExecutor(executor, server);
}

/** Our Noise harness through one node (`/connect` there, the harness websocket there). */
export function noiseHarness(baseUrl: string, environmentId: string, log?: (line: string) => void): Promise<NoiseHarnessConnection> {
  return NoiseHarnessConnection.connect({
    registry: { baseUrl, environmentId, token: TOKEN },
    backoff: { initialMs: 50, maxMs: 200 },
    connectTimeoutMs: 20_000,
    ...(log ? { log } : {}),
  });
}

/** POST a JSON body to a codex 0.169 registry endpoint of a node. */
export async function postEnvironment(baseUrl: string, environmentId: string, action: "register" | "connect" | "validate", body: unknown): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${baseUrl}/cloud/environment/${encodeURIComponent(environmentId)}/${action}`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${TOKEN}`, "x-codex-noise-stream-id": "test-stream" },
    body: JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

/** A data frame with a UTF-8 payload (routing only reads the envelope). */
const data = (streamId: string, payload: string) => encodeFrame(dataFrame(streamId, { seq: 0, payload: new TextEncoder().encode(payload) }));

/** `stream:payload` of a data frame (or `stream:kind`). */
function text(bytes: Uint8Array): string {
  const frame = decodeFrame(bytes);
  return `${frame.streamId}:${frame.body.case === "data" ? new TextDecoder().decode(frame.body.value.payload) : frame.body.case}`;
}

/**
 * Checks that a stream belongs to the harness that opened it: `owner` and `intruder` are raw harness
 * sockets on two nodes, `executor` the executor's. Frames the intruder sends on the owner's stream
 * never reach the executor (`droppedFrames` of the intruder's node counts them), its own stream works,
 * and each reply reaches only the harness whose stream it is on.
 */
export async function assertStreamOwnership(executor: RawFrameSocket, owner: RawFrameSocket, intruder: RawFrameSocket, droppedFrames: () => number): Promise<void> {
  owner.socket.send(data("owned", "from-owner"));
  assert.equal(text(await executor.next()), "owned:from-owner");
  intruder.socket.send(data("owned", "injected"));
  intruder.socket.send(data("intruder-own", "legit"));
  assert.equal(text(await executor.next()), "intruder-own:legit");
  // Everything the owner sends after the attempt still arrives, and the injected frame never does.
  owner.socket.send(data("owned", "second"));
  assert.equal(text(await executor.next()), "owned:second");
  assert.equal(executor.frames.length, 0, "the injected frame never reached the executor");
  assert.ok(droppedFrames() >= 1, "the intruder's node dropped the injected frame");

  executor.socket.send(data("owned", "reply"));
  assert.equal(text(await owner.next()), "owned:reply");
  executor.socket.send(data("intruder-own", "reply-2"));
  assert.equal(text(await intruder.next()), "intruder-own:reply-2");
  assert.equal(owner.frames.length, 0);
  assert.equal(intruder.frames.length, 0, "the intruder never saw the owner's reply");
}
