import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { startExecServer, type RunningExecServer } from "../../src/server/start-exec-server.js";
import { codexSkip, startCodexExecServer, type RunningCodexExecServer } from "../helpers/codex-binary.js";

const CLI = join(import.meta.dirname, "..", "..", "dist", "src", "cli.js");
const notBuilt = existsSync(CLI) ? false : "dist/src/cli.js is missing: run `npm run build` (npm test does)";

interface CliResult {
  code: number | null;
  stdout: string;
  stderr: string;
}

/** Runs the built CLI to completion (input written to its stdin, then closed). */
function cli(args: string[], input = ""): Promise<CliResult> {
  const child = spawn(process.execPath, [CLI, ...args], { stdio: ["pipe", "pipe", "pipe"] });
  let stdout = "";
  let stderr = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  child.stdin.end(input);
  const timer = setTimeout(() => child.kill("SIGKILL"), 30_000);
  // "close", not "exit": at "exit" the pipes may still hold output not read yet.
  return new Promise((resolve) =>
    child.once("close", (code) => {
      clearTimeout(timer);
      resolve({ code, stdout, stderr });
    }),
  );
}

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), "client-commands-"));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** The `run` and `call` checks, against one server. */
function clientCommandChecks(name: string, url: () => string) {
  test(`run streams stdout and stderr, runs in --cwd and passes the exit code through (${name})`, async () => {
    const result = await cli(["run", "--url", url(), "--cwd", dir, "--", "sh", "-c", "printf out; printf err >&2; printf ' %s' \"$PWD\"; exit 3"]);
    assert.equal(result.code, 3, result.stderr);
    assert.equal(result.stdout, `out ${dir}`);
    assert.equal(result.stderr, "err");
  });

  test(`run --tty forwards input to the process (${name})`, async () => {
    const result = await cli(["run", "--tty", "--url", url(), "--cwd", dir, "--", "sh", "-c", "read line; echo got-$line; exit 5"], "hello\n");
    assert.equal(result.code, 5, result.stderr);
    assert.match(result.stdout, /got-hello/);
  });

  test(`call takes a plain path or a file: URI, for fs methods (${name})`, async () => {
    const file = join(dir, `call ${name}.txt`);
    const written = await cli(["call", "--url", url(), "fs/writeFile", JSON.stringify({ path: file, dataBase64: Buffer.from("via call").toString("base64") })]);
    assert.equal(written.code, 0, written.stderr);
    assert.equal(await readFile(file, "utf8"), "via call");
    const uri = `file://${file.split("/").map(encodeURIComponent).join("/")}`;
    const read = await cli(["call", "--url", url(), "fs/readFile", JSON.stringify({ path: uri })]);
    assert.equal(read.code, 0, read.stderr);
    assert.equal(Buffer.from((JSON.parse(read.stdout) as { dataBase64: string }).dataBase64, "base64").toString(), "via call");
    await writeFile(file, "changed");
    const metadata = await cli(["call", "--url", url(), "fs/getMetadata", JSON.stringify({ path: file })]);
    assert.equal(metadata.code, 0, metadata.stderr);
    assert.equal((JSON.parse(metadata.stdout) as { isFile: boolean }).isFile, true);
  });

  test(`call reports a server error and exits 1 (${name})`, async () => {
    const result = await cli(["call", "--url", url(), "fs/readFile", JSON.stringify({ path: join(dir, "missing") })]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /error -32004: /);
  });
}

describe("exec-server run and call against this project's server", { skip: notBuilt }, () => {
  let server: RunningExecServer;
  before(async () => {
    server = await startExecServer();
  });
  after(async () => {
    await server.close();
  });
  clientCommandChecks("ours", () => server.url);

  test("--dialect seed sends plain paths, which this server also takes", async () => {
    const result = await cli(["run", "--dialect", "seed", "--url", server.url, "--cwd", dir, "--", "sh", "-c", 'printf "%s" "$PWD"']);
    assert.equal(result.code, 0, result.stderr);
    assert.equal(result.stdout, dir);
  });
});

describe("exec-server run and call against codex 0.169's exec-server", { skip: notBuilt || codexSkip() }, () => {
  let codex: RunningCodexExecServer;
  before(async () => {
    codex = await startCodexExecServer();
  });
  after(async () => {
    await codex.stop();
  });
  clientCommandChecks("codex", () => codex.url);

  test("--dialect seed (plain paths) is refused by it, as expected of the 0.169 dialect", async () => {
    const result = await cli(["run", "--dialect", "seed", "--url", codex.url, "--cwd", dir, "--", "true"]);
    assert.equal(result.code, 1);
    assert.match(result.stderr, /error -32602: invalid URI: relative URL without a base/);
  });
});
