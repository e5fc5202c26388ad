import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { isLikelySandboxDenied } from "../../src/sandbox/index.js";

const denied = (exitCode: number, output: (string | Uint8Array)[], sandboxed = true, networkRestricted = false): boolean =>
  isLikelySandboxDenied({ sandboxed, networkRestricted, exitCode, output });

describe("isLikelySandboxDenied", () => {
  it("is never set for an unsandboxed command or a success", () => {
    assert.equal(denied(1, ["Operation not permitted"], false), false);
    assert.equal(denied(0, ["Read-only file system"]), false);
  });

  it("is set for a failure that names a denial, whatever the exit code (as codex 0.169 reports it)", () => {
    assert.equal(denied(1, ["cat: x: Permission denied\n"]), true);
    assert.equal(denied(2, ["/bin/sh: 1: cannot create a.txt: Read-only file system\n"]), true);
    assert.equal(denied(101, [Buffer.from("cargo: OPERATION NOT PERMITTED")]), true);
  });

  it("finds a keyword split across output chunks", () => {
    assert.equal(denied(1, ["cannot create x: Read-on", "ly file system"]), true);
  });

  it("rejects ordinary shell failures without a keyword and flags a seccomp kill", () => {
    assert.equal(denied(127, ["sh: nope: not found"]), false);
    assert.equal(denied(1, ["boom"]), false);
    assert.equal(denied(159, []), true);
  });

  it("counts an unreachable network as a denial only when the network is cut off", () => {
    assert.equal(denied(1, ["connect: Network is unreachable"], true, true), true);
    assert.equal(denied(1, ["connect: Network is unreachable"], true, false), false);
    assert.equal(denied(6, ["curl: (6) Could not resolve host: example.com"], true, true), true);
  });
});
