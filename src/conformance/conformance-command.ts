import { writeFile } from "node:fs/promises";
import type { MessageTransport } from "../rpc/message-transport.js";
import { formatReport, reportToJson } from "./report.js";
import { runConformance } from "./run-conformance.js";
import { connectWebSocket } from "./websocket-connect.js";

/** Options of {@link conformanceCommand} (the `exec-server conformance` subcommand). */
export interface ConformanceCommandOptions {
  /** Server to test: `ws://IP:PORT`, or anything `connect` understands. */
  url: string;
  /** Also write the report as JSON to this file. */
  json?: string | undefined;
  /** Only run checks whose id matches this pattern. */
  only?: string | undefined;
  /**
   * Opens one connection to `url`. Default: a plain websocket ({@link connectWebSocket}); pass the
   * relay-capable connector to test through a rendezvous (`role=harness` URLs).
   */
  connect?: ((url: string) => Promise<MessageTransport>) | undefined;
  /** Use (and keep) this scratch directory instead of a fresh one under the OS temp directory. */
  scratchDir?: string | undefined;
  /** Where the table goes (default stdout). */
  write?: ((text: string) => void) | undefined;
  /** Progress lines (default none). */
  log?: ((line: string) => void) | undefined;
}

/**
 * Runs the suite against `url`, prints the table, writes `--json` if asked and returns the exit
 * code: 1 when any check failed or the server cannot be reached, 0 otherwise.
 */
export async function conformanceCommand(options: ConformanceCommandOptions): Promise<number> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const connectTo = options.connect ?? ((url: string) => connectWebSocket(url));
  try {
    // One probe first, so an unreachable server is one clear line rather than a table of identical failures.
    (await connectTo(options.url)).close("conformance probe");
  } catch (error) {
    write(`cannot connect to ${options.url}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  const report = await runConformance({
    connect: () => connectTo(options.url),
    ...(options.only === undefined ? {} : { only: options.only }),
    ...(options.scratchDir === undefined ? {} : { scratchDir: options.scratchDir }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  write(`${formatReport(report)}\n`);
  if (options.json !== undefined) await writeFile(options.json, reportToJson(report));
  return report.failed > 0 ? 1 : 0;
}
