import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { handshakePrologue } from "../../../src/relay/noise/handshake-prologue.js";
import { HybridIkInitiator, HybridIkResponder } from "../../../src/relay/noise/hybrid-ik-handshake.js";
import { generateHybridKeyPair, publicKeyFromJson, publicKeyToJson, PublicKeyJsonError, samePublicKey } from "../../../src/relay/noise/hybrid-keypair.js";
import { NoiseError } from "../../../src/relay/noise/noise-error.js";
import { NOISE_SUITE_TAG } from "../../../src/relay/noise/noise-suite.js";

const harness = generateHybridKeyPair();
const executor = generateHybridKeyPair();
const prologue = handshakePrologue({ environmentId: "env-1", registrationId: "reg-1", streamId: "s-1" });
const utf8 = (s: string) => new TextEncoder().encode(s);
const msg1 = new HybridIkInitiator({ localStatic: harness, remoteStatic: executor.publicKey, prologue }).writeMessage1(utf8("auth"));

function isNoiseError(error: unknown): boolean {
  return error instanceof NoiseError;
}

test("a handshake between fresh identities agrees on keys; message sizes are 3568 + payload and 3424", () => {
  const initiator = new HybridIkInitiator({ localStatic: harness, remoteStatic: executor.publicKey, prologue });
  const first = initiator.writeMessage1(utf8("token"));
  assert.equal(first.length, 3568 + 5);
  const responder = new HybridIkResponder({ localStatic: executor, prologue });
  const read = responder.readMessage1(first);
  assert.ok(samePublicKey(read.remoteStatic, harness.publicKey), "the responder learns the harness's static key");
  const { message, keys } = responder.writeMessage2(new Uint8Array());
  assert.equal(message.length, 3424);
  const done = initiator.readMessage2(message);
  const sealed = done.keys.send.seal(7, utf8("hello"));
  assert.equal(new TextDecoder().decode(keys.receive.open(7, sealed)), "hello");
  assert.throws(() => keys.receive.open(8, sealed), isNoiseError, "the nonce is the seq: a record moved to another seq fails");
});

test("msg1 for another executor key, another stream or another registration is refused", () => {
  const other = generateHybridKeyPair();
  assert.throws(() => new HybridIkResponder({ localStatic: other, prologue }).readMessage1(msg1), isNoiseError);
  for (const parts of [
    { environmentId: "env-1", registrationId: "reg-1", streamId: "s-2" },
    { environmentId: "env-1", registrationId: "reg-2", streamId: "s-1" },
    { environmentId: "env-2", registrationId: "reg-1", streamId: "s-1" },
  ]) {
    assert.throws(() => new HybridIkResponder({ localStatic: executor, prologue: handshakePrologue(parts) }).readMessage1(msg1), isNoiseError);
  }
});

test("any changed byte of msg1 is refused, never accepted with a different payload", () => {
  fc.assert(
    fc.property(fc.nat({ max: msg1.length - 1 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
      const tampered = msg1.slice();
      tampered[at] = tampered[at]! ^ xor;
      assert.throws(() => new HybridIkResponder({ localStatic: executor, prologue }).readMessage1(tampered), isNoiseError);
    }),
    { numRuns: 25 },
  );
});

test("any changed byte of msg2, or a truncated msg1/msg2, is refused", () => {
  const initiator = () => {
    const i = new HybridIkInitiator({ localStatic: harness, remoteStatic: executor.publicKey, prologue });
    const m1 = i.writeMessage1(utf8("auth"));
    const r = new HybridIkResponder({ localStatic: executor, prologue });
    r.readMessage1(m1);
    return { i, m2: r.writeMessage2(new Uint8Array()).message };
  };
  fc.assert(
    fc.property(fc.nat({ max: 3423 }), fc.integer({ min: 1, max: 255 }), (at, xor) => {
      const { i, m2 } = initiator();
      m2[at] = m2[at]! ^ xor;
      assert.throws(() => i.readMessage2(m2), isNoiseError);
    }),
    { numRuns: 15 },
  );
  const { i, m2 } = initiator();
  assert.throws(() => i.readMessage2(m2.subarray(0, m2.length - 1)), isNoiseError);
  assert.throws(() => new HybridIkResponder({ localStatic: executor, prologue }).readMessage1(msg1.subarray(0, 3567)), isNoiseError);
  assert.throws(() => new HybridIkResponder({ localStatic: executor, prologue }).readMessage1(new Uint8Array(3568 + 4097)), isNoiseError);
});

test("public keys round-trip through the registry JSON form, which is checked strictly", () => {
  const json = publicKeyToJson(executor.publicKey);
  assert.deepEqual(Object.keys(json), ["suite", "x25519_public_key", "mlkem768_public_key"]);
  assert.equal(json.suite, NOISE_SUITE_TAG);
  assert.ok(samePublicKey(publicKeyFromJson(JSON.parse(JSON.stringify(json))), executor.publicKey));
  assert.throws(() => publicKeyFromJson({ ...json, suite: "Noise_hybridIK_25519+MLKEM768_AESGCM_SHA256" }), PublicKeyJsonError);
  assert.throws(() => publicKeyFromJson({ ...json, x25519_public_key: json.x25519_public_key.slice(4) }), /32 bytes|base64/);
  assert.throws(() => publicKeyFromJson({ ...json, mlkem768_public_key: "!!!!" }), /not base64/);
  assert.throws(() => publicKeyFromJson(null), PublicKeyJsonError);
});

test("an initiator refuses an authorization longer than 4096 bytes", () => {
  const initiator = new HybridIkInitiator({ localStatic: harness, remoteStatic: executor.publicKey, prologue });
  assert.throws(() => initiator.writeMessage1(new Uint8Array(4097)), RangeError);
});
