/**
 * The fs side of issue 12 through the real websocket server on real files: the `sandbox` of every
 * fs method enforced on real paths — codex 0.169's workspace-write profile exactly as the codex
 * client sends it (writes inside the workspace, refusals outside with the codes codex reacts to),
 * `deny` entries, paths no entry covers, symlink escapes, recursive copies, walks, handles,
 * canonicalize — in both dialects; the seed's sandbox policies keep working; Windows levels refused.
 * The tree lives under the repository's `.tmp/` (the profile makes `/tmp` writable).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, readFile, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { encodePathUri } from "../../../src/rpc/path-uri.js";
import { startExecServer, type RunningExecServer } from "../../../src/server/start-exec-server.js";
import { b64, JsonWsClient } from "../../helpers/json-ws-client.js";
import { makeSandboxTree, type SandboxTree } from "../../interop/codex-client/sandbox-tree.js";
import { workspaceWriteFsSandbox, writablePathEntry } from "../../interop/codex-client/workspace-write-profile.js";

let server: RunningExecServer;
let client: JsonWsClient;
let tree: SandboxTree;
let sandbox: Record<string, unknown>;

const EROFS = "Read-only file system (os error 30)";
const ENOENT = "No such file or directory (os error 2)";
const EACCES = "Permission denied (os error 13)";

before(async () => {
  tree = makeSandboxTree();
  await mkdir(join(tree.workspace, "src"));
  await writeFile(join(tree.workspace, "src", "a.txt"), "a");
  await mkdir(join(tree.workspace, ".git"));
  await writeFile(join(tree.workspace, ".git", "config"), "git");
  await writeFile(join(tree.sibling, "s.txt"), "sibling");
  server = await startExecServer({});
  client = await JsonWsClient.connect(server.url);
  const init = await client.call("initialize", { clientName: "fs-sandbox" });
  client.notify("initialized", {});
  sandbox = workspaceWriteFsSandbox(tree.workspace, String(init["environmentInfo"]["userHomeDir"]));
});
after(async () => {
  await client.close();
  await server.close();
  tree.dispose();
});

const uri = (path: string) => encodePathUri(path);

/** A managed profile with these entries (paths as given, URIs made here). */
function profile(entries: Array<[string, "read" | "write" | "deny"]>, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return {
    permissions: {
      type: "managed",
      file_system: { type: "restricted", entries: entries.map(([path, access]) => ({ path: { type: "path", path: uri(path) }, access })) },
      network: "restricted",
    },
    windowsSandboxLevel: "disabled",
    ...extra,
  };
}

async function refused(method: string, params: Record<string, unknown>, code: number, prefix: string, ...mentions: string[]): Promise<void> {
  const response = await client.request(method, params);
  assert.equal(response.error?.code, code, `${method} ${JSON.stringify(response)}`);
  assert.ok(response.error?.message.startsWith(prefix), response.error?.message);
  for (const mention of mentions) assert.ok(response.error?.message.includes(mention), `${response.error?.message} should mention ${mention}`);
}

describe("codex's workspace-write profile on fs calls", () => {
  test("writes inside the workspace; a missing directory inside is -32004, then created and written (codex's retry)", async () => {
    const inside = join(tree.workspace, "inpatch.txt");
    assert.deepEqual(await client.call("fs/writeFile", { path: uri(inside), dataBase64: b64("in"), sandbox }), {});
    assert.equal(await readFile(inside, "utf8"), "in");
    const nested = join(tree.workspace, "new", "dir", "f.txt");
    await refused("fs/writeFile", { path: uri(nested), dataBase64: b64("x"), sandbox }, -32004, ENOENT);
    await client.call("fs/createDirectory", { path: uri(join(tree.workspace, "new", "dir")), recursive: true, sandbox });
    await client.call("fs/writeFile", { path: uri(nested), dataBase64: b64("x"), sandbox });
    assert.equal(await readFile(nested, "utf8"), "x");
    await client.call("fs/remove", { path: uri(nested), recursive: false, force: false, sandbox });
    assert.equal(existsSync(nested), false);
  });

  test("outside the workspace: EROFS (-32603) naming the path and the rule; nothing written", async () => {
    const outside = join(tree.sibling, "outside.txt");
    await refused("fs/writeFile", { path: uri(outside), dataBase64: b64("no"), sandbox }, -32603, EROFS, outside, "read entry 1 (root) at /");
    await refused("fs/writeFile", { path: uri(tree.etcHosts), dataBase64: b64("no"), sandbox }, -32603, EROFS, tree.etcHosts);
    await refused("fs/createDirectory", { path: uri(join(tree.sibling, "d", "e")), recursive: true, sandbox }, -32603, EROFS);
    await refused("fs/remove", { path: uri(join(tree.sibling, "s.txt")), sandbox }, -32603, EROFS);
    // A missing parent outside: the kernel's ENOENT comes first, as upstream's does.
    await refused("fs/writeFile", { path: uri(join(tree.sibling, "nodir", "x")), dataBase64: b64("no"), sandbox }, -32004, ENOENT);
    assert.deepEqual(await client.call("fs/remove", { path: uri(join(tree.sibling, "missing")), sandbox }), {}, "force: a missing path is fine");
    assert.equal(existsSync(outside), false);
    assert.equal(await readFile(tree.etcHosts, "utf8"), tree.etcHostsBefore);
    assert.equal(await readFile(join(tree.sibling, "s.txt"), "utf8"), "sibling");
  });

  test("a symlink out of the workspace does not get through (the real path is checked)", async () => {
    const through = join(tree.escapeLink, "via-symlink.txt");
    await refused("fs/writeFile", { path: uri(through), dataBase64: b64("no"), sandbox }, -32603, EROFS, `resolves to ${join(tree.sibling, "via-symlink.txt")}`);
    assert.equal(existsSync(join(tree.sibling, "via-symlink.txt")), false);
  });

  test(".git stays read-only inside the writable workspace; reads are allowed everywhere root is readable", async () => {
    await refused("fs/writeFile", { path: uri(join(tree.workspace, ".git", "config")), dataBase64: b64("no"), sandbox }, -32603, EROFS, "(project_roots .git)");
    assert.equal(await readFile(join(tree.workspace, ".git", "config"), "utf8"), "git");
    assert.equal((await client.call("fs/readFile", { path: uri(join(tree.sibling, "s.txt")), sandbox }))["dataBase64"], b64("sibling"));
    assert.equal((await client.call("fs/getMetadata", { path: uri(tree.etcHosts), sandbox }))["isFile"], true);
  });

  test("an approved directory added as a write entry (codex's escalation) becomes writable", async () => {
    const widened = workspaceWriteFsSandbox(tree.workspace, "file:///root", [writablePathEntry(tree.sibling)]);
    await client.call("fs/writeFile", { path: uri(join(tree.sibling, "approved.txt")), dataBase64: b64("ok"), sandbox: widened });
    assert.equal(await readFile(join(tree.sibling, "approved.txt"), "utf8"), "ok");
  });

  test("the seed dialect (every path plain, the context's too) reports the same refusals as -32600", async () => {
    const plainContext = { ...sandbox, cwd: tree.workspace, policyContext: { cwd: tree.workspace, workspaceRoots: [tree.workspace] }, workspaceRoots: [tree.workspace], userHomeDir: "/root" };
    const response = await client.request("fs/writeFile", { path: join(tree.sibling, "plain.txt"), dataBase64: b64("no"), sandbox: plainContext });
    assert.equal(response.error?.code, -32600);
    assert.match(response.error?.message ?? "", /^fs\/writeFile: write of .*plain\.txt is denied by the sandbox \(read entry 1 \(root\) at \/\)$/);
  });
});

describe("entries beyond workspace-write", () => {
  test("deny → EACCES (-32600) for reads and writes, also through a link; an uncovered path does not exist (-32004)", async () => {
    const secret = join(tree.root, "secret");
    await mkdir(secret, { recursive: true });
    await writeFile(join(secret, "key"), "k");
    await symlink(join(secret, "key"), join(tree.workspace, "key-link")).catch(() => {});
    const denying = profile([[tree.workspace, "write"], [secret, "deny"]]);
    await refused("fs/readFile", { path: uri(join(secret, "key")), sandbox: denying }, -32600, EACCES, "deny entry 2");
    await refused("fs/readFile", { path: uri(join(tree.workspace, "key-link")), sandbox: denying }, -32600, EACCES);
    await refused("fs/writeFile", { path: uri(join(secret, "new")), dataBase64: b64("x"), sandbox: denying }, -32600, EACCES);
    await refused("fs/getMetadata", { path: uri(join(secret, "key")), sandbox: denying }, -32600, EACCES);
    await refused("fs/canonicalize", { path: uri(join(tree.workspace, "key-link")), sandbox: denying }, -32600, EACCES);
    await refused("fs/readFile", { path: uri(join(tree.sibling, "s.txt")), sandbox: denying }, -32004, ENOENT, "no entry covers the path");
    await refused("fs/readDirectory", { path: uri(tree.sibling), sandbox: denying }, -32004, ENOENT);
    await refused("fs/open", { handleId: "d1", path: uri(join(secret, "key")), sandbox: denying }, -32600, EACCES);
    await refused("fs/open", { handleId: "d2", path: uri(join(tree.sibling, "n")), mode: "replace", sandbox: denying }, -32004, ENOENT);
    const opened = await client.call("fs/open", { handleId: "ok", path: uri(join(tree.workspace, "handle.bin")), mode: "replace", sandbox: denying });
    assert.equal(opened["handleId"], "ok");
    await client.call("fs/writeBlock", { handleId: "ok", offset: 0, chunk: b64("h") });
    await client.call("fs/close", { handleId: "ok" });
    assert.equal(await readFile(join(tree.workspace, "handle.bin"), "utf8"), "h");
  });

  test("a recursive copy checks every entry: a denied file inside the source stops it there", async () => {
    const source = join(tree.workspace, "tree");
    await mkdir(join(source, "inner"), { recursive: true });
    await writeFile(join(source, "a.txt"), "a");
    await writeFile(join(source, "inner", "z.pem"), "secret");
    const withGlob = {
      permissions: {
        type: "managed",
        file_system: {
          type: "restricted",
          entries: [
            { path: { type: "special", value: { kind: "root" } }, access: "read" },
            { path: { type: "path", path: uri(tree.workspace) }, access: "write" },
            { path: { type: "glob_pattern", pattern: `${tree.workspace}/**/*.pem` }, access: "deny" },
          ],
        },
        network: "restricted",
      },
      windowsSandboxLevel: "disabled",
    };
    await refused("fs/copy", { sourcePath: uri(source), destinationPath: uri(join(tree.workspace, "copy")), recursive: true, sandbox: withGlob }, -32600, EACCES, "z.pem");
    assert.equal(await readFile(join(tree.workspace, "copy", "a.txt"), "utf8"), "a", "entries before the refusal were copied");
    assert.equal(existsSync(join(tree.workspace, "copy", "inner", "z.pem")), false);
    await refused("fs/copy", { sourcePath: uri(join(source, "a.txt")), destinationPath: uri(join(tree.sibling, "a.txt")), recursive: false, sandbox: withGlob }, -32603, EROFS);
  });

  test("fs/walk: uncovered entries are not listed, a denied directory is listed and its reading is an error", async () => {
    const area = join(tree.root, "walked");
    await mkdir(join(area, "open", "sub"), { recursive: true });
    await mkdir(join(area, "closed"), { recursive: true });
    await writeFile(join(area, "open", "sub", "f"), "f");
    await writeFile(join(area, "closed", "hidden.txt"), "h");
    const rules = profile([[area, "read"], [join(area, "closed"), "deny"]]);
    const walked = await client.call("fs/walk", { path: uri(area), options: { maxDepth: 5, maxDirectories: 100, maxEntries: 100, followDirectorySymlinks: false }, sandbox: rules });
    assert.deepEqual(
      (walked["entries"] as Array<{ path: string }>).map((entry) => entry.path.slice(uri(area).length)),
      ["/closed", "/open", "/open/sub", "/open/sub/f"],
    );
    const errors = walked["errors"] as Array<{ path: string; message: string }>;
    assert.equal(errors.length, 1);
    assert.equal(errors[0]?.path, uri(join(area, "closed")));
    assert.ok(errors[0]?.message.startsWith(EACCES), errors[0]?.message);
    const onlyOpen = profile([[join(area, "open"), "read"]]);
    await refused("fs/walk", { path: uri(area), options: { maxDepth: 5, maxDirectories: 100, maxEntries: 100, followDirectorySymlinks: false }, sandbox: onlyOpen }, -32004, ENOENT);
    const listed = await client.call("fs/readDirectory", { path: uri(join(area, "open")), sandbox: onlyOpen });
    assert.deepEqual(listed["entries"], [{ fileName: "sub", isDirectory: true, isFile: false }]);
  });
});

describe("sandbox shapes", () => {
  test("a Windows sandbox level is refused, never ignored; a malformed context is -32602", async () => {
    const path = uri(join(tree.workspace, "src", "a.txt"));
    for (const level of ["restricted-token", "elevated", "mxc"]) {
      await refused("fs/readFile", { path, sandbox: { permissions: { type: "disabled" }, windowsSandboxLevel: level } }, -32600, "sandbox refused: windowsSandboxLevel", level);
    }
    const dynamic = { permissions: { type: "managed", file_system: { type: "restricted", entries: [{ path: { type: "special", value: { kind: "project_roots" } }, access: "write" }] }, network: "restricted" }, windowsSandboxLevel: "disabled" };
    await refused("fs/writeFile", { path, dataBase64: b64("x"), sandbox: dynamic }, -32602, "file system sandbox context with dynamic permissions requires cwd");
  });

  test("unrestricted 0.169 profiles run unrestricted", async () => {
    const target = join(tree.sibling, "free.txt");
    for (const permissions of [{ type: "disabled" }, { type: "external", network: "restricted" }, { type: "managed", file_system: { type: "unrestricted" }, network: "restricted" }]) {
      await client.call("fs/writeFile", { path: uri(target), dataBase64: b64(permissions.type), sandbox: { permissions, windowsSandboxLevel: "disabled" } });
      assert.equal(await readFile(target, "utf8"), permissions.type);
    }
  });

  test("the seed's policies keep working (plain paths: -32600; URIs: the 0.169 codes)", async () => {
    const readOnly = { sandboxPolicy: { type: "read-only" } };
    const target = join(tree.workspace, "seed.txt");
    const plain = await client.request("fs/writeFile", { path: target, dataBase64: b64("x"), sandbox: readOnly });
    assert.deepEqual(plain.error, { code: -32600, message: `fs/writeFile is not allowed by the read-only sandbox policy: ${target}` });
    const viaUri = await client.request("fs/writeFile", { path: uri(target), dataBase64: b64("x"), sandbox: readOnly });
    assert.deepEqual(viaUri.error, { code: -32603, message: `${EROFS}: fs/writeFile is not allowed by the read-only sandbox policy: ${target}` });
    const workspaceWrite = { sandboxPolicy: { type: "workspace-write", writable_roots: [tree.workspace] } };
    await client.call("fs/writeFile", { path: target, dataBase64: b64("ok"), sandbox: workspaceWrite });
    assert.equal(await readFile(target, "utf8"), "ok");
    assert.equal(existsSync(join(tree.sibling, "seed.txt")), false);
  });
});
