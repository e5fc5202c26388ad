import { test } from "node:test";
import assert from "node:assert/strict";
import { CloseSignal } from "../../src/rpc/close-signal.js";

test("runs each listener once with the first reason and reports later closes as no-ops", async () => {
  const signal = new CloseSignal();
  const seen: string[] = [];
  signal.subscribe((reason) => seen.push(`a:${reason}`));
  const unsubscribe = signal.subscribe((reason) => seen.push(`b:${reason}`));
  unsubscribe();
  assert.equal(signal.fire("first"), true);
  assert.equal(signal.fire("second"), false);
  assert.deepEqual(seen, ["a:first"]);
  signal.subscribe((reason) => seen.push(`late:${reason}`));
  assert.deepEqual(seen, ["a:first"], "a late listener is not called synchronously");
  await Promise.resolve();
  assert.deepEqual(seen, ["a:first", "late:first"]);
});
