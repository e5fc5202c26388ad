import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { describeSchemaError, formatInstancePath, pickSchemaError } from "../../src/rpc/validation.js";

describe("validation messages", () => {
  it("formats instance paths as property accessors", () => {
    assert.equal(formatInstancePath("", "params"), "params");
    assert.equal(formatInstancePath("/envPolicy/exclude/0", "params"), "envPolicy.exclude[0]");
    assert.equal(formatInstancePath("/env/A~1B", "params"), 'env["A/B"]');
    assert.equal(formatInstancePath("/0", "params"), "params[0]");
  });

  it("describes a missing nested member with its full path", () => {
    assert.equal(describeSchemaError({ instancePath: "/sandbox", keyword: "required", params: { missingProperty: "type" } }, "params"), "sandbox.type is required");
  });

  it("prefers the anyOf branch that got deepest into the value", () => {
    const picked = pickSchemaError([
      { instancePath: "/sandbox", keyword: "required", params: {} },
      { instancePath: "/sandbox/type", keyword: "enum", params: {} },
      { instancePath: "/sandbox", keyword: "type", params: {} },
      { instancePath: "/sandbox", keyword: "anyOf", params: {} },
    ]);
    assert.equal(picked?.instancePath, "/sandbox/type");
  });
});
