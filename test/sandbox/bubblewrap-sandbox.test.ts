import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { existsSync } from "node:fs";
import { mkdir, mkdtemp, readFile, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { createServer, type Server } from "node:net";
import { homedir, tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { readProcStats } from "../../src/server/process/proc-stat.js";
import { signalSession } from "../../src/server/process/signal-session.js";
import { ExecSandbox, SandboxRefusedError } from "../../src/sandbox/index.js";
import { bubblewrapSkip } from "../helpers/bubblewrap.js";
import { workspaceWriteProcessSandbox } from "../interop/codex-client/workspace-write-profile.js";
import { alive, waitUntil } from "../helpers/wait.js";
import { runScript, startChild, uri } from "./run-sandboxed.js";

const skip = await bubblewrapSkip();

let base: string;
let workspace: string;
let sibling: string;
const sandbox = new ExecSandbox();

/** codex's workspace-write: read everything, write the workspace roots, `secret` denied. */
function workspaceWrite(network: "restricted" | "enabled" = "restricted", extraEntries: unknown[] = []) {
  return {
    permissions: {
      type: "managed",
      network,
      file_system: {
        type: "restricted",
        entries: [
          { path: { type: "special", value: { kind: "root" } }, access: "read" },
          { path: { type: "special", value: { kind: "project_roots" } }, access: "write" },
          { path: { type: "path", path: uri(join(workspace, "secret")) }, access: "deny" },
          ...extraEntries,
        ],
      },
    },
    windowsSandboxLevel: "disabled",
    policyContext: { cwd: uri(workspace), workspaceRoots: [uri(workspace)] },
  };
}

before(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), "exec-server-bwrap-")));
  workspace = join(base, "workspace");
  sibling = join(base, "sibling");
  await mkdir(join(workspace, "secret"), { recursive: true });
  await mkdir(join(workspace, ".git"));
  await mkdir(sibling);
  await writeFile(join(workspace, "secret", "token.txt"), "TOP-SECRET-VALUE");
  await writeFile(join(workspace, ".git", "config"), "[core]\n");
  await symlink(sibling, join(workspace, "escape"));
});
after(async () => {
  await rm(base, { recursive: true, force: true });
  await sandbox.dispose();
});

describe("sandboxed processes (real bubblewrap)", { skip }, () => {
  it("lets a workspace-write command write inside the workspace only", async () => {
    const marker = `exec-server-sandbox-${randomBytes(6).toString("hex")}`;
    const targets = { etc: join("/etc", marker), home: join(homedir(), marker), sibling: join(sibling, marker), escape: join(workspace, "escape", `${marker}-via-link`) };
    const prepared = await sandbox.prepareProcess(workspaceWrite(), { cwd: workspace, env: {} });
    assert.equal(prepared.sandboxType, "linuxSeccomp");
    try {
      const result = await runScript(
        prepared,
        [
          "echo inside > inside.txt && echo wrote-inside",
          `echo x > ${targets.etc} || echo etc-refused`,
          `echo x > ${targets.home} || echo home-refused`,
          `echo x > ${targets.sibling} || echo sibling-refused`,
          `echo x > ${targets.escape} || echo escape-refused`,
          "echo x > .git/hook || echo git-refused",
          "cat secret/token.txt || echo secret-refused",
          "exit 1",
        ].join("; "),
        { cwd: workspace },
      );
      for (const word of ["wrote-inside", "etc-refused", "home-refused", "sibling-refused", "escape-refused", "git-refused", "secret-refused"]) {
        assert.ok(result.output.includes(word), `${word} missing from ${result.output}`);
      }
      assert.ok(!result.output.includes("TOP-SECRET-VALUE"));
      assert.equal(await readFile(join(workspace, "inside.txt"), "utf8"), "inside\n");
      for (const target of Object.values(targets)) assert.equal(existsSync(target), false, `${target} exists`);
      assert.equal(result.sandboxDenied, true);
    } finally {
      for (const target of Object.values(targets)) await rm(target, { force: true });
    }
  });

  it("enforces the profile the codex CLI sends for -s workspace-write", async () => {
    // Exactly what codex sends (docs/codex-client.md): project roots writable, /tmp and $TMPDIR writable,
    // the protected names read-only when present (skipped when missing), flat cwd/workspaceRoots.
    const codexWorkspaceWrite = workspaceWriteProcessSandbox(workspace);
    const tmpMarker = join("/tmp", `exec-server-sandbox-${randomBytes(6).toString("hex")}`);
    const tmpdirMarker = join(sibling, "tmpdir-file");
    // The workspace lives under /tmp, which this profile makes writable: "outside" is $HOME.
    const outside = join(homedir(), `exec-server-sandbox-${randomBytes(6).toString("hex")}`);
    const prepared = await sandbox.prepareProcess(codexWorkspaceWrite, { cwd: workspace, env: { TMPDIR: sibling } });
    try {
      const result = await runScript(
        prepared,
        [
          "echo w > codex-inside.txt && echo wrote-inside",
          `echo t > ${tmpMarker} && echo wrote-tmp`,
          `echo t > ${tmpdirMarker} && echo wrote-tmpdir`,
          "echo x > .git/hook || echo git-refused",
          "mkdir .codex && echo made-codex",
          `echo x > ${outside} || echo outside-refused`,
        ].join("; "),
        { cwd: workspace, env: { PATH: "/usr/bin:/bin", TMPDIR: sibling } },
      );
      for (const word of ["wrote-inside", "wrote-tmp", "wrote-tmpdir", "git-refused", "made-codex", "outside-refused"]) {
        assert.ok(result.output.includes(word), `${word} missing from ${result.output}`);
      }
      assert.equal(existsSync(outside), false);
      assert.equal(await readFile(tmpMarker, "utf8"), "t\n");
    } finally {
      await rm(tmpMarker, { force: true });
      await rm(join(workspace, ".codex"), { recursive: true, force: true });
      await rm(tmpdirMarker, { force: true });
      await rm(outside, { force: true });
    }
  });

  it("cuts a restricted command off a loopback listener outside and lets an enabled one connect", async () => {
    let connections = 0;
    const server: Server = createServer((socket) => {
      connections += 1;
      socket.end("hello-from-host\n");
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    const port = (server.address() as { port: number }).port;
    const connect = `require("net").connect(${port}, "127.0.0.1").on("data", (d) => { process.stdout.write("got " + d); process.exit(0); }).on("error", (e) => { console.log("refused " + e.code); process.exit(3); })`;
    try {
      const restricted = await sandbox.prepareProcess(workspaceWrite("restricted"), { cwd: workspace, env: {} });
      const cut = await startChild(restricted, [process.execPath, "-e", connect], { cwd: workspace });
      assert.equal(await cut.closed, 3, cut.output());
      assert.match(cut.output(), /refused ECONNREFUSED/);
      assert.equal(connections, 0);

      const enabled = await sandbox.prepareProcess(workspaceWrite("enabled"), { cwd: workspace, env: {} });
      const open = await startChild(enabled, [process.execPath, "-e", connect], { cwd: workspace });
      assert.equal(await open.closed, 0, open.output());
      assert.match(open.output(), /got hello-from-host/);
      assert.equal(connections, 1);
    } finally {
      server.close();
    }
  });

  it("runs a PTY child inside the same sandbox", async () => {
    const prepared = await sandbox.prepareProcess(workspaceWrite(), { cwd: workspace, env: {} });
    const result = await runScript(prepared, "test -t 1 && echo on-a-tty; echo pty > pty.txt && echo wrote-pty; echo x > /etc/exec-server-pty-probe || echo etc-refused", {
      cwd: workspace,
      tty: true,
    });
    assert.match(result.output, /on-a-tty/);
    assert.match(result.output, /wrote-pty/);
    assert.match(result.output, /etc-refused/);
    assert.equal(existsSync("/etc/exec-server-pty-probe"), false);
    assert.equal(await readFile(join(workspace, "pty.txt"), "utf8"), "pty\n");
  });

  it("applies arg0 inside the sandbox", async () => {
    const prepared = await sandbox.prepareProcess(workspaceWrite(), { cwd: workspace, env: {} });
    const child = await startChild(prepared, ["/bin/sh", "-c", 'echo "name=$0"'], { cwd: workspace, arg0: "renamed", env: { PATH: "/usr/bin:/bin" } });
    assert.equal(await child.closed, 0);
    assert.match(child.output(), /name=renamed/);
  });

  it("dies whole when the session is terminated the way process/terminate does it", async () => {
    const prepared = await sandbox.prepareProcess(workspaceWrite(), { cwd: workspace, env: {} });
    const child = await startChild(prepared, ["/bin/sh", "-c", "sleep 300 & sleep 300 & echo started; wait"], { cwd: workspace });
    await waitUntil(() => child.output().includes("started"), 10_000, "the child to start");
    const leader = child.handle.pid;
    await waitUntil(() => sessionMembers(leader).length >= 5, 10_000, "bwrap, its init, sh and two sleeps");
    const members = sessionMembers(leader);
    signalSession(leader, "SIGTERM");
    await child.closed;
    await waitUntil(() => members.every((pid) => !alive(pid)), 10_000, "every sandboxed process to be gone");
  });

  it("signals only the command with handle.signal, so its trap runs and its exit status survives", async () => {
    const prepared = await sandbox.prepareProcess(workspaceWrite(), { cwd: workspace, env: {} });
    const child = await startChild(prepared, ["/bin/sh", "-c", "trap 'echo trapped; exit 7' TERM; echo ready; while :; do sleep 0.05; done"], { cwd: workspace });
    await waitUntil(() => child.output().includes("ready"), 10_000, "the trap to be installed");
    assert.equal(child.handle.signal("SIGTERM"), true);
    assert.equal(await child.closed, 7);
    assert.match(child.output(), /trapped/);
  });

  it("delivers a signal sent while bubblewrap is still setting up once the command runs", async () => {
    const prepared = await sandbox.prepareProcess(workspaceWrite(), { cwd: workspace, env: {} });
    for (const [signal, exitCode] of [["SIGINT", 130], ["SIGTERM", 143]] as const) {
      const child = await startChild(prepared, ["/bin/sleep", "30"], { cwd: workspace });
      // bwrap has just been exec'd: its namespaces, mounts and the command do not exist yet.
      assert.equal(child.handle.signal(signal), true, `${signal} is pending, not dropped`);
      assert.equal(await child.closed, exitCode, `${signal} killed the command, not bubblewrap`);
    }
  });

  it("removes the placeholder of a missing denied path once the sandbox is gone", async () => {
    const missing = join(workspace, "not-yet");
    const prepared = await sandbox.prepareProcess(
      workspaceWrite("restricted", [{ path: { type: "path", path: uri(missing) }, access: "deny" }]),
      { cwd: workspace, env: {} },
    );
    const result = await runScript(prepared, "echo x > not-yet || echo refused; mkdir not-yet/d || echo mkdir-refused", { cwd: workspace });
    assert.match(result.output, /refused/);
    assert.match(result.output, /mkdir-refused/);
    await waitUntil(() => !existsSync(missing), 5_000, "the placeholder to be removed");
  });

  it("refuses a cwd the policy hides", async () => {
    await assert.rejects(
      (async () => {
        const prepared = await sandbox.prepareProcess(workspaceWrite(), { cwd: join(workspace, "secret"), env: {} });
        await startChild(prepared, ["/bin/true"], { cwd: join(workspace, "secret") });
      })(),
      (error: unknown) => error instanceof SandboxRefusedError && /cwd .*secret is not readable inside the sandbox/.test(error.message),
    );
  });
});

describe("sandbox refusals", () => {
  it("refuses a sandboxed start when bubblewrap is missing, and never runs it unsandboxed", async () => {
    const broken = new ExecSandbox({ bwrapPath: "/nonexistent/bwrap" });
    await assert.rejects(
      broken.prepareProcess(workspaceWrite(), { cwd: workspace, env: {} }),
      (error: unknown) => error instanceof SandboxRefusedError && error.code === -32600 && /bubblewrap is not installed at \/nonexistent\/bwrap/.test(error.message),
    );
    // Requests without a sandbox are unaffected.
    assert.equal((await broken.prepareProcess(null, { cwd: workspace, env: {} })).sandboxType, "none");
  });

  it("runs unsandboxed only when the operator allows it, and says so", async () => {
    const permissive = new ExecSandbox({ bwrapPath: "/nonexistent/bwrap", allowUnsandboxed: true });
    const prepared = await permissive.prepareProcess(workspaceWrite(), { cwd: workspace, env: {} });
    assert.equal(prepared.sandboxType, "none");
    assert.ok(!prepared.policy.enforced && /bubblewrap is unusable/.test(prepared.policy.reason));
  });

  it("refuses enforceManagedNetwork", async () => {
    await assert.rejects(
      sandbox.prepareProcess(null, { cwd: workspace, env: {}, enforceManagedNetwork: true }),
      (error: unknown) => error instanceof SandboxRefusedError && /enforceManagedNetwork is not supported/.test(error.message),
    );
  });
});

/** Pids of the processes in session `sid` (host view). */
function sessionMembers(sid: number): number[] {
  return (readProcStats() ?? []).filter((stat) => stat.session === sid).map((stat) => stat.pid);
}
