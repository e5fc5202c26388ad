import { ErrorCode, RpcError } from "../rpc/rpc-error.js";
import { resolveRealPath } from "../server/fs/resolve-real-path.js";
import { decide, matchingDenyGlob, type SandboxAccess } from "./decide.js";
import type { SandboxPolicy } from "./sandbox-policy.js";

/**
 * Refuses (-32600) an fs method's `access` to `path` that `policy` forbids. The path's real
 * location is what is checked (`resolveRealPath`: symlinks followed, a missing tail kept), so a
 * link inside a writable root cannot lead outside it; with `followFinal: false` (remove, creating a
 * link) the final component itself is checked. Deny globs are also matched against the path as
 * written, so a link named like a denied file is refused too (upstream's fs checks both spellings).
 * The message names the method, the path, where it resolves and the deciding rule:
 * `fs/readFile: read of /w/secret/a is denied by the sandbox (deny entry 3 (path /w/secret) at /w/secret)`.
 *
 * Not atomic with the operation that follows (see docs/filesystem.md "Not defended").
 *
 * @throws RpcError -32600 when refused; OS errors while resolving propagate for the caller to map.
 */
export async function assertFsAccess(
  policy: SandboxPolicy,
  method: string,
  path: string,
  access: SandboxAccess,
  options: { followFinal: boolean } = { followFinal: true },
): Promise<void> {
  if (!policy.enforced || policy.fileSystem.kind === "unrestricted") return;
  const real = await resolveRealPath(path, options);
  const decision = decide(policy, real, access);
  const where = real === path ? "" : ` (resolves to ${real})`;
  if (!decision.allowed) {
    throw new RpcError(ErrorCode.InvalidRequest, `${method}: ${access} of ${path}${where} is denied by the sandbox (${decision.rule})`);
  }
  const lexicalGlob = matchingDenyGlob(policy.fileSystem.denyGlobs, path);
  if (lexicalGlob !== undefined) {
    throw new RpcError(
      ErrorCode.InvalidRequest,
      `${method}: ${access} of ${path} is denied by the sandbox (deny glob ${lexicalGlob.glob.pattern} (${lexicalGlob.source}))`,
    );
  }
}
