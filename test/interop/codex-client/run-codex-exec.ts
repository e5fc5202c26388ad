import { codexPath, makeCodexHome } from "../../helpers/codex-binary.js";
import { codexChildEnv, noiseEnvironmentVariables, standInConfigArgs, type ExecServerAccess } from "./codex-invocation.js";
import { spawnManaged } from "./managed-child.js";

/** How a `codex exec` run ended. */
export interface CodexExecResult {
  exitCode: number | null;
  signal: NodeJS.Signals | null;
  timedOut: boolean;
  stdout: string;
  stderr: string;
  elapsedMs: number;
}

/** `codex exec`'s default policy arguments: approvals and sandbox bypassed, so codex sends `sandbox: null`. */
export const BYPASS_SANDBOX_ARGS: readonly string[] = ["--dangerously-bypass-approvals-and-sandbox"];

/**
 * Mode A: one non-interactive `codex exec` turn whose tools run on the exec-server `execServer` names (a URL in
 * `CODEX_EXEC_SERVER_URL`, or a Noise environment in the `CODEX_EXEC_SERVER_NOISE_*` variables), with the model served by the stand-in at `modelBaseUrl`. Runs in `workspace`
 * (`-C`, no git repository required) with `policyArgs`: sandbox, approval and shell-environment arguments
 * (default {@link BYPASS_SANDBOX_ARGS}; e.g. `["-s", "workspace-write"]`, under which `codex exec`'s approval
 * policy is `never`).
 * A fresh CODEX_HOME is made and removed. The run is killed (its whole process group) after `timeoutMs`
 * (default 60 s) and always before this resolves.
 */
export async function runCodexExec(options: {
  execServer: ExecServerAccess;
  modelBaseUrl: string;
  workspace: string;
  prompt: string;
  timeoutMs?: number;
  policyArgs?: readonly string[];
}): Promise<CodexExecResult> {
  const home = makeCodexHome();
  const started = Date.now();
  const args = [
    "exec",
    ...standInConfigArgs(options.modelBaseUrl),
    "--skip-git-repo-check",
    "--ephemeral",
    ...(options.policyArgs ?? BYPASS_SANDBOX_ARGS),
    "--color",
    "never",
    "-C",
    options.workspace,
    options.prompt,
  ];
  const run = spawnManaged(codexPath(), args, {
    cwd: options.workspace,
    env: codexChildEnv(home.dir, execServerVariables(options.execServer)),
    stdio: ["ignore", "pipe", "pipe"],
  });
  let timedOut = false;
  const timer = setTimeout(() => {
    timedOut = true;
    void run.stop(0);
  }, options.timeoutMs ?? 60_000);
  try {
    const { code, signal } = await run.exited;
    return { exitCode: code, signal, timedOut, stdout: run.stdout(), stderr: run.stderr(), elapsedMs: Date.now() - started };
  } finally {
    clearTimeout(timer);
    await run.stop();
    home.dispose();
  }
}

/** The variables that make `codex exec` run its tools on `access`. */
function execServerVariables(access: ExecServerAccess): Record<string, string> {
  return access.kind === "url" ? { CODEX_EXEC_SERVER_URL: access.url } : noiseEnvironmentVariables(access);
}
