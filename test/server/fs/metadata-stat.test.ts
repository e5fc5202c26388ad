import assert from "node:assert/strict";
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { FileSystemService } from "../../../src/server/fs/index.js";
import { MetadataStatPolicy, MOUNT_TABLE_MAX_AGE_MS, onlyLocalMounts } from "../../../src/server/fs/metadata-stat.js";
import type { FsDialect } from "../../../src/server/fs/fs-error.js";
import { ManualClock } from "../../../src/util/clock.js";

const LOCAL_TABLE = [
  "22 1 8:1 / / rw,relatime shared:1 - ext4 /dev/sda1 rw",
  "23 22 0:5 / /dev rw,nosuid shared:2 - devtmpfs udev rw,size=4096k",
  "24 22 0:21 / /proc rw,nosuid,nodev,noexec shared:12 - proc proc rw",
  "25 22 0:22 / /tmp rw,nosuid,nodev shared:3 - tmpfs tmpfs rw",
  "26 22 0:44 / /var/lib/docker/overlay2/x/merged rw - overlay overlay rw,lowerdir=/a,upperdir=/b,workdir=/c",
  "27 24 0:23 / /sys/fs/cgroup ro,nosuid - cgroup2 cgroup2 rw",
].join("\n");

describe("onlyLocalMounts", () => {
  it("accepts a table of block-device, memory, overlay and kernel filesystems", () => {
    assert.equal(onlyLocalMounts(`${LOCAL_TABLE}\n`), true);
  });

  for (const [type, source] of [
    ["nfs4", "server:/export"],
    ["cifs", "//server/share"],
    ["fuse.sshfs", "user@host:"],
    ["fuseblk", "/dev/sdb1"],
    ["autofs", "systemd-1"],
    ["9p", "hostshare"],
    ["virtiofs", "myfs"],
    ["somethingnew", "x"],
  ]) {
    it(`refuses a table with one ${type} mount (a stat there can wait on another machine or a daemon)`, () => {
      assert.equal(onlyLocalMounts(`${LOCAL_TABLE}\n40 22 0:50 / /mnt/x rw,relatime - ${type} ${source} rw`), false);
    });
  }

  it("does not trust an empty or unparsable table", () => {
    assert.equal(onlyLocalMounts(""), false);
    assert.equal(onlyLocalMounts("not a mountinfo line"), false);
  });
});

describe("MetadataStatPolicy", () => {
  it("is always synchronous in sync mode and never in async mode, without reading the mount table", () => {
    const never = () => Promise.reject(new Error("must not read"));
    assert.equal(new MetadataStatPolicy({ mode: "sync", readMountTable: never }).synchronous(), true);
    assert.equal(new MetadataStatPolicy({ mode: "async", readMountTable: never }).synchronous(), false);
  });

  it("refuses an unknown mode", () => {
    assert.throws(() => new MetadataStatPolicy({ mode: "fast" as never }), /metadataStat must be one of auto, sync, async/);
  });

  it("in auto mode uses the threadpool until the mount table is read, then follows it, re-reading it once it is old", async () => {
    const clock = new ManualClock(1_000);
    let table = LOCAL_TABLE;
    let reads = 0;
    const policy = new MetadataStatPolicy({ clock, readMountTable: async () => (reads++, table) });
    assert.equal(policy.synchronous(), false, "nothing known yet");
    await policy.settled();
    assert.equal(policy.synchronous(), true, "only local mounts");
    assert.equal(reads, 1);

    table = `${LOCAL_TABLE}\n40 22 0:50 / /mnt/nfs rw - nfs4 server:/export rw`;
    clock.advance(MOUNT_TABLE_MAX_AGE_MS - 1);
    assert.equal(policy.synchronous(), true);
    assert.equal(reads, 1, "a fresh verdict is reused");
    clock.advance(1);
    assert.equal(policy.synchronous(), true, "the old verdict holds while the table is re-read");
    assert.equal(policy.synchronous(), true);
    await policy.settled();
    assert.equal(reads, 2, "one re-read, however many stats asked meanwhile");
    assert.equal(policy.synchronous(), false, "a network mount appeared");
  });

  it("in auto mode stays on the threadpool when the mount table cannot be read", async () => {
    const policy = new MetadataStatPolicy({ readMountTable: () => Promise.reject(new Error("ENOENT")) });
    policy.synchronous();
    await policy.settled();
    assert.equal(policy.synchronous(), false);
  });
});

describe("fs/getMetadata answers the same whichever way it stats", () => {
  let root: string;
  before(async () => {
    root = await realpath(await mkdtemp(join(tmpdir(), "exec-server-metadata-")));
    await writeFile(join(root, "file.txt"), "hello");
    await mkdir(join(root, "dir"));
    await symlink(join(root, "file.txt"), join(root, "link"));
    await symlink(join(root, "missing"), join(root, "dangling"));
  });
  after(async () => {
    await rm(root, { recursive: true, force: true });
  });

  const outcome = async (service: FileSystemService, path: string, dialect: FsDialect, followSymlinks?: boolean): Promise<unknown> => {
    try {
      return await service.getMetadata({ path, ...(followSymlinks === undefined ? {} : { followSymlinks }) } as never, dialect);
    } catch (error) {
      const { code, message } = error as { code?: unknown; message?: unknown };
      return { code, message };
    }
  };

  it("answers a file or directory stat'ed on the event loop as a value, and links, missing paths and the threadpool as promises", async () => {
    const sync = new FileSystemService({ metadataStat: "sync" });
    const threadpool = new FileSystemService({ metadataStat: "async" });
    const answer = (service: FileSystemService, name: string, followSymlinks?: boolean) =>
      service.getMetadata({ path: join(root, name), ...(followSymlinks === undefined ? {} : { followSymlinks }) } as never, "codex-0.169");
    const file = answer(sync, "file.txt");
    assert.ok(!(file instanceof Promise), "a plain file is answered without a promise");
    assert.deepEqual([file.isFile, file.isDirectory, file.isSymlink, file.size], [true, false, false, 5]);
    assert.ok(!(answer(sync, "dir") instanceof Promise));
    for (const [service, name, follow] of [[sync, "link"], [sync, "missing"], [sync, "file.txt", false], [threadpool, "file.txt"]] as const) {
      const answered = answer(service, name, follow);
      assert.ok(answered instanceof Promise, `${name} follow=${String(follow)} takes the full path`);
      await answered.catch(() => undefined);
    }
  });

  for (const dialect of ["seed", "codex-0.169"] as const) {
    it(`for files, directories, links, dangling links and missing paths (${dialect})`, async () => {
      const sync = new FileSystemService({ metadataStat: "sync" });
      const threadpool = new FileSystemService({ metadataStat: "async" });
      for (const name of ["file.txt", "dir", "link", "dangling", "missing", "file.txt/below"]) {
        for (const follow of [undefined, false]) {
          const path = join(root, name);
          assert.deepEqual(await outcome(sync, path, dialect, follow), await outcome(threadpool, path, dialect, follow), `${name} follow=${String(follow)}`);
        }
      }
      const file = (await outcome(sync, join(root, "link"), dialect)) as { isFile: boolean; isSymlink: boolean; size: number };
      assert.equal(file.isFile, true);
      assert.equal(file.isSymlink, true);
      assert.equal(file.size, 5);
    });
  }
});
