/**
 * Scenario 7: the cost of starting a sandboxed process. Each start is `prepareProcess` (parse,
 * resolve, glob scan) + spawn of `/bin/sh -c :` + its close, through `ExecSandbox`, once under a
 * codex workspace-write profile (bubblewrap: user/pid/ipc/net namespaces, root read-only, the
 * workspace writable, a denied directory, a `**‍/*.pem` deny glob over a 200-file workspace) and
 * once without a sandbox (plain spawn), interleaved. Reports p50/p90 per path and the p50 ratio.
 * Skipped with the reason when bubblewrap is unusable here.
 */
import { mkdir, writeFile } from "node:fs/promises";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ExecSandbox, type PreparedProcess } from "../../src/sandbox/index.js";
import { systemClock } from "../../src/util/clock.js";
import type { BenchContext, Scenario } from "../lib/context.js";
import { check, figure, ratio, type ScenarioResult } from "../lib/report.js";
import { nowMs, pairedRatios, percentile } from "../lib/stats.js";

const uri = (path: string): string => pathToFileURL(path).href;

function workspaceWrite(workspace: string): unknown {
  return {
    permissions: {
      type: "managed",
      network: "restricted",
      file_system: {
        type: "restricted",
        entries: [
          { path: { type: "special", value: { kind: "root" } }, access: "read" },
          { path: { type: "special", value: { kind: "project_roots" } }, access: "write" },
          { path: { type: "path", path: uri(join(workspace, "secret")) }, access: "deny" },
          { path: { type: "glob_pattern", pattern: "**/*.pem" }, access: "deny" },
        ],
      },
    },
    windowsSandboxLevel: "disabled",
    policyContext: { cwd: uri(workspace), workspaceRoots: [uri(workspace)] },
  };
}

/** One start: prepare + spawn + close; resolves with the elapsed ms and the exit code. */
async function timeStart(sandbox: ExecSandbox, raw: unknown, cwd: string): Promise<{ ms: number; exitCode: number; sandboxType: string }> {
  const started = nowMs();
  const prepared: PreparedProcess = await sandbox.prepareProcess(raw, { cwd, env: { PATH: "/usr/bin:/bin" } });
  const exitCode = await new Promise<number>((resolve, reject) => {
    let code = -1;
    prepared
      .spawn(
        { argv: ["/bin/sh", "-c", ":"], arg0: undefined, cwd, env: { PATH: "/usr/bin:/bin" }, pipeStdin: false, clock: systemClock, tty: false },
        { onOutput: () => undefined, onExit: (exit) => (code = exit), onClose: () => resolve(code), onFailure: () => undefined },
      )
      .catch(reject);
  });
  return { ms: nowMs() - started, exitCode, sandboxType: prepared.sandboxType };
}

export const sandboxStart: Scenario = {
  id: "sandbox-start",
  title: "Sandboxed process start (bubblewrap) vs unsandboxed",
  async run(context: BenchContext): Promise<ScenarioResult> {
    const started = nowMs();
    const sandbox = new ExecSandbox();
    const workspace = join(context.tmpDir, "workspace");
    await mkdir(join(workspace, "secret"), { recursive: true });
    for (let dir = 0; dir < 10; dir += 1) {
      await mkdir(join(workspace, `d${dir}`));
      for (let file = 0; file < 20; file += 1) await writeFile(join(workspace, `d${dir}`, file === 0 ? "id.pem" : `f${file}.txt`), "x");
    }
    const base = {
      id: this.id,
      title: this.title,
      method: "",
      ratios: [],
      notes: [],
    };
    try {
      const available = await sandbox.availability();
      if (!available.usable) {
        return { ...base, figures: [], checks: [], skipped: [`bubblewrap unusable: ${available.reason}`], durationMs: nowMs() - started };
      }
      const starts = context.quick ? 5 : 40;
      const raw = workspaceWrite(workspace);
      await timeStart(sandbox, raw, workspace); // warm-up: bwrap probe, empty file, OS caches
      await timeStart(sandbox, null, workspace);
      const sandboxedP50: number[] = [];
      const sandboxedP90: number[] = [];
      const plainP50: number[] = [];
      const plainP90: number[] = [];
      let failures = 0;
      let wrongType = 0;
      for (let repeat = 0; repeat < context.repeats; repeat += 1) {
        const sandboxed: number[] = [];
        const plain: number[] = [];
        for (let i = 0; i < starts; i += 1) {
          const a = await timeStart(sandbox, raw, workspace);
          const b = await timeStart(sandbox, null, workspace);
          sandboxed.push(a.ms);
          plain.push(b.ms);
          if (a.exitCode !== 0 || b.exitCode !== 0) failures += 1;
          if (a.sandboxType !== "linuxSeccomp" || b.sandboxType !== "none") wrongType += 1;
        }
        sandboxedP50.push(percentile(sandboxed, 50));
        sandboxedP90.push(percentile(sandboxed, 90));
        plainP50.push(percentile(plain, 50));
        plainP90.push(percentile(plain, 90));
        context.log(`sandbox-start repeat ${repeat + 1}: p50 sandboxed ${sandboxedP50.at(-1)!.toFixed(1)} ms, unsandboxed ${plainP50.at(-1)!.toFixed(1)} ms`);
      }
      return {
        ...base,
        method: `${starts} interleaved starts per path and repeat of \`/bin/sh -c :\` (prepareProcess → spawn → close) under a workspace-write profile (bwrap ${available.version}; 1 denied dir, a **/*.pem glob over 200 files) vs no sandbox`,
        figures: [
          figure("sandboxed start p50", "ms", sandboxedP50),
          figure("sandboxed start p90", "ms", sandboxedP90),
          figure("unsandboxed start p50", "ms", plainP50),
          figure("unsandboxed start p90", "ms", plainP90),
        ],
        ratios: [ratio("sandboxed / unsandboxed p50", pairedRatios(sandboxedP50, plainP50))],
        checks: [
          check("every start exits 0", failures === 0, `${failures} failed start pairs`),
          check("sandboxType reported", wrongType === 0, `${wrongType} pairs with a wrong sandboxType`),
        ],
        skipped: [],
        durationMs: nowMs() - started,
      };
    } finally {
      await sandbox.dispose();
    }
  },
};
