/**
 * Round-trip estimate, retransmission timeout (RFC 6298 §2, with RFC 9002's `max_ack_delay`
 * term): `rto = clamp(srtt + max(4·rttvar, 1 ms) + ackDelay, min, max)`, doubled per consecutive
 * timeout (exponential backoff) and capped at `max`; and the probe timeout that comes before it
 * (RFC 9002 §6.2: the same sum without the floor, see {@link probeTimeout}).
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

/**
 * Probe timeout in ms after `probes` consecutive probes (RFC 9002 §6.2.1): `(srtt + max(4·rttvar,
 * 1) + ackDelayMs) · 2^probes`, without the retransmission timeout's floor (a probe re-sends one
 * segment, so an early one costs little). Undefined before the first RTT sample: without an
 * estimate only the retransmission timeout runs.
 */
export function probeTimeout(estimate: RttEstimate, ackDelayMs: number, probes: number): number | undefined {
  if (estimate.srtt === undefined) return undefined;
  return Math.ceil(estimate.srtt + Math.max(4 * estimate.rttvar, 1) + ackDelayMs) * 2 ** Math.min(probes, 30);
}

/**
 * The latest RTT estimate of a path that several streams share (one relay socket). Streams write
 * their estimate here as they sample it and a new stream starts from it (RFC 9002 §6.2.2 seeds a
 * new connection's RTT from an earlier one), so its first lost message is recovered by a probe after
 * about one RTT instead of `initialRtoMs`.
 */
export interface SharedRtt {
  estimate: RttEstimate;
}
