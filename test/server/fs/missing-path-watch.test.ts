/**
 * `fs/watchMissing` + `fs/missingChanged` through the real websocket server on real directories,
 * with the semantics the codex 0.169 binary shows (probed): one watch per connection, watchId
 * ordering, `present`, one notification, ancestors; plus the fallback poll and the release of
 * every watcher when a watch fires, is replaced or its connection closes.
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, realpath, rename, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, test } from "node:test";
import { encodePathUri } from "../../../src/rpc/path-uri.js";
import { MissingPathWatch } from "../../../src/server/fs/missing-path-watch.js";
import { startExecServer, type RunningExecServer } from "../../../src/server/start-exec-server.js";
import { JsonWsClient, type Message } from "../../helpers/json-ws-client.js";

let server: RunningExecServer;
let base: string;
let fresh = 0;
const clients: JsonWsClient[] = [];

/** How long a test waits to be sure a notification does NOT come (≥ 2 poll intervals of the server below). */
const QUIET_MS = 600;

before(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), "exec-server-watch-")));
  // A short poll interval keeps the quiet waits short; the events path is what normally fires.
  server = await startExecServer({ fs: { watchPollIntervalMs: 200 } });
});
after(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await server.close();
  await rm(base, { recursive: true, force: true });
});

async function setup(): Promise<{ client: JsonWsClient; dir: string; uri: (...names: string[]) => string }> {
  const client = await JsonWsClient.connect(server.url);
  clients.push(client);
  await client.handshake({ clientName: "watch" });
  const dir = join(base, `d${(fresh += 1)}`);
  await mkdir(dir);
  return { client, dir, uri: (...names) => encodePathUri(join(dir, ...names)) };
}

const changes = (client: JsonWsClient): Message[] => client.notifications.filter((n) => n.method === "fs/missingChanged");
const watching = async (client: JsonWsClient, params: Record<string, unknown>): Promise<unknown> => (await client.call("fs/watchMissing", params))["watching"];
const quiet = () => new Promise((resolve) => setTimeout(resolve, QUIET_MS));

describe("fs/watchMissing", () => {
  test("a missing path appearing sends fs/missingChanged once", async () => {
    const { client, dir, uri } = await setup();
    assert.equal(await watching(client, { watchId: 5, missing: [uri("a"), uri("b")] }), true);
    await writeFile(join(dir, "a"), "a");
    await client.waitFor(() => changes(client).length > 0, 5_000, "fs/missingChanged");
    assert.deepEqual(changes(client)[0]?.params, { watchId: 5 });
    await writeFile(join(dir, "b"), "b");
    await quiet();
    assert.equal(changes(client).length, 1, "sent once");
  });

  test("present disappearing fires; unrelated changes in the same directory do not", async () => {
    const { client, dir, uri } = await setup();
    await writeFile(join(dir, "present"), "here");
    assert.equal(await watching(client, { watchId: 1, missing: [uri("absent")], present: uri("present") }), true);
    await writeFile(join(dir, "unrelated"), "x");
    await mkdir(join(dir, "other"));
    await quiet();
    assert.equal(changes(client).length, 0, "an unrelated change fired");
    await rm(join(dir, "present"));
    await client.waitFor(() => changes(client).length > 0, 5_000, "fs/missingChanged");
    assert.deepEqual(changes(client)[0]?.params, { watchId: 1 });
  });

  test("a directory appearing on the way to a missing path fires (upstream wakes codex to watch deeper), as does one disappearing", async () => {
    const { client, dir, uri } = await setup();
    assert.equal(await watching(client, { watchId: 1, missing: [uri("deep", "x", "y")] }), true);
    await mkdir(join(dir, "deep"));
    await client.waitFor(() => changes(client).length === 1, 5_000, "fs/missingChanged after mkdir deep");
    await mkdir(join(dir, "p"));
    assert.equal(await watching(client, { watchId: 2, missing: [uri("p", "q")] }), true);
    await rm(join(dir, "p"), { recursive: true });
    await client.waitFor(() => changes(client).length === 2, 5_000, "fs/missingChanged after rmdir p");
    assert.deepEqual(changes(client).map((n) => n.params?.["watchId"]), [1, 2]);
  });

  test("a change inotify cannot see (a watched directory's parent renamed) is caught by the poll", async () => {
    const { client, dir, uri } = await setup();
    await mkdir(join(dir, "outer", "inner"), { recursive: true });
    assert.equal(await watching(client, { watchId: 1, missing: [uri("outer", "inner", "x")] }), true);
    await rename(join(dir, "outer"), join(dir, "moved"));
    await client.waitFor(() => changes(client).length === 1, 5_000, "fs/missingChanged after the rename");
  });

  test("watchId ordering, refusals, and a refused newer registration still replaces the watch", async () => {
    const { client, dir, uri } = await setup();
    await writeFile(join(dir, "exists"), "x");
    await symlink("nowhere", join(dir, "dangling"));
    assert.equal(await watching(client, { watchId: 10, missing: [uri("a")] }), true);
    assert.equal(await watching(client, { watchId: 10, missing: [uri("b")] }), false, "the same id again");
    assert.equal(await watching(client, { watchId: 9, missing: [uri("b")] }), false, "a lower id");
    await writeFile(join(dir, "a"), "a");
    await client.waitFor(() => changes(client).length === 1, 5_000, "watch 10 still active after the refused ones");
    assert.equal(await watching(client, { watchId: 20, missing: [uri("c")] }), true);
    assert.equal(await watching(client, { watchId: 21, missing: [uri("exists")] }), false, "an existing missing path");
    assert.equal(await watching(client, { watchId: 20, missing: [uri("c")] }), false, "21 was seen, even refused");
    await writeFile(join(dir, "c"), "c");
    for (const [watchId, params] of [
      [30, { missing: [uri("dangling")] }],
      [31, { missing: [uri("d")], present: uri("not-there") }],
      [32, { missing: [uri("d")], present: uri("dangling") }],
      [33, { missing: [] }],
      [34, { missing: [uri("exists", "x")] }],
    ] as const) {
      assert.equal(await watching(client, { watchId, ...params }), false, String(watchId));
    }
    await quiet();
    assert.deepEqual(changes(client).map((n) => n.params?.["watchId"]), [10], "watch 20 was replaced by the refused 21");
  });

  test("each connection has its own watch and ids", async () => {
    const first = await setup();
    const second = await setup();
    assert.equal(await watching(first.client, { watchId: 7, missing: [first.uri("f")] }), true);
    assert.equal(await watching(second.client, { watchId: 1, missing: [first.uri("f")] }), true);
    await writeFile(join(first.dir, "f"), "f");
    await first.client.waitFor(() => changes(first.client).length === 1, 5_000, "first");
    await second.client.waitFor(() => changes(second.client).length === 1, 5_000, "second");
    assert.deepEqual(changes(second.client)[0]?.params, { watchId: 1 });
  });

  test("too many paths is an error that changes nothing", async () => {
    const { client, uri } = await setup();
    const many = Array.from({ length: 257 }, (_, i) => uri(`m${i}`));
    const response = await client.request("fs/watchMissing", { watchId: 1, missing: many });
    assert.deepEqual(response.error, { code: -32600, message: "fs/watchMissing watches at most 256 paths at once (got 257; maxWatchedPaths)" });
    assert.equal(await watching(client, { watchId: 1, missing: [uri("x")] }), true, "id 1 was not consumed");
  });
});

describe("MissingPathWatch resources", () => {
  test("watchers are released when the watch fires, is replaced or closed", async () => {
    const dir = join(base, `r${(fresh += 1)}`);
    await mkdir(join(dir, "a"), { recursive: true });
    const fired: number[] = [];
    const watch = new MissingPathWatch((id) => fired.push(id), { watchPollIntervalMs: 100 });
    assert.equal((await watch.register(1, [join(dir, "a", "x"), join(dir, "b")], undefined)).watching, true);
    assert.deepEqual(watch.active, { watchId: 1, watchers: 2 });
    assert.equal((await watch.register(2, [join(dir, "c")], undefined)).watching, true);
    assert.deepEqual(watch.active, { watchId: 2, watchers: 1 });
    await writeFile(join(dir, "c"), "c");
    const deadline = Date.now() + 5_000;
    while (fired.length === 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.deepEqual(fired, [2]);
    assert.equal(watch.active, undefined);
    assert.equal((await watch.register(3, [join(dir, "d")], undefined)).watching, true);
    watch.close();
    assert.equal(watch.active, undefined);
    assert.equal((await watch.register(4, [join(dir, "e")], undefined)).watching, false, "closed");
  });

  test("without inotify the poll alone notices an appearing path, a removed present and a moved ancestor", async () => {
    const dir = join(base, `p${(fresh += 1)}`);
    await mkdir(join(dir, "outer", "inner"), { recursive: true });
    await writeFile(join(dir, "present"), "p");
    const fired: number[] = [];
    const watch = new MissingPathWatch((id) => fired.push(id), { watchPollIntervalMs: 50, watchEvents: false });
    const waitFired = async (count: number) => {
      const deadline = Date.now() + 5_000;
      while (fired.length < count && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
      assert.equal(fired.length, count);
    };
    assert.equal((await watch.register(1, [join(dir, "a")], undefined)).watching, true);
    assert.deepEqual(watch.active, { watchId: 1, watchers: 0 });
    await writeFile(join(dir, "a"), "a");
    await waitFired(1);
    assert.equal((await watch.register(2, [join(dir, "b")], join(dir, "present"))).watching, true);
    await rm(join(dir, "present"));
    await waitFired(2);
    assert.equal((await watch.register(3, [join(dir, "outer", "inner", "x")], undefined)).watching, true);
    await rename(join(dir, "outer"), join(dir, "moved"));
    await waitFired(3);
    assert.deepEqual(fired, [1, 2, 3]);
    watch.close();
  });
});
