import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ErrorCode } from "../../../src/rpc/rpc-error.js";
import { FileSystemService, parseSandbox, type FsSandbox } from "../../../src/server/fs/index.js";
import { rejectsWithRpc } from "./rpc-assert.js";

const b64 = (text: string): string => Buffer.from(text).toString("base64");
const service = new FileSystemService();

let base: string;
/** A writable root containing an escape link; `outside` is a sibling directory. */
let workspace: string;
let outside: string;
let sandbox: FsSandbox;

before(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), "exec-server-sandbox-")));
  workspace = join(base, "workspace");
  outside = join(base, "outside");
  await mkdir(workspace);
  await mkdir(outside);
  await writeFile(join(outside, "secret.txt"), "secret");
  await symlink(outside, join(workspace, "escape"));
  await symlink(join(outside, "not-yet"), join(workspace, "dangling-escape"));
  // The root is given through a symlink: its realpath is what counts.
  await symlink(workspace, join(base, "workspace-alias"));
  sandbox = { sandboxPolicy: { type: "workspace-write", writable_roots: [join(base, "workspace-alias")] } };
});
after(async () => {
  await rm(base, { recursive: true, force: true });
});

describe("parseSandbox", () => {
  it("treats an absent or null sandbox as unrestricted", () => {
    assert.deepEqual(parseSandbox(undefined), { type: "danger-full-access" });
    assert.deepEqual(parseSandbox(null), { type: "danger-full-access" });
  });

  it("accepts the wrapped and the bare form and both root spellings, ignoring extra members", () => {
    assert.deepEqual(parseSandbox({ sandboxPolicy: { type: "read-only", network_access: false } }), { type: "read-only" });
    assert.deepEqual(parseSandbox({ type: "workspace-write", writable_roots: ["/a"], writableRoots: ["/b"] }), {
      type: "workspace-write",
      writableRoots: ["/a", "/b"],
    });
  });

  it("refuses unknown types and malformed policies with invalid params", () => {
    const cases: Array<[unknown, string]> = [
      [{ type: "sandbox-exec" }, 'unsupported sandbox policy type "sandbox-exec"'],
      ["read-only", "sandbox must be an object"],
      [{ sandboxPolicy: null }, "sandbox.sandboxPolicy must be an object"],
      [{ sandboxPolicy: {} }, "sandbox.sandboxPolicy.type must be a string"],
      [{}, "sandbox.type must be a string"],
      [{ type: "workspace-write", writable_roots: "/a" }, "writable_roots must be an array"],
      [{ type: "workspace-write", writable_roots: ["rel"] }, "writable_roots[0] must be an absolute path: rel"],
    ];
    for (const [input, fragment] of cases) {
      assert.throws(
        () => parseSandbox(input),
        (err: unknown) =>
          err instanceof Error &&
          (err as { code?: unknown }).code === ErrorCode.InvalidParams &&
          err.message.includes(fragment),
        `expected ${fragment}`,
      );
    }
  });
});

describe("read-only sandbox", () => {
  const readOnly: FsSandbox = { type: "read-only" };

  it("allows reads", async () => {
    const meta = await service.getMetadata({ path: join(outside, "secret.txt"), sandbox: readOnly });
    assert.equal(meta.isFile, true);
    assert.deepEqual(await service.readFile({ path: join(outside, "secret.txt"), sandbox: readOnly }), {
      dataBase64: b64("secret"),
    });
  });

  it("refuses every write-type method naming the policy", async () => {
    const target = join(workspace, "ro.txt");
    const attempts = [
      service.writeFile({ path: target, dataBase64: b64("x"), sandbox: readOnly }),
      service.createDirectory({ path: join(workspace, "ro-dir"), sandbox: readOnly }),
      service.remove({ path: join(outside, "secret.txt"), sandbox: readOnly }),
      service.copy({ sourcePath: join(outside, "secret.txt"), destinationPath: target, recursive: false, sandbox: readOnly }),
    ];
    for (const attempt of attempts) {
      await rejectsWithRpc(attempt, ErrorCode.InvalidRequest, "read-only sandbox policy");
    }
    assert.equal(existsSync(target), false);
    assert.equal(existsSync(join(workspace, "ro-dir")), false);
    assert.equal(await readFile(join(outside, "secret.txt"), "utf8"), "secret");
  });
});

describe("workspace-write sandbox", () => {
  it("allows writes under the realpath of a writable root", async () => {
    const path = join(workspace, "new", "deep", "file.txt");
    await service.createDirectory({ path: join(workspace, "new", "deep"), sandbox });
    await service.writeFile({ path, dataBase64: b64("inside"), sandbox });
    assert.equal(await readFile(path, "utf8"), "inside");
    await service.copy({ sourcePath: path, destinationPath: join(workspace, "copy.txt"), recursive: false, sandbox });
    await service.remove({ path: join(workspace, "new"), sandbox });
    assert.equal(existsSync(join(workspace, "new")), false);
    assert.equal(await readFile(join(workspace, "copy.txt"), "utf8"), "inside");
  });

  it("accepts the writableRoots spelling and a bare policy", async () => {
    const path = join(workspace, "camel.txt");
    await service.writeFile({ path, dataBase64: b64("c"), sandbox: { type: "workspace-write", writableRoots: [workspace] } });
    assert.equal(await readFile(path, "utf8"), "c");
  });

  it("refuses writes outside every writable root", async () => {
    const path = join(outside, "out.txt");
    await rejectsWithRpc(
      service.writeFile({ path, dataBase64: b64("x"), sandbox }),
      ErrorCode.InvalidRequest,
      "workspace-write sandbox policy",
      path,
      "outside the writable roots",
    );
    assert.equal(existsSync(path), false);
  });

  it("refuses writes through a symlink that escapes the root", async () => {
    const path = join(workspace, "escape", "via-link.txt");
    await rejectsWithRpc(
      service.writeFile({ path, dataBase64: b64("x"), sandbox }),
      ErrorCode.InvalidRequest,
      "workspace-write sandbox policy",
      `resolves to ${join(outside, "via-link.txt")}`,
    );
    assert.equal(existsSync(join(outside, "via-link.txt")), false);
    await rejectsWithRpc(
      service.remove({ path: join(workspace, "escape", "secret.txt"), sandbox }),
      ErrorCode.InvalidRequest,
      "workspace-write sandbox policy",
    );
    assert.ok(existsSync(join(outside, "secret.txt")));
  });

  it("refuses writes through a dangling symlink whose target is outside the root", async () => {
    await rejectsWithRpc(
      service.writeFile({ path: join(workspace, "dangling-escape"), dataBase64: b64("x"), sandbox }),
      ErrorCode.InvalidRequest,
      "workspace-write sandbox policy",
    );
    assert.equal(existsSync(join(outside, "not-yet")), false);
  });

  it("refuses '..' that climbs out of the root", async () => {
    const path = `${workspace}/../outside/dots.txt`;
    await rejectsWithRpc(
      service.writeFile({ path, dataBase64: b64("x"), sandbox }),
      ErrorCode.InvalidRequest,
      "outside the writable roots",
    );
    assert.equal(existsSync(join(outside, "dots.txt")), false);
  });

  it("refuses '..' after a missing component, whose meaning the OS leaves undefined", async () => {
    await rejectsWithRpc(
      service.createDirectory({ path: `${workspace}/missing/../../outside/dots-dir`, sandbox }),
      ErrorCode.InvalidRequest,
      "cannot resolve '..' after a missing component",
    );
    assert.equal(existsSync(join(outside, "dots-dir")), false);
  });

  it("removes a symlink inside the root without following it", async () => {
    const link = join(workspace, "removable-link");
    await symlink(outside, link);
    await service.remove({ path: link, sandbox });
    assert.equal(existsSync(link), false);
    assert.ok(existsSync(join(outside, "secret.txt")));
  });

  it("refuses a recursive copy whose existing destination tree links outside the root", async () => {
    const source = join(workspace, "copy-src");
    await mkdir(join(source, "escape"), { recursive: true });
    await writeFile(join(source, "escape", "planted.txt"), "p");
    // Copying `source` onto the workspace itself is refused as "into itself", so copy into a
    // destination that already holds the escaping link under the same name.
    const destination = join(workspace, "copy-dst");
    await mkdir(destination);
    await symlink(outside, join(destination, "escape"));
    await rejectsWithRpc(
      service.copy({ sourcePath: source, destinationPath: destination, recursive: true, sandbox }),
      ErrorCode.InvalidRequest,
      "workspace-write sandbox policy",
    );
    assert.equal(existsSync(join(outside, "planted.txt")), false);
  });

  it("grants nothing for a root that does not exist", async () => {
    await rejectsWithRpc(
      service.writeFile({
        path: join(workspace, "x.txt"),
        dataBase64: b64("x"),
        sandbox: { type: "workspace-write", writable_roots: [join(base, "missing-root")] },
      }),
      ErrorCode.InvalidRequest,
      "outside the writable roots",
    );
  });

  it("refuses a malformed sandbox before doing anything", async () => {
    const path = join(workspace, "malformed.txt");
    await rejectsWithRpc(
      service.writeFile({ path, dataBase64: b64("x"), sandbox: { type: "yolo" } }),
      ErrorCode.InvalidParams,
      'unsupported sandbox policy type "yolo"',
    );
    await rejectsWithRpc(service.readFile({ path: join(outside, "secret.txt"), sandbox: { type: "yolo" } }), ErrorCode.InvalidParams);
    assert.equal(existsSync(path), false);
  });
});
