/**
 * `npm run bench [-- --quick] [--only rpc,bulk,...] [--repeats N] [--out FILE] [--no-rust]`
 *
 * Runs every scenario, prints a Markdown table of min/median/max over repeats and the ratios against
 * each scenario's floor or peer (the Rust original, codex 0.169 `exec-server`, wherever both speak
 * the scenario), and writes `bench/results.json` (machine, versions, every figure, and the ours ÷
 * Rust ratios with their targets under `versusRust`).
 * Exit status: 1 when a correctness check fails or a scenario crashes; targets never fail the run
 * (`--quick` is the CI smoke test: it checks that the scenarios work, not how fast they are).
 */
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { cpus, freemem, tmpdir, totalmem, platform, release, arch } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { stopAllChildren } from "./lib/child.js";
import type { BenchContext, Scenario } from "./lib/context.js";
import { renderTable, type ScenarioResult } from "./lib/report.js";
import { nowMs } from "./lib/stats.js";
import { rpcRoundTrip } from "./scenarios/rpc-round-trip.js";
import { bulkRead } from "./scenarios/bulk-read.js";
import { lossyRelay } from "./scenarios/lossy-relay.js";
import { streamScale } from "./scenarios/stream-scale.js";
import { processOutput } from "./scenarios/process-output.js";
import { coldStart } from "./scenarios/cold-start.js";
import { ptyEcho } from "./scenarios/pty-echo.js";
import { noiseRelay } from "./scenarios/noise-relay.js";
import { clusterScenario } from "./scenarios/cluster.js";
import { sandboxStart } from "./scenarios/sandbox-start.js";
import { CODEX_VERSION, locateRustPeer } from "./lib/rust-peer.js";

const SCENARIOS: readonly Scenario[] = [rpcRoundTrip, bulkRead, lossyRelay, streamScale, processOutput, ptyEcho, coldStart, noiseRelay, clusterScenario, sandboxStart];
/** Scenarios with a Rust peer (the others exercise the relay, which the Rust binary has no local twin of). */
const RUST_SCENARIOS = new Set(["rpc", "bulk", "output", "pty", "cold-start"]);
const ROOT = fileURLToPath(new URL("..", import.meta.url));

interface Args {
  quick: boolean;
  only: string[] | undefined;
  repeats: number | undefined;
  out: string;
  rust: boolean;
}

function parseArgs(argv: readonly string[]): Args {
  const args: Args = { quick: false, only: undefined, repeats: undefined, out: join(ROOT, "bench", "results.json"), rust: true };
  for (let i = 0; i < argv.length; i += 1) {
    const arg = argv[i];
    const value = () => {
      const next = argv[++i];
      if (next === undefined) throw new Error(`${arg} needs a value`);
      return next;
    };
    if (arg === "--quick") args.quick = true;
    else if (arg === "--only") args.only = value().split(",").filter(Boolean);
    else if (arg === "--repeats") args.repeats = Number(value());
    else if (arg === "--out") args.out = value();
    else if (arg === "--no-rust") args.rust = false;
    else if (arg === "--help" || arg === "-h") {
      process.stdout.write(`usage: npm run bench -- [--quick] [--only ${SCENARIOS.map((s) => s.id).join(",")}] [--repeats N] [--out FILE] [--no-rust]\n`);
      process.exit(0);
    } else throw new Error(`unknown argument ${arg}`);
  }
  if (args.repeats !== undefined && !(Number.isSafeInteger(args.repeats) && args.repeats > 0)) throw new Error("--repeats must be a positive integer");
  const unknown = args.only?.filter((id) => !SCENARIOS.some((s) => s.id === id)) ?? [];
  if (unknown.length > 0) throw new Error(`unknown scenario ${unknown.join(", ")}; known: ${SCENARIOS.map((s) => s.id).join(", ")}`);
  return args;
}

function packageVersion(name: string): string {
  try {
    return (JSON.parse(readFileSync(join(ROOT, "node_modules", name, "package.json"), "utf8")) as { version: string }).version;
  } catch {
    return "missing";
  }
}

function machine(): Record<string, unknown> {
  const cpuList = cpus();
  const own = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as { name: string; version: string; dependencies?: Record<string, string> };
  let commit = "unknown";
  try {
    commit = execFileSync("git", ["rev-parse", "HEAD"], { cwd: ROOT, encoding: "utf8" }).trim();
  } catch {
    // Not a git checkout (a tarball): the commit is simply unknown.
  }
  return {
    cpus: cpuList.length,
    cpuModel: cpuList[0]?.model ?? "unknown",
    memoryBytes: totalmem(),
    freeMemoryBytes: freemem(),
    os: `${platform()} ${release()} ${arch()}`,
    node: process.version,
    v8: process.versions.v8,
    commit,
    packages: {
      [own.name]: own.version,
      ...Object.fromEntries(Object.keys(own.dependencies ?? {}).map((name) => [name, packageVersion(name)])),
      tsx: packageVersion("tsx"),
      typescript: packageVersion("typescript"),
    },
    websocketd: whichWebsocketd(),
  };
}

function whichWebsocketd(): string {
  try {
    return execFileSync("websocketd", ["--version"], { encoding: "utf8" }).trim();
  } catch {
    return "not installed";
  }
}

/** The ours ÷ Rust ratios of every scenario, with their targets and verdicts (also in the table). */
function versusRust(results: readonly ScenarioResult[]): unknown[] {
  return results.flatMap((result) =>
    result.ratios
      .filter((r) => /Rust/.test(r.name))
      .map((r) => ({
        scenario: result.id,
        ratio: r.name,
        median: r.unavailable === undefined ? r.summary.median : null,
        min: r.unavailable === undefined ? r.summary.min : null,
        max: r.unavailable === undefined ? r.summary.max : null,
        target: r.target === undefined ? null : `${r.target.op} ${r.target.value}`,
        verdict: r.unavailable !== undefined ? `n/a (${r.unavailable})` : r.target === undefined ? "info" : r.met ? "MET" : "MISSED",
      })),
  );
}

async function withDeadline<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`${what} did not finish within ${ms / 1000} s`)), ms);
  });
  try {
    return await Promise.race([promise, deadline]);
  } finally {
    clearTimeout(timer);
  }
}

async function main(): Promise<number> {
  const args = parseArgs(process.argv.slice(2));
  const selected = SCENARIOS.filter((s) => args.only === undefined || args.only.includes(s.id));
  const started = nowMs();
  const results: ScenarioResult[] = [];
  const failures: string[] = [];
  const log = (line: string) => process.stderr.write(`bench: ${line}\n`);
  log(`${args.quick ? "quick" : "full"} run: ${selected.map((s) => s.id).join(", ")}`);
  // A scenario's stray promise (a timer that outlives it) must not kill the run and lose every other
  // scenario's results: it is recorded as a failure of the scenario running at the time.
  let current = "bench";
  process.on("unhandledRejection", (reason) => {
    const text = reason instanceof Error ? (reason.stack ?? reason.message) : String(reason);
    failures.push(`${current}: unhandled rejection: ${text}`);
    log(`unhandled rejection during ${current}: ${reason instanceof Error ? reason.message : String(reason)}`);
  });
  const rust = selected.some((s) => RUST_SCENARIOS.has(s.id))
    ? await locateRustPeer({ fetch: !args.quick, disabled: !args.rust })
    : { missing: "no selected scenario has a Rust peer" };
  log("binary" in rust ? `Rust peer: ${rust.binary}` : `Rust peer: n/a (${rust.missing})`);
  for (const scenario of selected) {
    const tmpDir = mkdtempSync(join(tmpdir(), `exec-server-bench-${scenario.id}-`));
    const context: BenchContext = {
      quick: args.quick,
      repeats: args.repeats ?? (args.quick ? 2 : scenario.id === "cold-start" ? 10 : scenario.id === "rpc" ? 5 : 3),
      tmpDir,
      rust,
      log,
    };
    current = scenario.id;
    log(`scenario ${scenario.id}: ${scenario.title}`);
    try {
      const result = await withDeadline(scenario.run(context), args.quick ? 90_000 : 180_000, `scenario ${scenario.id}`);
      results.push(result);
      for (const failed of result.checks.filter((c) => !c.ok)) failures.push(`${scenario.id}: ${failed.name}: ${failed.detail}`);
      log(`scenario ${scenario.id} done in ${(result.durationMs / 1000).toFixed(1)} s`);
    } catch (error) {
      failures.push(`${scenario.id}: crashed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}`);
      await stopAllChildren();
    } finally {
      rmSync(tmpDir, { recursive: true, force: true });
    }
  }
  await stopAllChildren();
  const totalMs = nowMs() - started;
  const table = renderTable(results);
  const report = {
    mode: args.quick ? "quick" : "full",
    date: new Date().toISOString(),
    durationMs: totalMs,
    machine: machine(),
    rustPeer: "binary" in rust ? { version: CODEX_VERSION, binary: rust.binary } : { version: CODEX_VERSION, missing: rust.missing },
    versusRust: versusRust(results),
    scenarios: results,
    failures,
    table,
  };
  writeFileSync(args.out, `${JSON.stringify(report, null, 2)}\n`);
  process.stdout.write(`${table}\n\n`);
  for (const result of results) for (const note of result.notes) process.stdout.write(`- ${result.id}: ${note}\n`);
  process.stdout.write(`\nwrote ${args.out} in ${(totalMs / 1000).toFixed(1)} s\n`);
  if (failures.length > 0) {
    process.stderr.write(`\nbench: ${failures.length} correctness failure(s):\n${failures.map((f) => `  - ${f}`).join("\n")}\n`);
    return 1;
  }
  return 0;
}

main().then(
  (code) => process.exit(code),
  async (error: unknown) => {
    process.stderr.write(`bench: ${error instanceof Error ? error.message : String(error)}\n`);
    await stopAllChildren();
    process.exit(2);
  },
);
