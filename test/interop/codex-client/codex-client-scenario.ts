import { existsSync, mkdtempSync, readFileSync, realpathSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ExecServerTarget } from "./exec-server-targets.js";
import { startResponsesStandIn, type RecordedModelRequest } from "./responses-stand-in.js";
import { runAppServerTurn, type AppServerTurnResult } from "./run-app-server-turn.js";
import { runCodexExec, type CodexExecResult } from "./run-codex-exec.js";
import { STAND_IN_KEY } from "./codex-invocation.js";
import { prepareToolConversation, type ToolConversation } from "./tool-conversation.js";
import { startWebsocketTap, type TapFrame } from "./websocket-tap.js";

/** How the real codex client reaches the exec-server. */
export type CodexClientMode = "exec" | "app-server";

/** Everything one scenario run left behind for the assertions. */
export interface ScenarioRun {
  conversation: ToolConversation;
  workspace: string;
  /** Every websocket message between codex and the exec-server. */
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
 * Runs one scripted codex turn in `mode` against a fresh instance of `target`, through a websocket tap, with a
 * fresh workspace and Responses API stand-in, and returns what was seen. Everything started here (the target,
 * the tap, the stand-in, codex, the workspace) is stopped or removed before this settles, also on failure.
 */
export async function runCodexClientScenario(target: ExecServerTarget, mode: CodexClientMode, timeoutMs = 60_000): Promise<ScenarioRun> {
  const started = Date.now();
  const workspace = realpathSync(mkdtempSync(join(tmpdir(), "codex-client-")));
  const cleanups: (() => Promise<void> | void)[] = [() => rmSync(workspace, { recursive: true, force: true })];
  try {
    const conversation = prepareToolConversation(workspace);
    const standIn = await startResponsesStandIn(conversation.turns, STAND_IN_KEY);
    cleanups.push(() => standIn.close());
    const server = await target.start();
    cleanups.push(() => server.stop());
    const tap = await startWebsocketTap(server.url);
    cleanups.push(() => tap.close());
    const common = { execServerUrl: tap.url, modelBaseUrl: standIn.baseUrl, workspace, prompt: PROMPT, timeoutMs };
    const exec = mode === "exec" ? await runCodexExec(common) : undefined;
    const appServer = mode === "app-server" ? await runAppServerTurn(common) : undefined;
    const callIds = [conversation.shell.callId, conversation.image.callId, conversation.patch.callId];
    return {
      conversation,
      workspace,
      frames: tap.frames,
      modelRequests: standIn.requests,
      modelOverflow: standIn.overflow,
      toolOutputs: Object.fromEntries(callIds.map((id) => [id, standIn.toolOutput(id)])),
      disk: { created: readIfPresent(conversation.patch.createdPath), edited: readIfPresent(conversation.patch.editedPath) },
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
