import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { Option } from "./commander-classes.js";
import { PROJECT_TOKEN_ENV, UPSTREAM_TOKEN_ENV } from "../remote/bearer-token-source.js";
import { STREAM_FORWARDER_DEFAULTS, StreamForwarder } from "../remote/stream-forwarder.js";
import { durationMs, positiveInteger } from "./parse-options.js";
import { remoteRegistration, runNoiseExecutor } from "./serve-command.js";
import { exitWith, installShutdown, stderrLog } from "./shutdown.js";

/** Environment variable holding the destination's connection token (alternative to --connect-token-file). */
export const FORWARD_CONNECT_TOKEN_ENV = "EXEC_SERVER_FORWARD_CONNECT_TOKEN";

interface ForwardCliOptions {
  remote: string;
  environmentId: string;
  connect: string;
  remoteTransport: "noise" | "cleartext";
  registrationBearerStdin: boolean;
  bearerTokenFile?: string;
  name?: string;
  connectTokenFile?: string;
  connectTimeoutMs: number;
  maxMessageBytes: number;
  maxStreams: number;
  caFile?: string;
  pingIntervalMs: number;
}

/** `exec-server forward`: registers as a codex 0.169 environment and pipes each stream to another exec-server. */
export function configureForward(program: Command): void {
  program
    .command("forward")
    .summary("Register an existing websocket exec-server as a remote environment and pipe every Noise stream to it (codex 0.169's forward)")
    .description(
      "Register an existing websocket exec-server (ours or codex's) as a remote environment (codex 0.169's " +
        "`exec-server forward`): registers like `--remote` with the Noise transport and, for every validated " +
        "stream, opens a new websocket to --connect and pipes the decrypted JSON-RPC messages both ways unchanged.",
    )
    .requiredOption("--remote <url>", "registry base URL to register with; several comma-separated URLs = rendezvous cluster nodes tried in turn")
    .requiredOption("--environment-id <id>", "environment id to register")
    .requiredOption("--connect <url>", "destination exec-server websocket URL (ws:// or wss://)")
    .addOption(new Option("--remote-transport <transport>", "only noise forwards (as in codex 0.169)").choices(["noise", "cleartext"]).default("noise"))
    .option("--registration-bearer-stdin", "read the registry bearer token from one line of stdin (codex 0.169's flag)", false)
    .option("--bearer-token-file <file>", `registry bearer token file, re-read after a 401/403 (else --registration-bearer-stdin, ${UPSTREAM_TOKEN_ENV} or ${PROJECT_TOKEN_ENV})`)
    .option("--name <name>", "display name for logs")
    .option(
      "--connect-token-file <file>",
      `bearer token sent on each destination upgrade (or set ${FORWARD_CONNECT_TOKEN_ENV}); needed when the destination listens off loopback`,
    )
    .option("--connect-timeout-ms <n>", "destination connect timeout, ms", durationMs, STREAM_FORWARDER_DEFAULTS.connectTimeoutMs)
    .option("--max-message-bytes <n>", "largest message accepted from the destination, bytes", positiveInteger, STREAM_FORWARDER_DEFAULTS.maxMessageBytes)
    .option("--max-streams <n>", "concurrent streams (each one destination websocket)", positiveInteger, 128)
    .option("--ca-file <file>", "extra PEM CA certificate to trust for an https/wss rendezvous or a wss destination (or NODE_EXTRA_CA_CERTS)")
    .option("--ping-interval-ms <n>", "rendezvous websocket ping interval (0 = off), ms", durationMs, 30_000)
    .action(async (opts: ForwardCliOptions) => {
      // codex 0.169 refuses the same way: only Noise streams are forwarded.
      if (opts.remoteTransport !== "noise") exitWith(2, "the cleartext transport does not support forwarding (use --remote-transport noise)");
      await forward(opts);
    });
}

async function forward(opts: ForwardCliOptions): Promise<void> {
  const { environmentId, token, baseUrls } = await remoteRegistration(opts);
  const connectToken = opts.connectTokenFile ? readFileSync(opts.connectTokenFile, "utf8").trim() : process.env[FORWARD_CONNECT_TOKEN_ENV]?.trim() || undefined;
  const ca = opts.caFile ? readFileSync(opts.caFile) : undefined;
  let forwarder: StreamForwarder;
  try {
    forwarder = new StreamForwarder({
      connect: opts.connect,
      connectTimeoutMs: opts.connectTimeoutMs,
      maxMessageBytes: opts.maxMessageBytes,
      ...(connectToken ? { token: connectToken } : {}),
      ...(ca ? { ca } : {}),
      log: stderrLog,
    });
  } catch (error) {
    exitWith(2, error instanceof Error ? error.message : String(error));
  }
  stderrLog(`forwarding environment ${environmentId} to ${opts.connect}`);
  await runNoiseExecutor({ environmentId, token, baseUrls }, { name: opts.name, maxStreams: opts.maxStreams, pingIntervalMs: opts.pingIntervalMs, ca }, forwarder, async () => forwarder.close());
}
