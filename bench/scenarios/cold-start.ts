/**
 * Scenario 6: cold start of the built CLI (`node dist/src/cli.js --listen ws://127.0.0.1:0`): time
 * from spawn to the first `GET /readyz` 200, next to `node -e ''` (spawn to exit) as the floor and
 * the Rust original (`codex exec-server --listen ws://127.0.0.1:0`, fresh CODEX_HOME outside /tmp)
 * timed the same way. `dist/` is built with `tsc -p tsconfig.build.json` when it is missing or
 * older than `src/`.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { get } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { BenchContext, Scenario } from "../lib/context.js";
import { check, figure, ratio, ratioOrUnavailable, unavailableFigure, type ScenarioResult } from "../lib/report.js";
import { nowMs, pairedRatios } from "../lib/stats.js";
import { trackProcess } from "../lib/child.js";
import { makeCodexHome, RUST_LABEL } from "../lib/rust-peer.js";

const ROOT = fileURLToPath(new URL("../..", import.meta.url));
const CLI = join(ROOT, "dist", "src", "cli.js");

function newestMtime(dir: string): number {
  let newest = 0;
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    newest = Math.max(newest, entry.isDirectory() ? newestMtime(path) : statSync(path).mtimeMs);
  }
  return newest;
}

/** Builds dist/ when missing or stale; returns a note saying what happened. */
async function ensureBuilt(): Promise<string> {
  const stale = !existsSync(CLI) || Math.max(newestMtime(join(ROOT, "src")), newestMtime(join(ROOT, "generated"))) > statSync(CLI).mtimeMs;
  if (!stale) return "dist/ was up to date";
  const started = nowMs();
  try {
    await promisify(execFile)(process.execPath, [join(ROOT, "node_modules", "typescript", "bin", "tsc"), "-p", "tsconfig.build.json"], { cwd: ROOT });
  } catch (error) {
    // tsc still emits on type errors (another area's work in progress); only a missing CLI is fatal.
    if (!existsSync(CLI)) throw error;
    return `dist/ rebuilt with type errors reported (${((nowMs() - started) / 1000).toFixed(1)} s)`;
  }
  return `dist/ rebuilt (${((nowMs() - started) / 1000).toFixed(1)} s)`;
}

function readyz(url: string): Promise<number> {
  return new Promise((resolve) => {
    const request = get(url, (response) => {
      response.resume();
      resolve(response.statusCode ?? 0);
    });
    request.on("error", () => resolve(0));
  });
}

/** Spawns `argv` (a server that prints its `ws://` URL as a line on stdout), resolves to spawn → first /readyz 200 in ms. */
async function timeReady(argv: readonly string[], env?: NodeJS.ProcessEnv): Promise<number> {
  const start = nowMs();
  const child = spawn(argv[0] as string, argv.slice(1), { stdio: ["ignore", "pipe", "ignore"], ...(env ? { env } : {}) });
  const handle = trackProcess(child);
  try {
    const wsUrl = await new Promise<string>((resolve, reject) => {
      let buffered = "";
      child.stdout.on("data", (chunk: Buffer) => {
        buffered += chunk.toString();
        const url = buffered.split("\n").slice(0, -1).map((line) => line.trim()).find((line) => /^wss?:\/\//.test(line));
        if (url) resolve(url);
      });
      child.once("exit", (code) => reject(new Error(`${argv[0]} exited with ${code} before printing its URL`)));
    });
    const url = `${wsUrl.replace(/^ws:/, "http:")}/readyz`;
    for (;;) {
      if ((await readyz(url)) === 200) return nowMs() - start;
      if (nowMs() - start > 30_000) throw new Error("no /readyz 200 within 30 s");
      await new Promise((resolve) => setTimeout(resolve, 1));
    }
  } finally {
    await handle.stop();
  }
}

const timeCli = () => timeReady([process.execPath, CLI, "--listen", "ws://127.0.0.1:0"]);

/** The Rust peer's cold start; a fresh CODEX_HOME each time (codex sets it up on first start, as a user's first run would). */
async function timeRust(binary: string): Promise<number> {
  const home = makeCodexHome();
  try {
    return await timeReady([binary, "exec-server", "--listen", "ws://127.0.0.1:0"], { ...process.env, CODEX_HOME: home.dir, RUST_LOG: "warn" });
  } finally {
    home.dispose();
  }
}

async function timeNodeEmpty(): Promise<number> {
  const start = nowMs();
  const child = spawn(process.execPath, ["-e", ""], { stdio: "ignore" });
  await new Promise<void>((resolve) => child.once("exit", () => resolve()));
  return nowMs() - start;
}

export const coldStart: Scenario = {
  id: "cold-start",
  title: "CLI cold start",
  async run(context: BenchContext): Promise<ScenarioResult> {
    const started = nowMs();
    const build = await ensureBuilt();
    await timeNodeEmpty(); // warms the OS file cache for node itself
    await timeCli(); // and for dist/ and node_modules
    const rustBinary = "binary" in context.rust ? context.rust.binary : undefined;
    if (rustBinary) await timeRust(rustBinary); // and for the codex binary
    const cli: number[] = [];
    const empty: number[] = [];
    const rust: number[] = [];
    for (let repeat = 0; repeat < context.repeats; repeat += 1) {
      empty.push(await timeNodeEmpty());
      cli.push(await timeCli());
      if (rustBinary) rust.push(await timeRust(rustBinary));
    }
    const rustSide = "missing" in context.rust ? { unavailable: context.rust.missing } : rust;
    return {
      id: this.id,
      title: this.title,
      method: `spawn → first /readyz 200 of \`node dist/src/cli.js --listen ws://127.0.0.1:0\` and of \`codex exec-server --listen ws://127.0.0.1:0\` (fresh CODEX_HOME each) vs spawn → exit of \`node -e ''\`, ${context.repeats} repeats after one warm-up each`,
      figures: [
        figure("CLI spawn → /readyz 200", "ms", cli),
        "unavailable" in rustSide ? unavailableFigure(`${RUST_LABEL} spawn → /readyz 200`, "ms", rustSide.unavailable) : figure(`${RUST_LABEL} spawn → /readyz 200`, "ms", rust),
        figure("node -e ''", "ms", empty),
      ],
      ratios: [ratio("CLI / node -e ''", pairedRatios(cli, empty), { op: "<=", value: 2.0 }), ratioOrUnavailable("CLI / Rust", cli, rustSide)],
      checks: [check("CLI becomes ready", cli.length === context.repeats, `${cli.length} starts`)],
      skipped: [],
      notes: [build],
      durationMs: nowMs() - started,
    };
  },
};
