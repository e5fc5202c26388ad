import { codexPath, makeCodexHome } from "../../helpers/codex-binary.js";
import { codexChildEnv, standInConfigArgs } from "./codex-invocation.js";
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

/**
 * Mode A: one non-interactive `codex exec` turn whose tools run on the exec-server at `execServerUrl`
 * (`CODEX_EXEC_SERVER_URL`), with the model served by the stand-in at `modelBaseUrl`. Runs in `workspace`
 * (`-C`, no git repository required), approvals and sandbox bypassed so codex sends no restricted sandbox.
 * A fresh CODEX_HOME is made and removed. The run is killed (its whole process group) after `timeoutMs`
 * (default 60 s) and always before this resolves.
 */
export async function runCodexExec(options: {
  execServerUrl: string;
  modelBaseUrl: string;
  workspace: string;
  prompt: string;
  timeoutMs?: number;
}): Promise<CodexExecResult> {
  const home = makeCodexHome();
  const started = Date.now();
  const args = [
    "exec",
    ...standInConfigArgs(options.modelBaseUrl),
    "--skip-git-repo-check",
    "--ephemeral",
    "--dangerously-bypass-approvals-and-sandbox",
    "--color",
    "never",
    "-C",
    options.workspace,
    options.prompt,
  ];
  const run = spawnManaged(codexPath(), args, {
    cwd: options.workspace,
    env: codexChildEnv(home.dir, { CODEX_EXEC_SERVER_URL: options.execServerUrl }),
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
