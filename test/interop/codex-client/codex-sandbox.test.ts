import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { dirname } from "node:path";
import { CODEX_VERSION, codexSkip } from "../../helpers/codex-binary.js";
import { userNamespacesSkip } from "../../helpers/user-namespaces.js";
import { ourExecServer, realCodexExecServer, type ExecServerTarget } from "./exec-server-targets.js";
import { runEscalationTurn, runWorkspaceWriteTurn, WORKSPACE_WRITE_CLIENTS, type SandboxRun } from "./sandbox-scenarios.js";
import type { ShellStep, WorkspaceWriteConversation } from "./sandbox-conversations.js";
import { fsCallsFor, tappedCalls, toolCallProcessRuns, toolCallProcessStarts, type ProcessEvidence } from "./tap-evidence.js";
import { workspaceWriteFsSandbox, workspaceWriteProcessSandbox, writablePathEntry } from "./workspace-write-profile.js";

/**
 * The exec-servers the real codex client runs sandboxed turns against: the Rust original and ours, whose
 * sandbox (issue 12) enforces codex's permission profiles for processes (bubblewrap) and fs methods;
 * docs/codex-client.md records what codex sends and what the Rust server answers.
 */
const SANDBOX_TARGETS: ExecServerTarget[] = [realCodexExecServer, ourExecServer];

/**
 * Skip reason (or false): the binary, then user namespaces — without them the Rust server's bubblewrap fails
 * every sandboxed call (docs/codex-client.md says how). Both fail instead of skipping under `CI=true`.
 */
const SKIP = codexSkip() || userNamespacesSkip();

const SCENARIO_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 120_000;

/**
 * The only `sandboxType` a Linux executor reports for a sandboxed child in 0.169 (the enum is `none`,
 * `macosSeatbelt`, `linuxSeccomp`, `windowsRestrictedToken`); the Rust server answers it for its
 * bubblewrap + seccomp sandbox.
 */
const LINUX_SANDBOX_TYPE = "linuxSeccomp";

/** What the failing redirection of a denied write prints (bash, EROFS from a read-only mount; or EACCES/EPERM). */
const DENIED_WRITE = /Read-only file system|Permission denied|Operation not permitted/;

/** The single process codex started for `step`, with its start request and answer. */
function onlyRun(run: SandboxRun<unknown>, step: ShellStep): ProcessEvidence {
  const starts = toolCallProcessStarts(run.frames, step.callId);
  assert.equal(starts.length, 1, `codex sent one process/start for ${step.callId} (no retry)`);
  assert.equal(starts[0]!.error, undefined, `process/start for ${step.callId} succeeded`);
  const runs = toolCallProcessRuns(run.frames, step.callId);
  assert.equal(runs.length, 1);
  return runs[0]!;
}

/** The `userHomeDir` the exec-server reported in its `initialize` answer (codex copies it into fs sandboxes). */
function serverHomeDir(run: SandboxRun<unknown>): string {
  const initialize = tappedCalls(run.frames).find((call) => call.method === "initialize");
  const info = initialize?.result?.["environmentInfo"] as Record<string, unknown> | undefined;
  assert.equal(typeof info?.["userHomeDir"], "string", "initialize answered environmentInfo.userHomeDir");
  return String(info?.["userHomeDir"]);
}

function assertScriptRan(run: SandboxRun<{ turns: unknown[] }>): void {
  assert.deepEqual(run.frames.filter((frame) => frame.message === undefined), [], "every websocket message is one JSON-RPC object");
  assert.equal(run.modelOverflow, 0, "codex made exactly the scripted model calls");
  assert.deepEqual(
    run.modelRequests.filter((request) => request.answeredWith !== undefined).map((request) => request.answeredWith),
    run.conversation.turns.map((_, index) => index),
  );
}

/** A shell command the sandbox refused: restricted sandbox sent, sandboxed answer, exit 1, sandboxDenied, nothing written. */
function assertDeniedShellWrite(run: SandboxRun<WorkspaceWriteConversation>, step: ShellStep): ProcessEvidence {
  const process = onlyRun(run, step);
  assert.deepEqual(process.start.params["sandbox"], workspaceWriteProcessSandbox(run.workspace), `${step.callId}: the workspace-write sandbox`);
  assert.equal(process.start.result?.["sandboxType"], LINUX_SANDBOX_TYPE, `${step.callId}: sandboxType`);
  assert.equal(process.exitCode, 1, `${step.callId}: exit code (stderr: ${process.stderr})`);
  assert.equal(process.sandboxDenied, true, `${step.callId}: process/exited.sandboxDenied`);
  assert.match(process.stderr, DENIED_WRITE);
  assert.match(String(run.toolOutputs[step.callId]), /Process exited with code 1/);
  return process;
}

function assertWorkspaceWriteEnforced(run: SandboxRun<WorkspaceWriteConversation>): void {
  const c = run.conversation;
  assertScriptRan(run);

  // Every command codex ran carried the restricted sandbox: no unsandboxed retry after a denial.
  const starts = tappedCalls(run.frames).filter((call) => call.method === "process/start");
  assert.equal(starts.length, 4, "process/start for the four shell writes, none for the escalation request");
  for (const start of starts) assert.deepEqual(start.params["sandbox"], workspaceWriteProcessSandbox(run.workspace));

  // Inside the workspace: written, exit 0, not denied.
  const inside = onlyRun(run, c.writeInside);
  assert.equal(inside.start.result?.["sandboxType"], LINUX_SANDBOX_TYPE);
  assert.equal(inside.stdout, c.writeInside.expectedOutput);
  assert.equal(inside.exitCode, 0);
  assert.equal(inside.sandboxDenied, false);
  assert.equal(run.disk[c.writeInside.callId], c.writeInside.expectedOutput);

  // A sibling directory, $HOME, an existing /etc-like file: refused, nothing written.
  assertDeniedShellWrite(run, c.writeSibling);
  assertDeniedShellWrite(run, c.writeHome);
  assertDeniedShellWrite(run, c.writeEtc);
  assert.equal(run.disk[c.writeSibling.callId], undefined, "the sibling file is absent");
  assert.equal(run.disk[c.writeHome.callId], undefined, "the $HOME file is absent");
  assert.equal(run.disk[c.writeEtc.callId], run.tree.etcHostsBefore, "the /etc-like file is unchanged");

  // require_escalated under approval policy never: codex refuses it itself and starts nothing.
  assert.deepEqual(toolCallProcessStarts(run.frames, c.escalate.callId), []);
  assert.match(String(run.toolOutputs[c.escalate.callId]), /approval policy is Never; reject command/);
  assert.equal(run.disk[c.escalate.callId], undefined);

  const fsSandbox = workspaceWriteFsSandbox(run.workspace, serverHomeDir(run));

  // apply_patch inside: fs/writeFile with the restricted file-system sandbox, written.
  const insideWrites = fsCallsFor(run.frames, c.patchInside.path).filter((call) => call.method === "fs/writeFile");
  assert.equal(insideWrites.length, 1);
  assert.deepEqual(insideWrites[0]!.params["sandbox"], fsSandbox);
  assert.deepEqual(insideWrites[0]!.result, {});
  assert.match(String(run.toolOutputs[c.patchInside.callId]), /Success/);
  assert.equal(run.disk[c.patchInside.callId], c.patchInside.content);

  // apply_patch through workspace/escape -> sibling: codex sends it (the name is inside the workspace), the
  // server's sandbox refuses it, nothing is written.
  const viaSymlinkPath = `${run.workspace}/escape/via-symlink.txt`;
  const symlinkWrites = fsCallsFor(run.frames, viaSymlinkPath).filter((call) => call.method === "fs/writeFile");
  assert.ok(symlinkWrites.length >= 1, "codex sent fs/writeFile through the symlink");
  for (const write of symlinkWrites) {
    assert.deepEqual(write.params["sandbox"], fsSandbox);
    assert.notEqual(write.error, undefined, `the server refused the write through the symlink (answer: ${JSON.stringify(write.result)})`);
  }
  assert.match(String(run.toolOutputs[c.patchViaSymlink.callId]), /Failed to write file/);
  assert.equal(run.disk[c.patchViaSymlink.callId], undefined, "nothing was written through the symlink");

  // apply_patch to an absolute path outside: codex rejects it itself; no fs call names it.
  assert.deepEqual(fsCallsFor(run.frames, c.patchOutside.path), []);
  assert.match(String(run.toolOutputs[c.patchOutside.callId]), /patch rejected: writing outside of the project/);
  assert.equal(run.disk[c.patchOutside.callId], undefined);
}

for (const target of SANDBOX_TARGETS) {
  describe(`the real codex ${CODEX_VERSION} client in workspace-write mode against ${target.name}`, { skip: SKIP }, () => {
    for (const client of WORKSPACE_WRITE_CLIENTS) {
      test(`${client}: the sandbox lets a command write inside the workspace and refuses writes to a sibling, $HOME and an /etc-like file`, { timeout: TEST_TIMEOUT_MS }, async () => {
        const run = await runWorkspaceWriteTurn(target, client, SCENARIO_TIMEOUT_MS);
        if (run.exec !== undefined) {
          assert.equal(run.exec.timedOut, false, `codex exec finished within ${SCENARIO_TIMEOUT_MS} ms`);
          assert.equal(run.exec.exitCode, 0, `codex exec exit code; stderr: ${run.exec.stderr.slice(-2000)}`);
          assert.match(run.exec.stdout, new RegExp(run.conversation.finalText));
        }
        if (run.appServer !== undefined) {
          const completed = run.appServer.completed["turn"] as Record<string, unknown>;
          assert.equal(completed["status"], "completed", JSON.stringify(completed["error"]));
          assert.deepEqual(run.appServer.serverRequests, [], "approval policy never: codex asked nothing");
        }
        assertWorkspaceWriteEnforced(run);
      });
    }

    test("app-server on-request: a denied write is not escalated by itself; an approved require_escalated command runs unsandboxed and an approved outside patch widens the fs sandbox", { timeout: TEST_TIMEOUT_MS }, async () => {
      const run = await runEscalationTurn(target, SCENARIO_TIMEOUT_MS);
      const c = run.conversation;
      assertScriptRan(run);
      const turn = run.appServer!;
      assert.equal((turn.completed["turn"] as Record<string, unknown>)["status"], "completed");

      // The sandboxed attempt: refused and reported denied; codex asks no approval for it.
      const denied = onlyRun(run, c.writeSibling);
      assert.deepEqual(denied.start.params["sandbox"], workspaceWriteProcessSandbox(run.workspace));
      assert.equal(denied.start.result?.["sandboxType"], LINUX_SANDBOX_TYPE);
      assert.equal(denied.exitCode, 1);
      assert.equal(denied.sandboxDenied, true);

      // The approvals codex asked, in order: the escalated command, then the outside patch.
      assert.deepEqual(
        turn.serverRequests.map((request) => [request.method, request.params?.["itemId"]]),
        [
          ["item/commandExecution/requestApproval", c.escalate.callId],
          ["item/fileChange/requestApproval", c.patchOutside.callId],
        ],
      );
      assert.equal(turn.serverRequests[0]!.params?.["reason"], c.escalate.justification);

      // The approved command: sandbox null, so the server runs it unsandboxed and it writes.
      const escalated = onlyRun(run, c.escalate);
      assert.equal(escalated.start.params["sandbox"], null);
      assert.equal(escalated.start.result?.["sandboxType"], "none");
      assert.equal(escalated.exitCode, 0);
      assert.equal(escalated.sandboxDenied, false);
      assert.equal(run.disk[c.escalate.callId], c.escalate.expectedContent);

      // The approved patch: still sandboxed, with the target's directory added as a writable path entry.
      const writes = fsCallsFor(run.frames, c.patchOutside.path).filter((call) => call.method === "fs/writeFile");
      assert.equal(writes.length, 1);
      assert.deepEqual(writes[0]!.params["sandbox"], workspaceWriteFsSandbox(run.workspace, serverHomeDir(run), [writablePathEntry(dirname(c.patchOutside.path))]));
      assert.deepEqual(writes[0]!.result, {});
      assert.equal(run.disk[c.patchOutside.callId], c.patchOutside.content);
    });
  });
}
