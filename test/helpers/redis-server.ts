import { execFileSync, spawn, type ChildProcess } from "node:child_process";
import { createConnection, createServer, type AddressInfo } from "node:net";

/**
 * For `test(name, { skip: redisSkip() }, ...)`: false when `redis-server` is installed; else the reason.
 * Under `CI=true` a missing server is a failure, not a skip (`.ci/run` installs it).
 */
export function redisSkip(): false | string {
  try {
    execFileSync("redis-server", ["--version"], { stdio: "ignore" });
    return false;
  } catch {
    if (process.env.CI === "true") throw new Error("CI=true and redis-server is not installed (.ci/run installs the Debian package)");
    return "redis-server is not installed (apt-get install redis-server)";
  }
}

/** A throw-away Redis on a free loopback port: no persistence, killed by `stop()`. */
export interface TestRedis {
  readonly port: number;
  readonly url: string;
  /** Kills the server (SIGKILL: an engine crash; its data is gone). */
  kill(): Promise<void>;
  /** Starts it again on the same port, empty. */
  restart(): Promise<void>;
  stop(): Promise<void>;
}

const live = new Set<ChildProcess>();
process.once("exit", () => {
  for (const child of live) child.kill("SIGKILL");
});

/** A free loopback port (bound and released; another process could take it in between, so callers retry). */
export async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as AddressInfo).port;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

async function listening(port: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = createConnection(port, "127.0.0.1");
    socket.once("connect", () => {
      socket.destroy();
      resolve(true);
    });
    socket.once("error", () => resolve(false));
  });
}

async function spawnRedis(port: number): Promise<ChildProcess> {
  const child = spawn("redis-server", ["--port", String(port), "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--protected-mode", "no"], { stdio: "ignore" });
  live.add(child);
  child.once("exit", () => live.delete(child));
  const deadline = Date.now() + 10_000;
  while (Date.now() < deadline) {
    if (child.exitCode !== null || child.signalCode !== null) throw new Error(`redis-server on ${port} exited (${child.exitCode ?? child.signalCode})`);
    if (await listening(port)) return child;
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
  child.kill("SIGKILL");
  throw new Error(`redis-server did not listen on ${port} within 10 s`);
}

async function killChild(child: ChildProcess): Promise<void> {
  if (child.exitCode !== null || child.signalCode !== null) return;
  const exited = new Promise<void>((resolve) => child.once("exit", () => resolve()));
  child.kill("SIGKILL");
  await exited;
}

/** Starts `redis-server` on a free loopback port (retrying when another process took the port first). */
export async function startTestRedis(): Promise<TestRedis> {
  let port = 0;
  let child: ChildProcess | undefined;
  for (let attempt = 0; attempt < 5 && child === undefined; attempt += 1) {
    port = await freePort();
    child = await spawnRedis(port).catch(() => undefined);
  }
  if (child === undefined) throw new Error("could not start redis-server on a free port");
  let current: ChildProcess = child;
  return {
    port,
    url: `redis://127.0.0.1:${port}`,
    kill: () => killChild(current),
    async restart() {
      await killChild(current);
      current = await spawnRedis(port);
    },
    stop: () => killChild(current),
  };
}
