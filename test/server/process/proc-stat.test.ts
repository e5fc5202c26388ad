import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { parseProcStat, readProcStats } from "../../../src/server/process/proc-stat.js";
import { sessionProcessGroups } from "../../../src/server/process/signal-session.js";

const linux = process.platform === "linux";

/** What this machine's /proc shows of `pid`, for a skip reason that says why a listing lacks it. */
function procVisibility(pid: number): string {
  const entries = readdirSync("/proc");
  const listed = entries.includes(String(pid));
  let readable = false;
  try {
    readFileSync(`/proc/${pid}/stat`, "latin1");
    readable = true;
  } catch {
    // Reported below.
  }
  const self = entries.includes(String(process.pid));
  return `listed=${listed} stat-readable=${readable} exists=${existsSync(`/proc/${pid}`)} this-process-listed=${self}`;
}

describe("parseProcStat", () => {
  it("takes ppid, group and session after the last parenthesis of the command name", () => {
    const line = "4242 (a (weird) ) name) S 17 4200 4100 34817 4200 4194560 118 0 0 0 0 0 0 0 20 0 1 0 9 1 2 3\n";
    assert.deepEqual(parseProcStat(4242, line), { pid: 4242, ppid: 17, pgrp: 4200, session: 4100 });
  });

  it("refuses text that is not a stat line rather than inventing fields", () => {
    assert.equal(parseProcStat(1, ""), undefined);
    assert.equal(parseProcStat(1, "1 (sh"), undefined);
    assert.equal(parseProcStat(1, "1 (sh) S 0"), undefined);
    assert.equal(parseProcStat(1, "1 (sh) S x 1 1"), undefined);
  });
});

describe("readProcStats", () => {
  // A listing can only be as complete as /proc; when /proc itself does not list the child or let it
  // be read, the test says so and skips rather than blaming the reader.
  it("reports a plain child in this process's group and session", { skip: linux ? false : "needs procfs" }, async (t) => {
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      await once(child, "spawn");
      const pid = child.pid!;
      const stat = readProcStats()?.find((s) => s.pid === pid);
      if (!stat) {
        const seen = procVisibility(pid);
        if (!seen.startsWith("listed=true stat-readable=true")) {
          t.skip(`this machine's /proc does not show the child (${seen})`);
          return;
        }
        assert.fail(`/proc lists the child but readProcStats lost it (${seen})`);
      }
      // Not detached: it inherits this process's group and session rather than leading its own.
      // Both may read 0 (CI runs this inside a pid namespace whose session leader is outside it,
      // and /proc reports an id it cannot name there as 0), so compare with this process's own line.
      const self = parseProcStat(process.pid, readFileSync("/proc/self/stat", "latin1"));
      assert.ok(self, "/proc/self/stat parses");
      assert.deepEqual({ ppid: stat.ppid, pgrp: stat.pgrp, session: stat.session }, { ppid: process.pid, pgrp: self.pgrp, session: self.session });
      assert.notEqual(stat.pgrp, pid);
      assert.notEqual(stat.session, pid);
    } finally {
      child.kill("SIGKILL");
    }
  });

  it("finds a detached child's own session and group", { skip: linux ? false : "needs procfs" }, async () => {
    const child = spawn("sleep", ["30"], { detached: true, stdio: "ignore" });
    try {
      await once(child, "spawn");
      const stat = readProcStats()?.find((s) => s.pid === child.pid);
      assert.ok(stat, `the child is listed (${procVisibility(child.pid!)})`);
      assert.deepEqual({ ppid: stat.ppid, pgrp: stat.pgrp, session: stat.session }, { ppid: process.pid, pgrp: child.pid, session: child.pid });
      assert.deepEqual(sessionProcessGroups(child.pid!), [child.pid]);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
