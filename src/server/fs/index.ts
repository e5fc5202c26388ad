export {
  DEFAULT_MAX_READ_FILE_BYTES,
  DEFAULT_MAX_WRITE_FILE_BYTES,
  FileSystemService,
  MAX_READ_FILE_BYTES_LIMIT,
  type FileSystemServiceOptions,
} from "./file-system-service.js";
export { assertWriteAllowed, parseSandbox, UNRESTRICTED, type SandboxPolicy } from "./sandbox-policy.js";
export type * from "./types.js";
