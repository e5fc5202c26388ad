import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { runConformance, type Report } from "../../src/conformance/index.js";
import {
  closedBeforeExited,
  emptyInitialize,
  FaultyServer,
  liteEnvelope,
  nullOptionals,
  sloppyFs,
  wrongMalformedId,
  type Fault,
} from "./faulty-server.js";

const servers: FaultyServer[] = [];
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

async function runAgainst(fault: Fault, only: RegExp): Promise<Report> {
  const server = new FaultyServer(fault);
  servers.push(server);
  return runConformance({ connect: server.connect, only, dialect: "seed" });
}

function row(report: Report, id: string) {
  const found = report.checks.find((check) => check.id === id);
  assert.ok(found, `no check ${id} in ${report.checks.map((check) => check.id).join(", ")}`);
  return found;
}

function failures(report: Report): string {
  return report.checks.filter((check) => check.status === "fail").map((check) => `${check.id}: ${check.reason}`).join("\n");
}

describe("conformance suite against a deliberately broken server", () => {
  test("fails every malformed-input check when id -1 errors carry another id, naming the id seen", async () => {
    const report = await runAgainst(wrongMalformedId, /^malformed\//);
    assert.equal(report.checks.length, 5);
    for (const check of report.checks) {
      assert.equal(check.status, "fail", check.id);
      assert.match(check.reason ?? "", /answered with id 0, expected -1/, check.id);
    }
    assert.equal(report.passed, 0);
  });

  test("fails seq ordering when process/closed is sent before process/exited", async () => {
    const report = await runAgainst(closedBeforeExited, /^process\/(seq-ordering|exit-code)$/);
    const seq = row(report, "process/seq-ordering");
    assert.equal(seq.status, "fail");
    assert.match(seq.reason ?? "", /process\/closed \(seq \d+\) arrived before process\/exited/);
  });

  test("fails fs checks when a result misses a required member or not-found uses the wrong code", async () => {
    const report = await runAgainst(sloppyFs, /^fs\/(round-trip|not-found)$/);
    assert.match(row(report, "fs/round-trip").reason ?? "", /invalid result for fs\/getMetadata: isSymlink is required/);
    assert.match(row(report, "fs/not-found").reason ?? "", /fs\/readFile of a missing file: expected error -32004, got -32603/);
    assert.equal(report.failed, 2);
  });

  test("passes a JSON-RPC lite server and records envelope=lite", async () => {
    const report = await runAgainst(liteEnvelope, /^(lifecycle|malformed)\//);
    assert.equal(report.failed, 0, failures(report));
    assert.equal(report.variants["envelope"], "lite");
  });

  test("tolerates initialize answering {}: records initialize=empty and skips the session checks that need ids", async () => {
    const report = await runAgainst(emptyInitialize, /^(lifecycle\/initialize-result|session\/resume(-attached)?)$/);
    assert.equal(report.failed, 0, failures(report));
    assert.equal(report.variants["initialize"], "empty");
    assert.equal(row(report, "session/resume").status, "skip");
    assert.match(row(report, "session/resume").reason ?? "", /initialize answered \{\}/);
    assert.equal(row(report, "lifecycle/initialize-result").status, "pass");
  });

  test("tolerates null for optional notification members and records optionalFields=null-for-optional", async () => {
    const report = await runAgainst(nullOptionals, /^process\/exit-code$/);
    assert.equal(report.failed, 0, failures(report));
    assert.equal(report.variants["optionalFields"], "null-for-optional");
  });
});
