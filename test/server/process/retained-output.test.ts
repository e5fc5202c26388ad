import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";
import { RetainedOutput } from "../../../src/server/process/retained-output.js";

/** A full garbage collection (V8's `gc`, exposed for this test). */
function collectGarbage(): void {
  setFlagsFromString("--expose-gc");
  (runInNewContext("gc") as () => void)();
}

function filled(maxBytes: number, sizes: number[]): RetainedOutput {
  const output = new RetainedOutput(maxBytes);
  sizes.forEach((size, i) => output.push({ seq: i + 1, stream: "stdout", data: Buffer.alloc(size, 97 + i) }));
  return output;
}

describe("RetainedOutput", () => {
  it("evicts the oldest chunks once the cap is exceeded", () => {
    const output = filled(10, [4, 4, 4]);
    assert.deepEqual(output.select(0, undefined).chunks.map((c) => c.seq), [2, 3]);
    assert.equal(output.bytes, 8);
  });

  it("keeps the newest chunk even when it alone exceeds the cap", () => {
    const output = filled(4, [2, 9]);
    assert.deepEqual(output.select(0, undefined).chunks.map((c) => c.seq), [2]);
  });

  it("reports dropped bytes only for evicted chunks after afterSeq", () => {
    const output = filled(10, [3, 5, 4, 6]);
    // Retained: seq 3 (4 bytes) and seq 4 (6 bytes); evicted: seq 1 (3) and seq 2 (5).
    assert.deepEqual(output.select(0, undefined).droppedBytes, 8);
    assert.deepEqual(output.select(1, undefined).droppedBytes, 5);
    assert.deepEqual(output.select(2, undefined).droppedBytes, 0);
    assert.deepEqual(output.select(3, undefined).chunks.map((c) => c.seq), [4]);
  });

  it("always returns the first chunk and then stays within maxBytes", () => {
    const output = filled(100, [5, 3, 3, 3]);
    assert.deepEqual(output.select(0, 1).chunks.map((c) => c.seq), [1]);
    assert.deepEqual(output.select(0, 11).chunks.map((c) => c.seq), [1, 2, 3]);
    assert.deepEqual(output.select(1, 6).chunks.map((c) => c.seq), [2, 3]);
    assert.deepEqual(output.select(4, 6).chunks, []);
  });

  it("finds chunks after afterSeq across gaps left by exit events", () => {
    const output = new RetainedOutput(100);
    output.push({ seq: 1, stream: "stdout", data: Buffer.from("a") });
    output.push({ seq: 3, stream: "stderr", data: Buffer.from("b") });
    assert.deepEqual(output.select(2, undefined).chunks.map((c) => c.seq), [3]);
    assert.equal(output.hasAfter(2), true);
    assert.equal(output.hasAfter(3), false);
  });

  it("lets an evicted chunk's buffer be collected at once, not at the next compaction of its list", async () => {
    const output = new RetainedOutput(64);
    const collected = new Set<number>();
    const registry = new FinalizationRegistry<number>((seq) => collected.add(seq));
    // Far fewer pushes than the 1 024 evicted entries that trigger compaction of the backing array.
    for (let seq = 1; seq <= 100; seq += 1) {
      const data = Buffer.alloc(16, seq);
      registry.register(data, seq);
      output.push({ seq, stream: "stdout", data });
    }
    for (let attempt = 0; attempt < 20 && collected.size < 96; attempt += 1) {
      collectGarbage();
      await new Promise((resolve) => setImmediate(resolve));
    }
    assert.deepEqual([...collected].sort((a, b) => a - b), Array.from({ length: 96 }, (_, i) => i + 1));
    assert.deepEqual(output.select(0, undefined).chunks.map((c) => c.seq), [97, 98, 99, 100]);
    assert.equal(output.select(0, undefined).droppedBytes, 96 * 16);
  });

  it("stays exact for recent readers after many evictions", () => {
    const output = filled(1, Array.from({ length: 20_000 }, () => 1));
    assert.equal(output.select(19_990, undefined).droppedBytes, 9);
    assert.equal(output.select(0, undefined).droppedBytes, 19_999);
  });
});
