import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { errorResponse, parseMessage, successResponse } from "../../src/rpc/json-rpc.js";

describe("parseMessage", () => {
  it("classifies a request with or without the jsonrpc member", () => {
    assert.deepEqual(parseMessage('{"jsonrpc":"2.0","id":1,"method":"initialize","params":{"clientName":"h"}}'), {
      kind: "request", id: 1, method: "initialize", params: { clientName: "h" },
    });
    assert.deepEqual(parseMessage('{"id":"a","method":"process/read"}'), { kind: "request", id: "a", method: "process/read", params: null });
  });

  it("classifies a notification and reports omitted params as null", () => {
    assert.deepEqual(parseMessage('{"method":"initialized"}'), { kind: "notification", method: "initialized", params: null });
  });

  it("classifies success and error responses", () => {
    assert.deepEqual(parseMessage('{"id":3,"result":{}}'), { kind: "response", id: 3, result: {} });
    assert.deepEqual(parseMessage('{"id":-1,"error":{"code":-32600,"message":"bad"}}'), {
      kind: "error", id: -1, error: { code: -32600, message: "bad" },
    });
  });

  it("reports malformed input with a reason", () => {
    const cases: Array<[string, string]> = [
      ["{", "invalid JSON"],
      ["[1]", "must be a JSON object"],
      ['{"id":1.5,"method":"x"}', "id must be an integer or a string"],
      ['{"jsonrpc":"1.0","id":1,"method":"x"}', "unsupported jsonrpc version"],
      ['{"id":1,"method":""}', "method must be a non-empty string"],
      ['{"id":1,"method":"x","params":3}', "params of x must be an object"],
      ['{"id":1,"error":{"code":"x","message":"m"}}', "integer code"],
      ['{"id":1}', "no method, result or error"],
    ];
    for (const [text, reason] of cases) {
      const parsed = parseMessage(text);
      assert.equal(parsed.kind, "malformed", text);
      assert.ok(parsed.kind === "malformed" && parsed.reason.includes(reason), `${text}: ${JSON.stringify(parsed)}`);
    }
  });

  it("keeps a usable id on malformed requests", () => {
    assert.deepEqual(parseMessage('{"id":7,"method":"x","params":"s"}'), { kind: "malformed", reason: "params of x must be an object, an array or null", id: 7 });
  });
});

describe("response builders", () => {
  it("always emit jsonrpc 2.0 and turn an undefined result into null", () => {
    assert.deepEqual(successResponse(1, undefined), { jsonrpc: "2.0", id: 1, result: null });
    assert.deepEqual(errorResponse(-1, { code: -32600, message: "m", data: { x: 1 } }), {
      jsonrpc: "2.0", id: -1, error: { code: -32600, message: "m", data: { x: 1 } },
    });
  });
});
