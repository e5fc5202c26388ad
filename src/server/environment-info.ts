/**
 * `EnvironmentInfo` (codex 0.169): what `environment/info` answers and `initialize` carries. Paths
 * are native here; the edge path codec sends them as `file:` URIs.
 */
import { createHash } from "node:crypto";
import { existsSync } from "node:fs";
import { homedir, tmpdir, userInfo } from "node:os";
import { basename, isAbsolute } from "node:path";
import type { EnvironmentCapabilities, EnvironmentInfo, ShellInfo } from "../../generated/openrpc/types.js";
import { hostOsName } from "../rpc/path-uri.js";
import { PACKAGE_VERSION } from "../util/package-version.js";

/**
 * The capability flags this server announces. A flag is true only when its feature is implemented
 * and tested here; flip one in the same change that implements and tests its feature.
 *
 * - `fsWatchMissing`: `fs/watchMissing` + `fs/missingChanged` (codex then watches for skills
 *   directories appearing; test/server/fs/missing-path-watch.test.ts).
 * - `fileWriteStreaming`: `fs/open` with `mode: "replace"` and `fs/writeBlock` (codex refuses to open a
 *   write stream otherwise; test/server/fs/file-handles.test.ts).
 * - `sandboxedFileStreaming`: `fs/open`/`fs/readBlock` honour the call's `sandbox` (codex refuses to
 *   stream a file under a restricted profile otherwise; test/server/fs/fs-sandbox.test.ts).
 * - `httpHeaderEnvVars`: `http/request` headers with `valueEnvVar` (false when the server runs with
 *   `http/request` disabled).
 *
 * The others are features this server does not have (network proxy, credential masking, capability
 * discovery, environmentConfig/read, shell snapshots, Windows and Linux sandbox details).
 */
export const ENVIRONMENT_CAPABILITIES = {
  networkProxyLaunch: false,
  networkProxyReviewDomains: false,
  credentialMasking: false,
  credentialMaskingCustomProviders: false,
  capabilityDiscoverySandbox: false,
  fsWatchMissing: true,
  capabilityDiscoveryV2: false,
  environmentConfigRead: false,
  httpHeaderEnvVars: true,
  sandboxedFileStreaming: true,
  fileWriteStreaming: true,
  shellSnapshotV2: false,
  windowsMxc: false,
  linuxRootWritePreservesDevices: false,
  linuxApprovedRootWritePreservesRestrictions: false,
} as const satisfies EnvironmentCapabilities;

/** Shell kinds upstream reports, by executable name. */
const SHELL_KINDS: Readonly<Record<string, string>> = { zsh: "zsh", bash: "bash", sh: "sh", pwsh: "powershell", powershell: "powershell" };

/** The shell reported when neither the login shell nor `$SHELL` is a known kind. */
const FALLBACK_SHELL: ShellInfo = { name: "sh", path: "/bin/sh" };

/**
 * Opaque provider identity, `sha256:<hex>`. Upstream's value is the same on every host; its input is
 * not documented, so this server answers a constant of its own (the hash of its package name).
 */
export const PROVIDER_ID = `sha256:${createHash("sha256").update("exec-server").digest("hex")}`;

/** Where the description comes from; injectable for tests. Defaults read this process and host. */
export interface EnvironmentInputs {
  /** Environment variables (`SHELL`, `TMPDIR`). */
  env: NodeJS.ProcessEnv;
  /** The server process's working directory. */
  cwd: string;
  /** The user's home directory; empty when unknown. */
  homeDir: string;
  /** The login shell from the password database, if any. */
  loginShell: string | undefined;
  /** Node platform name. */
  platform: NodeJS.Platform;
  /** The system temporary directory (`os.tmpdir()`). */
  tempDir: string;
  /** Whether a file exists (for the shell candidates). */
  exists(path: string): boolean;
}

/** Reads {@link EnvironmentInputs} from this process and host. */
export function systemEnvironmentInputs(): EnvironmentInputs {
  let loginShell: string | undefined;
  try {
    loginShell = userInfo().shell ?? undefined;
  } catch {
    // No password-database entry for this uid (containers): fall back to $SHELL.
    loginShell = undefined;
  }
  return { env: process.env, cwd: process.cwd(), homeDir: homedir(), loginShell, platform: process.platform, tempDir: tmpdir(), exists: existsSync };
}

/** The user's shell: the login shell, else `$SHELL`, when it is a known kind that exists; else `/bin/sh`. */
export function detectShell(inputs: Pick<EnvironmentInputs, "env" | "loginShell" | "exists">): ShellInfo {
  for (const candidate of [inputs.loginShell, inputs.env["SHELL"]]) {
    if (candidate === undefined || !isAbsolute(candidate) || !inputs.exists(candidate)) continue;
    const kind = SHELL_KINDS[basename(candidate)];
    if (kind !== undefined) return { name: kind, path: candidate };
  }
  return { ...FALLBACK_SHELL };
}

/**
 * This executor's `EnvironmentInfo`: shell, package version, cwd, home, platform, temporary
 * directories (`TMPDIR` on Unix, as upstream) and {@link ENVIRONMENT_CAPABILITIES} (with
 * `capabilityOverrides` for features switched off by options). No directories are
 * prepended to `PATH`, so `prependPathDirs` is empty.
 */
export function describeEnvironment(
  inputs: EnvironmentInputs = systemEnvironmentInputs(),
  capabilityOverrides: Partial<EnvironmentCapabilities> = {},
): EnvironmentInfo {
  const tmpdirVariable = inputs.env["TMPDIR"];
  // Members in upstream's order; the optional ones are omitted when unknown, as upstream does.
  return {
    shell: detectShell(inputs),
    executorVersion: PACKAGE_VERSION,
    providerId: PROVIDER_ID,
    cwd: isAbsolute(inputs.cwd) ? inputs.cwd : null,
    ...(isAbsolute(inputs.homeDir) ? { userHomeDir: inputs.homeDir } : {}),
    platformOs: hostOsName(inputs.platform),
    prependPathDirs: [],
    temporaryDirectories: tmpdirVariable !== undefined && isAbsolute(tmpdirVariable) ? [tmpdirVariable] : [],
    ...(isAbsolute(inputs.tempDir) ? { tempDir: inputs.tempDir } : {}),
    capabilities: { ...ENVIRONMENT_CAPABILITIES, ...capabilityOverrides },
  };
}
