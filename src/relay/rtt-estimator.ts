/**
 * Round-trip estimate and retransmission timeout (RFC 6298 §2, with RFC 9002's `max_ack_delay`
 * term): `rto = clamp(srtt + max(4·rttvar, 1 ms) + ackDelay, min, max)`, doubled per consecutive
 * timeout (exponential backoff) and capped at `max`.
 */

export interface RttEstimate {
  /** Smoothed RTT in ms; undefined before the first sample. */
  readonly srtt: number | undefined;
  /** RTT variation in ms. */
  readonly rttvar: number;
}

export const INITIAL_RTT: RttEstimate = { srtt: undefined, rttvar: 0 };

/** Folds one RTT sample (ms) into the estimate (α = 1/8, β = 1/4). */
export function sampleRtt(estimate: RttEstimate, sampleMs: number): RttEstimate {
  const r = Math.max(0, sampleMs);
  if (estimate.srtt === undefined) return { srtt: r, rttvar: r / 2 };
  const rttvar = 0.75 * estimate.rttvar + 0.25 * Math.abs(estimate.srtt - r);
  return { srtt: 0.875 * estimate.srtt + 0.125 * r, rttvar };
}

export interface RtoBounds {
  readonly initialRtoMs: number;
  readonly minRtoMs: number;
  readonly maxRtoMs: number;
  readonly ackDelayMs: number;
}

/** Retransmission timeout in ms after `backoff` consecutive expiries. */
export function retransmitTimeout(estimate: RttEstimate, bounds: RtoBounds, backoff: number): number {
  const base =
    estimate.srtt === undefined
      ? bounds.initialRtoMs
      : estimate.srtt + Math.max(4 * estimate.rttvar, 1) + bounds.ackDelayMs;
  const clamped = Math.min(bounds.maxRtoMs, Math.max(bounds.minRtoMs, Math.ceil(base)));
  return Math.min(bounds.maxRtoMs, clamped * 2 ** Math.min(backoff, 30));
}
