/**
 * Launches bench child processes (see `child-main.ts`) so servers do not share the client's event
 * loop, and guarantees they are all killed when the bench ends (normally, on error or on a signal).
 *
 * Children run compiled JavaScript, as users run the server (`dist/`, the bundled bin), not under
 * tsx: `child-main.ts` and everything it imports is bundled once per bench process with esbuild
 * (packages external, lazily imported modules as chunks) into `.tmp/bench-child/<pid>/`. Under tsx
 * the server carried the loader's hooks and source-map support and a larger heap, which cost it
 * up to 1.8× the CPU of the compiled server on block reads (docs/bench.md, "Method").
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync, rmSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { build } from "esbuild";
import type { ChildConfig } from "./child-main.js";

const CHILD_SOURCE = fileURLToPath(new URL("./child-main.ts", import.meta.url));
const CHILD_DIR = fileURLToPath(new URL(`../../.tmp/bench-child/${process.pid}/`, import.meta.url));
const live = new Set<ChildProcess>();

let childMain: Promise<string> | undefined;
/** The compiled child entry (built on first use, removed when the bench exits). */
function compiledChildMain(): Promise<string> {
  childMain ??= build({
    entryPoints: [CHILD_SOURCE],
    outdir: CHILD_DIR,
    outExtension: { ".js": ".mjs" },
    bundle: true,
    splitting: true,
    format: "esm",
    platform: "node",
    target: "node20",
    packages: "external",
    logLevel: "warning",
  }).then(() => join(CHILD_DIR, "child-main.mjs"));
  return childMain;
}

/** A running child: what it reported when ready, a request/response channel, and stop. */
export interface BenchChild {
  readonly pid: number;
  readonly info: Record<string, unknown>;
  call<T = unknown>(op: string, arg?: unknown): Promise<T>;
  stop(): Promise<void>;
}

/** Extra node flags for the child. */
export interface LaunchOptions {
  /** `--expose-gc` (memory measurements). */
  exposeGc?: boolean;
}

/**
 * Starts `role`. When `BENCH_CPU_PROF` names this role (comma-separated list, or `all`), the child
 * runs with `--cpu-prof` and writes its profiles under `.tmp/bench-prof/<role>/` on exit.
 */
export async function launchChild(role: string, config: ChildConfig = {}, options: LaunchOptions = {}): Promise<BenchChild> {
  const main = await compiledChildMain();
  const execArgv: string[] = [];
  if (options.exposeGc) execArgv.push("--expose-gc");
  const profRoles = (process.env.BENCH_CPU_PROF ?? "").split(",");
  if (profRoles.includes(role) || profRoles.includes("all")) {
    // One directory per role (children of a role write one profile each).
    mkdirSync(`.tmp/bench-prof/${role}`, { recursive: true });
    execArgv.push("--cpu-prof", `--cpu-prof-dir=.tmp/bench-prof/${role}`, ...(process.env["BENCH_CPU_PROF_INTERVAL_US"] ? [`--cpu-prof-interval=${process.env["BENCH_CPU_PROF_INTERVAL_US"]}`] : []));
  }
  const child = fork(main, [role, JSON.stringify(config)], { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
  live.add(child);
  child.once("exit", () => live.delete(child));
  let nextId = 1;
  const pending = new Map<number, { resolve(value: unknown): void; reject(error: Error): void }>();
  const info = await new Promise<Record<string, unknown>>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`bench child ${role} not ready after 30 s`)), 30_000);
    child.on("message", (raw: unknown) => {
      const message = raw as { type?: string; info?: Record<string, unknown>; id?: number; result?: unknown; error?: string };
      if (message.type === "ready") {
        clearTimeout(timer);
        resolve(message.info ?? {});
        return;
      }
      const waiter = message.id === undefined ? undefined : pending.get(message.id);
      if (!waiter || message.id === undefined) return;
      pending.delete(message.id);
      if (message.error !== undefined) waiter.reject(new Error(`${role}: ${message.error}`));
      else waiter.resolve(message.result);
    });
    child.once("exit", (code) => {
      clearTimeout(timer);
      reject(new Error(`bench child ${role} exited with ${code} before it was ready`));
      for (const waiter of pending.values()) waiter.reject(new Error(`bench child ${role} exited`));
    });
  });
  return {
    pid: child.pid ?? -1,
    info,
    call<T>(op: string, arg?: unknown): Promise<T> {
      const id = nextId++;
      return new Promise<T>((resolve, reject) => {
        pending.set(id, { resolve: resolve as (value: unknown) => void, reject });
        child.send({ id, op, arg });
      });
    },
    stop: () => stopChild(child),
  };
}

/** SIGTERM, then SIGKILL after 5 s; resolves once `child` has exited (at once if it already has). */
function stopChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve();
  return new Promise<void>((resolve) => {
    const killer = setTimeout(() => child.kill("SIGKILL"), 5000);
    child.once("exit", () => {
      clearTimeout(killer);
      resolve();
    });
    child.kill("SIGTERM");
  });
}

/** Stops every child still running (called at the end of the bench and on errors). */
export async function stopAllChildren(): Promise<void> {
  await Promise.all([...live].map(stopChild));
}

// Last resort when the bench itself exits abruptly: no child may outlive it.
process.on("exit", () => {
  for (const child of live) child.kill("SIGKILL");
  rmSync(CHILD_DIR, { recursive: true, force: true });
});

/** Registers a process started elsewhere (e.g. `websocketd`) so it is killed with the bench children. */
export function trackProcess(child: ChildProcess): { stop(): Promise<void> } {
  live.add(child);
  child.once("exit", () => live.delete(child));
  return {
    stop: () => stopChild(child),
  };
}
