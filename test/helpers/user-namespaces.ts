import { spawnSync } from "node:child_process";

/** How long the probe may take before it counts as failed (ms). */
const PROBE_TIMEOUT_MS = 10_000;

let cached: { ok: true } | { missing: string } | undefined;

/**
 * Whether this machine lets a process create a user namespace with a network namespace inside it — what
 * bubblewrap needs for a sandboxed child (the Rust exec-server's and ours). Probed once per test process with
 * `unshare --user --map-root-user --net true` (util-linux). Returns the reason when it cannot.
 */
export function probeUserNamespaces(): { ok: true } | { missing: string } {
  if (cached !== undefined) return cached;
  const probe = spawnSync("unshare", ["--user", "--map-root-user", "--net", "true"], { encoding: "utf8", timeout: PROBE_TIMEOUT_MS });
  if (probe.error !== undefined) cached = { missing: `cannot run unshare to probe user namespaces: ${probe.error.message}` };
  else if (probe.status !== 0) cached = { missing: `user namespaces are refused here (unshare --user --net: ${probe.stderr.trim() || `exit ${probe.status}`})` };
  else cached = { ok: true };
  return cached;
}

/**
 * For `describe(name, { skip: userNamespacesSkip() }, ...)` around sandboxed-process tests: false when user
 * namespaces work; else the reason to skip. Under `CI=true` their absence is a failure, not a skip (a sandbox
 * left untested in CI would pass silently): this throws, failing the test file.
 */
export function userNamespacesSkip(): false | string {
  const found = probeUserNamespaces();
  if ("ok" in found) return false;
  if (process.env["CI"] === "true") throw new Error(`CI=true and ${found.missing}`);
  return found.missing;
}
