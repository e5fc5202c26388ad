import assert from "node:assert/strict";
import { test } from "node:test";
import { verifySigV4, type SigV4Request } from "../../../src/remote/rendezvous/sigv4-verifier.js";

// Captured from the real codex 0.169 executor (`--remote-transport direct --aws-sigv4 --aws-region
// us-east-1`) with AWS's documentation example key, against a loopback fake registry.
const credentials = [{ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY" }];
const captured: SigV4Request = {
  method: "POST",
  path: "/cloud/environment/env-d/direct/register",
  query: "",
  headers: {
    "content-type": "application/json",
    "x-amz-date": "20261201T035113Z",
    authorization:
      "AWS4-HMAC-SHA256 Credential=AKIDEXAMPLE/20261201/us-east-1/execute-api/aws4_request, SignedHeaders=content-type;host;x-amz-date, Signature=9208ea0a92a056d3c1699f258f2fe8513f7683218f15486ae2d0173a722e0f99",
    accept: "*/*",
    host: "127.0.0.1:41651",
    "content-length": "33",
  },
  body: Buffer.from('{"transport":"direct_jsonrpc_v1"}'),
};
const at = Date.UTC(2026, 11, 1, 3, 51, 20);

test("accepts the signature the real codex 0.169 executor computed", () => {
  assert.deepEqual(verifySigV4(captured, credentials, { nowMs: at }), { ok: true, accessKeyId: "AKIDEXAMPLE", region: "us-east-1" });
});

test("refuses a changed body, host, path or secret, an unknown key, a stale date and another service", () => {
  const refused = (request: SigV4Request, options = { nowMs: at }, keys = credentials) => {
    const verdict = verifySigV4(request, keys, options);
    assert.equal(verdict.ok, false);
    return verdict.ok ? "" : verdict.reason;
  };
  assert.match(refused({ ...captured, body: Buffer.from('{"transport":"direct_jsonrpc_v2"}') }), /signature/);
  assert.match(refused({ ...captured, headers: { ...captured.headers, host: "127.0.0.1:1" } }), /signature/);
  assert.match(refused({ ...captured, path: "/cloud/environment/env-e/direct/register" }), /signature/);
  assert.match(refused(captured, { nowMs: at }, [{ accessKeyId: "AKIDEXAMPLE", secretAccessKey: "other" }]), /signature/);
  assert.match(refused(captured, { nowMs: at }, [{ accessKeyId: "AKIDOTHER", secretAccessKey: credentials[0]!.secretAccessKey }]), /unknown access key/);
  assert.match(refused(captured, { nowMs: at + 16 * 60_000 }), /too far/);
  assert.match(refused({ ...captured, headers: { ...captured.headers, authorization: String(captured.headers.authorization).replace("execute-api", "s3") } }), /service/);
  assert.match(refused({ ...captured, headers: { ...captured.headers, authorization: "Bearer x" } }), /malformed/);
});
