import { dirname, join } from "node:path";
import { openrpcDocument } from "../../../generated/openrpc/document.js";
import type { MethodMap, RequestMethodName } from "../../../generated/openrpc/types.js";
import type { Check, CheckContext, ConformanceClient } from "../check.js";
import { CheckFailure, expect, skip } from "../check.js";
import { describeError, expectOk, expectRpcError, show, unb64 } from "../expectations.js";
import { RpcError } from "../../rpc/rpc-error.js";
import { decodePathUri, encodePathUri } from "../../rpc/path-uri.js";
import type { HttpFixture } from "../codex/http-fixture.js";
import { chunksText, cleanupTerminate, eventsOf, outputText, start, startParams, waitClosed } from "./process-helpers.js";

/** One `examples[]` entry of an OpenRPC method (params by name). */
export interface MethodExample {
  readonly name: string;
  readonly params: ReadonlyArray<{ readonly name: string; readonly value: unknown }>;
  readonly result?: { readonly name: string; readonly value: unknown };
}

/** The parts of an OpenRPC method object the example checks read. */
export interface ExampleMethod {
  readonly name: string;
  readonly "x-direction"?: string;
  readonly "x-since"?: string;
  readonly examples?: readonly MethodExample[];
}

/** Params members holding absolute paths; their values are moved under the check's directory. */
const PATH_KEYS = new Set(["path", "cwd", "sourcePath", "destinationPath", "writable_roots"]);

/** Methods this project added beyond upstream; a server without them (-32601) skips rather than fails. */
const OPTIONAL_METHODS = new Set(["environment/list", "environment/remove", "rpc.discover"]);

/** Bytes the truncation fixture writes: three times the contract's 1 MiB retention. */
const FLOOD_BYTES = 3 * 1024 * 1024;

/** Methods of the codex 0.169 dialect (`x-since`); a server without one (-32601) skips its examples for now. */
const DIALECT_METHODS: ReadonlySet<string> = new Set(
  (openrpcDocument.methods as ExampleMethod[]).filter((method) => method["x-since"] === "codex-0.169").map((method) => method.name),
);

/**
 * Rewrites absolute paths under {@link PATH_KEYS} (at any depth) to live under `root`:
 * `/tmp/a` → `<root>/tmp/a`, and every `file:` URI the same way (`file:///tmp/a` → the URI of
 * `<root>/tmp/a`). Other values are copied unchanged.
 */
export function rewriteExamplePaths(value: unknown, root: string, key?: string): unknown {
  if (typeof value === "string" && value.startsWith("file:///")) return encodePathUri(join(root, decodePathUri(value)));
  if (typeof value === "string") return key !== undefined && PATH_KEYS.has(key) && value.startsWith("/") ? join(root, value) : value;
  if (Array.isArray(value)) return value.map((item) => rewriteExamplePaths(item, root, key));
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([member, inner]) => [member, rewriteExamplePaths(inner, root, member)]));
}

/** By-name example params as an object. */
export function exampleParams(example: MethodExample): Record<string, unknown> {
  return Object.fromEntries(example.params.map((param) => [param.name, param.value]));
}

/** The runner's loopback HTTP server, or a skip saying why there is none. */
function httpFixture(ctx: CheckContext): HttpFixture {
  if (ctx.http === undefined) {
    skip("the server under test is not known to run on this machine, so the runner's loopback HTTP server is out of its reach (use a loopback --url or --same-host)");
  }
  return ctx.http;
}

function slug(text: string): string {
  return text.toLowerCase().replace(/[^a-z0-9]+/g, "-").replace(/^-|-$/g, "");
}

/** What an example handler works with. */
interface ExampleRun {
  readonly ctx: CheckContext;
  readonly conn: ConformanceClient;
  /** Example params with paths rewritten. */
  readonly params: Record<string, unknown>;
  /** The example's result with paths rewritten (undefined for notifications). */
  readonly expected: Record<string, unknown>;
  /** Sends the example request on `conn` and returns the result. */
  send(): Promise<Record<string, unknown>>;
}

type Handler = (run: ExampleRun) => Promise<void>;

const str = (value: unknown): string => String(value);

/** A path member of an example as a native path (fixtures are made with plain paths, which every server accepts). */
const native = (value: unknown): string => (str(value).startsWith("file:") ? decodePathUri(str(value)) : str(value));

async function mkdirp(run: ExampleRun, path: string): Promise<void> {
  await expectOk(run.conn.client.fs.createDirectory({ path, recursive: true }), `fixture fs/createDirectory ${path}`);
}

async function writeFixture(run: ExampleRun, path: string, dataBase64: string): Promise<void> {
  await mkdirp(run, dirname(path));
  await expectOk(run.conn.client.fs.writeFile({ path, dataBase64 }), `fixture fs/writeFile ${path}`);
}

/** Opens a file handle as a fixture; a server without file handles (-32601) skips the example. */
async function openFixture(run: ExampleRun, params: MethodMap["fs/open"]["params"]): Promise<void> {
  try {
    await run.conn.client.fs.open(params);
  } catch (error) {
    if (error instanceof RpcError && error.code === -32601) skip("fs/open is not implemented by this server (-32601); it belongs to the codex 0.169 dialect");
    throw new CheckFailure(`fixture fs/open failed: ${describeError(error)}`);
  }
}

/** A process that writes `text` on `stream` and exits with `exitCode`. */
function printer(text: string, stream: string, exitCode = 0): string[] {
  const redirect = stream === "stderr" ? " >&2" : "";
  return ["sh", "-c", `printf '%s' "$1"${redirect}; exit ${exitCode}`, "sh", text];
}

/** Starts `processId` printing `text`, waits for it to close and returns its notifications. */
async function runPrinter(run: ExampleRun, processId: string, text: string, stream = "stdout", exitCode = 0) {
  await start(run.conn, startParams(run.ctx, processId, printer(text, stream, exitCode), { tty: stream === "pty" }));
  return waitClosed(run.conn, processId);
}

function expectSame(actual: unknown, expected: unknown, what: string): void {
  expect(show(actual) === show(expected), () => `${what}: got ${show(actual)}, the example says ${show(expected)}`);
}

const byFileName = (entries: unknown): unknown =>
  Array.isArray(entries) ? [...(entries as Array<{ fileName: string }>)].sort((a, b) => a.fileName.localeCompare(b.fileName)) : entries;

/** Per-method fixtures and comparisons of the deterministic parts of the example's result. */
const HANDLERS: Readonly<Record<string, Handler>> = {
  "process/start": async (run) => {
    await mkdirp(run, native(run.params["cwd"]));
    const result = await run.send();
    expectSame(result["processId"], run.expected["processId"], "processId");
    if (run.params["tty"] === true) {
      await cleanupTerminate(run.conn, str(run.params["processId"]));
      return;
    }
    await waitClosed(run.conn, str(run.params["processId"]));
  },
  "process/read": async (run) => {
    const processId = str(run.params["processId"]);
    if (run.expected["truncated"] === true) {
      await start(run.conn, startParams(run.ctx, processId, ["sh", "-c", `head -c ${FLOOD_BYTES} /dev/zero`]));
      await waitClosed(run.conn, processId, run.ctx.stepTimeoutMs * 2);
      const result = await run.send();
      expect(result["truncated"] === true, `after ${FLOOD_BYTES} bytes of output, reading from afterSeq ${show(run.params["afterSeq"])} reports truncated=${show(result["truncated"])}`);
      expect(typeof result["droppedBytes"] === "number" && result["droppedBytes"] > 0, `droppedBytes ${show(result["droppedBytes"])}, expected > 0`);
      return;
    }
    const chunks = (run.expected["chunks"] ?? []) as Array<{ chunk: string; stream: string }>;
    const text = chunks.map((chunk) => unb64(chunk.chunk)).join("");
    await runPrinter(run, processId, text, chunks[0]?.stream ?? "stdout", Number(run.expected["exitCode"] ?? 0));
    const result = await run.send();
    expectSame(chunksText(result as { chunks: Array<{ chunk: string; seq: number; stream: "stdout" }> }), text, "decoded chunks");
    for (const key of ["exited", "exitCode", "closed"]) expectSame(result[key], run.expected[key], key);
  },
  "process/write": async (run) => {
    const processId = str(run.params["processId"]);
    await start(run.conn, startParams(run.ctx, processId, ["cat"], { pipeStdin: true }));
    try {
      let result = await run.send();
      for (let attempt = 0; result["status"] === "starting" && attempt < 20; attempt++) {
        await run.ctx.sleep(50);
        result = await run.send();
      }
      expectSame(result["status"], run.expected["status"], "status");
    } finally {
      await cleanupTerminate(run.conn, processId);
    }
  },
  "process/terminate": async (run) => {
    const processId = str(run.params["processId"]);
    if (run.expected["running"] === true) await start(run.conn, startParams(run.ctx, processId, ["sleep", "30"]));
    else await runPrinter(run, processId, "");
    const result = await run.send();
    expectSame(result["running"], run.expected["running"], "running");
    await waitClosed(run.conn, processId);
  },
  "fs/readFile": async (run) => {
    await writeFixture(run, native(run.params["path"]), str(run.expected["dataBase64"]));
    expectSame(await run.send(), run.expected, "result");
  },
  "fs/writeFile": async (run) => {
    await mkdirp(run, dirname(str(run.params["path"])));
    const sandbox = run.params["sandbox"] as { sandboxPolicy?: { writable_roots?: string[] }; writable_roots?: string[] } | undefined;
    for (const root of sandbox?.sandboxPolicy?.writable_roots ?? sandbox?.writable_roots ?? []) await mkdirp(run, root);
    expectSame(await run.send(), run.expected, "result");
    const back = await expectOk(run.conn.client.fs.readFile({ path: str(run.params["path"]) }), "fs/readFile of the written file");
    expectSame(back.dataBase64, run.params["dataBase64"], "bytes read back");
  },
  "fs/createDirectory": async (run) => {
    expectSame(await run.send(), run.expected, "result");
    const meta = await expectOk(run.conn.client.fs.getMetadata({ path: str(run.params["path"]) }), "fs/getMetadata of the new directory");
    expect(meta.isDirectory, `the created path is not a directory: ${show(meta)}`);
  },
  "fs/getMetadata": async (run) => {
    const path = native(run.params["path"]);
    if (run.expected["isDirectory"] === true) await mkdirp(run, path);
    else await writeFixture(run, path, Buffer.alloc(Number(run.expected["size"] ?? 0), "x").toString("base64"));
    const result = await run.send();
    for (const key of ["isDirectory", "isFile", "isSymlink"]) expectSame(result[key], run.expected[key], key);
    if (run.expected["isFile"] === true) expectSame(result["size"], run.expected["size"], "size");
  },
  "fs/readDirectory": async (run) => {
    const path = str(run.params["path"]);
    await mkdirp(run, path);
    for (const entry of (run.expected["entries"] ?? []) as Array<{ fileName: string; isDirectory: boolean }>) {
      if (entry.isDirectory) await mkdirp(run, join(path, entry.fileName));
      else await writeFixture(run, join(path, entry.fileName), "aGkK");
    }
    const result = await run.send();
    expectSame(byFileName(result["entries"]), byFileName(run.expected["entries"]), "entries (sorted by fileName)");
  },
  "fs/remove": async (run) => {
    const path = str(run.params["path"]);
    await mkdirp(run, join(path, "b"));
    await writeFixture(run, join(path, "b", "notes.txt"), "aGkK");
    expectSame(await run.send(), run.expected, "result");
    await expectRpcError(run.conn.client.fs.getMetadata({ path }), -32004, "fs/getMetadata of the removed path");
  },
  "fs/copy": async (run) => {
    const source = str(run.params["sourcePath"]);
    await mkdirp(run, join(source, "b"));
    await writeFixture(run, join(source, "notes.txt"), "aGkK");
    expectSame(await run.send(), run.expected, "result");
    const original = await expectOk(run.conn.client.fs.readDirectory({ path: source }), "fs/readDirectory of the source");
    const copy = await expectOk(run.conn.client.fs.readDirectory({ path: str(run.params["destinationPath"]) }), "fs/readDirectory of the copy");
    expectSame(byFileName(copy.entries), byFileName(original.entries), "entries of the copy");
  },
  "fs/canonicalize": async (run) => {
    const link = native(run.params["path"]);
    const target = native(run.expected["path"]);
    await writeFixture(run, target, "aGkK");
    const made = await run.conn.client.process.start(startParams(run.ctx, `canonicalize-fixture-${slug(link)}`, ["ln", "-sf", target, link]));
    await waitClosed(run.conn, made.processId);
    const result = await run.send();
    // The scratch directory may itself sit behind a symlink (/tmp on macOS): compare the tail.
    const resolved = native(result["path"]);
    expect(resolved.endsWith(target.slice(run.ctx.checkDir.length)), `${show(result["path"])} does not resolve to ${show(run.expected["path"])}`);
  },
  "fs/walk": async (run) => {
    const root = native(run.params["path"]);
    await mkdirp(run, root);
    for (const entry of (run.expected["entries"] ?? []) as Array<{ path: string; kind: string }>) {
      if (entry.kind === "directory") await mkdirp(run, native(entry.path));
      else await writeFixture(run, native(entry.path), "aGkK");
    }
    const result = await run.send();
    expectSame(result, run.expected, "result");
  },
  "fs/open": async (run) => {
    await writeFixture(run, native(run.params["path"]), "aGVsbG8K");
    expectSame(await run.send(), run.expected, "result");
  },
  "fs/readBlock": async (run) => {
    // The example reads the end of a file; make the file hold the example's bytes at its offset.
    const file = join(run.ctx.checkDir, "read-block.bin");
    const tail = Buffer.from(str(run.expected["chunk"]), "base64");
    const bytes = Buffer.concat([Buffer.alloc(Number(run.params["offset"]), "x"), tail]);
    await writeFixture(run, file, bytes.toString("base64"));
    await openFixture(run, { handleId: str(run.params["handleId"]), path: encodePathUri(file) });
    expectSame(await run.send(), run.expected, "result");
  },
  "fs/writeBlock": async (run) => {
    const file = join(run.ctx.checkDir, "write-block.bin");
    await mkdirp(run, run.ctx.checkDir);
    await openFixture(run, { handleId: str(run.params["handleId"]), path: encodePathUri(file), mode: "replace" });
    expectSame(await run.send(), run.expected, "result");
    const back = await expectOk(run.conn.client.fs.readFile({ path: file }), "fs/readFile of the written file");
    const offset = Number(run.params["offset"]);
    expectSame(Buffer.from(back.dataBase64, "base64").subarray(offset).toString("base64"), run.params["chunk"], "bytes written at the offset");
  },
  "fs/close": async (run) => {
    const file = join(run.ctx.checkDir, "close.bin");
    await writeFixture(run, file, "aGkK");
    await openFixture(run, { handleId: str(run.params["handleId"]), path: encodePathUri(file) });
    expectSame(await run.send(), run.expected, "result");
    await expectRpcError(run.conn.client.fs.readBlock({ handleId: str(run.params["handleId"]), offset: 0, len: 1 }), -32004, "fs/readBlock of the closed handle");
  },
  "fs/watchMissing": async (run) => {
    await mkdirp(run, run.ctx.checkDir);
    expectSame(await run.send(), run.expected, "result");
  },
  "http/request": async (run) => {
    // The example's URL is moved to the runner's HTTP server, which serves the example's body there.
    const http = httpFixture(run.ctx);
    const path = new URL(str(run.params["url"])).pathname;
    http.serveStatic(path, Buffer.from(str(run.expected["bodyBase64"]), "base64"));
    run.params["url"] = http.url(path);
    const result = await run.send();
    expectSame(result["status"], run.expected["status"], "status");
    expectSame(result["bodyBase64"], run.expected["bodyBase64"], "bodyBase64");
    const headers = (result["headers"] ?? []) as Array<{ name: string; value: string }>;
    for (const header of (run.expected["headers"] ?? []) as Array<{ name: string; value: string }>) {
      expect(headers.some((h) => h.name === header.name && h.value === header.value), `the response headers lack ${header.name}: ${header.value}: ${show(headers)}`);
    }
  },
  "environment/add": async (run) => {
    expectSame(await run.send(), run.expected, "result");
  },
  "environment/list": async (run) => {
    const remotes = ((run.expected["environments"] ?? []) as Array<{ environmentId: string; kind: string; execServerUrl: string | null }>).filter((env) => env.kind === "remote");
    for (const env of remotes) {
      await expectOk(run.conn.client.environment.add({ environmentId: env.environmentId, execServerUrl: str(env.execServerUrl) }), `fixture environment/add ${env.environmentId}`);
    }
    const result = await run.send();
    const summary = (list: unknown) => (list as Array<Record<string, unknown>>).map((env) => ({ environmentId: env["environmentId"], kind: env["kind"], isDefault: env["isDefault"] }));
    expectSame(summary(result["environments"]), summary(run.expected["environments"]), "environments (id, kind, isDefault)");
  },
  "environment/remove": async (run) => {
    const id = str(run.params["environmentId"]);
    if (run.expected["removed"] === true) {
      await expectOk(run.conn.client.environment.add({ environmentId: id, execServerUrl: "ws://127.0.0.1:9" }), `fixture environment/add ${id}`);
    }
    expectSame((await run.send())["removed"], run.expected["removed"], "removed");
  },
  "rpc.discover": async (run) => {
    const result = await run.send();
    expectSame(result["openrpc"], run.expected["openrpc"], "openrpc");
    const names = new Set(((result["methods"] ?? []) as Array<{ name?: unknown }>).map((method) => method.name));
    const missing = (openrpcDocument.methods as ExampleMethod[]).map((method) => method.name).filter((name) => !names.has(name));
    expect(missing.length === 0, `the discovered document lacks ${missing.join(", ")}`);
  },
};

/**
 * `fs/missingChanged`: a watch on a missing path in the check's directory fires once the path is
 * created. Skipped when the server lacks `fs/watchMissing` (-32601).
 */
async function missingChangedExample(ctx: CheckContext, example: MethodExample): Promise<void> {
  const params = exampleParams(example);
  const conn = await ctx.openClient();
  const missing = join(ctx.checkDir, "appears-later");
  await expectOk(conn.client.fs.createDirectory({ path: ctx.checkDir, recursive: true }), "fixture fs/createDirectory");
  let watching: boolean;
  try {
    watching = (await conn.client.fs.watchMissing({ watchId: Number(params["watchId"]), missing: [encodePathUri(missing)] })).watching;
  } catch (error) {
    if (error instanceof RpcError && error.code === -32601) skip("fs/watchMissing is not implemented by this server (-32601), so fs/missingChanged cannot be provoked");
    throw new CheckFailure(`fs/watchMissing failed: ${describeError(error)}`);
  }
  expect(watching, "fs/watchMissing on a missing path answered watching: false");
  await expectOk(conn.client.fs.writeFile({ path: missing, dataBase64: "" }), "fixture fs/writeFile of the missing path");
  const seen = await conn.waitForNotification((log) => log.find((n) => n.method === "fs/missingChanged"), "fs/missingChanged");
  expectSame(seen.params["watchId"], params["watchId"], "watchId");
}

/**
 * `http/request/bodyDelta`: a streamed `http/request` of a body equal to the example's delta, served
 * by the runner's HTTP server; the delta with the example's seq is compared. Skipped without that
 * server or when the server lacks `http/request` (-32601).
 */
async function bodyDeltaExample(ctx: CheckContext, example: MethodExample): Promise<void> {
  const http = httpFixture(ctx);
  const params = exampleParams(example);
  const path = `/example-body-delta-${slug(example.name)}`;
  http.serveStatic(path, Buffer.from(str(params["deltaBase64"]), "base64"));
  const conn = await ctx.openClient();
  const requestId = str(params["requestId"]);
  try {
    await conn.client.http.request({ method: "GET", url: http.url(path), requestId, streamResponse: true });
  } catch (error) {
    if (error instanceof RpcError && error.code === -32601) skip("http/request is not implemented by this server (-32601), so http/request/bodyDelta cannot be provoked");
    throw new CheckFailure(`http/request failed: ${describeError(error)}`);
  }
  const seen = await conn.waitForNotification(
    (log) => log.find((n) => n.method === "http/request/bodyDelta" && n.params["requestId"] === requestId && n.params["seq"] === params["seq"]),
    `http/request/bodyDelta seq ${show(params["seq"])}`,
  );
  for (const key of ["requestId", "seq", "deltaBase64", "done", "error"]) expectSame(seen.params[key], params[key], key);
}

/** Server notifications are not sent; a process is made to emit one like the example and it is compared. */
async function notificationExample(ctx: CheckContext, method: string, example: MethodExample): Promise<void> {
  if (method === "fs/missingChanged") return missingChangedExample(ctx, example);
  if (method === "http/request/bodyDelta") return bodyDeltaExample(ctx, example);
  const params = exampleParams(example);
  if (params["environmentId"] !== undefined) skip(`needs a remote environment named ${str(params["environmentId"])}`);
  const conn = await ctx.openClient();
  const processId = str(params["processId"]);
  const text = method === "process/output" ? unb64(str(params["chunk"])) : "hi\n";
  const stream = method === "process/output" ? str(params["stream"]) : "stdout";
  const exitCode = method === "process/exited" ? Number(params["exitCode"]) : 0;
  await start(conn, startParams(ctx, processId, printer(text, stream, exitCode), { tty: stream === "pty" }));
  const events = eventsOf(await waitClosed(conn, processId), processId);
  const seen = events.find((event) => event.method === method && (method !== "process/output" || event.params["seq"] === params["seq"]));
  expect(seen !== undefined, `no ${method} with seq ${show(params["seq"])} for ${processId}; events: ${events.map((e) => `${e.method}#${show(e.params["seq"])}`).join(", ")}`);
  if (method === "process/output") {
    expectSame(outputText(events), text, "decoded output");
    expectSame(seen.params["stream"], params["stream"], "stream");
  }
  for (const key of ["seq", "exitCode"]) if (key in params) expectSame(seen.params[key], params[key], key);
}

async function initializeExample(ctx: CheckContext, example: MethodExample): Promise<void> {
  const params = exampleParams(example);
  if (typeof params["resumeSessionId"] !== "string") {
    const conn = await ctx.openClient({ handshake: false });
    const result = (await expectOk(conn.client.core.request("initialize", params as unknown as MethodMap["initialize"]["params"]), "initialize")) as unknown as Record<string, unknown>;
    ctx.variant("initialize", typeof result["sessionId"] === "string" ? "sessionId" : "empty");
    return;
  }
  const first = await ctx.openClient();
  if (first.sessionId === undefined) skip("initialize answered {} (no session ids): resume is not supported by this server");
  first.close();
  const deadline = ctx.clock.now() + ctx.stepTimeoutMs;
  const resumeParams = { ...params, resumeSessionId: first.sessionId } as MethodMap["initialize"]["params"];
  for (;;) {
    const conn = await ctx.openClient({ handshake: false });
    try {
      const result = (await conn.client.core.request("initialize", resumeParams)) as unknown as Record<string, unknown>;
      expectSame(result["sessionId"], first.sessionId, "sessionId of the resumed session");
      return;
    } catch (error) {
      if (error instanceof CheckFailure) throw error;
      const attached = error instanceof RpcError && /already attached/i.test(error.message);
      if (!attached || ctx.clock.now() >= deadline) throw new CheckFailure(`initialize with resumeSessionId failed: ${describeError(error)}`);
      conn.close();
      await ctx.sleep(50);
    }
  }
}

async function initializedExample(ctx: CheckContext, example: MethodExample): Promise<void> {
  const conn = await ctx.openClient({ handshake: false });
  await expectOk(conn.client.initialize({ clientName: "exec-server-conformance" }), "initialize");
  conn.client.core.notify("initialized", exampleParams(example) as MethodMap["initialized"]["params"]);
  await expectOk(conn.client.fs.getMetadata({ path: ctx.scratchDir }), "fs/getMetadata after the example's initialized");
}

function requestExample(method: string, example: MethodExample): (ctx: CheckContext) => Promise<void> {
  return async (ctx) => {
    const handler = HANDLERS[method];
    const experimental = method.startsWith("environment/");
    const conn = await ctx.openClient(experimental ? { capabilities: { experimentalApi: true } } : {});
    const params = rewriteExamplePaths(exampleParams(example), ctx.checkDir) as Record<string, unknown>;
    const expected = rewriteExamplePaths(example.result?.value ?? {}, ctx.checkDir) as Record<string, unknown>;
    const send = async (): Promise<Record<string, unknown>> => {
      try {
        const result = await conn.client.core.request(method as RequestMethodName, params as never);
        return (result ?? {}) as Record<string, unknown>;
      } catch (error) {
        if (error instanceof RpcError && error.code === -32601 && OPTIONAL_METHODS.has(method)) {
          skip(`${method} is not implemented (-32601); it is an optional project extension`);
        }
        if (error instanceof RpcError && error.code === -32601 && DIALECT_METHODS.has(method)) {
          skip(`${method} is not implemented by this server (-32601); it belongs to the codex 0.169 dialect`);
        }
        throw new CheckFailure(`${method} failed: ${describeError(error)} (params ${show(params)})`);
      }
    };
    if (handler === undefined) {
      // A method added to the document after this suite: sending it and validating the result is all we can do.
      await send();
      return;
    }
    await handler({ ctx, conn, params, expected, send });
  };
}

/**
 * One check per `examples[]` entry of every method in the OpenRPC document: requests are sent (paths
 * moved into the scratch directory, fixtures created first) and their results compared with the
 * example where deterministic; server notifications are provoked and compared; every result and
 * notification is schema-validated by the tapped transport.
 */
export function exampleChecks(methods: readonly ExampleMethod[] = openrpcDocument.methods as ExampleMethod[]): Check[] {
  const checks: Check[] = [];
  for (const method of methods) {
    for (const example of method.examples ?? []) {
      const id = `example/${method.name}/${slug(example.name)}`;
      const title = `${method.name} example "${example.name}"`;
      const direction = method["x-direction"] ?? "request";
      if (method.name === "initialize") checks.push({ id, title, run: (ctx) => initializeExample(ctx, example) });
      else if (method.name === "initialized") checks.push({ id, title, run: (ctx) => initializedExample(ctx, example) });
      else if (direction === "server-notification") checks.push({ id, title, run: (ctx) => notificationExample(ctx, method.name, example) });
      else checks.push({ id, title, run: requestExample(method.name, example) });
    }
  }
  return checks;
}
