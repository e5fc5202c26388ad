import assert from "node:assert/strict";
import { spawn } from "node:child_process";
import { once } from "node:events";
import { describe, it } from "node:test";
import { readProcStats } from "../../../src/server/process/proc-stat.js";
import { sessionProcessGroups } from "../../../src/server/process/signal-session.js";

const linux = process.platform === "linux";

describe("readProcStats", () => {
  // The listing is checked on a child rather than on this process: a CI sandbox was seen whose /proc
  // listing lacked the reading process itself while its children were there.
  it("reports a plain child in this process's group and session", { skip: linux ? false : "needs procfs" }, async () => {
    const child = spawn("sleep", ["30"], { stdio: "ignore" });
    try {
      await once(child, "spawn");
      const stat = readProcStats()?.find((s) => s.pid === child.pid);
      assert.ok(stat, "the child is listed");
      assert.equal(stat.ppid, process.pid);
      assert.ok(stat.pgrp > 0 && stat.session > 0);
      // Not detached: it joined this process's group rather than leading one of its own.
      assert.notEqual(stat.pgrp, child.pid);
      assert.notEqual(stat.session, child.pid);
    } finally {
      child.kill("SIGKILL");
    }
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
