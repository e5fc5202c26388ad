import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { BASE_ARGS, buildBubblewrapArgs, compileGlob, type PathKind, type RuleAccess, type SandboxPolicy } from "../../src/sandbox/index.js";

type Enforced = SandboxPolicy & { enforced: true };

function policy(rules: [string, RuleAccess, PathKind?][], network: "restricted" | "enabled" = "restricted", globs: string[] = []): Enforced {
  return {
    enforced: true,
    network,
    cwd: "/w",
    notes: [],
    fileSystem: {
      kind: "restricted",
      rules: rules.map(([path, access, kind]) => ({ path, access, kind: kind ?? "directory", source: "test" })),
      denyGlobs: globs.map((pattern) => ({ glob: compileGlob(pattern), maxDepth: undefined, source: "test" })),
    },
  };
}

const EMPTY = "/state/denied";
const plan = (p: Enforced, extra: Partial<Parameters<typeof buildBubblewrapArgs>[1]> = {}) =>
  buildBubblewrapArgs(p, { globMatches: [], aliases: [], emptyFile: EMPTY, cwd: "/w", ...extra });
/** The options after the namespace flags. */
const mounts = (p: Enforced, extra: Partial<Parameters<typeof buildBubblewrapArgs>[1]> = {}) =>
  plan(p, extra).args.slice(BASE_ARGS.length + (p.network === "restricted" ? 1 : 0));

describe("buildBubblewrapArgs", () => {
  it("binds a workspace-write profile: root read-only, the workspace read-write, .git read-only, no network", () => {
    const result = plan(policy([["/", "read"], ["/w", "write"], ["/w/.git", "read"]]));
    assert.deepEqual(result.args, [
      ...BASE_ARGS,
      "--unshare-net",
      "--ro-bind", "/", "/",
      "--dev", "/dev",
      "--proc", "/proc",
      "--bind", "/w", "/w",
      "--ro-bind", "/w/.git", "/w/.git",
      "--chdir", "/w",
    ]);
    assert.deepEqual(result.placeholders, []);
  });

  it("keeps the network namespace when the network is enabled", () => {
    assert.ok(!plan(policy([["/", "read"]], "enabled")).args.includes("--unshare-net"));
  });

  it("hides a denied directory behind a read-only mode-000 tmpfs and a denied file behind the empty file", () => {
    assert.deepEqual(mounts(policy([["/", "read"], ["/w", "write"], ["/w/secret", "deny"], ["/w/key.pem", "deny", "file"]])), [
      "--ro-bind", "/", "/",
      "--dev", "/dev",
      "--proc", "/proc",
      "--bind", "/w", "/w",
      "--ro-bind", EMPTY, "/w/key.pem",
      "--perms", "0000", "--tmpfs", "/w/secret",
      "--remount-ro", "/w/secret",
      "--chdir", "/w",
    ]);
  });

  it("makes a denied directory traversable (mode 111) when a visible path lies below it", () => {
    assert.deepEqual(mounts(policy([["/", "read"], ["/w", "deny"], ["/w/sub", "write"]])), [
      "--ro-bind", "/", "/",
      "--dev", "/dev",
      "--proc", "/proc",
      "--perms", "0111", "--tmpfs", "/w",
      "--bind", "/w/sub", "/w/sub",
      "--remount-ro", "/w",
      "--chdir", "/w",
    ]);
  });

  it("replaces an unreadable root with a read-only tmpfs, binds what is granted and recreates top-level links", () => {
    assert.deepEqual(mounts(policy([["/usr", "read"], ["/etc", "read"], ["/w", "write"]]), { aliases: [{ path: "/bin", target: "usr/bin" }] }), [
      "--tmpfs", "/",
      "--dev", "/dev",
      "--proc", "/proc",
      "--ro-bind", "/etc", "/etc",
      "--ro-bind", "/usr", "/usr",
      "--bind", "/w", "/w",
      "--symlink", "usr/bin", "/bin",
      "--remount-ro", "/",
      "--chdir", "/w",
    ]);
  });

  it("mounts nothing that its parent already provides", () => {
    assert.deepEqual(mounts(policy([["/", "read"], ["/w", "read"], ["/w/a", "write"], ["/w/a/b", "write"], ["/x", "deny"], ["/x/y", "deny"]])), [
      "--ro-bind", "/", "/",
      "--dev", "/dev",
      "--proc", "/proc",
      "--perms", "0000", "--tmpfs", "/x",
      "--bind", "/w/a", "/w/a",
      "--remount-ro", "/x",
      "--chdir", "/w",
    ]);
  });

  it("masks a missing denied path only where it could be created, as a placeholder", () => {
    const result = plan(policy([["/", "read"], ["/w", "write"], ["/w/new", "deny", "missing"], ["/elsewhere/new", "deny", "missing"]]));
    assert.deepEqual(result.placeholders, ["/w/new"]);
    assert.ok(result.args.join(" ").includes(`--ro-bind ${EMPTY} /w/new`));
    assert.ok(!result.args.includes("/elsewhere/new"));
  });

  it("masks glob matches and leaves /dev and /proc to the sandbox", () => {
    const p = policy([["/", "read"], ["/w", "write"], ["/proc/1", "deny"]], "restricted", ["/w/**/*.pem"]);
    const args = mounts(p, { globMatches: [{ path: "/w/d/k.pem", kind: "file" }, { path: "/w/certs.pem", kind: "directory" }] });
    assert.deepEqual(args, [
      "--ro-bind", "/", "/",
      "--dev", "/dev",
      "--proc", "/proc",
      "--bind", "/w", "/w",
      "--perms", "0000", "--tmpfs", "/w/certs.pem",
      "--ro-bind", EMPTY, "/w/d/k.pem",
      "--remount-ro", "/w/certs.pem",
      "--chdir", "/w",
    ]);
  });

  it("binds the whole host for a network-only sandbox", () => {
    const networkOnly: Enforced = { enforced: true, network: "restricted", cwd: "/w", notes: [], fileSystem: { kind: "unrestricted" } };
    assert.deepEqual(mounts(networkOnly), ["--bind", "/", "/", "--dev-bind", "/dev", "/dev", "--proc", "/proc", "--chdir", "/w"]);
  });
});
