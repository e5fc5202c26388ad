import assert from "node:assert/strict";
import { describe, test } from "node:test";
import type { HttpRequestParams } from "../../../generated/openrpc/types.js";
import { prepareHttpRequest } from "../../../src/server/http/prepare-http-request.js";
import { responseHeaders } from "../../../src/server/http/http-response-headers.js";
import { RpcError } from "../../../src/rpc/rpc-error.js";

const base: HttpRequestParams = { method: "GET", url: "http://127.0.0.1:8080/x", requestId: "r" };

function refusal(params: Partial<HttpRequestParams>, env: NodeJS.ProcessEnv = {}): { code: number; message: string } {
  try {
    prepareHttpRequest({ ...base, ...params }, env);
  } catch (error) {
    assert.ok(error instanceof RpcError);
    return { code: error.code, message: error.message };
  }
  assert.fail("expected a refusal");
}

describe("prepareHttpRequest", () => {
  test("refuses invalid methods, URLs, schemes and header names with upstream's -32602 messages, method first", () => {
    assert.deepEqual(refusal({ method: "G T", url: "/x" }), { code: -32602, message: "http/request method is invalid: invalid HTTP method" });
    assert.deepEqual(refusal({ method: "" }), { code: -32602, message: "http/request method is invalid: invalid HTTP method" });
    assert.deepEqual(refusal({ url: "/x" }), { code: -32602, message: "http/request url is invalid: relative URL without a base" });
    assert.deepEqual(refusal({ url: "not a url" }), { code: -32602, message: "http/request url is invalid: relative URL without a base" });
    assert.deepEqual(refusal({ url: "http://127.0.0.1:99999/" }), { code: -32602, message: "http/request url is invalid: invalid port number" });
    assert.deepEqual(refusal({ url: "http://" }), { code: -32602, message: "http/request url is invalid: empty host" });
    assert.deepEqual(refusal({ url: "ftp://x/", headers: [{ name: "bad name", value: "1" }] }), {
      code: -32602,
      message: "http/request only supports http and https URLs, got ftp",
    });
    assert.deepEqual(refusal({ headers: [{ name: "bad name", value: "1" }] }), { code: -32602, message: "http/request header name is invalid: invalid HTTP header name" });
    assert.deepEqual(refusal({ headers: [{ name: "", value: "1" }] }), { code: -32602, message: "http/request header name is invalid: invalid HTTP header name" });
    assert.deepEqual(refusal({ headers: [{ name: "x", value: "a\nb" }] }), { code: -32602, message: "http/request header value is invalid for x: failed to parse header value" });
    assert.deepEqual(refusal({ headers: [{ name: "x", value: "ü" }] }), { code: -32602, message: "http/request header value is invalid for x: failed to parse header value" });
  });

  test("valueEnvVar appends the variable; a missing, empty or credential variable is refused as upstream words it", () => {
    const env = { TOKEN_FOR_TEST: "abc", EMPTY_FOR_TEST: "", OPENAI_API_KEY: "sk-secret" };
    const prepared = prepareHttpRequest({ ...base, headers: [{ name: "Authorization", value: "Bearer ", valueEnvVar: "TOKEN_FOR_TEST" }] }, env);
    assert.deepEqual(prepared.headers.slice(0, 2), ["authorization", "Bearer abc"]);
    assert.deepEqual(refusal({ headers: [{ name: "X-A", value: "1", valueEnvVar: "NOPE_NOT_SET" }] }, env), {
      code: -32602,
      message: "http/request header X-A requires executor environment variable NOPE_NOT_SET",
    });
    assert.deepEqual(refusal({ headers: [{ name: "X-K", value: "", valueEnvVar: "EMPTY_FOR_TEST" }] }, env), {
      code: -32602,
      message: "http/request header X-K requires a non-empty executor environment variable EMPTY_FOR_TEST",
    });
    assert.deepEqual(refusal({ headers: [{ name: "X-K", value: "", valueEnvVar: "openai_api_key" }] }, env), {
      code: -32602,
      message: "http/request header X-K cannot use executor environment variable openai_api_key",
    });
    // Headers are checked in order: the first bad one is reported.
    assert.match(refusal({ headers: [{ name: "X-K", value: "", valueEnvVar: "NOPE_NOT_SET" }, { name: "bad name", value: "1" }] }, env).message, /NOPE_NOT_SET/);
  });

  test("lower-cases header names, keeps the values of a repeated name together in order, adds accept */* unless given", () => {
    const prepared = prepareHttpRequest({ ...base, headers: [{ name: "X-A", value: "1" }, { name: "x-b", value: "2" }, { name: "x-a", value: "3" }] }, {});
    assert.deepEqual(prepared.headers, ["x-a", "1", "x-a", "3", "x-b", "2", "accept", "*/*"]);
    assert.deepEqual(prepareHttpRequest({ ...base, headers: [{ name: "Accept", value: "text/plain" }] }, {}).headers, ["accept", "text/plain"]);
  });

  test("turns URL userinfo into basic authorization (unless given), drops the fragment, decodes the body and options", () => {
    const prepared = prepareHttpRequest(
      { ...base, url: "http://us%20er:p%40ss@127.0.0.1:8080/x?q=1#frag", bodyBase64: "aGk=", timeoutMs: 250, redirectPolicy: "stop" },
      {},
    );
    assert.equal(prepared.url.href, "http://127.0.0.1:8080/x?q=1");
    assert.deepEqual(prepared.headers.slice(0, 2), ["authorization", `Basic ${Buffer.from("us er:p@ss").toString("base64")}`]);
    assert.equal(prepared.body?.toString(), "hi");
    assert.equal(prepared.timeoutMs, 250);
    assert.equal(prepared.followRedirects, false);
    const given = prepareHttpRequest({ ...base, url: "http://u:p@127.0.0.1/", headers: [{ name: "authorization", value: "Bearer t" }] }, {});
    assert.deepEqual(given.headers.slice(0, 2), ["authorization", "Bearer t"]);
  });

  test("no timeoutMs (or one beyond a timer's range) means no timeout; redirects are followed by default", () => {
    assert.equal(prepareHttpRequest(base, {}).timeoutMs, undefined);
    assert.equal(prepareHttpRequest({ ...base, timeoutMs: null }, {}).timeoutMs, undefined);
    assert.equal(prepareHttpRequest({ ...base, timeoutMs: 2 ** 40 }, {}).timeoutMs, undefined);
    assert.equal(prepareHttpRequest({ ...base, timeoutMs: 0 }, {}).timeoutMs, 0);
    assert.equal(prepareHttpRequest(base, {}).followRedirects, true);
    assert.equal(prepareHttpRequest(base, {}).body, undefined);
  });
});

describe("responseHeaders", () => {
  test("keeps first-appearance order and repeats, lower-cases names, drops values that are not visible ASCII", () => {
    assert.deepEqual(responseHeaders({ "Content-Type": "text/plain", "x-multi": ["a", "b"], "x-bin": "Ã¼", "x-tab": "a\tb", "x-gone": undefined }), [
      { name: "content-type", value: "text/plain" },
      { name: "x-multi", value: "a" },
      { name: "x-multi", value: "b" },
      { name: "x-tab", value: "a\tb" },
    ]);
  });
});
