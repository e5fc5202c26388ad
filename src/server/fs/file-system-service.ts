import { constants as bufferConstants } from "node:buffer";
import { constants as fsConstants, lstatSync, statSync, type Stats } from "node:fs";
import { copyFile, lstat, mkdir, open, readdir, readlink, realpath, rm, rmdir, stat, symlink, unlink, type FileHandle } from "node:fs/promises";
import { withBase64Member } from "../../rpc/base64-member-json.js";
import { decodePathOrUri } from "../../rpc/path-uri.js";
import { ErrorCode, RpcError } from "../../rpc/rpc-error.js";
import { ExecSandbox } from "../../sandbox/exec-sandbox.js";
import { decodedBase64Length, strictBase64Problem } from "../../util/strict-base64.js";
import { ConnectionFiles, type ConnectionFilesOptions } from "./connection-files.js";
import { listDirectory, type ListedEntry } from "./list-directory.js";
import { MetadataStatPolicy, type MetadataStatMode } from "./metadata-stat.js";
import { FsFailure, fsFailure, isNotFoundError, isSystemError, systemError, toFsRpcError, type FsDialect } from "./fs-error.js";
import { absolutePath, booleanField, paramsObject, requiredString } from "./fs-params.js";
import { resolveFsSandbox, UNRESTRICTED_GUARD, type FsSandboxGuard } from "./fs-sandbox-guard.js";
import { assertNoSymlinkAncestors, lstatOrMissing } from "./no-follow.js";
import { resolveRealPath } from "./resolve-real-path.js";
import { isWithin } from "./sandbox-policy.js";
import { walkTree } from "./walk-tree.js";
import type {
  FsCanonicalizeParams,
  FsCanonicalizeResult,
  FsCopyParams,
  FsCopyResult,
  FsCreateDirectoryParams,
  FsCreateDirectoryResult,
  FsDirectoryEntry,
  FsGetMetadataParams,
  FsGetMetadataResult,
  FsReadDirectoryParams,
  FsReadDirectoryResult,
  FsReadFileParams,
  FsReadFileResult,
  FsRemoveParams,
  FsRemoveResult,
  FsWalkParams,
  FsWalkResult,
  FsWriteFileParams,
  FsWriteFileResult,
} from "./types.js";

const MiB = 1024 * 1024;

/** Default {@link FileSystemServiceOptions.maxReadFileBytes}: 256 MiB. */
export const DEFAULT_MAX_READ_FILE_BYTES = 256 * MiB;
/** Default {@link FileSystemServiceOptions.maxWriteFileBytes}: 256 MiB. */
export const DEFAULT_MAX_WRITE_FILE_BYTES = 256 * MiB;
/** Default {@link FileSystemServiceOptions.maxDirectoryEntries}. */
export const DEFAULT_MAX_DIRECTORY_ENTRIES = 100_000;
/**
 * Largest allowed `maxReadFileBytes`, in bytes: the biggest file whose base64 text still fits in
 * one JavaScript string (V8's maximum string length; about 384 MiB on 64-bit Node 20). A 512 MiB
 * file cannot be answered at all, which is why the default is not codex 0.169's 512 MiB.
 */
export const MAX_READ_FILE_BYTES_LIMIT = Math.floor(bufferConstants.MAX_STRING_LENGTH / 4) * 3;
/** codex 0.169's `fs/readFile` cap (512 MiB); a larger file gets upstream's message in that dialect. */
export const CODEX_READ_FILE_CAP = 512 * MiB;

/** Limits of a {@link FileSystemService}; each is validated when the service is constructed. */
export interface FileSystemServiceOptions extends ConnectionFilesOptions {
  /**
   * Largest file, in bytes, `fs/readFile` returns; a larger one is refused with -32600 before it is
   * read into memory. Default {@link DEFAULT_MAX_READ_FILE_BYTES} (256 MiB); at most
   * {@link MAX_READ_FILE_BYTES_LIMIT}.
   */
  readonly maxReadFileBytes?: number;
  /**
   * Largest decoded payload, in bytes, `fs/writeFile` accepts; a larger one is refused with -32600
   * before it is decoded. Default {@link DEFAULT_MAX_WRITE_FILE_BYTES} (256 MiB).
   */
  readonly maxWriteFileBytes?: number;
  /**
   * Most entries `fs/readDirectory` lists; a larger directory is refused with -32600 before any
   * entry is stat'ed. Default {@link DEFAULT_MAX_DIRECTORY_ENTRIES} (100 000).
   */
  readonly maxDirectoryEntries?: number;
  /**
   * How `fs/getMetadata` stats: `auto` synchronously on the event loop while only local
   * filesystems are mounted, on the threadpool otherwise; `sync` always on the event loop; `async`
   * always on the threadpool (metadata-stat.ts explains the trade-off). Default `auto`.
   */
  readonly metadataStat?: MetadataStatMode;
}

/** Bytes read per `read(2)` when loading a file; bounds the over-allocation for small files. */
const READ_CHUNK_BYTES = 4 * MiB;
/** Opens that never block on a FIFO (or a device without a peer) and never follow a final link when asked. */
const { O_RDONLY, O_WRONLY, O_CREAT, O_TRUNC, O_NONBLOCK, O_NOFOLLOW } = fsConstants;

/** What a sandboxed operation on an opened file needs: the guard and the dialect of the call. */
interface CallContext {
  readonly method: string;
  readonly dialect: FsDialect;
  readonly guard: FsSandboxGuard;
}

/**
 * The filesystem methods (CONTRACT §4 and codex 0.169, UPSTREAM-0.169.md §2.10–2.12), transport
 * independent: each method takes the JSON params (checked at run time, -32602 for malformed ones)
 * and the request's dialect, and resolves to the JSON result or rejects with the dialect's
 * {@link RpcError} (fs-error.ts has the table). The `sandbox` of every call is resolved once
 * ({@link resolveFsSandbox}) and every path the call touches is checked against it on its real
 * location. Per-connection state (file handles, the missing-path watch) lives in the
 * {@link ConnectionFiles} made by {@link FileSystemService.openConnection}.
 */
export class FileSystemService {
  /** Effective read limit in bytes (see {@link FileSystemServiceOptions.maxReadFileBytes}). */
  readonly maxReadFileBytes: number;
  /** Effective write limit in bytes (see {@link FileSystemServiceOptions.maxWriteFileBytes}). */
  readonly maxWriteFileBytes: number;
  /** Effective directory listing limit (see {@link FileSystemServiceOptions.maxDirectoryEntries}). */
  readonly maxDirectoryEntries: number;
  readonly #sandbox: ExecSandbox;
  readonly #metadataStat: MetadataStatPolicy;
  readonly #connectionOptions: ConnectionFilesOptions;
  /** Handles open on every connection together (the server-wide budget of ConnectionFiles). */
  readonly #openHandles = { count: 0 };

  /**
   * @param sandbox resolves codex 0.169 sandbox contexts (the server's one {@link ExecSandbox});
   *   default a private one that decodes paths as the edge codec does.
   * @throws RangeError when a limit is not a non-negative safe integer within its bound.
   */
  constructor(options: FileSystemServiceOptions = {}, sandbox: ExecSandbox = new ExecSandbox({ decodePath: (text) => decodePathOrUri(text) })) {
    this.maxReadFileBytes = limitOption("maxReadFileBytes", options.maxReadFileBytes, DEFAULT_MAX_READ_FILE_BYTES, MAX_READ_FILE_BYTES_LIMIT);
    this.maxWriteFileBytes = limitOption("maxWriteFileBytes", options.maxWriteFileBytes, DEFAULT_MAX_WRITE_FILE_BYTES, bufferConstants.MAX_LENGTH);
    this.maxDirectoryEntries = limitOption("maxDirectoryEntries", options.maxDirectoryEntries, DEFAULT_MAX_DIRECTORY_ENTRIES, Number.MAX_SAFE_INTEGER);
    this.#sandbox = sandbox;
    this.#metadataStat = new MetadataStatPolicy(options.metadataStat === undefined ? {} : { mode: options.metadataStat });
    this.#connectionOptions = options;
    ConnectionFiles.validateOptions(options);
  }

  /**
   * The per-connection file state (handles, the missing-path watch) of a new connection; `notify`
   * sends `fs/missingChanged`. Close it when the connection closes.
   */
  openConnection(notify: (method: "fs/missingChanged", params: { watchId: number }) => void): ConnectionFiles {
    return new ConnectionFiles(this, notify, this.#connectionOptions, this.#openHandles);
  }

  /** Resolves an fs call's `sandbox` (-32602 malformed, -32600 refused). */
  resolveSandbox(raw: unknown): Promise<FsSandboxGuard> {
    return resolveFsSandbox(raw, this.#sandbox);
  }

  /**
   * `fs/readFile`: the whole file as base64. Codex 0.169 dialect: only regular files
   * (``path `…` is not a file`` otherwise) up to 512 MiB; seed: also character and block devices.
   * FIFOs are never opened blocking.
   */
  async readFile(params: FsReadFileParams, dialect: FsDialect = "seed"): Promise<FsReadFileResult> {
    const method = "fs/readFile";
    const p = paramsObject(params);
    const path = absolutePath(p, "path");
    const follow = followOption(p);
    const guard = await this.resolveSandbox(p["sandbox"]);
    return guard_(method, path, dialect, async () => {
      await guard.check(method, path, "read", { followFinal: follow });
      if (!follow) await assertNoSymlinkAncestors(path);
      const handle = await open(path, O_RDONLY | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW));
      try {
        const info = await handle.stat();
        const readable = info.isFile() || (dialect === "seed" && (info.isCharacterDevice() || info.isBlockDevice()));
        if (!readable) throw notAFile(method, path, info);
        if (info.size > this.maxReadFileBytes) throw this.#readTooLarge(path, info.size);
        // Marked for the connection, which writes the response around the base64 as bytes.
        return withBase64Member("dataBase64", await this.#readCapped(handle, path, info.size));
      } finally {
        await handle.close();
      }
    });
  }

  /** `fs/writeFile`: creates or truncates the file with the decoded bytes. */
  async writeFile(params: FsWriteFileParams, dialect: FsDialect = "seed"): Promise<FsWriteFileResult> {
    const method = "fs/writeFile";
    const p = paramsObject(params);
    const path = absolutePath(p, "path");
    const dataBase64 = requiredString(p, "dataBase64");
    const follow = followOption(p);
    const guard = await this.resolveSandbox(p["sandbox"]);
    return guard_(method, path, dialect, async () => {
      const problem = strictBase64Problem(dataBase64);
      if (problem !== undefined) throw fsFailure("invalid-request", `${method} requires valid base64 dataBase64: ${problem}`);
      const size = decodedBase64Length(dataBase64);
      if (size > this.maxWriteFileBytes) {
        throw fsFailure(
          "over-limit",
          `${method} refuses ${path}: dataBase64 decodes to ${size} bytes, more than the limit of ${this.maxWriteFileBytes} bytes (maxWriteFileBytes)`,
        );
      }
      await guard.check(method, path, "write", { createsInParent: true, followFinal: follow });
      if (!follow) await assertNoSymlinkAncestors(path);
      const handle = await open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK | (follow ? 0 : O_NOFOLLOW), 0o666);
      try {
        await handle.writeFile(Buffer.from(dataBase64, "base64"));
      } finally {
        await handle.close();
      }
      return {};
    });
  }

  /** `fs/createDirectory`: `recursive` (default true) creates parents and accepts an existing directory. */
  async createDirectory(params: FsCreateDirectoryParams, dialect: FsDialect = "seed"): Promise<FsCreateDirectoryResult> {
    const method = "fs/createDirectory";
    const p = paramsObject(params);
    const path = absolutePath(p, "path");
    const recursive = booleanField(p, "recursive", true);
    const follow = followOption(p);
    const guard = await this.resolveSandbox(p["sandbox"]);
    return guard_(method, path, dialect, async () => {
      await guard.check(method, path, "write", { createsInParent: !recursive });
      if (!follow) {
        await assertNoSymlinkAncestors(path);
        // Upstream opens an existing final component with O_NOFOLLOW | O_DIRECTORY: a link is ENOTDIR.
        if ((await lstatOrMissing(path))?.isSymbolicLink() === true) throw systemError("ENOTDIR", "mkdir", path);
      }
      await mkdir(path, { recursive });
      return {};
    });
  }

  /**
   * `fs/getMetadata`. `isDirectory`/`isFile`/`size`/times follow symlinks; `isSymlink` comes from
   * lstat. A dangling (or looping) symlink: seed dialect describes the link itself (the path
   * exists); codex 0.169 answers the error of following it (-32004 / ELOOP), as upstream does.
   * `followSymlinks: false` refuses a symlink anywhere in the path.
   */
  getMetadata(params: FsGetMetadataParams, dialect: FsDialect = "seed"): FsGetMetadataResult | Promise<FsGetMetadataResult> {
    const p = paramsObject(params);
    const path = absolutePath(p, "path");
    const follow = followOption(p);
    const raw = p["sandbox"];
    // The most frequent call (no sandbox, following links, the stat allowed on the event loop) of an
    // existing path that is not a link is answered as a value: no promise on the way, so the
    // connection sends it at once. Anything else (a link, a missing path, an error) goes the full way,
    // which stats again and answers the link or maps the error.
    if ((raw === undefined || raw === null) && follow && this.#metadataStat.synchronous()) {
      let info: Stats | undefined;
      try {
        info = lstatSync(path, NO_THROW_IF_NO_ENTRY);
      } catch {
        // Answered below: the full path stats again and maps the error for the caller's dialect.
        info = undefined;
      }
      if (info !== undefined && !info.isSymbolicLink()) return metadataOf(info, false);
    }
    return this.#getMetadata(path, follow, raw, dialect);
  }

  async #getMetadata(path: string, follow: boolean, raw: unknown, dialect: FsDialect): Promise<FsGetMetadataResult> {
    const method = "fs/getMetadata";
    // Without a sandbox it skips the resolver's and the check's promises.
    const guard = raw === undefined || raw === null ? UNRESTRICTED_GUARD : await this.resolveSandbox(raw);
    return guard_(method, path, dialect, async () => {
      if (guard.restricted) await guard.check(method, path, "read", { followFinal: follow });
      if (!follow) await assertNoSymlinkAncestors(path);
      // Synchronous only where no mount can hang a stat (see MetadataStatPolicy).
      const synchronous = this.#metadataStat.synchronous();
      const linkInfo = synchronous ? lstatSync(path) : await lstat(path);
      if (!follow && linkInfo.isSymbolicLink()) throw fsFailure("symlink-in-path", "path contains a symbolic link");
      let info = linkInfo;
      if (linkInfo.isSymbolicLink()) {
        try {
          info = synchronous ? statSync(path) : await stat(path);
        } catch (err) {
          if (dialect !== "seed") throw err;
          if (!(await isNotFoundError(err, path)) && !isCode(err, "ELOOP")) throw err;
          // Seed decision: a dangling or looping link is described by its own lstat.
        }
      }
      return metadataOf(info, linkInfo.isSymbolicLink());
    });
  }

  /**
   * `fs/canonicalize`: the path with every symlink, `.` and `..` resolved (realpath). A missing
   * path is -32004. The sandbox must let the resolved path be read.
   */
  async canonicalize(params: FsCanonicalizeParams, dialect: FsDialect = "codex-0.169"): Promise<FsCanonicalizeResult> {
    const method = "fs/canonicalize";
    const p = paramsObject(params);
    const path = absolutePath(p, "path");
    const guard = await this.resolveSandbox(p["sandbox"]);
    return guard_(method, path, dialect, async () => {
      await guard.check(method, path, "read");
      return { path: await realpath(path) };
    });
  }

  /**
   * `fs/readDirectory`: entries sorted by `fileName`; a symlink is described by its target and left
   * out when that cannot be stat'ed (dangling); other entries by their directory entry type. Under a
   * sandbox, entries it hides are left out.
   */
  async readDirectory(params: FsReadDirectoryParams, dialect: FsDialect = "seed"): Promise<FsReadDirectoryResult> {
    const method = "fs/readDirectory";
    const p = paramsObject(params);
    const path = absolutePath(p, "path");
    const guard = await this.resolveSandbox(p["sandbox"]);
    return guard_(method, path, dialect, async () => {
      await guard.check(method, path, "read");
      const listed = await listDirectory(path, {
        maxEntries: this.maxDirectoryEntries,
        tooMany: (count) => fsFailure("over-limit", `${method}: ${path} has ${count} entries, more than the limit of ${this.maxDirectoryEntries}`),
        guard,
      });
      const entries: FsDirectoryEntry[] = listed.map((entry: ListedEntry) => ({ fileName: entry.name, isDirectory: entry.isDirectory, isFile: entry.isFile }));
      entries.sort((a, b) => (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0));
      return { entries };
    });
  }

  /**
   * `fs/remove`: lstat; a directory is removed with its tree when `recursive` (default true), else
   * with rmdir; anything else (including a symlink) is unlinked. A missing path succeeds when
   * `force` (default true). `followSymlinks: false` refuses a recursive removal and a symlink
   * anywhere in the path, as upstream does.
   */
  async remove(params: FsRemoveParams, dialect: FsDialect = "seed"): Promise<FsRemoveResult> {
    const method = "fs/remove";
    const p = paramsObject(params);
    const path = absolutePath(p, "path");
    const recursive = booleanField(p, "recursive", true);
    const force = booleanField(p, "force", true);
    const follow = followOption(p);
    const guard = await this.resolveSandbox(p["sandbox"]);
    return guard_(method, path, dialect, async () => {
      if (!follow && recursive) {
        throw new FsFailure("no-follow-recursive-remove", {
          seed: `${method}: followSymlinks: false cannot be combined with recursive: true (recursive no-follow removal is unsupported)`,
          "codex-0.169": "recursive no-follow removal is unsupported",
        });
      }
      try {
        if (!follow) await assertNoSymlinkAncestors(path);
        const info = await lstat(path);
        await guard.check(method, path, "write", { followFinal: false });
        if (!follow && info.isSymbolicLink()) throw fsFailure("symlink-in-path", "path contains a symbolic link");
        if (!info.isDirectory()) await unlink(path);
        else if (recursive) await rm(path, { recursive: true, force: false });
        else await rmdir(path);
      } catch (err) {
        if (force && (await isNotFoundError(err, path)) && (dialect === "seed" || isCode(err, "ENOENT"))) return {};
        throw err;
      }
      return {};
    });
  }

  /**
   * `fs/copy`: a regular file is copied (overwriting the destination), a symlink is recreated with
   * the same target, a directory (only with `recursive: true`, and never into itself or a
   * descendant, compared by realpath) is copied entry by entry with the same rules. Any other file
   * type is refused with -32600; inside a tree that refusal happens when the entry is reached, so
   * the entries copied before it stay. Under a sandbox every source entry must be readable and every
   * destination entry writable.
   */
  async copy(params: FsCopyParams, dialect: FsDialect = "seed"): Promise<FsCopyResult> {
    const method = "fs/copy";
    const p = paramsObject(params);
    const sourcePath = absolutePath(p, "sourcePath");
    const destinationPath = absolutePath(p, "destinationPath");
    const recursive = booleanField(p, "recursive");
    const guard = await this.resolveSandbox(p["sandbox"]);
    const call: CallContext = { method, dialect, guard };
    return guard_(method, sourcePath, dialect, async () => {
      await guard.check(method, sourcePath, "read", { followFinal: false });
      const info = await lstat(sourcePath);
      if (info.isDirectory()) {
        if (!recursive) {
          throw new FsFailure("invalid-request", {
            seed: `${method} requires recursive: true to copy directory ${sourcePath}`,
            "codex-0.169": `${method} requires recursive: true when sourcePath is a directory`,
          });
        }
        const realSource = await realpath(sourcePath);
        const realDestination = await resolveRealPath(destinationPath, { followFinal: true });
        if (isWithin(realDestination, realSource)) {
          throw new FsFailure("invalid-request", {
            seed: `${method} cannot copy directory ${sourcePath} into itself or its descendant ${destinationPath}`,
            "codex-0.169": `${method} cannot copy a directory to itself or one of its descendants`,
          });
        }
      }
      await copyEntry(call, sourcePath, destinationPath, info);
      return {};
    });
  }

  /**
   * `fs/walk` (codex 0.169): the tree breadth first, each directory's entries sorted, within the
   * request's limits; see walk-tree.ts.
   */
  async walk(params: FsWalkParams): Promise<FsWalkResult> {
    const method = "fs/walk";
    const p = paramsObject(params);
    const path = absolutePath(p, "path");
    const guard = await this.resolveSandbox(p["sandbox"]);
    return guard_(method, path, "codex-0.169", () => walkTree(path, params.options, guard));
  }

  /**
   * Opens `path` for a file handle (`fs/open`): `read` (regular files only) or `replace` (create or
   * truncate, write-only). Never blocks on a FIFO.
   */
  async openFile(path: string, mode: "read" | "replace", rawSandbox: unknown): Promise<FileHandle> {
    const method = "fs/open";
    const dialect: FsDialect = "codex-0.169";
    const guard = await this.resolveSandbox(rawSandbox);
    return guard_(method, path, dialect, async () => {
      if (mode === "replace") {
        await guard.check(method, path, "write", { createsInParent: true });
        return open(path, O_WRONLY | O_CREAT | O_TRUNC | O_NONBLOCK, 0o666);
      }
      await guard.check(method, path, "read");
      const handle = await open(path, O_RDONLY | O_NONBLOCK);
      try {
        const info = await handle.stat();
        if (!info.isFile()) throw notAFile(method, path, info);
      } catch (error) {
        await handle.close();
        throw error;
      }
      return handle;
    });
  }

  /**
   * The whole file, refused past `maxReadFileBytes`. Reads into one buffer of the size `stat` gave
   * plus one byte (which notices a file that grew): the usual file needs no chunk list and no
   * `Buffer.concat` copy (50 ms of a 64 MiB read, docs/bench.md). Each read is at most
   * {@link READ_CHUNK_BYTES}, so one large file holds a threadpool thread only that long at a time.
   * A file longer than that buffer (it grew, or a device reporting size 0) continues in chunks.
   */
  async #readCapped(handle: FileHandle, path: string, expectedSize: number): Promise<Buffer> {
    const first = Buffer.allocUnsafe(Math.min(expectedSize, this.maxReadFileBytes) + 1);
    let total = 0;
    while (total < first.length) {
      const { bytesRead } = await handle.read(first, total, Math.min(first.length - total, READ_CHUNK_BYTES), null);
      if (bytesRead === 0) return first.subarray(0, total);
      total += bytesRead;
    }
    if (total > this.maxReadFileBytes) throw this.#readTooLarge(path, undefined);
    const chunks: Buffer[] = [first];
    const chunkSize = Math.min(Math.max(expectedSize + 1, 64 * 1024), READ_CHUNK_BYTES);
    for (;;) {
      const chunk = Buffer.allocUnsafe(chunkSize);
      const { bytesRead } = await handle.read(chunk, 0, chunkSize, null);
      if (bytesRead === 0) break;
      total += bytesRead;
      // The file may grow after stat (or be a device reporting size 0): enforce while reading.
      if (total > this.maxReadFileBytes) throw this.#readTooLarge(path, undefined);
      chunks.push(bytesRead === chunkSize ? chunk : chunk.subarray(0, bytesRead));
    }
    return Buffer.concat(chunks, total);
  }

  #readTooLarge(path: string, size: number | undefined): FsFailure {
    const ours = `fs/readFile refuses ${path}: file is ${size === undefined ? `more than ${this.maxReadFileBytes} bytes` : `${size} bytes`}, larger than the limit of ${this.maxReadFileBytes} bytes (maxReadFileBytes)`;
    const upstream = size !== undefined && size > CODEX_READ_FILE_CAP ? `file is too large to read: limit is ${CODEX_READ_FILE_CAP} bytes` : ours;
    return new FsFailure("over-limit", { seed: ours, "codex-0.169": upstream });
  }
}

async function copyEntry(call: CallContext, source: string, destination: string, info: Stats): Promise<void> {
  const { method, guard } = call;
  if (info.isSymbolicLink()) {
    await guard.check(method, destination, "write", { followFinal: false, createsInParent: true });
    await symlink(await readlink(source), destination);
  } else if (info.isFile()) {
    await guard.check(method, source, "read");
    await guard.check(method, destination, "write", { createsInParent: true });
    await copyFile(source, destination);
  } else if (info.isDirectory()) {
    // Checked per directory and per entry: an existing destination tree may hold a symlink that
    // leads outside the writable area, and the source tree may hold denied entries.
    await guard.check(method, source, "read");
    await guard.check(method, destination, "write", { createsInParent: true });
    await mkdir(destination, { recursive: true });
    const names = (await readdir(source)).sort();
    for (const name of names) {
      const childSource = childPath(source, name);
      await copyEntry(call, childSource, childPath(destination, name), await lstat(childSource));
    }
  } else {
    throw new FsFailure("invalid-request", {
      seed: `${method} can only copy regular files, directories and symlinks: ${source} is a ${kindOf(info)}`,
      "codex-0.169": `${method} only supports regular files, directories, and symlinks`,
    });
  }
}

/** Runs `body`, translating what it throws into the RpcError of `dialect` (fs-error.ts). */
async function guard_<T>(method: string, path: string, dialect: FsDialect, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    throw await toFsRpcError(method, err, path, dialect);
  }
}

/** `followSymlinks` (codex 0.169): absent, null and true follow (the default); false does not. */
function followOption(params: Record<string, unknown>): boolean {
  const value = params["followSymlinks"];
  if (value === undefined || value === null) return true;
  if (typeof value !== "boolean") throw new RpcError(ErrorCode.InvalidParams, "followSymlinks must be a boolean");
  return value;
}

function notAFile(method: string, path: string, info: Stats): FsFailure {
  return new FsFailure("not-a-file", {
    seed: `${method} requires a file: ${path} is a ${kindOf(info)}`,
    "codex-0.169": `path \`${path.length > 1 && path.endsWith("/") ? path.slice(0, -1) : path}\` is not a file`,
  });
}

/** `lstatSync` answering undefined for a missing path instead of building an error. */
const NO_THROW_IF_NO_ENTRY = { throwIfNoEntry: false } as const;

function metadataOf(info: Stats, isSymlink: boolean): FsGetMetadataResult {
  return {
    isDirectory: info.isDirectory(),
    isFile: info.isFile(),
    isSymlink,
    createdAtMs: epochMs(info.birthtimeMs),
    modifiedAtMs: epochMs(info.mtimeMs),
    size: info.size,
  };
}

function limitOption(name: string, value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} must be an integer number of bytes between 0 and ${max}, got ${value}`);
  }
  return value;
}

/** `dir/name`. */
export function childPath(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

function epochMs(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

function isCode(err: unknown, code: string): boolean {
  return isSystemError(err) && err.code === code;
}

function kindOf(info: Stats): string {
  if (info.isDirectory()) return "directory";
  if (info.isFIFO()) return "fifo";
  if (info.isSocket()) return "socket";
  if (info.isCharacterDevice()) return "character device";
  if (info.isBlockDevice()) return "block device";
  if (info.isSymbolicLink()) return "symlink";
  return "special file";
}
