/**
 * Launches bench child processes (see `child-main.ts`) so servers do not share the client's event
 * loop, and guarantees they are all killed when the bench ends (normally, on error or on a signal).
 */
import { fork, type ChildProcess } from "node:child_process";
import { mkdirSync } from "node:fs";
import { fileURLToPath } from "node:url";
import type { ChildConfig } from "./child-main.js";

const CHILD_MAIN = fileURLToPath(new URL("./child-main.ts", import.meta.url));
const live = new Set<ChildProcess>();

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
  const execArgv = ["--import", "tsx"];
  if (options.exposeGc) execArgv.push("--expose-gc");
  const profRoles = (process.env.BENCH_CPU_PROF ?? "").split(",");
  if (profRoles.includes(role) || profRoles.includes("all")) {
    // One directory per role: the tsx loader thread writes its own profile next to the main thread's.
    mkdirSync(`.tmp/bench-prof/${role}`, { recursive: true });
    execArgv.push("--cpu-prof", `--cpu-prof-dir=.tmp/bench-prof/${role}`);
  }
  const child = fork(CHILD_MAIN, [role, JSON.stringify(config)], { execArgv, stdio: ["ignore", "inherit", "inherit", "ipc"] });
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
});

/** Registers a process started elsewhere (e.g. `websocketd`) so it is killed with the bench children. */
export function trackProcess(child: ChildProcess): { stop(): Promise<void> } {
  live.add(child);
  child.once("exit", () => live.delete(child));
  return {
    stop: () => stopChild(child),
  };
}
