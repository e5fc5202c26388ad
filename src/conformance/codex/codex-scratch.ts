import { randomBytes } from "node:crypto";
import { isAbsolute } from "node:path";
import { pathToFileURL } from "node:url";
import type { MessageTransport } from "../../rpc/message-transport.js";
import type { Clock } from "../../util/clock.js";
import { RawPeer } from "../raw-peer.js";

/** The codex-0.169 run's scratch directory on the server's host, and what the server announced. */
export interface CodexScratch {
  /** Canonical `file:` URI of the scratch directory (no trailing slash). */
  readonly scratchDir: string;
  /** `environmentInfo` from the setup connection's `initialize`, or undefined when it failed. */
  readonly environmentInfo: Readonly<Record<string, unknown>> | undefined;
  /** Removes the directory through the server (best effort). */
  remove(): Promise<void>;
}

/** Where the scratch directory goes when the server announces no temporary directory. */
const FALLBACK_TEMP_DIR = "file:///tmp";

/**
 * A `file:` URI for `location`: URIs are kept (trailing slashes dropped), absolute paths are
 * converted; anything else is refused with a message for the user.
 */
export function scratchLocationUri(location: string): string {
  if (/^file:/i.test(location)) return location.replace(/\/+$/, "");
  if (isAbsolute(location)) return pathToFileURL(location).href.replace(/\/+$/, "");
  throw new Error(`scratch directory must be a file: URI or an absolute path, got ${location}`);
}

function tempDirOf(info: Readonly<Record<string, unknown>> | undefined): string {
  const tempDir = info?.["tempDir"];
  if (typeof tempDir === "string") return tempDir;
  const temporaryDirectories = info?.["temporaryDirectories"];
  if (Array.isArray(temporaryDirectories) && typeof temporaryDirectories[0] === "string") return temporaryDirectories[0];
  return FALLBACK_TEMP_DIR;
}

/**
 * Creates the scratch directory through the server, so a server on another machine works:
 * `<location>` when given, else a fresh `exec-server-conformance-<hex>` in the server's temporary
 * directory (`environmentInfo.tempDir`, else `temporaryDirectories[0]`, else `file:///tmp`), then
 * canonicalizes it (so expected URIs compare equal to what `fs/canonicalize` and `fs/walk` emit).
 * Best effort: a server whose handshake or fs methods are broken fails the checks instead.
 */
export async function prepareCodexScratch(
  connect: () => Promise<MessageTransport>,
  clock: Clock,
  stepTimeoutMs: number,
  log: (line: string) => void,
  location: string | undefined,
): Promise<CodexScratch> {
  let environmentInfo: Readonly<Record<string, unknown>> | undefined;
  let scratchDir = location === undefined ? undefined : scratchLocationUri(location);
  const withPeer = async <T>(what: string, use: (peer: RawPeer, initialized: Record<string, unknown>) => Promise<T>): Promise<T | undefined> => {
    let transport: MessageTransport | undefined;
    try {
      transport = await connect();
      const peer = new RawPeer(transport, clock, stepTimeoutMs);
      const init = await peer.request("initialize", { clientName: "exec-server-conformance" }, { envelope: "lite", id: 1 });
      if (init.error !== undefined) throw new Error(`initialize failed with ${init.error.code}: ${init.error.message}`);
      peer.notify("initialized", {}, "lite");
      return await use(peer, (init.result ?? {}) as Record<string, unknown>);
    } catch (error) {
      log(`${what}: ${error instanceof Error ? error.message : String(error)}`);
      return undefined;
    } finally {
      transport?.close("conformance setup finished");
    }
  };
  const call = async (peer: RawPeer, id: number, method: string, params: unknown): Promise<Record<string, unknown>> => {
    const response = await peer.request(method, params, { envelope: "lite", id });
    if (response.error !== undefined) throw new Error(`${method} failed with ${response.error.code}: ${response.error.message}`);
    return response.result as Record<string, unknown>;
  };

  const created = await withPeer("could not create the scratch directory through the server", async (peer, initialized) => {
    const info = initialized["environmentInfo"];
    if (typeof info === "object" && info !== null) environmentInfo = info as Record<string, unknown>;
    const dir = scratchDir ?? `${tempDirOf(environmentInfo).replace(/\/+$/, "")}/exec-server-conformance-${randomBytes(6).toString("hex")}`;
    scratchDir = dir;
    await call(peer, 3, "fs/createDirectory", { path: dir, recursive: true });
    const canonical = await call(peer, 4, "fs/canonicalize", { path: dir });
    return typeof canonical["path"] === "string" ? canonical["path"].replace(/\/+$/, "") : dir;
  });
  const finalDir = created ?? scratchDir ?? `${FALLBACK_TEMP_DIR}/exec-server-conformance-${randomBytes(6).toString("hex")}`;
  return {
    scratchDir: finalDir,
    environmentInfo,
    async remove() {
      await withPeer("could not remove the scratch directory through the server", (peer) => call(peer, 2, "fs/remove", { path: finalDir, recursive: true, force: true }));
    },
  };
}
