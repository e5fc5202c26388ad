import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { computeChildEnv, wildcardMatcher } from "../../../src/server/process/env-policy.js";

const base = {
  HOME: "/home/u",
  PATH: "/usr/bin",
  LC_ALL: "C",
  OPENAI_API_KEY: "sk-1",
  GITHUB_TOKEN: "ghp",
  my_secret_thing: "s",
  EDITOR: "vi",
  NPM_CONFIG_CACHE: "/c",
};

describe("computeChildEnv", () => {
  it("uses env exactly when there is no policy", () => {
    assert.deepEqual(computeChildEnv({ A: "1" }, null, base), { A: "1" });
    assert.deepEqual(computeChildEnv({}, undefined, base), {});
  });

  it("inherits everything except the default excludes, case-insensitively", () => {
    assert.deepEqual(computeChildEnv({}, { inherit: "all" }, base), {
      HOME: "/home/u",
      PATH: "/usr/bin",
      LC_ALL: "C",
      EDITOR: "vi",
      NPM_CONFIG_CACHE: "/c",
    });
  });

  it("keeps secrets when default excludes are ignored", () => {
    const env = computeChildEnv({}, { inherit: "all", ignoreDefaultExcludes: true }, base);
    assert.equal(env["OPENAI_API_KEY"], "sk-1");
    assert.equal(env["my_secret_thing"], "s");
  });

  it("inherits only the core variables with inherit core", () => {
    assert.deepEqual(computeChildEnv({}, { inherit: "core" }, base), { HOME: "/home/u", PATH: "/usr/bin", LC_ALL: "C" });
  });

  it("inherits nothing with inherit none but still applies set and env", () => {
    assert.deepEqual(computeChildEnv({ B: "env" }, { inherit: "none", set: { A: "set", B: "set" } }, base), {
      A: "set",
      B: "env",
    });
  });

  it("removes exclude patterns and keeps only includeOnly patterns", () => {
    const env = computeChildEnv({}, { inherit: "all", exclude: ["npm_*"], includeOnly: ["*PATH*", "ed?tor", "home"] }, base);
    assert.deepEqual(env, { HOME: "/home/u", PATH: "/usr/bin", EDITOR: "vi" });
  });

  it("overlays env after includeOnly so explicit variables always reach the child", () => {
    const env = computeChildEnv({ EXTRA: "x", GITHUB_TOKEN: "mine" }, { inherit: "all", includeOnly: ["PATH"] }, base);
    assert.deepEqual(env, { PATH: "/usr/bin", EXTRA: "x", GITHUB_TOKEN: "mine" });
  });
});

describe("wildcardMatcher", () => {
  it("matches star, question mark and literal characters case-insensitively", () => {
    assert.equal(wildcardMatcher("*KEY*")("openai_api_key"), true);
    assert.equal(wildcardMatcher("A?C")("abc"), true);
    assert.equal(wildcardMatcher("A?C")("abbc"), false);
    assert.equal(wildcardMatcher("a.b")("axb"), false);
    assert.equal(wildcardMatcher("a.b")("A.B"), true);
  });
});
