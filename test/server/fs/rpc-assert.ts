import assert from "node:assert/strict";
import { RpcError } from "../../../src/rpc/rpc-error.js";

/** Awaits `promise` and asserts it rejects with an RpcError of `code` whose message contains every `fragment`. */
export async function rejectsWithRpc(promise: Promise<unknown>, code: number, ...fragments: string[]): Promise<RpcError> {
  let caught: unknown;
  try {
    await promise;
  } catch (err) {
    caught = err;
  }
  assert.ok(caught instanceof RpcError, `expected an RpcError, got ${String(caught)}`);
  assert.equal(caught.code, code, `wrong code for: ${caught.message}`);
  for (const fragment of fragments) {
    assert.ok(caught.message.includes(fragment), `message ${JSON.stringify(caught.message)} lacks ${JSON.stringify(fragment)}`);
  }
  return caught;
}
