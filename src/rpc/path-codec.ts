/**
 * The edge path codec: the one place where the two path dialects meet. The seed dialect
 * (CONTRACT.md) sends plain absolute paths, the codex 0.169 dialect `file:` URIs
 * (UPSTREAM-0.169.md §3). Driven by the generated method descriptors (`paths`: where the document's
 * `x-path` members sit), it decodes every path member of the params to a native absolute path
 * before the handler runs, and encodes the path members of the result (and of notifications) back
 * into the dialect of the request. Handlers only ever see native absolute paths.
 */
import type { MethodDescriptor, PathMember, PathStep } from "./method-descriptor.js";
import { decodePathUri, encodePathUri, hostOsName, PathUriError } from "./path-uri.js";
import { RpcError } from "./rpc-error.js";

/** How a request spelled its paths: `plain` (seed) or `uri` (codex 0.169). */
export type PathDialect = "plain" | "uri";

/** Options of {@link PathCodec}. */
export interface PathCodecOptions {
  /** OS name used in `'<uri>' is invalid on '<os>'`. Default: this host's ({@link hostOsName}). */
  os?: string;
  /**
   * Params (of requests) and notification params the codec must leave untouched, e.g. calls routed
   * to a remote environment, whose paths belong to that host and are interpreted by its server.
   * Default: none.
   */
  passThrough?: (params: unknown) => boolean;
}

/** Params ready for the handler, and how to encode its result for the caller. */
export interface DecodedParams {
  readonly params: unknown;
  /** `plain` only when the request carried path members and all were plain absolute paths. */
  readonly dialect: PathDialect;
  /** The dialect the result is encoded in: {@link DecodedParams.dialect}, except `uri` for every codex 0.169 method. */
  readonly resultDialect: PathDialect;
  /** The result with its path members encoded for the caller (native paths → URIs for `uri`). */
  encodeResult(result: unknown): unknown;
}

const ITEMS: PathStep = "[]";
const VALUES: PathStep = "{}";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/**
 * Returns `value` with `fn` applied to every string found at `steps[from..]` (copying only what
 * changes; missing members, nulls and non-strings are left alone: the schema has validated the
 * shape). Walks by index, without slicing `steps` or listing keys: a method has up to a dozen path
 * members and most are absent, so this runs several times on every call.
 */
function mapStrings(value: unknown, steps: readonly PathStep[], fn: (text: string) => string, from = 0): unknown {
  if (from === steps.length) return typeof value === "string" ? fn(value) : value;
  const step = steps[from] as PathStep;
  if (step === ITEMS) {
    if (!Array.isArray(value)) return value;
    let copy: unknown[] | undefined;
    for (let i = 0; i < value.length; i += 1) {
      const item: unknown = value[i];
      const next = mapStrings(item, steps, fn, from + 1);
      if (next !== item) {
        copy ??= value.slice();
        copy[i] = next;
      }
    }
    return copy ?? value;
  }
  if (!isRecord(value)) return value;
  if (step !== VALUES) {
    if (!Object.hasOwn(value, step)) return value;
    const member = value[step];
    const next = mapStrings(member, steps, fn, from + 1);
    return next === member ? value : { ...value, [step]: next };
  }
  let copy: Record<string, unknown> | undefined;
  for (const key of Object.keys(value)) {
    const member = value[key];
    const next = mapStrings(member, steps, fn, from + 1);
    if (next !== member) {
      copy ??= { ...value };
      copy[key] = next;
    }
  }
  return copy ?? value;
}

/**
 * Returns `value` with `fn` applied to every string at the given path members (copy-on-write), e.g.
 * a client turning the plain paths of its params into `file:` URIs for a codex 0.169 server.
 */
export function mapPathMembers(members: readonly PathMember[], value: unknown, fn: (text: string) => string): unknown {
  let out = value;
  for (const member of members) out = mapStrings(out, member.at, fn);
  return out;
}

/** A native absolute path → its URI; other strings (already URIs, from a peer) are left alone. */
function nativeToUri(text: string): string {
  return text.startsWith("/") ? encodePathUri(text) : text;
}

/** `encodeResult` of a call whose result has nothing to encode. */
function unchanged(result: unknown): unknown {
  return result;
}

/** What {@link PathCodec.decodeParams} answers for params its `passThrough` option claims. */
function passedThrough(params: unknown): DecodedParams {
  return { params, dialect: "uri", resultDialect: "uri", encodeResult: unchanged };
}

function fillTemplate(template: string, uri: string, reason: string): string {
  return template.replaceAll("{uri}", uri).replaceAll("{reason}", reason);
}

/**
 * Applies the path rules of the OpenRPC document at the edge of the dispatcher. One instance per
 * server; stateless.
 */
export class PathCodec {
  readonly #os: string;
  readonly #passThrough: (params: unknown) => boolean;

  constructor(options: PathCodecOptions = {}) {
    this.#os = options.os ?? hostOsName();
    this.#passThrough = options.passThrough ?? (() => false);
  }

  /**
   * Decodes the path members of validated params: a plain absolute path stays as it is (seed
   * dialect); a `file:` URI becomes a native absolute path ({@link decodePathUri}).
   *
   * @throws RpcError with upstream's code and message for a bad URI (-32602 at decode, -32600 for a
   *   URI naming no path on this host, or the member's `x-path-foreign-error`).
   */
  decodeParams(descriptor: MethodDescriptor, params: unknown): DecodedParams {
    if (this.#passThrough(params)) return passedThrough(params);
    let plain = 0;
    let uris = 0;
    let member: PathMember | undefined;
    // One closure per call (not per member); `member` names the one being walked, for its error.
    const decodeOne = (text: string): string => {
      if (text.startsWith("/")) {
        plain++;
        return text;
      }
      uris++;
      return this.#decodeOne(text, member as PathMember);
    };
    let decoded = params;
    const top = isRecord(params) ? params : undefined;
    for (member of descriptor.paths.params) {
      // Most members sit under an optional top-level member that is absent (`sandbox`): skip them here.
      const first = member.at[0];
      if (top !== undefined && first !== undefined && first !== ITEMS && first !== VALUES && !Object.hasOwn(top, first)) continue;
      decoded = mapStrings(decoded, member.at, decodeOne);
    }
    const dialect: PathDialect = plain > 0 && uris === 0 ? "plain" : "uri";
    const resultDialect: PathDialect = descriptor.since === "codex-0.169" ? "uri" : dialect;
    const resultMembers = descriptor.paths.result;
    const encodeResult = resultDialect === "plain" || resultMembers.length === 0 ? unchanged : (result: unknown) => this.#encode(resultMembers, result, resultDialect);
    return { params: decoded, dialect, resultDialect, encodeResult };
  }

  /**
   * Encodes the path members of a server notification as `file:` URIs (notifications of the
   * 0.169 dialect carry URIs; the seed's notifications have no path members).
   */
  encodeNotification(descriptor: MethodDescriptor | undefined, params: unknown): unknown {
    if (descriptor === undefined || descriptor.paths.params.length === 0 || this.#passThrough(params)) return params;
    return this.#encode(descriptor.paths.params, params, "uri");
  }

  #decodeOne(text: string, member: PathMember): string {
    try {
      return decodePathUri(text, this.#os);
    } catch (error) {
      if (!(error instanceof PathUriError)) throw error;
      if (error.foreign && member.foreignError !== undefined) {
        throw new RpcError(member.foreignError.code, fillTemplate(member.foreignError.message, error.uri, error.message));
      }
      throw new RpcError(error.code, error.message);
    }
  }

  /** Native absolute paths → URIs for `uri`; other strings (already URIs, from a peer) are left alone. */
  #encode(members: readonly PathMember[], value: unknown, dialect: PathDialect): unknown {
    if (dialect === "plain") return value;
    let out = value;
    for (const member of members) out = mapStrings(out, member.at, nativeToUri);
    return out;
  }
}
