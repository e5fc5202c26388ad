import { chmod, lstat, mkdtemp, readlink, realpath, rm, rmdir, unlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import type { ChildEvents, ChildHandle, ChildSpawnRequest } from "../server/process/child-handle.js";
import { spawnPipeChild } from "../server/process/pipe-child.js";
import { spawnPtyChild } from "../server/process/pty-child.js";
import { buildBubblewrapArgs, type AliasLink } from "./bubblewrap-args.js";
import { DEFAULT_BWRAP_PATH, detectBubblewrap, type BubblewrapAvailability } from "./bubblewrap-availability.js";
import { decide } from "./decide.js";
import type { SandboxPolicy } from "./sandbox-policy.js";
import { SandboxRefusedError } from "./sandbox-refused-error.js";
import { scanDenyGlobs } from "./scan-deny-globs.js";
import { SandboxSignaller } from "./sandbox-signaller.js";

/** Options of {@link BubblewrapLauncher}; every limit has a default. */
export interface BubblewrapLauncherOptions {
  /** The bwrap binary. Default `/usr/bin/bwrap` (Debian package `bubblewrap`). */
  readonly bwrapPath?: string;
  /** Directory entries a launch may scan to expand deny globs. Default 200 000. */
  readonly maxGlobScanEntries?: number;
  /** Glob matches a launch may mask. Default 4 096 (each is one bwrap argument triple). */
  readonly maxGlobMatches?: number;
  /** Where the launcher keeps its mode-000 empty file. Default `os.tmpdir()`. */
  readonly stateDir?: string;
}

/** The command to run inside the sandbox. */
export interface SandboxedCommand {
  readonly argv: readonly [string, ...string[]];
  /** argv[0] override, applied inside through `bash -c 'exec -a "$0" "$@"'` (bwrap 0.8 has no `--argv0`). */
  readonly arg0: string | undefined;
  /** Working directory (as the client gave it; the sandbox changes into its real path). */
  readonly cwd: string;
  readonly env: Readonly<Record<string, string>>;
}

/** A prepared bubblewrap command line. */
export interface BubblewrapInvocation {
  readonly file: string;
  /** Everything after `file`: bwrap options, `--`, the command. */
  readonly args: readonly string[];
  /** Placeholders bwrap creates on the host for missing denied paths (see {@link BubblewrapPlan}). */
  readonly placeholders: readonly string[];
  /** Call once the sandbox is gone: removes this launch's placeholders no other live launch shares. */
  release(): Promise<void>;
}

/** A sandboxed child: a {@link ChildHandle} plus signalling that spares bubblewrap's own processes. */
export interface SandboxedChildHandle extends ChildHandle {
  /**
   * Signals the command and its descendants, once it exists when bubblewrap is still setting up;
   * SIGKILL kills the whole sandbox. See {@link SandboxSignaller}.
   */
  signal(signal: NodeJS.Signals): boolean;
}

/** A sandboxed spawn: the usual request plus whether it gets a PTY. */
export interface SandboxedSpawnRequest extends ChildSpawnRequest {
  readonly tty: boolean;
}

/**
 * Runs commands inside bubblewrap according to an enforced {@link SandboxPolicy}: probes bwrap once
 * ({@link BubblewrapLauncher.availability}), expands deny globs, builds the command line
 * ({@link buildBubblewrapArgs}) and spawns it through the ordinary pipe or PTY spawner, so output,
 * exit codes and flow control behave as for any child. `bwrap` is the session leader; the command
 * runs in new user, pid and ipc namespaces (and a network namespace when the network is
 * restricted) with every capability dropped, and dies with bwrap.
 */
export class BubblewrapLauncher {
  private readonly bwrapPath: string;
  private readonly maxGlobScanEntries: number;
  private readonly maxGlobMatches: number;
  private readonly stateDir: string;
  private probe: Promise<BubblewrapAvailability> | undefined;
  private emptyFilePromise: Promise<{ dir: string; file: string }> | undefined;
  /** Placeholder path → number of live launches using it. */
  private readonly placeholderUsers = new Map<string, number>();

  /** @throws RangeError for a limit that is not a positive integer. */
  constructor(options: BubblewrapLauncherOptions = {}) {
    this.bwrapPath = options.bwrapPath ?? DEFAULT_BWRAP_PATH;
    this.maxGlobScanEntries = positive(options.maxGlobScanEntries ?? 200_000, "maxGlobScanEntries");
    this.maxGlobMatches = positive(options.maxGlobMatches ?? 4_096, "maxGlobMatches");
    this.stateDir = options.stateDir ?? tmpdir();
  }

  /** Whether bubblewrap works here (probed on first call, then cached). */
  availability(): Promise<BubblewrapAvailability> {
    this.probe ??= detectBubblewrap(this.bwrapPath);
    return this.probe;
  }

  /**
   * The bwrap command line for `command` under `policy`.
   *
   * @throws SandboxRefusedError when bubblewrap is unusable, the cwd is not readable under the
   *   policy, or a deny glob exceeds the scan limits.
   */
  async prepare(policy: SandboxPolicy & { enforced: true }, command: SandboxedCommand): Promise<BubblewrapInvocation> {
    const available = await this.availability();
    if (!available.usable) throw new SandboxRefusedError(available.reason);
    let cwd: string;
    try {
      cwd = await realpath(command.cwd);
    } catch (error) {
      throw new SandboxRefusedError(`cwd ${command.cwd}: ${error instanceof Error ? error.message : String(error)}`);
    }
    const cwdDecision = decide(policy, cwd, "read");
    if (!cwdDecision.allowed) {
      throw new SandboxRefusedError(`cwd ${command.cwd} is not readable inside the sandbox (${cwdDecision.rule})`);
    }
    const fileSystem = policy.fileSystem;
    const globMatches =
      fileSystem.kind === "restricted"
        ? await scanDenyGlobs(fileSystem.denyGlobs, { maxScanEntries: this.maxGlobScanEntries, maxMatches: this.maxGlobMatches })
        : [];
    const aliases = fileSystem.kind === "restricted" ? await aliasLinks(fileSystem.rules.flatMap((rule) => rule.alias ?? [])) : [];
    const { file: emptyFile } = await this.emptyFile();
    const plan = buildBubblewrapArgs(policy, { globMatches, aliases, emptyFile, cwd });
    const created = await this.claimPlaceholders(plan.placeholders);
    const inner = command.arg0 === undefined ? [...command.argv] : ["bash", "-c", 'exec -a "$0" "$@"', command.arg0, ...command.argv];
    let released = false;
    return {
      file: available.path,
      args: [...plan.args, "--", ...inner],
      placeholders: plan.placeholders,
      release: async () => {
        if (released) return;
        released = true;
        await this.releasePlaceholders(created);
      },
    };
  }

  /**
   * Spawns `request` sandboxed (pipes, or a PTY when `request.tty`). Rejects like the unsandboxed
   * spawners on a spawn error, and with {@link SandboxRefusedError} when the sandbox cannot be set up.
   */
  async spawn(policy: SandboxPolicy & { enforced: true }, request: SandboxedSpawnRequest, events: ChildEvents): Promise<SandboxedChildHandle> {
    const invocation = await this.prepare(policy, request);
    const release = (): void => {
      void invocation.release().catch(() => {
        // Placeholder cleanup is best effort: a leftover empty file is harmless and reported nowhere.
      });
    };
    let signaller: SandboxSignaller | undefined;
    let exited = false;
    const forwarding: ChildEvents = {
      onOutput: (stream, data) => events.onOutput(stream, data),
      onExit: (exitCode) => {
        exited = true;
        signaller?.stop();
        events.onExit(exitCode);
      },
      onClose: () => {
        events.onClose();
        release();
      },
      onFailure: (message) => events.onFailure(message),
    };
    const bwrapRequest: ChildSpawnRequest = {
      argv: [invocation.file, ...invocation.args],
      arg0: undefined,
      // bwrap changes into the sandbox cwd itself (--chdir); its own cwd does not matter.
      cwd: "/",
      env: request.env,
      pipeStdin: request.pipeStdin,
      clock: request.clock,
    };
    let handle: ChildHandle;
    try {
      handle = request.tty ? await spawnPtyChild(bwrapRequest, forwarding) : await spawnPipeChild(bwrapRequest, forwarding);
    } catch (error) {
      release();
      throw error;
    }
    const started = new SandboxSignaller(handle.pid, request.clock);
    if (exited) started.stop();
    signaller = started;
    return { ...handle, signal: (signal) => started.signal(signal) };
  }

  /** Removes the launcher's empty file. Live sandboxes keep their bind of it. */
  async dispose(): Promise<void> {
    const state = this.emptyFilePromise;
    this.emptyFilePromise = undefined;
    if (state !== undefined) await rm((await state).dir, { recursive: true, force: true });
  }

  private emptyFile(): Promise<{ dir: string; file: string }> {
    this.emptyFilePromise ??= (async () => {
      const dir = await mkdtemp(join(this.stateDir, "exec-server-sandbox-"));
      const file = join(dir, "denied");
      await writeFile(file, "");
      // Mode 000: with every capability dropped, not even root can open it inside the sandbox.
      await chmod(file, 0o000);
      return { dir, file };
    })();
    return this.emptyFilePromise;
  }

  /** Counts this launch as a user of its placeholders; returns each with the missing directories bwrap will create for it. */
  private async claimPlaceholders(paths: readonly string[]): Promise<{ path: string; createdDirs: string[] }[]> {
    const claimed: { path: string; createdDirs: string[] }[] = [];
    for (const path of paths) {
      const createdDirs: string[] = [];
      for (let dir = dirname(path); dir !== "/" && !(await exists(dir)); dir = dirname(dir)) createdDirs.push(dir);
      this.placeholderUsers.set(path, (this.placeholderUsers.get(path) ?? 0) + 1);
      claimed.push({ path, createdDirs });
    }
    return claimed;
  }

  private async releasePlaceholders(claimed: readonly { path: string; createdDirs: string[] }[]): Promise<void> {
    for (const { path, createdDirs } of claimed) {
      const users = (this.placeholderUsers.get(path) ?? 1) - 1;
      if (users > 0) {
        this.placeholderUsers.set(path, users);
        continue;
      }
      this.placeholderUsers.delete(path);
      try {
        const info = await lstat(path);
        // Only the empty file bwrap made; anything else was put there by someone else since.
        if (info.isFile() && info.size === 0) await unlink(path);
      } catch {
        // Already gone.
      }
      for (const dir of createdDirs) {
        // Deepest first; a directory someone filled meanwhile stays (ENOTEMPTY).
        await rmdir(dir).catch(() => undefined);
      }
    }
  }
}

async function aliasLinks(aliases: readonly string[]): Promise<AliasLink[]> {
  const links: AliasLink[] = [];
  for (const alias of aliases) {
    try {
      const parent = dirname(alias);
      if ((await realpath(parent)) !== parent) continue; // only a final-component link can be recreated
      if (!(await lstat(alias)).isSymbolicLink()) continue;
      links.push({ path: alias, target: await readlink(alias) });
    } catch {
      // Vanished or unreadable: the real path is still reachable, only this alias is not recreated.
    }
  }
  return links;
}

async function exists(path: string): Promise<boolean> {
  try {
    await lstat(path);
    return true;
  } catch {
    return false;
  }
}

function positive(value: number, name: string): number {
  if (!Number.isSafeInteger(value) || value < 1) throw new RangeError(`${name} must be a positive integer, got ${value}`);
  return value;
}
