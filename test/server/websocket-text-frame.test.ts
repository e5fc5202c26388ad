import assert from "node:assert/strict";
import { createRequire } from "node:module";
import { test } from "node:test";
import { textFrameHeader } from "../../src/server/websocket-text-frame.js";

/** `ws`'s frame encoder (exported by the package, not declared by its types). */
const { Sender } = createRequire(import.meta.url)("ws") as {
  Sender: { frame(data: { length: number }, options: Record<string, unknown>): Buffer[] };
};

/** The header `ws` puts in front of an unmasked, uncompressed text frame of `length` bytes. */
function wsHeader(length: number): Buffer {
  // `Sender.frame` reads only `length` of unmasked data, so a stand-in avoids allocating huge payloads.
  const list = Sender.frame({ length }, { fin: true, opcode: 1, mask: false, readOnly: false, rsv1: false });
  return list[0] as Buffer;
}

test("builds the header ws sends for a text frame of every length class", () => {
  for (const length of [0, 1, 125, 126, 127, 1000, 65_535, 65_536, 65_537, 1 << 20, 2 ** 32 - 1, 2 ** 32 + 5, 2 ** 40 + 3]) {
    assert.deepEqual(Buffer.from(textFrameHeader(length), "latin1"), wsHeader(length), `length ${length}`);
  }
});

test("encodes lengths as RFC 6455 hex fixtures", () => {
  const hex = (length: number) => Buffer.from(textFrameHeader(length), "latin1").toString("hex");
  assert.equal(hex(5), "8105");
  assert.equal(hex(126), "817e007e");
  assert.equal(hex(65_535), "817effff");
  assert.equal(hex(65_536), "817f0000000000010000");
  assert.equal(hex(2 ** 32 + 5), "817f0000000100000005");
});

test("refuses a length that is not a non-negative safe integer", () => {
  for (const length of [-1, 1.5, Number.NaN, 2 ** 53]) assert.throws(() => textFrameHeader(length), RangeError);
});
