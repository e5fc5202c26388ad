import type { Check, CheckContext } from "../../check.js";
import { expect } from "../../check.js";
import { b64, show } from "../../expectations.js";
import { CodexPeer } from "../codex-peer.js";
import { checkDir, expectText, uriJoin, walkOptions, writeText } from "../fs-steps.js";

async function prepared(ctx: CheckContext): Promise<{ peer: CodexPeer; dir: string }> {
  const peer = await CodexPeer.open(ctx);
  return { peer, dir: await checkDir(peer, ctx) };
}

/** Host OS as the server announced it (messages name it). */
function osOf(ctx: CheckContext): string {
  return String(ctx.environmentInfo?.["platformOs"] ?? "linux");
}

/** UPSTREAM-0.169 §3: the `PathUri` wire format. */
export function pathUriChecks(): Check[] {
  return [
    {
      id: "path-uri/percent-encoding",
      title: "percent-escapes are decoded (sp%20ace%25.txt is \"sp ace%.txt\"), raw spaces and % tolerated, and results re-encode them",
      async run(ctx) {
        const { peer, dir } = await prepared(ctx);
        const encoded = `${dir}/sp%20ace%25.txt`;
        await peer.call("fs/writeFile", { path: encoded, dataBase64: b64("spaced") });
        await expectText(peer, `${dir}/sp ace%.txt`, "spaced", "the raw spelling of an encoded name");
        const listing = await peer.call("fs/readDirectory", { path: dir });
        expect(show(listing["entries"]) === show([{ fileName: "sp ace%.txt", isDirectory: false, isFile: true }]), `fs/readDirectory listed ${show(listing["entries"])}, expected the decoded name "sp ace%.txt"`);
        const canonical = await peer.call("fs/canonicalize", { path: `${dir}/sp ace%.txt` });
        expect(canonical["path"] === encoded, `fs/canonicalize of the raw spelling answered ${show(canonical["path"])}, expected ${encoded}`);
        const walked = await peer.call("fs/walk", { path: dir, options: walkOptions() });
        expect(show(walked["entries"]) === show([{ path: encoded, kind: "file" }]), `fs/walk listed ${show(walked["entries"])}, expected ${encoded}`);
      },
    },
    {
      id: "path-uri/reserved-and-unicode",
      title: "a name with non-ASCII, #, ? and space round-trips as %C3%BC%20ni%23%3F",
      async run(ctx) {
        const { peer, dir } = await prepared(ctx);
        const uri = `${dir}/%C3%BC%20ni%23%3F`;
        await peer.call("fs/writeFile", { path: uri, dataBase64: b64("u") });
        const listing = await peer.call("fs/readDirectory", { path: dir });
        expect(show((listing["entries"] as Array<{ fileName: string }>).map((e) => e.fileName)) === show(["ü ni#?"]), `fs/readDirectory listed ${show(listing["entries"])}, expected "ü ni#?"`);
        const canonical = await peer.call("fs/canonicalize", { path: uri });
        expect(canonical["path"] === uri, `fs/canonicalize answered ${show(canonical["path"])}, expected ${uri}`);
      },
    },
    {
      id: "path-uri/encoded-slash",
      title: "%2F decodes to a separator: a2%2Fb names a2/b",
      async run(ctx) {
        const { peer, dir } = await prepared(ctx);
        await peer.call("fs/createDirectory", { path: uriJoin(dir, "a2") });
        await peer.call("fs/writeFile", { path: `${dir}/a2%2Fb`, dataBase64: b64("slash") });
        await expectText(peer, uriJoin(dir, "a2", "b"), "slash", "a file written as a2%2Fb");
      },
    },
    {
      id: "path-uri/equivalent-spellings",
      title: "file://localhost/…, FILE:///…, file:/… (one slash), dot segments and doubled slashes name the same file",
      async run(ctx) {
        const { peer, dir } = await prepared(ctx);
        const file = uriJoin(dir, "same.txt");
        await writeText(peer, file, "same");
        const rest = file.slice("file://".length);
        for (const spelling of [`file://localhost${rest}`, `file://LOCALHOST${rest}`, `FILE://${rest}`, `file:${rest}`, `${dir}/./x/../same.txt`, `${dir}//same.txt`]) {
          await expectText(peer, spelling, "same", `the spelling ${spelling}`);
        }
      },
    },
    {
      id: "path-uri/syntax-refused",
      title: "a relative or empty path, another scheme, a query, a fragment, userinfo or a port, and %00 → -32602",
      async run(ctx) {
        const { peer, dir } = await prepared(ctx);
        const file = uriJoin(dir, "x.txt");
        const rest = file.slice("file://".length);
        const cases: Array<[string, string, string | RegExp]> = [
          ["a relative path", "relative/a.txt", "invalid URI: relative URL without a base"],
          ["an empty path", "", "invalid URI: relative URL without a base"],
          ["an http URI", `http://localhost${rest}`, "unsupported path URI scheme `http`"],
          ["a query", `${file}?x=1`, "query parameters are not allowed in path URIs"],
          ["a fragment", `${file}#frag`, "fragments are not allowed in path URIs"],
          ["userinfo", "file://user@host/x", "invalid URI: invalid international domain name"],
          ["a port", "file://host:99/x", "invalid URI: invalid international domain name"],
          ["%00", `${dir}/a%00b`, `'${dir}/a%00b' is invalid on '${osOf(ctx)}'`],
        ];
        for (const [label, path, upstream] of cases) {
          await peer.fails("fs/readFile", { path }, -32602, `fs/readFile of ${label} (${show(path)})`, { upstream });
        }
      },
    },
    {
      id: "path-uri/foreign-refused",
      title: "a drive-letter URI or one with a host is refused at use with -32600 \"'<uri>' is invalid on '<os>'\" (Unix servers)",
      async run(ctx) {
        const { peer } = await prepared(ctx);
        if (osOf(ctx) === "windows") return ctx.variant("foreignPaths", "not-checked-on-windows");
        const cases: Array<[string, string]> = [
          ["file:///C:/Windows/x.txt", "file:///C:/Windows/x.txt"],
          ["file:///c:/x", "file:///C:/x"],
          ["file://server/share/x.txt", "file://server/share/x.txt"],
        ];
        for (const [path, canonical] of cases) {
          for (const method of ["fs/readFile", "fs/getMetadata"]) {
            await peer.fails(method, { path }, -32600, `${method} of ${path}`, { upstream: `'${canonical}' is invalid on '${osOf(ctx)}'` });
          }
        }
      },
    },
    {
      id: "path-uri/plain-absolute-path",
      title: "a plain absolute path: refused -32602 (upstream) or accepted as the same file (seed-compatible servers) — variant plainPaths",
      async run(ctx) {
        const { peer, dir } = await prepared(ctx);
        const file = uriJoin(dir, "plain.txt");
        await writeText(peer, file, "plain");
        const native = decodeURIComponent(new URL(file).pathname);
        const response = await peer.request("fs/readFile", { path: native });
        if (response.error !== undefined) {
          expect(response.error.code === -32602, `a plain absolute path was refused with ${response.error.code}: ${response.error.message}, expected -32602`);
          ctx.variant("plainPaths", "refused");
          return;
        }
        ctx.variant("plainPaths", "accepted");
        expect((response.result as Record<string, unknown>)["dataBase64"] === b64("plain"), `fs/readFile of the plain path ${native} answered ${show(response.result)}`);
      },
    },
  ];
}
