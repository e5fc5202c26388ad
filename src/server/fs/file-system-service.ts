import { constants as bufferConstants } from "node:buffer";
import {
  copyFile,
  lstat,
  mkdir,
  open,
  readdir,
  readlink,
  realpath,
  rm,
  rmdir,
  stat,
  symlink,
  unlink,
  writeFile,
} from "node:fs/promises";
import type { Stats } from "node:fs";
import { ErrorCode, RpcError } from "../../rpc/rpc-error.js";
import { isNotFoundError, toFsRpcError } from "./fs-error.js";
import { absolutePath, booleanField, paramsObject, refuseNoFollow, requiredString } from "./fs-params.js";
import { resolveRealPath } from "./resolve-real-path.js";
import { assertWriteAllowed, isWithin, parseSandbox, type SandboxPolicy } from "./sandbox-policy.js";
import { decodedBase64Length, strictBase64Problem } from "../../util/strict-base64.js";
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
 * file cannot be answered at all, which is why the default is below this.
 */
export const MAX_READ_FILE_BYTES_LIMIT = Math.floor(bufferConstants.MAX_STRING_LENGTH / 4) * 3;

/** Limits of a {@link FileSystemService}; each is validated when the service is constructed. */
export interface FileSystemServiceOptions {
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
}

/** Bytes read per `read(2)` when loading a file; bounds the over-allocation for small files. */
const READ_CHUNK_BYTES = 4 * MiB;
/** Entries stat'ed concurrently by `fs/readDirectory` (keeps the libuv pool from flooding). */
const STAT_BATCH = 32;

/**
 * The filesystem methods of CONTRACT §4, transport independent: each method takes the JSON params
 * (checked at run time, -32602 for malformed ones) and resolves to the JSON result or rejects with
 * an {@link RpcError}: not found -32004, invalid input / permission denied / sandbox refusal
 * -32600, other I/O -32603. Reads are allowed under every sandbox policy; writeFile,
 * createDirectory, remove and copy (its destination) are write-type and checked against it.
 */
export class FileSystemService {
  /** Effective read limit in bytes (see {@link FileSystemServiceOptions.maxReadFileBytes}). */
  readonly maxReadFileBytes: number;
  /** Effective write limit in bytes (see {@link FileSystemServiceOptions.maxWriteFileBytes}). */
  readonly maxWriteFileBytes: number;
  /** Effective directory listing limit (see {@link FileSystemServiceOptions.maxDirectoryEntries}). */
  readonly maxDirectoryEntries: number;

  /** @throws RangeError when a limit is not a non-negative safe integer within its bound. */
  constructor(options: FileSystemServiceOptions = {}) {
    this.maxReadFileBytes = limitOption(
      "maxReadFileBytes",
      options.maxReadFileBytes,
      DEFAULT_MAX_READ_FILE_BYTES,
      MAX_READ_FILE_BYTES_LIMIT,
    );
    this.maxWriteFileBytes = limitOption(
      "maxWriteFileBytes",
      options.maxWriteFileBytes,
      DEFAULT_MAX_WRITE_FILE_BYTES,
      bufferConstants.MAX_LENGTH,
    );
    this.maxDirectoryEntries = limitOption(
      "maxDirectoryEntries",
      options.maxDirectoryEntries,
      DEFAULT_MAX_DIRECTORY_ENTRIES,
      Number.MAX_SAFE_INTEGER,
    );
  }

  /** `fs/readFile`: the whole file as base64. Directories, FIFOs and sockets are refused (-32600). */
  async readFile(params: FsReadFileParams): Promise<FsReadFileResult> {
    const method = "fs/readFile";
    const p = paramsObject(params);
    refuseNoFollow(p, method);
    const path = absolutePath(p, "path");
    parseSandbox(p["sandbox"]); // reads are allowed by every policy, but a malformed one is refused
    return guard(method, path, async () => {
      const info = await stat(path);
      if (!info.isFile() && !info.isCharacterDevice() && !info.isBlockDevice()) {
        // Opening a FIFO would block until a writer appears; a directory cannot be read.
        throw new RpcError(ErrorCode.InvalidRequest, `${method} requires a file: ${path} is a ${kindOf(info)}`);
      }
      if (info.size > this.maxReadFileBytes) throw this.readTooLarge(path, `${info.size} bytes`);
      const bytes = await this.readCapped(path, info.size);
      return { dataBase64: bytes.toString("base64") };
    });
  }

  /** `fs/writeFile`: creates or truncates the file with the decoded bytes. */
  async writeFile(params: FsWriteFileParams): Promise<FsWriteFileResult> {
    const method = "fs/writeFile";
    const p = paramsObject(params);
    refuseNoFollow(p, method);
    const path = absolutePath(p, "path");
    const dataBase64 = requiredString(p, "dataBase64");
    const policy = parseSandbox(p["sandbox"]);
    const problem = strictBase64Problem(dataBase64);
    if (problem !== undefined) {
      throw new RpcError(ErrorCode.InvalidRequest, `${method} requires valid base64 dataBase64: ${problem}`);
    }
    const size = decodedBase64Length(dataBase64);
    if (size > this.maxWriteFileBytes) {
      throw new RpcError(
        ErrorCode.InvalidRequest,
        `${method} refuses ${path}: dataBase64 decodes to ${size} bytes, more than the limit of ${this.maxWriteFileBytes} bytes (maxWriteFileBytes)`,
      );
    }
    return guard(method, path, async () => {
      await assertWriteAllowed(policy, method, path, { followFinal: true });
      await writeFile(path, Buffer.from(dataBase64, "base64"));
      return {};
    });
  }

  /** `fs/createDirectory`: `recursive` (default true) creates parents and accepts an existing directory. */
  async createDirectory(params: FsCreateDirectoryParams): Promise<FsCreateDirectoryResult> {
    const method = "fs/createDirectory";
    const p = paramsObject(params);
    refuseNoFollow(p, method);
    const path = absolutePath(p, "path");
    const recursive = booleanField(p, "recursive", true);
    const policy = parseSandbox(p["sandbox"]);
    return guard(method, path, async () => {
      await assertWriteAllowed(policy, method, path, { followFinal: true });
      await mkdir(path, { recursive });
      return {};
    });
  }

  /**
   * `fs/getMetadata`. `isDirectory`/`isFile`/`size`/times follow symlinks; `isSymlink` comes from
   * lstat. A dangling symlink is described by its own lstat (neither file nor directory) rather
   * than reported as not found, since the path does exist.
   */
  async getMetadata(params: FsGetMetadataParams): Promise<FsGetMetadataResult> {
    const method = "fs/getMetadata";
    const p = paramsObject(params);
    refuseNoFollow(p, method);
    const path = absolutePath(p, "path");
    parseSandbox(p["sandbox"]);
    return guard(method, path, async () => {
      const linkInfo = await lstat(path);
      let info = linkInfo;
      if (linkInfo.isSymbolicLink()) {
        try {
          info = await stat(path);
        } catch (err) {
          if (!(await isNotFoundError(err, path)) && !isLoop(err)) throw err;
          // Dangling or looping link: keep describing the link itself.
        }
      }
      return {
        isDirectory: info.isDirectory(),
        isFile: info.isFile(),
        isSymlink: linkInfo.isSymbolicLink(),
        createdAtMs: epochMs(info.birthtimeMs),
        modifiedAtMs: epochMs(info.mtimeMs),
        size: info.size,
      };
    });
  }

  /**
   * `fs/canonicalize`: the path with every symlink, `.` and `..` resolved (realpath). A missing
   * path is -32004. Reading a path's location is allowed by every sandbox policy.
   */
  async canonicalize(params: FsCanonicalizeParams): Promise<FsCanonicalizeResult> {
    const method = "fs/canonicalize";
    const p = paramsObject(params);
    const path = absolutePath(p, "path");
    parseSandbox(p["sandbox"]);
    return guard(method, path, async () => ({ path: await realpath(path) }));
  }

  /** `fs/readDirectory`: entries sorted by `fileName`; entries whose stat fails are skipped. */
  async readDirectory(params: FsReadDirectoryParams): Promise<FsReadDirectoryResult> {
    const method = "fs/readDirectory";
    const p = paramsObject(params);
    const path = absolutePath(p, "path");
    parseSandbox(p["sandbox"]);
    return guard(method, path, async () => {
      const names = await readdir(path);
      if (names.length > this.maxDirectoryEntries) {
        throw new RpcError(
          ErrorCode.InvalidRequest,
          `${method}: ${path} has ${names.length} entries, more than the limit of ${this.maxDirectoryEntries}`,
        );
      }
      const entries: FsDirectoryEntry[] = [];
      for (let start = 0; start < names.length; start += STAT_BATCH) {
        const batch = names.slice(start, start + STAT_BATCH);
        const infos = await Promise.all(
          batch.map((name) =>
            stat(childPath(path, name)).catch(() => {
              // Contract: an entry whose stat fails (dangling link, raced removal, no permission)
              // is skipped rather than failing the whole listing.
              return undefined;
            }),
          ),
        );
        batch.forEach((fileName, i) => {
          const info = infos[i];
          if (info !== undefined) entries.push({ fileName, isDirectory: info.isDirectory(), isFile: info.isFile() });
        });
      }
      entries.sort((a, b) => (a.fileName < b.fileName ? -1 : a.fileName > b.fileName ? 1 : 0));
      return { entries };
    });
  }

  /**
   * `fs/remove`: lstat; a directory is removed with its tree when `recursive` (default true), else
   * with rmdir; anything else (including a symlink) is unlinked. A missing path succeeds when
   * `force` (default true).
   */
  async remove(params: FsRemoveParams): Promise<FsRemoveResult> {
    const method = "fs/remove";
    const p = paramsObject(params);
    refuseNoFollow(p, method);
    const path = absolutePath(p, "path");
    const recursive = booleanField(p, "recursive", true);
    const force = booleanField(p, "force", true);
    const policy = parseSandbox(p["sandbox"]);
    return guard(method, path, async () => {
      await assertWriteAllowed(policy, method, path, { followFinal: false });
      try {
        const info = await lstat(path);
        if (!info.isDirectory()) await unlink(path);
        else if (recursive) await rm(path, { recursive: true, force: false });
        else await rmdir(path);
      } catch (err) {
        if (force && (await isNotFoundError(err, path))) return {};
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
   * the entries copied before it stay.
   */
  async copy(params: FsCopyParams): Promise<FsCopyResult> {
    const method = "fs/copy";
    const p = paramsObject(params);
    const sourcePath = absolutePath(p, "sourcePath");
    const destinationPath = absolutePath(p, "destinationPath");
    const recursive = booleanField(p, "recursive");
    const policy = parseSandbox(p["sandbox"]);
    return guard(method, sourcePath, async () => {
      const info = await lstat(sourcePath);
      if (info.isDirectory()) {
        if (!recursive) {
          throw new RpcError(
            ErrorCode.InvalidRequest,
            `${method} requires recursive: true to copy directory ${sourcePath}`,
          );
        }
        const realSource = await realpath(sourcePath);
        const realDestination = await resolveRealPath(destinationPath, { followFinal: true });
        if (isWithin(realDestination, realSource)) {
          throw new RpcError(
            ErrorCode.InvalidRequest,
            `${method} cannot copy directory ${sourcePath} into itself or its descendant ${destinationPath}`,
          );
        }
      }
      await copyEntry(method, policy, sourcePath, destinationPath, info);
      return {};
    });
  }

  private async readCapped(path: string, expectedSize: number): Promise<Buffer> {
    const handle = await open(path, "r");
    try {
      const chunks: Buffer[] = [];
      let total = 0;
      const chunkSize = Math.min(Math.max(expectedSize + 1, 64 * 1024), READ_CHUNK_BYTES);
      for (;;) {
        const chunk = Buffer.allocUnsafe(chunkSize);
        const { bytesRead } = await handle.read(chunk, 0, chunkSize, null);
        if (bytesRead === 0) break;
        total += bytesRead;
        // The file may grow after stat (or be a device reporting size 0): enforce while reading.
        if (total > this.maxReadFileBytes) throw this.readTooLarge(path, `more than ${this.maxReadFileBytes} bytes`);
        chunks.push(bytesRead === chunkSize ? chunk : chunk.subarray(0, bytesRead));
      }
      return chunks.length === 1 && chunks[0] !== undefined ? chunks[0] : Buffer.concat(chunks, total);
    } finally {
      await handle.close();
    }
  }

  private readTooLarge(path: string, size: string): RpcError {
    return new RpcError(
      ErrorCode.InvalidRequest,
      `fs/readFile refuses ${path}: file is ${size}, larger than the limit of ${this.maxReadFileBytes} bytes (maxReadFileBytes)`,
    );
  }
}

async function copyEntry(
  method: string,
  policy: SandboxPolicy,
  source: string,
  destination: string,
  info: Stats,
): Promise<void> {
  if (info.isSymbolicLink()) {
    await assertWriteAllowed(policy, method, destination, { followFinal: false });
    await symlink(await readlink(source), destination);
  } else if (info.isFile()) {
    await assertWriteAllowed(policy, method, destination, { followFinal: true });
    await copyFile(source, destination);
  } else if (info.isDirectory()) {
    // Checked per directory and per entry: an existing destination tree may hold a symlink that
    // leads outside the writable roots.
    await assertWriteAllowed(policy, method, destination, { followFinal: true });
    await mkdir(destination, { recursive: true });
    const names = (await readdir(source)).sort();
    for (const name of names) {
      const childSource = childPath(source, name);
      await copyEntry(method, policy, childSource, childPath(destination, name), await lstat(childSource));
    }
  } else {
    throw new RpcError(
      ErrorCode.InvalidRequest,
      `${method} can only copy regular files, directories and symlinks: ${source} is a ${kindOf(info)}`,
    );
  }
}

async function guard<T>(method: string, path: string, body: () => Promise<T>): Promise<T> {
  try {
    return await body();
  } catch (err) {
    throw await toFsRpcError(method, err, path);
  }
}

function limitOption(name: string, value: number | undefined, fallback: number, max: number): number {
  if (value === undefined) return fallback;
  if (!Number.isSafeInteger(value) || value < 0 || value > max) {
    throw new RangeError(`${name} must be an integer number of bytes between 0 and ${max}, got ${value}`);
  }
  return value;
}

function childPath(dir: string, name: string): string {
  return dir.endsWith("/") ? dir + name : `${dir}/${name}`;
}

function epochMs(value: number): number {
  return Number.isFinite(value) && value > 0 ? Math.floor(value) : 0;
}

function isLoop(err: unknown): boolean {
  return err instanceof Error && (err as { code?: unknown }).code === "ELOOP";
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
