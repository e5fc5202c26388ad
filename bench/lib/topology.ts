/**
 * The three paths every comparison uses, each with the servers in child processes and the client in
 * the bench process: `direct` (client → exec-server), `relay` (harness → rendezvous → executor, three
 * processes) and `raw` (client → bare `ws` server, the floor).
 */
import { randomUUID } from "node:crypto";
import { WebSocket } from "ws";
import { createExecServerClient, type ExecServerClient } from "../../generated/openrpc/client.js";
import { connectExecServer } from "../../src/client/connect.js";
import { HarnessConnection } from "../../src/remote/harness-connection.js";
import { NoiseHarnessConnection } from "../../src/remote/noise-harness-connection.js";
import type { RelayEndpointOptions } from "../../src/relay/relay-options.js";
import type { MessageTransport } from "../../src/rpc/message-transport.js";
import type { ChaosOptions } from "../../src/remote/rendezvous/frame-chaos.js";
import { launchChild, type BenchChild } from "./child.js";
import { detectDialect, rawCaller, type Dialect, type RawCall } from "./dialect.js";
import { RUST_LABEL, startRustServer } from "./rust-peer.js";

const TOKEN = "bench-token";

/** A client plus the transport under it. */
export interface BenchClient {
  readonly client: ExecServerClient;
  readonly transport: MessageTransport;
  close(): void;
}

/** Initializes a fresh client (initialize + initialized). */
export async function initialize(client: ExecServerClient, name = "bench"): Promise<void> {
  await client.initialize({ clientName: name });
  client.notifyInitialized();
}

/** The exec-server in a child process. */
export interface DirectPath {
  readonly url: string;
  readonly server: BenchChild;
  connect(timeoutMs?: number): Promise<BenchClient>;
  stop(): Promise<void>;
}

export async function startDirect(): Promise<DirectPath> {
  const server = await launchChild("exec-server");
  const url = String(server.info.url);
  return {
    url,
    server,
    async connect(timeoutMs = 120_000) {
      const connected = await connectExecServer(url, { client: { timeoutMs } });
      await initialize(connected.client);
      return connected;
    },
    stop: () => server.stop(),
  };
}

/** Label of our exec-server (direct websocket) in tables. */
export const OURS_LABEL = "exec-server";

/** An initialized client of one peer (ours or the Rust original) and the dialect it speaks. */
export interface PeerClient extends BenchClient {
  /** {@link OURS_LABEL} or {@link RUST_LABEL}. */
  readonly label: string;
  readonly dialect: Dialect;
  /** Any method by name on the same client core (for methods our typed client does not list). */
  readonly call: RawCall;
}

/** A server the bench drives over a plain websocket with the same client, whichever it is. */
export interface PeerServer {
  readonly label: string;
  readonly url: string;
  /** Connects, initializes and detects the dialect (see `dialect.ts`). */
  connect(timeoutMs?: number): Promise<PeerClient>;
  stop(): Promise<void>;
}

/** Detects the dialect of an initialized client (direct or relay stream) and wraps it as a {@link PeerClient}. */
export async function withDialect(label: string, client: BenchClient): Promise<PeerClient> {
  const call = rawCaller(client.client.core);
  const dialect = await detectDialect(call);
  return { client: client.client, transport: client.transport, close: () => client.close(), label, dialect, call };
}

async function connectPeer(label: string, url: string, timeoutMs: number): Promise<PeerClient> {
  const connected = await connectExecServer(url, { client: { timeoutMs } });
  await initialize(connected.client);
  return withDialect(label, connected);
}

/** Our exec-server in a bench child, as a {@link PeerServer}. */
export async function startOurs(): Promise<PeerServer> {
  const direct = await startDirect();
  return { label: OURS_LABEL, url: direct.url, connect: (timeoutMs = 120_000) => connectPeer(OURS_LABEL, direct.url, timeoutMs), stop: direct.stop };
}

/** The Rust original (`codex exec-server`), as a {@link PeerServer}. */
export async function startRust(peer: { binary: string }): Promise<PeerServer> {
  const server = await startRustServer(peer);
  return { label: RUST_LABEL, url: server.url, connect: (timeoutMs = 120_000) => connectPeer(RUST_LABEL, server.url, timeoutMs), stop: server.stop };
}

/** Options of {@link startRelay}. */
export interface RelayPathOptions {
  chaos?: ChaosOptions;
  /** Streams per socket on both relay sides and the rendezvous. Default 128. */
  maxStreams?: number;
  endpoint?: Partial<RelayEndpointOptions>;
  /** Start the executor with `--expose-gc` (memory per stream). */
  exposeGc?: boolean;
}

/** Rendezvous and executor in two child processes; harness sockets are opened in the bench process. */
export interface RelayPath {
  readonly rendezvous: BenchChild;
  readonly executor: BenchChild;
  readonly harnessUrl: string;
  /** Opens one harness websocket (one mux). */
  harness(): Promise<HarnessConnection>;
  /** Opens a stream on `harness` and initializes a client on it. */
  stream(harness: HarnessConnection, timeoutMs?: number): Promise<BenchClient>;
  stop(): Promise<void>;
}

export async function startRelay(options: RelayPathOptions = {}): Promise<RelayPath> {
  const maxStreams = options.maxStreams ?? 128;
  const rendezvous = await launchChild("rendezvous", {
    token: TOKEN,
    maxStreamsPerHarness: maxStreams,
    ...(options.chaos ? { chaos: options.chaos } : {}),
  });
  const executorId = `bench-${randomUUID()}`;
  let executor: BenchChild;
  try {
    executor = await launchChild(
      "executor",
      { baseUrl: String(rendezvous.info.baseUrl), executorId, token: TOKEN, maxStreams, ...(options.endpoint ? { endpoint: options.endpoint } : {}) },
      { exposeGc: options.exposeGc ?? false },
    );
  } catch (error) {
    await rendezvous.stop();
    throw error;
  }
  const harnessUrl = await rendezvous.call<string>("harnessUrl", executorId);
  const harnesses = harnessSide(rendezvous, executor, () =>
    HarnessConnection.connect(harnessUrl, {
      reconnect: false,
      relay: { maxStreams, ...(options.endpoint ? { endpoint: options.endpoint } : {}) },
    }),
  );
  return { ...harnesses, harnessUrl };
}

/** What a relay path's harness side needs of a harness connection (cleartext or Noise). */
interface BenchHarness {
  openStream(): MessageTransport;
  close(): void;
}

/**
 * The harness side of a relay path with its rendezvous and executor children: harness connections
 * opened here by `connect`, initialized clients on their streams, and a `stop` that closes the
 * harnesses before the executor and the rendezvous.
 */
function harnessSide<H extends BenchHarness>(
  rendezvous: BenchChild,
  executor: BenchChild,
  connect: () => Promise<H>,
): { rendezvous: BenchChild; executor: BenchChild; harness(): Promise<H>; stream(harness: H, timeoutMs?: number): Promise<BenchClient>; stop(): Promise<void> } {
  const harnesses = new Set<H>();
  return {
    rendezvous,
    executor,
    async harness() {
      const connection = await connect();
      harnesses.add(connection);
      return connection;
    },
    async stream(harness, timeoutMs = 120_000) {
      const transport = harness.openStream();
      const client = createExecServerClient(transport, { timeoutMs });
      await initialize(client);
      return { client, transport, close: () => transport.close("bench done") };
    },
    async stop() {
      for (const harness of harnesses) harness.close();
      await executor.stop();
      await rendezvous.stop();
    },
  };
}

/** Rendezvous and a Noise executor (codex 0.169 registration) in two child processes; harnesses here. */
export interface NoiseRelayPath {
  readonly rendezvous: BenchChild;
  readonly executor: BenchChild;
  /** A harness websocket after `/connect` (one mux). */
  harness(): Promise<NoiseHarnessConnection>;
  /** Opens a Noise stream on `harness` and initializes a client on it. */
  stream(harness: NoiseHarnessConnection, timeoutMs?: number): Promise<BenchClient>;
  stop(): Promise<void>;
}

export async function startNoiseRelay(): Promise<NoiseRelayPath> {
  const rendezvous = await launchChild("rendezvous", { token: TOKEN });
  const environmentId = `bench-${randomUUID()}`;
  const baseUrl = String(rendezvous.info.baseUrl);
  let executor: BenchChild;
  try {
    executor = await launchChild("noise-executor", { baseUrl, executorId: environmentId, token: TOKEN });
  } catch (error) {
    await rendezvous.stop();
    throw error;
  }
  return harnessSide(rendezvous, executor, () => NoiseHarnessConnection.connect({ registry: { baseUrl, environmentId, token: TOKEN }, reconnect: false }));
}

/** A bare `ws` client of the raw child. */
export interface RawPath {
  readonly url: string;
  readonly server: BenchChild;
  connect(): Promise<WebSocket>;
  stop(): Promise<void>;
}

export async function startRaw(): Promise<RawPath> {
  const server = await launchChild("raw");
  const url = String(server.info.url);
  const sockets = new Set<WebSocket>();
  return {
    url,
    server,
    async connect() {
      const socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: 512 * 1024 * 1024 });
      await new Promise<void>((resolve, reject) => {
        socket.once("open", () => resolve());
        socket.once("error", reject);
      });
      sockets.add(socket);
      return socket;
    },
    async stop() {
      for (const socket of sockets) socket.terminate();
      await server.stop();
    },
  };
}

/** Waits for the next message on a raw socket. */
export function nextMessage(socket: WebSocket): Promise<Buffer> {
  return new Promise((resolve) => socket.once("message", (data: Buffer) => resolve(data)));
}

/** The Rust peer for a scenario, or why it is n/a (binary missing, or it failed to start). */
export async function startRustOrReason(rust: { binary: string } | { missing: string }): Promise<PeerServer | { unavailable: string }> {
  if ("missing" in rust) return { unavailable: rust.missing };
  try {
    return await startRust(rust);
  } catch (error) {
    return { unavailable: `${RUST_LABEL} failed to start: ${error instanceof Error ? error.message : String(error)}` };
  }
}

/**
 * The dialect our exec-server speaks, detected once on a short-lived direct server, for scenarios
 * that only drive our relay path (their chaos audits and timings should not include probe calls).
 */
export async function oursDialect(): Promise<Dialect> {
  const ours = await startOurs();
  try {
    const client = await ours.connect();
    client.close();
    return client.dialect;
  } finally {
    await ours.stop();
  }
}
