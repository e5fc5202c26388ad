import type { ChildEvents, ChildHandle } from "../server/process/child-handle.js";
import { spawnPipeChild } from "../server/process/pipe-child.js";
import { spawnPtyChild } from "../server/process/pty-child.js";
import { signalSession } from "../server/process/signal-session.js";
import { BubblewrapLauncher, type BubblewrapLauncherOptions, type SandboxedChildHandle, type SandboxedSpawnRequest } from "./bubblewrap-launcher.js";
import type { BubblewrapAvailability } from "./bubblewrap-availability.js";
import type { PathUriDecoder } from "./decode-path-uri.js";
import { parseSandboxContext } from "./parse-sandbox-context.js";
import type { SandboxContext } from "./permission-profile.js";
import { resolveSandboxPolicy } from "./resolve-sandbox-policy.js";
import { isLikelySandboxDenied } from "./sandbox-denied.js";
import { sandboxTypeOf, type SandboxPolicy } from "./sandbox-policy.js";
import { SandboxRefusedError } from "./sandbox-refused-error.js";

/** Options of {@link ExecSandbox}. */
export interface ExecSandboxOptions extends BubblewrapLauncherOptions {
  /**
   * Run sandboxed requests WITHOUT a sandbox when bubblewrap is unusable (reported as
   * `sandboxType: "none"`). Off by default: such requests are refused. Operator-only (a CLI flag).
   */
  readonly allowUnsandboxed?: boolean;
  /** PathUri decoder shared with the rest of the server; default a strict `file:` decoder. */
  readonly decodePath?: PathUriDecoder;
}

/** What `process/start` knows besides the raw `sandbox` member. */
export interface ProcessSandboxRequest {
  /** The process cwd (native, absolute). */
  readonly cwd: string;
  /** The child environment (its TMPDIR resolves the `tmpdir` special path). */
  readonly env: Readonly<Record<string, string>>;
  /** `process/start.enforceManagedNetwork`: refused (this server has no managed network proxy). */
  readonly enforceManagedNetwork?: boolean;
}

/** A `process/start` whose sandbox is resolved and checked: spawn it, report `sandboxType`, classify failures. */
export interface PreparedProcess {
  readonly policy: SandboxPolicy;
  /** What `process/start` answers. */
  readonly sandboxType: "none" | "linuxSeccomp";
  /** Spawns the child (sandboxed or not). The handle's `signal` is what terminate/interrupt should use. */
  spawn(request: SandboxedSpawnRequest, events: ChildEvents): Promise<SandboxedChildHandle>;
  /** `sandboxDenied` for a child that exited with `exitCode` after writing `output`. */
  sandboxDenied(exitCode: number, output: Iterable<Uint8Array | string>): boolean;
}

/**
 * The sandbox as the server uses it: one per server. `process/start` calls
 * {@link ExecSandbox.prepareProcess}; fs methods call {@link ExecSandbox.resolveFs} and then
 * `assertFsAccess` for each path they touch.
 */
export class ExecSandbox {
  readonly launcher: BubblewrapLauncher;
  private readonly allowUnsandboxed: boolean;
  private readonly decodePath: PathUriDecoder | undefined;

  /** @throws RangeError for an invalid limit. */
  constructor(options: ExecSandboxOptions = {}) {
    this.launcher = new BubblewrapLauncher(options);
    this.allowUnsandboxed = options.allowUnsandboxed ?? false;
    this.decodePath = options.decodePath;
  }

  /** True when sandboxed requests run unsandboxed while bubblewrap is unusable (`allowUnsandboxed`). */
  get allowsUnsandboxed(): boolean {
    return this.allowUnsandboxed;
  }

  /** Whether bubblewrap works here (probed once). Call at server start to log the reason early. */
  availability(): Promise<BubblewrapAvailability> {
    return this.launcher.availability();
  }

  /**
   * Parses and resolves `process/start.sandbox` (`rawSandbox`, the wire value) for a process in
   * `request.cwd`.
   *
   * @throws RpcError -32602 for a malformed context; {@link SandboxRefusedError} (-32600) for
   *   `enforceManagedNetwork`, or an enforced policy while bubblewrap is unusable (unless
   *   `allowUnsandboxed`).
   */
  async prepareProcess(rawSandbox: unknown, request: ProcessSandboxRequest): Promise<PreparedProcess> {
    const context = parseSandboxContext(rawSandbox, this.decodePath === undefined ? {} : { decodePath: this.decodePath });
    refuseUnsupportedContext(context);
    if (request.enforceManagedNetwork === true) {
      throw new SandboxRefusedError("enforceManagedNetwork is not supported: this exec-server has no managed network proxy");
    }
    const tmpdir = request.env["TMPDIR"];
    let policy = await resolveSandboxPolicy(context, { processCwd: request.cwd, ...(tmpdir === undefined ? {} : { tmpdir }) });
    if (policy.enforced) {
      const available = await this.launcher.availability();
      if (!available.usable) {
        if (!this.allowUnsandboxed) throw new SandboxRefusedError(available.reason);
        policy = { enforced: false, reason: `bubblewrap is unusable and unsandboxed runs are allowed: ${available.reason}`, notes: policy.notes };
      }
    }
    const resolved = policy;
    return {
      policy: resolved,
      sandboxType: sandboxTypeOf(resolved),
      spawn: (spawnRequest, events) => this.spawn(resolved, spawnRequest, events),
      sandboxDenied: (exitCode, output) =>
        isLikelySandboxDenied({
          sandboxed: resolved.enforced,
          networkRestricted: resolved.enforced && resolved.network === "restricted",
          exitCode,
          output,
        }),
    };
  }

  /**
   * Parses and resolves an fs method's `sandbox` (no process cwd: a cwd-dependent profile needs the
   * context's cwd). fs methods never need bubblewrap: they check every path with `decide`.
   *
   * @throws RpcError -32602 for a malformed context or `file system sandbox context with dynamic permissions requires cwd`.
   */
  async resolveFs(rawSandbox: unknown, serverTmpdir: string | undefined = process.env["TMPDIR"]): Promise<SandboxPolicy> {
    const context = parseSandboxContext(rawSandbox, this.decodePath === undefined ? {} : { decodePath: this.decodePath });
    refuseUnsupportedContext(context);
    return resolveSandboxPolicy(context, serverTmpdir === undefined ? {} : { tmpdir: serverTmpdir });
  }

  /** Removes the launcher's state. */
  dispose(): Promise<void> {
    return this.launcher.dispose();
  }

  private async spawn(policy: SandboxPolicy, request: SandboxedSpawnRequest, events: ChildEvents): Promise<SandboxedChildHandle> {
    if (policy.enforced) return this.launcher.spawn(policy, request, events);
    const handle: ChildHandle = request.tty ? await spawnPtyChild(request, events) : await spawnPipeChild(request, events);
    const leader = handle.pid;
    return { ...handle, signal: (signal) => signalSession(leader, signal) };
  }
}

/**
 * Refuses what this Linux server cannot apply as asked: a Windows sandbox level other than
 * `disabled` (`restricted-token`, `elevated`, `mxc` select Windows sandbox implementations; codex on
 * Linux always sends `disabled`). `sandboxOverride` is accepted and changes nothing, as in codex
 * 0.169 (the client itself drops the sandbox, `sandbox: null`, for an approved escalation).
 *
 * @throws SandboxRefusedError (-32600)
 */
function refuseUnsupportedContext(context: SandboxContext | null): void {
  if (context === null || context.windowsSandboxLevel === "disabled") return;
  throw new SandboxRefusedError(
    `windowsSandboxLevel ${JSON.stringify(context.windowsSandboxLevel)} selects a Windows sandbox, which this ${process.platform} exec-server cannot apply ` +
      `(send "disabled": the permission profile is enforced with bubblewrap)`,
  );
}
