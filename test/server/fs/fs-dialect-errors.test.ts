/**
 * The fs methods' errors in both dialects, through the real websocket server on real files: the
 * same failure answered with the seed's codes and texts for a plain path, and with codex 0.169's
 * (probed from the binary) for a `file:` URI. Also `followSymlinks: false`, dangling-link metadata,
 * non-regular files, names that are not UTF-8 and the 512 MiB read cap.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, truncate, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { encodePathUri } from "../../../src/rpc/path-uri.js";
import { FS_ERROR_CODES } from "../../../src/server/fs/index.js";
import { startExecServer, type RunningExecServer } from "../../../src/server/start-exec-server.js";
import { b64, JsonWsClient } from "../../helpers/json-ws-client.js";

let server: RunningExecServer;
let client: JsonWsClient;
let dir: string;

const NOT_FOUND = "No such file or directory (os error 2)";

before(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), "exec-server-fs-dialects-")));
  await writeFile(join(dir, "ten.txt"), "0123456789");
  await mkdir(join(dir, "sub", "deep"), { recursive: true });
  await writeFile(join(dir, "sub", "deep", "leaf"), "leaf");
  await symlink("ten.txt", join(dir, "link"));
  await symlink("nowhere", join(dir, "dangling"));
  await symlink("loop", join(dir, "loop"));
  await symlink("sub", join(dir, "dirlink"));
  execFileSync("mkfifo", [join(dir, "fifo")]);
  server = await startExecServer({});
  client = await JsonWsClient.connect(server.url);
  await client.handshake({ clientName: "fs-dialects" });
});
after(async () => {
  await client.close();
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

/** The same request with a plain path (seed) and with its URI (codex 0.169). */
async function both(method: string, params: Record<string, unknown>, pathMembers: string[] = ["path"]) {
  const asUri = { ...params };
  for (const member of pathMembers) asUri[member] = encodePathUri(String(params[member]));
  return { seed: await client.request(method, params), codex: await client.request(method, asUri) };
}

describe("one failure, two dialects", () => {
  const cases: Array<{ what: string; method: string; params: () => Record<string, unknown>; seed: [number, RegExp]; codex: [number, string] }> = [
    { what: "a missing file", method: "fs/readFile", params: () => ({ path: join(dir, "missing") }), seed: [-32004, /^fs\/readFile failed for .*missing: ENOENT/], codex: [-32004, NOT_FOUND] },
    {
      what: "a file used as a directory",
      method: "fs/readFile",
      params: () => ({ path: join(dir, "ten.txt", "x") }),
      seed: [-32004, /ENOTDIR/],
      codex: [-32603, "Not a directory (os error 20)"],
    },
    { what: "writing onto a directory", method: "fs/writeFile", params: () => ({ path: join(dir, "sub"), dataBase64: b64("x") }), seed: [-32600, /EISDIR/], codex: [-32603, "Is a directory (os error 21)"] },
    {
      what: "a non-recursive mkdir of an existing directory",
      method: "fs/createDirectory",
      params: () => ({ path: join(dir, "sub"), recursive: false }),
      seed: [-32600, /EEXIST/],
      codex: [-32603, "File exists (os error 17)"],
    },
    {
      what: "a non-recursive remove of a non-empty directory",
      method: "fs/remove",
      params: () => ({ path: join(dir, "sub"), recursive: false }),
      seed: [-32600, /ENOTEMPTY/],
      codex: [-32603, "Directory not empty (os error 39)"],
    },
    { what: "listing a file", method: "fs/readDirectory", params: () => ({ path: join(dir, "ten.txt") }), seed: [-32600, /ENOTDIR/], codex: [-32603, "Not a directory (os error 20)"] },
    { what: "reading a directory", method: "fs/readFile", params: () => ({ path: join(dir, "sub") }), seed: [-32600, /requires a file: .* is a directory/], codex: [-32600, "path `DIR/sub` is not a file"] },
    { what: "reading a FIFO (never blocks)", method: "fs/readFile", params: () => ({ path: join(dir, "fifo") }), seed: [-32600, /is a fifo/], codex: [-32600, "path `DIR/fifo` is not a file"] },
    {
      what: "a symlink loop",
      method: "fs/getMetadata",
      params: () => ({ path: join(dir, "loop"), followSymlinks: false }),
      seed: [-32600, /^path contains a symbolic link$/],
      codex: [-32600, "path contains a symbolic link"],
    },
    {
      what: "a missing path removed with force false",
      method: "fs/remove",
      params: () => ({ path: join(dir, "missing"), force: false }),
      seed: [-32004, /ENOENT/],
      codex: [-32004, NOT_FOUND],
    },
  ];
  for (const c of cases) {
    test(c.what, async () => {
      const { seed, codex } = await both(c.method, c.params());
      assert.equal(seed.error?.code, c.seed[0], JSON.stringify(seed));
      assert.match(seed.error?.message ?? "", c.seed[1]);
      assert.deepEqual(codex.error, { code: c.codex[0], message: c.codex[1].replace("DIR", dir) });
    });
  }

  test("the table has one row per condition and both dialects agree where upstream and the seed do", () => {
    assert.deepEqual(FS_ERROR_CODES.ENOENT, { seed: -32004, "codex-0.169": -32004 });
    assert.deepEqual(FS_ERROR_CODES["ENOTDIR-parent"], { seed: -32004, "codex-0.169": -32603 });
    assert.deepEqual(FS_ERROR_CODES["sandbox-read-only"], { seed: -32600, "codex-0.169": -32603 });
    assert.deepEqual(FS_ERROR_CODES["sandbox-not-found"], { seed: -32600, "codex-0.169": -32004 });
    assert.deepEqual(FS_ERROR_CODES["sandbox-denied"], { seed: -32600, "codex-0.169": -32600 });
  });
});

describe("metadata of links", () => {
  test("a dangling link: the seed describes the link, codex 0.169 answers not found (ELOOP for a loop)", async () => {
    const dangling = await both("fs/getMetadata", { path: join(dir, "dangling") });
    assert.deepEqual([dangling.seed.result?.["isSymlink"], dangling.seed.result?.["isFile"], dangling.seed.result?.["isDirectory"]], [true, false, false]);
    assert.deepEqual(dangling.codex.error, { code: -32004, message: NOT_FOUND });
    const loop = await both("fs/getMetadata", { path: join(dir, "loop") });
    assert.equal(loop.seed.result?.["isSymlink"], true);
    assert.deepEqual(loop.codex.error, { code: -32603, message: "Symbolic link loop (os error 40)" });
  });

  test("size and isSymlink while following a link", async () => {
    const meta = await client.call("fs/getMetadata", { path: encodePathUri(join(dir, "link")) });
    assert.deepEqual([meta["isFile"], meta["isSymlink"], meta["size"]], [true, true, 10]);
  });
});

describe("followSymlinks: false (both dialects; codex texts shown)", () => {
  const uri = (name: string) => encodePathUri(join(dir, name));

  test("readFile and writeFile refuse a final link with ELOOP and write nothing; a regular file works", async () => {
    for (const name of ["link", "dangling"]) {
      const read = await client.request("fs/readFile", { path: uri(name), followSymlinks: false });
      assert.deepEqual(read.error, { code: -32603, message: "Symbolic link loop (os error 40)" }, name);
      const write = await client.request("fs/writeFile", { path: uri(name), dataBase64: b64("no"), followSymlinks: false });
      assert.deepEqual(write.error, { code: -32603, message: "Symbolic link loop (os error 40)" }, name);
    }
    assert.equal(await readFile(join(dir, "ten.txt"), "utf8"), "0123456789");
    const plain = await client.request("fs/readFile", { path: join(dir, "link"), followSymlinks: false });
    assert.equal(plain.error?.code, -32600, "seed: ELOOP is invalid input");
    assert.equal((await client.call("fs/readFile", { path: uri("ten.txt"), followSymlinks: false }))["dataBase64"], b64("0123456789"));
  });

  test("a link before the final component is ENOTDIR for every method", async () => {
    const through = `${uri("dirlink")}/deep/leaf`;
    for (const [method, extra] of [
      ["fs/readFile", {}],
      ["fs/getMetadata", {}],
      ["fs/writeFile", { dataBase64: b64("x") }],
      ["fs/createDirectory", {}],
      ["fs/remove", { recursive: false }],
    ] as const) {
      const response = await client.request(method, { path: through, followSymlinks: false, ...extra });
      assert.deepEqual(response.error, { code: -32603, message: "Not a directory (os error 20)" }, method);
    }
    assert.equal(await readFile(join(dir, "sub", "deep", "leaf"), "utf8"), "leaf");
  });

  test("getMetadata and remove refuse a final link; createDirectory answers ENOTDIR; recursive remove is unsupported", async () => {
    assert.deepEqual((await client.request("fs/getMetadata", { path: uri("link"), followSymlinks: false })).error, { code: -32600, message: "path contains a symbolic link" });
    assert.deepEqual((await client.request("fs/remove", { path: uri("link"), recursive: false, followSymlinks: false })).error, {
      code: -32600,
      message: "path contains a symbolic link",
    });
    assert.deepEqual((await client.request("fs/createDirectory", { path: uri("dirlink"), followSymlinks: false })).error, {
      code: -32603,
      message: "Not a directory (os error 20)",
    });
    assert.deepEqual((await client.request("fs/remove", { path: uri("missing"), followSymlinks: false })).error, {
      code: -32603,
      message: "recursive no-follow removal is unsupported",
    });
    assert.deepEqual(await client.call("fs/remove", { path: uri("missing"), recursive: false, followSymlinks: false }), {});
    await client.call("fs/createDirectory", { path: `${uri("fresh")}/a/b`, followSymlinks: false });
    await client.call("fs/writeFile", { path: `${uri("fresh")}/a/b/f`, dataBase64: b64("f"), followSymlinks: false });
    assert.equal(await readFile(join(dir, "fresh", "a", "b", "f"), "utf8"), "f");
    await client.call("fs/remove", { path: `${uri("fresh")}/a/b/f`, recursive: false, followSymlinks: false });
  });
});

describe("listings and limits", () => {
  test("readDirectory keeps a name that is not UTF-8 (as U+FFFD, like upstream) and leaves dangling links out", async () => {
    const odd = join(dir, "odd");
    execFileSync("sh", ["-c", `mkdir '${odd}' && touch "${odd}/$(printf 'bad\\377')" "${odd}/ok" && ln -s nowhere '${odd}/dl'`]);
    const listed = await client.call("fs/readDirectory", { path: encodePathUri(odd) });
    assert.deepEqual(listed["entries"], [
      { fileName: "bad\ufffd", isDirectory: false, isFile: true },
      { fileName: "ok", isDirectory: false, isFile: true },
    ]);
  });

  test("a file over 512 MiB gets upstream's message in the 0.169 dialect, ours (with the option) in the seed", async () => {
    const big = join(dir, "sparse.bin");
    await writeFile(big, "");
    await truncate(big, 600 * 1024 * 1024);
    const { seed, codex } = await both("fs/readFile", { path: big });
    assert.deepEqual(codex.error, { code: -32600, message: "file is too large to read: limit is 536870912 bytes" });
    assert.equal(seed.error?.code, -32600);
    assert.match(seed.error?.message ?? "", /larger than the limit of 268435456 bytes \(maxReadFileBytes\)/);
    await rm(big);
  });
});
