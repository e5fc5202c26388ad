import { readSync } from "node:fs";
import { createRequire } from "node:module";
import type { Readable } from "node:stream";
import type * as NodePty from "@lydell/node-pty";
import type { ChildEvents, ChildHandle, ChildSpawnRequest, ChildWriteResult } from "./child-handle.js";
import { shellExitCode } from "./child-handle.js";
import { signalSession } from "./signal-session.js";
import { resolveProgram } from "./resolve-program.js";

/** Terminal size given to PTY children (the contract has no resize method). */
const PTY_COLUMNS = 80;
const PTY_ROWS = 24;
/**
 * While paused, how often (ms) the PTY checks whether its child is gone. node-pty destroys the
 * terminal 200 ms after the child exits, discarding unread output, so a paused terminal whose child
 * died must be resumed well within that.
 */
const PAUSED_LIVENESS_CHECK_MS = 50;

let nodePty: typeof NodePty | undefined;

/**
 * node-pty (and its native addon), loaded on the first PTY spawn rather than at start-up: most
 * servers never start a PTY, and loading it costs about 10 ms of CPU on every cold start.
 * `require`, because importing this CommonJS package from ESM costs more (see `util/ws-classes.ts`).
 */
function loadNodePty(): typeof NodePty {
  nodePty ??= createRequire(import.meta.url)("@lydell/node-pty") as typeof NodePty;
  return nodePty;
}

/**
 * Spawns a PTY-backed child; it leads its own session with the terminal as controlling tty. The
 * program is resolved first (node-pty would otherwise fork, fail in execvp and report the error as
 * terminal output with exit code 1), so a missing program rejects with ENOENT like a pipe spawn.
 * node-pty sets `TERM` (default `xterm`) and `PWD` in the child environment. `arg0` is applied
 * through `bash -c 'exec -a "$0" "$@"'`, since node-pty always passes the program as argv[0].
 * node-pty reports exit only after the terminal drained, so `onExit` is followed by `onClose`.
 */
export async function spawnPtyChild(request: ChildSpawnRequest, events: ChildEvents): Promise<ChildHandle> {
  const [program, ...args] = request.argv;
  const resolved = await resolveProgram(program, request.env, request.cwd);
  let file = resolved;
  let fileArgs = args;
  if (request.arg0 !== undefined) {
    file = await resolveProgram("bash", { PATH: process.env["PATH"] ?? "/bin:/usr/bin" }, request.cwd);
    fileArgs = ["-c", 'exec -a "$0" "$@"', request.arg0, resolved, ...args];
  }
  const pty = loadNodePty().spawn(file, fileArgs, {
    cwd: request.cwd,
    env: request.env,
    cols: PTY_COLUMNS,
    rows: PTY_ROWS,
    // Raw bytes: decoding here would split multi-byte characters across chunks.
    encoding: null,
  });
  let open = true;
  let paused = false;
  let livenessTimer: unknown;
  const checkLiveness = (): void => {
    livenessTimer = undefined;
    if (!paused) return;
    if (!open || !isAlive(pty.pid)) {
      // The child exited (node-pty reaps it at once): drain the terminal before node-pty tears it down.
      paused = false;
      pty.resume();
      return;
    }
    livenessTimer = request.clock.setTimeout(checkLiveness, PAUSED_LIVENESS_CHECK_MS);
  };
  pty.onData((data: string | Buffer) => {
    events.onOutput("pty", typeof data === "string" ? Buffer.from(data, "utf8") : data);
  });
  drainBeforeDestroy(pty, (data) => events.onOutput("pty", data));
  pty.onExit(({ exitCode, signal }) => {
    open = false;
    if (livenessTimer !== undefined) request.clock.clearTimeout(livenessTimer);
    livenessTimer = undefined;
    events.onExit(shellExitCode(exitCode, signal ?? 0));
    events.onClose();
  });
  return {
    pid: pty.pid,
    inputDrained(): Promise<void> {
      return Promise.resolve();
    },
    write(data: Buffer): ChildWriteResult {
      if (!open) return "stdinClosed";
      // node-pty's typings say string, but the write goes straight to a net.Socket, which takes
      // bytes; a string would be re-encoded as UTF-8 and corrupt binary input.
      pty.write(data as unknown as string);
      return "accepted";
    },
    pause() {
      if (paused || !open) return;
      paused = true;
      pty.pause();
      livenessTimer ??= request.clock.setTimeout(checkLiveness, PAUSED_LIVENESS_CHECK_MS);
    },
    resume() {
      if (!paused) return;
      paused = false;
      if (livenessTimer !== undefined) request.clock.clearTimeout(livenessTimer);
      livenessTimer = undefined;
      pty.resume();
    },
    destroyStreams() {
      // Not needed: node-pty destroys its socket itself 200 ms after the child exits.
    },
    signal: (signal) => signalSession(pty.pid, signal),
  };
}

/**
 * node-pty destroys its terminal socket 200 ms after the child exits unless the terminal reported EOF
 * by then (a macOS workaround), discarding whatever the socket had not read: on a loaded machine the
 * event loop can be away longer than that between the exit and the read, and the child's last output
 * (often all of it) was lost. So the socket's `destroy` first hands over what it still holds: chunks
 * buffered in the stream while paused, then what the terminal has left (read directly from its
 * non-blocking descriptor until EAGAIN or EIO; Linux flushes a closed slave's pending input first).
 */
function drainBeforeDestroy(pty: NodePty.IPty, emit: (data: Buffer) => void): void {
  const socket = (pty as unknown as { _socket?: Readable })._socket;
  const fd = (pty as unknown as { fd?: unknown }).fd;
  if (socket === undefined || typeof socket.destroy !== "function" || typeof fd !== "number") return;
  const destroy = socket.destroy.bind(socket);
  socket.destroy = (error?: Error) => {
    if (!socket.destroyed) {
      // `read()` emits each chunk it returns as "data", which reaches onData like any other output.
      while (socket.read() !== null);
      const buffer = Buffer.allocUnsafe(64 * 1024);
      for (;;) {
        let count: number;
        try {
          count = readSync(fd, buffer, 0, buffer.length, null);
        } catch {
          break; // EAGAIN: nothing left; EIO: the terminal is drained and closed; EBADF: already closed.
        }
        if (count === 0) break;
        emit(Buffer.from(buffer.subarray(0, count)));
      }
    }
    return destroy(error);
  };
}

/** True while `pid` exists (signal 0 probes without signalling); EPERM still means it exists. */
function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    return (error as NodeJS.ErrnoException).code === "EPERM";
  }
}
