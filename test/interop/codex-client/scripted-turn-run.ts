import type { ServerRequestAnswerer } from "./app-server-client.js";
import type { ExecServerTarget } from "./exec-server-targets.js";
import { startResponsesStandIn, type RecordedModelRequest, type ResponseItem } from "./responses-stand-in.js";
import { runAppServerTurn, type AppServerApprovalPolicy, type AppServerSandboxMode, type AppServerTurnResult } from "./run-app-server-turn.js";
import { runCodexExec, type CodexExecResult } from "./run-codex-exec.js";
import { STAND_IN_KEY, type ExecServerAccess } from "./codex-invocation.js";
import { startWebsocketTap, type TapFrame } from "./websocket-tap.js";

/**
 * How the real codex client is run: mode A (`codex exec`, with its sandbox/approval/env arguments) or mode B
 * (`codex app-server`, with the thread's sandbox mode and approval policy, an answerer for approval requests
 * and more `-c` arguments). Omitted members keep the runners' defaults (sandbox bypassed, approvals `never`).
 */
export type CodexClient =
  | { mode: "exec"; policyArgs?: readonly string[] }
  | {
      mode: "app-server";
      sandbox?: AppServerSandboxMode;
      approvalPolicy?: AppServerApprovalPolicy;
      answer?: ServerRequestAnswerer;
      extraArgs?: readonly string[];
    };

/** A scripted model turn over a prepared workspace (what a scenario's `prepare` returns). */
export interface ScriptedTurn {
  /** The directory codex runs in (absolute, symlink-free). */
  workspace: string;
  /** The model's responses, one per `/responses` call. */
  turns: readonly (readonly ResponseItem[])[];
  /** The tool call ids whose outputs the assertions read. */
  callIds: readonly string[];
  prompt: string;
  /** Reads what the assertions need from disk; called after codex ended and before `dispose`. */
  inspectDisk(): Record<string, string | undefined>;
  /** Removes everything `prepare` made. */
  dispose(): void;
}

/** Everything one run left behind for the assertions. */
export interface ScriptedTurnRun {
  workspace: string;
  /**
   * Every JSON-RPC message between codex and the exec-server: from the websocket tap for a URL target, from the
   * target's own record of the decrypted stream for a Noise target.
   */
  frames: readonly TapFrame[];
  modelRequests: readonly RecordedModelRequest[];
  /** `/responses` calls beyond the script (0 when codex did exactly the scripted turn). */
  modelOverflow: number;
  /** What codex sent back to the model for each of `callIds` (`undefined`: never sent). */
  toolOutputs: Record<string, unknown>;
  /** `inspectDisk()` after the turn. */
  disk: Record<string, string | undefined>;
  exec: CodexExecResult | undefined;
  appServer: AppServerTurnResult | undefined;
  elapsedMs: number;
}

/**
 * Runs one scripted codex turn against a fresh instance of `target`: `prepare()` makes the workspace and the
 * script, a Responses API stand-in serves the script, a websocket tap records the exec-server traffic (a Noise
 * target records its decrypted traffic itself and codex gets the `CODEX_EXEC_SERVER_NOISE_*` variables), and
 * `client` says how codex runs (at most `timeoutMs`, default 60 s). Everything started or made here (the target,
 * the tap, the stand-in, codex, the prepared directories) is stopped or removed before this settles, also on
 * failure.
 */
export async function runScriptedTurn(
  target: ExecServerTarget,
  prepare: () => ScriptedTurn,
  client: CodexClient,
  timeoutMs = 60_000,
): Promise<ScriptedTurnRun> {
  const started = Date.now();
  const scripted = prepare();
  const cleanups: (() => Promise<void> | void)[] = [() => scripted.dispose()];
  try {
    const standIn = await startResponsesStandIn(scripted.turns, STAND_IN_KEY);
    cleanups.push(() => standIn.close());
    const server = await target.start();
    cleanups.push(() => server.stop());
    let execServer: ExecServerAccess;
    let frames: readonly TapFrame[];
    if ("noise" in server) {
      execServer = { kind: "noise", ...server.noise };
      frames = server.frames;
    } else {
      const tap = await startWebsocketTap(server.url);
      cleanups.push(() => tap.close());
      execServer = { kind: "url", url: tap.url };
      frames = tap.frames;
    }
    const common = { execServer, modelBaseUrl: standIn.baseUrl, workspace: scripted.workspace, prompt: scripted.prompt, timeoutMs };
    let exec: CodexExecResult | undefined;
    let appServer: AppServerTurnResult | undefined;
    if (client.mode === "exec") {
      exec = await runCodexExec({ ...common, ...(client.policyArgs === undefined ? {} : { policyArgs: client.policyArgs }) });
    } else {
      const { mode: _mode, ...options } = client;
      appServer = await runAppServerTurn({ ...common, ...options });
    }
    return {
      workspace: scripted.workspace,
      frames,
      modelRequests: standIn.requests,
      modelOverflow: standIn.overflow,
      toolOutputs: Object.fromEntries(scripted.callIds.map((id) => [id, standIn.toolOutput(id)])),
      disk: scripted.inspectDisk(),
      exec,
      appServer,
      elapsedMs: Date.now() - started,
    };
  } finally {
    await runAll(cleanups.reverse());
  }
}

/** Runs every cleanup even when one fails; then throws the failures together. */
async function runAll(cleanups: (() => Promise<void> | void)[]): Promise<void> {
  const failures: unknown[] = [];
  for (const cleanup of cleanups) {
    try {
      await cleanup();
    } catch (error) {
      failures.push(error);
    }
  }
  if (failures.length > 0) throw new AggregateError(failures, "scenario cleanup failed");
}
