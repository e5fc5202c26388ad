/**
 * Scenario 6: cold start of the built CLI (`node dist/src/cli.js --listen ws://127.0.0.1:0`): time
 * from spawn to the first `GET /readyz` 200, next to `node -e ''` (spawn to exit) as the floor.
 * `dist/` is built with `tsc -p tsconfig.build.json` when it is missing or older than `src/`.
 */
import { execFile, spawn } from "node:child_process";
import { existsSync, readdirSync, statSync } from "node:fs";
import { get } from "node:http";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import type { BenchContext, Scenario } from "../lib/context.js";
import { check, figure, ratio, type ScenarioResult } from "../lib/report.js";
import { nowMs, pairedRatios } from "../lib/stats.js";
import { trackProcess } from "../lib/child.js";

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

async function timeCli(): Promise<number> {
  const start = nowMs();
  const child = spawn(process.execPath, [CLI, "--listen", "ws://127.0.0.1:0"], { stdio: ["ignore", "pipe", "ignore"] });
  const handle = trackProcess(child);
  try {
    const wsUrl = await new Promise<string>((resolve, reject) => {
      let buffered = "";
      child.stdout.on("data", (chunk: Buffer) => {
        buffered += chunk.toString();
        const line = buffered.split("\n")[0];
        if (buffered.includes("\n") && line) resolve(line.trim());
      });
      child.once("exit", (code) => reject(new Error(`CLI exited with ${code} before printing its URL`)));
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
    const cli: number[] = [];
    const empty: number[] = [];
    for (let repeat = 0; repeat < context.repeats; repeat += 1) {
      empty.push(await timeNodeEmpty());
      cli.push(await timeCli());
    }
    return {
      id: this.id,
      title: this.title,
      method: `spawn → first /readyz 200 of \`node dist/src/cli.js --listen ws://127.0.0.1:0\` vs spawn → exit of \`node -e ''\`, ${context.repeats} repeats after one warm-up each`,
      figures: [figure("CLI spawn → /readyz 200", "ms", cli), figure("node -e ''", "ms", empty)],
      ratios: [ratio("CLI / node -e ''", pairedRatios(cli, empty))],
      checks: [check("CLI becomes ready", cli.length === context.repeats, `${cli.length} starts`)],
      skipped: [],
      notes: [build],
      durationMs: nowMs() - started,
    };
  },
};
