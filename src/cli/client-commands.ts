import { readFileSync } from "node:fs";
import type { Command } from "commander";
import { connectExecServer, type ConnectOptions } from "../client/connect.js";
import { RpcError } from "../rpc/rpc-error.js";
import { exitWith } from "./shutdown.js";

/** Environment variable read by `harness-url` for the registry token. */
export const HARNESS_TOKEN_ENV = "EXEC_SERVER_RENDEZVOUS_TOKEN";

/** `exec-server call`, `exec-server run` and `exec-server harness-url`: a tiny harness for people. */
export function configureClientCommands(program: Command): void {
  program
    .command("call")
    .description("Connect to an exec-server (ws:// URL or role=harness relay URL), initialize, call one method, print the result as JSON")
    .requiredOption("--url <url>", "exec-server websocket URL or rendezvous harness URL")
    .option("--ca-file <file>", "extra PEM CA certificate to trust for wss://")
    .option("--token-file <file>", "connection token file (sent as Authorization: Bearer) for a guarded plain websocket")
    .argument("<method>", "e.g. fs/readDirectory")
    .argument("[params]", "params as JSON", "{}")
    .action(async (method: string, paramsText: string, opts: ClientCliOptions) => {
      let params: unknown;
      try {
        params = JSON.parse(paramsText);
      } catch (error) {
        exitWith(2, `params must be JSON: ${(error as Error).message}`);
      }
      const { client, close } = await connectExecServer(opts.url, connectOptions(opts)).catch((error: Error) => exitWith(1, error.message));
      try {
        await client.initialize({ clientName: "exec-server call" });
        client.notifyInitialized();
        const result = await client.core.request(method as never, params as never);
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
    .requiredOption("--url <url>", "exec-server websocket URL or rendezvous harness URL")
    .option("--ca-file <file>", "extra PEM CA certificate to trust for wss://")
    .option("--token-file <file>", "connection token file (sent as Authorization: Bearer) for a guarded plain websocket")
    .option("--cwd <dir>", "working directory on the server", process.cwd())
    .option("--tty", "run under a PTY", false)
    .argument("<argv...>", "program and arguments (put -- before them)")
    .action(async (argv: string[], opts: ClientCliOptions & { cwd: string; tty: boolean }) => {
      const { client, close } = await connectExecServer(opts.url, connectOptions(opts)).catch((error: Error) => exitWith(1, error.message));
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
        await client.initialize({ clientName: "exec-server run" });
        client.notifyInitialized();
        await client.process.start({ processId: "run", argv, cwd: opts.cwd, env: pickEnv(), tty: opts.tty });
        await done;
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

interface ClientCliOptions {
  url: string;
  caFile?: string;
  tokenFile?: string;
}

function connectOptions(opts: ClientCliOptions): ConnectOptions {
  return {
    ...(opts.caFile ? { ca: readFileSync(opts.caFile) } : {}),
    ...(opts.tokenFile ? { headers: { authorization: `Bearer ${readFileSync(opts.tokenFile, "utf8").trim()}` } } : {}),
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
