import { existsSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { assistantMessage, customToolCall, functionCall, type ResponseItem } from "./responses-stand-in.js";
import type { SandboxTree } from "./sandbox-tree.js";

/** One scripted `exec_command` call. */
export interface ShellStep {
  callId: string;
  /** The `bash -c` script; unique enough to find its `process/start` by argv. */
  command: string;
}

/** One scripted `apply_patch` call that adds one file. */
export interface PatchStep {
  callId: string;
  /** The file the patch adds (absolute). */
  path: string;
  content: string;
}

/** Single-quotes `text` for a POSIX shell. */
function shellQuote(text: string): string {
  return `'${text.replaceAll("'", `'\\''`)}'`;
}

/** A patch adding `name` (as written in the patch: relative to the workspace or absolute) with `content` (one line). */
function addFilePatch(name: string, content: string): string {
  return ["*** Begin Patch", `*** Add File: ${name}`, `+${content.trimEnd()}`, "*** End Patch", ""].join("\n");
}

function shellCall(step: ShellStep, extra: Record<string, unknown> = {}): ResponseItem[] {
  return [functionCall(step.callId, "exec_command", { cmd: step.command, login: false, ...extra })];
}

function readIfPresent(path: string): string | undefined {
  return existsSync(path) ? readFileSync(path, "utf8") : undefined;
}

/** What codex's shell sees as `$HOME`: set through `shell_environment_policy`, so the real home is never a target. */
export function homeArgs(tree: SandboxTree): string[] {
  return ["-c", `shell_environment_policy.set.HOME=${JSON.stringify(tree.home)}`];
}

/**
 * The workspace-write turn (approval policy `never`): three shell commands that write outside the workspace
 * (a sibling directory, `$HOME`, an existing /etc-like file) and one that writes inside; a command that asks
 * for escalation (`sandbox_permissions: "require_escalated"`); three patches — inside the workspace, through
 * a symlink out of it, and to an absolute path outside it; then a final message.
 */
export interface WorkspaceWriteConversation {
  turns: ResponseItem[][];
  writeInside: ShellStep & { path: string; expectedOutput: string };
  /** The denied shell writes, each with the file that must stay absent (or, for etc, unchanged). */
  writeSibling: ShellStep & { path: string };
  writeHome: ShellStep & { path: string };
  writeEtc: ShellStep & { path: string };
  escalate: ShellStep & { path: string; justification: string };
  patchInside: PatchStep;
  patchViaSymlink: PatchStep;
  patchOutside: PatchStep;
  finalText: string;
  callIds: string[];
  /** The files the assertions read after the turn, by name. */
  inspectDisk(): Record<string, string | undefined>;
}

/** Scripts {@link WorkspaceWriteConversation} over `tree`. */
export function workspaceWriteConversation(tree: SandboxTree): WorkspaceWriteConversation {
  const insidePath = join(tree.workspace, "inside.txt");
  const writeInside = { callId: "call-write-inside", command: `printf '%s\\n' written-inside > inside.txt && cat inside.txt`, path: insidePath, expectedOutput: "written-inside\n" };
  const siblingPath = join(tree.sibling, "outside.txt");
  const writeSibling = { callId: "call-write-sibling", command: `printf '%s\\n' escaped > ${shellQuote(siblingPath)}`, path: siblingPath };
  const homePath = join(tree.home, "home.txt");
  // The guard keeps a misconfigured $HOME (the real one) from ever being the target.
  const writeHome = { callId: "call-write-home", command: `test "$HOME" = ${shellQuote(tree.home)} || exit 97; printf '%s\\n' escaped > "$HOME/home.txt"`, path: homePath };
  const writeEtc = { callId: "call-write-etc", command: `printf '%s\\n' escaped >> ${shellQuote(tree.etcHosts)}`, path: tree.etcHosts };
  const escalatedPath = join(tree.sibling, "escalated.txt");
  const escalate = {
    callId: "call-escalate",
    command: `printf '%s\\n' escalated > ${shellQuote(escalatedPath)}`,
    path: escalatedPath,
    justification: "Do you allow writing the sibling directory?",
  };
  const patchInside = { callId: "call-patch-inside", path: join(tree.workspace, "patched-inside.txt"), content: "patched inside the workspace\n" };
  const patchViaSymlink = { callId: "call-patch-via-symlink", path: join(tree.sibling, "via-symlink.txt"), content: "patched through a symlink\n" };
  const patchOutside = { callId: "call-patch-outside", path: join(tree.sibling, "patched-outside.txt"), content: "patched outside the workspace\n" };
  const finalText = "The sandboxed turn is over.";
  const steps = [writeInside, writeSibling, writeHome, writeEtc, escalate, patchInside, patchViaSymlink, patchOutside];
  return {
    turns: [
      shellCall(writeInside),
      shellCall(writeSibling),
      shellCall(writeHome),
      shellCall(writeEtc),
      shellCall(escalate, { sandbox_permissions: "require_escalated", justification: escalate.justification }),
      [customToolCall(patchInside.callId, "apply_patch", addFilePatch("patched-inside.txt", patchInside.content))],
      [customToolCall(patchViaSymlink.callId, "apply_patch", addFilePatch("escape/via-symlink.txt", patchViaSymlink.content))],
      [customToolCall(patchOutside.callId, "apply_patch", addFilePatch(patchOutside.path, patchOutside.content))],
      [assistantMessage("msg-final", finalText)],
    ],
    writeInside,
    writeSibling,
    writeHome,
    writeEtc,
    escalate,
    patchInside,
    patchViaSymlink,
    patchOutside,
    finalText,
    callIds: steps.map((step) => step.callId),
    inspectDisk: () => Object.fromEntries(steps.map((step) => [step.callId, readIfPresent(step.path)])),
  };
}

/**
 * The escalation turn (workspace-write, approval policy `on-request`, every approval accepted): a shell write
 * to the sibling directory (denied by the sandbox), the same write asked with `require_escalated`, a patch to
 * an absolute path in the sibling directory, then a final message.
 */
export interface EscalationConversation {
  turns: ResponseItem[][];
  writeSibling: ShellStep & { path: string };
  escalate: ShellStep & { path: string; justification: string; expectedContent: string };
  patchOutside: PatchStep;
  finalText: string;
  callIds: string[];
  inspectDisk(): Record<string, string | undefined>;
}

/** Scripts {@link EscalationConversation} over `tree`. */
export function escalationConversation(tree: SandboxTree): EscalationConversation {
  const path = join(tree.sibling, "escalated.txt");
  const writeSibling = { callId: "call-write-sibling", command: `printf '%s\\n' sandboxed > ${shellQuote(path)}`, path };
  const escalate = {
    callId: "call-escalate",
    command: `printf '%s\\n' escalated > ${shellQuote(path)}`,
    path,
    justification: "Do you allow writing the sibling directory?",
    expectedContent: "escalated\n",
  };
  const patchOutside = { callId: "call-patch-outside", path: join(tree.sibling, "approved-patch.txt"), content: "approved outside the workspace\n" };
  const finalText = "The escalated turn is over.";
  return {
    turns: [
      shellCall(writeSibling),
      shellCall(escalate, { sandbox_permissions: "require_escalated", justification: escalate.justification }),
      [customToolCall(patchOutside.callId, "apply_patch", addFilePatch(patchOutside.path, patchOutside.content))],
      [assistantMessage("msg-final", finalText)],
    ],
    writeSibling,
    escalate,
    patchOutside,
    finalText,
    callIds: [writeSibling.callId, escalate.callId, patchOutside.callId],
    inspectDisk: () => ({ [escalate.callId]: readIfPresent(path), [patchOutside.callId]: readIfPresent(patchOutside.path) }),
  };
}
