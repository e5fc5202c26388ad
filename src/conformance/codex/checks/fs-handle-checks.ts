import type { Check } from "../../check.js";
import { expect } from "../../check.js";
import { b64, show } from "../../expectations.js";
import { CodexPeer } from "../codex-peer.js";
import { checkDir, uriJoin, writeText } from "../fs-steps.js";
import { runShell } from "../process-steps.js";

/** Largest `fs/readBlock` length and `fs/writeBlock` chunk (1 MiB). */
const MAX_BLOCK = 1_048_576;
/** Handles one connection may hold open. */
const MAX_HANDLES = 128;
const BLOCK_RANGE = (kind: string) => `file ${kind} block length must be between 1 and ${MAX_BLOCK}`;

/** UPSTREAM-0.169 §2.11: file handles. */
export function fsHandleChecks(): Check[] {
  return [
    {
      id: "fs-handle/read",
      title: "fs/open (read) then fs/readBlock: positional reads, eof on a short read, past EOF → {chunk: \"\", eof: true}; links are followed; handleId \"\" allowed",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        await writeText(peer, uriJoin(dir, "ten.txt"), "0123456789");
        await runShell(peer, ctx, "fixture", "ln -s ten.txt link", dir);
        const opened = await peer.call("fs/open", { handleId: "h1", path: uriJoin(dir, "ten.txt") });
        expect(opened["handleId"] === "h1", `fs/open answered ${show(opened)}`);
        const read = async (offset: number, len: number, chunk: string, eof: boolean) => {
          const block = await peer.call("fs/readBlock", { handleId: "h1", offset, len });
          expect(block["chunk"] === chunk && block["eof"] === eof, `fs/readBlock offset ${offset} len ${len} answered ${show(block)}, expected ${show({ chunk, eof })}`);
        };
        await read(0, 4, b64("0123"), false);
        await read(8, 4, b64("89"), true);
        await read(0, 10, b64("0123456789"), false);
        await read(100, 10, "", true);
        const viaLink = await peer.call("fs/open", { handleId: "", path: uriJoin(dir, "link") });
        expect(viaLink["handleId"] === "", `fs/open with handleId "" answered ${show(viaLink)}`);
        const linked = await peer.call("fs/readBlock", { handleId: "", offset: 2, len: 3 });
        expect(linked["chunk"] === b64("234"), `fs/readBlock through a symlink answered ${show(linked)}`);
      },
    },
    {
      id: "fs-handle/write",
      title: "fs/open replace creates or truncates; fs/writeBlock writes at offsets, zero-filling gaps",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        const file = uriJoin(dir, "out.bin");
        await writeText(peer, file, "old content that is longer");
        await peer.call("fs/open", { handleId: "w", path: file, mode: "replace" });
        const truncated = await peer.call("fs/readFile", { path: file });
        expect(truncated["dataBase64"] === "", `after fs/open replace the file holds ${show(truncated)}, expected it truncated`);
        for (const [offset, text] of [[0, "hello"], [5, " world"], [20, "!"], [2, "L"]] as const) {
          const written = await peer.call("fs/writeBlock", { handleId: "w", offset, chunk: b64(text) });
          expect(Object.keys(written).length === 0, `fs/writeBlock answered ${show(written)}, expected {}`);
        }
        await peer.call("fs/close", { handleId: "w" });
        const expected = Buffer.concat([Buffer.from("heLlo world"), Buffer.alloc(9), Buffer.from("!")]).toString("base64");
        const content = await peer.call("fs/readFile", { path: file });
        expect(content["dataBase64"] === expected, `the written file holds ${show(content["dataBase64"])}, expected ${show(expected)}`);
        await peer.call("fs/open", { handleId: "n", path: uriJoin(dir, "new.bin"), mode: "replace" });
        await peer.call("fs/writeBlock", { handleId: "n", offset: 0, chunk: b64("fresh") });
        const fresh = await peer.call("fs/readFile", { path: uriJoin(dir, "new.bin") });
        expect(fresh["dataBase64"] === b64("fresh"), `fs/open replace of a new file then a write gave ${show(fresh)}`);
      },
    },
    {
      id: "fs-handle/errors",
      title: "fs/open: duplicate id, id over 32 bytes, a directory → -32600; missing → -32004; bad mode → -32602; block lengths outside 1..1 MiB → -32600; wrong-direction use → -32603",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        const file = uriJoin(dir, "ten.txt");
        await writeText(peer, file, "0123456789");
        await peer.call("fs/open", { handleId: "r", path: file });
        await peer.fails("fs/open", { handleId: "r", path: file }, -32600, "fs/open of an open handle id", { upstream: "file handle `r` already exists" });
        await peer.fails("fs/open", { handleId: "x".repeat(33), path: file }, -32600, "fs/open with a 33-byte handle id", { upstream: "file handle ID must not exceed 32 bytes" });
        await peer.fails("fs/open", { handleId: "d", path: dir }, -32600, "fs/open of a directory", { upstream: `path \`${decodeURIComponent(new URL(dir).pathname)}\` is not a file` });
        await peer.fails("fs/open", { handleId: "m", path: uriJoin(dir, "missing") }, -32004, "fs/open of a missing file", { upstream: "No such file or directory (os error 2)" });
        await peer.fails("fs/open", { handleId: "m", path: uriJoin(dir, "no-dir", "x"), mode: "replace" }, -32004, "fs/open replace under a missing directory", {
          upstream: "No such file or directory (os error 2)",
        });
        await peer.fails("fs/open", { handleId: "m", path: file, mode: "zzz" }, -32602, "fs/open with mode zzz", { upstream: "unknown variant `zzz`, expected `read` or `replace`" });
        await peer.fails("fs/readBlock", { handleId: "r", offset: 0, len: 0 }, -32600, "fs/readBlock len 0", { upstream: BLOCK_RANGE("read") });
        await peer.fails("fs/readBlock", { handleId: "r", offset: 0, len: MAX_BLOCK + 1 }, -32600, "fs/readBlock len 1 MiB + 1", { upstream: BLOCK_RANGE("read") });
        await peer.fails("fs/writeBlock", { handleId: "r", offset: 0, chunk: b64("x") }, -32603, "fs/writeBlock on a read handle", { upstream: "Bad file descriptor (os error 9)" });
        await peer.call("fs/open", { handleId: "w", path: uriJoin(dir, "w.bin"), mode: "replace" });
        await peer.fails("fs/writeBlock", { handleId: "w", offset: 0, chunk: "" }, -32600, "fs/writeBlock of an empty chunk", { upstream: BLOCK_RANGE("write") });
        await peer.fails("fs/readBlock", { handleId: "w", offset: 0, len: 4 }, -32603, "fs/readBlock on a replace handle", { upstream: "Bad file descriptor (os error 9)" });
      },
    },
    {
      id: "fs-handle/close",
      title: "fs/close answers {} and is idempotent (also for unknown ids); a closed handle → -32004 \"unknown file handle\"",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        const file = uriJoin(dir, "ten.txt");
        await writeText(peer, file, "0123456789");
        await peer.call("fs/open", { handleId: "c", path: file });
        for (const label of ["first", "second"]) {
          const closed = await peer.call("fs/close", { handleId: "c" }, { what: `${label} fs/close` });
          expect(Object.keys(closed).length === 0, `${label} fs/close answered ${show(closed)}, expected {}`);
        }
        await peer.call("fs/close", { handleId: "never-opened" }, { what: "fs/close of an unknown id" });
        await peer.fails("fs/readBlock", { handleId: "c", offset: 0, len: 1 }, -32004, "fs/readBlock on a closed handle", { upstream: "unknown file handle `c`" });
        await peer.fails("fs/writeBlock", { handleId: "c", offset: 0, chunk: b64("x") }, -32004, "fs/writeBlock on a closed handle", { upstream: "unknown file handle `c`" });
        await peer.call("fs/open", { handleId: "c", path: file }, { what: "fs/open reusing a closed handle id" });
      },
    },
    {
      id: "fs-handle/limit",
      title: "at most 128 handles per connection: the 129th fs/open → -32600; closing one frees a slot; another connection has its own budget",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        const file = uriJoin(dir, "ten.txt");
        await writeText(peer, file, "0123456789");
        for (let i = 0; i < MAX_HANDLES; i++) await peer.call("fs/open", { handleId: `h${i}`, path: file }, { what: `fs/open #${i + 1}` });
        await peer.fails("fs/open", { handleId: "one-too-many", path: file }, -32600, `fs/open #${MAX_HANDLES + 1}`, {
          upstream: `at most ${MAX_HANDLES} file handles may be open per connection`,
        });
        const other = await CodexPeer.open(ctx);
        await other.call("fs/open", { handleId: "h0", path: file }, { what: "fs/open on another connection while the first holds 128" });
        await peer.call("fs/close", { handleId: "h5" });
        await peer.call("fs/open", { handleId: "after-close", path: file }, { what: "fs/open after closing one of 128" });
      },
    },
    {
      id: "fs-handle/block-size",
      title: "fs/readBlock and fs/writeBlock take exactly 1 MiB; a 1 MiB + 1 byte chunk → -32600",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        const file = uriJoin(dir, "big.bin");
        const block = Buffer.alloc(MAX_BLOCK, 0x61);
        await peer.call("fs/open", { handleId: "w", path: file, mode: "replace" });
        await peer.call("fs/writeBlock", { handleId: "w", offset: 0, chunk: block.toString("base64") }, { what: "fs/writeBlock of 1 MiB" });
        await peer.fails("fs/writeBlock", { handleId: "w", offset: 0, chunk: Buffer.alloc(MAX_BLOCK + 1, 0x62).toString("base64") }, -32600, "fs/writeBlock of 1 MiB + 1", {
          upstream: BLOCK_RANGE("write"),
        });
        await peer.call("fs/close", { handleId: "w" });
        await peer.call("fs/open", { handleId: "r", path: file });
        const read = await peer.call("fs/readBlock", { handleId: "r", offset: 0, len: MAX_BLOCK });
        expect(Buffer.from(String(read["chunk"]), "base64").equals(block), `fs/readBlock of 1 MiB returned ${Buffer.from(String(read["chunk"]), "base64").length} bytes, not the block written`);
      },
    },
  ];
}
