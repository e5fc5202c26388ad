import assert from "node:assert/strict";
import { execFile } from "node:child_process";
import { test } from "node:test";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";

const START = fileURLToPath(new URL("../../src/server/start-exec-server.ts", import.meta.url));

/**
 * Starts a server in a fresh process (cold start is what this guards: docs/bench.md) and lists the
 * CommonJS packages it loaded before it listens.
 */
async function packagesLoadedAtStart(): Promise<string[]> {
  const script = [
    `import { createRequire } from "node:module";`,
    `import { startExecServer } from ${JSON.stringify(START)};`,
    `const server = await startExecServer({ listen: "ws://127.0.0.1:0" });`,
    `const loaded = Object.keys(createRequire(import.meta.url).cache);`,
    `await server.close();`,
    `console.log(JSON.stringify(loaded));`,
  ].join("\n");
  const { stdout } = await promisify(execFile)(process.execPath, ["--import", "tsx", "--input-type=module", "-e", script], { timeout: 60_000 });
  const files = JSON.parse(stdout.trim().split("\n").pop() ?? "[]") as string[];
  return [...new Set(files.flatMap((file) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(file)?.[1] ?? []))];
}

test("a starting server loads neither undici nor node-pty (each loads on its first use)", async () => {
  const packages = await packagesLoadedAtStart();
  assert.ok(packages.includes("ws"), `the listener's ws is loaded (sanity check of the listing): ${packages.join(", ")}`);
  assert.ok(!packages.includes("undici"), `undici loaded at start: ${packages.join(", ")}`);
  assert.ok(!packages.includes("@lydell/node-pty"), `node-pty loaded at start: ${packages.join(", ")}`);
});
