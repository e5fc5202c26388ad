import assert from "node:assert/strict";
import { describe, it } from "node:test";
import type { ChildEvents } from "../../../src/server/process/child-handle.js";
import { spawnPtyChild } from "../../../src/server/process/pty-child.js";
import { systemClock } from "../../../src/util/clock.js";
import { alive, waitUntil } from "../../helpers/wait.js";
import { CHILD_PATH } from "./helpers.js";

/** Keeps the event loop away for `ms`, as a loaded machine does. */
function stall(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until);
}

describe("PTY children", () => {
  it("deliver their last output even when the event loop was away past node-pty's 200 ms teardown after the exit", async () => {
    for (const paused of [true, false]) {
      const output: Buffer[] = [];
      let exitCode = -1;
      let resolveClosed!: () => void;
      const closed = new Promise<void>((resolve) => (resolveClosed = resolve));
      const events: ChildEvents = {
        onOutput: (_stream, data) => output.push(data),
        onExit: (code) => (exitCode = code),
        onClose: () => resolveClosed(),
        onFailure: () => undefined,
      };
      const handle = await spawnPtyChild(
        { argv: ["sh", "-c", "read line; printf 'last-words-%s' \"$line\"; exit 5"], arg0: undefined, cwd: "/tmp", env: { PATH: CHILD_PATH }, pipeStdin: false, clock: systemClock },
        events,
      );
      // Paused (flow control): nothing is read until the liveness check notices the exit.
      if (paused) handle.pause();
      handle.write(Buffer.from("now\n"));
      await waitUntil(() => !alive(handle.pid), 10_000, "the child to exit and be reaped");
      await new Promise((resolve) => setImmediate(resolve));
      stall(400);
      await closed;
      assert.equal(exitCode, 5);
      assert.match(Buffer.concat(output).toString("utf8"), /last-words-now/, `paused: ${paused}`);
    }
  });
});
