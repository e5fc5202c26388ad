import assert from "node:assert/strict";
import { describe, it } from "node:test";
import fc from "fast-check";
import { decodedBase64Length, strictBase64Problem } from "../../src/util/strict-base64.js";

describe("strictBase64Problem", () => {
  it("accepts every canonical encoding and predicts its decoded length", () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const text = Buffer.from(bytes).toString("base64");
        assert.equal(strictBase64Problem(text), undefined);
        assert.equal(decodedBase64Length(text), bytes.length);
      }),
      { seed: 4242 },
    );
  });

  it("refuses text whose length is not a multiple of four", () => {
    assert.equal(strictBase64Problem("aGVsbG8"), "length 7 is not a multiple of 4");
  });

  it("refuses characters outside the standard alphabet, naming the offset", () => {
    assert.equal(strictBase64Problem("aGV-bG8K"), 'invalid character "-" at offset 3');
    assert.equal(strictBase64Problem("aGVs\nG8K"), 'invalid character "\\n" at offset 4');
  });

  it("refuses padding before the end", () => {
    assert.equal(strictBase64Problem("aG=sbG8K"), "padding '=' at offset 2 before the end");
    assert.equal(strictBase64Problem("A==="), "padding '=' at offset 1 before the end");
  });

  it("refuses non-zero trailing bits", () => {
    assert.equal(strictBase64Problem("QR=="), "non-zero trailing bits at offset 1");
    assert.equal(strictBase64Problem("QUJ="), "non-zero trailing bits at offset 2");
    assert.equal(strictBase64Problem("QQ=="), undefined);
  });
});
