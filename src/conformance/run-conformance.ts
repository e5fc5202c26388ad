import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createExecServerClient } from "../../generated/openrpc/client.js";
import type { MessageTransport } from "../rpc/message-transport.js";
import type { Clock } from "../util/clock.js";
import { CheckFailure, CheckSkipped, type Check, type CheckContext, type ConformanceClient } from "./check.js";
import { allChecks } from "./checks/all-checks.js";
import { openConformanceClient } from "./conformance-client.js";
import { RawPeer } from "./raw-peer.js";
import { buildReport, type CheckResult, type Report } from "./report.js";
import { TappedTransport } from "./tapped-transport.js";
import { VariantRecorder } from "./variant-recorder.js";

/** Default budget of one check, in milliseconds. */
export const DEFAULT_CHECK_TIMEOUT_MS = 20_000;
/** Default wait for one response or event inside a check, in milliseconds. */
export const DEFAULT_STEP_TIMEOUT_MS = 8_000;

/**
 * The default clock. Unlike `systemClock` its timers keep the process alive: while a check waits
 * for a server over an in-memory or already-idle transport, nothing else may be holding the event
 * loop open, and an unref'd timer would let Node exit mid-run.
 */
export const conformanceClock: Clock = {
  now: () => performance.now(),
  setTimeout: (fn, ms) => setTimeout(fn, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** Options of {@link runConformance}. */
export interface ConformanceOptions {
  /**
   * Opens one fresh connection to the server under test. Called once or more per check, so checks
   * never share a connection or a session. Plain websocket: `() => connectWebSocket(url)`; a relay
   * harness URL only needs a different factory.
   */
  connect: () => Promise<MessageTransport>;
  /** Runs only the checks whose id matches (a string is a regular expression, or a substring if it does not compile). */
  only?: RegExp | string;
  /**
   * Directory for fixtures and rewritten example paths; created if missing and left in place.
   * Default: a fresh `exec-server-conformance-*` directory under `os.tmpdir()`, removed afterwards.
   */
  scratchDir?: string;
  /** Keep the default scratch directory after the run (default false). */
  keepScratch?: boolean;
  /** Progress lines (one per check). Default none. */
  log?: (line: string) => void;
  /** Budget of one check in milliseconds (default {@link DEFAULT_CHECK_TIMEOUT_MS}); a check may ask for more. */
  checkTimeoutMs?: number;
  /** Wait for one response or event in milliseconds (default {@link DEFAULT_STEP_TIMEOUT_MS}). */
  stepTimeoutMs?: number;
  /** Time source and timers (default {@link conformanceClock}). */
  clock?: Clock;
  /** The checks to run (default {@link allChecks}); tests pass their own. */
  checks?: readonly Check[];
}

/** Compiles the `only` option into a predicate on check ids. */
export function checkFilter(only: RegExp | string | undefined): (id: string) => boolean {
  if (only === undefined) return () => true;
  if (only instanceof RegExp) return (id) => only.test(id);
  let pattern: RegExp | undefined;
  try {
    pattern = new RegExp(only);
  } catch {
    // Not a valid regular expression: treat it as a plain substring, which is what the user typed.
    pattern = undefined;
  }
  return pattern === undefined ? (id) => id.includes(only) : (id) => pattern.test(id);
}

/**
 * Runs the conformance checks against a server, one after another, each on its own connection(s)
 * and with its own timeout; a failing or hanging check never stops the suite.
 */
export async function runConformance(options: ConformanceOptions): Promise<Report> {
  const clock = options.clock ?? conformanceClock;
  const log = options.log ?? (() => {});
  const checkTimeoutMs = options.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const stepTimeoutMs = options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
  const selected = (options.checks ?? allChecks()).filter((check) => checkFilter(options.only)(check.id));
  const variants = new VariantRecorder();
  const started = clock.now();

  const scratchKept = options.scratchDir !== undefined || options.keepScratch === true;
  let scratchDir: string;
  if (options.scratchDir !== undefined) {
    scratchDir = options.scratchDir;
    await mkdir(scratchDir, { recursive: true });
  } else {
    scratchDir = await mkdtemp(join(tmpdir(), "exec-server-conformance-"));
  }
  log(`scratch directory ${scratchDir}`);
  await prepareScratch(options.connect, scratchDir, clock, stepTimeoutMs, log);

  const results: CheckResult[] = [];
  try {
    for (const check of selected) {
      const result = await runCheck(check, { connect: options.connect, clock, log, scratchDir, variants, checkTimeoutMs, stepTimeoutMs });
      log(`${result.status.toUpperCase()} ${result.id}${result.reason === undefined ? "" : `: ${result.reason}`}`);
      results.push(result);
    }
  } finally {
    if (!scratchKept) await rm(scratchDir, { recursive: true, force: true });
  }
  return buildReport({ checks: results, variants: variants.snapshot(), scratchDir, scratchKept, durationMs: clock.now() - started });
}

/**
 * Creates the scratch directory through the server too, for servers on another machine. Best
 * effort: a server whose handshake or fs methods are broken fails the relevant checks instead.
 */
async function prepareScratch(connect: () => Promise<MessageTransport>, scratchDir: string, clock: Clock, stepTimeoutMs: number, log: (line: string) => void): Promise<void> {
  let transport: MessageTransport | undefined;
  try {
    transport = await connect();
    const client = createExecServerClient(transport, { timeoutMs: stepTimeoutMs, timers: clock });
    await client.initialize({ clientName: "exec-server-conformance" });
    client.notifyInitialized({});
    await client.fs.createDirectory({ path: scratchDir, recursive: true });
  } catch (error) {
    log(`could not create the scratch directory through the server: ${error instanceof Error ? error.message : String(error)}`);
  } finally {
    transport?.close("conformance setup finished");
  }
}

interface RunDeps {
  connect: () => Promise<MessageTransport>;
  clock: Clock;
  log: (line: string) => void;
  scratchDir: string;
  variants: VariantRecorder;
  checkTimeoutMs: number;
  stepTimeoutMs: number;
}

async function runCheck(check: Check, deps: RunDeps): Promise<CheckResult> {
  const { clock, variants, stepTimeoutMs } = deps;
  const taps: TappedTransport[] = [];
  const open = async (): Promise<TappedTransport> => {
    let inner: MessageTransport;
    try {
      inner = await deps.connect();
    } catch (error) {
      throw new CheckFailure(`cannot connect: ${error instanceof Error ? error.message : String(error)}`);
    }
    const tap = new TappedTransport(inner, variants);
    taps.push(tap);
    return tap;
  };
  const ctx: CheckContext = {
    scratchDir: deps.scratchDir,
    checkDir: join(deps.scratchDir, check.id.replace(/[^A-Za-z0-9._-]+/g, "_")),
    clock,
    stepTimeoutMs,
    openRaw: async () => new RawPeer(await open(), clock, stepTimeoutMs),
    openClient: async (options = {}): Promise<ConformanceClient> =>
      openConformanceClient(await open(), clock, stepTimeoutMs, options, (variant) => variants.observe("initialize", variant)),
    variant: (key, value) => variants.observe(key, value),
    sleep: (ms) => new Promise((resolve) => clock.setTimeout(resolve, ms)),
    log: deps.log,
  };

  const timeoutMs = check.timeoutMs ?? deps.checkTimeoutMs;
  const started = clock.now();
  let timer: unknown;
  const timeout = new Promise<never>((_resolve, reject) => {
    timer = clock.setTimeout(() => reject(new CheckFailure(`timed out after ${timeoutMs} ms`)), timeoutMs);
  });
  const running = Promise.resolve().then(() => check.run(ctx));
  // After a timeout the check keeps running until its connections close; its late rejection is moot.
  running.catch(() => {});
  let status: CheckResult["status"] = "pass";
  let reason: string | undefined;
  try {
    await Promise.race([running, timeout]);
  } catch (error) {
    if (error instanceof CheckSkipped) {
      status = "skip";
      reason = error.message;
    } else {
      status = "fail";
      reason = error instanceof CheckFailure ? error.message : `unexpected ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}`;
    }
  } finally {
    clock.clearTimeout(timer);
  }
  const violations = taps.flatMap((tap) => tap.violations);
  for (const tap of taps) tap.close("conformance check finished");
  if (violations.length > 0) {
    const summary = violations.length === 1 ? violations[0]! : `${violations[0]!} (and ${violations.length - 1} more)`;
    // A schema violation is often the root cause of a later assertion, so it is never hidden by one.
    reason = status === "fail" ? `${reason ?? "failed"}; schema: ${summary}` : summary;
    status = "fail";
  }
  return {
    id: check.id,
    title: check.title,
    status,
    ...(reason === undefined ? {} : { reason }),
    durationMs: clock.now() - started,
  };
}
