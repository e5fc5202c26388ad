/**
 * Pure sender half of a reliable stream endpoint: segmentation into contiguous seq ranges, the
 * in-flight window (segments and bytes), acknowledgement processing (cumulative + `ack_bits`,
 * irrevocable), loss detection (packet and time thresholds, RFC 9002 §6.1) and the choice of what to
 * retransmit or probe with. No I/O, no clock: callers pass `now`.
 */
import { INITIAL_RTT, type RttEstimate, sampleRtt } from "./rtt-estimator.js";

/** One outbound segment. `sentAt` is undefined until first transmitted. */
export interface OutSegment {
  readonly seq: number;
  readonly index: number;
  readonly count: number;
  readonly payload: Uint8Array;
  /** First transmission (ms). */
  readonly sentAt: number | undefined;
  /** Latest transmission (ms): what loss detection compares (a retransmission is new again). */
  readonly lastSentAt: number | undefined;
  /** Transmitted more than once: its ack gives no RTT sample (Karn). */
  readonly retransmitted: boolean;
  /** Already fast-retransmitted once for the current gap. */
  readonly fastRetransmitted: boolean;
  /** Last transmitted before our latest `resume`: it may have died with the old path. */
  readonly beforeResume: boolean;
}

export interface SenderState {
  /** Seq the next segment gets. */
  readonly nextSeq: number;
  /** Transmitted, not yet acknowledged, ascending seq. */
  readonly inFlight: readonly OutSegment[];
  /** Payload bytes of `inFlight`. */
  readonly inFlightBytes: number;
  /** Accepted, seq assigned, not yet transmitted (window full), ascending seq. */
  readonly queue: readonly OutSegment[];
  readonly queuedBytes: number;
  /** Consecutive retransmission timeouts without progress. */
  readonly backoff: number;
  /** Consecutive tail-loss probes without progress (see {@link probeNewest}). */
  readonly probes: number;
  /** Latest transmission of any segment (ms), undefined before the first: probe timeouts run from it. */
  readonly lastSentAt: number | undefined;
  readonly rtt: RttEstimate;
}

/** Shared empty segment list (idle streams allocate none). */
export const NO_SEGMENTS: readonly OutSegment[] = Object.freeze([]);

/**
 * A sender numbering from `firstSeq`. `rtt` seeds the estimate (a new stream on a socket whose other
 * streams already measured it, as RFC 9002 §6.2.2 allows); default none.
 */
export function initialSender(firstSeq: number, rtt: RttEstimate = INITIAL_RTT): SenderState {
  return { nextSeq: firstSeq, inFlight: NO_SEGMENTS, inFlightBytes: 0, queue: NO_SEGMENTS, queuedBytes: 0, backoff: 0, probes: 0, lastSentAt: undefined, rtt };
}

/** Stops tracking in-flight segments (the peer turned out legacy: it never acks). */
export function forgetInFlight(state: SenderState): SenderState {
  return state.inFlight.length === 0 ? state : { ...state, inFlight: NO_SEGMENTS, inFlightBytes: 0 };
}

/**
 * Assigns seqs to one message. With `maxSegmentBytes` undefined the message stays one segment
 * (peer capability unknown or legacy: such peers refuse `segment_count != 1`).
 * Seqs stay below 2^32 only for 4 billion segments per stream; a stream is expected to end long before.
 */
export function enqueueMessage(state: SenderState, payload: Uint8Array, maxSegmentBytes: number | undefined): SenderState {
  const size = maxSegmentBytes ?? Math.max(1, payload.length);
  const count = Math.max(1, Math.ceil(payload.length / size));
  const segments: OutSegment[] = [...state.queue];
  for (let index = 0; index < count; index++) {
    segments.push({
      seq: state.nextSeq + index,
      index,
      count,
      payload: count === 1 ? payload : payload.subarray(index * size, Math.min(payload.length, (index + 1) * size)),
      sentAt: undefined,
      lastSentAt: undefined,
      retransmitted: false,
      fastRetransmitted: false,
      beforeResume: false,
    });
  }
  return { ...state, nextSeq: state.nextSeq + count, queue: segments, queuedBytes: state.queuedBytes + payload.length };
}

export interface WindowLimits {
  readonly maxInFlightSegments: number;
  readonly maxInFlightBytes: number;
}

/**
 * Moves queued segments into flight while the window allows: seq within `maxInFlightSegments` of
 * the lowest unacked seq (so the receiver's 32-bit window covers it) and bytes under the cap (one
 * segment is always allowed so an oversized unsplit message still moves). Returns the segments to transmit.
 */
export function pumpWindow(state: SenderState, limits: WindowLimits, now: number): { state: SenderState; toSend: OutSegment[] } {
  if (state.queue.length === 0) return { state, toSend: [] };
  const inFlight = [...state.inFlight];
  let bytes = state.inFlightBytes;
  const toSend: OutSegment[] = [];
  let taken = 0;
  let queuedBytes = state.queuedBytes;
  for (const segment of state.queue) {
    const lowest = inFlight[0]?.seq ?? segment.seq;
    if (segment.seq - lowest >= limits.maxInFlightSegments) break;
    if (inFlight.length > 0 && bytes + segment.payload.length > limits.maxInFlightBytes) break;
    const sent = { ...segment, sentAt: now, lastSentAt: now };
    inFlight.push(sent);
    toSend.push(sent);
    bytes += segment.payload.length;
    queuedBytes -= segment.payload.length;
    taken++;
  }
  if (taken === 0) return { state, toSend };
  const queue = taken === state.queue.length ? NO_SEGMENTS : state.queue.slice(taken);
  return { state: { ...state, inFlight, inFlightBytes: bytes, queue, queuedBytes, lastSentAt: now }, toSend };
}

/** Sends everything queued without tracking it (legacy peer: it never acks, we never retransmit). */
export function drainUntracked(state: SenderState): { state: SenderState; toSend: OutSegment[] } {
  return { state: { ...state, inFlight: NO_SEGMENTS, inFlightBytes: 0, queue: NO_SEGMENTS, queuedBytes: 0 }, toSend: [...state.queue] };
}

/** True when `seq` is covered by a cumulative `ack` and its bitmap. */
export function isAcked(seq: number, ack: number, ackBits: number): boolean {
  if (seq <= ack) return true;
  const offset = seq - ack - 1;
  return offset < 32 && ((ackBits >>> offset) & 1) === 1;
}

export type AckOutcome =
  | { readonly kind: "ok"; readonly state: SenderState; readonly progressed: boolean; readonly fastRetransmit: OutSegment[] }
  | { readonly kind: "invalid"; readonly reason: string };

/** Packet threshold for declaring a gap lost (RFC 9002 kPacketThreshold). */
export const FAST_RETRANSMIT_THRESHOLD = 3;

/** Time threshold for declaring a gap lost, as a multiple of the smoothed RTT (RFC 9002 kTimeThreshold). */
export const LOSS_TIME_THRESHOLD = 9 / 8;

/** Smallest time threshold (ms; RFC 9002 kGranularity). */
export const LOSS_TIME_GRANULARITY_MS = 1;

/** True when `a` was transmitted before `b` (same instant: the lower seq first, as a burst goes out in order). */
function sentBefore(a: OutSegment, b: OutSegment): boolean {
  const at = a.lastSentAt ?? 0;
  const bt = b.lastSentAt ?? 0;
  return at < bt || (at === bt && a.seq < b.seq);
}

/**
 * Applies a peer acknowledgement: frees every covered in-flight segment at once (acks are
 * irrevocable), samples the RTT from the newest newly-acked never-retransmitted segment, resets the
 * backoff and the probe count on progress and declares unacked segments lost (RFC 9002 §6.1), to be
 * retransmitted at once:
 * - packet threshold: a segment at least {@link FAST_RETRANSMIT_THRESHOLD} seqs later is acked
 *   (once per segment);
 * - time threshold: a newly acked segment was transmitted after it, and its own latest transmission
 *   is at least {@link LOSS_TIME_THRESHOLD} × smoothed RTT old (never below
 *   {@link LOSS_TIME_GRANULARITY_MS}). Acks of a burst come back within about one RTT, so a hole
 *   they reveal is re-sent after one RTT instead of a timeout. A re-sent segment is "new" again and
 *   can only be declared lost once something transmitted after it is acked.
 * An ack of a seq never sent is a protocol violation (typically a peer that kept state we lost).
 */
export function applyAck(state: SenderState, ack: number, ackBits: number, now: number): AckOutcome {
  if (ack >= state.nextSeq) return { kind: "invalid", reason: `relay_invalid_ack: peer acknowledged seq ${ack} but next seq is ${state.nextSeq}` };
  let newestSample: number | undefined;
  let highestAcked = ack;
  let inFlightBytes = state.inFlightBytes;
  /** The newly acked segment transmitted last: unacked segments sent before it are suspects. */
  let latestDelivered: OutSegment | undefined;
  const remaining: OutSegment[] = [];
  for (const segment of state.inFlight) {
    if (isAcked(segment.seq, ack, ackBits)) {
      highestAcked = Math.max(highestAcked, segment.seq);
      inFlightBytes -= segment.payload.length;
      if (!segment.retransmitted && segment.sentAt !== undefined) newestSample = now - segment.sentAt;
      if (latestDelivered === undefined || sentBefore(latestDelivered, segment)) latestDelivered = segment;
    } else {
      remaining.push(segment);
    }
  }
  const progressed = remaining.length !== state.inFlight.length;
  // The usual ack covers everything in flight: nothing is left to fast-retransmit.
  if (remaining.length === 0) {
    return {
      kind: "ok",
      progressed,
      fastRetransmit: [],
      state: progressed
        ? { ...state, inFlight: NO_SEGMENTS, inFlightBytes: 0, backoff: 0, probes: 0, rtt: newestSample === undefined ? state.rtt : sampleRtt(state.rtt, newestSample) }
        : state,
    };
  }
  for (let i = 0; i < 32; i++) if ((ackBits >>> i) & 1) highestAcked = Math.max(highestAcked, Math.min(ack + 1 + i, state.nextSeq - 1));
  const rtt = newestSample === undefined ? state.rtt : sampleRtt(state.rtt, newestSample);
  const lossDelay = rtt.srtt === undefined ? undefined : Math.max(LOSS_TIME_THRESHOLD * rtt.srtt, LOSS_TIME_GRANULARITY_MS);
  const fastRetransmit: OutSegment[] = [];
  let lastSentAt = state.lastSentAt;
  const inFlight = remaining.map((segment) => {
    const byCount = !segment.fastRetransmitted && highestAcked >= segment.seq + FAST_RETRANSMIT_THRESHOLD;
    const byTime =
      lossDelay !== undefined &&
      latestDelivered !== undefined &&
      segment.seq < highestAcked &&
      sentBefore(segment, latestDelivered) &&
      now - (segment.lastSentAt ?? now) >= lossDelay;
    if (byCount || byTime) {
      const again = { ...segment, retransmitted: true, fastRetransmitted: true, lastSentAt: now };
      fastRetransmit.push(again);
      lastSentAt = now;
      return again;
    }
    return segment;
  });
  return {
    kind: "ok",
    progressed,
    fastRetransmit,
    state: {
      ...state,
      inFlight,
      inFlightBytes,
      backoff: progressed ? 0 : state.backoff,
      probes: progressed ? 0 : state.probes,
      lastSentAt,
      rtt,
    },
  };
}

/**
 * Retransmits the newest in-flight segment as a tail-loss probe (RFC 8985 §7.3; RFC 9002 §6.2.4
 * sends unacknowledged data as its probe): when the last segments of a burst (or a lone request)
 * are lost, no later ack reveals the gap, so a probe after about one RTT elicits an ack that either
 * covers everything (only acks were lost) or shows the holes below it, which {@link applyAck} then
 * re-sends. Counts the probe in `probes`; nothing happens when nothing is in flight.
 */
export function probeNewest(state: SenderState, now: number): { state: SenderState; toSend: OutSegment[] } {
  const newest = state.inFlight[state.inFlight.length - 1];
  if (newest === undefined) return { state, toSend: [] };
  const again = { ...newest, retransmitted: true, lastSentAt: now };
  const inFlight = [...state.inFlight.slice(0, -1), again];
  return { state: { ...state, inFlight, probes: state.probes + 1, lastSentAt: now }, toSend: [again] };
}

/** Marks every in-flight segment retransmitted and returns them for transmission (resume / timeout). */
export function retransmitAll(state: SenderState, now: number): { state: SenderState; toSend: OutSegment[] } {
  if (state.inFlight.length === 0) return { state, toSend: [] };
  const inFlight = state.inFlight.map((s) => ({ ...s, retransmitted: true, fastRetransmitted: false, beforeResume: false, sentAt: s.sentAt ?? now, lastSentAt: now }));
  return { state: { ...state, inFlight, lastSentAt: now }, toSend: inFlight };
}

/** Notes that a `resume` goes out now: everything in flight was sent on a path that may be gone. */
export function markBeforeResume(state: SenderState): SenderState {
  if (state.inFlight.length === 0) return state;
  return { ...state, inFlight: state.inFlight.map((s) => ({ ...s, beforeResume: true })) };
}

/**
 * Retransmits only segments last sent before our `resume`. Segments sent after it travelled
 * behind the resume on the same socket, so the peer's answer proves they arrived or are arriving.
 */
export function retransmitBeforeResume(state: SenderState, now: number): { state: SenderState; toSend: OutSegment[] } {
  const toSend: OutSegment[] = [];
  const inFlight = state.inFlight.map((s) => {
    if (!s.beforeResume) return s;
    const again = { ...s, retransmitted: true, fastRetransmitted: false, beforeResume: false, lastSentAt: now };
    toSend.push(again);
    return again;
  });
  return toSend.length === 0 ? { state, toSend } : { state: { ...state, inFlight, lastSentAt: now }, toSend };
}
