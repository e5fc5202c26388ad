import { mkdir, mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createExecServerClient } from "../../generated/openrpc/client.js";
import type { MessageTransport } from "../rpc/message-transport.js";
import type { Clock } from "../util/clock.js";
import { CheckFailure, CheckSkipped, type Check, type CheckContext, type ConformanceClient } from "./check.js";
import { allChecks } from "./checks/all-checks.js";
import { codexChecks } from "./codex/checks/codex-checks.js";
import { prepareCodexScratch } from "./codex/codex-scratch.js";
import { codexWireJudge } from "./codex/codex-wire-judge.js";
import { HttpFixture } from "./codex/http-fixture.js";
import { openConformanceClient } from "./conformance-client.js";
import { detectDialect } from "./detect-dialect.js";
import type { Dialect, DialectChoice, DialectDecision } from "./dialect.js";
import { RawPeer } from "./raw-peer.js";
import { buildReport, type CheckResult, type Report } from "./report.js";
import { TappedTransport } from "./tapped-transport.js";
import { VariantRecorder } from "./variant-recorder.js";
import { seedWireJudge, type WireJudge } from "./wire-judge.js";

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
   * The dialect to judge (default `auto`: detected from the `initialize` result, see
   * `dialectFromInitializeResult` in dialect.ts).
   */
  dialect?: DialectChoice;
  /**
   * Directory for fixtures and rewritten example paths; created if missing and left in place.
   * Seed: an absolute path (default a fresh `exec-server-conformance-*` under the local `os.tmpdir()`,
   * also created through the server). codex-0.169: a `file:` URI or absolute path on the server's
   * host (default a fresh `exec-server-conformance-*` in the server's announced temporary
   * directory, created through the server); removed afterwards unless given.
   */
  scratchDir?: string;
  /**
   * The server under test runs on this machine, so a loopback HTTP server started by the runner is
   * reachable from it: enables the `http/*` checks and the `http/request` examples (default false: they skip and say so).
   */
  serverOnThisMachine?: boolean;
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
  /** The checks to run (default {@link allChecks} in seed, {@link codexChecks} in codex-0.169); tests pass their own. */
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
 * and with its own timeout; a failing or hanging check never stops the suite. The dialect is
 * decided first (requested or detected), then its checks run.
 */
export async function runConformance(options: ConformanceOptions): Promise<Report> {
  const clock = options.clock ?? conformanceClock;
  const log = options.log ?? (() => {});
  const checkTimeoutMs = options.checkTimeoutMs ?? DEFAULT_CHECK_TIMEOUT_MS;
  const stepTimeoutMs = options.stepTimeoutMs ?? DEFAULT_STEP_TIMEOUT_MS;
  const started = clock.now();
  const choice = options.dialect ?? "auto";
  const decision: DialectDecision =
    choice === "auto" ? await detectDialect(options.connect, clock, stepTimeoutMs) : { dialect: choice, reason: "requested" };
  log(`dialect ${decision.dialect} (${decision.reason})`);
  const dialect = decision.dialect;
  const selected = (options.checks ?? (dialect === "seed" ? allChecks() : codexChecks())).filter((check) => checkFilter(options.only)(check.id));
  const variants = new VariantRecorder();

  const scratchKept = options.scratchDir !== undefined || options.keepScratch === true;
  let scratchDir: string;
  let environmentInfo: Readonly<Record<string, unknown>> | undefined;
  let removeScratch: () => Promise<void>;
  let http: HttpFixture | undefined;
  if (dialect === "seed") {
    if (options.scratchDir !== undefined) {
      scratchDir = options.scratchDir;
      await mkdir(scratchDir, { recursive: true });
    } else {
      scratchDir = await mkdtemp(join(tmpdir(), "exec-server-conformance-"));
    }
    log(`scratch directory ${scratchDir}`);
    await prepareScratch(options.connect, scratchDir, clock, stepTimeoutMs, log);
    removeScratch = () => rm(scratchDir, { recursive: true, force: true });
  } else {
    const scratch = await prepareCodexScratch(options.connect, clock, stepTimeoutMs, log, options.scratchDir);
    scratchDir = scratch.scratchDir;
    environmentInfo = scratch.environmentInfo;
    removeScratch = () => scratch.remove();
    log(`scratch directory ${scratchDir} (on the server's host)`);
  }
  if (options.serverOnThisMachine === true) http = await HttpFixture.start(clock);

  const judge = dialect === "seed" ? seedWireJudge : codexWireJudge;
  const results: CheckResult[] = [];
  try {
    for (const check of selected) {
      const result = await runCheck(check, { connect: options.connect, clock, log, scratchDir, variants, checkTimeoutMs, stepTimeoutMs, dialect, judge, environmentInfo, http });
      log(`${result.status.toUpperCase()} ${result.id}${result.reason === undefined ? "" : `: ${result.reason}`}`);
      results.push(result);
    }
  } finally {
    await http?.close();
    if (!scratchKept) await removeScratch();
  }
  return buildReport({
    dialect: { name: dialect, reason: decision.reason },
    checks: results,
    variants: variants.snapshot(),
    scratchDir,
    scratchKept,
    durationMs: clock.now() - started,
  });
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
  dialect: Dialect;
  judge: WireJudge;
  environmentInfo: Readonly<Record<string, unknown>> | undefined;
  http: HttpFixture | undefined;
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
    const tap = new TappedTransport(inner, variants, deps.judge);
    taps.push(tap);
    return tap;
  };
  const notes: string[] = [];
  const slug = check.id.replace(/[^A-Za-z0-9._-]+/g, "_");
  const ctx: CheckContext = {
    dialect: deps.dialect,
    scratchDir: deps.scratchDir,
    checkDir: deps.dialect === "seed" ? join(deps.scratchDir, slug) : `${deps.scratchDir}/${slug}`,
    environmentInfo: deps.environmentInfo,
    http: deps.http,
    clock,
    stepTimeoutMs,
    openRaw: async () =>
      new RawPeer(await open(), clock, stepTimeoutMs, deps.dialect === "seed" ? {} : { envelope: "lite", integerIds: true }),
    openClient: async (options = {}): Promise<ConformanceClient> =>
      openConformanceClient(await open(), clock, stepTimeoutMs, options, (variant) => variants.observe("initialize", variant)),
    variant: (key, value) => variants.observe(key, value),
    tolerate(key, value, detail) {
      variants.observe(key, value);
      if (!notes.includes(detail)) notes.push(detail);
    },
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
    ...(notes.length === 0 ? {} : { notes }),
    durationMs: clock.now() - started,
  };
}
