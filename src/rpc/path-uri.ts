/**
 * The `file:` URI form of a path (codex 0.169's `PathUri`, UPSTREAM-0.169.md §3), for POSIX hosts:
 * {@link decodePathUri} turns a URI into a native absolute path with upstream's rules and messages,
 * {@link encodePathUri} produces upstream's canonical serialisation. Pure string functions; the edge
 * codec (`path-codec.ts`) applies them to the path members of params, results and notifications.
 */
import { ErrorCode } from "./rpc-error.js";

/** `std::env::consts::OS` spelling of a Node platform (`linux`, `macos`, `windows`, ...), used in messages. */
export function hostOsName(platform: NodeJS.Platform = process.platform): string {
  if (platform === "darwin") return "macos";
  if (platform === "win32") return "windows";
  return platform;
}

/**
 * A URI that cannot be decoded. `code` is -32602 for errors upstream reports while decoding params
 * (parse errors, other schemes, query, fragment, an encoded NUL) and -32600 for a well-formed URI
 * that names no path on this host (`foreign`: a drive letter, a host, an unrepresentable path);
 * upstream reports those when the path is used.
 */
export class PathUriError extends Error {
  override readonly name = "PathUriError";
  constructor(
    readonly code: number,
    message: string,
    /** True for a well-formed URI naming no path on this host (see the class comment). */
    readonly foreign: boolean,
    /** The URI in canonical form, for messages (`{uri}` in an `x-path-foreign-error` template). */
    readonly uri: string,
  ) {
    super(message);
  }
}

/** Prefix of upstream's form for native paths a URI cannot carry (`file:///%00/bad/path/<base64url>`). */
const UNREPRESENTABLE_PREFIX = "/%00/bad/path/";

/** Schemes WHATWG treats as special (authority after `//`, `\` as a separator). */
const SPECIAL_SCHEMES = new Set(["file", "http", "https", "ws", "wss", "ftp"]);

const HEX = "0123456789ABCDEF";

/**
 * Bytes percent-encoded in a produced path segment: what upstream encodes (observed on the 0.169
 * binary: space, `"`, `#`, `%`, `<`, `>`, `?`, `\`, `` ` ``, `{`, `}`, DEL and every non-ASCII byte)
 * plus every C0 control. Upstream leaves tab, LF and CR raw, which WHATWG parsing then strips, so
 * such names do not survive its round trip; encoding them keeps ours lossless.
 */
function mustEncode(byte: number): boolean {
  if (byte <= 0x20 || byte >= 0x7f) return true;
  switch (byte) {
    case 0x22: // "
    case 0x23: // #
    case 0x25: // %
    case 0x3c: // <
    case 0x3e: // >
    case 0x3f: // ?
    case 0x5c: // \
    case 0x60: // `
    case 0x7b: // {
    case 0x7d: // }
      return true;
    default:
      return false;
  }
}

function encodeSegment(segment: string): string {
  let out = "";
  for (const byte of Buffer.from(segment, "utf8")) {
    out += mustEncode(byte) ? `%${HEX[byte >> 4]}${HEX[byte & 15]}` : String.fromCharCode(byte);
  }
  return out;
}

/** True when `text` holds a lone UTF-16 surrogate (no UTF-8 form, so no URI form either). */
function hasLoneSurrogate(text: string): boolean {
  return /[\uD800-\uDBFF](?![\uDC00-\uDFFF])|(?<![\uD800-\uDBFF])[\uDC00-\uDFFF]/.test(text);
}

/**
 * The canonical `file:` URI of a native absolute POSIX path: `file://` + the path with each segment
 * percent-encoded as upstream does (`/srv/sp ace%` → `file:///srv/sp%20ace%25`, `ü` → `%C3%BC`).
 * A first segment that WHATWG would read as a Windows drive letter (`/C:`, `/c|`) gets its second
 * character encoded (`file:///C%3A`), so every POSIX path round-trips through
 * {@link decodePathUri}. A path holding NUL or a lone surrogate has no URI form and is answered in
 * upstream's unrepresentable form `file:///%00/bad/path/<base64url of its UTF-8>` (which
 * {@link decodePathUri} refuses). `.`/`..` segments, `//` and a trailing `/` are not removed here;
 * parsing the URI normalises them.
 *
 * @param nativePath an absolute path (starting with `/`); anything else is a programming error.
 */
export function encodePathUri(nativePath: string): string {
  if (!nativePath.startsWith("/")) throw new TypeError(`encodePathUri needs an absolute path, got ${JSON.stringify(nativePath)}`);
  if (nativePath.includes("\0") || hasLoneSurrogate(nativePath)) {
    return `file://${UNREPRESENTABLE_PREFIX}${Buffer.from(nativePath, "utf8").toString("base64url")}`;
  }
  const segments = nativePath.split("/");
  const encoded = segments.map((segment, index) =>
    index === 1 && /^[A-Za-z][:|]$/.test(segment) ? `${segment[0]}%${segment[1] === ":" ? "3A" : "7C"}` : encodeSegment(segment),
  );
  return `file://${encoded.join("/")}`;
}

/** Percent-decodes to bytes; a `%` not followed by two hex digits stays literal (as upstream's decoder). */
function percentDecode(text: string): Buffer {
  const raw = Buffer.from(text, "utf8");
  const out = Buffer.allocUnsafe(raw.length);
  let length = 0;
  for (let i = 0; i < raw.length; i++) {
    const byte = raw[i]!;
    if (byte === 0x25 && isHexByte(raw[i + 1]) && isHexByte(raw[i + 2])) {
      out[length++] = Number.parseInt(String.fromCharCode(raw[i + 1]!, raw[i + 2]!), 16);
      i += 2;
    } else {
      out[length++] = byte;
    }
  }
  return out.subarray(0, length);
}

function isHexByte(byte: number | undefined): boolean {
  return byte !== undefined && ((byte >= 0x30 && byte <= 0x39) || (byte >= 0x41 && byte <= 0x46) || (byte >= 0x61 && byte <= 0x66));
}

/**
 * Lexical normalisation as upstream's absolute paths do it: empty and `.` segments dropped, `..`
 * removes the previous segment (never above `/`), no trailing `/`.
 */
function normalise(path: string): string {
  const out: string[] = [];
  for (const segment of path.split("/")) {
    if (segment === "" || segment === ".") continue;
    if (segment === "..") out.pop();
    else out.push(segment);
  }
  return `/${out.join("/")}`;
}

/**
 * The `url` crate's reason for a URL WHATWG refuses, reconstructed from the input (Node's parser
 * only says "Invalid URL"). Every WHATWG failure of an input with a scheme lies in its authority.
 */
export function describeUrlParseFailure(input: string): string {
  // WHATWG strips leading/trailing C0 controls and spaces, and every tab and newline.
  const text = input.replace(/^[\u0000-\u0020]+|[\u0000-\u0020]+$/g, "").replace(/[\t\n\r]/g, "");
  const match = /^([A-Za-z][A-Za-z0-9+.-]*):([\s\S]*)$/.exec(text);
  if (match === null) return "relative URL without a base";
  const scheme = match[1]!.toLowerCase();
  const rest = match[2]!;
  const special = SPECIAL_SCHEMES.has(scheme);
  let authority: string;
  if (special) {
    const start = /^[/\\]*/.exec(rest)![0].length;
    authority = rest.slice(start).split(/[/\\?#]/, 1)[0]!;
  } else {
    if (!rest.startsWith("//")) return "invalid domain character";
    authority = rest.slice(2).split(/[/?#]/, 1)[0]!;
  }
  if (scheme === "file" && authority.includes("@")) return "invalid international domain name";
  const hostAndPort = authority.slice(authority.lastIndexOf("@") + 1);
  if (hostAndPort.startsWith("[")) {
    const close = hostAndPort.indexOf("]");
    if (close < 0) return "invalid IPv6 address";
    const port = hostAndPort.slice(close + 1).replace(/^:/, "");
    const badPort = scheme !== "file" && hostAndPort[close + 1] === ":" && (!/^\d*$/.test(port) || Number(port) > 65535);
    return badPort ? "invalid port number" : "invalid IPv6 address";
  }
  const colon = hostAndPort.indexOf(":");
  const host = colon < 0 ? hostAndPort : hostAndPort.slice(0, colon);
  if (colon >= 0) {
    if (scheme === "file") return "invalid international domain name";
    const port = hostAndPort.slice(colon + 1);
    if (!/^\d*$/.test(port) || (port !== "" && Number(port) > 65535)) return "invalid port number";
  }
  if (!special) return "invalid domain character";
  if (host === "") return "empty host";
  let decoded: string;
  try {
    decoded = decodeURIComponent(host);
  } catch {
    return "invalid international domain name";
  }
  const labels = decoded.split(".");
  if (labels.length > 1 && labels[labels.length - 1] === "") labels.pop();
  const last = labels[labels.length - 1] ?? "";
  if (/^\d+$/.test(last) || /^0[xX][0-9A-Fa-f]*$/.test(last)) return "invalid IPv4 address";
  return "invalid international domain name";
}

/**
 * Decodes a `file:` URI into a native absolute POSIX path with upstream's rules (UPSTREAM-0.169.md §3):
 * WHATWG parsing (case-insensitive scheme, `file:/x`, `file://localhost/x`, `\` as `/`, dot segments),
 * percent-decoding where `%2F` then separates segments, lexical normalisation of `.`, `..`, `//` and a
 * trailing `/`. Only UTF-8 paths are representable here (JavaScript strings); a URI decoding to other
 * bytes is refused (-32600), where upstream would use the raw bytes.
 *
 * @param input the URI as received (it has a scheme; plain paths never reach this function).
 * @param os the host OS name used in messages ({@link hostOsName}).
 * @throws PathUriError with upstream's code and message.
 */
export function decodePathUri(input: string, os: string = hostOsName()): string {
  return plainFilePath(input) ?? decodeParsedPathUri(input, os);
}

/**
 * `file:///` + segments of characters that WHATWG leaves as they are and that need no decoding or
 * normalising: no `%`, `\`, `?`, `#`, `:`, `|`, whitespace or non-ASCII, no empty, `.` or `..`
 * segment, no trailing `/`. The usual URI of a clean path (`file:///home/u/a.txt`).
 */
const PLAIN_FILE_URI = /^file:\/\/(?:\/(?!\.\.?(?:\/|$))[A-Za-z0-9\-._~!$&'()*+,;=@]+)+$/;

/**
 * The path of a URI matching {@link PLAIN_FILE_URI} without parsing it (what the general decoder
 * returns for it, property-tested), else undefined. Most path members are such URIs; parsing one
 * costs ≈ 5 µs of every call (docs/bench.md, rpc).
 */
function plainFilePath(input: string): string | undefined {
  return PLAIN_FILE_URI.test(input) ? input.slice("file://".length) : undefined;
}

/** The UTF-8 decoder of decoded paths (stateless: `decode` without `stream` resets it). */
const UTF8 = new TextDecoder("utf-8", { fatal: true, ignoreBOM: true });

/**
 * {@link decodePathUri} through the WHATWG parser, for any input (exported so tests can compare
 * the shortcut for plain URIs with it).
 */
export function decodeParsedPathUri(input: string, os: string = hostOsName()): string {
  let url: URL;
  try {
    url = new URL(input);
  } catch {
    throw new PathUriError(ErrorCode.InvalidParams, `invalid URI: ${describeUrlParseFailure(input)}`, false, input);
  }
  const href = url.href;
  const scheme = url.protocol.slice(0, -1);
  if (scheme !== "file") throw new PathUriError(ErrorCode.InvalidParams, `unsupported path URI scheme \`${scheme}\``, false, href);
  // In the serialisation `?` and `#` only appear as delimiters (inside the path they are encoded),
  // which also catches an empty query or fragment (`file:///x?`) that url.search/hash hide.
  const hashAt = href.indexOf("#");
  if ((hashAt < 0 ? href : href.slice(0, hashAt)).includes("?")) {
    throw new PathUriError(ErrorCode.InvalidParams, "query parameters are not allowed in path URIs", false, href);
  }
  if (hashAt >= 0) throw new PathUriError(ErrorCode.InvalidParams, "fragments are not allowed in path URIs", false, href);
  const pathname = url.pathname;
  const invalidOnHost = (uri: string): string => `'${uri}' is invalid on '${os}'`;
  if (url.host === "" && pathname.startsWith(UNREPRESENTABLE_PREFIX)) {
    throw new PathUriError(ErrorCode.InvalidRequest, invalidOnHost(href), true, href);
  }
  const bytes = percentDecode(pathname);
  if (bytes.includes(0)) throw new PathUriError(ErrorCode.InvalidParams, invalidOnHost(href), false, href);
  if (url.host !== "") throw new PathUriError(ErrorCode.InvalidRequest, invalidOnHost(href), true, href);
  // A literal drive letter (WHATWG turns `C|` into `C:` too); an encoded one (`C%3A`) is a POSIX name.
  if (/^\/[A-Za-z]:(\/|$)/.test(pathname)) {
    const canonical = `file:///${pathname[1]!.toUpperCase()}${href.slice("file:///".length + 1)}`;
    throw new PathUriError(ErrorCode.InvalidRequest, invalidOnHost(canonical), true, canonical);
  }
  let text: string;
  try {
    text = UTF8.decode(bytes);
  } catch {
    throw new PathUriError(ErrorCode.InvalidRequest, `${invalidOnHost(href)}: the decoded path is not valid UTF-8`, true, href);
  }
  return normalise(text);
}

/**
 * One path member as the edge codec reads it: a plain absolute path (seed dialect) as it is, anything
 * else through {@link decodePathUri}. For code that receives params the codec has already decoded
 * (e.g. the sandbox library's `decodePath` option) and must accept exactly what the codec accepted.
 *
 * @throws PathUriError as {@link decodePathUri}.
 */
export function decodePathOrUri(text: string, os: string = hostOsName()): string {
  return text.startsWith("/") ? text : decodePathUri(text, os);
}
