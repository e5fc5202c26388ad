/**
 * Type-level tests, checked by `npm run typecheck` (which includes test/). Each
 * `@ts-expect-error` fails the type check if the line below it compiles.
 */
import assert from "node:assert/strict";
import { it } from "node:test";
import type { ExecServerClient, Handlers, ProcessReadResult, ProcessStartParams } from "../../generated/openrpc/index.js";

// Compiled but never called: only the types matter.
function typeChecks(client: ExecServerClient, complete: Handlers<void>): void {
  const { "fs/copy": _dropped, ...missingOne } = complete;
  // @ts-expect-error a Handlers implementation missing fs/copy does not compile
  const incomplete: Handlers<void> = missingOne;
  void incomplete;

  // @ts-expect-error process/start requires argv
  void client.process.start({ processId: "p", cwd: "/", env: {}, tty: false });
  // @ts-expect-error tty is a boolean
  void client.process.start({ processId: "p", argv: ["x"], cwd: "/", env: {}, tty: "yes" });
  // @ts-expect-error pipe_stdin is not a field (typo of pipeStdin)
  void client.process.start({ processId: "p", argv: ["x"], cwd: "/", env: {}, tty: false, pipe_stdin: true });
  // @ts-expect-error fs.readFile needs params
  void client.fs.readFile();
  // @ts-expect-error process/start is a request, not a server notification
  client.on("process/start", () => {});
  client.on("process/exited", (params) => {
    const code: number = params.exitCode;
    // @ts-expect-error notification params are typed
    const wrong: string = params.seq;
    void code;
    void wrong;
  });

  const start: ProcessStartParams = { processId: "p", argv: ["x"], cwd: "/", env: {}, tty: false, pipeStdin: true, environmentId: "gpu" };
  void client.process.start(start).then((r) => r.processId.toUpperCase());
  void client.process.read({ processId: "p" }).then((r: ProcessReadResult) => r.droppedBytes + (r.exitCode ?? 0));
  void client.environment.list();
}

it("type-level expectations are compiled by npm run typecheck", () => {
  assert.equal(typeof typeChecks, "function");
});
