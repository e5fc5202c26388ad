import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";

/** The codex release the project is tested and benched against (scripts/fetch-codex.sh pins it). */
export const CODEX_VERSION = "0.169.0";

const ROOT = join(import.meta.dirname, "..", "..");

/** Where scripts/fetch-codex.sh puts the binary (same cache rules as the script). */
export function cachedCodexPath(): string {
  const cacheRoot = process.env.EXEC_SERVER_CACHE_DIR ?? join(process.env.XDG_CACHE_HOME ?? join(homedir(), ".cache"), "exec-server");
  return join(cacheRoot, `codex-${CODEX_VERSION}`, "bin", "codex");
}

/**
 * The pinned codex binary: `$EXEC_SERVER_CODEX_BIN`, else the fetch script's cache. Returns the path, or the
 * reason it is missing. Never downloads (CI fetches it in .ci/run; locally run scripts/fetch-codex.sh).
 */
export function findCodexBinary(): { path: string } | { missing: string } {
  const path = process.env.EXEC_SERVER_CODEX_BIN ?? cachedCodexPath();
  if (!existsSync(path)) {
    return { missing: `codex ${CODEX_VERSION} is not at ${path} (run scripts/fetch-codex.sh; .ci/run does)` };
  }
  return { path };
}

/**
 * For `test(name, { skip: codexSkip() }, ...)`: false when the binary is present; else the reason to skip.
 * Under `CI=true` a missing binary is a failure, not a skip: this throws, failing the test file.
 */
export function codexSkip(): false | string {
  const found = findCodexBinary();
  if ("path" in found) return false;
  if (process.env.CI === "true") throw new Error(`CI=true and ${found.missing}`);
  return found.missing;
}

/** The binary's path; throws the missing reason (use after {@link codexSkip} said it is present). */
export function codexPath(): string {
  const found = findCodexBinary();
  if ("missing" in found) throw new Error(found.missing);
  return found.path;
}

/** A temporary CODEX_HOME outside /tmp (codex refuses to create its PATH helpers under a temporary dir). */
export function makeCodexHome(): { dir: string; dispose(): void } {
  const base = join(ROOT, ".tmp");
  execFileSync("mkdir", ["-p", base]);
  const dir = mkdtempSync(join(base, "codex-home-"));
  return { dir, dispose: () => rmSync(dir, { recursive: true, force: true }) };
}

/** A running `codex exec-server --listen ws://127.0.0.1:0` (the Rust original, our oracle). */
export interface RunningCodexExecServer {
  url: string;
  child: ChildProcess;
  /** Stops the server (SIGTERM, then SIGKILL after 2 s) and removes its CODEX_HOME. */
  stop(): Promise<void>;
}

/** Starts the pinned codex exec-server on a loopback port and resolves once it printed its URL. */
export async function startCodexExecServer(extraArgs: string[] = [], env: NodeJS.ProcessEnv = {}): Promise<RunningCodexExecServer> {
  const home = makeCodexHome();
  const child = spawn(codexPath(), ["exec-server", "--listen", "ws://127.0.0.1:0", ...extraArgs], {
    env: { ...process.env, CODEX_HOME: home.dir, RUST_LOG: process.env.RUST_LOG ?? "warn", ...env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => {
    stderr = (stderr + d.toString()).slice(-4096);
  });
  const stop = async (): Promise<void> => {
    await stopChild(child);
    home.dispose();
  };
  const url = await new Promise<string>((resolve, reject) => {
    const lines = createInterface({ input: child.stdout! });
    const timer = setTimeout(() => reject(new Error(`codex exec-server printed no URL within 15 s; stderr: ${stderr}`)), 15_000);
    lines.on("line", (line) => {
      const match = /^ws:\/\/\S+$/.exec(line.trim());
      if (match) {
        clearTimeout(timer);
        resolve(match[0]);
      }
    });
    child.once("exit", (code, signal) => {
      clearTimeout(timer);
      reject(new Error(`codex exec-server exited (${code ?? signal}) before printing its URL; stderr: ${stderr}`));
    });
  }).catch(async (error: unknown) => {
    await stop();
    throw error;
  });
  return { url, child, stop };
}

/** Stops `child` if it still runs: SIGTERM, then SIGKILL after `graceMs` (default 2 000); resolves once it exited. */
export async function stopChild(child: ChildProcess, graceMs = 2000): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGTERM");
  const timer = setTimeout(() => child.kill("SIGKILL"), graceMs);
  await exited;
  clearTimeout(timer);
}

/** A running codex 0.169 process started by {@link spawnCodex}. */
export interface RunningCodex {
  readonly child: ChildProcess;
  /** Its CODEX_HOME (removed by `stop`). */
  readonly home: string;
  /** The last 8 KiB of its stderr, for failure messages. */
  stderr(): string;
  /** Stops it (see {@link stopChild}) and removes its CODEX_HOME. */
  stop(): Promise<void>;
}

/**
 * Starts `codex <args>` (e.g. `exec-server --remote …`) with a fresh CODEX_HOME and `RUST_LOG=warn`
 * plus `env`; stdout is ignored, stderr kept for messages, `stdin` (when given) written and closed.
 */
export function spawnCodex(args: string[], options: { env?: NodeJS.ProcessEnv; stdin?: string } = {}): RunningCodex {
  const home = makeCodexHome();
  const child = spawn(codexPath(), args, {
    env: { ...process.env, CODEX_HOME: home.dir, RUST_LOG: "warn", ...options.env },
    stdio: [options.stdin === undefined ? "ignore" : "pipe", "ignore", "pipe"],
  });
  let stderr = "";
  child.stderr!.on("data", (d: Buffer) => (stderr = (stderr + d.toString()).slice(-8192)));
  if (options.stdin !== undefined) child.stdin!.end(options.stdin);
  return {
    child,
    home: home.dir,
    stderr: () => stderr,
    stop: async () => {
      await stopChild(child);
      home.dispose();
    },
  };
}
