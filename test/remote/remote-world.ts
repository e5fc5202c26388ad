/**
 * The whole remote path in-process, for the cleartext and the Noise executor tests alike: a
 * rendezvous, an {@link ExecServer} behind a remote executor registered with it, and a harness
 * connection. The concrete executor and harness (and how they find each other) are the caller's.
 */
import type { RemoteExecutorState } from "../../src/remote/executor-loop.js";
import type { Rendezvous } from "../../src/remote/rendezvous/rendezvous-server.js";
import { ExecServer } from "../../src/server/exec-server.js";
import { waitUntil } from "../helpers/wait.js";

/** What the world needs of an executor (`RemoteExecutor`, `NoiseRemoteExecutor`). */
export interface WorldExecutor {
  run(): Promise<void>;
  stop(): void;
  readonly state: RemoteExecutorState;
}

/** A running remote path; `rendezvous` may be replaced (a restart test), cleanup closes the current one. */
export interface RemoteWorld<E extends WorldExecutor, H extends { close(): void }> {
  rendezvous: Rendezvous;
  readonly server: ExecServer;
  readonly executor: E;
  readonly harness: H;
  /** The executor's run loop. */
  readonly running: Promise<void>;
  /** The executor's log lines. */
  readonly log: string[];
}

/** Options of {@link startRemoteWorld}. */
export interface RemoteWorldInit<E, H> {
  readonly rendezvous: Rendezvous;
  /** Builds the executor registering with `rendezvous` and serving `server`, logging to `log`. */
  readonly executor: (rendezvous: Rendezvous, server: ExecServer, log: (line: string) => void) => E;
  /** Connects the harness once the executor is connected. */
  readonly harness: (rendezvous: Rendezvous) => Promise<H>;
  /** How long the executor may take to connect, ms. */
  readonly connectTimeoutMs: number;
  /** Where the world's cleanup goes (run by the test file's `after`). */
  readonly cleanups: Array<() => Promise<void> | void>;
}

/** Starts the executor, waits until it is connected, connects the harness; registers the cleanup. */
export async function startRemoteWorld<E extends WorldExecutor, H extends { close(): void }>(init: RemoteWorldInit<E, H>): Promise<RemoteWorld<E, H>> {
  const server = new ExecServer({ processes: { terminateGraceMs: 300 } });
  const log: string[] = [];
  const executor = init.executor(init.rendezvous, server, (line) => log.push(line));
  const running = executor.run();
  await waitUntil(() => executor.state === "connected", init.connectTimeoutMs, "executor connected");
  const harness = await init.harness(init.rendezvous);
  const world: RemoteWorld<E, H> = { rendezvous: init.rendezvous, server, executor, harness, running, log };
  init.cleanups.push(async () => {
    harness.close();
    executor.stop();
    await running.catch(() => undefined);
    await server.shutdown();
    await world.rendezvous.close();
  });
  return world;
}
