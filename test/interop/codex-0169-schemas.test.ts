/**
 * The OpenRPC document against the oracle: every example of the codex 0.169 dialect (methods marked
 * `x-since: codex-0.169` and the 0.169 examples of older methods) is sent to the real codex 0.169
 * exec-server, which must accept its params (no -32602 decode error), and every answer and
 * notification it sends must validate against our schemas. Skips without the binary (fails under CI).
 */
import assert from "node:assert/strict";
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { openrpcDocument, validateNotification, validateResult } from "../../generated/openrpc/index.js";
import { codexSkip, startCodexExecServer, type RunningCodexExecServer } from "../helpers/codex-binary.js";
import { JsonWsClient } from "../helpers/json-ws-client.js";

interface Example {
  name: string;
  params: Array<{ name: string; value: unknown }>;
  result?: { value: unknown };
}
interface Method {
  name: string;
  "x-direction": string;
  "x-since"?: string;
  examples?: Example[];
}

const skip = codexSkip();
const methods = openrpcDocument.methods as unknown as Method[];

/** The examples in the 0.169 dialect, in document order. */
const cases = methods.flatMap((method) =>
  method["x-direction"] !== "request"
    ? []
    : (method.examples ?? [])
        .filter((example) => method["x-since"] === "codex-0.169" || example.name.includes("0.169"))
        .map((example) => ({ method: method.name, example })),
);

/** `file:///x` → `file://<root>/x` at any depth; the HTTP example's port → the fixture server's. */
function rewrite(value: unknown, root: string, httpPort: number): unknown {
  if (typeof value === "string") {
    if (value.startsWith("file:///")) return `file://${root}${value.slice("file://".length)}`;
    return value.replace("http://127.0.0.1:8765/", `http://127.0.0.1:${httpPort}/`);
  }
  if (Array.isArray(value)) return value.map((item) => rewrite(item, root, httpPort));
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(Object.entries(value).map(([key, inner]) => [key, rewrite(inner, root, httpPort)]));
}

describe("the codex 0.169 examples against the real codex exec-server", { skip }, () => {
  let codex: RunningCodexExecServer;
  let http: Server;
  let httpPort = 0;
  let client: JsonWsClient;
  const root = mkdtempSync(join(tmpdir(), "codex-schemas-"));

  before(async () => {
    for (const dir of ["tmp/a/b/deep", "home/user/project", "home/user/caps"]) mkdirSync(join(root, dir), { recursive: true });
    writeFileSync(join(root, "tmp/hello.txt"), "hello\n");
    writeFileSync(join(root, "tmp/sp ace.txt"), "hello\n");
    writeFileSync(join(root, "tmp/a/notes.txt"), "hi\n");
    symlinkSync("hello.txt", join(root, "tmp/link"));
    http = createServer((_request, response) => response.end("hello-http"));
    await new Promise<void>((resolve) => http.listen(0, "127.0.0.1", resolve));
    httpPort = (http.address() as AddressInfo).port;
    codex = await startCodexExecServer();
    client = await JsonWsClient.connect(codex.url);
    await client.handshake({ clientName: "schema-check" });
    // Handles the readBlock/writeBlock examples use (fs/open's own example opens h1 again later).
    await client.call("fs/open", { handleId: "h2", path: `file://${root}/tmp/out.bin`, mode: "replace" });
  });

  after(async () => {
    await client?.close();
    await codex?.stop();
    await new Promise<void>((resolve) => (http ? http.close(() => resolve()) : resolve()));
    rmSync(root, { recursive: true, force: true });
  });

  it("covers every method of the 0.169 dialect", () => {
    const covered = new Set(cases.map((c) => c.method));
    const dialect = methods.filter((m) => m["x-since"] === "codex-0.169" && m["x-direction"] === "request").map((m) => m.name);
    assert.deepEqual(dialect.filter((name) => !covered.has(name)), []);
  });

  for (const { method, example } of cases) {
    it(`${method} "${example.name}": codex accepts the params and its answer validates`, async () => {
      const params = rewrite(Object.fromEntries(example.params.map((p) => [p.name, p.value])), root, httpPort);
      if (method === "fs/readBlock") await client.call("fs/open", { handleId: "h1", path: `file://${root}/tmp/hello.txt` }).catch(() => undefined);
      const response = await client.request(method, params);
      if (response.error !== undefined) {
        // Only a refusal of the params' shape would mean our schema disagrees with the oracle.
        assert.notEqual(response.error.code, -32602, `codex refused the params: ${response.error.message}`);
        assert.notEqual(response.error.code, -32601, `codex does not know ${method}`);
        return;
      }
      assert.deepEqual(validateResult(method, response.result), { ok: true }, JSON.stringify(response.result));
    });
  }

  it("sends notifications that validate (process/exited with sandboxDenied, fs/missingChanged, http/request/bodyDelta)", async () => {
    await client.call("http/request", { method: "GET", url: `http://127.0.0.1:${httpPort}/`, requestId: "stream-1", streamResponse: true });
    await client.call("process/start", {
      processId: "notify-1",
      argv: ["/bin/sh", "-c", "printf hi"],
      cwd: `file://${root}`,
      env: {},
      tty: false,
    });
    await client.call("fs/watchMissing", { watchId: 99, missing: [`file://${root}/tmp/appears`] });
    writeFileSync(join(root, "tmp/appears"), "");
    await client.waitFor(() => client.notifications.some((n) => n.method === "process/closed" && n.params?.["processId"] === "notify-1"), 10_000, "process/closed");
    await client.waitFor(() => client.notifications.some((n) => n.method === "fs/missingChanged"), 10_000, "fs/missingChanged");
    await client.waitFor(() => client.notifications.some((n) => n.method === "http/request/bodyDelta" && n.params?.["done"] === true), 10_000, "the last body delta");
    const methodsSeen = new Set(client.notifications.map((n) => n.method));
    for (const expected of ["process/exited", "fs/missingChanged", "http/request/bodyDelta"]) assert.ok(methodsSeen.has(expected), expected);
    for (const n of client.notifications) {
      assert.deepEqual(validateNotification(n.method!, n.params), { ok: true }, JSON.stringify(n));
    }
  });
});
