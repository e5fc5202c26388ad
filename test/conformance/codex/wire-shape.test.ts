import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { arrayOf, base64, bool, checkShape, fileUri, fileUriProblem, nullable, obj, oneOf, optional, recordOf, str, uint } from "../../../src/conformance/codex/wire-shape.js";
import { codexWireJudge } from "../../../src/conformance/codex/codex-wire-judge.js";

const shape = obj({ id: str(true), seq: uint, data: base64, tag: oneOf("a", "b"), note: nullable(str()), extra: optional(bool), list: arrayOf(fileUri), flags: recordOf(bool) });
const good = { id: "x", seq: 1, data: "aGk=", tag: "a", note: null, list: ["file:///tmp/a%20b"], flags: { on: true } };

describe("wire shapes", () => {
  test("accept a value as upstream sends it, with nothing tolerated", () => {
    assert.deepEqual(checkShape(shape, good, "m"), { problems: [], tolerated: [] });
  });

  test("name the path and the value of each violation", () => {
    const report = checkShape(shape, { ...good, seq: -1, data: "aGk", tag: "c", list: ["/tmp/x"], flags: { on: "yes" } }, "m");
    assert.deepEqual(report.problems, [
      "m.seq must be >= 0, got -1",
      'm.data must be padded standard base64, got "aGk"',
      'm.tag must be one of a, b, got "c"',
      'm.list[0] must be a file: URI, got "/tmp/x" (not a URL)',
      'm.flags.on must be a boolean, got "yes"',
    ]);
  });

  test("a missing required member is a problem; a missing nullable member and extra members are tolerated and reported", () => {
    const { id: _id, note: _note, ...rest } = good;
    const report = checkShape(shape, { ...rest, truncated: false }, "process/read");
    assert.deepEqual(report.problems, ["process/read.id is required"]);
    assert.deepEqual(report.tolerated, [
      ["optionalFields", "absent-for-nullable"],
      ["extraMembers", "process/read.truncated"],
    ]);
  });

  test("file: URIs must be canonical, without query or fragment", () => {
    assert.equal(fileUriProblem("file:///tmp/%C3%BC%20x"), undefined);
    assert.match(fileUriProblem("file:///tmp/a b") ?? "", /canonical file: URI \("file:\/\/\/tmp\/a%20b"\)/);
    assert.match(fileUriProblem("file:///tmp/a?x") ?? "", /without query or fragment/);
    assert.match(fileUriProblem("http://x/y") ?? "", /must be a file: URI/);
  });

  test("the codex judge rejects unknown notifications and server requests other than network/policyRequest", () => {
    assert.deepEqual(codexWireJudge.notification("process/bogus", {}), { ok: false, message: "server sent an unknown notification process/bogus" });
    assert.equal(codexWireJudge.serverRequest("network/policyRequest"), undefined);
    assert.match(codexWireJudge.serverRequest("fs/readFile") ?? "", /only server-to-client request is network\/policyRequest/);
    assert.deepEqual(codexWireJudge.result("environment/list", { anything: 1 }), { ok: true, tolerated: [] });
  });
});
