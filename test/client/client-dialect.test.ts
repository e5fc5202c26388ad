import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { dialectOfInitializeResult, paramsForDialect, resolveDialect } from "../../src/client/client-dialect.js";

describe("client dialect", () => {
  test("an initialize result with environmentInfo is codex-0.169; {sessionId} or {} is seed; a requested dialect wins", () => {
    assert.equal(dialectOfInitializeResult({ sessionId: "s", environmentInfo: { shell: {} } }), "codex-0.169");
    assert.equal(dialectOfInitializeResult({ sessionId: "s" }), "seed");
    assert.equal(dialectOfInitializeResult({}), "seed");
    assert.equal(dialectOfInitializeResult(null), "seed");
    assert.equal(resolveDialect("seed", { environmentInfo: {} }), "seed");
    assert.equal(resolveDialect("codex-0.169", {}), "codex-0.169");
    assert.equal(resolveDialect("auto", { environmentInfo: {} }), "codex-0.169");
  });

  test("codex-0.169 turns plain absolute path members into file: URIs, at any depth, leaving other members and URIs alone", () => {
    assert.deepEqual(paramsForDialect("fs/getMetadata", { path: "/tmp/a b#" }, "codex-0.169"), { path: "file:///tmp/a%20b%23" });
    assert.deepEqual(paramsForDialect("fs/copy", { sourcePath: "/a", destinationPath: "file:///b", recursive: true }, "codex-0.169"), {
      sourcePath: "file:///a",
      destinationPath: "file:///b",
      recursive: true,
    });
    const start = { processId: "p", argv: ["/bin/echo", "/not/a/path/member"], cwd: "/srv", env: { HOME: "/root" }, tty: false };
    assert.deepEqual(paramsForDialect("process/start", start, "codex-0.169"), { ...start, cwd: "file:///srv" });
    assert.deepEqual(paramsForDialect("fs/getMetadata", { path: "relative" }, "codex-0.169"), { path: "relative" });
  });

  test("seed turns file: URIs back into plain paths; unknown methods and path-less params pass through", () => {
    assert.deepEqual(paramsForDialect("fs/readFile", { path: "file:///tmp/a%20b" }, "seed"), { path: "/tmp/a b" });
    assert.deepEqual(paramsForDialect("fs/readFile", { path: "file://host/x" }, "seed"), { path: "file://host/x" });
    assert.deepEqual(paramsForDialect("no/such", { path: "/x" }, "codex-0.169"), { path: "/x" });
    assert.deepEqual(paramsForDialect("environment/status", {}, "codex-0.169"), {});
  });
});
