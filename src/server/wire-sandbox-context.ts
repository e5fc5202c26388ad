/**
 * Tells codex 0.169 sandbox contexts (`WireFileSystemSandboxContext`, UPSTREAM-0.169.md §4.1) from the
 * seed's sandbox policies (CONTRACT §4): both shapes arrive in the same `sandbox` member. Contexts are
 * enforced by the sandbox library (src/sandbox/), seed policies by src/server/fs/sandbox-policy.ts.
 */
import type { WireFileSystemSandboxContext } from "../../generated/openrpc/types.js";

/** True for a value shaped like a 0.169 context (`permissions` member), as opposed to the seed's policies. */
export function isWireSandboxContext(value: unknown): value is WireFileSystemSandboxContext {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.hasOwn(value, "permissions");
}
