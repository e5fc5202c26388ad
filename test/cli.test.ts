import { test } from "node:test";
import assert from "node:assert/strict";
import { spawn, type ChildProcessWithoutNullStreams } from "node:child_process";
import { existsSync, readFileSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createInterface } from "node:readline";
import { JsonWsClient } from "./helpers/json-ws-client.js";
import { alive, waitUntil } from "./helpers/wait.js";

const CLI = join(import.meta.dirname, "..", "dist", "src", "cli.js");
const built = existsSync(CLI);
const skip = built ? false : "dist/src/cli.js is missing: run `npm run build` (npm test does)";

function run(args: string[]): ChildProcessWithoutNullStreams {
  return spawn(process.execPath, [CLI, ...args], { stdio: ["pipe", "pipe", "pipe"] });
}

function firstLine(child: ChildProcessWithoutNullStreams): Promise<string> {
  return new Promise((resolve, reject) => {
    const lines = createInterface({ input: child.stdout });
    lines.once("line", (line) => resolve(line));
    child.once("exit", (code) => reject(new Error(`exited ${code} before printing`)));
  });
}

/** The exit code and stderr, once the child exited and its output was read to the end ("close", not "exit": stdout can still hold unread data at "exit"). */
function exitOf(child: ChildProcessWithoutNullStreams): Promise<{ code: number | null; stderr: string }> {
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  return new Promise((resolve) => child.once("close", (code) => resolve({ code, stderr })));
}

test("prints the bound ws://IP:PORT as its first stdout line", { skip }, async () => {
  const child = run(["--listen", "ws://127.0.0.1:0"]);
  try {
    const line = await firstLine(child);
    assert.match(line, /^ws:\/\/127\.0\.0\.1:\d+$/);
    const response = await fetch(`${line.replace("ws:", "http:")}/readyz`);
    assert.equal(response.status, 200);
  } finally {
    child.kill("SIGKILL");
  }
});

test("exits 2 with the contract's message for a bad listen URL", { skip }, async () => {
  const result = await exitOf(run(["--listen", "ws://localhost:1"]));
  assert.equal(result.code, 2);
  assert.match(result.stderr, /invalid websocket --listen URL `ws:\/\/localhost:1`; expected `ws:\/\/IP:PORT`/);
});

test("logs at start whether bubblewrap can sandbox processes, and which binary", { skip }, async () => {
  const child = spawn(process.execPath, [CLI, "--bwrap-path", "/nonexistent/bwrap"], { stdio: ["pipe", "pipe", "pipe"] });
  try {
    let stderr = "";
    child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
    await firstLine(child);
    await waitUntil(() => stderr.includes("exec-server: sandbox:"), 10_000, "the sandbox line");
    assert.match(stderr, /exec-server: sandbox: unavailable \(bubblewrap is not installed at \/nonexistent\/bwrap .*\); sandboxed requests are refused\n/);
  } finally {
    child.kill("SIGKILL");
  }
});

test("prints usage with --help", { skip }, async () => {
  const child = run(["--help"]);
  let stdout = "";
  child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
  const result = await exitOf(child);
  assert.equal(result.code, 0);
  for (const option of ["--listen", "--allow-origin", "--connection-token-file", "--session-ttl-ms", "--max-retained-bytes", "--allow-unsandboxed", "--bwrap-path"]) {
    assert.ok(stdout.includes(option), `--help mentions ${option}`);
  }
});

test("speaks newline-delimited JSON in stdio mode", { skip }, async () => {
  const child = run(["--listen", "stdio"]);
  try {
    const lines = createInterface({ input: child.stdout });
    const replies: string[] = [];
    lines.on("line", (line) => replies.push(line));
    child.stdin.write(`${JSON.stringify({ id: 1, method: "initialize", params: { clientName: "stdio" } })}\n`);
    child.stdin.write("garbage\n");
    await waitUntil(() => replies.length >= 2, 5000);
    // Requests are processed concurrently, so the two answers may come in either order.
    const parsed = replies.map((line) => JSON.parse(line) as { id: number; result?: { sessionId: string }; error?: { code: number } });
    const init = parsed.find((reply) => reply.id === 1);
    assert.equal(typeof init?.result?.sessionId, "string");
    assert.equal(parsed.find((reply) => reply.id === -1)?.error?.code, -32600);
    child.stdin.end();
    const result = await exitOf(child);
    assert.equal(result.code, 0, "stdin EOF shuts the server down cleanly");
  } finally {
    child.kill("SIGKILL");
  }
});

test("SIGTERM shuts down gracefully and leaves no child process behind", { skip }, async () => {
  const scratch = await mkdtemp(join(tmpdir(), "exec-server-cli-"));
  const child = run([]);
  try {
    const url = await firstLine(child);
    const client = await JsonWsClient.connect(url);
    await client.handshake();
    const pidFile = join(scratch, "pid");
    await client.call("process/start", { processId: "p", argv: ["sh", "-c", `echo $$ > ${pidFile}; exec sleep 300`], cwd: scratch, env: {}, tty: false });
    await client.call("process/start", { processId: "shell", argv: ["bash", "--norc", "-i"], cwd: scratch, env: { PATH: process.env["PATH"] ?? "" }, tty: true });
    await waitUntil(() => existsSync(pidFile) && readFileSync(pidFile, "utf8").trim() !== "", 5000);
    const pid = Number(readFileSync(pidFile, "utf8"));
    const exit = exitOf(child);
    child.kill("SIGTERM");
    const result = await exit;
    assert.equal(result.code, 0);
    assert.equal(alive(pid), false, "the child was killed");
    await client.close();
  } finally {
    child.kill("SIGKILL");
    await rm(scratch, { recursive: true, force: true });
  }
});



test("conformance passes against a running server and ends with the summary line", { skip }, async () => {
  const server = run([]);
  try {
    const url = await firstLine(server);
    const child = run(["conformance", "--url", url, "--dialect", "seed", "--only", "^(lifecycle|fs)/"]);
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    const result = await exitOf(child);
    assert.equal(result.code, 0, stdout + result.stderr);
    const lines = stdout.trim().split("\n");
    assert.match(lines.at(-1) ?? "", /^\d+ passed, 0 failed$/);
  } finally {
    server.kill("SIGKILL");
  }
});

test("conformance refuses an unknown --dialect and lists the choices", { skip }, async () => {
  const result = await exitOf(run(["conformance", "--url", "ws://127.0.0.1:9", "--dialect", "codex-0.1"]));
  assert.notEqual(result.code, 0);
  assert.match(result.stderr, /argument 'codex-0\.1' is invalid\. Allowed choices are auto, seed, codex-0\.169/);
});

test("conformance exits 1 when the server is unreachable", { skip }, async () => {
  const result = await exitOf(run(["conformance", "--url", "ws://127.0.0.1:9"]));
  assert.equal(result.code, 1);
});

test("run --tty forwards input to a remote PTY shell and passes its exit code through", { skip }, async () => {
  const server = run([]);
  try {
    const url = await firstLine(server);
    const child = run(["run", "--tty", "--url", url, "--", "bash", "--norc"]);
    let stdout = "";
    child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
    child.stdin.end("echo hi-$((6*7))\nexit 4\n");
    const result = await exitOf(child);
    assert.equal(result.code, 4, result.stderr);
    assert.match(stdout, /hi-42/);
  } finally {
    server.kill("SIGKILL");
  }
});
