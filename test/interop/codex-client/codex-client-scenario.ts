import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecServerTarget } from "./exec-server-targets.js";
import type { RecordedModelRequest } from "./responses-stand-in.js";
import type { AppServerTurnResult } from "./run-app-server-turn.js";
import type { CodexExecResult } from "./run-codex-exec.js";
import { runScriptedTurn } from "./scripted-turn-run.js";
import { prepareToolConversation, type ToolConversation } from "./tool-conversation.js";
import type { TapFrame } from "./websocket-tap.js";

/** How the real codex client reaches the exec-server. */
export type CodexClientMode = "exec" | "app-server";

/** Everything one scenario run left behind for the assertions. */
export interface ScenarioRun {
  conversation: ToolConversation;
  workspace: string;
  /** Every JSON-RPC message between codex and the exec-server (see {@link ScriptedTurnRun.frames}). */
  frames: readonly TapFrame[];
  modelRequests: readonly RecordedModelRequest[];
  /** `/responses` calls beyond the script (0 when codex did exactly the scripted turn). */
  modelOverflow: number;
  /** What codex sent back to the model for each tool call id. */
  toolOutputs: Record<string, unknown>;
  /** The two patched files as they are on disk after the turn (`undefined`: missing). */
  disk: { created: string | undefined; edited: string | undefined };
  exec: CodexExecResult | undefined;
  appServer: AppServerTurnResult | undefined;
  elapsedMs: number;
}

const PROMPT = "Run the shell command, look at pixel.png, then apply the patch.";

function readIfPresent(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, "utf8") : undefined;
}

/**
 * Runs the three-tool turn (tool-conversation.ts) in `mode` against a fresh instance of `target`, sandbox
 * bypassed, in a fresh workspace under the OS temporary directory, and returns what was seen. Everything
 * started here is stopped or removed before this settles, also on failure.
 */
export async function runCodexClientScenario(target: ExecServerTarget, mode: CodexClientMode, timeoutMs = 60_000): Promise<ScenarioRun> {
  let conversation: ToolConversation | undefined;
  const run = await runScriptedTurn(
    target,
    () => {
      const workspace = realpathSync(mkdtempSync(join(tmpdir(), "codex-client-")));
      const dispose = (): void => rmSync(workspace, { recursive: true, force: true });
      let prepared: ToolConversation;
      try {
        prepared = prepareToolConversation(workspace);
      } catch (error) {
        dispose();
        throw error;
      }
      conversation = prepared;
      return {
        workspace,
        turns: prepared.turns,
        callIds: [prepared.shell.callId, prepared.image.callId, prepared.patch.callId],
        prompt: PROMPT,
        inspectDisk: () => ({ created: readIfPresent(prepared.patch.createdPath), edited: readIfPresent(prepared.patch.editedPath) }),
        dispose,
      };
    },
    { mode },
    timeoutMs,
  );
  return {
    conversation: conversation!,
    workspace: run.workspace,
    frames: run.frames,
    modelRequests: run.modelRequests,
    modelOverflow: run.modelOverflow,
    toolOutputs: run.toolOutputs,
    disk: { created: run.disk["created"], edited: run.disk["edited"] },
    exec: run.exec,
    appServer: run.appServer,
    elapsedMs: run.elapsedMs,
  };
}
