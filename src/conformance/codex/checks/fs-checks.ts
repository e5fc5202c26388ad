import type { Check, CheckContext } from "../../check.js";
import { expect } from "../../check.js";
import { b64, show } from "../../expectations.js";
import { CodexPeer } from "../codex-peer.js";
import { checkDir, expectMissing, expectText, readText, uriJoin, writeText } from "../fs-steps.js";
import { runShell } from "../process-steps.js";

const NOT_FOUND = "No such file or directory (os error 2)";

/**
 * The symlink fixture in `dir`: `ten.txt` ("0123456789"), `link` → ten.txt, `dangling` → nowhere,
 * `sub/deep/`, `dirlink` → sub, `fifo` (a named pipe).
 */
async function symlinkFixture(ctx: CheckContext, peer: CodexPeer, dir: string): Promise<void> {
  await writeText(peer, uriJoin(dir, "ten.txt"), "0123456789");
  await peer.call("fs/createDirectory", { path: uriJoin(dir, "sub", "deep") });
  await runShell(peer, ctx, "fixture", "ln -s ten.txt link && ln -s nowhere dangling && ln -s sub dirlink && mkfifo fifo", dir);
}

/** A path rendered as upstream's "is not a file" message quotes it (the native path). */
function nativeOf(uri: string): string {
  return decodeURIComponent(new URL(uri).pathname);
}

/** UPSTREAM-0.169 §2.10: the file-system requests, their codes and symlink behaviour. */
export function fsChecks(): Check[] {
  return [
    {
      id: "fs/round-trip",
      title: "256 arbitrary bytes survive fs/writeFile and fs/readFile; metadata and listing agree",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        const bytes = Buffer.from(Array.from({ length: 256 }, (_v, i) => (i * 7 + 3) & 0xff));
        const file = uriJoin(dir, "bytes.bin");
        const written = await peer.call("fs/writeFile", { path: file, dataBase64: bytes.toString("base64") });
        expect(Object.keys(written).length === 0, `fs/writeFile answered ${show(written)}, expected {}`);
        const read = await peer.call("fs/readFile", { path: file });
        expect(read["dataBase64"] === bytes.toString("base64"), "fs/readFile returned other bytes than were written");
        const meta = await peer.call("fs/getMetadata", { path: file });
        expect(meta["isFile"] === true && meta["isDirectory"] === false && meta["isSymlink"] === false && meta["size"] === 256, `fs/getMetadata of a 256-byte file answered ${show(meta)}`);
        expect(typeof meta["modifiedAtMs"] === "number" && meta["modifiedAtMs"] > 0, `modifiedAtMs ${show(meta["modifiedAtMs"])} should be a positive time`);
        const listing = await peer.call("fs/readDirectory", { path: dir });
        expect(show(listing["entries"]) === show([{ fileName: "bytes.bin", isDirectory: false, isFile: true }]), `fs/readDirectory answered ${show(listing)}`);
      },
    },
    {
      id: "fs/read-file-errors",
      title: "fs/readFile of a directory → -32600 \"path `…` is not a file\"; of a missing file or a dangling link → -32004",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        await symlinkFixture(ctx, peer, dir);
        const sub = uriJoin(dir, "sub");
        await peer.fails("fs/readFile", { path: sub }, -32600, "fs/readFile of a directory", { upstream: `path \`${nativeOf(sub)}\` is not a file` });
        await peer.fails("fs/readFile", { path: uriJoin(dir, "missing") }, -32004, "fs/readFile of a missing file", { upstream: NOT_FOUND });
        await peer.fails("fs/readFile", { path: uriJoin(dir, "dangling") }, -32004, "fs/readFile of a dangling link", { upstream: NOT_FOUND });
      },
    },
    {
      id: "fs/write-file-errors",
      title: "fs/writeFile: bad base64 → -32600 naming base64 (nothing written); missing parent → -32004; a directory → -32603",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        const target = uriJoin(dir, "never.txt");
        await peer.fails("fs/writeFile", { path: target, dataBase64: "aGVsbG8" }, -32600, "fs/writeFile with unpadded base64", {
          upstream: "fs/writeFile requires valid base64 dataBase64: Invalid padding",
          mention: "base64",
        });
        await peer.fails("fs/writeFile", { path: target, dataBase64: "!!!!" }, -32600, "fs/writeFile with invalid base64", { mention: "base64" });
        await expectMissing(peer, target, "after refused writes");
        await peer.fails("fs/writeFile", { path: uriJoin(dir, "no-parent", "x.txt"), dataBase64: b64("x") }, -32004, "fs/writeFile under a missing directory", { upstream: NOT_FOUND });
        await peer.fails("fs/writeFile", { path: dir, dataBase64: b64("x") }, -32603, "fs/writeFile onto a directory", { upstream: "Is a directory (os error 21)" });
      },
    },
    {
      id: "fs/follow-symlinks",
      title: "read and write follow symlinks by default; followSymlinks false refuses a final symlink (-32603) and writes nothing",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        await symlinkFixture(ctx, peer, dir);
        const link = uriJoin(dir, "link");
        await expectText(peer, link, "0123456789", "fs/readFile through a symlink");
        await peer.fails("fs/readFile", { path: link, followSymlinks: false }, -32603, "fs/readFile of a symlink with followSymlinks false", { upstream: "Symbolic link loop (os error 40)" });
        await peer.fails("fs/writeFile", { path: link, dataBase64: b64("nope"), followSymlinks: false }, -32603, "fs/writeFile of a symlink with followSymlinks false", {
          upstream: "Symbolic link loop (os error 40)",
        });
        await expectText(peer, uriJoin(dir, "ten.txt"), "0123456789", "after the refused write");
        await peer.call("fs/writeFile", { path: link, dataBase64: b64("through") });
        await expectText(peer, uriJoin(dir, "ten.txt"), "through", "fs/writeFile through a symlink");
        const plain = await peer.call("fs/readFile", { path: uriJoin(dir, "ten.txt"), followSymlinks: false });
        expect(plain["dataBase64"] === b64("through"), `fs/readFile of a regular file with followSymlinks false answered ${show(plain)}`);
      },
    },
    {
      id: "fs/metadata",
      title: "fs/getMetadata: size, isSymlink from lstat while following the link, directories, fifos; followSymlinks false on a link → -32600; missing → -32004",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        await symlinkFixture(ctx, peer, dir);
        const flags = (meta: Record<string, unknown>) => show([meta["isFile"], meta["isDirectory"], meta["isSymlink"]]);
        const file = await peer.call("fs/getMetadata", { path: uriJoin(dir, "ten.txt") });
        expect(flags(file) === show([true, false, false]) && file["size"] === 10, `metadata of a 10-byte file: ${show(file)}`);
        const link = await peer.call("fs/getMetadata", { path: uriJoin(dir, "link") });
        expect(flags(link) === show([true, false, true]) && link["size"] === 10, `metadata of a link to a 10-byte file: ${show(link)} (expected isFile, isSymlink, size 10)`);
        const dirlink = await peer.call("fs/getMetadata", { path: uriJoin(dir, "dirlink") });
        expect(flags(dirlink) === show([false, true, true]), `metadata of a link to a directory: ${show(dirlink)}`);
        const sub = await peer.call("fs/getMetadata", { path: uriJoin(dir, "sub") });
        expect(flags(sub) === show([false, true, false]), `metadata of a directory: ${show(sub)}`);
        const fifo = await peer.call("fs/getMetadata", { path: uriJoin(dir, "fifo") });
        expect(flags(fifo) === show([false, false, false]), `metadata of a fifo: ${show(fifo)}`);
        const noFollow = await peer.call("fs/getMetadata", { path: uriJoin(dir, "ten.txt"), followSymlinks: false });
        expect(flags(noFollow) === show([true, false, false]), `metadata of a file with followSymlinks false: ${show(noFollow)}`);
        await peer.fails("fs/getMetadata", { path: uriJoin(dir, "link"), followSymlinks: false }, -32600, "fs/getMetadata of a link with followSymlinks false", {
          upstream: "path contains a symbolic link",
        });
        await peer.fails("fs/getMetadata", { path: uriJoin(dir, "missing") }, -32004, "fs/getMetadata of a missing path", { upstream: NOT_FOUND });
        await peer.fails("fs/getMetadata", { path: uriJoin(dir, "dangling") }, -32004, "fs/getMetadata of a dangling link", { upstream: NOT_FOUND });
      },
    },
    {
      id: "fs/create-directory",
      title: "fs/createDirectory: recursive by default; recursive false with a missing parent → -32004, on an existing dir → -32603; on a file → -32603",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        const deep = uriJoin(dir, "x", "y", "z");
        const made = await peer.call("fs/createDirectory", { path: deep });
        expect(Object.keys(made).length === 0, `fs/createDirectory answered ${show(made)}, expected {}`);
        const meta = await peer.call("fs/getMetadata", { path: deep });
        expect(meta["isDirectory"] === true, `the created directory's metadata: ${show(meta)}`);
        await peer.fails("fs/createDirectory", { path: uriJoin(dir, "q", "r"), recursive: false }, -32004, "non-recursive fs/createDirectory under a missing parent", { upstream: NOT_FOUND });
        await peer.fails("fs/createDirectory", { path: uriJoin(dir, "x"), recursive: false }, -32603, "non-recursive fs/createDirectory of an existing directory", { upstream: "File exists (os error 17)" });
        await peer.call("fs/createDirectory", { path: uriJoin(dir, "x"), recursive: true }, { what: "recursive fs/createDirectory of an existing directory" });
        await writeText(peer, uriJoin(dir, "file.txt"), "x");
        await peer.fails("fs/createDirectory", { path: uriJoin(dir, "file.txt") }, -32603, "fs/createDirectory onto an existing file", { upstream: "File exists (os error 17)" });
      },
    },
    {
      id: "fs/read-directory",
      title: "fs/readDirectory lists {fileName, isDirectory, isFile} following links, omits dangling links; a file → -32603; missing → -32004",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        await symlinkFixture(ctx, peer, dir);
        const listing = await peer.call("fs/readDirectory", { path: dir });
        const entries = (listing["entries"] as Array<{ fileName: string; isDirectory: boolean; isFile: boolean }>).map((e) => `${e.fileName}:${e.isDirectory ? "d" : ""}${e.isFile ? "f" : ""}`).sort();
        const expected = ["dirlink:d", "fifo:", "link:f", "sub:d", "ten.txt:f"];
        expect(show(entries) === show(expected), `fs/readDirectory listed ${show(entries)}, expected ${show(expected)} (name:d for directories, :f for files)`);
        await peer.fails("fs/readDirectory", { path: uriJoin(dir, "ten.txt") }, -32603, "fs/readDirectory of a file", { upstream: "Not a directory (os error 20)" });
        await peer.fails("fs/readDirectory", { path: uriJoin(dir, "missing") }, -32004, "fs/readDirectory of a missing path", { upstream: NOT_FOUND });
      },
    },
    {
      id: "fs/canonicalize",
      title: "fs/canonicalize resolves links and dot segments to a canonical file: URI; missing → -32004",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        await symlinkFixture(ctx, peer, dir);
        const link = await peer.call("fs/canonicalize", { path: uriJoin(dir, "link") });
        expect(link["path"] === uriJoin(dir, "ten.txt"), `fs/canonicalize of link answered ${show(link)}, expected ${uriJoin(dir, "ten.txt")}`);
        const deep = await peer.call("fs/canonicalize", { path: `${dir}/dirlink/deep/../deep` });
        expect(deep["path"] === uriJoin(dir, "sub", "deep"), `fs/canonicalize of dirlink/deep/../deep answered ${show(deep)}, expected ${uriJoin(dir, "sub", "deep")}`);
        await peer.fails("fs/canonicalize", { path: uriJoin(dir, "missing") }, -32004, "fs/canonicalize of a missing path", { upstream: NOT_FOUND });
      },
    },
    {
      id: "fs/remove",
      title: "fs/remove: recursive and forced by default; non-recursive on a non-empty dir → -32603; force false on missing → -32004; a dir link removes the link only",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        await symlinkFixture(ctx, peer, dir);
        await writeText(peer, uriJoin(dir, "sub", "deep", "leaf.txt"), "leaf");
        await peer.fails("fs/remove", { path: uriJoin(dir, "sub"), recursive: false }, -32603, "non-recursive fs/remove of a non-empty directory", { upstream: "Directory not empty (os error 39)" });
        await peer.fails("fs/remove", { path: uriJoin(dir, "sub"), followSymlinks: false }, -32603, "recursive fs/remove with followSymlinks false", { upstream: "recursive no-follow removal is unsupported" });
        await peer.call("fs/remove", { path: uriJoin(dir, "dirlink") }, { what: "fs/remove of a directory symlink" });
        await expectMissing(peer, uriJoin(dir, "dirlink"), "fs/remove of a directory symlink");
        await expectText(peer, uriJoin(dir, "sub", "deep", "leaf.txt"), "leaf", "the link's target after removing the link");
        await peer.call("fs/remove", { path: uriJoin(dir, "sub") }, { what: "fs/remove of a non-empty directory (recursive by default)" });
        await expectMissing(peer, uriJoin(dir, "sub"), "fs/remove with default recursive");
        const missing = await peer.call("fs/remove", { path: uriJoin(dir, "missing") }, { what: "fs/remove of a missing path (force by default)" });
        expect(Object.keys(missing).length === 0, `fs/remove of a missing path answered ${show(missing)}, expected {}`);
        await peer.fails("fs/remove", { path: uriJoin(dir, "missing"), force: false }, -32004, "fs/remove of a missing path with force false", { upstream: NOT_FOUND });
      },
    },
    {
      id: "fs/copy",
      title: "fs/copy: files and (recursive) trees; a dir without recursive → -32600; into itself → -32600; missing source → -32004; recursive omitted → -32602",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        await peer.call("fs/createDirectory", { path: uriJoin(dir, "tree", "a") });
        await writeText(peer, uriJoin(dir, "tree", "a", "one.txt"), "one");
        await writeText(peer, uriJoin(dir, "file.txt"), "content");
        await peer.call("fs/copy", { sourcePath: uriJoin(dir, "file.txt"), destinationPath: uriJoin(dir, "copy.txt"), recursive: false });
        await expectText(peer, uriJoin(dir, "copy.txt"), "content", "fs/copy of a file");
        const tree = uriJoin(dir, "tree");
        await peer.fails("fs/copy", { sourcePath: tree, destinationPath: uriJoin(dir, "tree2"), recursive: false }, -32600, "fs/copy of a directory without recursive", {
          upstream: "fs/copy requires recursive: true when sourcePath is a directory",
        });
        await peer.fails("fs/copy", { sourcePath: tree, destinationPath: uriJoin(dir, "tree", "a", "inside"), recursive: true }, -32600, "fs/copy of a directory into itself", {
          upstream: "fs/copy cannot copy a directory to itself or one of its descendants",
        });
        await peer.fails("fs/copy", { sourcePath: uriJoin(dir, "missing"), destinationPath: uriJoin(dir, "x"), recursive: true }, -32004, "fs/copy of a missing source", { upstream: NOT_FOUND });
        await peer.fails("fs/copy", { sourcePath: tree, destinationPath: uriJoin(dir, "tree3") }, -32602, "fs/copy without recursive", { upstream: "missing field `recursive`", mention: "recursive" });
        await peer.call("fs/copy", { sourcePath: tree, destinationPath: uriJoin(dir, "tree4"), recursive: true });
        await expectText(peer, uriJoin(dir, "tree4", "a", "one.txt"), "one", "recursive fs/copy");
      },
    },
    {
      id: "fs/sandbox-context",
      title: "fs sandbox param: null and {permissions: disabled, windowsSandboxLevel} work; windowsSandboxLevel missing or an unknown permissions type → -32602",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        const file = uriJoin(dir, "f.txt");
        await writeText(peer, file, "sandboxed");
        await peer.call("fs/readFile", { path: file, sandbox: null }, { what: "fs/readFile with sandbox null" });
        const disabled = await peer.call("fs/readFile", { path: file, sandbox: { permissions: { type: "disabled" }, windowsSandboxLevel: "disabled" } }, { what: "fs/readFile with a disabled sandbox" });
        expect(disabled["dataBase64"] === b64("sandboxed"), `fs/readFile with a disabled sandbox answered ${show(disabled)}`);
        await peer.fails("fs/readFile", { path: file, sandbox: { permissions: { type: "disabled" } } }, -32602, "a sandbox without windowsSandboxLevel", {
          upstream: "missing field `windowsSandboxLevel`",
          mention: "windowsSandboxLevel",
        });
        await peer.fails("fs/readFile", { path: file, sandbox: { permissions: { type: "zzz" }, windowsSandboxLevel: "disabled" } }, -32602, "a sandbox with permissions type zzz", {
          upstream: "unknown variant `zzz`, expected one of `managed`, `disabled`, `external`",
        });
      },
    },
    {
      id: "fs/sandbox-read-only",
      title: "a managed sandbox granting only read access refuses fs/writeFile (-32603) and leaves the file unchanged; reads still work",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        const file = uriJoin(dir, "kept.txt");
        await writeText(peer, file, "original");
        const sandbox = {
          permissions: { type: "managed", file_system: { type: "restricted", entries: [{ path: { type: "path", path: dir }, access: "read" }] }, network: "restricted" },
          windowsSandboxLevel: "disabled",
        };
        await peer.fails("fs/writeFile", { path: file, dataBase64: b64("changed"), sandbox }, -32603, "fs/writeFile in a read-only sandbox", { upstream: "Read-only file system (os error 30)" });
        const read = await peer.call("fs/readFile", { path: file, sandbox }, { what: "fs/readFile in a read-only sandbox" });
        expect(read["dataBase64"] === b64("original"), `fs/readFile in a read-only sandbox answered ${show(read)}`);
        expect((await readText(peer, file)) === "original", "the read-only sandbox let the write through");
      },
    },
  ];
}
