/**
 * The codex-0.169 conformance suite against OUR server over a real websocket, for the families that
 * are implemented in full (file system requests and sandbox, walk, file handles, watches, path
 * URIs): every check passes, none is skipped. Widen FAMILIES as the other families land.
 */
import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { connectTransport } from "../../../src/client/connect.js";
import { formatReport, runConformance } from "../../../src/conformance/index.js";
import { startExecServer, type RunningExecServer } from "../../../src/server/start-exec-server.js";

/** Check-id prefixes judged here. */
const FAMILIES = /^(fs|fs-walk|fs-handle|fs-watch|path-uri)\//;

let server: RunningExecServer;

before(async () => {
  server = await startExecServer({});
});
after(async () => {
  await server.close();
});

describe("codex-0.169 conformance against our exec-server", () => {
  test("every fs, fs sandbox, walk, handle, watch and path-uri check passes", async () => {
    const report = await runConformance({ connect: () => connectTransport(server.url), dialect: "codex-0.169", only: FAMILIES, serverOnThisMachine: true });
    const text = formatReport(report);
    assert.equal(report.failed, 0, text);
    assert.equal(report.skipped, 0, text);
    assert.ok(report.passed >= 37, `only ${report.passed} checks ran:\n${text}`);
    for (const id of ["fs/sandbox-workspace-write", "fs/sandbox-deny-and-uncovered", "fs-walk/truncation", "fs-handle/limit", "fs-watch/refused", "path-uri/plain-absolute-path"]) {
      assert.equal(report.checks.find((check) => check.id === id)?.status, "pass", `${id}:\n${text}`);
    }
    // Differences are tolerated variants, never a wrong code: the accepted plain paths and reworded messages.
    assert.equal(report.variants["plainPaths"], "accepted");
  });
});
