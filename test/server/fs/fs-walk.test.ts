/**
 * `fs/walk` through the real websocket server on real trees: order, kinds, links, limits and
 * truncation as the codex 0.169 binary answers them (probed; the conformance checks encode the same),
 * errors for entries that cannot be looked up, and the 4 MiB answer budget.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { encodePathUri } from "../../../src/rpc/path-uri.js";
import { UNRESTRICTED_GUARD } from "../../../src/server/fs/index.js";
import { walkTree } from "../../../src/server/fs/walk-tree.js";
import { startExecServer, type RunningExecServer } from "../../../src/server/start-exec-server.js";
import { JsonWsClient } from "../../helpers/json-ws-client.js";

let server: RunningExecServer;
let client: JsonWsClient;
let base: string;
let fresh = 0;

before(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), "exec-server-walk-")));
  server = await startExecServer({});
  client = await JsonWsClient.connect(server.url);
  await client.handshake({ clientName: "walk" });
});
after(async () => {
  await client.close();
  await server.close();
  await rm(base, { recursive: true, force: true });
});

/** A new directory with `files` (relative paths; a trailing `/` makes a directory). */
async function tree(files: string[]): Promise<string> {
  const root = join(base, `t${(fresh += 1)}`);
  await mkdir(root);
  for (const file of files) {
    if (file.endsWith("/")) await mkdir(join(root, file), { recursive: true });
    else {
      await mkdir(join(root, file, ".."), { recursive: true });
      await writeFile(join(root, file), file);
    }
  }
  return root;
}

const options = (extra: Record<string, unknown> = {}) => ({ maxDepth: 10, maxDirectories: 100, maxEntries: 100, followDirectorySymlinks: false, ...extra });

async function walk(root: string, extra: Record<string, unknown> = {}): Promise<{ list: string[]; truncated: boolean; errors: Array<{ path: string; message: string }> }> {
  const rootUri = encodePathUri(root);
  const result = await client.call("fs/walk", { path: rootUri, options: options(extra) });
  const list = (result["entries"] as Array<{ path: string; kind: string }>).map((entry) => `${entry.path.slice(rootUri.length + 1)}:${entry.kind[0]}`);
  return { list, truncated: result["truncated"] as boolean, errors: result["errors"] as Array<{ path: string; message: string }> };
}

describe("fs/walk", () => {
  test("breadth first, each directory sorted by the bytes of its names, as file: URIs", async () => {
    const root = await tree(["b.txt", "a/x.txt", "a/y/z.txt", "c/", "B.txt", "ä.txt"]);
    const { list, truncated, errors } = await walk(root);
    assert.deepEqual(list, ["B.txt:f", "a:d", "b.txt:f", "c:d", "%C3%A4.txt:f", "a/x.txt:f", "a/y:d", "a/y/z.txt:f"]);
    assert.equal(truncated, false);
    assert.deepEqual(errors, []);
  });

  test("links, dangling links and FIFOs are not listed but count against maxEntries", async () => {
    const root = await tree(["a3", "b/c/f", "z"]);
    await symlink("nowhere", join(root, "a1")); // dangling: not even counted (the listing leaves it out)
    execFileSync("mkfifo", [join(root, "a2")]);
    await symlink("a3", join(root, "a4"));
    assert.deepEqual((await walk(root)).list, ["a3:f", "b:d", "z:f", "b/c:d", "b/c/f:f"]);
    const cases: Array<[number, string[], boolean]> = [
      [1, [], true],
      [2, ["a3:f"], true],
      [3, ["a3:f"], true],
      [4, ["a3:f", "b:d"], true],
      [6, ["a3:f", "b:d", "z:f", "b/c:d"], true],
      [7, ["a3:f", "b:d", "z:f", "b/c:d", "b/c/f:f"], false],
    ];
    for (const [maxEntries, expected, truncated] of cases) {
      const got = await walk(root, { maxEntries });
      assert.deepEqual([got.list, got.truncated], [expected, truncated], `maxEntries ${maxEntries}`);
    }
  });

  test("maxDirectories counts the root; the listing goes on when it is reached; maxDepth 0 lists the children", async () => {
    const root = await tree(["a/x", "a/y/z", "b.txt", "c/"]);
    assert.deepEqual(await walk(root, { maxDirectories: 1 }), { list: ["a:d", "b.txt:f", "c:d"], truncated: true, errors: [] });
    assert.deepEqual((await walk(root, { maxDirectories: 2 })).list, ["a:d", "b.txt:f", "c:d", "a/x:f", "a/y:d"]);
    assert.deepEqual(await walk(root, { maxDepth: 0 }), { list: ["a:d", "b.txt:f", "c:d"], truncated: false, errors: [] });
    assert.deepEqual((await walk(root, { maxDepth: 1 })).list, ["a:d", "b.txt:f", "c:d", "a/x:f", "a/y:d"]);
    const leaf = await tree(["f"]);
    assert.deepEqual(await walk(leaf, { maxDirectories: 1 }), { list: ["f:f"], truncated: false, errors: [] });
  });

  test("followDirectorySymlinks lists and descends a directory link, each directory once", async () => {
    const root = await tree(["sub/deep/", "ten.txt"]);
    await symlink("sub", join(root, "dirlink"));
    assert.deepEqual((await walk(root)).list, ["sub:d", "ten.txt:f", "sub/deep:d"]);
    assert.deepEqual((await walk(root, { followDirectorySymlinks: true })).list, ["dirlink:d", "sub:d", "ten.txt:f", "dirlink/deep:d"]);
    const viaLink = join(base, `rootlink${fresh}`);
    await symlink(root, viaLink);
    assert.deepEqual((await walk(viaLink)).list, [], "a linked root is not followed without followDirectorySymlinks");
    assert.equal((await walk(viaLink, { followDirectorySymlinks: true })).list.length, 4);
  });

  test("pruneHiddenDirectories lists a hidden directory without its contents", async () => {
    const root = await tree([".hid/inner/f", "shown/g"]);
    assert.deepEqual((await walk(root, { pruneHiddenDirectories: true })).list, [".hid:d", "shown:d", "shown/g:f"]);
    assert.deepEqual((await walk(root)).list, [".hid:d", "shown:d", ".hid/inner:d", "shown/g:f", ".hid/inner/f:f"]);
  });

  test("a name that is not UTF-8 is an error entry (as upstream's lossy names), and the walk goes on", async () => {
    const root = await tree(["ok"]);
    execFileSync("sh", ["-c", `touch "${root}/$(printf 'bad\\377')"`]);
    const got = await walk(root);
    assert.deepEqual(got.list, ["ok:f"]);
    assert.deepEqual(got.errors, [{ path: `${encodePathUri(root)}/bad%EF%BF%BD`, message: "No such file or directory (os error 2)" }]);
  });

  test("limits and roots", async () => {
    const root = await tree(["f"]);
    const rootUri = encodePathUri(root);
    for (const [extra, message] of [
      [{ maxEntries: 0 }, "filesystem walk limits must be greater than zero"],
      [{ maxDirectories: 0 }, "filesystem walk limits must be greater than zero"],
      [{ maxDepth: 65 }, "filesystem walk limits exceed maximums: depth=64, directories=10000, entries=50000"],
      [{ maxEntries: 50_001 }, "filesystem walk limits exceed maximums: depth=64, directories=10000, entries=50000"],
    ] as const) {
      const response = await client.request("fs/walk", { path: `${rootUri}/missing`, options: options(extra) });
      assert.deepEqual(response.error, { code: -32600, message }, JSON.stringify(extra));
    }
    assert.deepEqual((await client.request("fs/walk", { path: `${rootUri}/missing`, options: options() })).error, {
      code: -32004,
      message: "No such file or directory (os error 2)",
    });
    assert.deepEqual(await client.call("fs/walk", { path: `${rootUri}/f`, options: options() }), { entries: [], errors: [], truncated: false });
    const plain = await client.call("fs/walk", { path: root, options: options() });
    assert.deepEqual(plain["entries"], [{ path: `${rootUri}/f`, kind: "file" }], "a plain root still gets URIs (a 0.169 method)");
    const missingOption = await client.request("fs/walk", { path: rootUri, options: { maxDepth: 1, maxDirectories: 1, maxEntries: 1 } });
    assert.equal(missingOption.error?.code, -32602);
  });

  test("the answer is bounded: each entry costs its URI's length + 64 bytes", async () => {
    const root = await tree(["a", "b", "c"]);
    const cost = encodePathUri(join(root, "a")).length + 64;
    const outcome = await walkTree(root, options() as never, UNRESTRICTED_GUARD, cost * 2);
    assert.deepEqual(
      outcome.entries.map((entry) => entry.path),
      [join(root, "a"), join(root, "b")],
    );
    assert.equal(outcome.truncated, true);
  });
});
