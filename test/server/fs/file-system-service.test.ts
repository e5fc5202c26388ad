import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { existsSync } from "node:fs";
import { lstat, mkdir, mkdtemp, readFile, readlink, realpath, rm, stat, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ErrorCode, RpcError } from "../../../src/rpc/rpc-error.js";
import {
  DEFAULT_MAX_READ_FILE_BYTES,
  FileSystemService,
  MAX_READ_FILE_BYTES_LIMIT,
} from "../../../src/server/fs/index.js";
import { rejectsWithRpc } from "./rpc-assert.js";

const b64 = (text: string): string => Buffer.from(text).toString("base64");

let root: string;
let counter = 0;
/** A fresh, not yet existing path under the temp root. */
const fresh = (name: string): string => join(root, `${++counter}-${name}`);

before(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), "exec-server-fs-")));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const service = new FileSystemService();

describe("FileSystemService options", () => {
  it("uses documented defaults", () => {
    assert.equal(service.maxReadFileBytes, DEFAULT_MAX_READ_FILE_BYTES);
    assert.equal(service.maxReadFileBytes, 256 * 1024 * 1024);
    assert.equal(service.maxWriteFileBytes, 256 * 1024 * 1024);
  });

  it("refuses limits that are negative, fractional or beyond what a string can hold", () => {
    assert.throws(() => new FileSystemService({ maxReadFileBytes: -1 }), RangeError);
    assert.throws(() => new FileSystemService({ maxWriteFileBytes: 1.5 }), RangeError);
    assert.throws(() => new FileSystemService({ maxReadFileBytes: MAX_READ_FILE_BYTES_LIMIT + 1 }), RangeError);
  });
});

describe("fs/readDirectory limits", () => {
  it("refuses a directory with more entries than maxDirectoryEntries", async () => {
    const dir = join(root, "crowded");
    await service.createDirectory({ path: dir });
    for (const name of ["a", "b", "c"]) await service.writeFile({ path: join(dir, name), dataBase64: "" });
    const small = new FileSystemService({ maxDirectoryEntries: 2 });
    await assert.rejects(small.readDirectory({ path: dir }), (error: unknown) => {
      assert.ok(error instanceof RpcError);
      assert.equal(error.code, ErrorCode.InvalidRequest);
      assert.equal(error.message, `fs/readDirectory: ${dir} has 3 entries, more than the limit of 2`);
      return true;
    });
    const enough = new FileSystemService({ maxDirectoryEntries: 3 });
    assert.equal((await enough.readDirectory({ path: dir })).entries.length, 3);
  });
});

describe("fs/readFile and fs/writeFile", () => {
  it("writes bytes and reads them back", async () => {
    const path = fresh("hello.txt");
    assert.deepEqual(await service.writeFile({ path, dataBase64: b64("hello\n") }), {});
    assert.equal(await readFile(path, "utf8"), "hello\n");
    assert.deepEqual(await service.readFile({ path }), { dataBase64: b64("hello\n") });
  });

  it("truncates an existing file on write", async () => {
    const path = fresh("trunc.txt");
    await writeFile(path, "a much longer original content");
    await service.writeFile({ path, dataBase64: b64("short") });
    assert.equal(await readFile(path, "utf8"), "short");
  });

  it("round-trips binary bytes, including an empty file", async () => {
    const path = fresh("bin");
    const bytes = Buffer.from([0, 255, 1, 254, 10, 13]);
    await service.writeFile({ path, dataBase64: bytes.toString("base64") });
    assert.deepEqual(await readFile(path), bytes);
    await service.writeFile({ path, dataBase64: "" });
    assert.deepEqual(await service.readFile({ path }), { dataBase64: "" });
  });

  it("reports a missing file as not found with the OS text and path", async () => {
    const path = fresh("missing");
    await rejectsWithRpc(service.readFile({ path }), ErrorCode.NotFound, "fs/readFile", path, "ENOENT");
  });

  it("reports a path through a regular file as not found", async () => {
    const file = fresh("plain");
    await writeFile(file, "x");
    await rejectsWithRpc(service.readFile({ path: `${file}/child` }), ErrorCode.NotFound, "ENOTDIR");
  });

  it("refuses to read a directory", async () => {
    await rejectsWithRpc(service.readFile({ path: root }), ErrorCode.InvalidRequest, "is a directory");
  });

  it("refuses bad base64 without touching the file", async () => {
    const path = fresh("bad64");
    await rejectsWithRpc(
      service.writeFile({ path, dataBase64: "aGVsbG8" }),
      ErrorCode.InvalidRequest,
      "fs/writeFile requires valid base64 dataBase64: length 7",
    );
    await rejectsWithRpc(
      service.writeFile({ path, dataBase64: "aGV*bG8K" }),
      ErrorCode.InvalidRequest,
      "fs/writeFile requires valid base64 dataBase64: invalid character",
    );
    assert.equal(existsSync(path), false);
  });

  it("refuses relative paths as invalid params naming the field", async () => {
    await rejectsWithRpc(service.readFile({ path: "foo" }), ErrorCode.InvalidParams, "path must be an absolute path: foo");
    await rejectsWithRpc(
      service.writeFile({ path: "rel/x", dataBase64: "" }),
      ErrorCode.InvalidParams,
      "path must be an absolute path: rel/x",
    );
    await rejectsWithRpc(
      service.copy({ sourcePath: root, destinationPath: "dest", recursive: true }),
      ErrorCode.InvalidParams,
      "destinationPath must be an absolute path: dest",
    );
  });

  it("refuses params of the wrong shape", async () => {
    await rejectsWithRpc(service.readFile(null as never), ErrorCode.InvalidParams, "params must be an object");
    await rejectsWithRpc(service.readFile({ path: 42 } as never), ErrorCode.InvalidParams, "path must be a string");
    await rejectsWithRpc(
      service.writeFile({ path: fresh("x") } as never),
      ErrorCode.InvalidParams,
      "dataBase64 must be a string",
    );
  });

  it("ignores an environmentId member", async () => {
    const path = fresh("env.txt");
    await service.writeFile({ path, dataBase64: b64("e"), environmentId: "local" });
    assert.equal(await readFile(path, "utf8"), "e");
  });
});

describe("size limits", () => {
  const small = new FileSystemService({ maxReadFileBytes: 8, maxWriteFileBytes: 4 });

  it("reads a file exactly at the read limit", async () => {
    const path = fresh("eight");
    await writeFile(path, "12345678");
    assert.deepEqual(await small.readFile({ path }), { dataBase64: b64("12345678") });
  });

  it("refuses to read a file above the read limit", async () => {
    const path = fresh("nine");
    await writeFile(path, "123456789");
    await rejectsWithRpc(small.readFile({ path }), ErrorCode.InvalidRequest, "9 bytes", "limit of 8 bytes", "maxReadFileBytes");
  });

  it("reads a device that reports size 0 in chunks and refuses it past the read limit (seed dialect)", async () => {
    assert.deepEqual(await small.readFile({ path: "/dev/null" }), { dataBase64: "" });
    await rejectsWithRpc(small.readFile({ path: "/dev/zero" }), ErrorCode.InvalidRequest, "more than 8 bytes", "maxReadFileBytes");
    const larger = new FileSystemService({ maxReadFileBytes: 200_000 });
    await rejectsWithRpc(larger.readFile({ path: "/dev/zero" }), ErrorCode.InvalidRequest, "more than 200000 bytes");
  });

  it("reads a multi-chunk file (over 4 MiB per read) byte for byte", async () => {
    const path = fresh("large.bin");
    const content = Buffer.alloc(9 * 1024 * 1024 + 17);
    for (let i = 0; i < content.length; i += 4096) content.writeUInt32LE(i, i);
    await writeFile(path, content);
    const result = await service.readFile({ path });
    assert.ok(Buffer.from(result.dataBase64, "base64").equals(content));
  });

  it("refuses to write a payload above the write limit before creating the file", async () => {
    const path = fresh("big");
    await rejectsWithRpc(
      small.writeFile({ path, dataBase64: b64("12345") }),
      ErrorCode.InvalidRequest,
      "decodes to 5 bytes",
      "limit of 4 bytes",
    );
    assert.equal(existsSync(path), false);
    await small.writeFile({ path, dataBase64: b64("1234") });
    assert.equal(await readFile(path, "utf8"), "1234");
  });
});

describe("fs/createDirectory", () => {
  it("creates missing parents by default and accepts an existing directory", async () => {
    const path = join(fresh("a"), "b", "c");
    assert.deepEqual(await service.createDirectory({ path }), {});
    assert.ok((await stat(path)).isDirectory());
    assert.deepEqual(await service.createDirectory({ path }), {});
  });

  it("reports a missing parent as not found when recursive is false", async () => {
    const path = join(fresh("nope"), "child");
    await rejectsWithRpc(service.createDirectory({ path, recursive: false }), ErrorCode.NotFound, "ENOENT");
    assert.equal(existsSync(path), false);
  });

  it("refuses an existing directory when recursive is false", async () => {
    const path = fresh("exists");
    await mkdir(path);
    await rejectsWithRpc(service.createDirectory({ path, recursive: false }), ErrorCode.InvalidRequest, "EEXIST");
  });
});

describe("fs/getMetadata", () => {
  it("describes a regular file", async () => {
    const path = fresh("meta.txt");
    await writeFile(path, "123456");
    const before = Date.now();
    const meta = await service.getMetadata({ path });
    assert.equal(meta.isFile, true);
    assert.equal(meta.isDirectory, false);
    assert.equal(meta.isSymlink, false);
    assert.equal(meta.size, 6);
    assert.ok(Number.isInteger(meta.modifiedAtMs) && meta.modifiedAtMs > 0 && meta.modifiedAtMs <= before + 1000);
    assert.ok(Number.isInteger(meta.createdAtMs) && meta.createdAtMs >= 0);
  });

  it("follows a symlink for the type but reports the link from lstat", async () => {
    const dir = fresh("target-dir");
    await mkdir(dir);
    const link = fresh("dir-link");
    await symlink(dir, link);
    const meta = await service.getMetadata({ path: link });
    assert.deepEqual([meta.isSymlink, meta.isDirectory, meta.isFile], [true, true, false]);
  });

  it("describes a dangling symlink as a link that is neither file nor directory", async () => {
    const link = fresh("dangling-meta");
    await symlink(fresh("nowhere"), link);
    const meta = await service.getMetadata({ path: link });
    assert.deepEqual([meta.isSymlink, meta.isDirectory, meta.isFile], [true, false, false]);
  });

  it("reports a missing path as not found", async () => {
    await rejectsWithRpc(Promise.resolve(service.getMetadata({ path: fresh("ghost") })), ErrorCode.NotFound, "fs/getMetadata");
  });
});

describe("fs/readDirectory", () => {
  it("lists entries sorted by name, following symlinks and skipping dangling ones", async () => {
    const dir = fresh("listing");
    await mkdir(dir);
    await writeFile(join(dir, "b.txt"), "b");
    await mkdir(join(dir, "a-dir"));
    await symlink(join(dir, "a-dir"), join(dir, "c-link"));
    await symlink(join(dir, "missing"), join(dir, "dangling"));
    const { entries } = await service.readDirectory({ path: dir });
    assert.deepEqual(entries, [
      { fileName: "a-dir", isDirectory: true, isFile: false },
      { fileName: "b.txt", isDirectory: false, isFile: true },
      { fileName: "c-link", isDirectory: true, isFile: false },
    ]);
  });

  it("reports a missing directory as not found", async () => {
    await rejectsWithRpc(service.readDirectory({ path: fresh("no-dir") }), ErrorCode.NotFound, "ENOENT");
  });

  it("refuses to list a regular file", async () => {
    const file = fresh("not-a-dir");
    await writeFile(file, "");
    await rejectsWithRpc(service.readDirectory({ path: file }), ErrorCode.InvalidRequest, "ENOTDIR");
  });
});

describe("fs/remove", () => {
  it("removes a directory tree by default", async () => {
    const dir = fresh("tree");
    await mkdir(join(dir, "x", "y"), { recursive: true });
    await writeFile(join(dir, "x", "y", "f"), "f");
    assert.deepEqual(await service.remove({ path: dir }), {});
    assert.equal(existsSync(dir), false);
  });

  it("succeeds for a missing path by default (force)", async () => {
    assert.deepEqual(await service.remove({ path: fresh("absent") }), {});
  });

  it("reports a missing path as not found when force is false", async () => {
    await rejectsWithRpc(service.remove({ path: fresh("absent"), force: false }), ErrorCode.NotFound, "fs/remove");
  });

  it("refuses to remove a non-empty directory when recursive is false", async () => {
    const dir = fresh("full");
    await mkdir(dir);
    await writeFile(join(dir, "f"), "f");
    await rejectsWithRpc(service.remove({ path: dir, recursive: false }), ErrorCode.InvalidRequest, "ENOTEMPTY");
    assert.ok(existsSync(join(dir, "f")));
  });

  it("removes an empty directory when recursive is false", async () => {
    const dir = fresh("empty");
    await mkdir(dir);
    await service.remove({ path: dir, recursive: false });
    assert.equal(existsSync(dir), false);
  });

  it("removes a symlink without touching its target", async () => {
    const dir = fresh("kept");
    await mkdir(dir);
    await writeFile(join(dir, "f"), "f");
    const link = fresh("link-to-kept");
    await symlink(dir, link);
    await service.remove({ path: link });
    assert.equal(existsSync(link), false);
    assert.ok(existsSync(join(dir, "f")));
  });
});

describe("fs/copy", () => {
  it("copies a file", async () => {
    const source = fresh("src.txt");
    await writeFile(source, "copy me");
    const destination = fresh("dst.txt");
    assert.deepEqual(await service.copy({ sourcePath: source, destinationPath: destination, recursive: false }), {});
    assert.equal(await readFile(destination, "utf8"), "copy me");
  });

  it("copies a directory tree recursively and recreates symlinks as symlinks", async () => {
    const source = fresh("src-tree");
    await mkdir(join(source, "sub"), { recursive: true });
    await writeFile(join(source, "sub", "f.txt"), "nested");
    await symlink("sub/f.txt", join(source, "rel-link"));
    await symlink(fresh("nowhere"), join(source, "dangling-link"));
    const destination = fresh("dst-tree");
    await service.copy({ sourcePath: source, destinationPath: destination, recursive: true });
    assert.equal(await readFile(join(destination, "sub", "f.txt"), "utf8"), "nested");
    assert.ok((await lstat(join(destination, "rel-link"))).isSymbolicLink());
    assert.equal(await readlink(join(destination, "rel-link")), "sub/f.txt");
    assert.ok((await lstat(join(destination, "dangling-link"))).isSymbolicLink());
  });

  it("recreates a top-level symlink rather than copying its target", async () => {
    const target = fresh("link-target.txt");
    await writeFile(target, "t");
    const link = fresh("top-link");
    await symlink(target, link);
    const destination = fresh("copied-link");
    await service.copy({ sourcePath: link, destinationPath: destination, recursive: false });
    assert.equal(await readlink(destination), target);
  });

  it("refuses to copy a directory without recursive", async () => {
    const source = fresh("dir-no-rec");
    await mkdir(source);
    const destination = fresh("dst-no-rec");
    await rejectsWithRpc(
      service.copy({ sourcePath: source, destinationPath: destination, recursive: false }),
      ErrorCode.InvalidRequest,
      "requires recursive: true",
    );
    assert.equal(existsSync(destination), false);
  });

  it("requires recursive to be present", async () => {
    await rejectsWithRpc(
      service.copy({ sourcePath: root, destinationPath: fresh("d") } as never),
      ErrorCode.InvalidParams,
      "recursive must be a boolean",
    );
  });

  it("refuses to copy a directory into itself or a descendant, also through a symlink", async () => {
    const source = fresh("self");
    await mkdir(join(source, "child"), { recursive: true });
    for (const destination of [source, join(source, "child", "copy")]) {
      await rejectsWithRpc(
        service.copy({ sourcePath: source, destinationPath: destination, recursive: true }),
        ErrorCode.InvalidRequest,
        "into itself or its descendant",
      );
    }
    const alias = fresh("alias");
    await symlink(source, alias);
    await rejectsWithRpc(
      service.copy({ sourcePath: source, destinationPath: join(alias, "inner"), recursive: true }),
      ErrorCode.InvalidRequest,
      "into itself or its descendant",
    );
    assert.equal(existsSync(join(source, "inner")), false);
  });

  it("reports a missing source as not found", async () => {
    await rejectsWithRpc(
      service.copy({ sourcePath: fresh("no-src"), destinationPath: fresh("no-dst"), recursive: true }),
      ErrorCode.NotFound,
      "fs/copy",
    );
  });

  const mkfifoAvailable = (() => {
    try {
      execFileSync("mkfifo", ["--version"], { stdio: "ignore" });
      return true;
    } catch {
      return false;
    }
  })();

  it(
    "refuses to copy a fifo",
    { skip: mkfifoAvailable ? false : "the mkfifo command is not available on this machine" },
    async () => {
      const fifo = fresh("pipe");
      execFileSync("mkfifo", [fifo]);
      const destination = fresh("pipe-copy");
      await rejectsWithRpc(
        service.copy({ sourcePath: fifo, destinationPath: destination, recursive: false }),
        ErrorCode.InvalidRequest,
        "can only copy regular files, directories and symlinks",
        "fifo",
      );
      assert.equal(existsSync(destination), false);
      await rejectsWithRpc(service.readFile({ path: fifo }), ErrorCode.InvalidRequest, "is a fifo");
    },
  );
});
