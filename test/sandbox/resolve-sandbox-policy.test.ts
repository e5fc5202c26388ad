import assert from "node:assert/strict";
import { mkdir, mkdtemp, realpath, rm, symlink, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { after, before, describe, it } from "node:test";
import { ErrorCode, RpcError } from "../../src/rpc/rpc-error.js";
import {
  decide,
  DYNAMIC_REQUIRES_CWD,
  resolveSandboxPolicy,
  type FileSystemEntry,
  type PolicyRule,
  type SandboxContext,
  type SandboxPolicy,
  type SpecialPath,
} from "../../src/sandbox/index.js";

let base: string;
let work: string;
let other: string;

before(async () => {
  base = await realpath(await mkdtemp(join(tmpdir(), "exec-server-resolve-")));
  work = join(base, "work");
  other = join(base, "other");
  await mkdir(join(work, ".git", "hooks"), { recursive: true });
  await mkdir(join(work, "src"), { recursive: true });
  await mkdir(other);
  await mkdir(join(base, "worktree"));
  await mkdir(join(base, "repo-gitdir"));
  await writeFile(join(base, "worktree", ".git"), `gitdir: ${join(base, "repo-gitdir")}\n`);
  await symlink(work, join(base, "work-link"));
});
after(async () => {
  await rm(base, { recursive: true, force: true });
});

const special = (value: SpecialPath): FileSystemEntry["path"] => ({ type: "special", value });
const entry = (path: FileSystemEntry["path"], access: FileSystemEntry["access"], skip = false): FileSystemEntry =>
  skip ? { path, access, missingPathBehavior: "skip" } : { path, access };
const ROOT_READ = entry(special({ kind: "root" }), "read");

function restricted(entries: FileSystemEntry[], extra: Partial<SandboxContext> = {}, network: "restricted" | "enabled" = "restricted"): SandboxContext {
  return {
    permissions: { type: "managed", network, fileSystem: { type: "restricted", entries } },
    windowsSandboxLevel: "disabled",
    workspaceRoots: [],
    temporaryDirectories: [],
    useLegacyLandlock: false,
    ...extra,
  };
}

function rulesOf(policy: SandboxPolicy): Pick<PolicyRule, "path" | "access">[] {
  assert.ok(policy.enforced && policy.fileSystem.kind === "restricted", "expected a restricted policy");
  return policy.fileSystem.rules.map(({ path, access }) => ({ path, access }));
}

describe("resolveSandboxPolicy", () => {
  it("enforces nothing without a sandbox, for disabled, and for an unrestricted file system with the network on", async () => {
    assert.equal((await resolveSandboxPolicy(null)).enforced, false);
    const base = restricted([]);
    assert.equal((await resolveSandboxPolicy({ ...base, permissions: { type: "disabled" } })).enforced, false);
    assert.equal((await resolveSandboxPolicy({ ...base, permissions: { type: "external", network: "enabled" } })).enforced, false);
    const unrestricted = { type: "managed", network: "enabled", fileSystem: { type: "unrestricted" } } as const;
    assert.equal((await resolveSandboxPolicy({ ...base, permissions: unrestricted })).enforced, false);
  });

  it("still cuts the network for external and unrestricted profiles that restrict it", async () => {
    const policy = await resolveSandboxPolicy({ ...restricted([]), permissions: { type: "external", network: "restricted" } });
    assert.ok(policy.enforced);
    assert.deepEqual([policy.fileSystem, policy.network], [{ kind: "unrestricted" }, "restricted"]);
  });

  it("treats write on / with nothing narrower as an unrestricted file system", async () => {
    const writeAll = [entry(special({ kind: "root" }), "write")];
    assert.equal((await resolveSandboxPolicy(restricted(writeAll, {}, "enabled"))).enforced, false);
    const networkOnly = await resolveSandboxPolicy(restricted(writeAll));
    assert.ok(networkOnly.enforced && networkOnly.fileSystem.kind === "unrestricted");
  });

  it("resolves the special paths against the context", async () => {
    const policy = await resolveSandboxPolicy(
      restricted(
        [
          ROOT_READ,
          entry(special({ kind: "current_working_directory", subpath: "src" }), "write"),
          entry(special({ kind: "project_roots" }), "write"),
          entry(special({ kind: "tmpdir" }), "write"),
          entry(special({ kind: "slash_tmp" }), "write"),
          entry(special({ kind: "unknown", path: ":future" }), "write"),
        ],
        { cwd: work, workspaceRoots: [work, other] },
      ),
      { tmpdir: other },
    );
    const realTmp = await realpath("/tmp");
    assert.deepEqual(
      rulesOf(policy).filter((rule) => rule.access === "write"),
      [
        { path: join(work, "src"), access: "write" },
        { path: work, access: "write" },
        { path: other, access: "write" },
        { path: realTmp, access: "write" },
      ],
    );
    assert.ok(policy.notes.some((note) => note.includes("unknown special path :future")));
  });

  it("expands minimal to the existing system directories, read-only", async () => {
    const policy = await resolveSandboxPolicy(restricted([entry(special({ kind: "minimal" }), "write")], { cwd: work }));
    const rules = rulesOf(policy);
    assert.ok(rules.some((rule) => rule.path === "/usr" && rule.access === "read"));
    assert.ok(rules.every((rule) => rule.access === "read"));
  });

  it("refuses a cwd-dependent profile without a cwd for fs methods, and uses the process cwd for processes", async () => {
    for (const dynamic of [
      entry(special({ kind: "current_working_directory" }), "write"),
      entry(special({ kind: "project_roots" }), "write"),
      entry({ type: "glob_pattern", pattern: "*.pem" }, "deny"),
    ]) {
      await assert.rejects(resolveSandboxPolicy(restricted([ROOT_READ, dynamic])), (error: unknown) =>
        error instanceof RpcError && error.code === ErrorCode.InvalidParams && error.message === DYNAMIC_REQUIRES_CWD);
    }
    const policy = await resolveSandboxPolicy(restricted([ROOT_READ, entry(special({ kind: "current_working_directory" }), "write")]), {
      processCwd: work,
    });
    assert.equal(decide(policy, join(work, "x"), "write").allowed, true);
    // A static profile needs no cwd.
    assert.ok((await resolveSandboxPolicy(restricted([ROOT_READ]))).enforced);
  });

  it("keeps rules on real paths and remembers the alias", async () => {
    const policy = await resolveSandboxPolicy(restricted([ROOT_READ, entry({ type: "path", path: join(base, "work-link") }, "write")]));
    assert.ok(policy.enforced && policy.fileSystem.kind === "restricted");
    const rule = policy.fileSystem.rules.find((r) => r.access === "write");
    assert.deepEqual([rule?.path, rule?.alias], [work, join(base, "work-link")]);
  });

  it("drops read and write entries on missing paths but keeps missing denies unless told to skip them", async () => {
    const policy = await resolveSandboxPolicy(
      restricted([
        ROOT_READ,
        entry({ type: "path", path: join(base, "nope") }, "write"),
        entry({ type: "path", path: join(work, "gone") }, "deny"),
        entry({ type: "path", path: join(work, "gone2") }, "deny", true),
      ]),
    );
    assert.deepEqual(rulesOf(policy), [
      { path: "/", access: "read" },
      { path: join(work, "gone"), access: "deny" },
    ]);
    assert.ok(policy.notes.some((note) => note.includes("does not exist")));
  });

  it("keeps existing protected names under a writable root read-only, including a worktree's gitdir", async () => {
    const policy = await resolveSandboxPolicy(
      restricted([ROOT_READ, entry({ type: "path", path: work }, "write"), entry({ type: "path", path: join(base, "worktree") }, "write")]),
    );
    assert.equal(decide(policy, join(work, ".git", "hooks", "pre-commit"), "write").allowed, false);
    assert.equal(decide(policy, join(work, ".git", "config"), "read").allowed, true);
    // Missing names are not protected: nothing can keep them from being created without touching the host.
    assert.equal(decide(policy, join(work, ".codex", "config.toml"), "write").allowed, true);
    assert.equal(decide(policy, join(base, "worktree", ".git"), "write").allowed, false);
    assert.equal(decide(policy, join(base, "repo-gitdir", "HEAD"), "write").allowed, false);
    // An entry naming the protected path wins over the default.
    const explicit = await resolveSandboxPolicy(
      restricted([ROOT_READ, entry({ type: "path", path: work }, "write"), entry({ type: "path", path: join(work, ".git") }, "write")]),
    );
    assert.equal(decide(explicit, join(work, ".git", "hooks", "x"), "write").allowed, true);
  });

  it("makes relative deny globs cwd-relative on real paths and ignores read and write globs", async () => {
    const policy = await resolveSandboxPolicy(
      restricted(
        [ROOT_READ, entry({ type: "glob_pattern", pattern: "**/*.pem" }, "deny"), entry({ type: "glob_pattern", pattern: "*.txt" }, "write")],
        { cwd: join(base, "work-link") },
      ),
    );
    assert.ok(policy.enforced && policy.fileSystem.kind === "restricted");
    assert.deepEqual(policy.fileSystem.denyGlobs.map((glob) => glob.glob.pattern), [`${work}/**/*.pem`]);
    assert.equal(decide(policy, join(work, "src", "id.pem"), "read").allowed, false);
    assert.ok(policy.notes.some((note) => note.includes("only deny globs")));
  });

  it("refuses a malformed glob with -32602", async () => {
    await assert.rejects(
      resolveSandboxPolicy(restricted([ROOT_READ, entry({ type: "glob_pattern", pattern: "/w/a**" }, "deny")])),
      (error: unknown) => error instanceof RpcError && error.code === ErrorCode.InvalidParams && /must be a whole path component/.test(error.message),
    );
  });
});
