import { execFile } from "node:child_process";
import { constants as fsConstants } from "node:fs";
import { access } from "node:fs/promises";

/** Where Debian's `bubblewrap` package installs bwrap. */
export const DEFAULT_BWRAP_PATH = "/usr/bin/bwrap";

/** How long the start-up probe may take before bubblewrap counts as unusable, in ms. */
const PROBE_TIMEOUT_MS = 15_000;

/** Whether bubblewrap can sandbox children on this host, and if not, why. */
export type BubblewrapAvailability =
  | { readonly usable: true; readonly path: string; readonly version: string }
  | { readonly usable: false; readonly path: string; readonly reason: string };

/**
 * Probes `bwrapPath` once: it must exist, answer `--version`, and run a trivial command (`node --version`) with every
 * namespace the launcher uses (user, pid, ipc, net) and all capabilities dropped. A refusal (no
 * binary, user namespaces disabled by `kernel.unprivileged_userns_clone=0`, an AppArmor
 * restriction, a seccomp'd container) comes back as `{usable: false, reason}` naming the cause.
 */
export async function detectBubblewrap(bwrapPath: string = DEFAULT_BWRAP_PATH): Promise<BubblewrapAvailability> {
  try {
    await access(bwrapPath, fsConstants.X_OK);
  } catch {
    return {
      usable: false,
      path: bwrapPath,
      reason: `bubblewrap is not installed at ${bwrapPath} (Debian/Ubuntu: apt-get install bubblewrap)`,
    };
  }
  const version = await run(bwrapPath, ["--version"]);
  if (!version.ok) return { usable: false, path: bwrapPath, reason: `${bwrapPath} --version failed: ${version.output}` };
  const trial = await run(bwrapPath, [
    "--unshare-user",
    "--unshare-pid",
    "--unshare-ipc",
    "--unshare-net",
    "--die-with-parent",
    "--cap-drop",
    "ALL",
    "--ro-bind",
    "/",
    "/",
    "--dev",
    "/dev",
    "--proc",
    "/proc",
    "--tmpfs",
    "/tmp",
    "--",
    // `node --version` answers before Node starts its VM (≈ 1 ms, against ≈ 50 ms of CPU for
    // `node -e ''`): the probe runs while a starting server answers its first requests.
    process.execPath,
    "--version",
  ]);
  if (!trial.ok) {
    return {
      usable: false,
      path: bwrapPath,
      reason:
        `bubblewrap cannot create its namespaces here (${trial.output}); ` +
        "unprivileged user namespaces may be disabled (kernel.unprivileged_userns_clone, " +
        "kernel.apparmor_restrict_unprivileged_userns) or forbidden by a container's seccomp profile",
    };
  }
  return { usable: true, path: bwrapPath, version: version.output };
}

function run(file: string, args: string[]): Promise<{ ok: boolean; output: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { timeout: PROBE_TIMEOUT_MS, env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin" } }, (error, stdout, stderr) => {
      const output = `${stdout}${stderr}`.trim() || (error?.message ?? "");
      resolve({ ok: error === null, output: output.slice(0, 500) });
    });
  });
}
