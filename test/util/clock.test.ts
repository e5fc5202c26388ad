import assert from "node:assert/strict";
import { test } from "node:test";
import { ManualClock } from "../../src/util/clock.js";

test("a manual clock fires due timers in order and skips cancelled ones", () => {
  const clock = new ManualClock(100);
  const fired: string[] = [];
  clock.setTimeout(() => fired.push("b@20"), 20);
  const cancelled = clock.setTimeout(() => fired.push("never"), 5);
  clock.setTimeout(() => {
    fired.push(`a@10 now=${clock.now()}`);
    clock.setTimeout(() => fired.push("c@15"), 5);
  }, 10);
  clock.clearTimeout(cancelled);
  clock.advance(19);
  assert.deepEqual(fired, ["a@10 now=110", "c@15"]);
  assert.equal(clock.now(), 119);
  assert.equal(clock.pendingCount, 1);
  assert.equal(clock.runNext(), true);
  assert.deepEqual(fired, ["a@10 now=110", "c@15", "b@20"]);
  assert.equal(clock.runNext(), false);
});
