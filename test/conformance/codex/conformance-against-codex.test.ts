import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, readFile, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { connectTransport } from "../../../src/client/connect.js";
import { conformanceCommand, formatReport, runConformance } from "../../../src/conformance/index.js";
import { codexSkip, startCodexExecServer, type RunningCodexExecServer } from "../../helpers/codex-binary.js";

const skip = codexSkip();
let codex: RunningCodexExecServer | undefined;
let outDir: string;

before(async () => {
  outDir = await mkdtemp(join(tmpdir(), "conformance-codex-test-"));
  if (skip === false) codex = await startCodexExecServer();
});
after(async () => {
  await codex?.stop();
  await rm(outDir, { recursive: true, force: true });
});

describe("the codex-0.169 suite against the real codex 0.169 exec-server (the oracle)", { skip }, () => {
  test("passes every check, at least 60, skips none, and records upstream's variants without tolerated notes", { timeout: 180_000 }, async () => {
    const report = await runConformance({ connect: () => connectTransport(codex!.url), dialect: "codex-0.169", serverOnThisMachine: true });
    const text = formatReport(report);
    assert.equal(report.failed, 0, text);
    assert.ok(report.passed >= 60, `only ${report.passed} checks passed:\n${text}`);
    assert.equal(report.skipped, 0, text);
    assert.deepEqual(report.dialect, { name: "codex-0.169", reason: "requested" });
    assert.deepEqual(report.variants, {
      envelope: "lite",
      unexpectedMessage: "drop",
      plainPaths: "refused",
      missingWriteId: "refused",
      terminateSignal: "kill",
      partialEnvPolicy: "refused",
      requestProcessing: "sequential",
    });
    assert.deepEqual(report.checks.filter((check) => check.notes !== undefined).map((check) => check.id), [], text);
  });

  test("the command detects codex-0.169 with --dialect auto, enables http checks for a loopback URL, writes the dialect to --json", { timeout: 60_000 }, async () => {
    const printed: string[] = [];
    const jsonFile = join(outDir, "report.json");
    const code = await conformanceCommand({ url: codex!.url, only: "^(lifecycle|http)/", json: jsonFile, write: (text) => printed.push(text) });
    assert.equal(code, 0, printed.join(""));
    assert.match(printed.join(""), /dialect: codex-0\.169 \(detected: the initialize result carries environmentInfo\)/);
    const json = JSON.parse(await readFile(jsonFile, "utf8")) as { dialect: { name: string }; summary: { passed: number; skipped: number } };
    assert.equal(json.dialect.name, "codex-0.169");
    assert.equal(json.summary.skipped, 0);
    assert.ok(json.summary.passed >= 15);
  });

  test("skips the http checks with the reason when the server is not known to share this machine", { timeout: 60_000 }, async () => {
    const report = await runConformance({ connect: () => connectTransport(codex!.url), dialect: "codex-0.169", only: "^http/" });
    assert.ok(report.checks.length >= 5);
    for (const check of report.checks) {
      assert.equal(check.status, "skip", check.id);
      assert.match(check.reason ?? "", /not known to run on this machine/);
    }
  });

  test("records requestProcessing=concurrent for a server started with --concurrent-requests 4", { timeout: 60_000 }, async () => {
    const concurrent = await startCodexExecServer(["--concurrent-requests", "4"]);
    try {
      const report = await runConformance({ connect: () => connectTransport(concurrent.url), dialect: "codex-0.169", only: "^protocol/" });
      assert.equal(report.failed, 0, formatReport(report));
      assert.equal(report.variants["requestProcessing"], "concurrent");
    } finally {
      await concurrent.stop();
    }
  });
});
