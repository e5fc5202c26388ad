import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { ErrorCode, RpcError } from "../../src/rpc/rpc-error.js";
import { parseSandboxContext } from "../../src/sandbox/index.js";

const managed = (entries: unknown[], extra: Record<string, unknown> = {}) => ({
  type: "managed",
  network: "restricted",
  file_system: { type: "restricted", entries, ...extra },
});
const context = (permissions: unknown, extra: Record<string, unknown> = {}) => ({ permissions, windowsSandboxLevel: "disabled", ...extra });

function refuses(value: unknown, message: string): void {
  assert.throws(
    () => parseSandboxContext(value),
    (error: unknown) => error instanceof RpcError && error.code === ErrorCode.InvalidParams && error.message === message,
    message,
  );
}

describe("parseSandboxContext", () => {
  it("reads an absent or null sandbox as no sandbox", () => {
    assert.equal(parseSandboxContext(undefined), null);
    assert.equal(parseSandboxContext(null), null);
  });

  it("decodes every PathUri, prefers policyContext over the flat members and reads none as deny", () => {
    const parsed = parseSandboxContext(
      context(
        managed([
          { path: { type: "path", path: "file:///srv/a%20b" }, access: "none" },
          { path: { type: "special", value: { kind: "project_roots", subpath: "src" } }, access: "write", missing_path_behavior: "skip" },
          { path: { type: "glob_pattern", pattern: "**/*.pem" }, access: "deny" },
        ], { glob_scan_max_depth: 3 }),
        {
          policyContext: { cwd: "file:///srv/policy", workspaceRoots: ["file:///srv/root"] },
          cwd: "file:///srv/flat",
          workspaceRoots: ["file:///srv/flat-root"],
          temporaryDirectories: ["file:///tmp"],
          sandboxOverride: "bypassSandboxFirstAttempt",
          unknownMember: 1,
        },
      ),
    );
    assert.deepEqual(parsed, {
      permissions: {
        type: "managed",
        network: "restricted",
        fileSystem: {
          type: "restricted",
          globScanMaxDepth: 3,
          entries: [
            { path: { type: "path", path: "/srv/a b" }, access: "deny" },
            { path: { type: "special", value: { kind: "project_roots", subpath: "src" } }, access: "write", missingPathBehavior: "skip" },
            { path: { type: "glob_pattern", pattern: "**/*.pem" }, access: "deny" },
          ],
        },
      },
      windowsSandboxLevel: "disabled",
      cwd: "/srv/policy",
      workspaceRoots: ["/srv/root"],
      temporaryDirectories: ["/tmp"],
      useLegacyLandlock: false,
      sandboxOverride: "bypassSandboxFirstAttempt",
    });
  });

  it("falls back to the legacy flat cwd and workspace roots", () => {
    const parsed = parseSandboxContext(context({ type: "disabled" }, { cwd: "file:///w", workspaceRoots: ["file:///w", "file:///v"] }));
    assert.equal(parsed?.cwd, "/w");
    assert.deepEqual(parsed?.workspaceRoots, ["/w", "/v"]);
  });

  it("keeps subpath only on the kinds that have one", () => {
    const parsed = parseSandboxContext(
      context(managed([
        { path: { type: "special", value: { kind: "root", subpath: 5 } }, access: "read" },
        { path: { type: "special", value: { kind: "unknown", path: ":future", subpath: "x" } }, access: "deny" },
      ])),
    );
    assert.ok(parsed?.permissions.type === "managed" && parsed.permissions.fileSystem.type === "restricted");
    assert.deepEqual(parsed.permissions.fileSystem.entries.map((entry) => entry.path), [
      { type: "special", value: { kind: "root" } },
      { type: "special", value: { kind: "unknown", path: ":future", subpath: "x" } },
    ]);
  });

  it("answers codex 0.169's serde messages for malformed contexts", () => {
    refuses({ permissions: { type: "disabled" } }, "missing field `windowsSandboxLevel`");
    refuses(context({ type: "zzz" }), "unknown variant `zzz`, expected one of `managed`, `disabled`, `external`");
    refuses(context({ type: "managed", file_system: { type: "unrestricted" } }), "missing field `network`");
    refuses(context(managed([], { glob_scan_max_depth: 0 })), "invalid value: integer `0`, expected a nonzero usize");
    refuses(context(managed([{ path: { type: "path", path: "file:///x" }, access: "write", missing_path_behavior: "zzz" }])), "unknown variant `zzz`, expected `skip`");
    refuses(context(managed([{ path: { type: "special", value: { kind: "unknown" } }, access: "deny" }])), "missing field `path`");
    refuses(context(managed([{ path: { type: "special", value: { kind: "current_working_directory", subpath: 5 } }, access: "write" }])), "invalid type: integer `5`, expected a string");
    refuses(context(managed([{ path: { type: "special", value: { kind: "home" } }, access: "read" }])),
      "unknown variant `home`, expected one of `root`, `minimal`, `current_working_directory`, `project_roots`, `tmpdir`, `slash_tmp`, `unknown`");
    refuses(context({ type: "disabled" }, { windowsSandboxLevel: "max" }), "unknown variant `max`, expected one of `disabled`, `restricted-token`, `elevated`, `mxc`");
  });

  it("refuses native and foreign paths like the PathUri decoder does", () => {
    refuses(context(managed([{ path: { type: "path", path: "relative/x" }, access: "write" }])), "invalid URI: relative URL without a base");
    refuses(context(managed([{ path: { type: "path", path: "/srv/x" }, access: "write" }])), "invalid URI: relative URL without a base");
    refuses(context({ type: "disabled" }, { cwd: "http://host/x" }), "unsupported path URI scheme `http`");
    refuses(context({ type: "disabled" }, { cwd: "file:///x?y=1" }), "query parameters are not allowed in path URIs");
  });

  it("uses the decoder it is given", () => {
    const parsed = parseSandboxContext(context({ type: "disabled" }, { cwd: "X" }), { decodePath: (uri) => `/decoded/${uri}` });
    assert.equal(parsed?.cwd, "/decoded/X");
  });
});
