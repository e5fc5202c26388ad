import { randomUUID } from "node:crypto";
import { readFileSync } from "node:fs";
import { Option, type Command } from "commander";
import type { ExecServerClient } from "../../generated/openrpc/client.js";
import { DIALECT_CHOICES, paramsForDialect, type ClientDialect, type DialectChoice } from "../client/client-dialect.js";
import { parseEnvironmentUrl, type ConnectOptions } from "../client/connect.js";
import { openSession } from "../client/open-session.js";
import { RpcError } from "../rpc/rpc-error.js";
import { exitWith } from "./shutdown.js";

/** Environment variable read by `harness-url` for the registry token. */
export const HARNESS_TOKEN_ENV = "EXEC_SERVER_RENDEZVOUS_TOKEN";
/** codex 0.169's variable for the harness's registry bearer (environment URLs). */
export const NOISE_AUTH_TOKEN_ENV = "CODEX_EXEC_SERVER_NOISE_AUTH_TOKEN";

const URL_HELP = "exec-server websocket URL, rendezvous harness URL, or environment URL http(s)://REGISTRY/cloud/environment/ID (Noise)";
const TOKEN_FILE_HELP = `bearer token file: the connection token of a guarded websocket, or the registry token of an environment URL (else ${NOISE_AUTH_TOKEN_ENV} or ${HARNESS_TOKEN_ENV})`;

/** The `--dialect` option of `call` and `run`. */
function dialectOption(): Option {
  return new Option(
    "--dialect <dialect>",
    "wire dialect: auto (codex-0.169 when initialize answers environmentInfo), seed (plain paths) or codex-0.169 (file: URIs, writeId)",
  )
    .choices(DIALECT_CHOICES as string[])
    .default("auto");
}

/**
 * `exec-server call`, `exec-server run` and `exec-server harness-url`: a tiny harness for people.
 * `call` and `run` speak both dialects (this server's and codex 0.169's `codex exec-server`): plain
 * absolute paths given on the command line are sent as `file:` URIs to a codex-0.169 server.
 */
export function configureClientCommands(program: Command): void {
  program
    .command("call")
    .description("Connect to an exec-server (ws:// URL, role=harness relay URL or Noise environment URL), initialize, call one method, print the result as JSON")
    .requiredOption("--url <url>", URL_HELP)
    .option("--ca-file <file>", "extra PEM CA certificate to trust for wss://")
    .option("--token-file <file>", TOKEN_FILE_HELP)
    .addOption(dialectOption())
    .argument("<method>", "e.g. fs/readDirectory")
    .argument("[params]", "params as JSON; paths as plain absolute paths or file: URIs (converted to the server's dialect)", "{}")
    .action(async (method: string, paramsText: string, opts: ClientCliOptions) => {
      let params: unknown;
      try {
        params = JSON.parse(paramsText);
      } catch (error) {
        exitWith(2, `params must be JSON: ${(error as Error).message}`);
      }
      const session = await openSessionOrExit(opts, "exec-server call");
      const { client, close } = session;
      try {
        const result = await client.core.request(method as never, paramsForDialect(method, params, session.dialect) as never);
        process.stdout.write(`${JSON.stringify(result, null, 2)}\n`);
      } catch (error) {
        exitWith(1, error instanceof RpcError ? `error ${error.code}: ${error.message}` : (error as Error).message);
      } finally {
        close();
      }
    });

  program
    .command("run")
    .description("Run a command on an exec-server, stream its output here, exit with its exit code")
    .requiredOption("--url <url>", URL_HELP)
    .option("--ca-file <file>", "extra PEM CA certificate to trust for wss://")
    .option("--token-file <file>", TOKEN_FILE_HELP)
    .option("--cwd <dir>", "working directory on the server", process.cwd())
    .option("--tty", "run under a PTY and forward this terminal's input to it (raw mode when stdin is a terminal)", false)
    .addOption(dialectOption())
    .argument("<argv...>", "program and arguments (put -- before them)")
    .action(async (argv: string[], opts: ClientCliOptions & { cwd: string; tty: boolean }) => {
      const session = await openSessionOrExit(opts, "exec-server run");
      const { client, close } = session;
      let exitCode = 1;
      const done = new Promise<void>((resolve) => {
        client.on("process/output", (event) => {
          (event.stream === "stderr" ? process.stderr : process.stdout).write(Buffer.from(event.chunk, "base64"));
        });
        client.on("process/exited", (event) => {
          exitCode = event.exitCode ?? 1;
        });
        client.on("process/closed", () => resolve());
      });
      try {
        const start = { processId: "run", argv, cwd: opts.cwd, env: pickEnv(), tty: opts.tty };
        await client.process.start(paramsForDialect("process/start", start, session.dialect) as typeof start);
        // A PTY gets our input (Ctrl-D is the terminal's own EOF); plain pipes have no way to signal
        // end of input in the protocol, so their stdin stays closed.
        const stopForwarding = opts.tty ? forwardInput(client, session.dialect) : () => {};
        await done;
        stopForwarding();
      } catch (error) {
        exitWith(1, error instanceof RpcError ? `error ${error.code}: ${error.message}` : (error as Error).message);
      } finally {
        close();
      }
      process.exit(exitCode);
    });

  program
    .command("harness-url")
    .description(`Ask a rendezvous registry for a role=harness URL for an executor (token from ${HARNESS_TOKEN_ENV})`)
    .requiredOption("--remote <url>", "registry base URL")
    .requiredOption("--executor-id <id>", "executor to reach")
    .action(async (opts: { remote: string; executorId: string }) => {
      const token = process.env[HARNESS_TOKEN_ENV]?.trim();
      if (!token) exitWith(2, `set ${HARNESS_TOKEN_ENV} to a token the registry accepts`);
      const response = await fetch(`${opts.remote.replace(/\/+$/, "")}/cloud/executor/${encodeURIComponent(opts.executorId)}/harness`, {
        method: "POST",
        headers: { authorization: `Bearer ${token}` },
      }).catch((error: Error) => exitWith(1, `registry request failed: ${error.message}`));
      const body = await response.text();
      if (!response.ok) exitWith(1, `registry refused (${response.status}): ${body.slice(0, 4096)}`);
      process.stdout.write(`${(JSON.parse(body) as { url: string }).url}\n`);
    });
}

/** Connects and initializes, or exits 1 with the reason. */
async function openSessionOrExit(opts: ClientCliOptions, clientName: string) {
  return openSession(opts.url, { ...connectOptions(opts), clientName, dialect: opts.dialect }).catch((error: Error) =>
    exitWith(1, error instanceof RpcError ? `initialize failed: error ${error.code}: ${error.message}` : error.message),
  );
}

/**
 * Forwards this process's stdin to the remote PTY, in raw mode when it is a terminal; returns a stop
 * function. Each write carries a fresh `writeId` in the codex-0.169 dialect (upstream requires one).
 */
function forwardInput(client: ExecServerClient, dialect: ClientDialect): () => void {
  const stdin = process.stdin;
  const raw = stdin.isTTY === true;
  if (raw) stdin.setRawMode(true);
  let writes = Promise.resolve();
  const onData = (data: Buffer) => {
    stdin.pause();
    // Writes are sent in order and the next read waits for the server's answer (its backpressure).
    writes = writes
      .then(() =>
        client.process.write({ processId: "run", chunk: data.toString("base64"), ...(dialect === "codex-0.169" ? { writeId: randomUUID() } : {}) }),
      )
      .then(() => undefined, () => undefined)
      .finally(() => stdin.resume());
  };
  stdin.on("data", onData);
  stdin.resume();
  return () => {
    stdin.off("data", onData);
    if (raw) stdin.setRawMode(false);
    stdin.pause();
  };
}

interface ClientCliOptions {
  url: string;
  dialect: DialectChoice;
  caFile?: string;
  tokenFile?: string;
}

function connectOptions(opts: ClientCliOptions): ConnectOptions {
  const registryToken = parseEnvironmentUrl(opts.url) && !opts.tokenFile ? process.env[NOISE_AUTH_TOKEN_ENV]?.trim() || process.env[HARNESS_TOKEN_ENV]?.trim() : undefined;
  return {
    ...(opts.caFile ? { ca: readFileSync(opts.caFile) } : {}),
    ...(opts.tokenFile ? { headers: { authorization: `Bearer ${readFileSync(opts.tokenFile, "utf8").trim()}` } } : {}),
    ...(registryToken ? { registryToken } : {}),
  };
}

/** A minimal environment for `run`: PATH, HOME, LANG and TERM from this shell. */
function pickEnv(): Record<string, string> {
  const env: Record<string, string> = {};
  for (const name of ["PATH", "HOME", "LANG", "TERM", "USER"]) {
    const value = process.env[name];
    if (value !== undefined) env[name] = value;
  }
  return env;
}
