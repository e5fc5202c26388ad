/**
 * Both wire dialects on the real websocket server: the seed's plain absolute paths and codex 0.169's
 * `file:` URIs, the 0.169 lifecycle additions (environmentInfo, environment/info|status), the 0.169
 * process/fs members (accepted, or refused by name), and the methods still answered -32601.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { encodePathUri } from "../../src/rpc/path-uri.js";
import { PROVIDER_ID } from "../../src/server/environment-info.js";
import { startExecServer, type RunningExecServer } from "../../src/server/start-exec-server.js";
import { PACKAGE_VERSION } from "../../src/util/package-version.js";
import { b64, JsonWsClient } from "../helpers/json-ws-client.js";

let server: RunningExecServer;
let scratch: string;
const clients: JsonWsClient[] = [];

async function ready(): Promise<JsonWsClient> {
  const client = await JsonWsClient.connect(server.url);
  clients.push(client);
  await client.handshake({ clientName: "dialects" });
  return client;
}

/** Names upstream encodes (or not) in URIs; each is a file holding its own name. */
const ODD_NAMES = ["sp ace", "pct%", "a%2Fb", "hash#", "q?", "ü ni", "中文", "😀", "bs\\x", 'quo"te', "lt<gt>", "br{ace}", "back`tick", "car^et|[br]", "tab\tx", "C:"];

before(async () => {
  scratch = await realpath(await mkdtemp(join(tmpdir(), "exec-server-dialects-")));
  for (const name of ODD_NAMES) await writeFile(join(scratch, name), name);
  await symlink("sp ace", join(scratch, "link"));
  server = await startExecServer({ processes: { terminateGraceMs: 500 } });
});
after(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await server.close();
  await rm(scratch, { recursive: true, force: true });
});

const text = (result: Record<string, unknown>) => Buffer.from(String(result["dataBase64"]), "base64").toString("utf8");

describe("paths in both dialects", () => {
  test("a plain path and its file: URI read the same file, whatever its name", async () => {
    const client = await ready();
    for (const name of ODD_NAMES) {
      const path = join(scratch, name);
      const plain = await client.call("fs/readFile", { path });
      const uri = await client.call("fs/readFile", { path: encodePathUri(path) });
      assert.equal(text(plain), name);
      assert.equal(text(uri), name, encodePathUri(path));
    }
    // Spellings upstream accepts for the same file.
    const spaced = join(scratch, "sp ace");
    for (const spelling of [`FILE://${scratch}/sp%20ace`, `file://localhost${scratch}/sp ace`, `file:${scratch}/./x/../sp%20ace/`, `file://${scratch}/link`]) {
      assert.equal(text(await client.call("fs/readFile", { path: spelling })), "sp ace", spelling);
    }
    assert.equal(text(await client.call("fs/readFile", { path: `file://${scratch}/a%252Fb` })), "a%2Fb");
    assert.equal((await client.request("fs/readFile", { path: spaced })).error, undefined);
  });

  test("%2F in a URI separates segments", async () => {
    const client = await ready();
    await mkdir(join(scratch, "d1"), { recursive: true });
    await writeFile(join(scratch, "d1", "f"), "nested");
    assert.equal(text(await client.call("fs/readFile", { path: `file://${scratch}/d1%2Ff` })), "nested");
  });

  test("writes, lists, copies and removes through URIs (seed methods, URI paths)", async () => {
    const client = await ready();
    const dir = `${encodePathUri(scratch)}/made%20here`;
    await client.call("fs/createDirectory", { path: dir });
    await client.call("fs/writeFile", { path: `${dir}/f%23.txt`, dataBase64: b64("written") });
    assert.equal(await readFile(join(scratch, "made here", "f#.txt"), "utf8"), "written");
    await client.call("fs/copy", { sourcePath: `${dir}/f%23.txt`, destinationPath: join(scratch, "made here", "copy.txt"), recursive: false });
    const listed = await client.call("fs/readDirectory", { path: dir });
    assert.deepEqual((listed["entries"] as Array<{ fileName: string }>).map((e) => e.fileName).sort(), ["copy.txt", "f#.txt"]);
    const meta = await client.call("fs/getMetadata", { path: `${dir}/copy.txt` });
    assert.equal(meta["size"], 7);
    await client.call("fs/remove", { path: dir });
    await assert.rejects(readFile(join(scratch, "made here", "copy.txt")));
  });

  test("fs/canonicalize answers canonical URIs for both dialects and round-trips odd names", async () => {
    const client = await ready();
    for (const name of ODD_NAMES) {
      const path = join(scratch, name);
      const expected = encodePathUri(path);
      assert.equal((await client.call("fs/canonicalize", { path: expected }))["path"], expected, name);
      assert.equal((await client.call("fs/canonicalize", { path }))["path"], expected, `${name} (plain request: a 0.169 method answers URIs)`);
    }
    assert.equal((await client.call("fs/canonicalize", { path: `file://${scratch}/link` }))["path"], encodePathUri(join(scratch, "sp ace")));
    const missing = await client.request("fs/canonicalize", { path: `file://${scratch}/nope` });
    assert.equal(missing.error?.code, -32004);
  });

  test("bad URIs get upstream's codes and messages; a relative plain path keeps the seed's message", async () => {
    const client = await ready();
    const cases: Array<[string, number, string]> = [
      ["file:///tmp?x=1", -32602, "query parameters are not allowed in path URIs"],
      ["file:///tmp#frag", -32602, "fragments are not allowed in path URIs"],
      ["http://example.com/tmp", -32602, "unsupported path URI scheme `http`"],
      ["file://user@host/x", -32602, "invalid URI: invalid international domain name"],
      ["file://[::1/x", -32602, "invalid URI: invalid IPv6 address"],
      ["file:///tmp/a%00b", -32602, "'file:///tmp/a%00b' is invalid on 'linux'"],
      ["file://server/share/x.txt", -32600, "'file://server/share/x.txt' is invalid on 'linux'"],
      ["file:///c:/Windows/x.txt", -32600, "'file:///C:/Windows/x.txt' is invalid on 'linux'"],
      ["tmp/x", -32602, 'invalid params for fs/getMetadata: path must be an absolute path (got "tmp/x")'],
    ];
    for (const [path, code, message] of cases) {
      const response = await client.request("fs/getMetadata", { path });
      assert.deepEqual(response.error, { code, message }, path);
    }
    const copy = await client.request("fs/copy", { sourcePath: "file:///tmp", destinationPath: "file:///x?y", recursive: true });
    assert.deepEqual(copy.error, { code: -32602, message: "query parameters are not allowed in path URIs" });
  });
});

describe("processes in the 0.169 dialect", () => {
  test("process/start takes a cwd URI and the 0.169 members; answers sandboxType, and sandboxDenied on read and exit", async () => {
    const client = await ready();
    const started = await client.call("process/start", {
      processId: "uri-cwd",
      metadata: { threadId: "0199a9c2-5a51-7f43-9a0e-3d2c1b0a9f8e", toolCallId: "call_1" },
      argv: ["/bin/sh", "-c", "pwd"],
      cwd: `${encodePathUri(scratch)}/`,
      envPolicy: { inherit: "none", ignoreDefaultExcludes: false, exclude: [], set: {}, includeOnly: [] },
      env: {},
      tty: false,
      pipeStdin: false,
      arg0: null,
      sandbox: { permissions: { type: "disabled" }, windowsSandboxLevel: "disabled" },
      enforceManagedNetwork: false,
      managedNetwork: { loopbackPorts: [8080], allowLocalBinding: true },
      networkProxy: null,
      shellSnapshot: null,
    });
    assert.deepEqual(started, { processId: "uri-cwd", sandboxType: "none" });
    const exited = await client.waitFor(() => client.notifications.find((n) => n.method === "process/exited" && n.params?.["processId"] === "uri-cwd"), 5000, "exit");
    assert.equal(exited.params?.["sandboxDenied"], false);
    await client.waitFor(() => client.notifications.find((n) => n.method === "process/closed" && n.params?.["processId"] === "uri-cwd"), 5000, "close");
    assert.equal(client.outputOf("uri-cwd"), `${scratch}\n`);
    const read = await client.call("process/read", { processId: "uri-cwd" });
    assert.equal(read["sandboxDenied"], false);
  });

  test("a foreign cwd URI gets upstream's process/start message (-32602)", async () => {
    const client = await ready();
    const response = await client.request("process/start", { processId: "w", argv: ["true"], cwd: "file:///C:/x", env: {}, tty: false });
    assert.deepEqual(response.error, {
      code: -32602,
      message: "cwd URI `file:///C:/x` is not valid on this exec-server host: 'file:///C:/x' is invalid on 'linux'",
    });
  });

  test("refuses the 0.169 members it cannot honour, naming each", async () => {
    const client = await ready();
    const base = { argv: ["true"], cwd: scratch, env: {}, tty: false };
    const cases: Array<[Record<string, unknown>, number, RegExp]> = [
      [{ enforceManagedNetwork: true }, -32602, /^enforceManagedNetwork: true is not supported/],
      [{ networkProxy: { proxy: { enabled: true } } }, -32602, /^networkProxy is not supported/],
      [{ shellSnapshot: { scopeId: "s", shell: { name: "bash", path: "/bin/bash" } } }, -32602, /^shellSnapshot is not supported/],
      [
        { sandbox: { permissions: { type: "disabled" }, windowsSandboxLevel: "restricted-token" } },
        -32600,
        /^sandbox refused: windowsSandboxLevel "restricted-token" selects a Windows sandbox/,
      ],
    ];
    for (const [extra, code, message] of cases) {
      const response = await client.request("process/start", { processId: "refused", ...base, ...extra });
      assert.equal(response.error?.code, code, JSON.stringify(extra));
      assert.match(response.error?.message ?? "", message);
    }
    // Nothing was started under that id.
    const read = await client.request("process/read", { processId: "refused" });
    assert.equal(read.error?.message, "unknown process id refused");
    // Profiles that restrict nothing run unsandboxed, whatever sandboxOverride says.
    for (const permissions of [{ type: "disabled" }, { type: "external", network: "enabled" }, { type: "managed", file_system: { type: "unrestricted" }, network: "enabled" }]) {
      const ok = await client.call("process/start", {
        processId: `ok-${permissions.type}`,
        ...base,
        sandbox: { permissions, windowsSandboxLevel: "disabled", sandboxOverride: "bypassSandboxFirstAttempt" },
      });
      assert.equal(ok["sandboxType"], "none");
    }
  });

  test("process/write with a writeId writes once however often it is retried", async () => {
    const client = await ready();
    await client.call("process/start", { processId: "cat", argv: ["cat"], cwd: scratch, env: {}, tty: false, pipeStdin: true });
    for (let attempt = 0; attempt < 3; attempt++) {
      assert.deepEqual(await client.call("process/write", { processId: "cat", chunk: b64("once\n"), writeId: "w-1" }), { status: "accepted" });
    }
    assert.deepEqual(await client.call("process/write", { processId: "cat", chunk: b64("twice\n"), writeId: "w-2" }), { status: "accepted" });
    assert.deepEqual(await client.call("process/write", { processId: "cat", chunk: b64("plain\n") }), { status: "accepted" });
    await client.waitFor(() => client.outputOf("cat").includes("plain\n"), 5000, "echo");
    assert.equal(client.outputOf("cat"), "once\ntwice\nplain\n");
    const empty = await client.request("process/write", { processId: "cat", chunk: b64("x"), writeId: "" });
    assert.equal(empty.error?.code, -32602);
    assert.match(empty.error?.message ?? "", /writeId must not be empty/);
    await client.call("process/terminate", { processId: "cat" });
  });
});

describe("filesystem members of the 0.169 dialect", () => {
  test("runs under an unrestricted 0.169 sandbox context and enforces a restricted one", async () => {
    const client = await ready();
    const path = encodePathUri(join(scratch, "sp ace"));
    for (const permissions of [{ type: "disabled" }, { type: "external", network: "restricted" }, { type: "managed", file_system: { type: "unrestricted" }, network: "restricted" }]) {
      const read = await client.call("fs/readFile", { path, sandbox: { permissions, windowsSandboxLevel: "disabled", policyContext: { cwd: encodePathUri(scratch) } } });
      assert.equal(text(read), "sp ace", JSON.stringify(permissions));
    }
    const refused = await client.request("fs/writeFile", {
      path,
      dataBase64: b64("no"),
      sandbox: { permissions: { type: "managed", file_system: { type: "restricted", entries: [] }, network: "restricted" }, windowsSandboxLevel: "disabled" },
    });
    assert.equal(refused.error?.code, -32004, "no entry covers the path: it does not exist for the caller");
    assert.match(refused.error?.message ?? "", /^No such file or directory \(os error 2\): fs\/writeFile: write of .* is outside the sandbox/);
    assert.equal(await readFile(join(scratch, "sp ace"), "utf8"), "sp ace", "nothing was written");
    const missingLevel = await client.request("fs/readFile", { path, sandbox: { permissions: { type: "disabled" } } });
    assert.equal(missingLevel.error?.code, -32602);
  });

  test("followSymlinks: true and null follow; false refuses symlinks as upstream does", async () => {
    const client = await ready();
    const link = encodePathUri(join(scratch, "link"));
    assert.equal(text(await client.call("fs/readFile", { path: link, followSymlinks: true })), "sp ace");
    assert.equal(text(await client.call("fs/readFile", { path: link, followSymlinks: null })), "sp ace");
    const refused = await client.request("fs/getMetadata", { path: link, followSymlinks: false });
    assert.deepEqual(refused.error, { code: -32600, message: "path contains a symbolic link" });
  });
});

describe("environment description", () => {
  test("initialize carries environmentInfo in URIs; environment/info answers the same; environment/status is ready", async () => {
    const client = await JsonWsClient.connect(server.url);
    clients.push(client);
    const init = await client.call("initialize", { clientName: "dialects" });
    client.notify("initialized", {});
    const info = init["environmentInfo"] as Record<string, unknown>;
    assert.equal(info["executorVersion"], PACKAGE_VERSION);
    assert.equal(info["providerId"], PROVIDER_ID);
    assert.equal(info["platformOs"], "linux");
    assert.equal(info["cwd"], encodePathUri(process.cwd()));
    assert.match(String(info["tempDir"]), /^file:\/\/\//);
    assert.deepEqual(info["prependPathDirs"], []);
    const shell = info["shell"] as { name: string; path: string };
    assert.ok(["bash", "zsh", "sh", "powershell"].includes(shell.name), shell.name);
    assert.ok(shell.path.startsWith("/"), "the shell path is native, not a URI");
    const announced = Object.entries(info["capabilities"] as Record<string, boolean>).filter(([, flag]) => flag).map(([name]) => name).sort();
    assert.deepEqual(announced, ["fileWriteStreaming", "fsWatchMissing", "httpHeaderEnvVars", "sandboxedFileStreaming"], "only implemented capabilities are announced");
    assert.deepEqual(await client.call("environment/info", {}), info);
    assert.deepEqual(await client.call("environment/info"), info);
    assert.deepEqual(await client.call("environment/status", null), { status: "ready" });
    const bad = await client.request("environment/status", { x: 1 });
    assert.deepEqual(bad.error, { code: -32602, message: "invalid params for environment/status: x is not an allowed member" });
  });

  test("the codex-configuration methods are not offered (-32601) and their capability flags are false", async () => {
    const client = await ready();
    const info = await client.call("environment/info");
    const flags = info["capabilities"] as Record<string, boolean>;
    assert.deepEqual([flags["environmentConfigRead"], flags["capabilityDiscoveryV2"], flags["capabilityDiscoverySandbox"]], [false, false, false]);
    const offered: Array<[string, Record<string, unknown>]> = [
      ["environmentConfig/read", { cwd: encodePathUri(scratch), configPaths: [["model"]], requirementsPaths: [] }],
      ["capabilityRoots/discoverV1", { roots: [] }],
      ["capabilities/discoverV2", { cwd: encodePathUri(scratch) }],
    ];
    for (const [method, params] of offered) {
      const response = await client.request(method, params);
      assert.deepEqual(response.error, { code: -32601, message: `${method} is not offered by this server (codex configuration is read on the client side)` }, method);
    }
  });
});
