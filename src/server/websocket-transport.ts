import type { WebSocket } from "ws";
import { CloseSignal } from "../rpc/close-signal.js";
import type { MessageTransport } from "../rpc/message-transport.js";

/**
 * Adapts one `ws` socket to a {@link MessageTransport}: each websocket message is one JSON text.
 * Text and binary (UTF-8 JSON) frames are accepted; outbound messages are always text frames.
 */
export function websocketTransport(socket: WebSocket): MessageTransport {
  const closing = new CloseSignal();
  socket.on("close", (code, reason) => closing.fire(reason.toString() || `websocket closed (${code})`));
  socket.on("error", (error) => closing.fire(`websocket error: ${error.message}`));
  return {
    send(message) {
      if (closing.closed || socket.readyState !== socket.OPEN) return;
      socket.send(message);
    },
    onMessage(listener) {
      const handler = (data: Buffer | ArrayBuffer | Buffer[]) => listener(rawDataToString(data));
      socket.on("message", handler);
      return () => socket.off("message", handler);
    },
    onClose: (listener) => closing.subscribe(listener),
    close(reason) {
      if (socket.readyState === socket.OPEN || socket.readyState === socket.CONNECTING) {
        socket.close(1000, reason?.slice(0, 120));
      }
      closing.fire(reason ?? "closed locally");
    },
  };
}

/** Decodes any `ws` message payload shape to a string (binary frames carry UTF-8 JSON). */
export function rawDataToString(data: Buffer | ArrayBuffer | Buffer[]): string {
  if (Array.isArray(data)) return Buffer.concat(data).toString("utf8");
  if (data instanceof ArrayBuffer) return Buffer.from(data).toString("utf8");
  return data.toString("utf8");
}
