import { spawn } from "node:child_process";
import type { ChildEvents, ChildHandle, ChildSpawnRequest, ChildWriteResult } from "./child-handle.js";
import { shellExitCode } from "./child-handle.js";
import { signalSession } from "./signal-session.js";

/**
 * Spawns a pipe-backed child (`detached`, so it leads its own session and process group). Resolves
 * once the OS confirmed the spawn; rejects with the OS error (e.g. ENOENT) otherwise. `events` only
 * fire after the promise resolved.
 */
export function spawnPipeChild(request: ChildSpawnRequest, events: ChildEvents): Promise<ChildHandle> {
  const [program, ...args] = request.argv;
  return new Promise((resolve, reject) => {
    let child;
    try {
      child = spawn(program, args, {
        cwd: request.cwd,
        env: request.env,
        detached: true,
        stdio: [request.pipeStdin ? "pipe" : "ignore", "pipe", "pipe"],
        ...(request.arg0 === undefined ? {} : { argv0: request.arg0 }),
      });
    } catch (error) {
      reject(error);
      return;
    }
    let spawned = false;
    let stdinOpen = request.pipeStdin;
    child.once("spawn", () => {
      spawned = true;
      const pid = child.pid;
      if (pid === undefined) {
        reject(new Error("spawned child has no pid"));
        return;
      }
      const handle: ChildHandle = {
        pid,
        write(data: Buffer): ChildWriteResult {
          const stdin = child.stdin;
          if (!stdinOpen || stdin === null || stdin.destroyed || stdin.writableEnded) return "stdinClosed";
          stdin.write(data);
          return "accepted";
        },
        inputDrained(limitBytes: number): Promise<void> {
          const stdin = child.stdin;
          if (stdin === null) return Promise.resolve();
          return new Promise<void>((resolve) => {
            const check = () => {
              if (stdin.destroyed || stdin.writableEnded || stdin.writableLength <= limitBytes) {
                stdin.off("drain", check);
                stdin.off("close", check);
                resolve();
              }
            };
            stdin.on("drain", check);
            stdin.on("close", check);
            check();
          });
        },
        pause() {
          child.stdout?.pause();
          child.stderr?.pause();
        },
        resume() {
          child.stdout?.resume();
          child.stderr?.resume();
        },
        destroyStreams() {
          child.stdout?.destroy();
          child.stderr?.destroy();
          child.stdin?.destroy();
        },
        signal: (signal) => signalSession(pid, signal),
      };
      resolve(handle);
    });
    child.on("error", (error) => {
      if (!spawned) reject(error);
      else events.onFailure(error.message);
    });
    child.stdin?.on("error", () => {
      // EPIPE once the child stopped reading: later writes report stdinClosed instead.
      stdinOpen = false;
    });
    child.stdout?.on("data", (data: Buffer) => events.onOutput("stdout", data));
    child.stderr?.on("data", (data: Buffer) => events.onOutput("stderr", data));
    child.stdout?.on("error", (error) => events.onFailure(`stdout: ${error.message}`));
    child.stderr?.on("error", (error) => events.onFailure(`stderr: ${error.message}`));
    child.on("exit", (code, signal) => {
      if (!spawned) return;
      stdinOpen = false;
      events.onExit(shellExitCode(code, signal));
    });
    child.on("close", () => {
      if (spawned) events.onClose();
    });
  });
}
