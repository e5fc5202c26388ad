/**
 * File handles (`fs/open`, `fs/readBlock`, `fs/writeBlock`, `fs/close`) through the real websocket
 * server on real files and real descriptors: upstream's rules (ids, modes, block sizes, eof, codes),
 * the per-connection and server-wide limits, and that a dropped connection closes its descriptors.
 */
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdir, mkdtemp, readFile, readdir, readlink, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { encodePathUri } from "../../../src/rpc/path-uri.js";
import { startExecServer, type RunningExecServer } from "../../../src/server/start-exec-server.js";
import { b64, JsonWsClient } from "../../helpers/json-ws-client.js";

let server: RunningExecServer;
let dir: string;
const clients: JsonWsClient[] = [];

before(async () => {
  dir = await realpath(await mkdtemp(join(tmpdir(), "exec-server-handles-")));
  await writeFile(join(dir, "ten.txt"), "0123456789");
  await symlink("ten.txt", join(dir, "link"));
  await mkdir(join(dir, "sub"));
  execFileSync("mkfifo", [join(dir, "fifo")]);
  server = await startExecServer({});
});
after(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await server.close();
  await rm(dir, { recursive: true, force: true });
});

async function connect(target: RunningExecServer = server): Promise<JsonWsClient> {
  const client = await JsonWsClient.connect(target.url);
  clients.push(client);
  await client.handshake({ clientName: "handles" });
  return client;
}

const uri = (name: string) => encodePathUri(join(dir, name));

/** Descriptors this process holds on `path` (the server runs in this process). */
async function descriptorsOn(path: string): Promise<number> {
  let count = 0;
  for (const fd of await readdir("/proc/self/fd")) {
    const target = await readlink(`/proc/self/fd/${fd}`).catch(() => "");
    if (target === path) count++;
  }
  return count;
}

describe("file handles", () => {
  test("positional reads; eof only on a short read; past the end; links followed; handle id \"\"", async () => {
    const client = await connect();
    assert.deepEqual(await client.call("fs/open", { handleId: "r", path: uri("ten.txt") }), { handleId: "r" });
    const read = (offset: number, len: number) => client.call("fs/readBlock", { handleId: "r", offset, len });
    assert.deepEqual(await read(0, 4), { chunk: b64("0123"), eof: false });
    assert.deepEqual(await read(6, 4), { chunk: b64("6789"), eof: false });
    assert.deepEqual(await read(8, 4), { chunk: b64("89"), eof: true });
    assert.deepEqual(await read(100, 4), { chunk: "", eof: true });
    assert.deepEqual(await read(2 ** 60, 4), { chunk: "", eof: true });
    await client.call("fs/open", { handleId: "", path: uri("link") });
    assert.deepEqual(await client.call("fs/readBlock", { handleId: "", offset: 2, len: 3 }), { chunk: b64("234"), eof: false });
  });

  test("replace creates or truncates; writes land at their offsets and gaps are zero-filled", async () => {
    const client = await connect();
    await writeFile(join(dir, "out.bin"), "old content that is longer");
    await client.call("fs/open", { handleId: "w", path: uri("out.bin"), mode: "replace" });
    assert.equal((await readFile(join(dir, "out.bin"))).length, 0, "truncated at open");
    for (const [offset, text] of [[0, "hello"], [5, " world"], [20, "!"], [2, "L"]] as const) {
      assert.deepEqual(await client.call("fs/writeBlock", { handleId: "w", offset, chunk: b64(text) }), {});
    }
    await client.call("fs/close", { handleId: "w" });
    assert.deepEqual(await readFile(join(dir, "out.bin")), Buffer.concat([Buffer.from("heLlo world"), Buffer.alloc(9), Buffer.from("!")]));
    await client.call("fs/open", { handleId: "n", path: uri("new.bin"), mode: "replace" });
    await client.call("fs/writeBlock", { handleId: "n", offset: 0, chunk: b64("fresh") });
    assert.equal(await readFile(join(dir, "new.bin"), "utf8"), "fresh");
  });

  test("upstream's errors and codes", async () => {
    const client = await connect();
    const fails = async (method: string, params: Record<string, unknown>, code: number, message: string) => {
      const response = await client.request(method, params);
      assert.deepEqual(response.error, { code, message }, `${method} ${JSON.stringify(params)}`);
    };
    await client.call("fs/open", { handleId: "r", path: uri("ten.txt") });
    await fails("fs/open", { handleId: "r", path: uri("ten.txt") }, -32600, "file handle `r` already exists");
    await fails("fs/open", { handleId: "x".repeat(33), path: uri("ten.txt") }, -32600, "file handle ID must not exceed 32 bytes");
    await fails("fs/open", { handleId: "é".repeat(16) + "1", path: uri("ten.txt") }, -32600, "file handle ID must not exceed 32 bytes");
    await client.call("fs/open", { handleId: "é".repeat(16), path: uri("ten.txt") });
    await fails("fs/open", { handleId: "d", path: uri("sub") }, -32600, `path \`${join(dir, "sub")}\` is not a file`);
    await fails("fs/open", { handleId: "f", path: uri("fifo") }, -32600, `path \`${join(dir, "fifo")}\` is not a file`);
    await fails("fs/open", { handleId: "f", path: uri("fifo"), mode: "replace" }, -32603, "No such device or address (os error 6)");
    await fails("fs/open", { handleId: "d", path: uri("sub"), mode: "replace" }, -32603, "Is a directory (os error 21)");
    await fails("fs/open", { handleId: "m", path: uri("missing") }, -32004, "No such file or directory (os error 2)");
    await fails("fs/open", { handleId: "m", path: `${uri("no-dir")}/x`, mode: "replace" }, -32004, "No such file or directory (os error 2)");
    assert.equal((await client.request("fs/open", { handleId: "m", path: uri("ten.txt"), mode: "zzz" })).error?.code, -32602);
    await fails("fs/readBlock", { handleId: "nope", offset: 0, len: 0 }, -32600, "file read block length must be between 1 and 1048576");
    await fails("fs/readBlock", { handleId: "r", offset: 0, len: 1_048_577 }, -32600, "file read block length must be between 1 and 1048576");
    await fails("fs/readBlock", { handleId: "nope", offset: 0, len: 1 }, -32004, "unknown file handle `nope`");
    await fails("fs/writeBlock", { handleId: "nope", offset: 0, chunk: "" }, -32600, "file write block length must be between 1 and 1048576");
    await fails("fs/writeBlock", { handleId: "nope", offset: 0, chunk: b64("x") }, -32004, "unknown file handle `nope`");
    await fails("fs/writeBlock", { handleId: "r", offset: 0, chunk: b64("x") }, -32603, "Bad file descriptor (os error 9)");
    assert.deepEqual(await client.call("fs/readBlock", { handleId: "r", offset: 0, len: 1 }), { chunk: b64("0"), eof: false }, "a failed write keeps the handle");
    await client.call("fs/open", { handleId: "w", path: uri("w.bin"), mode: "replace" });
    await fails("fs/writeBlock", { handleId: "w", offset: 2 ** 63 - 2, chunk: b64("xx") }, -32600, "file write range exceeds the signed 64-bit file offset limit");
    await fails("fs/writeBlock", { handleId: "w", offset: 2 ** 60, chunk: b64("xx") }, -32603, "File too large (os error 27)");
    await fails("fs/readBlock", { handleId: "w", offset: 0, len: 4 }, -32603, "Bad file descriptor (os error 9)");
    await fails("fs/writeBlock", { handleId: "w", offset: 0, chunk: b64("x") }, -32004, "unknown file handle `w`");
    assert.equal((await readFile(join(dir, "w.bin"))).length, 0, "nothing written at a huge offset");
    await fails("fs/readBlock", { handleId: "r", offset: 2 ** 64, len: 4 }, -32600, "Invalid argument (os error 22)");
    await fails("fs/readBlock", { handleId: "r", offset: 0, len: 4 }, -32004, "unknown file handle `r`");
  });

  test("close is idempotent, frees the id, and a closed handle is unknown", async () => {
    const client = await connect();
    await client.call("fs/open", { handleId: "c", path: uri("ten.txt") });
    assert.deepEqual(await client.call("fs/close", { handleId: "c" }), {});
    assert.deepEqual(await client.call("fs/close", { handleId: "c" }), {});
    assert.deepEqual(await client.call("fs/close", { handleId: "never-opened" }), {});
    assert.equal((await client.request("fs/close", { handleId: "x".repeat(33) })).error?.code, -32600);
    assert.deepEqual((await client.request("fs/readBlock", { handleId: "c", offset: 0, len: 1 })).error, { code: -32004, message: "unknown file handle `c`" });
    await client.call("fs/open", { handleId: "c", path: uri("ten.txt") });
  });

  test("1 MiB blocks both ways", async () => {
    const client = await connect();
    const block = Buffer.alloc(1_048_576, 0x61);
    await client.call("fs/open", { handleId: "w", path: uri("big.bin"), mode: "replace" });
    await client.call("fs/writeBlock", { handleId: "w", offset: 0, chunk: block.toString("base64") });
    const over = await client.request("fs/writeBlock", { handleId: "w", offset: 0, chunk: Buffer.alloc(1_048_577).toString("base64") });
    assert.deepEqual(over.error, { code: -32600, message: "file write block length must be between 1 and 1048576" });
    await client.call("fs/open", { handleId: "r", path: uri("big.bin") });
    const read = await client.call("fs/readBlock", { handleId: "r", offset: 0, len: 1_048_576 });
    assert.ok(Buffer.from(String(read["chunk"]), "base64").equals(block));
    assert.equal(read["eof"], false);
  });

  test("128 per connection (opens in flight count), each connection its own; the server-wide budget", async () => {
    const own = await startExecServer({ fs: { maxOpenFileHandles: 200 } });
    try {
      const client = await connect(own);
      const opens = await Promise.all(Array.from({ length: 129 }, (_, i) => client.request("fs/open", { handleId: `h${i}`, path: uri("ten.txt") })));
      const refused = opens.filter((response) => response.error !== undefined);
      assert.equal(refused.length, 1);
      assert.deepEqual(refused[0]?.error, { code: -32600, message: "at most 128 file handles may be open per connection" });
      const other = await connect(own);
      for (let i = 0; i < 72; i++) await other.call("fs/open", { handleId: `h${i}`, path: uri("ten.txt") });
      const overBudget = await other.request("fs/open", { handleId: "one-more", path: uri("ten.txt") });
      assert.deepEqual(overBudget.error, {
        code: -32600,
        message: "at most 200 file handles may be open on this exec-server (all connections; maxOpenFileHandles)",
      });
      await other.close();
      // The other connection's 72 descriptors are released once the server sees it close.
      const freed = await connect(own);
      let answer = await freed.request("fs/open", { handleId: "after", path: uri("ten.txt") });
      for (const deadline = Date.now() + 10_000; answer.error !== undefined && Date.now() < deadline; ) {
        await new Promise((resolve) => setTimeout(resolve, 20));
        answer = await freed.request("fs/open", { handleId: "after", path: uri("ten.txt") });
      }
      assert.equal(answer.error, undefined, JSON.stringify(answer.error));
      const twins = await Promise.all([freed.request("fs/open", { handleId: "twin", path: uri("ten.txt") }), freed.request("fs/open", { handleId: "twin", path: uri("ten.txt") })]);
      assert.deepEqual(
        twins.map((response) => response.error?.message ?? "ok").sort(),
        ["file handle `twin` already exists", "ok"],
        "two concurrent opens of one id: exactly one wins",
      );
    } finally {
      await own.close();
    }
  });

  test("a dropped connection closes its descriptors", async () => {
    const file = join(dir, "leak-check.txt");
    await writeFile(file, "x");
    const before = await descriptorsOn(file);
    const client = await connect();
    for (let i = 0; i < 20; i++) await client.call("fs/open", { handleId: `l${i}`, path: encodePathUri(file), mode: i % 2 === 0 ? "read" : "replace" });
    assert.equal(await descriptorsOn(file), before + 20);
    client.socket.terminate(); // no close frame, as codex drops its socket
    const deadline = Date.now() + 5_000;
    while ((await descriptorsOn(file)) !== before) {
      assert.ok(Date.now() < deadline, "descriptors still open 5 s after the connection dropped");
      await new Promise((resolve) => setTimeout(resolve, 20));
    }
  });
});
