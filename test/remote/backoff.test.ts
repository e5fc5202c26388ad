import { test } from "node:test";
import assert from "node:assert/strict";
import { Backoff } from "../../src/remote/backoff.js";

test("doubles from 1 s to a 30 s cap and resets after a successful connect", () => {
  const backoff = new Backoff({ jitter: 0 });
  assert.deepEqual([1, 2, 3, 4, 5, 6, 7].map(() => backoff.next()), [1000, 2000, 4000, 8000, 16000, 30000, 30000]);
  backoff.reset();
  assert.equal(backoff.next(), 1000);
});

test("applies jitter within the configured fraction", () => {
  const low = new Backoff({ jitter: 0.2, random: () => 0 });
  const high = new Backoff({ jitter: 0.2, random: () => 0.999999 });
  assert.equal(low.next(), 800);
  assert.ok(high.next() >= 1199);
});
