import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { runConformance, type Check, type Report } from "../../src/conformance/index.js";
import { fail, skip } from "../../src/conformance/check.js";
import { ManualClock } from "../../src/util/clock.js";
import { FaultyServer, noFault, type Fault } from "./faulty-server.js";

const servers: FaultyServer[] = [];
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

function serverWith(fault: Fault = noFault): FaultyServer {
  const server = new FaultyServer(fault);
  servers.push(server);
  return server;
}

/** Runs on a manual clock, advancing it whenever the run is idle, so timeouts fire without real waiting. */
async function runOnManualClock(checks: Check[], checkTimeoutMs: number): Promise<Report> {
  const clock = new ManualClock();
  let settled = false;
  const run = runConformance({ connect: serverWith().connect, checks, clock, checkTimeoutMs, dialect: "seed" }).finally(() => {
    settled = true;
  });
  while (!settled) {
    await new Promise((resolve) => setImmediate(resolve));
    clock.advance(100);
  }
  return run;
}

describe("runConformance", () => {
  test("keeps going after a failing, a throwing and a timed-out check, recording why each ended", async () => {
    const ran: string[] = [];
    const checks: Check[] = [
      { id: "t/fails", title: "fails", run: async () => fail("the server said no") },
      { id: "t/throws", title: "throws", run: async () => { throw new TypeError("boom"); } },
      { id: "t/hangs", title: "hangs", timeoutMs: 1_000, run: () => new Promise<void>(() => {}) },
      { id: "t/skips", title: "skips", run: async () => skip("not applicable") },
      { id: "t/passes", title: "passes", run: async () => void ran.push("passes") },
    ];
    const report = await runOnManualClock(checks, 5_000);
    assert.deepEqual(
      report.checks.map((check) => [check.id, check.status, check.reason]),
      [
        ["t/fails", "fail", "the server said no"],
        ["t/throws", "fail", "unexpected TypeError: boom"],
        ["t/hangs", "fail", "timed out after 1000 ms"],
        ["t/skips", "skip", "not applicable"],
        ["t/passes", "pass", undefined],
      ],
    );
    assert.deepEqual(ran, ["passes"]);
  });

  test("fails a check that passed its own assertions when the server's traffic broke the schema", async () => {
    const dropSessionIdType: Fault = () => (message) => {
      const result = message["result"] as Record<string, unknown> | undefined;
      return [result !== undefined && "sessionId" in result ? { ...message, result: { sessionId: 42 } } : message];
    };
    const checks: Check[] = [{ id: "t/handshake", title: "handshake", run: async (ctx) => void (await ctx.openClient()) }];
    const report = await runConformance({ connect: serverWith(dropSessionIdType).connect, checks, dialect: "seed" });
    assert.equal(report.checks[0]!.status, "fail");
    assert.match(report.checks[0]!.reason ?? "", /invalid result for initialize: sessionId must be string/);
  });

  test("runs only the checks matching `only` and reports a connect failure as the check's reason", async () => {
    const checks: Check[] = [
      { id: "a/one", title: "one", run: async (ctx) => void (await ctx.openRaw()) },
      { id: "b/two", title: "two", run: async () => {} },
    ];
    const report = await runConformance({ connect: () => Promise.reject(new Error("ECONNREFUSED")), checks, only: "^a/", dialect: "seed" });
    assert.deepEqual(report.checks.map((check) => check.id), ["a/one"]);
    assert.equal(report.checks[0]!.reason, "cannot connect: ECONNREFUSED");
  });

  test("removes its default scratch directory and keeps a caller-chosen one", async () => {
    const checks: Check[] = [{ id: "t/noop", title: "noop", run: async () => {} }];
    const fresh = await runConformance({ connect: serverWith().connect, checks, dialect: "seed" });
    assert.match(fresh.scratchDir, /exec-server-conformance-/);
    assert.equal(existsSync(fresh.scratchDir), false);
    const chosen = join(await mkdtemp(join(tmpdir(), "conformance-chosen-")), "scratch");
    const kept = await runConformance({ connect: serverWith().connect, checks, scratchDir: chosen, dialect: "seed" });
    assert.equal(kept.scratchDir, chosen);
    assert.equal(kept.scratchKept, true);
    assert.equal(existsSync(chosen), true);
    await rm(join(chosen, ".."), { recursive: true, force: true });
  });
});
