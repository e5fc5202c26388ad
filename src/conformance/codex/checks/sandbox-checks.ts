import type { Check, CheckContext } from "../../check.js";
import { expect, fail, skip } from "../../check.js";
import { show } from "../../expectations.js";
import { CodexPeer } from "../codex-peer.js";
import { checkDir, expectMissing, expectText, uriJoin, writeText } from "../fs-steps.js";
import { cleanupTerminate, expectExitedThenClosed, outputText, startParams, waitClosed, waitExited, waitOutput } from "../process-steps.js";

/**
 * A `WireFileSystemSandboxContext` (UPSTREAM-0.169 §4.1) whose managed profile reads everything,
 * writes the workspace roots (`project_roots`, as codex's workspace-write does, without the
 * `/tmp` grants, so the check's own directory under the server's temp dir stays read-only) and
 * applies `extra` entries. The network is restricted, but no check depends on it (error texts
 * differ between sandbox implementations).
 */
function workspaceSandbox(workspace: string, extra: readonly unknown[] = []): Record<string, unknown> {
  return {
    permissions: {
      type: "managed",
      file_system: {
        type: "restricted",
        entries: [
          { path: { type: "special", value: { kind: "root" } }, access: "read" },
          { path: { type: "special", value: { kind: "project_roots" } }, access: "write" },
          ...extra,
        ],
      },
      network: "restricted",
    },
    cwd: workspace,
    workspaceRoots: [workspace],
    windowsSandboxLevel: "disabled",
  };
}

/**
 * Starts a sandboxed process. A server that cannot sandbox on its host (no bubblewrap, user
 * namespaces refused) refuses with -32600 `sandbox refused: …` rather than run unsandboxed: the
 * check is then skipped with that reason. Any other error fails the check.
 */
async function startSandboxed(ctx: CheckContext, peer: CodexPeer, params: Record<string, unknown>): Promise<Record<string, unknown>> {
  const response = await peer.request("process/start", params);
  if (response.error !== undefined) {
    if (response.error.code === -32600 && response.error.message.startsWith("sandbox refused")) {
      skip(`the server cannot sandbox processes on its host: ${response.error.message}`);
    }
    fail(`sandboxed process/start ${String(params["processId"])} failed with ${response.error.code}: ${response.error.message}`);
  }
  const result = response.result as Record<string, unknown>;
  expect(result["sandboxType"] === "linuxSeccomp", `a restricted sandbox answered sandboxType ${show(result["sandboxType"])}, expected "linuxSeccomp" (it must be applied)`);
  return result;
}

/** Runs a sandboxed `sh -c script` to completion; returns its exit notification and output. */
async function runSandboxed(
  ctx: CheckContext,
  peer: CodexPeer,
  processId: string,
  script: string,
  workspace: string,
  sandbox: Record<string, unknown>,
): Promise<{ exitCode: unknown; sandboxDenied: unknown; output: string }> {
  await startSandboxed(ctx, peer, startParams(ctx, processId, ["sh", "-c", script], { cwd: workspace, sandbox }));
  const events = await waitClosed(peer, processId);
  expectExitedThenClosed(events, processId);
  const exited = events.find((event) => event.method === "process/exited")!;
  const output = outputText(events);
  // A server that accepts the sandbox but whose bubblewrap cannot create namespaces on its host
  // fails the command closed (the Rust executor does this): nothing to judge there.
  const setupFailure = /^bwrap: .*/m.exec(output);
  if (exited.params["exitCode"] !== 0 && setupFailure !== null) skip(`the server's sandbox cannot start on its host: ${setupFailure[0]}`);
  return { exitCode: exited.params["exitCode"], sandboxDenied: exited.params["sandboxDenied"], output };
}

/** Creates `<checkDir>/workspace` and `<checkDir>/sibling` through the server; returns their URIs. */
async function tree(peer: CodexPeer, ctx: CheckContext): Promise<{ workspace: string; sibling: string }> {
  const dir = await checkDir(peer, ctx);
  const workspace = uriJoin(dir, "workspace");
  const sibling = uriJoin(dir, "sibling");
  for (const path of [workspace, sibling]) await peer.call("fs/createDirectory", { path, recursive: true });
  return { workspace, sibling };
}

/**
 * Process sandboxes (UPSTREAM-0.169 §4, issue 12): what both the Rust executor (bubblewrap +
 * seccomp) and this project's (bubblewrap) enforce, judged by what the child can do.
 */
export function sandboxChecks(): Check[] {
  return [
    {
      id: "sandbox/process-workspace-write",
      title: "a workspace-write profile (root read, project roots write) answers linuxSeccomp; the child writes inside the workspace, not into a sibling (non-zero exit, sandboxDenied true, nothing written); a disabled profile restricts nothing",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const { workspace, sibling } = await tree(peer, ctx);
        const sandbox = workspaceSandbox(workspace);
        const inside = await runSandboxed(ctx, peer, "inside", "printf inside > inside.txt", workspace, sandbox);
        expect(inside.exitCode === 0, `writing inside the workspace exited ${show(inside.exitCode)}: ${inside.output}`);
        expect(inside.sandboxDenied === false, `a successful sandboxed write reported sandboxDenied ${show(inside.sandboxDenied)}`);
        await expectText(peer, uriJoin(workspace, "inside.txt"), "inside", "the sandboxed write inside the workspace");
        const outside = await runSandboxed(ctx, peer, "outside", "printf outside > ../sibling/outside.txt", workspace, sandbox);
        expect(outside.exitCode !== 0, `writing into a sibling of the workspace exited 0 under the sandbox: ${show(outside.output)}`);
        expect(outside.sandboxDenied === true, `a write refused by the sandbox reported sandboxDenied ${show(outside.sandboxDenied)} (output ${show(outside.output)})`);
        await expectMissing(peer, uriJoin(sibling, "outside.txt"), "the sandboxed write into a sibling");
        await startSandboxedDisabled(ctx, peer, workspace);
        await expectText(peer, uriJoin(sibling, "free.txt"), "free", "a write under a disabled profile");
      },
    },
    {
      id: "sandbox/process-deny-read",
      title: "a deny entry on a directory inside a readable tree hides it: reading a file there fails with sandboxDenied true, other files stay readable",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const { workspace } = await tree(peer, ctx);
        const secret = uriJoin(workspace, "secret");
        await peer.call("fs/createDirectory", { path: secret, recursive: true });
        await writeText(peer, uriJoin(secret, "key.txt"), "hidden");
        await writeText(peer, uriJoin(workspace, "open.txt"), "visible");
        const sandbox = workspaceSandbox(workspace, [{ path: { type: "path", path: secret }, access: "deny" }]);
        const open = await runSandboxed(ctx, peer, "open", "cat open.txt", workspace, sandbox);
        expect(open.exitCode === 0 && open.output === "visible", `reading a readable file exited ${show(open.exitCode)} with ${show(open.output)}`);
        const denied = await runSandboxed(ctx, peer, "denied", "cat secret/key.txt", workspace, sandbox);
        expect(denied.exitCode !== 0 && !denied.output.includes("hidden"), `reading a denied file exited ${show(denied.exitCode)} with ${show(denied.output)}`);
        expect(denied.sandboxDenied === true, `a read refused by the sandbox reported sandboxDenied ${show(denied.sandboxDenied)} (output ${show(denied.output)})`);
      },
    },
    {
      id: "sandbox/process-control",
      title: "a sandboxed process can be interrupted (130) and terminated (137 or 143, variant terminateSignal) and runs under a PTY",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const { workspace } = await tree(peer, ctx);
        const sandbox = workspaceSandbox(workspace);
        try {
          await startSandboxed(ctx, peer, startParams(ctx, "interrupted", ["sh", "-c", "echo ready; exec sleep 30"], { cwd: workspace, sandbox }));
          await waitOutput(peer, "interrupted", (text) => text.includes("ready"), "the sandboxed process to start");
          const signalled = await peer.call("process/signal", { processId: "interrupted", signal: "interrupt" });
          expect(Object.keys(signalled).length === 0, `process/signal answered ${show(signalled)}`);
          const interrupted = await waitExited(peer, "interrupted");
          expect(interrupted["exitCode"] === 130, `an interrupted sandboxed sleep exited ${show(interrupted["exitCode"])}, expected 130`);
          await startSandboxed(ctx, peer, startParams(ctx, "terminated", ["sh", "-c", "echo ready; exec sleep 30"], { cwd: workspace, sandbox }));
          await waitOutput(peer, "terminated", (text) => text.includes("ready"), "the sandboxed process to start");
          const terminate = await peer.call("process/terminate", { processId: "terminated" });
          expect(terminate["running"] === true, `process/terminate of a sandboxed process answered ${show(terminate)}`);
          const events = await waitClosed(peer, "terminated");
          const code = events.find((event) => event.method === "process/exited")?.params["exitCode"];
          expect(code === 137 || code === 143, `a terminated sandboxed sleep exited ${show(code)}, expected 137 or 143`);
          ctx.variant("terminateSignal", code === 137 ? "kill" : "term-then-kill");
          await startSandboxed(ctx, peer, startParams(ctx, "tty", ["sh", "-c", "printf tty-in-sandbox"], { cwd: workspace, sandbox, tty: true }));
          const tty = await waitClosed(peer, "tty");
          expect(outputText(tty, "pty").includes("tty-in-sandbox"), `a sandboxed PTY printed ${show(outputText(tty))}`);
        } finally {
          await cleanupTerminate(peer, "interrupted", "terminated");
        }
      },
    },
  ];
}

/** A `disabled` profile restricts nothing: the child may write outside the workspace (its sandboxType is not judged). */
async function startSandboxedDisabled(ctx: CheckContext, peer: CodexPeer, workspace: string): Promise<void> {
  const sandbox = { permissions: { type: "disabled" }, windowsSandboxLevel: "disabled" };
  await peer.call("process/start", startParams(ctx, "disabled", ["sh", "-c", "printf free > ../sibling/free.txt"], { cwd: workspace, sandbox }));
  const events = await waitClosed(peer, "disabled");
  const exited = events.find((event) => event.method === "process/exited");
  expect(exited?.params["exitCode"] === 0, `a write under a disabled profile exited ${show(exited?.params["exitCode"])}: ${outputText(events)}`);
  expect(exited?.params["sandboxDenied"] === false, `a successful write under a disabled profile reported sandboxDenied ${show(exited?.params["sandboxDenied"])}`);
}
