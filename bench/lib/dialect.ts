/**
 * The wire dialect a bench peer speaks, detected from its answers (never from a flag), so one bench
 * client can drive the seed-era exec-server and the codex 0.169 one with the same calls:
 * - paths: 0.169 takes `file:` URIs (a plain path is `-32602 invalid URI`), the seed dialect plain
 *   absolute paths;
 * - `process/write`: 0.169 requires a non-empty `writeId`, the seed dialect refuses unknown members;
 * - methods a peer lacks (`fs/open`, `fs/readBlock`) answer `-32601`, which {@link isNotImplemented}
 *   recognises, so a scenario prints "n/a (not implemented)" and starts measuring on its own once the
 *   method exists.
 */
import { fileURLToPath, pathToFileURL } from "node:url";
import type { RpcClientCore } from "../../src/rpc/client-core.js";
import { ErrorCode, RpcError } from "../../src/rpc/rpc-error.js";
import type { MethodMap } from "../../generated/openrpc/types.js";

/** A file every checkout has, used to probe how a peer takes paths. */
const PROBE_FILE = fileURLToPath(import.meta.url);
/** A process id no bench run starts, used to probe `process/write` params without writing anything. */
const PROBE_PROCESS_ID = "bench-dialect-probe-no-such-process";

/** How to phrase params for one peer. */
export interface Dialect {
  /** `file-uri` (codex 0.169) or `plain` (absolute native paths, the seed dialect). */
  readonly paths: "file-uri" | "plain";
  /** `process/write` takes (and requires) a `writeId`. */
  readonly writeId: boolean;
  /** A native absolute path as this peer expects it. */
  path(native: string): string;
  /** `process/write` params for this peer (`writeId` added only when it speaks it). */
  writeParams(processId: string, chunkBase64: string, writeId: string): Record<string, unknown>;
  /** One line for the report, e.g. `file: URIs, writeId`. */
  readonly summary: string;
}

/** An untyped call on the shared client core: the bench sends methods our typed client does not list yet. */
export type RawCall = (method: string, params: unknown) => Promise<unknown>;

/** A {@link RawCall} on a generated client's core (the same request path the typed methods use). */
export function rawCaller(core: RpcClientCore<MethodMap>, timeoutMs?: number): RawCall {
  return (method, params) =>
    (core.request as (method: string, params: unknown, options?: { timeoutMs?: number }) => Promise<unknown>)(
      method,
      params,
      timeoutMs === undefined ? {} : { timeoutMs },
    );
}

/** True when `error` is the peer saying it has no such method (-32601). */
export function isNotImplemented(error: unknown): boolean {
  return error instanceof RpcError && error.code === ErrorCode.MethodNotFound;
}

/** Builds a dialect from its two switches. */
export function dialectOf(paths: Dialect["paths"], writeId: boolean): Dialect {
  return {
    paths,
    writeId,
    path: (native) => (paths === "file-uri" ? pathToFileURL(native).href : native),
    writeParams: (processId, chunk, id) => (writeId ? { processId, chunk, writeId: id } : { processId, chunk }),
    summary: `${paths === "file-uri" ? "file: URIs" : "plain paths"}, ${writeId ? "writeId" : "no writeId"}`,
  };
}

function describe(error: unknown): string {
  return error instanceof RpcError ? `${error.code} ${error.message}` : String(error);
}

/**
 * Detects the dialect of an initialized peer: `fs/getMetadata` of a known file as a `file:` URI,
 * then as a plain path; `process/write` to a process that does not exist with a `writeId`, then
 * without. Each probe is answered by the peer's own validation, so nothing here is hard-coded.
 * @throws Error when the peer accepts neither form of a probe (it is not an exec-server we know).
 */
export async function detectDialect(call: RawCall): Promise<Dialect> {
  let paths: Dialect["paths"];
  try {
    await call("fs/getMetadata", { path: pathToFileURL(PROBE_FILE).href });
    paths = "file-uri";
  } catch (uriError) {
    try {
      await call("fs/getMetadata", { path: PROBE_FILE });
      paths = "plain";
    } catch (plainError) {
      throw new Error(`peer takes neither file: URIs (${describe(uriError)}) nor plain paths (${describe(plainError)})`);
    }
  }
  let writeId: boolean;
  try {
    await call("process/write", { processId: PROBE_PROCESS_ID, chunk: "", writeId: "bench-probe" });
    writeId = true;
  } catch (withError) {
    try {
      await call("process/write", { processId: PROBE_PROCESS_ID, chunk: "" });
      writeId = false;
    } catch (withoutError) {
      throw new Error(`process/write refused with a writeId (${describe(withError)}) and without (${describe(withoutError)})`);
    }
  }
  return dialectOf(paths, writeId);
}
