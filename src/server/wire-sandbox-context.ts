/**
 * codex 0.169 sandbox contexts (`WireFileSystemSandboxContext`, UPSTREAM-0.169.md §4.1) as this
 * server understands them today: it enforces none of their restrictions, so a context is either
 * unrestricted for the use at hand (and the operation runs directly, as upstream runs its
 * unrestricted profiles) or refused with -32602 naming what it restricts. Never ignored.
 */
import type { ExecPermissionProfile, WireFileSystemSandboxContext } from "../../generated/openrpc/types.js";
import { ErrorCode, RpcError } from "../rpc/rpc-error.js";

/** What the sandbox would confine: a filesystem call, or a process (files and network). */
export type SandboxUse = "filesystem" | "process";

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** True for a value shaped like a 0.169 context (`permissions` member), as opposed to the seed's policies. */
export function isWireSandboxContext(value: unknown): value is WireFileSystemSandboxContext {
  return isRecord(value) && Object.hasOwn(value, "permissions");
}

/**
 * Describes what `context` restricts for `use`, or undefined when it restricts nothing that matters:
 * `disabled` and `external` profiles (the sandbox lives outside codex), and `managed` profiles with an
 * `unrestricted` file system (and, for a process, `enabled` network).
 */
export function wireSandboxRestriction(context: WireFileSystemSandboxContext, use: SandboxUse): string | undefined {
  const permissions = context.permissions as ExecPermissionProfile | undefined;
  if (!isRecord(permissions)) return "permissions (not an object)";
  switch (permissions.type) {
    case "disabled":
    case "external":
      return undefined;
    case "managed": {
      const fileSystem = permissions.file_system;
      if (fileSystem.type !== "unrestricted") return `permissions.file_system.type ${JSON.stringify(fileSystem.type)}`;
      if (use === "process" && permissions.network !== "enabled") return `permissions.network ${JSON.stringify(permissions.network)}`;
      return undefined;
    }
    default:
      return `permissions.type ${JSON.stringify((permissions as { type?: unknown }).type)}`;
  }
}

/**
 * Refuses (-32602) a context that restricts something for `use`, naming the member and the
 * restriction; returns normally for an unrestricted one.
 */
export function refuseRestrictedWireSandbox(context: WireFileSystemSandboxContext, use: SandboxUse, member: string): void {
  const restriction = wireSandboxRestriction(context, use);
  if (restriction === undefined) return;
  // TODO(issue 11, sandbox issue): enforce restricted codex 0.169 sandboxes instead of refusing them.
  throw new RpcError(
    ErrorCode.InvalidParams,
    `${member} restricts ${restriction}, which this exec-server does not enforce yet; only unrestricted codex 0.169 sandboxes are accepted ` +
      `(permissions "disabled" or "external", or "managed" with an "unrestricted" file_system${use === "process" ? ' and "enabled" network' : ""})`,
  );
}
