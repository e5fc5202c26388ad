import type { WebSocket } from "ws";
import { CloseSignal } from "../rpc/close-signal.js";
import type { FlowWaterMarks, MessageTransport } from "../rpc/message-transport.js";
import { WaterMarkFlow } from "../rpc/water-mark-flow.js";

/** Options of {@link websocketTransport}. */
export interface WebsocketTransportOptions {
  /** Outbound flow-control marks over bytes passed to `socket.send` and not yet written to the OS. Default 8 MiB high, 2 MiB low. */
  readonly flow?: FlowWaterMarks;
}

/**
 * Adapts one `ws` socket to a {@link MessageTransport}: each websocket message is one JSON text.
 * Text and binary (UTF-8 JSON) frames are accepted; outbound messages are always text frames, also
 * those given as bytes to `sendBytes` (sent without re-encoding). `flow` counts the UTF-8 bytes of
 * messages whose `ws` write callback has not run yet (they sit in `ws`'s or the net socket's
 * userland buffer because the peer or the network is slower than us).
 */
export function websocketTransport(socket: WebSocket, options: WebsocketTransportOptions = {}): MessageTransport {
  const closing = new CloseSignal();
  const flow = new WaterMarkFlow(options.flow);
  let pending = 0;
  socket.on("close", (code, reason) => closing.fire(reason.toString() || `websocket closed (${code})`));
  socket.on("error", (error) => closing.fire(`websocket error: ${error.message}`));
  closing.subscribe(() => flow.release());
  const written = (bytes: number): void => {
    // Runs once the frame reached the OS (or failed with the socket, which closes it anyway).
    pending -= bytes;
    flow.update(pending);
  };
  return {
    flow,
    send(message) {
      if (closing.closed || socket.readyState !== socket.OPEN) return;
      const bytes = Buffer.byteLength(message, "utf8");
      pending += bytes;
      flow.update(pending);
      socket.send(message, () => written(bytes));
    },
    sendBytes(utf8) {
      if (closing.closed || socket.readyState !== socket.OPEN) return;
      const bytes = utf8.byteLength;
      pending += bytes;
      flow.update(pending);
      // A text frame from bytes: `ws` sends them as they are (no UTF-8 encode of a large string).
      socket.send(utf8, { binary: false }, () => written(bytes));
    },
    onMessage(listener) {
      const handler = (data: Buffer | ArrayBuffer | Buffer[]) => listener(rawDataToString(data));
      socket.on("message", handler);
      return () => socket.off("message", handler);
    },
    onClose: (listener) => closing.subscribe(listener),
    pauseReceiving() {
      if (!closing.closed) socket.pause();
    },
    resumeReceiving() {
      if (!closing.closed) socket.resume();
    },
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
