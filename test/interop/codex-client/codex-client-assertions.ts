import assert from "node:assert/strict";
import { realpathSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { ScenarioRun } from "./codex-client-scenario.js";
import { fileReads, fileWrites, nativePath, processRuns, tappedCalls } from "./tap-evidence.js";

/**
 * The proof, from the recorded JSON-RPC, the model's received tool outputs and the disk, that the three-tool
 * turn (tool-conversation.ts) ran on the exec-server: the shell command's `process/start`, output and exit;
 * the image's `fs/readFile`; apply_patch's read and `fs/writeFile`s and the files they left.
 */
export function assertToolsRanOnExecServer(run: ScenarioRun): void {
  const { conversation: c, frames } = run;
  const unparsed = frames.filter((frame) => frame.message === undefined);
  assert.deepEqual(unparsed, [], "every exec-server message is one JSON-RPC object");
  assert.equal(run.modelOverflow, 0, "codex made exactly the scripted model calls");
  assert.deepEqual(
    run.modelRequests.filter((request) => request.answeredWith !== undefined).map((request) => request.answeredWith),
    [0, 1, 2, 3],
  );

  // The shell command: process/start on the wire, its output and exit code back on the wire and to the model.
  const shells = processRuns(frames, "shell-ran-remotely");
  assert.equal(shells.length, 1, "one process/start carried the model's shell command");
  const shell = shells[0]!;
  assert.equal(nativePath(shell.start.params["cwd"]), run.workspace);
  assert.equal(shell.start.params["sandbox"] ?? null, null, "no restricted sandbox was requested");
  assert.equal(shell.stdout, c.shell.expectedOutput);
  assert.equal(shell.exitCode, c.shell.exitCode);
  const shellOutput = String(run.toolOutputs[c.shell.callId]);
  assert.match(shellOutput, /interop-shell-ran-remotely/);
  assert.match(shellOutput, new RegExp(`exited with code ${c.shell.exitCode}`));

  // view_image: the PNG's bytes came over fs/readFile and went to the model as an input image.
  const imageReads = fileReads(frames, c.image.path);
  assert.ok(imageReads.length >= 1, "fs/readFile read the image");
  assert.deepEqual(imageReads.at(-1)!.data, c.image.bytes);
  const imageOutput = run.toolOutputs[c.image.callId] as Record<string, unknown>[];
  assert.ok(Array.isArray(imageOutput), "view_image answered the model with content items");
  assert.equal(imageOutput[0]?.["image_url"], `data:image/png;base64,${c.image.bytes.toString("base64")}`);

  // apply_patch: the edited file was read, both files were written over fs/writeFile, and the disk agrees.
  assert.equal(fileReads(frames, c.patch.editedPath).at(-1)?.data.toString("utf8"), c.patch.editedBefore);
  assert.equal(fileWrites(frames, c.patch.createdPath).at(-1)?.data.toString("utf8"), c.patch.createdContent);
  assert.equal(fileWrites(frames, c.patch.editedPath).at(-1)?.data.toString("utf8"), c.patch.editedAfter);
  assert.match(String(run.toolOutputs[c.patch.callId]), /Success/);
  assert.equal(run.disk.created, c.patch.createdContent);
  assert.equal(run.disk.edited, c.patch.editedAfter);
}

/** `codex exec` ended by itself within `timeoutMs`, exited 0 and printed the scripted final message. */
export function assertCodexExecFinished(run: ScenarioRun, timeoutMs: number): void {
  const exec = run.exec!;
  assert.equal(exec.timedOut, false, `codex exec finished within ${timeoutMs} ms`);
  assert.equal(exec.exitCode, 0, `codex exec exit code; stderr: ${exec.stderr.slice(-2000)}`);
  assert.match(exec.stdout, new RegExp(run.conversation.finalText));
}

/** The app-server's thread ran on exactly its exec-server environment and the turn completed with the final message, asking nothing. */
export function assertAppServerTurnCompleted(run: ScenarioRun): void {
  const turn = run.appServer!;
  const environments = (turn.thread["thread"] as Record<string, unknown>)["environments"] as Record<string, unknown>[];
  assert.deepEqual(environments.map((environment) => environment["environmentId"]), [turn.environmentId]);
  const completed = turn.completed["turn"] as Record<string, unknown>;
  assert.equal(completed["status"], "completed", JSON.stringify(completed["error"]));
  const items = completed["items"] as Record<string, unknown>[];
  assert.ok(items.some((item) => item["type"] === "agentMessage" && item["text"] === run.conversation.finalText), "the final message ended the turn");
  assert.deepEqual(turn.serverRequests, [], "the turn needed no approval");
}

/**
 * Paths codex's own bubblewrap sandbox creates on the host, as mount points masking them, for the duration
 * of each sandboxed command whose writable roots include the temporary directory (workspace-write).
 */
const SANDBOX_MOUNT_POINTS = new Set([".git", ".agents", ".codex"].map((name) => join(realpathSync(tmpdir()), name)));

/**
 * A server announcing `capabilities.fsWatchMissing` (both the Rust server and ours) gets codex's
 * `fs/watchMissing` for the skills directories after workspace discovery; every one is accepted. One
 * exception: codex also looks at the project-root markers of the workspace's ancestors (`/tmp/.git`),
 * and codex's own sandbox creates `/tmp/.git`, `/tmp/.agents` and `/tmp/.codex` for a moment during
 * every sandboxed command of the workspace-write tests, which may run concurrently (other files, other
 * checkouts on the machine). A watch naming one of those transient mount points, or a path inside one,
 * as missing or as present may therefore be refused, rightly: it existed (or no longer did) when the
 * server looked.
 */
export function assertWatchedMissingPaths(run: ScenarioRun): void {
  const watches = tappedCalls(run.frames).filter((call) => call.method === "fs/watchMissing");
  assert.ok(watches.length >= 1, "codex sent fs/watchMissing (capabilities.fsWatchMissing is true)");
  const transient = (uri: unknown): boolean => {
    const path = nativePath(uri) ?? "";
    return [...SANDBOX_MOUNT_POINTS].some((mountPoint) => path === mountPoint || path.startsWith(`${mountPoint}/`));
  };
  for (const watch of watches) {
    const missing = Array.isArray(watch.params["missing"]) ? (watch.params["missing"] as unknown[]) : [];
    const namesMountPoint = [...missing, watch.params["present"]].some(transient);
    if (namesMountPoint && (watch.result as { watching?: unknown } | undefined)?.watching === false) continue;
    assert.deepEqual(watch.result, { watching: true }, JSON.stringify(watch.params));
  }
}
