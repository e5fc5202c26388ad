/**
 * File handles of one connection (`fs/open`, `fs/readBlock`, `fs/writeBlock`, `fs/close`; codex
 * 0.169, UPSTREAM-0.169.md §2.11), with upstream's rules as the binary answers them:
 *
 * - a handle id is at most 32 bytes of UTF-8 (`""` allowed), checked first by every method
 *   (-32600 `file handle ID must not exceed 32 bytes`);
 * - at most {@link DEFAULT_MAX_HANDLES_PER_CONNECTION} handles per connection, opens in flight
 *   included (-32600 `at most 128 file handles may be open per connection`); an id that is open or
 *   being opened → -32600 ``file handle `h` already exists``; both are refused before the file is
 *   touched, so a refused `replace` truncates nothing;
 * - `readBlock` lengths and decoded `writeBlock` chunks are 1…1 MiB (-32600), checked before the
 *   handle is looked up; an unknown handle → -32004 ``unknown file handle `h` ``;
 * - reads are positional (`pread` until `len` bytes or end of file); `eof` is true when fewer than
 *   `len` bytes came back; a failed read closes the handle (upstream does), a failed write does not;
 * - writes are positional (`pwrite`), a gap is zero-filled by the file system; `offset + length`
 *   past 2^63 − 1 → -32600 `file write range exceeds the signed 64-bit file offset limit`; past
 *   2^53 (what Node and JSON numbers address exactly) → -32603 `File too large (os error 27)`;
 *   reads past 2^53 answer end of file (no readable file is that large);
 * - `fs/close` is idempotent and frees the slot at once (a read or write in flight finishes first
 *   on the file, which Node's FileHandle.close waits for);
 * - closing the connection closes every handle ({@link FileHandleTable.closeAll}); an open that
 *   completes after that closes its file immediately.
 *
 * Besides the per-connection limit, a server-wide budget bounds the descriptors all connections may
 * hold together (`maxOpenFileHandles`), so a few connections cannot exhaust the process's fds.
 */
import type { FileHandle } from "node:fs/promises";
import type { FsCloseResult, FsOpenResult, FsReadBlockResult, FsWriteBlockResult } from "../../../generated/openrpc/types.js";
import { withBase64Member } from "../../rpc/base64-member-json.js";
import { RpcError } from "../../rpc/rpc-error.js";
import { fsFailure, systemError, toFsRpcError } from "./fs-error.js";

/** Most handles one connection may hold open (upstream's). */
export const DEFAULT_MAX_HANDLES_PER_CONNECTION = 128;
/** Default server-wide bound on open handles of all connections together. */
export const DEFAULT_MAX_OPEN_FILE_HANDLES = 1024;
/** Longest handle id, in UTF-8 bytes. */
export const MAX_HANDLE_ID_BYTES = 32;
/** Largest `readBlock` length and decoded `writeBlock` chunk: 1 MiB. */
export const MAX_BLOCK_BYTES = 1024 * 1024;
/** Largest file offset a block may reach (i64::MAX). */
const MAX_FILE_OFFSET = (1n << 63n) - 1n;

/** The server-wide count of open handles, shared by every connection's table. */
export interface HandleBudget {
  count: number;
}

/** Limits of a {@link FileHandleTable}. */
export interface FileHandleTableOptions {
  /** Handles one connection may hold. Default {@link DEFAULT_MAX_HANDLES_PER_CONNECTION} (128). */
  readonly maxHandlesPerConnection?: number;
  /** Handles all connections may hold together. Default {@link DEFAULT_MAX_OPEN_FILE_HANDLES} (1 024). */
  readonly maxOpenFileHandles?: number;
}

interface OpenEntry {
  readonly file: FileHandle;
}

const METHOD = { open: "fs/open", read: "fs/readBlock", write: "fs/writeBlock", close: "fs/close" } as const;

/** Refuses (-32600) a handle id longer than 32 bytes. */
function checkHandleId(handleId: string): void {
  if (Buffer.byteLength(handleId, "utf8") > MAX_HANDLE_ID_BYTES) {
    throw new RpcError(-32600, `file handle ID must not exceed ${MAX_HANDLE_ID_BYTES} bytes`);
  }
}

function unknownHandle(handleId: string): RpcError {
  return fsFailure("unknown-handle", `unknown file handle \`${handleId}\``).toRpcError("codex-0.169");
}

/** The file handles of one connection. */
export class FileHandleTable {
  readonly #open = new Map<string, OpenEntry>();
  /** Ids being opened (reserved before the file is touched). */
  readonly #opening = new Set<string>();
  readonly #maxPerConnection: number;
  readonly #maxTotal: number;
  readonly #budget: HandleBudget;
  #closed = false;

  constructor(options: FileHandleTableOptions, budget: HandleBudget) {
    this.#maxPerConnection = options.maxHandlesPerConnection ?? DEFAULT_MAX_HANDLES_PER_CONNECTION;
    this.#maxTotal = options.maxOpenFileHandles ?? DEFAULT_MAX_OPEN_FILE_HANDLES;
    this.#budget = budget;
  }

  /** Handles open or being opened on this connection. */
  get size(): number {
    return this.#open.size + this.#opening.size;
  }

  /**
   * `fs/open`: reserves `handleId`, then runs `openFile` (which checks the sandbox and opens the file)
   * and registers what it returns.
   */
  async open(handleId: string, openFile: () => Promise<FileHandle>): Promise<FsOpenResult> {
    checkHandleId(handleId);
    if (this.#closed) throw new RpcError(-32600, "the connection is closing");
    if (this.#open.has(handleId) || this.#opening.has(handleId)) {
      throw new RpcError(-32600, `file handle \`${handleId}\` already exists`);
    }
    if (this.size >= this.#maxPerConnection) {
      throw new RpcError(-32600, `at most ${this.#maxPerConnection} file handles may be open per connection`);
    }
    if (this.#budget.count >= this.#maxTotal) {
      throw new RpcError(-32600, `at most ${this.#maxTotal} file handles may be open on this exec-server (all connections; maxOpenFileHandles)`);
    }
    this.#opening.add(handleId);
    this.#budget.count++;
    let file: FileHandle;
    try {
      file = await openFile();
    } catch (error) {
      this.#opening.delete(handleId);
      this.#budget.count--;
      throw error;
    }
    this.#opening.delete(handleId);
    if (this.#closed) {
      this.#budget.count--;
      await file.close().catch(() => {}); // released either way; the answer below is what matters
      throw new RpcError(-32600, "the connection is closing");
    }
    this.#open.set(handleId, { file });
    return { handleId };
  }

  /** `fs/readBlock`: up to `len` bytes at `offset`; `eof` when fewer came back. */
  async readBlock(handleId: string, offset: number, len: number): Promise<FsReadBlockResult> {
    checkHandleId(handleId);
    if (!Number.isSafeInteger(len) || len < 1 || len > MAX_BLOCK_BYTES) {
      throw new RpcError(-32600, `file read block length must be between 1 and ${MAX_BLOCK_BYTES}`);
    }
    const entry = this.#open.get(handleId);
    if (entry === undefined) throw unknownHandle(handleId);
    try {
      if (BigInt(offset) > MAX_FILE_OFFSET) throw systemError("EINVAL", "pread");
      if (offset + len > Number.MAX_SAFE_INTEGER) {
        // Node cannot address bytes past 2^53 (nor can JSON name such offsets exactly); no file this
        // server can read is that large, so the read is past its end.
        if ((await entry.file.stat()).size > Number.MAX_SAFE_INTEGER) throw systemError("EOVERFLOW", "pread");
        return { chunk: "", eof: true };
      }
      // Only the `filled` bytes read are ever looked at, so the buffer need not be zeroed.
      const bytes = Buffer.allocUnsafe(len);
      let filled = 0;
      while (filled < len) {
        const { bytesRead } = await entry.file.read(bytes, filled, len - filled, offset + filled);
        if (bytesRead === 0) break;
        filled += bytesRead;
      }
      // Marked for the connection, which writes the response around the base64 as bytes.
      return withBase64Member("chunk", bytes.subarray(0, filled), { eof: filled < len });
    } catch (error) {
      this.#release(handleId, entry);
      throw await toFsRpcError(METHOD.read, error, handleId, "codex-0.169");
    }
  }

  /** `fs/writeBlock`: writes the decoded `chunk` at `offset` (positional; gaps are zero-filled). */
  async writeBlock(handleId: string, offset: number, chunk: string): Promise<FsWriteBlockResult> {
    checkHandleId(handleId);
    const bytes = Buffer.from(chunk, "base64");
    if (bytes.length < 1 || bytes.length > MAX_BLOCK_BYTES) {
      throw new RpcError(-32600, `file write block length must be between 1 and ${MAX_BLOCK_BYTES}`);
    }
    if (BigInt(offset) + BigInt(bytes.length) > MAX_FILE_OFFSET) {
      throw new RpcError(-32600, "file write range exceeds the signed 64-bit file offset limit");
    }
    const entry = this.#open.get(handleId);
    if (entry === undefined) throw unknownHandle(handleId);
    try {
      // Node cannot address bytes past 2^53 (it would silently write at the current position):
      // answer as a file system whose largest file ends there.
      if (offset + bytes.length > Number.MAX_SAFE_INTEGER) throw systemError("EFBIG", "pwrite");
      let written = 0;
      while (written < bytes.length) {
        const result = await entry.file.write(bytes, written, bytes.length - written, offset + written);
        if (result.bytesWritten === 0) throw systemError("EIO", "pwrite");
        written += result.bytesWritten;
      }
      return {};
    } catch (error) {
      throw await toFsRpcError(METHOD.write, error, handleId, "codex-0.169");
    }
  }

  /** `fs/close`: idempotent; an unknown id is fine. */
  close(handleId: string): FsCloseResult {
    checkHandleId(handleId);
    const entry = this.#open.get(handleId);
    if (entry !== undefined) this.#release(handleId, entry);
    return {};
  }

  /** Closes every handle and refuses new opens (the connection closed). Resolves when all fds are closed. */
  async closeAll(): Promise<void> {
    this.#closed = true;
    const entries = [...this.#open];
    this.#open.clear();
    this.#budget.count -= entries.length;
    // A close that fails still releases the descriptor; the connection is gone, nobody to tell.
    await Promise.all(entries.map(([, entry]) => entry.file.close().catch(() => {})));
  }

  #release(handleId: string, entry: OpenEntry): void {
    if (this.#open.get(handleId) !== entry) return;
    this.#open.delete(handleId);
    this.#budget.count--;
    // The slot is free at once; the descriptor closes once operations in flight on it are done.
    void entry.file.close().catch(() => {
      // close(2) failed (EIO on a network file system): the descriptor is released either way and
      // the caller already has its answer; there is nobody to report this to.
    });
  }
}
