import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { responseBytes, withBase64Member } from "../../src/rpc/base64-member-json.js";

test("serialises a marked result to the same JSON value as JSON.stringify, with the base64 member intact", () => {
  fc.assert(
    fc.property(
      fc.uint8Array({ maxLength: 300 }),
      fc.oneof(fc.integer(), fc.string()),
      fc.dictionary(fc.string().filter((key) => key !== "chunk" && key !== "__proto__"), fc.jsonValue()),
      (bytes, id, rest) => {
        const result = withBase64Member("chunk", bytes, rest);
        const out = responseBytes(id, result);
        assert.ok(out !== undefined);
        const expected = JSON.parse(JSON.stringify({ jsonrpc: "2.0", id, result }));
        assert.deepEqual(JSON.parse(out.toString("utf8")), expected);
        assert.equal(result.chunk, Buffer.from(bytes).toString("base64"));
      },
    ),
    { seed: 14, numRuns: 300 },
  );
});

test("writes the exact bytes for a result with only the base64 member, and honours a subarray's offset", () => {
  const backing = Buffer.from("xxhello", "latin1");
  const result = withBase64Member("dataBase64", backing.subarray(2));
  assert.equal(responseBytes(7, result)?.toString("utf8"), '{"jsonrpc":"2.0","id":7,"result":{"dataBase64":"aGVsbG8="}}');
  assert.equal(responseBytes("a\"b", withBase64Member("chunk", new Uint8Array(0), { eof: true }))?.toString("utf8"), '{"jsonrpc":"2.0","id":"a\\"b","result":{"chunk":"","eof":true}}');
});

test("leaves every result it did not make to JSON.stringify, even one that looks the same", () => {
  assert.equal(responseBytes(1, { dataBase64: "aGVsbG8=" }), undefined);
  assert.equal(responseBytes(1, null), undefined);
  assert.equal(responseBytes(1, "aGVsbG8="), undefined);
  assert.ok(Object.isFrozen(withBase64Member("dataBase64", Buffer.from("x"))));
});
