import { NOISE_PROLOGUE_LABEL } from "./noise-suite.js";

/** What a stream's prologue binds: the registry's ids exactly as returned, and the relay stream id. */
export interface PrologueParts {
  readonly environmentId: string;
  readonly registrationId: string;
  readonly streamId: string;
}

/**
 * The 0.169 prologue: for each of [label, environment id, registration id, stream id], a u64
 * big-endian byte length, then the UTF-8 bytes. (Older upstream sources used u32 lengths; 0.169
 * refuses them.) A stream id moved to another stream, or a key issued for another registration,
 * therefore fails the handshake.
 */
export function handshakePrologue(parts: PrologueParts): Uint8Array {
  const encoder = new TextEncoder();
  const fields = [NOISE_PROLOGUE_LABEL, parts.environmentId, parts.registrationId, parts.streamId].map((text) => encoder.encode(text));
  const out = new Uint8Array(fields.reduce((sum, field) => sum + 8 + field.length, 0));
  const view = new DataView(out.buffer);
  let at = 0;
  for (const field of fields) {
    view.setBigUint64(at, BigInt(field.length));
    out.set(field, at + 8);
    at += 8 + field.length;
  }
  return out;
}
