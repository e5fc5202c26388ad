import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { connectTransport } from "../../../src/client/connect.js";
import { formatReport, runConformance } from "../../../src/conformance/index.js";
import { startExecServer, type RunningExecServer } from "../../../src/server/start-exec-server.js";

let server: RunningExecServer;

before(async () => {
  server = await startExecServer();
});
after(async () => {
  await server.close();
});

describe("the codex-0.169 http and discovery checks against our exec-server", () => {
  test("every http check passes; the codex-configuration checks skip because their methods are not offered and not announced", async () => {
    const report = await runConformance({ connect: () => connectTransport(server.url), dialect: "codex-0.169", only: "^(http|discovery)/", serverOnThisMachine: true });
    const text = formatReport(report);
    assert.equal(report.failed, 0, text);
    const status = Object.fromEntries(report.checks.map((check) => [check.id, check.status]));
    assert.deepEqual(status, {
      "http/buffered": "pass",
      "http/post-and-status": "pass",
      "http/redirects": "pass",
      "http/stream": "pass",
      "http/stream-request-ids": "pass",
      "http/header-env-var": "pass",
      "http/invalid-requests": "pass",
      "http/failures": "pass",
      "discovery/capability-roots-v1": "skip",
      "discovery/capabilities-v2": "skip",
      "discovery/environment-config-read": "skip",
    });
    // Deliberate wording differences only: the failure messages add the cause, the missing requestId is named by our validator.
    const notes = report.checks.flatMap((check) => check.notes ?? []);
    assert.ok(notes.every((note) => /requestId|http\/request failed: error sending request for url \(.*\): /.test(note)), notes.join("\n"));
  });
});
