import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import {
  decodeParsedPathUri,
  decodePathOrUri,
  decodePathUri,
  describeUrlParseFailure,
  encodePathUri,
  hostOsName,
  PathUriError,
} from "../../src/rpc/path-uri.js";

type Expected = string | { code: number; message: string };

/**
 * Inputs and what the codex 0.169 binary answered for them (fs/getMetadata probes on Linux, recorded
 * in UPSTREAM-0.169.md §3 and re-probed for this table): a native path where it resolved the URI,
 * else its error. `D` is an arbitrary directory.
 */
const D = "/srv/probe/fsd";
const PROBED: ReadonlyArray<[string, Expected]> = [
  // Accepted spellings.
  [`file://${D}/ten.txt`, `${D}/ten.txt`],
  [`FILE://${D}/ten.txt`, `${D}/ten.txt`],
  [`file:${D}/ten.txt`, `${D}/ten.txt`],
  [`file://localhost${D}/ten.txt`, `${D}/ten.txt`],
  [`file://LOCALHOST${D}/ten.txt`, `${D}/ten.txt`],
  [`file://${D}/ten.txt/`, `${D}/ten.txt`],
  [`file://${D}//sub/./deep/../deep`, `${D}/sub/deep`],
  [`file://${D}/sp ace`, `${D}/sp ace`],
  [`file://${D}/sp%20ace%25.txt`, `${D}/sp ace%.txt`],
  [`file://${D}/sp ace%.txt`, `${D}/sp ace%.txt`],
  [`file://${D}/%C3%BC%20ni%23%3F`, `${D}/ü ni#?`],
  [`file://${D}/a2%2Fb`, `${D}/a2/b`],
  [`file://${D}/a%252Fb`, `${D}/a%2Fb`],
  [`file://${D}/bs%5Cx`, `${D}/bs\\x`],
  [`file://${D}/bs\\x`, `${D}/bs/x`],
  ["file:///tmp/%2e%2e/etc", "/etc"],
  ["file:///tmp/a%2F..%2F..%2Fetc", "/etc"],
  ["file:///tmp/.%2e/", "/"],
  ["file:///tmp/x\\..\\..", "/"],
  ["file:///..", "/"],
  ["file:///tmp/%zz", "/tmp/%zz"],
  ["file:///tmp/%", "/tmp/%"],
  ["file:///tmp/%%41", "/tmp/%A"],
  ["file:///C:foo/x", "/C:foo/x"],
  ["file:///CC:/x", "/CC:/x"],
  ["file:///c%7C/x", "/c|/x"],
  [" file:///tmp", "/tmp"],
  ["file:///tmp ", "/tmp"],
  ["file:\\\\\\tmp", "/tmp"],
  ["file:x", "/x"],
  ["file:", "/"],
  ["file://", "/"],
  ["file:///", "/"],
  ["file://localhost", "/"],
  // Refused while decoding params (-32602).
  ["", { code: -32602, message: "invalid URI: relative URL without a base" }],
  ["relative/a.txt", { code: -32602, message: "invalid URI: relative URL without a base" }],
  ["file:///tmp?", { code: -32602, message: "query parameters are not allowed in path URIs" }],
  ["file:///tmp?a=1", { code: -32602, message: "query parameters are not allowed in path URIs" }],
  ["file:///tmp?a#b", { code: -32602, message: "query parameters are not allowed in path URIs" }],
  ["file:///tmp#", { code: -32602, message: "fragments are not allowed in path URIs" }],
  ["file:///tmp#frag", { code: -32602, message: "fragments are not allowed in path URIs" }],
  ["http://x/tmp", { code: -32602, message: "unsupported path URI scheme `http`" }],
  ["HTTP://x", { code: -32602, message: "unsupported path URI scheme `http`" }],
  ["https:///tmp", { code: -32602, message: "unsupported path URI scheme `https`" }],
  ["data:text/plain,x", { code: -32602, message: "unsupported path URI scheme `data`" }],
  ["urn:x", { code: -32602, message: "unsupported path URI scheme `urn`" }],
  ["mailto:", { code: -32602, message: "unsupported path URI scheme `mailto`" }],
  ["a+b.c-d:x", { code: -32602, message: "unsupported path URI scheme `a+b.c-d`" }],
  ["C:/x", { code: -32602, message: "unsupported path URI scheme `c`" }],
  ["c:\\x", { code: -32602, message: "unsupported path URI scheme `c`" }],
  ["file://user@host/x", { code: -32602, message: "invalid URI: invalid international domain name" }],
  ["file://host:99/x", { code: -32602, message: "invalid URI: invalid international domain name" }],
  ["file://:99/x", { code: -32602, message: "invalid URI: invalid international domain name" }],
  ["file://ho st/x", { code: -32602, message: "invalid URI: invalid international domain name" }],
  ["file://h%00/x", { code: -32602, message: "invalid URI: invalid international domain name" }],
  ["file://a<b/x", { code: -32602, message: "invalid URI: invalid international domain name" }],
  ["file://[::1/x", { code: -32602, message: "invalid URI: invalid IPv6 address" }],
  ["file://1.2.3.256/x", { code: -32602, message: "invalid URI: invalid IPv4 address" }],
  ["file://0x100000000/x", { code: -32602, message: "invalid URI: invalid IPv4 address" }],
  ["file://1.2.3.4.5/x", { code: -32602, message: "invalid URI: invalid IPv4 address" }],
  ["file://999999999999/x", { code: -32602, message: "invalid URI: invalid IPv4 address" }],
  ["http://", { code: -32602, message: "invalid URI: empty host" }],
  ["http://[::1/x", { code: -32602, message: "invalid URI: invalid IPv6 address" }],
  ["http://h:99999/", { code: -32602, message: "invalid URI: invalid port number" }],
  ["http://1.2.3.256/", { code: -32602, message: "invalid URI: invalid IPv4 address" }],
  ["ws://a b/", { code: -32602, message: "invalid URI: invalid international domain name" }],
  ["foo://a b/", { code: -32602, message: "invalid URI: invalid domain character" }],
  ["foo://[x/", { code: -32602, message: "invalid URI: invalid IPv6 address" }],
  ["file:///srv/a%00b", { code: -32602, message: "'file:///srv/a%00b' is invalid on 'linux'" }],
  ["file://host/a%00b", { code: -32602, message: "'file://host/a%00b' is invalid on 'linux'" }],
  ["http://h:x/", { code: -32602, message: "invalid URI: invalid port number" }],
  ["https://[::1]x/", { code: -32602, message: "invalid URI: invalid IPv6 address" }],
  ["file://[::1]:9/", { code: -32602, message: "invalid URI: invalid IPv6 address" }],
  // Well-formed but naming no path on this host (-32600, reported at use upstream).
  ["file:///C:/Windows/x.txt", { code: -32600, message: "'file:///C:/Windows/x.txt' is invalid on 'linux'" }],
  ["file:///c:/x", { code: -32600, message: "'file:///C:/x' is invalid on 'linux'" }],
  ["file:///C:", { code: -32600, message: "'file:///C:' is invalid on 'linux'" }],
  ["file:///C:/", { code: -32600, message: "'file:///C:/' is invalid on 'linux'" }],
  ["file://localhost/C:/x", { code: -32600, message: "'file:///C:/x' is invalid on 'linux'" }],
  ["file://server/share/x.txt", { code: -32600, message: "'file://server/share/x.txt' is invalid on 'linux'" }],
  ["file://server/sp ace/ü", { code: -32600, message: "'file://server/sp%20ace/%C3%BC' is invalid on 'linux'" }],
  ["file://SERVER/x", { code: -32600, message: "'file://server/x' is invalid on 'linux'" }],
  ["file://☃/x", { code: -32600, message: "'file://xn--n3h/x' is invalid on 'linux'" }],
  ["file://ü/x", { code: -32600, message: "'file://xn--tda/x' is invalid on 'linux'" }],
  ["file://%41/x", { code: -32600, message: "'file://a/x' is invalid on 'linux'" }],
  ["file://1.2.3.4/x", { code: -32600, message: "'file://1.2.3.4/x' is invalid on 'linux'" }],
  ["file://127.1/x", { code: -32600, message: "'file://127.0.0.1/x' is invalid on 'linux'" }],
  ["file://0x7f.1/x", { code: -32600, message: "'file://127.0.0.1/x' is invalid on 'linux'" }],
  ["file://[::1]/x", { code: -32600, message: "'file://[::1]/x' is invalid on 'linux'" }],
  ["file://[::1]", { code: -32600, message: "'file://[::1]/' is invalid on 'linux'" }],
  ["file://host/", { code: -32600, message: "'file://host/' is invalid on 'linux'" }],
  ["file:/\\tmp", { code: -32600, message: "'file://tmp/' is invalid on 'linux'" }],
  ["file:///%00/bad/path/L3RtcA", { code: -32600, message: "'file:///%00/bad/path/L3RtcA' is invalid on 'linux'" }],
];

/**
 * Where this codec deliberately differs from the binary (docs/openrpc.md lists them): upstream
 * resolves `file:///C|/x` to the POSIX path `/C|/x` (WHATWG turns `C|` into a drive letter, which we
 * refuse), refuses `file:///C%3A/x` (we read the encoded colon as a POSIX name, so `/C:` has a URI),
 * and uses the raw bytes of a non-UTF-8 path (JavaScript paths are strings).
 */
const DIFFERS: ReadonlyArray<[string, Expected, string]> = [
  ["file:///C|/x", { code: -32600, message: "'file:///C:/x' is invalid on 'linux'" }, "upstream: path /C|/x"],
  ["file:///C%3A/x", "/C:/x", "upstream: -32600 'file:///C%3A/x' is invalid on 'linux'"],
  ["file:///tmp/%FF", { code: -32600, message: "'file:///tmp/%FF' is invalid on 'linux': the decoded path is not valid UTF-8" }, "upstream: the byte path"],
];

function decodeOutcome(input: string): Expected {
  try {
    return decodePathUri(input, "linux");
  } catch (error) {
    assert.ok(error instanceof PathUriError, String(error));
    return { code: error.code, message: error.message };
  }
}

describe("decodePathUri", () => {
  for (const [input, expected] of PROBED) {
    it(`answers ${JSON.stringify(input)} as the codex 0.169 binary does`, () => {
      assert.deepEqual(decodeOutcome(input), expected);
    });
  }

  for (const [input, expected, upstream] of DIFFERS) {
    it(`answers ${JSON.stringify(input)} with its documented difference (${upstream})`, () => {
      assert.deepEqual(decodeOutcome(input), expected);
    });
  }

  it("names the host OS in messages", () => {
    assert.throws(() => decodePathUri("file://server/x", "macos"), { message: "'file://server/x' is invalid on 'macos'" });
    assert.equal(hostOsName("darwin"), "macos");
    assert.equal(hostOsName("win32"), "windows");
    assert.equal(hostOsName("linux"), "linux");
  });

  it("marks only URIs naming no path on this host as foreign, with their canonical form", () => {
    const foreign = (input: string) => {
      try {
        decodePathUri(input, "linux");
      } catch (error) {
        return error instanceof PathUriError ? [error.foreign, error.uri] : undefined;
      }
      return undefined;
    };
    assert.deepEqual(foreign("file:///c:/x"), [true, "file:///C:/x"]);
    assert.deepEqual(foreign("file://SERVER/x"), [true, "file://server/x"]);
    assert.deepEqual(foreign("file:///tmp?x"), [false, "file:///tmp?x"]);
    assert.deepEqual(foreign("file:///a%00b"), [false, "file:///a%00b"]);
  });

  it("explains parse failures like the url crate for inputs Node's parser refuses", () => {
    assert.equal(describeUrlParseFailure("no scheme"), "relative URL without a base");
    assert.equal(describeUrlParseFailure("http://h:x/"), "invalid port number");
    assert.equal(describeUrlParseFailure("https://[::1]x/"), "invalid IPv6 address");
    assert.equal(describeUrlParseFailure("https://[::1]:x/"), "invalid port number");
    assert.equal(describeUrlParseFailure("file://[::1]:9/"), "invalid IPv6 address");
  });
});

/** The result of decoding, or the error's code and message. */
function outcome(decode: () => string): Expected {
  try {
    return decode();
  } catch (error) {
    assert.ok(error instanceof PathUriError, String(error));
    return { code: error.code, message: error.message };
  }
}

describe("decodePathUri's shortcut for plain URIs", () => {
  it("answers exactly what the WHATWG decoder answers, for URIs made of path-like and special characters", () => {
    const pieces = ["a", "Z", "0", "-", "_", ".", "..", "~", "!", "$", "&", "'", "(", "*", "+", ",", ";", "=", "@", "/", "//", ":", "|", "%", "%2e", "%2F", "?", "#", "\\", " ", "\t", "é", "C:", "c|"];
    fc.assert(
      fc.property(fc.constantFrom("file:///", "file://", "file:/", "FILE:///", "file://localhost/"), fc.array(fc.constantFrom(...pieces), { maxLength: 12 }), (prefix, parts) => {
        const input = prefix + parts.join("");
        assert.deepEqual(outcome(() => decodePathUri(input)), outcome(() => decodeParsedPathUri(input)), input);
      }),
      { seed: 14, numRuns: 3000 },
    );
  });
});

describe("decodePathOrUri", () => {
  it("keeps a plain absolute path as it is and decodes anything else as a URI", () => {
    assert.equal(decodePathOrUri("/srv//a/../b", "linux"), "/srv//a/../b");
    assert.equal(decodePathOrUri("file:///srv/a%20b", "linux"), "/srv/a b");
    assert.throws(() => decodePathOrUri("relative", "linux"), { message: "invalid URI: relative URL without a base" });
  });
});

describe("encodePathUri", () => {
  it("produces upstream's canonical serialisation (observed on the 0.169 binary)", () => {
    const observed: Array<[string, string]> = [
      ["/srv/probe/fsd/sp ace%.txt", "file:///srv/probe/fsd/sp%20ace%25.txt"],
      ["/srv/probe/fs2/ü ni#?", "file:///srv/probe/fs2/%C3%BC%20ni%23%3F"],
      ["/d/%41", "file:///d/%2541"],
      ["/d/a%2Fb", "file:///d/a%252Fb"],
      ["/d/back`tick", "file:///d/back%60tick"],
      ["/d/br{ace}", "file:///d/br%7Bace%7D"],
      ["/d/bs\\x", "file:///d/bs%5Cx"],
      ["/d/quo\"te", "file:///d/quo%22te"],
      ["/d/lt<gt>", "file:///d/lt%3Cgt%3E"],
      ["/d/del\u007fx", "file:///d/del%7Fx"],
      ["/d/中文", "file:///d/%E4%B8%AD%E6%96%87"],
      ["/d/😀", "file:///d/%F0%9F%98%80"],
      ["/d/amp&apos'at@col:on", "file:///d/amp&apos'at@col:on"],
      ["/d/car^et|pipe[br]semi;eq=plus+tilde~excl!dol$star*paren(),", "file:///d/car^et|pipe[br]semi;eq=plus+tilde~excl!dol$star*paren(),"],
      ["/", "file:///"],
    ];
    for (const [native, uri] of observed) assert.equal(encodePathUri(native), uri, native);
  });

  it("encodes tab, newline and carriage return (upstream emits them raw and loses them)", () => {
    assert.equal(encodePathUri("/d/tab\tx"), "file:///d/tab%09x");
    assert.equal(encodePathUri("/d/nl\nx\r"), "file:///d/nl%0Ax%0D");
  });

  it("encodes a drive-letter-like first segment so the POSIX path survives", () => {
    assert.equal(encodePathUri("/C:/x"), "file:///C%3A/x");
    assert.equal(encodePathUri("/c|"), "file:///c%7C");
    assert.equal(encodePathUri("/x/C:"), "file:///x/C:");
    assert.equal(decodePathUri(encodePathUri("/C:/x"), "linux"), "/C:/x");
    assert.equal(decodePathUri(encodePathUri("/c|"), "linux"), "/c|");
  });

  it("answers a path without a URI form in upstream's unrepresentable form, which decoding refuses", () => {
    const uri = encodePathUri("/a\u0000b");
    assert.equal(uri, `file:///%00/bad/path/${Buffer.from("/a\u0000b").toString("base64url")}`);
    assert.throws(() => decodePathUri(uri, "linux"), { code: -32600 });
    assert.match(encodePathUri("/x\uD800"), /^file:\/\/\/%00\/bad\/path\//);
  });

  it("refuses a relative path (a programming error)", () => {
    assert.throws(() => encodePathUri("tmp/x"), TypeError);
  });
});

/** A path segment: any well-formed Unicode text except `/`, NUL, `.` and `..` (which URIs normalise). */
const segment = fc
  .string({ unit: "grapheme", minLength: 1, maxLength: 12 })
  .map((text) => text.replaceAll("/", "_").replaceAll("\u0000", "_"))
  .filter((text) => text !== "" && text !== "." && text !== "..");
const absolutePath = fc.array(segment, { minLength: 0, maxLength: 6 }).map((segments) => `/${segments.join("/")}`);

/** The lexical normalisation a URI applies (empty and `.` segments dropped, `..` resolved, no trailing `/`). */
function lexicallyNormalised(path: string): string {
  const out: string[] = [];
  for (const part of path.split("/")) {
    if (part === "" || part === ".") continue;
    if (part === "..") out.pop();
    else out.push(part);
  }
  return `/${out.join("/")}`;
}

describe("the PathUri round trip (property)", () => {
  it("native path → URI → native path is the identity for any normalised absolute path", () => {
    fc.assert(
      fc.property(absolutePath, (path) => {
        assert.equal(decodePathUri(encodePathUri(path), "linux"), path);
      }),
      { numRuns: 500 },
    );
  });

  it("any absolute path string comes back lexically normalised", () => {
    const anyAbsolute = fc
      .string({ unit: "grapheme", maxLength: 40 })
      .map((text) => `/${text.replaceAll("\u0000", "_")}`);
    fc.assert(
      fc.property(anyAbsolute, (path) => {
        assert.equal(decodePathUri(encodePathUri(path), "linux"), lexicallyNormalised(path));
      }),
      { numRuns: 500 },
    );
  });

  it("produced URIs are already canonical: a WHATWG parser re-serialises them unchanged, with no query or fragment", () => {
    fc.assert(
      fc.property(absolutePath, (path) => {
        const uri = encodePathUri(path);
        const url = new URL(uri);
        assert.equal(url.href, uri);
        assert.equal(url.search, "");
        assert.equal(url.hash, "");
        assert.equal(url.host, "");
      }),
      { numRuns: 500 },
    );
  });
});
