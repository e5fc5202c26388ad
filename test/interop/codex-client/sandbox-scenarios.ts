import type { AppServerMessage } from "./app-server-client.js";
import type { ExecServerTarget } from "./exec-server-targets.js";
import { escalationConversation, homeArgs, workspaceWriteConversation, type EscalationConversation, type WorkspaceWriteConversation } from "./sandbox-conversations.js";
import { makeSandboxTree, type SandboxTree } from "./sandbox-tree.js";
import { runScriptedTurn, type CodexClient, type ScriptedTurnRun } from "./scripted-turn-run.js";
import type { ResponseItem } from "./responses-stand-in.js";

/** How codex is told to run workspace-write with approval policy `never`. */
export type WorkspaceWriteClient =
  /** `codex exec -s workspace-write` (`codex exec`'s approval policy is `never`). */
  | "exec -s workspace-write"
  /** `codex exec -c sandbox_mode="workspace-write"`: the same through the config key. */
  | "exec -c sandbox_mode"
  /** `codex app-server`, `thread/start {sandbox: "workspace-write", approvalPolicy: "never"}`. */
  | "app-server";

/** Every {@link WorkspaceWriteClient}. */
export const WORKSPACE_WRITE_CLIENTS: readonly WorkspaceWriteClient[] = ["exec -s workspace-write", "exec -c sandbox_mode", "app-server"];

/** A sandboxed run: what the wire, the model and the disk saw, and the tree's paths (removed by now). */
export interface SandboxRun<C> extends ScriptedTurnRun {
  conversation: C;
  tree: Omit<SandboxTree, "dispose">;
}

interface Script {
  turns: ResponseItem[][];
  callIds: string[];
  inspectDisk(): Record<string, string | undefined>;
}

/** Runs `script` over a fresh {@link SandboxTree} with the client `client(tree)`; the tree is removed before this settles. */
async function runOverTree<C extends Script>(
  target: ExecServerTarget,
  script: (tree: SandboxTree) => C,
  client: (tree: SandboxTree) => CodexClient,
  prompt: string,
  timeoutMs: number,
): Promise<SandboxRun<C>> {
  const tree = makeSandboxTree();
  let conversation: C;
  try {
    conversation = script(tree);
  } catch (error) {
    tree.dispose();
    throw error;
  }
  const run = await runScriptedTurn(
    target,
    () => ({ workspace: tree.workspace, turns: conversation.turns, callIds: conversation.callIds, prompt, inspectDisk: () => conversation.inspectDisk(), dispose: tree.dispose }),
    client(tree),
    timeoutMs,
  );
  const { dispose: _dispose, ...paths } = tree;
  return { ...run, conversation, tree: paths };
}

/**
 * The workspace-write turn ({@link workspaceWriteConversation}) with approval policy `never`, run by `client`,
 * against a fresh instance of `target`. The shell's `$HOME` is the tree's `home/` (codex's
 * `shell_environment_policy.set.HOME`).
 */
export function runWorkspaceWriteTurn(target: ExecServerTarget, client: WorkspaceWriteClient, timeoutMs = 60_000): Promise<SandboxRun<WorkspaceWriteConversation>> {
  const codexClient = (tree: SandboxTree): CodexClient => {
    switch (client) {
      case "exec -s workspace-write":
        return { mode: "exec", policyArgs: ["-s", "workspace-write", ...homeArgs(tree)] };
      case "exec -c sandbox_mode":
        return { mode: "exec", policyArgs: ["-c", `sandbox_mode="workspace-write"`, ...homeArgs(tree)] };
      case "app-server":
        return { mode: "app-server", sandbox: "workspace-write", approvalPolicy: "never", extraArgs: homeArgs(tree) };
    }
  };
  return runOverTree(target, workspaceWriteConversation, codexClient, "Write inside and outside the workspace.", timeoutMs);
}

/** The approval requests that {@link runEscalationTurn} accepts. */
export const ACCEPTED_APPROVALS = ["item/commandExecution/requestApproval", "item/fileChange/requestApproval"];

/**
 * The escalation turn ({@link escalationConversation}) in `codex app-server` with `sandbox: "workspace-write"`
 * and `approvalPolicy: "on-request"`, every command or file-change approval accepted (`{"decision":"accept"}`),
 * other server requests refused; against a fresh instance of `target`.
 */
export function runEscalationTurn(target: ExecServerTarget, timeoutMs = 60_000): Promise<SandboxRun<EscalationConversation>> {
  const answer = (request: AppServerMessage): Record<string, unknown> | undefined =>
    request.method !== undefined && ACCEPTED_APPROVALS.includes(request.method) ? { decision: "accept" } : undefined;
  return runOverTree(
    target,
    escalationConversation,
    (tree) => ({ mode: "app-server", sandbox: "workspace-write", approvalPolicy: "on-request", answer, extraArgs: homeArgs(tree) }),
    "Write the sibling directory, asking when needed.",
    timeoutMs,
  );
}
