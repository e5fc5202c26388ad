import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { buildReport, formatReport, reportToJson, summaryLine } from "../../src/conformance/report.js";
import { checkFilter } from "../../src/conformance/run-conformance.js";

const report = buildReport({
  checks: [
    { id: "lifecycle/second-initialize", title: "second initialize", status: "pass", durationMs: 3.4 },
    { id: "malformed/not-json", title: "not json", status: "fail", reason: "non-JSON text was answered with id 0,\n  expected -1", durationMs: 12 },
    { id: "example/process/closed/remote", title: "remote", status: "skip", reason: "needs a remote environment", durationMs: 0 },
  ],
  variants: { envelope: "2.0", initialize: "sessionId" },
  scratchDir: "/tmp/exec-server-conformance-x",
  scratchKept: false,
  durationMs: 20,
});

describe("report", () => {
  test("counts statuses", () => {
    assert.deepEqual([report.passed, report.failed, report.skipped], [1, 1, 1]);
  });

  test("appends the skipped count to the summary only when something was skipped", () => {
    assert.equal(summaryLine(report), "1 passed, 1 failed, 1 skipped");
    assert.equal(summaryLine({ passed: 4, failed: 0, skipped: 0 }), "4 passed, 0 failed");
  });

  test("formats one row per check with status, id and a one-line reason, then variants, ending with the summary", () => {
    const lines = formatReport(report).split("\n");
    assert.match(lines[0]!, /^status\s+check\s+ms\s+reason$/);
    assert.match(lines[1]!, /^PASS\s+lifecycle\/second-initialize\s+3$/);
    assert.match(lines[2]!, /^FAIL\s+malformed\/not-json\s+12  non-JSON text was answered with id 0, expected -1$/);
    assert.match(lines[3]!, /^SKIP\s+example\/process\/closed\/remote\s+0  needs a remote environment$/);
    assert.ok(lines.includes("variants: envelope=2.0, initialize=sessionId"));
    assert.ok(lines.includes("scratch: /tmp/exec-server-conformance-x (removed)"));
    assert.equal(lines[lines.length - 1], "1 passed, 1 failed, 1 skipped");
  });

  test("shows a passing check's tolerated notes in the reason column and the dialect above the variants", () => {
    const noted = buildReport({
      dialect: { name: "codex-0.169", reason: "detected: the initialize result carries environmentInfo" },
      checks: [{ id: "fs/x", title: "x", status: "pass", notes: ["a: \"A\" (upstream: \"B\")", "c"], durationMs: 1 }],
      variants: { messageWording: "differs" },
      scratchDir: "file:///tmp/s",
      scratchKept: false,
      durationMs: 1,
    });
    const lines = formatReport(noted).split("\n");
    assert.match(lines[1]!, /^PASS\s+fs\/x\s+1  tolerated: a: "A" \(upstream: "B"\); c$/);
    assert.ok(lines.includes("dialect: codex-0.169 (detected: the initialize result carries environmentInfo)"));
    const json = JSON.parse(reportToJson(noted)) as { dialect: unknown; checks: Array<Record<string, unknown>> };
    assert.deepEqual(json.dialect, { name: "codex-0.169", reason: "detected: the initialize result carries environmentInfo" });
    assert.deepEqual(json.checks[0]!["notes"], ['a: "A" (upstream: "B")', "c"]);
  });

  test("serialises to JSON with a summary, the variants and every check", () => {
    const json = JSON.parse(reportToJson(report)) as Record<string, unknown>;
    assert.deepEqual(json["summary"], { passed: 1, failed: 1, skipped: 1, durationMs: 20 });
    assert.deepEqual(json["variants"], { envelope: "2.0", initialize: "sessionId" });
    const checks = json["checks"] as Array<Record<string, unknown>>;
    assert.deepEqual(checks[0], { id: "lifecycle/second-initialize", title: "second initialize", status: "pass", durationMs: 3 });
    assert.equal(checks[1]!["reason"], "non-JSON text was answered with id 0,\n  expected -1");
  });
});

describe("checkFilter", () => {
  test("treats a string as a regular expression", () => {
    const only = checkFilter("^fs/(not|bad)");
    assert.deepEqual(["fs/not-found", "fs/bad-base64", "example/fs/not-found", "fs/copy-errors"].filter(only), ["fs/not-found", "fs/bad-base64"]);
  });

  test("falls back to a substring when the string is not a valid regular expression", () => {
    const only = checkFilter("process/read(");
    assert.equal(only("x/process/read(y"), true);
    assert.equal(only("process/read-paging"), false);
  });

  test("accepts a RegExp and selects everything when absent", () => {
    assert.equal(checkFilter(/^session\//)("session/resume"), true);
    assert.equal(checkFilter(undefined)("anything"), true);
  });
});
