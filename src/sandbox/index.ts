/**
 * Sandboxed execution (issue 12): codex 0.169 permission profiles parsed, resolved into one
 * policy, decided per path, and enforced for child processes with bubblewrap. See docs/sandbox.md.
 */
export { assertFsAccess } from "./assert-fs-access.js";
export { BASE_ARGS, buildBubblewrapArgs } from "./bubblewrap-args.js";
export type { AliasLink, BubblewrapPlan, BubblewrapPlanInput, MountTarget } from "./bubblewrap-args.js";
export { DEFAULT_BWRAP_PATH, detectBubblewrap } from "./bubblewrap-availability.js";
export type { BubblewrapAvailability } from "./bubblewrap-availability.js";
export { BubblewrapLauncher } from "./bubblewrap-launcher.js";
export type {
  BubblewrapInvocation,
  BubblewrapLauncherOptions,
  SandboxedChildHandle,
  SandboxedCommand,
  SandboxedSpawnRequest,
} from "./bubblewrap-launcher.js";
export { decodeFilePathUri } from "./decode-path-uri.js";
export type { PathUriDecoder } from "./decode-path-uri.js";
export { decide, grantAt, isWithin } from "./decide.js";
export type { Grant, SandboxAccess, SandboxDecision } from "./decide.js";
export { ExecSandbox } from "./exec-sandbox.js";
export type { ExecSandboxOptions, PreparedProcess, ProcessSandboxRequest } from "./exec-sandbox.js";
export { parseSandboxContext } from "./parse-sandbox-context.js";
export { compileGlob, escapeGlob, GlobSyntaxError } from "./path-glob.js";
export type * from "./permission-profile.js";
export { DYNAMIC_REQUIRES_CWD, MINIMAL_READ_ROOTS, PROTECTED_NAMES, resolveSandboxPolicy } from "./resolve-sandbox-policy.js";
export type { ResolveInput } from "./resolve-sandbox-policy.js";
export { isLikelySandboxDenied, NETWORK_DENIED_KEYWORDS, SANDBOX_DENIED_KEYWORDS } from "./sandbox-denied.js";
export { NO_SANDBOX, sandboxTypeOf } from "./sandbox-policy.js";
export type { DenyGlob, PathKind, PolicyRule, RestrictedFileSystem, RuleAccess, SandboxPolicy } from "./sandbox-policy.js";
export { SandboxRefusedError } from "./sandbox-refused-error.js";
export { PENDING_SIGNAL_POLL_MS, SandboxSignaller } from "./sandbox-signaller.js";
export { signalSandboxedSession } from "./signal-sandboxed-session.js";
