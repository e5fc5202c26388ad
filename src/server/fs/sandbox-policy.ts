import { realpath } from "node:fs/promises";
import { isAbsolute } from "node:path";
import { ErrorCode, RpcError } from "../../rpc/rpc-error.js";
import { FsFailure } from "./fs-error.js";
import { osErrorText } from "./os-error-text.js";
import { resolveRealPath } from "./resolve-real-path.js";

/**
 * A parsed sandbox policy (CONTRACT §4 Decision). `danger-full-access` restricts nothing;
 * `read-only` refuses every write-type method; `workspace-write` allows writes only under the
 * realpath of one of `writableRoots` (no implicit cwd or /tmp: the fs layer has no cwd).
 */
export type SandboxPolicy =
  | { readonly type: "danger-full-access" }
  | { readonly type: "read-only" }
  | { readonly type: "workspace-write"; readonly writableRoots: readonly string[] };

/** The policy used when a request carries no `sandbox` (absent or null): unrestricted. */
export const UNRESTRICTED: SandboxPolicy = { type: "danger-full-access" };

/**
 * Parses the `sandbox` param: `{sandboxPolicy: {type, writable_roots?, ...}}` or a bare
 * `{type, ...}` policy. Unknown members are ignored; the writable roots may be spelled
 * `writable_roots` or `writableRoots` (both lists are honoured). Seed policies only: a codex 0.169
 * context (`{permissions, windowsSandboxLevel, ...}`) is resolved by the sandbox library instead
 * (fs-sandbox-guard.ts routes it there before this parser is reached).
 *
 * @throws RpcError -32602 for anything malformed or an unknown policy type: a restrictive policy
 *   the server cannot understand is refused, never ignored.
 */
export function parseSandbox(sandbox: unknown): SandboxPolicy {
  if (sandbox === undefined || sandbox === null) return UNRESTRICTED;
  if (!isPlainObject(sandbox)) throw invalid("sandbox must be an object");
  let policy: Record<string, unknown> = sandbox;
  let where = "sandbox";
  if ("sandboxPolicy" in sandbox) {
    const inner = sandbox["sandboxPolicy"];
    if (!isPlainObject(inner)) throw invalid("sandbox.sandboxPolicy must be an object");
    policy = inner;
    where = "sandbox.sandboxPolicy";
  }
  const type = policy["type"];
  if (typeof type !== "string") {
    throw invalid(`${where}.type must be a string naming the policy (danger-full-access, read-only or workspace-write)`);
  }
  switch (type) {
    case "danger-full-access":
    case "read-only":
      return { type };
    case "workspace-write": {
      const roots = [
        ...parseRoots(policy["writable_roots"], `${where}.writable_roots`),
        ...parseRoots(policy["writableRoots"], `${where}.writableRoots`),
      ];
      return { type, writableRoots: roots };
    }
    default:
      throw invalid(
        `unsupported sandbox policy type ${JSON.stringify(type)} in ${where}.type; expected danger-full-access, read-only or workspace-write`,
      );
  }
}

/**
 * Refuses a write-type operation on `path` that `policy` forbids with an {@link FsFailure}
 * (`sandbox-read-only`: -32600 in the seed dialect, naming the method and the policy; in the codex
 * 0.169 dialect -32603 with `Read-only file system (os error 30): ` before the same text). Under `workspace-write` the target's real location ({@link resolveRealPath}) must equal
 * or lie under the realpath of a writable root, so a symlink inside a root cannot lead outside it.
 * A root that does not exist grants nothing. The check is not atomic with the write that follows:
 * a concurrent swap of a path component for a symlink is not defended against.
 *
 * @param followFinal false when the operation acts on the final component itself (remove, creating a symlink).
 * @throws FsFailure when refused; OS errors while resolving propagate for the caller to map.
 */
export async function assertWriteAllowed(
  policy: SandboxPolicy,
  method: string,
  path: string,
  options: { followFinal: boolean },
): Promise<void> {
  switch (policy.type) {
    case "danger-full-access":
      return;
    case "read-only":
      throw readOnly(`${method} is not allowed by the read-only sandbox policy: ${path}`);
    case "workspace-write": {
      const target = await resolveRealPath(path, options);
      const realRoots = await realRootsOf(policy.writableRoots);
      if (realRoots.some((root) => isWithin(target, root))) return;
      throw readOnly(
        `${method} is not allowed by the workspace-write sandbox policy: ${path}` +
          (target === path ? "" : ` (resolves to ${target})`) +
          ` is outside the writable roots ${JSON.stringify(policy.writableRoots)}`,
      );
    }
  }
}

/** True when `path` equals `dir` or lies beneath it (both absolute and real). */
export function isWithin(path: string, dir: string): boolean {
  if (path === dir) return true;
  return path.startsWith(dir.endsWith("/") ? dir : `${dir}/`);
}

async function realRootsOf(roots: readonly string[]): Promise<string[]> {
  const real: string[] = [];
  for (const root of roots) {
    try {
      real.push(await realpath(root));
    } catch {
      // A root that cannot be resolved (missing, unreadable) grants no write access; skipping it
      // is the restrictive choice.
    }
  }
  return real;
}

function parseRoots(value: unknown, field: string): string[] {
  if (value === undefined || value === null) return [];
  if (!Array.isArray(value)) throw invalid(`${field} must be an array of absolute paths`);
  return value.map((root: unknown, index) => {
    if (typeof root !== "string" || !isAbsolute(root)) {
      throw invalid(`${field}[${index}] must be an absolute path: ${String(root)}`);
    }
    return root;
  });
}

function isPlainObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function readOnly(message: string): FsFailure {
  return new FsFailure("sandbox-read-only", { seed: message, "codex-0.169": `${osErrorText("EROFS")}: ${message}` });
}

function invalid(message: string): RpcError {
  return new RpcError(ErrorCode.InvalidParams, message);
}
