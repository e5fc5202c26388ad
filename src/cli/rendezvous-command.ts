import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { collect, durationMs, nonNegativeInteger, positiveInteger, probability } from "./parse-options.js";
import { exitWith, installShutdown, stderrLog } from "./shutdown.js";

/** Environment variable with the rendezvous registry token(s), comma-separated. */
export const RENDEZVOUS_TOKEN_ENV = "EXEC_SERVER_RENDEZVOUS_TOKEN";

interface RendezvousCliOptions {
  listen: string;
  tokenFile: string[];
  tlsCert?: string;
  tlsKey?: string;
  publicUrl?: string;
  urlTtlMs: number;
  authorizationTtlMs: number;
  directCredentialsFile?: string;
  executorGraceMs: number;
  maxHarnessSockets: number;
  maxStreamsPerHarness: number;
  maxMessageBytes: number;
  pingIntervalMs: number;
  chaosDrop: number;
  chaosDuplicate: number;
  chaosReorder: number;
  chaosSeed: number;
  quiet: boolean;
  cluster?: string;
  clusterPrefix: string;
  clusterLeaseMs: number;
  clusterAdvertiseUrl?: string;
  clusterPeerGraceMs: number;
}

/** `exec-server rendezvous`: the reference rendezvous + executor registry. */
export function configureRendezvous(program: Command): void {
  program
    .command("rendezvous")
    .description(
      "Run the reference rendezvous + executor registry (prints its base URL on stdout).\n" +
        "POST /cloud/executor/{id}/register and POST /cloud/executor/{id}/harness (bearer token) issue signed websocket URLs;\n" +
        "codex 0.169: POST /cloud/environment/{id}/register|connect|validate (Noise keys, harness key authorizations).",
    )
    .option("--listen <url>", "http://IP:PORT (port 0 = any free port)", "http://127.0.0.1:0")
    .option("--token-file <file>", `file with an accepted bearer token (repeatable; else ${RENDEZVOUS_TOKEN_ENV}, comma-separated)`, collect, [])
    .option("--tls-cert <file>", "PEM certificate: serve https and issue wss:// URLs (needs --tls-key)")
    .option("--tls-key <file>", "PEM private key for --tls-cert")
    .option("--public-url <url>", "base URL to put in issued URLs (behind a proxy); default: the bound address")
    .option("--url-ttl-ms <n>", "lifetime of an issued websocket URL, ms", durationMs, 600_000)
    .option("--direct-credentials-file <file>", "AWS access keys accepted for codex 0.169's direct transport (SigV4), one `ACCESS_KEY_ID SECRET_ACCESS_KEY` per line; without it direct/register answers 501")
    .option("--authorization-ttl-ms <n>", "lifetime of a codex 0.169 harness key authorization (checked by /validate at each handshake), ms", durationMs, 3_600_000)
    .option("--executor-grace-ms <n>", "keep harness sockets this long after their executor disconnects, ms", durationMs, 30_000)
    .option("--max-harness-sockets <n>", "harness sockets per executor", positiveInteger, 256)
    .option("--max-streams-per-harness <n>", "streams one harness socket may own", positiveInteger, 128)
    .option("--max-message-bytes <n>", "largest websocket message, bytes", positiveInteger, 80 * 1024 * 1024)
    .option("--ping-interval-ms <n>", "websocket ping interval; a peer that misses a pong is dropped (0 = off), ms", durationMs, 30_000)
    .option("--chaos-drop <p>", "TEST ONLY: drop this fraction of data/ack frames", probability, 0)
    .option("--chaos-duplicate <p>", "TEST ONLY: duplicate this fraction of data/ack frames", probability, 0)
    .option("--chaos-reorder <p>", "TEST ONLY: reorder this fraction of data/ack frames", probability, 0)
    .option("--chaos-seed <n>", "TEST ONLY: PRNG seed for chaos", nonNegativeInteger, 1)
    .option("--cluster <url>", "run as one node of a cluster sharing state in this Redis (redis://HOST:PORT[/DB]): executors and codex 0.169 environments registered on any node are reachable through every node; default: a single process")
    .option("--cluster-prefix <prefix>", "cluster: key prefix in Redis (several clusters can share one Redis)", "exec-server")
    .option("--cluster-lease-ms <n>", "cluster: lease of node, executor and stream records (renewed every third), ms", durationMs, 15_000)
    .option("--cluster-advertise-url <url>", "cluster: http(s)://HOST:PORT other nodes reach this one at; default: the bound address")
    .option("--cluster-peer-grace-ms <n>", "cluster: a node unreachable this long is dead and its harnesses' streams are reset, ms", durationMs, 5_000)
    .option("--quiet", "do not log connections on stderr", false)
    .action(async (opts: RendezvousCliOptions) => {
      const match = /^http:\/\/(\[[0-9a-fA-F:.]+\]|[0-9.]+):(\d+)$/.exec(opts.listen);
      if (!match) exitWith(2, `invalid rendezvous --listen URL \`${opts.listen}\`; expected \`http://IP:PORT\``);
      const tokens = opts.tokenFile.length > 0
        ? opts.tokenFile.map((file) => readFileSync(file, "utf8").trim())
        : (process.env[RENDEZVOUS_TOKEN_ENV] ?? "").split(",").map((token) => token.trim()).filter(Boolean);
      if (tokens.length === 0 || tokens.some((token) => token === "")) {
        exitWith(2, `the rendezvous needs a registry token: --token-file FILE or ${RENDEZVOUS_TOKEN_ENV}`);
      }
      if ((opts.tlsCert === undefined) !== (opts.tlsKey === undefined)) exitWith(2, "--tls-cert and --tls-key go together");
      const chaos = opts.chaosDrop + opts.chaosDuplicate + opts.chaosReorder > 0
        ? { drop: opts.chaosDrop, duplicate: opts.chaosDuplicate, reorder: opts.chaosReorder, seed: opts.chaosSeed }
        : undefined;
      const host = (match[1] as string).replace(/^\[|\]$/g, "");
      if (opts.cluster !== undefined && !/^rediss?:\/\//.test(opts.cluster)) exitWith(2, `invalid --cluster URL \`${opts.cluster}\`; expected \`redis://HOST:PORT\``);
      if (opts.clusterLeaseMs < 300) exitWith(2, "--cluster-lease-ms must be at least 300");
      const { startRendezvous } = await import("../remote/rendezvous/rendezvous-server.js");
      // The cluster (and its Redis client) is loaded only with --cluster: the single process stays as it was.
      const start = opts.cluster === undefined
        ? startRendezvous
        : async (options: Parameters<typeof startRendezvous>[0]) =>
            (await import("../remote/rendezvous/cluster/cluster-rendezvous.js")).startClusterRendezvous({
              ...options,
              cluster: {
                url: opts.cluster as string,
                prefix: opts.clusterPrefix,
                leaseMs: opts.clusterLeaseMs,
                peerGraceMs: opts.clusterPeerGraceMs,
                ...(opts.clusterAdvertiseUrl ? { advertiseUrl: opts.clusterAdvertiseUrl } : {}),
                ...(opts.tlsCert ? { ca: readFileSync(opts.tlsCert) } : {}),
              },
            });
      const rendezvous = await start({
        host,
        port: Number(match[2]),
        registryTokens: tokens,
        urlTtlMs: opts.urlTtlMs,
        authorizationTtlMs: opts.authorizationTtlMs,
        ...(opts.directCredentialsFile ? { directCredentials: readDirectCredentials(opts.directCredentialsFile) } : {}),
        executorGraceMs: opts.executorGraceMs,
        maxHarnessSockets: opts.maxHarnessSockets,
        maxStreamsPerHarness: opts.maxStreamsPerHarness,
        maxMessageBytes: opts.maxMessageBytes,
        pingIntervalMs: opts.pingIntervalMs,
        chaos,
        ...(opts.tlsCert && opts.tlsKey ? { tls: { cert: readFileSync(opts.tlsCert), key: readFileSync(opts.tlsKey) } } : {}),
        ...(opts.publicUrl ? { publicBaseUrl: opts.publicUrl } : {}),
        ...(opts.quiet ? {} : { log: (line: string) => stderrLog(`rendezvous: ${line}`) }),
      }).catch((error: unknown) => exitWith(1, error instanceof Error ? error.message : String(error)));
      process.stdout.write(`${rendezvous.baseUrl}\n`);
      installShutdown(() => rendezvous.close());
    });
}

/** `ACCESS_KEY_ID SECRET_ACCESS_KEY` per line; blank lines and `#` comments are skipped. */
function readDirectCredentials(file: string): { accessKeyId: string; secretAccessKey: string }[] {
  const credentials = readFileSync(file, "utf8")
    .split("\n")
    .map((line) => line.trim())
    .filter((line) => line !== "" && !line.startsWith("#"))
    .map((line) => {
      const [accessKeyId, secretAccessKey, extra] = line.split(/\s+/);
      if (!accessKeyId || !secretAccessKey || extra !== undefined) exitWith(2, `--direct-credentials-file ${file}: each line must be ACCESS_KEY_ID SECRET_ACCESS_KEY`);
      return { accessKeyId, secretAccessKey };
    });
  if (credentials.length === 0) exitWith(2, `--direct-credentials-file ${file} has no credentials`);
  return credentials;
}
