import { writeFile } from "node:fs/promises";
import type { MessageTransport } from "../rpc/message-transport.js";
import { formatReport, reportToJson } from "./report.js";
import { runConformance } from "./run-conformance.js";
import { connectTransport, isHarnessUrl } from "../client/connect.js";
import type { DialectChoice } from "./dialect.js";

/** Options of {@link conformanceCommand} (the `exec-server conformance` subcommand). */
export interface ConformanceCommandOptions {
  /** Server to test: `ws://IP:PORT`, or anything `connect` understands. */
  url: string;
  /** Also write the report as JSON to this file. */
  json?: string | undefined;
  /** Only run checks whose id matches this pattern. */
  only?: string | undefined;
  /** `seed`, `codex-0.169`, or `auto` (default): detected from the `initialize` result. */
  dialect?: DialectChoice | undefined;
  /**
   * The server runs on this machine although its URL is not loopback (enables the codex-0.169
   * `http/*` checks, which need the runner's loopback HTTP server). Default: true exactly when the
   * URL's host is loopback and it is not a rendezvous URL ({@link urlIsThisMachine}).
   */
  sameHost?: boolean | undefined;
  /**
   * Opens one connection to `url`. Default `connectTransport` from `src/client/connect.ts`: plain
   * JSON frames for `ws(s)://` URLs, a fresh relay stream for rendezvous `role=harness` URLs.
   */
  connect?: ((url: string) => Promise<MessageTransport>) | undefined;
  /** Connection token for servers that require one (sent as `Authorization: Bearer`, default connector only). */
  bearerToken?: string | undefined;
  /** How long the reachability probe may take, in milliseconds (default {@link PROBE_TIMEOUT_MS}). */
  probeTimeoutMs?: number | undefined;
  /** Use (and keep) this scratch directory instead of a fresh one under the OS temp directory. */
  scratchDir?: string | undefined;
  /** Where the table goes (default stdout). */
  write?: ((text: string) => void) | undefined;
  /** Progress lines (default none). */
  log?: ((line: string) => void) | undefined;
}

/**
 * True when `url` names this machine's loopback (127.0.0.0/8, `[::1]`, `localhost`) and is not a
 * rendezvous harness URL (whose executor may run anywhere).
 */
export function urlIsThisMachine(url: string): boolean {
  if (isHarnessUrl(url)) return false;
  try {
    const host = new URL(url).hostname;
    return host === "localhost" || host === "[::1]" || /^127\.\d+\.\d+\.\d+$/.test(host);
  } catch {
    return false;
  }
}

/** Default budget of the reachability probe, in milliseconds. */
export const PROBE_TIMEOUT_MS = 15_000;

/**
 * Runs the suite against `url`, prints the table, writes `--json` if asked and returns the exit
 * code: 1 when any check failed or the server cannot be reached, 0 otherwise.
 */
export async function conformanceCommand(options: ConformanceCommandOptions): Promise<number> {
  const write = options.write ?? ((text: string) => void process.stdout.write(text));
  const headers = options.bearerToken === undefined ? {} : { authorization: `Bearer ${options.bearerToken}` };
  const connectTo = options.connect ?? ((url: string) => connectTransport(url, { headers }));
  const probeTimeoutMs = options.probeTimeoutMs ?? PROBE_TIMEOUT_MS;
  try {
    // One probe first, so an unreachable server is one clear line rather than a table of identical failures.
    const probe = connectTo(options.url);
    let timer: ReturnType<typeof setTimeout> | undefined;
    const timeout = new Promise<never>((_resolve, reject) => {
      timer = setTimeout(() => reject(new Error(`no connection within ${probeTimeoutMs} ms`)), probeTimeoutMs);
    });
    try {
      (await Promise.race([probe, timeout])).close("conformance probe");
    } finally {
      clearTimeout(timer);
      // A probe that connects after the timeout is closed rather than leaked.
      probe.then((late) => late.close("conformance probe"), () => {});
    }
  } catch (error) {
    write(`cannot connect to ${options.url}: ${error instanceof Error ? error.message : String(error)}\n`);
    return 1;
  }
  const report = await runConformance({
    connect: () => connectTo(options.url),
    ...(options.only === undefined ? {} : { only: options.only }),
    ...(options.dialect === undefined ? {} : { dialect: options.dialect }),
    serverOnThisMachine: options.sameHost === true || urlIsThisMachine(options.url),
    ...(options.scratchDir === undefined ? {} : { scratchDir: options.scratchDir }),
    ...(options.log === undefined ? {} : { log: options.log }),
  });
  write(`${formatReport(report)}\n`);
  if (options.json !== undefined) await writeFile(options.json, reportToJson(report));
  return report.failed > 0 ? 1 : 0;
}
