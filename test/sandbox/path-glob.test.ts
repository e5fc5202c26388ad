import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { compileGlob, escapeGlob, GlobSyntaxError } from "../../src/sandbox/index.js";
import { depthBelow, globMatches } from "../../src/sandbox/path-glob.js";

const matches = (pattern: string, path: string): boolean => globMatches(compileGlob(pattern), path);

/**
 * Independent model: match component lists recursively. Patterns use only `*`, `?` and `**` (the
 * syntax a generator can produce freely); `**` as a component matches zero or more components, a
 * trailing `**` one or more.
 */
function modelMatch(pattern: string[], path: string[]): boolean {
  if (pattern.length === 0) return path.length === 0;
  const [head, ...rest] = pattern;
  if (head === "**") {
    if (rest.length === 0) return path.length >= 1;
    for (let skip = 0; skip <= path.length; skip += 1) if (modelMatch(rest, path.slice(skip))) return true;
    return false;
  }
  if (path.length === 0) return false;
  return componentMatch(head!, path[0]!) && modelMatch(rest, path.slice(1));
}

function componentMatch(pattern: string, name: string): boolean {
  if (pattern === "") return name === "";
  const [c, ...rest] = pattern;
  if (c === "*") {
    for (let skip = 0; skip <= name.length; skip += 1) if (componentMatch(rest.join(""), name.slice(skip))) return true;
    return false;
  }
  if (name === "") return false;
  return (c === "?" || c === name[0]) && componentMatch(rest.join(""), name.slice(1));
}

describe("compileGlob", () => {
  it("keeps * and ? inside one component", () => {
    assert.equal(matches("/w/*.pem", "/w/a.pem"), true);
    assert.equal(matches("/w/*.pem", "/w/d/a.pem"), false);
    assert.equal(matches("/w/?.pem", "/w/a.pem"), true);
    assert.equal(matches("/w/?.pem", "/w/ab.pem"), false);
    assert.equal(matches("/w/*", "/w/.hidden"), true);
  });

  it("matches ** as any number of whole components", () => {
    assert.equal(matches("/w/**/*.pem", "/w/a.pem"), true);
    assert.equal(matches("/w/**/*.pem", "/w/d1/d2/a.pem"), true);
    assert.equal(matches("/w/**", "/w/a/b"), true);
    assert.equal(matches("/w/**", "/w"), false);
    assert.equal(matches("/w/**/secrets/**", "/w/x/secrets/k"), true);
    assert.equal(matches("/w/**/secrets/**", "/w/x/secrets"), false);
  });

  it("supports classes, alternations and escapes; an unclosed [ is a literal", () => {
    assert.equal(matches("/w/[ab].txt", "/w/a.txt"), true);
    assert.equal(matches("/w/[!ab].txt", "/w/a.txt"), false);
    assert.equal(matches("/w/[^ab].txt", "/w/c.txt"), true);
    assert.equal(matches("/w/[a-c]x", "/w/bx"), true);
    assert.equal(matches("/w/*.{pem,key}", "/w/id.key"), true);
    assert.equal(matches("/w/*.{pem,key}", "/w/id.txt"), false);
    assert.equal(matches("/w/\\*", "/w/*"), true);
    assert.equal(matches("/w/\\*", "/w/a"), false);
    assert.equal(matches("/w/[x", "/w/[x"), true);
  });

  it("refuses what globset refuses", () => {
    assert.throws(() => compileGlob("/w/a**"), GlobSyntaxError);
    assert.throws(() => compileGlob("/w/{a,{b,c}}"), GlobSyntaxError);
    assert.throws(() => compileGlob("/w/{a,b"), GlobSyntaxError);
    assert.throws(() => compileGlob("relative/*"), GlobSyntaxError);
  });

  it("finds the literal base a scan starts from", () => {
    assert.equal(compileGlob("/w/p/**/*.pem").base, "/w/p");
    assert.equal(compileGlob("/w/p/secret.txt").base, "/w/p");
    assert.equal(compileGlob("/*/x").base, "/");
    assert.equal(depthBelow("/w/p", "/w/p/d1/one.pem"), 2);
    assert.equal(depthBelow("/w/p", "/w/q"), -1);
  });

  it("escapes a literal path so it matches only itself", () => {
    const literal = "/w/[odd]{dir}*?";
    assert.equal(matches(`${escapeGlob(literal)}/x`, `${literal}/x`), true);
    assert.equal(matches(`${escapeGlob(literal)}/x`, "/w/o/x"), false);
  });

  it("agrees with a component-wise model on random patterns and paths", () => {
    const name = fc.stringMatching(/^[ab.]{0,3}$/);
    const patternComponent = fc.oneof(fc.stringMatching(/^[ab.*?]{1,3}$/), fc.constant("**"));
    fc.assert(
      fc.property(fc.array(patternComponent, { minLength: 1, maxLength: 4 }), fc.array(name.filter((n) => n !== ""), { minLength: 1, maxLength: 5 }), (pattern, path) => {
        const cleaned = pattern.filter((c, i) => !(c === "**" && pattern[i - 1] === "**")).map((c) => (c !== "**" && c.includes("**") ? c.replaceAll("**", "*") : c));
        const expected = modelMatch(cleaned, path);
        assert.equal(matches(`/${cleaned.join("/")}`, `/${path.join("/")}`), expected, `/${cleaned.join("/")} vs /${path.join("/")}`);
      }),
      { numRuns: 500 },
    );
  });
});
