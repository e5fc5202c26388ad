import type { Check, CheckContext } from "../../check.js";
import { expect, skip } from "../../check.js";
import { b64, show } from "../../expectations.js";
import { CodexPeer } from "../codex-peer.js";
import { checkDir, expectMissing, expectText, readText, uriJoin, writeText } from "../fs-steps.js";
import { runShell } from "../process-steps.js";

const EROFS = "Read-only file system (os error 30)";

/**
 * codex's workspace-write fs sandbox with `workspace` as its one project root — without the
 * `slash_tmp`/`tmpdir` entries (the scratch directory lives in a temporary directory, so they
 * would make every "outside" path writable) and without `current_working_directory` (the 0.169
 * binary drops it). Carried as codex does: `policyContext` plus the flat legacy members.
 */
function workspaceWrite(workspace: string, extraEntries: unknown[] = []): Record<string, unknown> {
  const special = (kind: string, extra: Record<string, unknown> = {}) => ({ type: "special", value: { kind, ...extra } });
  return {
    permissions: {
      type: "managed",
      file_system: {
        type: "restricted",
        entries: [
          { path: special("root"), access: "read" },
          { path: special("project_roots"), access: "write" },
          ...[".git", ".agents", ".codex", ".aws"].map((subpath) => ({ path: special("project_roots", { subpath }), access: "read", missing_path_behavior: "skip" })),
          ...extraEntries,
        ],
      },
      network: "restricted",
    },
    cwd: workspace,
    policyContext: { cwd: workspace, workspaceRoots: [workspace] },
    workspaceRoots: [workspace],
    windowsSandboxLevel: "disabled",
    useLegacyLandlock: false,
  };
}

/**
 * Skips when the server cannot apply a sandbox at all (upstream runs sandboxed fs calls in a
 * bubblewrap helper, which needs user namespaces): a write the profile allows failing with a
 * helper or namespace error says so.
 */
async function allowedWrite(ctx: CheckContext, peer: CodexPeer, path: string, text: string, sandbox: unknown): Promise<void> {
  const response = await peer.request("fs/writeFile", { path, dataBase64: b64(text), sandbox });
  const message = response.error?.message ?? "";
  if (response.error !== undefined && /sandbox helper|bwrap|namespace/i.test(message)) {
    skip(`the server cannot sandbox fs calls on this host: ${message}`);
  }
  expect(response.error === undefined, () => `fs/writeFile the sandbox allows (${path}) failed with ${response.error?.code}: ${message}`);
}

/** The fs `sandbox` of codex 0.169 (issue 12) enforced: checks that pass on the Rust server and on this one. */
export function fsSandboxChecks(): Check[] {
  return [
    {
      id: "fs/sandbox-workspace-write",
      title: "workspace-write fs sandbox: writes inside the workspace; outside, through an escaping link and into .git → -32603; a missing directory → -32004, then created",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        const workspace = uriJoin(dir, "workspace");
        const outside = uriJoin(dir, "outside");
        await peer.call("fs/createDirectory", { path: uriJoin(workspace, ".git") });
        await peer.call("fs/createDirectory", { path: outside });
        await writeText(peer, uriJoin(workspace, ".git", "HEAD"), "ref");
        await writeText(peer, uriJoin(outside, "kept.txt"), "kept");
        await runShell(peer, ctx, "fixture", "ln -s ../outside escape", workspace);
        const sandbox = workspaceWrite(workspace);

        await allowedWrite(ctx, peer, uriJoin(workspace, "inside.txt"), "inside", sandbox);
        await expectText(peer, uriJoin(workspace, "inside.txt"), "inside", "a sandboxed write inside the workspace");
        await peer.fails("fs/writeFile", { path: uriJoin(outside, "new.txt"), dataBase64: b64("no"), sandbox }, -32603, "a sandboxed write outside the workspace", { upstream: EROFS });
        await peer.fails("fs/writeFile", { path: uriJoin(outside, "kept.txt"), dataBase64: b64("no"), sandbox }, -32603, "a sandboxed overwrite outside the workspace", { upstream: EROFS });
        await peer.fails("fs/writeFile", { path: uriJoin(workspace, "escape", "via-link.txt"), dataBase64: b64("no"), sandbox }, -32603, "a sandboxed write through a link out of the workspace", {
          upstream: EROFS,
        });
        await peer.fails("fs/writeFile", { path: uriJoin(workspace, ".git", "HEAD"), dataBase64: b64("no"), sandbox }, -32603, "a sandboxed write into the workspace's .git", { upstream: EROFS });
        await expectMissing(peer, uriJoin(outside, "new.txt"), "after the refused write outside");
        await expectMissing(peer, uriJoin(outside, "via-link.txt"), "after the refused write through the link");
        expect((await readText(peer, uriJoin(outside, "kept.txt"))) === "kept", "the refused overwrite changed the file outside");
        expect((await readText(peer, uriJoin(workspace, ".git", "HEAD"))) === "ref", "the refused write changed .git/HEAD");

        // codex's flow for a new file in a new directory: -32004, then fs/createDirectory, then the write again.
        const nested = uriJoin(workspace, "new", "dir", "f.txt");
        await peer.fails("fs/writeFile", { path: nested, dataBase64: b64("x"), sandbox }, -32004, "a sandboxed write into a missing directory", {
          upstream: "No such file or directory (os error 2)",
        });
        await peer.call("fs/createDirectory", { path: uriJoin(workspace, "new", "dir"), recursive: true, sandbox }, { what: "sandboxed fs/createDirectory inside" });
        await allowedWrite(ctx, peer, nested, "x", sandbox);
        await peer.fails("fs/createDirectory", { path: uriJoin(outside, "made"), recursive: true, sandbox }, -32603, "a sandboxed fs/createDirectory outside", { upstream: EROFS });
        await peer.fails("fs/remove", { path: uriJoin(outside, "kept.txt"), sandbox }, -32603, "a sandboxed fs/remove outside", { upstream: EROFS });
        const read = await peer.call("fs/readFile", { path: uriJoin(outside, "kept.txt"), sandbox }, { what: "a sandboxed read outside (root is readable)" });
        expect(read["dataBase64"] === b64("kept"), `a sandboxed read outside answered ${show(read)}`);
      },
    },
    {
      id: "fs/sandbox-approved-directory",
      title: "an approved directory added as a write entry (codex's escalation of a patch outside the workspace) becomes writable, nothing else",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        const workspace = uriJoin(dir, "workspace");
        const approved = uriJoin(dir, "approved");
        const other = uriJoin(dir, "other");
        for (const path of [workspace, approved, other]) await peer.call("fs/createDirectory", { path });
        const sandbox = workspaceWrite(workspace, [{ path: { type: "path", path: approved }, access: "write" }]);
        await allowedWrite(ctx, peer, uriJoin(approved, "patched.txt"), "ok", sandbox);
        await expectText(peer, uriJoin(approved, "patched.txt"), "ok", "a write into the approved directory");
        await peer.fails("fs/writeFile", { path: uriJoin(other, "x.txt"), dataBase64: b64("no"), sandbox }, -32603, "a write into a directory that was not approved", { upstream: EROFS });
        await expectMissing(peer, uriJoin(other, "x.txt"), "after the refused write");
      },
    },
    {
      id: "fs/sandbox-deny-and-uncovered",
      title: "a deny entry refuses reads and writes with -32600 (Permission denied); a path no entry covers does not exist (-32004)",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        const open = uriJoin(dir, "open");
        const secret = uriJoin(dir, "secret");
        const elsewhere = uriJoin(dir, "elsewhere");
        for (const path of [open, secret, elsewhere]) await peer.call("fs/createDirectory", { path });
        await writeText(peer, uriJoin(secret, "key"), "k");
        await writeText(peer, uriJoin(elsewhere, "e.txt"), "e");
        const sandbox = {
          permissions: {
            type: "managed",
            file_system: {
              type: "restricted",
              entries: [
                { path: { type: "path", path: open }, access: "write" },
                { path: { type: "path", path: secret }, access: "deny" },
              ],
            },
            network: "restricted",
          },
          windowsSandboxLevel: "disabled",
        };
        await allowedWrite(ctx, peer, uriJoin(open, "f.txt"), "f", sandbox);
        await peer.fails("fs/readFile", { path: uriJoin(secret, "key"), sandbox }, -32600, "a sandboxed read of a denied file", { upstream: "Permission denied (os error 13)" });
        await peer.fails("fs/writeFile", { path: uriJoin(secret, "new"), dataBase64: b64("x"), sandbox }, -32600, "a sandboxed write into a denied directory", {
          upstream: "Permission denied (os error 13)",
        });
        await peer.fails("fs/readFile", { path: uriJoin(elsewhere, "e.txt"), sandbox }, -32004, "a sandboxed read of a path no entry covers", { upstream: "No such file or directory (os error 2)" });
        await expectMissing(peer, uriJoin(secret, "new"), "after the refused write");
      },
    },
  ];
}
