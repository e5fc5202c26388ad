import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CODEX_VERSION, codexSkip } from "../../helpers/codex-binary.js";
import { runCodexClientScenario, type ScenarioRun } from "./codex-client-scenario.js";
import { ourExecServer, realCodexExecServer, type ExecServerTarget } from "./exec-server-targets.js";
import { APP_SERVER_ENVIRONMENT_ID } from "./run-app-server-turn.js";
import { fileReads, fileWrites, nativePath, processRuns, tappedCalls } from "./tap-evidence.js";

/**
 * The exec-servers the real codex client is pointed at: the Rust original and ours (which speaks the 0.169
 * dialect since issue 11: file: URIs, environmentInfo, the 0.169 process/start members).
 */
const TARGETS: ExecServerTarget[] = [realCodexExecServer, ourExecServer];

const SCENARIO_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 120_000;

/** The proof, from the websocket and the disk, that the turn's three tools ran on the exec-server. */
function assertToolsRanOnExecServer(run: ScenarioRun): void {
  const { conversation: c, frames } = run;
  const unparsed = frames.filter((frame) => frame.message === undefined);
  assert.deepEqual(unparsed, [], "every websocket message is one JSON-RPC object");
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

  // Both servers announce fsWatchMissing: codex then watches for skills directories appearing.
  const watches = tappedCalls(frames).filter((call) => call.method === "fs/watchMissing");
  assert.ok(watches.length >= 1, "codex sent fs/watchMissing (capabilities.fsWatchMissing is true)");
  for (const watch of watches) assert.deepEqual(watch.result, { watching: true }, JSON.stringify(watch.params));
}

for (const target of TARGETS) {
  describe(`the real codex ${CODEX_VERSION} client against ${target.name}`, { skip: codexSkip() }, () => {
    test("codex exec with CODEX_EXEC_SERVER_URL runs the model's shell command, view_image and apply_patch on the exec-server", { timeout: TEST_TIMEOUT_MS }, async () => {
      const run = await runCodexClientScenario(target, "exec", SCENARIO_TIMEOUT_MS);
      const exec = run.exec!;
      assert.equal(exec.timedOut, false, `codex exec finished within ${SCENARIO_TIMEOUT_MS} ms`);
      assert.equal(exec.exitCode, 0, `codex exec exit code; stderr: ${exec.stderr.slice(-2000)}`);
      assert.match(exec.stdout, new RegExp(run.conversation.finalText));
      assertToolsRanOnExecServer(run);
    });

    test("codex app-server with environment/add runs a turn whose tools go through the added exec-server", { timeout: TEST_TIMEOUT_MS }, async () => {
      const run = await runCodexClientScenario(target, "app-server", SCENARIO_TIMEOUT_MS);
      const turn = run.appServer!;
      const environments = (turn.thread["thread"] as Record<string, unknown>)["environments"] as Record<string, unknown>[];
      assert.deepEqual(environments.map((environment) => environment["environmentId"]), [APP_SERVER_ENVIRONMENT_ID]);
      const completed = turn.completed["turn"] as Record<string, unknown>;
      assert.equal(completed["status"], "completed", JSON.stringify(completed["error"]));
      const items = completed["items"] as Record<string, unknown>[];
      assert.ok(items.some((item) => item["type"] === "agentMessage" && item["text"] === run.conversation.finalText), "the final message ended the turn");
      assert.deepEqual(turn.serverRequests, [], "the turn needed no approval");
      assertToolsRanOnExecServer(run);
    });
  });
}
