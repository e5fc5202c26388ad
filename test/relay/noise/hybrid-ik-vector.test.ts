import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { test } from "node:test";
import { handshakePrologue } from "../../../src/relay/noise/handshake-prologue.js";
import { HybridIkInitiator, HybridIkResponder } from "../../../src/relay/noise/hybrid-ik-handshake.js";
import { hybridKeyPairFromSeeds } from "../../../src/relay/noise/hybrid-keypair.js";
import { frameMessage } from "../../../src/relay/noise/message-framing.js";
import { NOISE_PROTOCOL_NAME } from "../../../src/relay/noise/noise-suite.js";
import { sha256, type RandomSource } from "../../../src/relay/noise/suite-primitives.js";
import { computeVector, referenceAvailable, VECTOR_PATH, type VectorInputs } from "./vector/make-hybrid-ik-vector.js";

interface Transcript {
  prologue: string;
  protocolNameHash: string;
  msg1: string;
  msg2: string;
  handshakeHash: string;
  records: { from: "initiator" | "responder"; seq: number; messageUtf8: string; ciphertext: string }[];
}
const vector = JSON.parse(readFileSync(VECTOR_PATH, "utf8")) as { inputs: VectorInputs; transcript: Transcript };
const { inputs, transcript } = vector;
const bytes = (hex: string) => new Uint8Array(Buffer.from(hex, "hex"));
const hex = (u: Uint8Array) => Buffer.from(u).toString("hex");
const utf8 = (s: string) => new TextEncoder().encode(s);

/** Replays fixed randomness in the documented draw order, checking each length. */
function replay(draws: string[]): RandomSource {
  const queue = draws.map(bytes);
  return (length) => {
    const next = queue.shift();
    assert.ok(next !== undefined, "the handshake drew more randomness than the vector has");
    assert.equal(next.length, length);
    return next;
  };
}

test("the protocol name hashes to the value seen on the wire of codex 0.169", () => {
  assert.equal(hex(sha256(utf8(NOISE_PROTOCOL_NAME))), "646856ce6fda9f9f037c69557c3c9f5ada7d1bc70b0c4beea72befcaf862edfa");
  assert.equal(transcript.protocolNameHash, "646856ce6fda9f9f037c69557c3c9f5ada7d1bc70b0c4beea72befcaf862edfa");
});

test("the prologue uses u64 big-endian lengths (the spec's 97-byte example)", () => {
  const prologue = handshakePrologue({ environmentId: "env-noise-1", registrationId: "registration-1", streamId: "stream-1" });
  assert.equal(prologue.length, 97);
  assert.ok(hex(prologue).startsWith("0000000000000020636f6465782d"));
  assert.ok(hex(prologue).endsWith("000000000000000873747265616d2d31"));
  assert.equal(hex(prologue), transcript.prologue);
});

test("our initiator and responder reproduce the independently computed transcript byte for byte", () => {
  const initiatorStatic = hybridKeyPairFromSeeds(bytes(inputs.initiatorStaticX25519), bytes(inputs.initiatorStaticMlkemSeed));
  const responderStatic = hybridKeyPairFromSeeds(bytes(inputs.responderStaticX25519), bytes(inputs.responderStaticMlkemSeed));
  const prologue = handshakePrologue(inputs);
  const initiator = new HybridIkInitiator({
    localStatic: initiatorStatic,
    remoteStatic: responderStatic.publicKey,
    prologue,
    random: replay([inputs.msg1SkemMessage, inputs.initiatorEphemeralX25519, inputs.initiatorEphemeralMlkemSeed]),
  });
  const responder = new HybridIkResponder({
    localStatic: responderStatic,
    prologue,
    random: replay([inputs.msg2EkemMessage, inputs.msg2SkemMessage, inputs.responderEphemeralX25519, inputs.responderEphemeralMlkemSeed]),
  });
  const msg1 = initiator.writeMessage1(utf8(inputs.payload1Utf8));
  assert.equal(msg1.length, 3583, "msg1 = 3568 + len(authorization-1)");
  assert.equal(hex(msg1), transcript.msg1);
  const read1 = responder.readMessage1(msg1);
  assert.equal(new TextDecoder().decode(read1.payload), "authorization-1");
  assert.equal(hex(read1.remoteStatic.x25519), hex(initiatorStatic.publicKey.x25519));
  const written2 = responder.writeMessage2(utf8(inputs.payload2Utf8));
  assert.equal(written2.message.length, 3424);
  assert.equal(hex(written2.message), transcript.msg2);
  const read2 = initiator.readMessage2(written2.message);
  assert.equal(read2.payload.length, 0);
  assert.equal(hex(read2.keys.handshakeHash), transcript.handshakeHash);
  assert.equal(hex(written2.keys.handshakeHash), transcript.handshakeHash);
  for (const record of transcript.records) {
    const [plaintext] = frameMessage(utf8(record.messageUtf8));
    const sender = record.from === "initiator" ? read2.keys.send : written2.keys.send;
    const receiver = record.from === "initiator" ? written2.keys.receive : read2.keys.receive;
    assert.equal(hex(sender.seal(record.seq, plaintext!)), record.ciphertext, `record ${record.from} seq ${record.seq}`);
    assert.equal(new TextDecoder().decode(receiver.open(record.seq, bytes(record.ciphertext)).subarray(4)), record.messageUtf8);
  }
});

test("the committed vector is what the independent implementations compute", { skip: referenceSkip() }, async () => {
  assert.deepEqual(await computeVector(inputs), JSON.parse(readFileSync(VECTOR_PATH, "utf8")));
});

/** python3-cryptography is in .ci/run's package list: under CI=true its absence fails instead of skipping. */
function referenceSkip(): false | string {
  if (referenceAvailable()) return false;
  if (process.env.CI === "true") throw new Error("CI=true and /usr/bin/python3 cannot import cryptography (apt python3-cryptography)");
  return "python3-cryptography is not installed (apt-get install python3-cryptography)";
}
