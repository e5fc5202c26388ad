export {
  CODEX_READ_FILE_CAP,
  DEFAULT_MAX_DIRECTORY_ENTRIES,
  DEFAULT_MAX_READ_FILE_BYTES,
  DEFAULT_MAX_WRITE_FILE_BYTES,
  FileSystemService,
  MAX_READ_FILE_BYTES_LIMIT,
  type FileSystemServiceOptions,
} from "./file-system-service.js";
export { ConnectionFiles, type ConnectionFilesOptions } from "./connection-files.js";
export { DEFAULT_MAX_HANDLES_PER_CONNECTION, DEFAULT_MAX_OPEN_FILE_HANDLES, MAX_BLOCK_BYTES, MAX_HANDLE_ID_BYTES } from "./file-handle-table.js";
export { FS_ERROR_CODES, FsFailure, fsDialectOf, type FsDialect } from "./fs-error.js";
export { resolveFsSandbox, UNRESTRICTED_GUARD, type FsSandboxGuard } from "./fs-sandbox-guard.js";
export { DEFAULT_MAX_WATCHED_PATHS, DEFAULT_WATCH_POLL_INTERVAL_MS } from "./missing-path-watch.js";
export { assertWriteAllowed, parseSandbox, UNRESTRICTED, type SandboxPolicy } from "./sandbox-policy.js";
export { METADATA_STAT_MODES, MOUNT_TABLE_MAX_AGE_MS, type MetadataStatMode } from "./metadata-stat.js";
export { MAX_WALK_DEPTH, MAX_WALK_DIRECTORIES, MAX_WALK_ENTRIES, MAX_WALK_RESPONSE_BYTES } from "./walk-tree.js";
export type * from "./types.js";
