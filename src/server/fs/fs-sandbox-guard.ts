/**
 * The `sandbox` of an fs call, resolved once per call into a guard that every path the call touches
 * is checked against (issue 12, fs side). Three shapes reach it:
 *
 * - absent / `null`: unrestricted;
 * - the seed's policies (`{sandboxPolicy: {type: "read-only" | "workspace-write" | ...}}`, CONTRACT §4):
 *   reads always allowed, writes per {@link assertWriteAllowed};
 * - codex 0.169's `WireFileSystemSandboxContext`: resolved by the sandbox library
 *   ({@link ExecSandbox.resolveFs}) and decided per real path ({@link decide}).
 *
 * A refusal is an {@link FsFailure} naming the method, the path, where it resolves and the deciding
 * rule. Its code follows the dialect table (fs-error.ts): the seed answers -32600; codex 0.169 answers
 * what the kernel says inside upstream's bubblewrap sandbox, because codex reacts to those codes
 * (a missing parent → -32004, then it creates the directory and retries):
 * a `deny` entry → -32600 `Permission denied (os error 13)`, a path the sandbox only lets be read →
 * -32603 `Read-only file system (os error 30)` (or -32004 when the parent directory does not exist
 * either), a path no entry covers → -32004 `No such file or directory (os error 2)`.
 */
import { stat } from "node:fs/promises";
import { dirname } from "node:path";
import { decide, grantAt, matchingDenyGlob, type Grant, type SandboxAccess } from "../../sandbox/decide.js";
import type { ExecSandbox } from "../../sandbox/exec-sandbox.js";
import { SandboxRefusedError } from "../../sandbox/sandbox-refused-error.js";
import type { SandboxPolicy as ContextPolicy } from "../../sandbox/sandbox-policy.js";
import { isWireSandboxContext } from "../wire-sandbox-context.js";
import { FsFailure, type FsFailureKind } from "./fs-error.js";
import { osErrorText } from "./os-error-text.js";
import { resolveRealPath } from "./resolve-real-path.js";
import { assertWriteAllowed, parseSandbox, type SandboxPolicy as SeedPolicy } from "./sandbox-policy.js";

/** How a path may be checked. */
export interface GuardCheckOptions {
  /** Resolve the final component's symlink (default true); false for remove and for creating a link. */
  readonly followFinal?: boolean;
  /**
   * The operation creates the path in its parent directory (writeFile, open replace, non-recursive
   * createDirectory, copy destination): a refused write whose parent does not exist reports that first,
   * as the kernel would (codex 0.169 dialect).
   */
  readonly createsInParent?: boolean;
}

/** What a listing (readDirectory, walk) may show of a real path. */
export type ListingGrant = "hidden" | "denied" | "readable";

/** The resolved `sandbox` of one fs call. */
export interface FsSandboxGuard {
  /** False when nothing is restricted (every check passes). */
  readonly restricted: boolean;
  /**
   * Refuses `access` to `path` unless the sandbox allows it, checking the path's real location.
   *
   * @throws FsFailure (`sandbox-*`) when refused; OS errors while resolving the path propagate.
   */
  check(method: string, path: string, access: SandboxAccess, options?: GuardCheckOptions): Promise<void>;
  /** For listings: hidden paths are left out, denied ones are listed but never read. */
  listing(realPath: string): ListingGrant;
}

/** The guard of a call without a sandbox. */
export const UNRESTRICTED_GUARD: FsSandboxGuard = {
  restricted: false,
  check: async () => {},
  listing: () => "readable",
};

/**
 * Resolves an fs call's `sandbox` member into its guard.
 *
 * @throws RpcError -32602 for a malformed sandbox (either shape) or a cwd-dependent 0.169 profile
 *   without a cwd; {@link SandboxRefusedError} (-32600) for a Windows sandbox level, which cannot be
 *   applied on this host (issue 12: refused, never ignored).
 */
export async function resolveFsSandbox(raw: unknown, sandbox: ExecSandbox): Promise<FsSandboxGuard> {
  if (raw === undefined || raw === null) return UNRESTRICTED_GUARD;
  if (isWireSandboxContext(raw)) {
    const policy = await sandbox.resolveFs(raw);
    const level = (raw as { windowsSandboxLevel?: unknown }).windowsSandboxLevel;
    if (level !== "disabled") {
      throw new SandboxRefusedError(
        `windowsSandboxLevel ${JSON.stringify(level)} asks for a Windows sandbox, which this exec-server (${process.platform}) cannot apply; send "disabled"`,
      );
    }
    return policy.enforced && policy.fileSystem.kind === "restricted" ? new ContextGuard(policy) : UNRESTRICTED_GUARD;
  }
  const seed = parseSandbox(raw);
  return seed.type === "danger-full-access" ? UNRESTRICTED_GUARD : new SeedGuard(seed);
}

/** The errno text codex 0.169 would see for each refusal, and the refusal's kind. */
const REFUSALS: Readonly<Record<"denied" | "read-only" | "not-found", { kind: FsFailureKind; errno: string; verb: string }>> = {
  denied: { kind: "sandbox-denied", errno: "EACCES", verb: "is denied by the sandbox" },
  "read-only": { kind: "sandbox-read-only", errno: "EROFS", verb: "is read-only in the sandbox" },
  "not-found": { kind: "sandbox-not-found", errno: "ENOENT", verb: "is outside the sandbox" },
};

/** A refusal: the seed's message, and the same prefixed with the OS text codex 0.169 expects. */
function refusal(which: keyof typeof REFUSALS, seedMessage: string, codexDetail: string = seedMessage): FsFailure {
  const { kind, errno } = REFUSALS[which];
  return new FsFailure(kind, { seed: seedMessage, "codex-0.169": `${osErrorText(errno)}: ${codexDetail}` });
}

async function parentMissing(realPath: string): Promise<boolean> {
  try {
    await stat(dirname(realPath));
    return false;
  } catch {
    // Missing or unreachable: the kernel would answer ENOENT (or worse) before the sandbox mattered.
    return true;
  }
}

/** A codex 0.169 context with a restricted file system. */
class ContextGuard implements FsSandboxGuard {
  readonly restricted = true;

  constructor(private readonly policy: ContextPolicy & { enforced: true }) {}

  async check(method: string, path: string, access: SandboxAccess, options: GuardCheckOptions = {}): Promise<void> {
    const real = await resolveRealPath(path, { followFinal: options.followFinal ?? true });
    const decision = decide(this.policy, real, access);
    const where = real === path ? "" : ` (resolves to ${real})`;
    const lexical = this.policy.fileSystem.kind === "restricted" ? matchingDenyGlob(this.policy.fileSystem.denyGlobs, path) : undefined;
    if (decision.allowed && lexical === undefined) return;
    const rule = lexical === undefined ? decision.rule : `deny glob ${lexical.glob.pattern} (${lexical.source})`;
    const grant: Grant = lexical === undefined ? decision.grant : "deny";
    const which = grant === "deny" ? "denied" : grant === "none" ? "not-found" : "read-only";
    const seedMessage = `${method}: ${access} of ${path}${where} is denied by the sandbox (${rule})`;
    const codexDetail = `${method}: ${access} of ${path}${where} ${REFUSALS[which].verb} (${rule})`;
    if (which === "read-only" && options.createsInParent === true && (await parentMissing(real))) {
      throw new FsFailure("sandbox-not-found", { seed: seedMessage, "codex-0.169": `${osErrorText("ENOENT")}: ${codexDetail}` });
    }
    throw refusal(which, seedMessage, codexDetail);
  }

  listing(realPath: string): ListingGrant {
    if (this.policy.fileSystem.kind !== "restricted") return "readable";
    const { grant } = grantAt(this.policy.fileSystem, realPath);
    return grant === "none" ? "hidden" : grant === "deny" ? "denied" : "readable";
  }
}

/** The seed's `read-only` / `workspace-write` policies: reads are always allowed. */
class SeedGuard implements FsSandboxGuard {
  readonly restricted = true;

  constructor(private readonly policy: SeedPolicy) {}

  async check(method: string, path: string, access: SandboxAccess, options: GuardCheckOptions = {}): Promise<void> {
    if (access === "read") return;
    await assertWriteAllowed(this.policy, method, path, { followFinal: options.followFinal ?? true });
  }

  listing(): ListingGrant {
    return "readable";
  }
}
