/**
 * Builds the hybrid-IK handshake vector from implementations independent of the shipped one:
 * ML-KEM-768 from the `mlkem` npm package (a devDependency; the project ships `@noble/post-quantum`),
 * everything else from Debian's python3-cryptography (`hybrid_ik_reference.py`).
 *
 * `npx tsx test/relay/noise/vector/make-hybrid-ik-vector.ts` rewrites `hybrid-ik-vector.json`;
 * `hybrid-ik-vector.test.ts` recomputes it and fails when the committed file differs.
 */
import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { MlKem768 } from "mlkem";

const HERE = dirname(fileURLToPath(import.meta.url));
export const VECTOR_PATH = join(HERE, "hybrid-ik-vector.json");
const PYTHON = "/usr/bin/python3";

/** Deterministic filler bytes: SHA-256 of the label, chained for longer outputs. */
function fixedBytes(label: string, length: number): Buffer {
  const out: Buffer[] = [];
  let block = createHash("sha256").update(label).digest();
  while (out.reduce((n, b) => n + b.length, 0) < length) {
    out.push(block);
    block = createHash("sha256").update(block).digest();
  }
  return Buffer.concat(out).subarray(0, length);
}

/** The fixed secrets and randomness of the vector (hex). */
export function vectorInputs() {
  const hex = (label: string, length: number) => fixedBytes(`codex-noise-vector/${label}`, length).toString("hex");
  return {
    environmentId: "env-noise-1",
    registrationId: "registration-1",
    streamId: "stream-1",
    initiatorStaticX25519: hex("initiator-static-x25519", 32),
    initiatorStaticMlkemSeed: hex("initiator-static-mlkem", 64),
    responderStaticX25519: hex("responder-static-x25519", 32),
    responderStaticMlkemSeed: hex("responder-static-mlkem", 64),
    initiatorEphemeralX25519: hex("initiator-ephemeral-x25519", 32),
    initiatorEphemeralMlkemSeed: hex("initiator-ephemeral-mlkem", 64),
    responderEphemeralX25519: hex("responder-ephemeral-x25519", 32),
    responderEphemeralMlkemSeed: hex("responder-ephemeral-mlkem", 64),
    msg1SkemMessage: hex("msg1-skem", 32),
    msg2EkemMessage: hex("msg2-ekem", 32),
    msg2SkemMessage: hex("msg2-skem", 32),
    payload1Utf8: "authorization-1",
    payload2Utf8: "",
    records: [
      '{"id":1,"method":"initialize","params":{"clientName":"codex-environment","resumeSessionId":null}}',
      '{"method":"initialized"}',
      '{"id":1,"result":{"sessionId":"s-1"}}',
    ],
  };
}

export type VectorInputs = ReturnType<typeof vectorInputs>;

/** Runs the independent implementations; throws when python3-cryptography is missing. */
export async function computeVector(inputs: VectorInputs = vectorInputs()): Promise<unknown> {
  const kem = new MlKem768();
  const b = (h: string) => new Uint8Array(Buffer.from(h, "hex"));
  const hex = (u: Uint8Array) => Buffer.from(u).toString("hex");
  const [iStaticPk, iStaticSk] = await kem.deriveKeyPair(b(inputs.initiatorStaticMlkemSeed));
  const [rStaticPk, rStaticSk] = await kem.deriveKeyPair(b(inputs.responderStaticMlkemSeed));
  const [iEphPk, iEphSk] = await kem.deriveKeyPair(b(inputs.initiatorEphemeralMlkemSeed));
  const [rEphPk] = await kem.deriveKeyPair(b(inputs.responderEphemeralMlkemSeed));
  const encapsulated = async (pk: Uint8Array, sk: Uint8Array, m: string) => {
    const [ct, ss] = await kem.encap(pk, b(m));
    const back = await kem.decap(ct, sk);
    if (hex(back) !== hex(ss)) throw new Error("mlkem decapsulation disagrees with encapsulation");
    return { ct: hex(ct), ss: hex(ss) };
  };
  const msg1Skem = await encapsulated(rStaticPk, rStaticSk, inputs.msg1SkemMessage);
  const msg2Ekem = await encapsulated(iEphPk, iEphSk, inputs.msg2EkemMessage);
  const msg2Skem = await encapsulated(iStaticPk, iStaticSk, inputs.msg2SkemMessage);
  const utf8hex = (s: string) => Buffer.from(s, "utf8").toString("hex");
  const request = {
    environmentId: inputs.environmentId,
    registrationId: inputs.registrationId,
    streamId: inputs.streamId,
    initiatorStaticX25519: inputs.initiatorStaticX25519,
    responderStaticX25519: inputs.responderStaticX25519,
    initiatorEphemeralX25519: inputs.initiatorEphemeralX25519,
    responderEphemeralX25519: inputs.responderEphemeralX25519,
    initiatorStaticMlkemPublic: hex(iStaticPk),
    responderStaticMlkemPublic: hex(rStaticPk),
    initiatorEphemeralMlkemPublic: hex(iEphPk),
    responderEphemeralMlkemPublic: hex(rEphPk),
    msg1SkemCiphertext: msg1Skem.ct,
    msg1SkemShared: msg1Skem.ss,
    msg2EkemCiphertext: msg2Ekem.ct,
    msg2EkemShared: msg2Ekem.ss,
    msg2SkemCiphertext: msg2Skem.ct,
    msg2SkemShared: msg2Skem.ss,
    payload1: utf8hex(inputs.payload1Utf8),
    payload2: utf8hex(inputs.payload2Utf8),
    record0: utf8hex(inputs.records[0]!),
    record1: utf8hex(inputs.records[1]!),
    record2: utf8hex(inputs.records[2]!),
  };
  const run = spawnSync(PYTHON, [join(HERE, "hybrid_ik_reference.py")], { input: JSON.stringify(request), encoding: "utf8" });
  if (run.error !== undefined) throw run.error;
  if (run.status !== 0) throw new Error(`hybrid_ik_reference.py failed (${run.status}): ${run.stderr}`);
  return { description: "Noise_hybridIK_25519+MLKEM768_AESGCM_SHA256 as codex 0.169 runs it; transcript computed by python3-cryptography + the mlkem npm package (see make-hybrid-ik-vector.ts)", inputs, transcript: JSON.parse(run.stdout) };
}

/** True when the independent Python side can run here. */
export function referenceAvailable(): boolean {
  return spawnSync(PYTHON, ["-c", "import cryptography.hazmat.primitives.ciphers.aead"], { stdio: "ignore" }).status === 0;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(VECTOR_PATH, `${JSON.stringify(await computeVector(), null, 2)}\n`);
  process.stdout.write(`wrote ${VECTOR_PATH}\n`);
}
