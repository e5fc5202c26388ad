/**
 * The PathUri codec judged by the real codex 0.169 exec-server: the same URIs are sent to both
 * servers, which must agree on every decode error (code and message) and on which file a URI names;
 * canonical URIs of odd file names must be identical. Skips without the binary (fails under CI).
 */
import assert from "node:assert/strict";
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { encodePathUri } from "../../src/rpc/path-uri.js";
import { startExecServer, type RunningExecServer } from "../../src/server/start-exec-server.js";
import { codexSkip, startCodexExecServer, type RunningCodexExecServer } from "../helpers/codex-binary.js";
import { JsonWsClient, type Message } from "../helpers/json-ws-client.js";

const skip = codexSkip();

/** Names whose canonical URI both servers must spell identically. */
const NAMES = ["sp ace", "pct%", "a%2Fb", "%41", "hash#", "q?", "ü ni#?", "中文", "😀", "bs\\x", 'quo"te', "lt<gt>", "br{ace}", "back`tick", "car^et", "pipe|", "sq[br]", "semi;eq=amp&plus+", "apos'at@col:on", "tilde~excl!dol$star*paren(),", "del\u007fx"];

/** URIs (with `D` = the fixture directory) where this codec deliberately differs; see test/rpc/path-uri.test.ts. */
const KNOWN_DIFFERENCES = new Set(["file:///C|/x", "file:///C%3A/x", "file:///tmp/%FF"]);

function inputs(D: string): string[] {
  return [
    `file://${D}/ten.txt`, `FILE://${D}/ten.txt`, `file:${D}/ten.txt`, `file://localhost${D}/ten.txt`, `file://${D}/ten.txt/`,
    `file://${D}//sub/./deep/../deep`, `file://${D}/sp ace`, `file://${D}/sp%20ace`, `file://${D}/pct%`, `file://${D}/pct%25`,
    `file://${D}/a%252Fb`, `file://${D}/a%2Fb`, `file://${D}/sub%2Fdeep`, `file://${D}/%2541`, `file://${D}/%41`, `file://${D}/bs%5Cx`, `file://${D}/bs\\x`,
    `file://${D}/link`, `file://${D}/nope`, `file://${D}/ten.txt?`, `file://${D}/ten.txt#`,
    "file:///tmp?a=1", "file:///tmp#frag", "file:///tmp?a#b", "http://x/tmp", "https:///tmp", "urn:x", "mailto:", "C:/x", "c:\\x", "a+b.c-d:x",
    "file:x", "file:", "file://", "file:///", "file://localhost", " file:///tmp", "file:///tmp ", "file:\\\\\\tmp", "file:/\\tmp",
    "file://user@host/x", "file://host:99/x", "file://:99/x", "file://ho st/x", "file://h%00/x", "file://a<b/x", "file://[::1/x", "file://[::1]:9/",
    "file://1.2.3.256/x", "file://0x100000000/x", "file://999999999999/x", "http://", "http://[::1/x", "http://h:99999/", "http://h:x/", "ws://a b/", "foo://a b/",
    "file:///tmp/a%00b", "file://host/a%00b", "file://server/share/x.txt", "file://SERVER/x", "file://☃/x", "file://%41/x", "file://127.1/x", "file://[::1]/x",
    "file:///C:/Windows/x.txt", "file:///c:/x", "file:///C:", "file://localhost/C:/x", "file:///%00/bad/path/L3RtcA",
    "file:///tmp/%2e%2e/etc", "file:///tmp/a%2F..%2F..%2Fetc", "file:///tmp/.%2e/", "file:///..",
    ...KNOWN_DIFFERENCES,
  ];
}

/** What a getMetadata answer says, comparably: the error (message only for decode errors), or the entry's kind and size. */
function summary(message: Message): unknown {
  if (message.error !== undefined) {
    const decodeError = message.error.code === -32602 || message.error.code === -32600;
    return decodeError ? message.error : { code: message.error.code };
  }
  const r = message.result ?? {};
  return { isDirectory: r["isDirectory"], isFile: r["isFile"], size: r["isFile"] === true ? r["size"] : undefined };
}

describe("the PathUri codec against the real codex 0.169 exec-server", { skip }, () => {
  let codex: RunningCodexExecServer;
  let ours: RunningExecServer;
  let upstream: JsonWsClient;
  let local: JsonWsClient;
  let D = "";

  before(async () => {
    D = await realpath(await mkdtemp(join(tmpdir(), "codex-path-uri-")));
    await writeFile(join(D, "ten.txt"), "0123456789");
    await mkdir(join(D, "sub", "deep"), { recursive: true });
    await mkdir(join(D, "a"), { recursive: true });
    await writeFile(join(D, "a", "b"), "a/b");
    for (const name of NAMES) await writeFile(join(D, name), name);
    await symlink("ten.txt", join(D, "link"));
    codex = await startCodexExecServer();
    ours = await startExecServer();
    upstream = await JsonWsClient.connect(codex.url);
    local = await JsonWsClient.connect(ours.url);
    await upstream.handshake({ clientName: "path-uri" });
    await local.handshake({ clientName: "path-uri" });
  });

  after(async () => {
    await upstream?.close();
    await local?.close();
    await codex?.stop();
    await ours?.close();
    if (D !== "") await rm(D, { recursive: true, force: true });
  });

  it("agrees with codex on every decode error and on the file each URI names", async () => {
    const disagreements: string[] = [];
    for (const uri of inputs(D)) {
      const [theirs, mine] = await Promise.all([upstream.request("fs/getMetadata", { path: uri }), local.request("fs/getMetadata", { path: uri })]);
      const same = JSON.stringify(summary(theirs)) === JSON.stringify(summary(mine));
      if (KNOWN_DIFFERENCES.has(uri)) {
        assert.ok(!same, `${uri} is listed as a known difference but both servers agree now: drop it from the list`);
        continue;
      }
      if (!same) disagreements.push(`${JSON.stringify(uri)}: codex ${JSON.stringify(summary(theirs))}, ours ${JSON.stringify(summary(mine))}`);
    }
    assert.deepEqual(disagreements, []);
  });

  it("spells the canonical URI of odd file names exactly as codex does (fs/canonicalize)", async () => {
    for (const name of NAMES) {
      const uri = encodePathUri(join(D, name));
      const [theirs, mine] = await Promise.all([upstream.call("fs/canonicalize", { path: uri }), local.call("fs/canonicalize", { path: uri })]);
      assert.equal(mine["path"], theirs["path"], name);
      assert.equal(mine["path"], uri, name);
    }
  });

  it("produces the URIs codex's fs/walk emits for the same names", async () => {
    const walked = await upstream.call("fs/walk", {
      path: encodePathUri(D),
      options: { maxDepth: 1, maxDirectories: 100, maxEntries: 1000, followDirectorySymlinks: false },
    });
    const paths = new Set((walked["entries"] as Array<{ path: string }>).map((entry) => entry.path));
    for (const name of NAMES) assert.ok(paths.has(encodePathUri(join(D, name))), `${name}: ${encodePathUri(join(D, name))} not in ${[...paths].join(" ")}`);
  });
});
