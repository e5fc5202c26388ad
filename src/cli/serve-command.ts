import { readFileSync } from "node:fs";
import { Command, Option } from "./commander-classes.js";
import { ListenUrlError } from "../server/listen-url.js";
import { ExecServer, type ExecServerOptions } from "../server/exec-server.js";
import { startExecServer } from "../server/start-exec-server.js";
import { environmentToken, fileToken, UPSTREAM_TOKEN_ENV, PROJECT_TOKEN_ENV, type BearerTokenSource } from "../remote/bearer-token-source.js";
import { readStdinBearer } from "../remote/stdin-bearer-token.js";
import type { NoiseRemoteExecutorOptions } from "../remote/noise-remote-executor.js";
import { collect, durationMs, positiveInteger } from "./parse-options.js";
import { DEFAULT_BWRAP_PATH } from "../sandbox/bubblewrap-availability.js";
import { METADATA_STAT_MODES, type MetadataStatMode } from "../server/fs/metadata-stat.js";
import { exitWith, installShutdown, stderrLog } from "./shutdown.js";

/** Environment variable holding the local listener's connection token (alternative to --connection-token-file). */
export const CONNECTION_TOKEN_ENV = "EXEC_SERVER_CONNECTION_TOKEN";

interface ServeOptions {
  listen: string;
  allowOrigin: string[];
  connectionTokenFile?: string;
  allowUnauthenticatedRemote: boolean;
  maxMessageBytes: number;
  maxConnections: number;
  pingIntervalMs: number;
  maxInflightRequests: number;
  sessionTtlMs: number;
  maxSessions: number;
  maxProcesses: number;
  maxRetainedBytes: number;
  retentionMs: number;
  terminateGraceMs: number;
  maxReadWaitMs: number;
  maxStdinBufferedBytes: number;
  maxReadFileBytes: number;
  maxWriteFileBytes: number;
  maxDirectoryEntries: number;
  maxOpenFileHandles: number;
  watchPollIntervalMs: number;
  metadataStat: MetadataStatMode;
  httpRequest: boolean;
  maxHttpBufferedBodyBytes: number;
  maxHttpRequestsPerConnection: number;
  remote?: string;
  executorId?: string;
  environmentId?: string;
  remoteTransport: "noise" | "cleartext";
  registrationBearerStdin: boolean;
  name?: string;
  bearerTokenFile?: string;
  maxStreams: number;
  caFile?: string;
  allowUnsandboxed: boolean;
  bwrapPath: string;
  verbose: boolean;
}

/** Adds the serve options and action (the default command) to `program`. */
export function configureServe(program: Command): Command {
  return program
    .addOption(new Option("--listen <url>", "ws://IP:PORT (port 0 = any free port) or stdio").default("ws://127.0.0.1:0"))
    .option("--allow-origin <origin>", "allow websocket requests carrying this Origin header (repeatable); others get 403", collect, [])
    .option("--connection-token-file <file>", `bearer token clients must send on the upgrade (or set ${CONNECTION_TOKEN_ENV}); required off loopback`)
    .option("--allow-unauthenticated-remote", "allow listening on a non-loopback address without a connection token", false)
    .option("--max-message-bytes <n>", "largest inbound websocket message, bytes", positiveInteger, 128 * 1024 * 1024)
    .option("--max-connections <n>", "open websockets at once; further upgrades get 503", positiveInteger, 1024)
    .option("--ping-interval-ms <n>", "websocket ping interval; a peer that misses a pong is disconnected (0 = off), ms", durationMs, 30_000)
    .option("--max-inflight-requests <n>", "requests processed at once per connection; more get -32600", positiveInteger, 1024)
    .option("--session-ttl-ms <n>", "how long a detached session waits for resume before its processes are killed, ms", durationMs, 30_000)
    .option("--max-sessions <n>", "live sessions (attached or detached)", positiveInteger, 1024)
    .option("--max-processes <n>", "running processes per session", positiveInteger, 256)
    .option("--max-retained-bytes <n>", "retained output per process, bytes (oldest evicted, reported as truncated)", positiveInteger, 1024 * 1024)
    .option("--retention-ms <n>", "how long a closed process stays readable before its id is reusable, ms", durationMs, 30_000)
    .option("--terminate-grace-ms <n>", "delay between SIGTERM and SIGKILL on process/terminate, ms", durationMs, 2_000)
    .option("--max-read-wait-ms <n>", "longest process/read long-poll; larger waitMs values are clamped, ms", durationMs, 300_000)
    .option("--max-stdin-buffered-bytes <n>", "input buffered for a child that is not reading; process/write answers once below it, bytes", positiveInteger, 8 * 1024 * 1024)
    .option("--max-read-file-bytes <n>", "largest file fs/readFile returns, bytes", positiveInteger, 256 * 1024 * 1024)
    .option("--max-write-file-bytes <n>", "largest decoded fs/writeFile payload, bytes", positiveInteger, 256 * 1024 * 1024)
    .option("--max-directory-entries <n>", "most entries fs/readDirectory lists; larger directories are refused", positiveInteger, 100_000)
    .option("--max-open-file-handles <n>", "fs/open handles of all connections together (each connection: at most 128)", positiveInteger, 1_024)
    .option("--watch-poll-interval-ms <n>", "how often an fs/watchMissing watch re-reads its paths besides inotify events", positiveInteger, 1_000)
    .addOption(
      new Option(
        "--metadata-stat <mode>",
        "how fs/getMetadata stats: auto = on the event loop while only local filesystems are mounted (no NFS, FUSE, automount), else on the threadpool; sync = always on the event loop (a hung mount stops the server); async = always on the threadpool",
      )
        .choices(METADATA_STAT_MODES)
        .default("auto"),
    )
    .option("--no-http-request", "refuse http/request (-32601; clients can otherwise make HTTP requests from this host, as they can run processes)")
    .option("--max-http-buffered-body-bytes <n>", "largest response body a non-streaming http/request buffers, bytes", positiveInteger, 64 * 1024 * 1024)
    .option("--max-http-requests-per-connection <n>", "http/request calls (and body streams) in progress at once per connection; more get -32600", positiveInteger, 64)
    .option("--remote <url>", "remote mode: registry base URL to register with (instead of listening); several comma-separated URLs = rendezvous cluster nodes tried in turn")
    .option("--environment-id <id>", "remote mode: environment id to register (codex 0.169's flag)")
    .option("--executor-id <id>", "remote mode: same as --environment-id (the seed-era name)")
    .addOption(
      new Option("--remote-transport <transport>", "remote mode: noise (codex 0.169: POST /cloud/environment/{id}/register, end-to-end encrypted streams) or cleartext (seed-era /cloud/executor/{id}/register)")
        .choices(["noise", "cleartext"])
        .default("noise"),
    )
    .option("--registration-bearer-stdin", "remote mode: read the registry bearer token from one line of stdin (codex 0.169's flag)", false)
    .option("--name <name>", "remote mode: display name for logs")
    .option(
      "--bearer-token-file <file>",
      `remote mode: registry bearer token file, re-read after a 401/403 (else --registration-bearer-stdin, ${UPSTREAM_TOKEN_ENV} or ${PROJECT_TOKEN_ENV})`,
    )
    .option("--ca-file <file>", "remote mode: extra PEM CA certificate to trust for an https/wss rendezvous (or NODE_EXTRA_CA_CERTS)")
    .option("--max-streams <n>", "remote mode: concurrent relay streams on the executor socket", positiveInteger, 128)
    .option("--bwrap-path <file>", "the bubblewrap binary that applies codex sandbox profiles (Debian/Ubuntu package bubblewrap)", DEFAULT_BWRAP_PATH)
    .option(
      "--allow-unsandboxed",
      "when bubblewrap is unusable, run sandboxed requests WITHOUT a sandbox (sandboxType none) instead of refusing them",
      false,
    )
    .option("--verbose", "log connections and protocol errors on stderr", false)
    .action(async (opts: ServeOptions) => {
      if (opts.remote !== undefined) await serveRemote(opts);
      else await serveLocal(opts);
    });
}

function serverOptions(opts: ServeOptions): ExecServerOptions {
  return {
    sessions: { detachTtlMs: opts.sessionTtlMs, maxSessions: opts.maxSessions },
    processes: {
      maxProcesses: opts.maxProcesses,
      maxRetainedBytes: opts.maxRetainedBytes,
      retentionAfterCloseMs: opts.retentionMs,
      terminateGraceMs: opts.terminateGraceMs,
      maxReadWaitMs: opts.maxReadWaitMs,
      maxStdinBufferedBytes: opts.maxStdinBufferedBytes,
    },
    fs: {
      maxReadFileBytes: opts.maxReadFileBytes,
      maxWriteFileBytes: opts.maxWriteFileBytes,
      maxDirectoryEntries: opts.maxDirectoryEntries,
      maxOpenFileHandles: opts.maxOpenFileHandles,
      watchPollIntervalMs: opts.watchPollIntervalMs,
      metadataStat: opts.metadataStat,
    },
    http: {
      enabled: opts.httpRequest,
      maxBufferedBodyBytes: opts.maxHttpBufferedBodyBytes,
      maxRequestsPerConnection: opts.maxHttpRequestsPerConnection,
    },
    sandbox: { bwrapPath: opts.bwrapPath, allowUnsandboxed: opts.allowUnsandboxed },
    maxInFlightRequests: opts.maxInflightRequests,
    ...(opts.verbose ? { log: stderrLog } : {}),
  };
}

async function serveLocal(opts: ServeOptions): Promise<void> {
  const token = opts.connectionTokenFile
    ? readFileSync(opts.connectionTokenFile, "utf8").trim()
    : process.env[CONNECTION_TOKEN_ENV]?.trim() || undefined;
  let running;
  try {
    running = await startExecServer({
      ...serverOptions(opts),
      listen: opts.listen,
      allowedOrigins: opts.allowOrigin,
      connectionToken: token,
      allowUnauthenticatedRemote: opts.allowUnauthenticatedRemote,
      maxMessageBytes: opts.maxMessageBytes,
      maxConnections: opts.maxConnections,
      pingIntervalMs: opts.pingIntervalMs,
    });
  } catch (error) {
    if (error instanceof ListenUrlError) exitWith(2, error.message);
    exitWith(1, error instanceof Error ? error.message : String(error));
  }
  if (running.url !== "stdio") process.stdout.write(`${running.url}\n`);
  installShutdown(() => running.close());
  stderrLog(await running.server.describeSandbox());
  await running.done;
  process.exit(0);
}

/** What remote mode (`--remote`, and `forward`) needs before it can register: id, token, registry URLs. */
export interface RemoteRegistration {
  readonly environmentId: string;
  readonly token: BearerTokenSource;
  readonly baseUrls: readonly string[];
}

/** Checks the remote-mode options and reads the registry token; exits 2 with the reason when they are unusable. */
export async function remoteRegistration(opts: {
  remote?: string;
  environmentId?: string;
  executorId?: string;
  registrationBearerStdin: boolean;
  bearerTokenFile?: string;
}): Promise<RemoteRegistration> {
  const id = opts.environmentId ?? opts.executorId;
  if (!id?.trim()) exitWith(2, "--remote needs --environment-id ID");
  if (opts.registrationBearerStdin && opts.bearerTokenFile) exitWith(2, "--registration-bearer-stdin and --bearer-token-file exclude each other");
  let token;
  try {
    token = opts.registrationBearerStdin ? await readStdinBearer() : opts.bearerTokenFile ? fileToken(opts.bearerTokenFile) : environmentToken();
  } catch (error) {
    exitWith(2, error instanceof Error ? error.message : String(error));
  }
  if (!token) exitWith(2, `--remote needs a registry token: --registration-bearer-stdin, --bearer-token-file FILE or ${UPSTREAM_TOKEN_ENV}`);
  const baseUrls = (opts.remote ?? "").split(",").map((url) => url.trim()).filter(Boolean);
  if (baseUrls.length === 0) exitWith(2, "--remote needs a registry base URL");
  return { environmentId: id, token, baseUrls };
}

async function serveRemote(opts: ServeOptions): Promise<void> {
  const { environmentId: id, token, baseUrls } = await remoteRegistration(opts);
  if (opts.remoteTransport === "noise") return serveNoise(opts, id, token, baseUrls);
  // Loaded on demand so a local server does not pay for the relay at start-up.
  const { RemoteExecutor, RemoteExecutorConfig } = await import("../remote/remote-executor.js");
  const server = new ExecServer(serverOptions(opts));
  stderrLog(await server.describeSandbox());
  const executor = new RemoteExecutor({
    config: new RemoteExecutorConfig(baseUrls[0] as string, id, token, opts.name, baseUrls.slice(1)),
    server,
    relay: { maxStreams: opts.maxStreams },
    dial: { pingIntervalMs: opts.pingIntervalMs, ...(opts.caFile ? { ca: readFileSync(opts.caFile) } : {}) },
    log: stderrLog,
  });
  installShutdown(async () => {
    executor.stop();
    await server.shutdown();
  });
  try {
    await executor.run();
  } catch (error) {
    await server.shutdown();
    exitWith(1, error instanceof Error ? error.message : String(error));
  }
  await server.shutdown();
  process.exit(0);
}

/** `--remote` with the default transport: codex 0.169's registration and Noise streams. */
async function serveNoise(opts: ServeOptions, environmentId: string, token: BearerTokenSource, baseUrls: readonly string[]): Promise<void> {
  const server = new ExecServer(serverOptions(opts));
  stderrLog(await server.describeSandbox());
  await runNoiseExecutor(
    { environmentId, token, baseUrls },
    { name: opts.name, maxStreams: opts.maxStreams, pingIntervalMs: opts.pingIntervalMs, ca: opts.caFile ? readFileSync(opts.caFile) : undefined },
    server,
    () => server.shutdown(),
  );
}

/**
 * Registers as a codex 0.169 environment and hands every validated Noise stream to `server` until a
 * signal or a fatal registry answer (exit 1); `close` releases what serves the streams. Exits the process.
 */
export async function runNoiseExecutor(
  registration: RemoteRegistration,
  options: { name: string | undefined; maxStreams: number; pingIntervalMs: number; ca: Buffer | undefined },
  server: NoiseRemoteExecutorOptions["server"],
  close: () => Promise<void>,
): Promise<never> {
  const { NoiseRemoteExecutor } = await import("../remote/noise-remote-executor.js");
  const { environmentId, token, baseUrls } = registration;
  const executor = new NoiseRemoteExecutor({
    baseUrl: baseUrls[0] as string,
    alternateBaseUrls: baseUrls.slice(1),
    environmentId,
    token,
    ...(options.name ? { name: options.name } : {}),
    server,
    limits: { maxStreams: options.maxStreams },
    dial: { pingIntervalMs: options.pingIntervalMs, ...(options.ca ? { ca: options.ca } : {}) },
    log: stderrLog,
  });
  installShutdown(async () => {
    executor.stop();
    await close();
  });
  try {
    await executor.run();
  } catch (error) {
    await close();
    exitWith(1, error instanceof Error ? error.message : String(error));
  }
  await close();
  process.exit(0);
}
