/** Exit status of a process killed by SIGSYS (a seccomp kill). */
const SIGSYS_EXIT = 128 + 31;

/**
 * Output words that mean the sandbox refused something (codex's `is_likely_sandbox_denied`
 * keywords, matched case-insensitively).
 */
export const SANDBOX_DENIED_KEYWORDS: readonly string[] = [
  "operation not permitted",
  "permission denied",
  "read-only file system",
  "seccomp",
  "sandbox",
  "landlock",
  "failed to write file",
];

/**
 * Extra words used when the network is cut off. Upstream's seccomp filter makes `socket()` fail with
 * EPERM ("Operation not permitted", already a keyword); our network namespace instead leaves only a
 * loopback device, so connections fail with these.
 */
export const NETWORK_DENIED_KEYWORDS: readonly string[] = [
  "network is unreachable",
  "temporary failure in name resolution",
  "could not resolve host",
  "name or service not known",
];

/** Shell statuses that mean an ordinary failure: builtin misuse, not executable, not found. */
const QUICK_REJECT_EXIT_CODES: ReadonlySet<number> = new Set([2, 126, 127]);

/** What {@link isLikelySandboxDenied} looks at. */
export interface DeniedInput {
  /** Whether the command ran sandboxed (`sandboxType` other than `none`). */
  readonly sandboxed: boolean;
  /** Whether the network was cut off (adds {@link NETWORK_DENIED_KEYWORDS}). */
  readonly networkRestricted: boolean;
  readonly exitCode: number;
  /** The command's output (stdout, stderr or PTY), e.g. the retained chunks. */
  readonly output: Iterable<Uint8Array | string>;
}

/**
 * `sandboxDenied`: true when a sandboxed command's failure looks like a sandbox refusal, as codex
 * decides it (codex-rs `is_likely_sandbox_denied`): never for an unsandboxed command or exit 0; yes
 * when the output names a denial keyword (also for exit 2, 126, 127 — a shell that could not create
 * a file on a read-only mount exits 2); otherwise no for 2, 126, 127; yes for a SIGSYS death.
 * Codex uses the flag to offer re-running the command with more permissions.
 */
export function isLikelySandboxDenied(input: DeniedInput): boolean {
  if (!input.sandboxed || input.exitCode === 0) return false;
  const keywords = input.networkRestricted ? [...SANDBOX_DENIED_KEYWORDS, ...NETWORK_DENIED_KEYWORDS] : SANDBOX_DENIED_KEYWORDS;
  const longest = Math.max(...keywords.map((k) => k.length));
  // Scan chunk by chunk, keeping a tail so a keyword split across chunks is still found.
  let tail = "";
  for (const chunk of input.output) {
    const decoded = typeof chunk === "string" ? chunk : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength).toString("utf8");
    const text = tail + decoded.toLowerCase();
    if (keywords.some((keyword) => text.includes(keyword))) return true;
    tail = text.slice(-(longest - 1));
  }
  if (QUICK_REJECT_EXIT_CODES.has(input.exitCode)) return false;
  return input.exitCode === SIGSYS_EXIT;
}
