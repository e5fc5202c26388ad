import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { compileGlob, decide, type PolicyRule, type RuleAccess, type SandboxPolicy } from "../../src/sandbox/index.js";

function policy(rules: [string, RuleAccess][], globs: { pattern: string; maxDepth?: number }[] = []): SandboxPolicy {
  return {
    enforced: true,
    network: "restricted",
    cwd: "/w",
    notes: [],
    fileSystem: {
      kind: "restricted",
      rules: rules.map(([path, access], index): PolicyRule => ({ path, access, kind: "directory", source: `entry ${index + 1}` })),
      denyGlobs: globs.map(({ pattern, maxDepth }, index) => ({ glob: compileGlob(pattern), maxDepth, source: `glob ${index + 1}` })),
    },
  };
}

const can = (p: SandboxPolicy, path: string, access: "read" | "write"): boolean => decide(p, path, access).allowed;

describe("decide", () => {
  it("lets the most specific rule win", () => {
    const p = policy([["/", "read"], ["/w", "write"], ["/w/docs", "read"], ["/w/docs/drafts", "write"]]);
    assert.equal(can(p, "/etc/passwd", "read"), true);
    assert.equal(can(p, "/etc/passwd", "write"), false);
    assert.equal(can(p, "/w/a.txt", "write"), true);
    assert.equal(can(p, "/w/docs/x", "write"), false);
    assert.equal(can(p, "/w/docs/drafts/x", "write"), true);
  });

  it("breaks a tie on the same path with deny over write over read (probed on codex 0.169)", () => {
    assert.equal(can(policy([["/", "read"], ["/w", "write"], ["/w", "deny"]]), "/w/a", "read"), false);
    assert.equal(can(policy([["/", "read"], ["/w", "read"], ["/w", "write"]]), "/w/a", "write"), true);
  });

  it("keeps a writable child of a denied directory writable, and its parent hidden", () => {
    const p = policy([["/", "read"], ["/w", "deny"], ["/w/sub", "write"]]);
    assert.equal(can(p, "/w/sub/x", "write"), true);
    assert.equal(can(p, "/w/other", "read"), false);
    assert.equal(can(p, "/w", "read"), false);
  });

  it("grants nothing where no rule applies", () => {
    const p = policy([["/w", "write"]]);
    assert.deepEqual(decide(p, "/etc/passwd", "read"), { allowed: false, grant: "none", rule: "no entry covers the path" });
  });

  it("names the deciding rule", () => {
    const decision = decide(policy([["/", "read"], ["/w/secret", "deny"]]), "/w/secret/k", "read");
    assert.deepEqual(decision, { allowed: false, grant: "deny", rule: "deny entry 2 at /w/secret" });
  });

  it("denies matches of a deny glob and everything below them, within its depth bound", () => {
    const p = policy([["/", "read"], ["/w", "write"]], [{ pattern: "/w/**/*.pem" }, { pattern: "/w/*/secrets", maxDepth: 2 }]);
    assert.equal(can(p, "/w/d1/d2/k.pem", "read"), false);
    assert.equal(can(p, "/w/k.pem", "write"), false);
    assert.equal(can(p, "/w/x/secrets/deep/k", "read"), false);
    assert.equal(can(p, "/w/x/public", "read"), true);
    const shallow = policy([["/", "read"]], [{ pattern: "/w/**/*.pem", maxDepth: 2 }]);
    assert.equal(can(shallow, "/w/d1/k.pem", "read"), false);
    assert.equal(can(shallow, "/w/d1/d2/k.pem", "read"), true);
  });

  it("allows everything without an enforced file-system policy", () => {
    assert.equal(can({ enforced: false, reason: "x", notes: [] }, "/etc/passwd", "write"), true);
    assert.equal(can({ enforced: true, network: "restricted", cwd: undefined, notes: [], fileSystem: { kind: "unrestricted" } }, "/etc", "write"), true);
  });

  it("equals an independent ancestor-walk model on random rules and paths", () => {
    const segment = fc.constantFrom("a", "b", "c");
    const path = fc.array(segment, { maxLength: 4 }).map((parts) => `/${parts.join("/")}`);
    const access = fc.constantFrom<RuleAccess>("read", "write", "deny");
    fc.assert(
      fc.property(fc.array(fc.tuple(path, access), { maxLength: 8 }), path, fc.constantFrom<"read" | "write">("read", "write"), (rules, target, question) => {
        const expected = model(rules, target, question);
        assert.equal(can(policy(rules), target, question), expected, JSON.stringify({ rules, target, question }));
      }),
      { numRuns: 2000 },
    );
  });
});

/** Walks from the path up to `/`; the first level holding any rule decides, deny > write > read there. */
function model(rules: [string, RuleAccess][], target: string, question: "read" | "write"): boolean {
  for (let at: string | undefined = target; at !== undefined; at = at === "/" ? undefined : at.slice(0, at.lastIndexOf("/")) || "/") {
    const here = rules.filter(([path]) => path === at).map(([, access]) => access);
    if (here.length === 0) continue;
    const grant = here.includes("deny") ? "deny" : here.includes("write") ? "write" : "read";
    return question === "read" ? grant !== "deny" : grant === "write";
  }
  return false;
}
