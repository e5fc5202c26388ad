import type { Check } from "../check.js";
import { expect } from "../check.js";
import { expectOk, expectRpcError, show } from "../expectations.js";

/** CONTRACT §4: filesystem round trip and every error code. Fixtures live under the check's directory. */
export function fsChecks(): Check[] {
  return [
    {
      id: "fs/round-trip",
      title: "writeFile/readFile preserve every byte; getMetadata, readDirectory and remove agree",
      async run(ctx) {
        const conn = await ctx.openClient();
        const fs = conn.client.fs;
        const dir = ctx.checkDir;
        const file = `${dir}/bytes.bin`;
        const bytes = Buffer.from(Array.from({ length: 256 }, (_, i) => i));
        await expectOk(fs.createDirectory({ path: dir, recursive: true }), "fs/createDirectory");
        await expectOk(fs.writeFile({ path: file, dataBase64: bytes.toString("base64") }), "fs/writeFile");
        const read = await expectOk(fs.readFile({ path: file }), "fs/readFile");
        expect(Buffer.from(read.dataBase64, "base64").equals(bytes), `fs/readFile returned ${show(read.dataBase64)}, not the 256 bytes written`);
        const meta = await expectOk(fs.getMetadata({ path: file }), "fs/getMetadata");
        expect(meta.isFile && !meta.isDirectory && !meta.isSymlink, `fs/getMetadata of a file: ${show(meta)}`);
        expect(meta.size === 256, `fs/getMetadata size ${show(meta.size)}, expected 256`);
        const listing = await expectOk(fs.readDirectory({ path: dir }), "fs/readDirectory");
        expect(show(listing.entries) === show([{ fileName: "bytes.bin", isDirectory: false, isFile: true }]), `fs/readDirectory entries ${show(listing.entries)}`);
        await expectOk(fs.remove({ path: file }), "fs/remove");
        await expectRpcError(fs.getMetadata({ path: file }), -32004, "fs/getMetadata after fs/remove");
      },
    },
    {
      id: "fs/not-found",
      title: "readFile, getMetadata, readDirectory and remove(force:false) of a missing path fail -32004",
      async run(ctx) {
        const conn = await ctx.openClient();
        const fs = conn.client.fs;
        const missing = `${ctx.checkDir}/missing`;
        await expectRpcError(fs.readFile({ path: missing }), -32004, "fs/readFile of a missing file");
        await expectRpcError(fs.getMetadata({ path: missing }), -32004, "fs/getMetadata of a missing path");
        await expectRpcError(fs.readDirectory({ path: missing }), -32004, "fs/readDirectory of a missing directory");
        await expectRpcError(fs.remove({ path: missing, force: false }), -32004, "fs/remove force:false of a missing path");
        const forced = await expectOk(fs.remove({ path: missing }), "fs/remove (force defaults to true) of a missing path");
        expect(show(forced) === "{}", `fs/remove of a missing path with force answered ${show(forced)}, expected {}`);
      },
    },
    {
      id: "fs/copy-errors",
      title: "copying a directory without recursive, or into itself, fails -32600; recursive copy works",
      async run(ctx) {
        const conn = await ctx.openClient();
        const fs = conn.client.fs;
        const src = `${ctx.checkDir}/src`;
        await expectOk(fs.createDirectory({ path: `${src}/sub`, recursive: true }), "fs/createDirectory");
        await expectOk(fs.writeFile({ path: `${src}/sub/f.txt`, dataBase64: "aGkK" }), "fs/writeFile");
        await expectRpcError(fs.copy({ sourcePath: src, destinationPath: `${ctx.checkDir}/dst`, recursive: false }), -32600, "fs/copy of a directory with recursive:false");
        await expectRpcError(fs.copy({ sourcePath: src, destinationPath: `${src}/sub/inner`, recursive: true }), -32600, "fs/copy of a directory into itself");
        await expectOk(fs.copy({ sourcePath: src, destinationPath: `${ctx.checkDir}/dst`, recursive: true }), "recursive fs/copy");
        const copied = await expectOk(fs.readFile({ path: `${ctx.checkDir}/dst/sub/f.txt` }), "fs/readFile of the copy");
        expect(copied.dataBase64 === "aGkK", `the copied file holds ${show(copied.dataBase64)}, expected "aGkK"`);
      },
    },
    {
      id: "fs/bad-base64",
      title: "writeFile with invalid base64 fails -32600 mentioning base64 and writes nothing",
      async run(ctx) {
        const conn = await ctx.openClient();
        const fs = conn.client.fs;
        const file = `${ctx.checkDir}/bad.bin`;
        await expectOk(fs.createDirectory({ path: ctx.checkDir, recursive: true }), "fs/createDirectory");
        await expectRpcError(fs.writeFile({ path: file, dataBase64: "not base64!" }), -32600, "fs/writeFile with dataBase64 \"not base64!\"", "base64");
        await expectRpcError(fs.writeFile({ path: file, dataBase64: "aGk" }), -32600, "fs/writeFile with unpadded dataBase64 \"aGk\"", "base64");
        await expectRpcError(fs.getMetadata({ path: file }), -32004, "fs/getMetadata after refused writes");
      },
    },
    {
      id: "fs/relative-path",
      title: "relative paths fail -32602 (readFile, writeFile, copy)",
      async run(ctx) {
        const conn = await ctx.openClient();
        const fs = conn.client.fs;
        await expectRpcError(fs.readFile({ path: "relative/file.txt" }), -32602, "fs/readFile of a relative path", "path");
        await expectRpcError(fs.writeFile({ path: "relative/file.txt", dataBase64: "aGkK" }), -32602, "fs/writeFile of a relative path", "path");
        await expectRpcError(fs.copy({ sourcePath: "relative", destinationPath: `${ctx.checkDir}/x`, recursive: true }), -32602, "fs/copy from a relative path", "sourcePath");
      },
    },
    {
      id: "fs/sandbox-read-only",
      title: "a read-only sandbox refuses writeFile (any error) and nothing is written",
      async run(ctx) {
        const conn = await ctx.openClient();
        const fs = conn.client.fs;
        const file = `${ctx.checkDir}/forbidden.txt`;
        await expectOk(fs.createDirectory({ path: ctx.checkDir, recursive: true }), "fs/createDirectory");
        let refused = false;
        try {
          await fs.writeFile({ path: file, dataBase64: "aGkK", sandbox: { type: "read-only" } });
        } catch {
          // The contract allows any clear error here; only its presence matters.
          refused = true;
        }
        expect(refused, "fs/writeFile under a read-only sandbox succeeded");
        await expectRpcError(fs.getMetadata({ path: file }), -32004, "fs/getMetadata of the refused file");
      },
    },
  ];
}
