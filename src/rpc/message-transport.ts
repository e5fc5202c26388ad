/**
 * A bidirectional channel of whole JSON-RPC messages (one compact JSON text per message).
 * Websockets, stdio lines, relay streams and in-memory pairs all implement it, so the client and the
 * connection processor never know which one they run over.
 */
export interface MessageTransport {
  /** Sends one message. Throws nothing; sending on a closed transport is a no-op. */
  send(message: string): void;
  /**
   * Optional: sends one message given as the UTF-8 bytes of its JSON text, exactly as `send` would
   * send that text (same framing, e.g. a websocket text frame, and the same flow-control byte
   * accounting). Lets a producer that built the message as bytes (large `process/output`
   * notifications) skip a string round trip. The caller guarantees valid UTF-8 JSON and must not
   * modify `utf8` afterwards. Absent: callers fall back to `send`.
   */
  sendBytes?(utf8: Uint8Array): void;
  /**
   * Optional: sends one message given as three parts of its JSON text, `head + ascii + tail`, exactly
   * as `send(head + ascii + tail)` would (same framing, same flow-control byte accounting). `ascii`
   * must be ASCII that JSON does not escape (base64); `head` and `tail` may be any JSON text. Lets
   * the websocket transport write a large `process/output` notification as a frame straight from the
   * strings, without building the message as a buffer first. Absent: callers use `sendBytes` (with
   * `jsonPartsBytes`) or `send`.
   */
  sendAsciiParts?(head: string, ascii: string, tail: string): void;
  /** Registers a listener for inbound messages; returns an unsubscribe function. */
  onMessage(listener: (message: string) => void): () => void;
  /** Registers a listener called once when the transport closes; returns an unsubscribe function. */
  onClose(listener: (reason: string) => void): () => void;
  /** Closes the transport; close listeners run once. */
  close(reason?: string): void;
  /**
   * Outbound flow control, when the transport can tell how much it has buffered. Absent (e.g. the
   * in-memory pair) means "never congested": producers then send without pausing. `send` itself
   * never refuses or blocks; producers that can wait (process output) consult this instead.
   */
  readonly flow?: FlowControl;
  /**
   * Largest message (UTF-8 bytes) this transport can carry, when it has a limit (a relay stream's
   * `maxMessageBytes`). Senders that can answer otherwise (a response too large for the stream)
   * check it first, so an oversized message fails one request instead of the whole stream.
   */
  readonly maxMessageBytes?: number;
  /**
   * Stops delivering inbound messages until {@link MessageTransport.resumeReceiving} (a websocket
   * stops reading its TCP socket, so the peer's sends back up and its own flow control engages).
   * Optional: transports that share a socket (relay streams) cannot pause one stream.
   */
  pauseReceiving?(): void;
  /** Delivers inbound messages again after {@link MessageTransport.pauseReceiving}. */
  resumeReceiving?(): void;
}

/** True when `message` is longer than `limit` UTF-8 bytes (cheap for the common, clearly-small case). */
export function exceedsMessageLimit(message: string, limit: number | undefined): boolean {
  if (limit === undefined) return false;
  if (message.length > limit) return true;
  // UTF-8 needs at most 3 bytes per UTF-16 code unit.
  if (message.length * 3 <= limit) return false;
  return Buffer.byteLength(message, "utf8") > limit;
}

/**
 * Outbound backpressure of a transport, with hysteresis: it becomes congested when the bytes handed
 * to `send` but not yet written out (websocket, stdio) or not yet acknowledged (relay stream) exceed
 * a high-water mark, and drains (listeners run) once they fall to a low-water mark or the transport
 * closes. Default marks: 8 MiB high, 2 MiB low ({@link DEFAULT_FLOW_HIGH_WATER_BYTES},
 * {@link DEFAULT_FLOW_LOW_WATER_BYTES}); each transport takes them as options.
 */
export interface FlowControl {
  /** True while the outbound buffer is over the high-water mark and has not yet drained to the low-water mark. */
  congested(): boolean;
  /** Bytes currently buffered (sent but not yet written out or acknowledged), for diagnostics and tests. */
  bufferedBytes(): number;
  /**
   * Registers a listener run each time a congested transport drains to the low-water mark (and once
   * when a congested transport closes, so nobody waits forever); returns an unsubscribe function.
   */
  onDrain(listener: () => void): () => void;
}

/** Default high-water mark of {@link FlowControl}: 8 MiB (8 388 608 bytes). */
export const DEFAULT_FLOW_HIGH_WATER_BYTES = 8 * 1024 * 1024;
/** Default low-water mark of {@link FlowControl}: 2 MiB (2 097 152 bytes). */
export const DEFAULT_FLOW_LOW_WATER_BYTES = 2 * 1024 * 1024;

/** High- and low-water marks of a transport's {@link FlowControl}, in bytes. */
export interface FlowWaterMarks {
  /** Congested above this many buffered bytes. Default {@link DEFAULT_FLOW_HIGH_WATER_BYTES} (8 MiB). */
  readonly highWaterBytes?: number;
  /** Drained at or below this many buffered bytes; must not exceed the high-water mark. Default {@link DEFAULT_FLOW_LOW_WATER_BYTES} (2 MiB). */
  readonly lowWaterBytes?: number;
}
