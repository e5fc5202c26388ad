/**
 * A bidirectional channel of whole JSON-RPC messages (one compact JSON text per message).
 * Websockets, stdio lines, relay streams and in-memory pairs all implement it, so the client and the
 * connection processor never know which one they run over.
 */
export interface MessageTransport {
  /** Sends one message. Throws nothing; sending on a closed transport is a no-op. */
  send(message: string): void;
  /** Registers a listener for inbound messages; returns an unsubscribe function. */
  onMessage(listener: (message: string) => void): () => void;
  /** Registers a listener called once when the transport closes; returns an unsubscribe function. */
  onClose(listener: (reason: string) => void): () => void;
  /** Closes the transport; close listeners run once. */
  close(reason?: string): void;
}
