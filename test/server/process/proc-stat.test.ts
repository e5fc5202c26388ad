import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, it } from "node:test";
import { readProcStats } from "../../../src/server/process/proc-stat.js";
import { sessionProcessGroups } from "../../../src/server/process/signal-session.js";

const linux = process.platform === "linux";

describe("readProcStats", () => {
  it("reports this process with its parent", { skip: linux ? false : "needs procfs" }, () => {
    const self = readProcStats()?.find((stat) => stat.pid === process.pid);
    assert.ok(self, "this process is listed");
    assert.equal(self.ppid, process.ppid);
    assert.ok(self.pgrp > 0 && self.session > 0);
  });

  it("finds a detached child's own session and group", { skip: linux ? false : "needs procfs" }, async () => {
    const child = spawn("sleep", ["30"], { detached: true, stdio: "ignore" });
    try {
      await once(child, "spawn");
      const stat = readProcStats()?.find((s) => s.pid === child.pid);
      assert.ok(stat, "the child is listed");
      assert.deepEqual({ ppid: stat.ppid, pgrp: stat.pgrp, session: stat.session }, { ppid: process.pid, pgrp: child.pid, session: child.pid });
      assert.deepEqual(sessionProcessGroups(child.pid!), [child.pid]);
    } finally {
      child.kill("SIGKILL");
    }
  });
});
