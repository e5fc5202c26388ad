/**
 * The Rust original as a bench peer: the pinned `codex exec-server` 0.169 binary. It is found the way
 * the tests find it (`$EXEC_SERVER_CODEX_BIN`, else `scripts/fetch-codex.sh`'s cache); a full run
 * that does not find it calls that script once (the only way the bench downloads anything), a
 * `--quick` run never does and reports the peer as missing instead.
 */
import { execFile } from "node:child_process";
import { fileURLToPath } from "node:url";
import { promisify } from "node:util";
import { CODEX_VERSION, findCodexBinary, makeCodexHome, startCodexExecServer } from "../../test/helpers/codex-binary.js";
import { trackProcess } from "./child.js";

export { CODEX_VERSION, makeCodexHome };

const FETCH_SCRIPT = fileURLToPath(new URL("../../scripts/fetch-codex.sh", import.meta.url));

/** Where the binary is, or why the Rust rows are n/a. */
export type RustPeer = { readonly binary: string } | { readonly missing: string };

/** Label of the Rust peer in tables. */
export const RUST_LABEL = `codex ${CODEX_VERSION} (Rust)`;

/**
 * Finds the pinned binary. `fetch` (full runs) lets it call `scripts/fetch-codex.sh` when the cache
 * is empty; `disabled` (`--no-rust`) skips the peer with that reason.
 */
export async function locateRustPeer(options: { fetch: boolean; disabled: boolean }): Promise<RustPeer> {
  if (options.disabled) return { missing: "Rust peer disabled (--no-rust)" };
  const found = findCodexBinary();
  if ("path" in found) return { binary: found.path };
  if (!options.fetch) return { missing: `${found.missing}; --quick never downloads it` };
  try {
    const { stdout } = await promisify(execFile)(FETCH_SCRIPT, [], { timeout: 600_000 });
    const printed = stdout.trim().split("\n").at(-1) ?? "";
    // Make later lookups (the test helper's) see the binary the script printed.
    process.env.EXEC_SERVER_CODEX_BIN = printed;
    return "path" in findCodexBinary() ? { binary: printed } : { missing: `scripts/fetch-codex.sh printed ${printed}, which does not exist` };
  } catch (error) {
    const stderr = (error as { stderr?: string }).stderr?.trim();
    return { missing: `scripts/fetch-codex.sh failed: ${stderr || (error instanceof Error ? error.message : String(error))}` };
  }
}

/** A running Rust exec-server on a loopback port. */
export interface RustServer {
  readonly url: string;
  readonly pid: number;
  stop(): Promise<void>;
}

/**
 * Starts `codex exec-server --listen ws://127.0.0.1:0` with a fresh CODEX_HOME outside /tmp
 * (`.tmp/codex-home-*`; codex refuses helper binaries under a temporary directory), tracked with the
 * bench children so it never outlives the bench. `RUST_LOG=warn`.
 */
export async function startRustServer(peer: { binary: string }): Promise<RustServer> {
  // The test helper starts whatever `$EXEC_SERVER_CODEX_BIN` names: make that the binary we located.
  process.env.EXEC_SERVER_CODEX_BIN = peer.binary;
  const running = await startCodexExecServer();
  const tracked = trackProcess(running.child);
  return {
    url: running.url,
    pid: running.child.pid ?? -1,
    async stop() {
      await running.stop();
      await tracked.stop();
    },
  };
}
