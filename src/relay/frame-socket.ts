/** The physical connection of a relay multiplexer (e.g. a websocket in binary mode, or an in-memory twin). */
export interface FrameSocket {
  /** Sends one encoded frame as one binary message. Must not throw after close (drop instead). */
  send(bytes: Uint8Array): void;
  /** Registers the inbound binary-message listener; returns an unsubscribe function. */
  onFrame(listener: (bytes: Uint8Array) => void): () => void;
  /** Registers a listener called once when the socket closes; returns an unsubscribe function. */
  onClose(listener: (reason: string) => void): () => void;
  /**
   * A round-trip time (ms) measured while the socket was set up (a dialled websocket: its opening
   * handshake), when known. Until a stream has measured its own, new streams start from it, so the
   * first exchange of a fresh mux is repaired by a probe instead of waiting `initialRtoMs`.
   */
  readonly openRttMs?: number;
}
