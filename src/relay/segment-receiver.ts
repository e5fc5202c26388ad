/**
 * Pure receiver half of a reliable stream endpoint: duplicate suppression, a 32-segment reorder
 * window with a byte cap, and reassembly of segmented messages (`message_start_seq = seq -
 * segment_index`) with a message size cap. Inconsistent segment metadata is a stream failure, never
 * an allocation.
 */
import type { RelayData } from "./frame-codec.js";

interface InSegment {
  readonly seq: number;
  readonly index: number;
  readonly count: number;
  readonly payload: Uint8Array;
}

interface Assembly {
  readonly count: number;
  readonly next: number;
  readonly parts: readonly Uint8Array[];
  readonly bytes: number;
}

export interface ReceiverState {
  /** Highest contiguous seq received and consumed (0 = none; reliable peers start at 1). */
  readonly ack: number;
  /** Out-of-order segments within (ack, ack + 32], ascending seq. */
  readonly buffer: readonly InSegment[];
  readonly bufferedBytes: number;
  readonly assembly: Assembly | undefined;
}

const NO_SEGMENTS: readonly InSegment[] = Object.freeze([]);

export const INITIAL_RECEIVER: ReceiverState = Object.freeze({ ack: 0, buffer: NO_SEGMENTS, bufferedBytes: 0, assembly: undefined });

/** Reach of the acknowledgement bitmap and thus of the reorder window. */
export const ACK_WINDOW = 32;

/** The `ack_bits` bitmap describing the buffer (unsigned 32-bit). */
export function ackBitsOf(state: ReceiverState): number {
  let bits = 0;
  for (const s of state.buffer) bits |= 1 << (s.seq - state.ack - 1);
  return bits >>> 0;
}

export interface ReceiveLimits {
  readonly maxMessageBytes: number;
  readonly maxReorderBytes: number;
}

export type ReceiveOutcome =
  | {
      readonly kind: "ok";
      readonly state: ReceiverState;
      /** Whole messages completed by this segment, in order. */
      readonly messages: Uint8Array[];
      readonly disposition: "accepted" | "duplicate" | "beyond-window" | "over-reorder-cap";
    }
  | { readonly kind: "failed"; readonly reason: string };

function concat(parts: readonly Uint8Array[], bytes: number): Uint8Array {
  if (parts.length === 1) return parts[0]!;
  const out = new Uint8Array(bytes);
  let offset = 0;
  for (const p of parts) {
    out.set(p, offset);
    offset += p.length;
  }
  return out;
}

/** Accepts one data segment from a reliable peer. */
export function receiveSegment(state: ReceiverState, data: RelayData, limits: ReceiveLimits): ReceiveOutcome {
  const { seq, segmentIndex: index, segmentCount: count, payload } = data;
  if (index >= count) return { kind: "failed", reason: `relay_invalid_segment: segment_index ${index} >= segment_count ${count} at seq ${seq}` };
  if (count > limits.maxMessageBytes) return { kind: "failed", reason: `relay_message_too_large: segment_count ${count} exceeds the ${limits.maxMessageBytes}-byte message limit` };
  if (index > seq - 1) return { kind: "failed", reason: `relay_invalid_segment: segment_index ${index} puts the message start before seq 1 at seq ${seq}` };
  if (payload.length > limits.maxMessageBytes) return { kind: "failed", reason: `relay_message_too_large: segment of ${payload.length} bytes exceeds ${limits.maxMessageBytes}` };
  if (seq <= state.ack || state.buffer.some((s) => s.seq === seq)) return { kind: "ok", state, messages: [], disposition: "duplicate" };
  if (seq > state.ack + ACK_WINDOW) return { kind: "ok", state, messages: [], disposition: "beyond-window" };
  // The usual case: the next seq, a whole message, nothing buffered behind it.
  if (seq === state.ack + 1 && count === 1 && state.assembly === undefined && state.buffer.length === 0) {
    return { kind: "ok", state: { ack: seq, buffer: NO_SEGMENTS, bufferedBytes: 0, assembly: undefined }, messages: [payload], disposition: "accepted" };
  }
  const segment: InSegment = { seq, index, count, payload };
  if (seq !== state.ack + 1) {
    if (state.bufferedBytes + payload.length > limits.maxReorderBytes) return { kind: "ok", state, messages: [], disposition: "over-reorder-cap" };
    const buffer = [...state.buffer, segment].sort((a, b) => a.seq - b.seq);
    return { kind: "ok", state: { ...state, buffer, bufferedBytes: state.bufferedBytes + payload.length }, messages: [], disposition: "accepted" };
  }
  // In order: consume it and every buffered successor.
  let ack = state.ack;
  let assembly = state.assembly;
  let buffer = state.buffer;
  let bufferedBytes = state.bufferedBytes;
  const messages: Uint8Array[] = [];
  let next: InSegment | undefined = segment;
  while (next !== undefined) {
    ack = next.seq;
    if (assembly === undefined) {
      if (next.index !== 0) return { kind: "failed", reason: `relay_invalid_segment: seq ${next.seq} continues a message that never started (index ${next.index})` };
      assembly = { count: next.count, next: 0, parts: [], bytes: 0 };
    } else if (next.count !== assembly.count || next.index !== assembly.next) {
      return { kind: "failed", reason: `relay_invalid_segment: seq ${next.seq} is segment ${next.index}/${next.count}, expected ${assembly.next}/${assembly.count}` };
    }
    const bytes = assembly.bytes + next.payload.length;
    if (bytes > limits.maxMessageBytes) return { kind: "failed", reason: `relay_message_too_large: message exceeds ${limits.maxMessageBytes} bytes` };
    assembly = { count: assembly.count, next: assembly.next + 1, parts: [...assembly.parts, next.payload], bytes };
    if (assembly.next === assembly.count) {
      messages.push(concat(assembly.parts, assembly.bytes));
      assembly = undefined;
    }
    const head: InSegment | undefined = buffer[0];
    if (head !== undefined && head.seq === ack + 1) {
      buffer = buffer.length === 1 ? NO_SEGMENTS : buffer.slice(1);
      bufferedBytes -= head.payload.length;
      next = head;
    } else {
      next = undefined;
    }
  }
  return { kind: "ok", state: { ack, buffer, bufferedBytes, assembly }, messages, disposition: "accepted" };
}
