import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { assistantMessage, customToolCall, functionCall, type ResponseItem } from "./responses-stand-in.js";

/** A 1×1 PNG (70 bytes): small enough that codex passes it to the model unchanged. */
const PIXEL_PNG = Buffer.from(
  "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg==",
  "base64",
);

/** The scripted model turn and everything a test needs to check that it happened. */
export interface ToolConversation {
  /** The model's responses, one per `/responses` call: shell, view_image, apply_patch, final message. */
  turns: ResponseItem[][];
  shell: { callId: string; command: string; expectedOutput: string; exitCode: number };
  image: { callId: string; path: string; bytes: Buffer };
  patch: {
    callId: string;
    createdPath: string;
    createdContent: string;
    editedPath: string;
    editedBefore: string;
    editedAfter: string;
  };
  finalText: string;
}

/**
 * Seeds `workspace` (an absolute, symlink-free directory) with an image and a text file, and scripts a model
 * turn that uses the three tool families an exec-server serves: `exec_command` runs a shell command (no login
 * shell, so no profile script adds output) that prints a marker (built at run time, so the command text alone
 * does not contain it) and exits 3; `view_image` reads
 * the PNG; `apply_patch` (codex's freeform tool) adds one file and edits the other. Then a final message.
 */
export function prepareToolConversation(workspace: string): ToolConversation {
  const image = { callId: "call-view-image", path: join(workspace, "pixel.png"), bytes: PIXEL_PNG };
  writeFileSync(image.path, image.bytes);
  const editedPath = join(workspace, "notes.txt");
  const editedBefore = "first line\nsecond line\n";
  writeFileSync(editedPath, editedBefore);
  const patch = {
    callId: "call-apply-patch",
    createdPath: join(workspace, "created-by-codex.txt"),
    createdContent: "written through the exec-server\n",
    editedPath,
    editedBefore,
    editedAfter: "first line\nsecond line, edited by codex\n",
  };
  const patchText = [
    "*** Begin Patch",
    "*** Add File: created-by-codex.txt",
    "+written through the exec-server",
    "*** Update File: notes.txt",
    "@@",
    " first line",
    "-second line",
    "+second line, edited by codex",
    "*** End Patch",
    "",
  ].join("\n");
  const shell = { callId: "call-shell", command: "printf 'interop-%s\\n' shell-ran-remotely; exit 3", expectedOutput: "interop-shell-ran-remotely\n", exitCode: 3 };
  const finalText = "All three tools ran.";
  return {
    turns: [
      [functionCall(shell.callId, "exec_command", { cmd: shell.command, login: false })],
      [functionCall(image.callId, "view_image", { path: image.path })],
      [customToolCall(patch.callId, "apply_patch", patchText)],
      [assistantMessage("msg-final", finalText)],
    ],
    shell,
    image,
    patch,
    finalText,
  };
}
