/**
 * Limits and timers of one reliable relay stream endpoint. Every limit is an option with a
 * documented default, validated at construction (see docs/relay.md for the reasoning).
 */

export interface RelayEndpointOptions {
  /**
   * Largest payload of one data segment, in bytes. Default 60 KiB (61 440): upstream's later
   * framing uses 60 KiB records, tens of KiB is the measured throughput sweet spot, and 32 of them
   * (≈ 1.9 MiB) fit under the in-flight byte cap.
   */
  readonly maxSegmentBytes: number;
  /** Unacknowledged segments in flight; at most 32, the reach of `ack_bits`. Default 32. */
  readonly maxInFlightSegments: number;
  /** Unacknowledged payload bytes in flight. Default 2 MiB (upstream's later branch). One segment is always allowed. */
  readonly maxInFlightBytes: number;
  /** Largest reassembled message, in bytes; a larger one resets the stream. Default 64 MiB. */
  readonly maxMessageBytes: number;
  /** Out-of-order segment bytes buffered by the receiver; segments beyond are dropped (the sender retransmits). Default 4 MiB. */
  readonly maxReorderBytes: number;
  /** Bytes accepted by `send` but not yet in flight; exceeding it resets the stream. Default 256 MiB. */
  readonly maxQueuedBytes: number;
  /**
   * Flow control of the stream as a `MessageTransport`: congested once unsent plus unacknowledged
   * payload bytes exceed this, so producers (process output) pause long before `maxQueuedBytes`
   * resets the stream. Default 8 MiB (8 388 608).
   */
  readonly flowHighWaterBytes: number;
  /** A congested stream drains once acks bring unsent plus unacknowledged bytes to this or below. Default 2 MiB (2 097 152); at most `flowHighWaterBytes`. */
  readonly flowLowWaterBytes: number;
  /** Delay before a standalone ack when no outbound frame carried it, in ms. Default 25 (QUIC `max_ack_delay`). */
  readonly ackDelayMs: number;
  /**
   * Acknowledge at once, without waiting `ackDelayMs`, once this many data segments arrived since our
   * acks last went out; 0 leaves acks to the timer and to outbound frames. Default 2 (TCP's "every
   * second full-sized segment", QUIC's two ack-eliciting packets): a one-way bulk flow otherwise
   * stalls for `ackDelayMs` every in-flight window (2 MiB per 25 ms at most).
   */
  readonly ackEverySegments: number;
  /** Retransmission timeout before any RTT sample, in ms. Default 1000 (RFC 6298). */
  readonly initialRtoMs: number;
  /** Lower bound of the retransmission timeout, in ms. Default 200 (websocket loss is rare; acks are ≤ 25 ms late). */
  readonly minRtoMs: number;
  /** Upper bound of the (backed-off) retransmission timeout, in ms. Default 30 000. */
  readonly maxRtoMs: number;
  /** Consecutive retransmission timeouts without progress before the stream is reset. Default 8 (≈ 2 min). */
  readonly maxRetransmits: number;
  /** Heartbeat to a reliable peer after this long without sending, in ms; 0 disables. Default 0 (upstream relies on websocket pings). */
  readonly heartbeatIntervalMs: number;
  /** Reset the stream after this long without any frame from the peer while attached, in ms; 0 disables. Default 0. Use with heartbeats on both sides. */
  readonly deadPeerTimeoutMs: number;
}

export const DEFAULT_RELAY_ENDPOINT_OPTIONS: RelayEndpointOptions = Object.freeze({
  maxSegmentBytes: 60 * 1024,
  maxInFlightSegments: 32,
  maxInFlightBytes: 2 * 1024 * 1024,
  maxMessageBytes: 64 * 1024 * 1024,
  maxReorderBytes: 4 * 1024 * 1024,
  maxQueuedBytes: 256 * 1024 * 1024,
  flowHighWaterBytes: 8 * 1024 * 1024,
  flowLowWaterBytes: 2 * 1024 * 1024,
  ackDelayMs: 25,
  ackEverySegments: 2,
  initialRtoMs: 1000,
  minRtoMs: 200,
  maxRtoMs: 30_000,
  maxRetransmits: 8,
  heartbeatIntervalMs: 0,
  deadPeerTimeoutMs: 0,
});

/** Merges `overrides` over the defaults and validates. @throws RangeError naming the bad option. */
export function resolveRelayEndpointOptions(overrides: Partial<RelayEndpointOptions> = {}): RelayEndpointOptions {
  const options: RelayEndpointOptions = { ...DEFAULT_RELAY_ENDPOINT_OPTIONS, ...overrides };
  const positive: (keyof RelayEndpointOptions)[] = [
    "maxSegmentBytes",
    "maxInFlightSegments",
    "maxInFlightBytes",
    "maxMessageBytes",
    "maxReorderBytes",
    "maxQueuedBytes",
    "initialRtoMs",
    "minRtoMs",
    "maxRtoMs",
    "maxRetransmits",
  ];
  for (const key of positive) {
    const value = options[key];
    if (!Number.isSafeInteger(value) || value <= 0) throw new RangeError(`relay option ${key} must be a positive integer, got ${value}`);
  }
  for (const key of ["ackDelayMs", "ackEverySegments", "heartbeatIntervalMs", "deadPeerTimeoutMs", "flowHighWaterBytes", "flowLowWaterBytes"] as const) {
    const value = options[key];
    if (!Number.isSafeInteger(value) || value < 0) throw new RangeError(`relay option ${key} must be a non-negative integer, got ${value}`);
  }
  if (options.maxInFlightSegments > 32) throw new RangeError(`relay option maxInFlightSegments must be at most 32 (ack_bits reach), got ${options.maxInFlightSegments}`);
  if (options.flowLowWaterBytes > options.flowHighWaterBytes) throw new RangeError("relay option flowLowWaterBytes must not exceed flowHighWaterBytes");
  if (options.minRtoMs > options.maxRtoMs) throw new RangeError("relay option minRtoMs must not exceed maxRtoMs");
  return options;
}
