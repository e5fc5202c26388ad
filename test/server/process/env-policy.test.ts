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

  it("uses codex's Unix core set, names compared exactly (probed on the 0.169 binary)", () => {
    const server = {
      HOME: "/root", PATH: "/bin", SHELL: "/bin/bash", USER: "u", LOGNAME: "u", TMPDIR: "/t", TEMP: "/t1", TMP: "/t2",
      LANG: "C.UTF-8", LC_ALL: "C", LC_CTYPE: "C", LC_FOO: "x", LANGUAGE: "en", TERM: "xterm", TZ: "UTC", USERNAME: "n", path: "lower",
    };
    assert.deepEqual(Object.keys(computeChildEnv({}, { inherit: "core", ignoreDefaultExcludes: false, exclude: [], set: {}, includeOnly: [] }, server)).sort(), [
      "HOME", "LANG", "LC_ALL", "LC_CTYPE", "LOGNAME", "PATH", "SHELL", "TEMP", "TMP", "TMPDIR", "USER",
    ]);
  });

  it("never filters set with the default excludes, but applies includeOnly to it", () => {
    assert.deepEqual(computeChildEnv({}, { inherit: "none", set: { A_KEY: "1" } }, base), { A_KEY: "1" });
    assert.deepEqual(computeChildEnv({}, { inherit: "none", set: { A_KEY: "1", B: "2" }, includeOnly: ["b"] }, base), { B: "2" });
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

  it("reads brackets literally, as codex's patterns do", () => {
    assert.equal(wildcardMatcher("[ab]*")("API_KEY"), false);
    assert.equal(wildcardMatcher("[ab]*")("[AB]X"), true);
  });
});
