import type { Check, CheckContext } from "../../check.js";
import { expect } from "../../check.js";
import { show } from "../../expectations.js";
import { CodexPeer } from "../codex-peer.js";
import { checkDir, uriJoin, walkList, walkOptions, writeText } from "../fs-steps.js";
import { runShell } from "../process-steps.js";

/**
 * A tree without links in `dir`: `b.txt`, `a/x.txt`, `a/y/z.txt`, `c/` (empty). Its full walk,
 * breadth first with each directory's entries sorted by name, is {@link TREE_WALK}.
 */
async function treeFixture(peer: CodexPeer, dir: string): Promise<void> {
  await peer.call("fs/createDirectory", { path: uriJoin(dir, "a", "y") });
  await peer.call("fs/createDirectory", { path: uriJoin(dir, "c") });
  await writeText(peer, uriJoin(dir, "b.txt"), "b");
  await writeText(peer, uriJoin(dir, "a", "x.txt"), "x");
  await writeText(peer, uriJoin(dir, "a", "y", "z.txt"), "z");
}

const TREE_WALK = ["a:directory", "b.txt:file", "c:directory", "a/x.txt:file", "a/y:directory", "a/y/z.txt:file"];

async function walk(peer: CodexPeer, root: string, options: Record<string, unknown>): Promise<{ list: string[]; truncated: unknown; errors: unknown }> {
  const result = await peer.call("fs/walk", { path: root, options: walkOptions(options) }, { what: `fs/walk ${show(options)}` });
  return { list: walkList(root, result), truncated: result["truncated"], errors: result["errors"] };
}

async function expectWalk(peer: CodexPeer, root: string, options: Record<string, unknown>, expected: string[], truncated: boolean): Promise<void> {
  const got = await walk(peer, root, options);
  expect(show(got.list) === show(expected), `fs/walk ${show(options)} listed ${show(got.list)}, expected ${show(expected)}`);
  expect(got.truncated === truncated, `fs/walk ${show(options)} answered truncated=${show(got.truncated)}, expected ${truncated}`);
  expect(show(got.errors) === "[]", `fs/walk ${show(options)} reported errors ${show(got.errors)}`);
}

async function prepared(ctx: CheckContext): Promise<{ peer: CodexPeer; dir: string }> {
  const peer = await CodexPeer.open(ctx);
  const dir = await checkDir(peer, ctx);
  return { peer, dir };
}

/** UPSTREAM-0.169 §2.10 `fs/walk`: order, kinds, links, limits and truncation. */
export function fsWalkChecks(): Check[] {
  return [
    {
      id: "fs-walk/order",
      title: "fs/walk lists breadth first, each directory's entries sorted by name, as {path: file: URI, kind}",
      async run(ctx) {
        const { peer, dir } = await prepared(ctx);
        await treeFixture(peer, dir);
        await expectWalk(peer, dir, {}, TREE_WALK, false);
      },
    },
    {
      id: "fs-walk/symlinks",
      title: "fs/walk leaves out links, dangling links and fifos; followDirectorySymlinks lists a directory link and its contents (a directory reached twice is descended once)",
      async run(ctx) {
        const { peer, dir } = await prepared(ctx);
        await writeText(peer, uriJoin(dir, "ten.txt"), "0123456789");
        await peer.call("fs/createDirectory", { path: uriJoin(dir, "sub", "deep") });
        await runShell(peer, ctx, "fixture", "ln -s ten.txt link && ln -s nowhere dangling && ln -s sub dirlink && mkfifo fifo", dir);
        await expectWalk(peer, dir, {}, ["sub:directory", "ten.txt:file", "sub/deep:directory"], false);
        // dirlink and sub are one directory: upstream descends it once, through the first name in walk order.
        await expectWalk(peer, dir, { followDirectorySymlinks: true }, ["dirlink:directory", "sub:directory", "ten.txt:file", "dirlink/deep:directory"], false);
      },
    },
    {
      id: "fs-walk/limits-refused",
      title: "fs/walk limits of 0 or above depth 64 / 10000 directories / 50000 entries → -32600; a missing option → -32602; the maxima themselves work",
      async run(ctx) {
        const { peer, dir } = await prepared(ctx);
        const zero = "filesystem walk limits must be greater than zero";
        const tooBig = "filesystem walk limits exceed maximums: depth=64, directories=10000, entries=50000";
        for (const [options, upstream] of [
          [{ maxEntries: 0 }, zero],
          [{ maxDirectories: 0 }, zero],
          [{ maxDepth: 65 }, tooBig],
          [{ maxDirectories: 10_001 }, tooBig],
          [{ maxEntries: 50_001 }, tooBig],
        ] as const) {
          await peer.fails("fs/walk", { path: dir, options: walkOptions(options) }, -32600, `fs/walk with ${show(options)}`, { upstream });
        }
        await peer.fails("fs/walk", { path: dir, options: { maxDepth: 1, maxDirectories: 1, maxEntries: 1 } }, -32602, "fs/walk without followDirectorySymlinks", {
          upstream: "missing field `followDirectorySymlinks`",
          mention: "followDirectorySymlinks",
        });
        await walk(peer, dir, { maxDepth: 64, maxDirectories: 10_000, maxEntries: 50_000 });
      },
    },
    {
      id: "fs-walk/truncation",
      title: "fs/walk: maxEntries keeps a prefix (truncated when cut); maxDirectories 1 reads the root only (truncated); maxDepth 0/1 stop below children/grandchildren",
      async run(ctx) {
        const { peer, dir } = await prepared(ctx);
        await treeFixture(peer, dir);
        await expectWalk(peer, dir, { maxEntries: 2 }, TREE_WALK.slice(0, 2), true);
        await expectWalk(peer, dir, { maxEntries: TREE_WALK.length }, TREE_WALK, false);
        await expectWalk(peer, dir, { maxDirectories: 1 }, TREE_WALK.slice(0, 3), true);
        await expectWalk(peer, dir, { maxDepth: 0 }, TREE_WALK.slice(0, 3), false);
        await expectWalk(peer, dir, { maxDepth: 1 }, TREE_WALK.slice(0, 5), false);
      },
    },
    {
      id: "fs-walk/prune-hidden",
      title: "fs/walk pruneHiddenDirectories lists a hidden directory but not its contents",
      async run(ctx) {
        const { peer, dir } = await prepared(ctx);
        await peer.call("fs/createDirectory", { path: uriJoin(dir, ".hid", "inner") });
        await writeText(peer, uriJoin(dir, ".hid", "inner", "f"), "f");
        await peer.call("fs/createDirectory", { path: uriJoin(dir, "shown") });
        await writeText(peer, uriJoin(dir, "shown", "g"), "g");
        await expectWalk(peer, dir, { pruneHiddenDirectories: true }, [".hid:directory", "shown:directory", "shown/g:file"], false);
        await expectWalk(peer, dir, {}, [".hid:directory", "shown:directory", ".hid/inner:directory", "shown/g:file", ".hid/inner/f:file"], false);
      },
    },
    {
      id: "fs-walk/roots",
      title: "fs/walk of a file answers no entries (not truncated); of a missing path → -32004",
      async run(ctx) {
        const { peer, dir } = await prepared(ctx);
        const file = uriJoin(dir, "file.txt");
        await writeText(peer, file, "x");
        const result = await peer.call("fs/walk", { path: file, options: walkOptions() });
        expect(show(result["entries"]) === "[]" && result["truncated"] === false, `fs/walk of a file answered ${show(result)}`);
        await peer.fails("fs/walk", { path: uriJoin(dir, "missing"), options: walkOptions() }, -32004, "fs/walk of a missing path", { upstream: "No such file or directory (os error 2)" });
      },
    },
  ];
}
