import { constants } from "node:os";

/**
 * The text codex 0.169 puts in an fs error: Rust's `io::Error` display of an OS error,
 * `<strerror text> (os error <errno>)`. The released binary is linked against musl, so the texts are
 * musl's (`Symbolic link loop`, not glibc's `Too many levels of symbolic links`). Covers the errors
 * file-system calls produce; others fall back to `Unknown error <n>`.
 */
const MUSL_TEXT: Readonly<Record<string, string>> = {
  EPERM: "Operation not permitted",
  ENOENT: "No such file or directory",
  EINTR: "Interrupted system call",
  EIO: "I/O error",
  ENXIO: "No such device or address",
  EBADF: "Bad file descriptor",
  EAGAIN: "Resource temporarily unavailable",
  ENOMEM: "Out of memory",
  EACCES: "Permission denied",
  EFAULT: "Bad address",
  EBUSY: "Resource busy",
  EEXIST: "File exists",
  EXDEV: "Cross-device link",
  ENODEV: "No such device",
  ENOTDIR: "Not a directory",
  EISDIR: "Is a directory",
  EINVAL: "Invalid argument",
  ENFILE: "Too many open files in system",
  EMFILE: "No file descriptors available",
  ETXTBSY: "Text file busy",
  EFBIG: "File too large",
  ENOSPC: "No space left on device",
  ESPIPE: "Invalid seek",
  EROFS: "Read-only file system",
  EMLINK: "Too many links",
  ENAMETOOLONG: "Filename too long",
  ENOTEMPTY: "Directory not empty",
  ELOOP: "Symbolic link loop",
  ENOSYS: "Function not implemented",
  EOVERFLOW: "Value too large for data type",
  ENOTSUP: "Not supported",
  ESTALE: "Stale file handle",
  EDQUOT: "Quota exceeded",
  ETIMEDOUT: "Operation timed out",
  ECANCELED: "Operation canceled",
};

/** The errno number of a Node error code name (`"ENOENT"` → 2), or undefined for a name this OS does not define. */
export function errnoOf(code: string): number | undefined {
  return (constants.errno as Readonly<Record<string, number>>)[code];
}

/**
 * `No such file or directory (os error 2)` for `"ENOENT"`: the message codex 0.169 answers for an OS
 * error. A code this host does not know is returned as is.
 */
export function osErrorText(code: string): string {
  const errno = errnoOf(code);
  if (errno === undefined) return code;
  return `${MUSL_TEXT[code] ?? `Unknown error ${errno}`} (os error ${errno})`;
}
