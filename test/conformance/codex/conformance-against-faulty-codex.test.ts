import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { runConformance, type Report } from "../../../src/conformance/index.js";
import { codexSkip, startCodexExecServer, type RunningCodexExecServer } from "../../helpers/codex-binary.js";
import { codexFaults, FaultyProxy, swallowUnexpectedNotifications, type Fault, type InboundFault } from "../faulty-server.js";

const skip = codexSkip();
let codex: RunningCodexExecServer | undefined;

before(async () => {
  if (skip === false) codex = await startCodexExecServer();
});
after(async () => {
  await codex?.stop();
});

function runAgainst(fault: Fault, only: RegExp, inbound?: InboundFault): Promise<Report> {
  const proxy = new FaultyProxy(codex!.url, fault, inbound);
  return runConformance({ connect: proxy.connect, dialect: "codex-0.169", only, serverOnThisMachine: true });
}

function row(report: Report, id: string) {
  const found = report.checks.find((check) => check.id === id);
  assert.ok(found, `no check ${id} in ${report.checks.map((check) => check.id).join(", ")}`);
  return found;
}

function failures(report: Report): string {
  return report.checks.filter((check) => check.status === "fail").map((check) => `${check.id}: ${check.reason}`).join("\n");
}

describe("the codex-0.169 suite against a deliberately broken codex exec-server", { skip, timeout: 120_000 }, () => {
  test("fails when environmentInfo lacks its capabilities object, naming the member", async () => {
    const report = await runAgainst(codexFaults.noCapabilities, /^lifecycle\/(initialize-result|environment-status)$/);
    assert.equal(report.failed, 2, failures(report));
    assert.match(row(report, "lifecycle/initialize-result").reason ?? "", /environmentInfo\.capabilities must be an object, got undefined/);
    assert.match(row(report, "lifecycle/environment-status").reason ?? "", /invalid result for initialize: initialize\.environmentInfo\.capabilities is required/);
  });

  test("fails fs checks when not-found is reported as -32603, naming the expected code", async () => {
    const report = await runAgainst(codexFaults.notFoundAsInternal, /^fs\/(read-file-errors|canonicalize)$/);
    assert.match(row(report, "fs/read-file-errors").reason ?? "", /fs\/readFile of a missing file: expected error -32004, got -32603/);
    assert.match(row(report, "fs/canonicalize").reason ?? "", /fs\/canonicalize of a missing path: expected error -32004, got -32603/);
  });

  test("fails the notification check when seq counts from 0", async () => {
    const report = await runAgainst(codexFaults.seqFromZero, /^process\/notifications$/);
    assert.match(row(report, "process/notifications").reason ?? "", /seqs in arrival order are \[0,1,2,3\]/);
  });

  test("fails when process/exited lacks sandboxDenied, and when fs/canonicalize answers a native path", async () => {
    const exited = await runAgainst(codexFaults.exitedWithoutSandboxDenied, /^process\/terminate$/);
    assert.match(row(exited, "process/terminate").reason ?? "", /invalid notification for process\/exited: process\/exited\.sandboxDenied is required/);
    const canonical = await runAgainst(codexFaults.canonicalizeNativePath, /^fs\/canonicalize$/);
    assert.match(row(canonical, "fs/canonicalize").reason ?? "", /fs\/canonicalize\.path must be a file: URI, got "\//);
  });

  test("fails resume-attached on -32600 instead of -32010", async () => {
    const report = await runAgainst(codexFaults.attachedAsInvalidRequest, /^session\/resume-attached$/);
    assert.match(row(report, "session/resume-attached").reason ?? "", /expected error -32010, got -32600/);
  });

  test("a server that ignores an unexpected notification (neither answers nor drops) fails the variant check", async () => {
    const report = await runAgainst((() => (message) => [message]) as Fault, /^unexpected\/notification$/, swallowUnexpectedNotifications);
    assert.match(row(report, "unexpected/notification").reason ?? "", /neither answered with an id -1 error nor closed the connection/);
  });

  test("tolerates reworded error messages (noted per check) except the text a client parses", async () => {
    const report = await runAgainst(codexFaults.rewordedErrors, /^(fs\/read-file-errors|process\/invalid-params|session\/resume-attached)$/);
    assert.equal(row(report, "fs/read-file-errors").status, "pass", failures(report));
    assert.match((row(report, "fs/read-file-errors").notes ?? []).join("\n"), /fs\/readFile of a missing file: "reworded: NO SUCH FILE OR DIRECTORY \(OS ERROR 2\)" \(upstream: "No such file or directory \(os error 2\)"\)/);
    assert.equal(row(report, "process/invalid-params").status, "pass", failures(report));
    assert.match(row(report, "session/resume-attached").reason ?? "", /should mention \/is already attached to another connection\//);
    assert.equal(report.variants["messageWording"], "differs");
  });

  test("tolerates extra result members and records them", async () => {
    const report = await runAgainst(codexFaults.readWithExtras, /^process\/read-after-close$/);
    assert.equal(report.failed, 0, failures(report));
    assert.equal(report.variants["extraMembers"], "process/read.truncated+process/read.droppedBytes");
  });
});
