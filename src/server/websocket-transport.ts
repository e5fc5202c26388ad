import type { Duplex } from "node:stream";
import type { WebSocket } from "ws";
import { CloseSignal } from "../rpc/close-signal.js";
import type { FlowWaterMarks, MessageTransport } from "../rpc/message-transport.js";
import { jsonPartsBytes } from "../rpc/json-parts-bytes.js";
import { WaterMarkFlow } from "../rpc/water-mark-flow.js";
import { textFrameHeader } from "./websocket-text-frame.js";

/** Options of {@link websocketTransport}. */
export interface WebsocketTransportOptions {
  /** Outbound flow-control marks over bytes passed to `socket.send` and not yet written to the OS. Default 8 MiB high, 2 MiB low. */
  readonly flow?: FlowWaterMarks;
  /**
   * The byte stream under `socket`: the socket the HTTP server handed to the upgrade, to which `ws`
   * writes its frames. Given, and no extension negotiated (no permessage-deflate: every `ws` send is
   * then written to this stream synchronously, in call order), the transport writes text frames to
   * the stream itself while the stream has no unfinished write: `sendAsciiParts` from its strings
   * (no intermediate message buffer), `send` for ASCII messages (header and text in one write).
   * Absent: everything goes through `ws` (`sendAsciiParts` as bytes made from the parts).
   */
  readonly stream?: Duplex;
}

/** ASCII only (U+0000–U+007F): one latin1 byte per character is then the UTF-8 encoding. */
const NOT_ASCII = /[^\x00-\x7f]/;

/**
 * Longest message `send` frames itself: header + text must fit the 16 KiB Node writes from the
 * stack; a longer one would also be copied once more (V8 flattens the concatenation), so it goes
 * through `ws`, which writes header and text as two pieces.
 */
const DIRECT_SEND_MAX_CHARS = 16 * 1024 - 10;

/**
 * Adapts one `ws` socket to a {@link MessageTransport}: each websocket message is one JSON text.
 * Text and binary (UTF-8 JSON) frames are accepted; outbound messages are always text frames, also
 * those given as bytes to `sendBytes` (sent without re-encoding) or as parts to `sendAsciiParts`;
 * with `options.stream` most frames are written by the transport itself (see there), byte for byte
 * what `ws` would write. `flow` counts the UTF-8 bytes of
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
  // Frames may only bypass `ws` while it writes every frame as it is sent (no compression queue).
  const direct = options.stream !== undefined && socket.extensions === "" ? options.stream : undefined;
  const sendBytes = (utf8: Uint8Array): void => {
    if (closing.closed || socket.readyState !== socket.OPEN) return;
    const bytes = utf8.byteLength;
    pending += bytes;
    flow.update(pending);
    // A text frame from bytes: `ws` sends them as they are (no UTF-8 encode of a large string).
    socket.send(utf8, { binary: false }, () => written(bytes));
  };
  return {
    flow,
    send(message) {
      if (closing.closed || socket.readyState !== socket.OPEN) return;
      if (direct !== undefined && message.length <= DIRECT_SEND_MAX_CHARS && direct.writableLength === 0 && !NOT_ASCII.test(message)) {
        // A short ASCII message to an idle socket (most answers): header and text in one latin1
        // write, which Node hands to the kernel from a stack buffer, instead of ws's corked
        // header + string pair going through the stream's writev path.
        const bytes = message.length;
        pending += bytes;
        flow.update(pending);
        direct.write(textFrameHeader(bytes) + message, "latin1", () => written(bytes));
        return;
      }
      const bytes = Buffer.byteLength(message, "utf8");
      pending += bytes;
      flow.update(pending);
      socket.send(message, () => written(bytes));
    },
    sendBytes,
    sendAsciiParts(head, ascii, tail) {
      if (closing.closed || socket.readyState !== socket.OPEN) return;
      if (direct === undefined || NOT_ASCII.test(head) || NOT_ASCII.test(tail)) {
        sendBytes(jsonPartsBytes(head, ascii, tail));
        return;
      }
      const bytes = head.length + ascii.length + tail.length;
      pending += bytes;
      flow.update(pending);
      const done = () => written(bytes);
      const prefix = textFrameHeader(bytes) + head;
      if (direct.writableLength === 0) {
        // An idle socket takes the strings at once: Node copies them into one write request and
        // hands the kernel one writev. `ascii` stays a separate piece: a string concatenated with it
        // would be flattened first (a second copy of the largest part, on the V8 heap).
        direct.cork();
        direct.write(prefix, "latin1");
        direct.write(ascii, "latin1");
        direct.write(tail, "latin1", done);
        direct.uncork();
        return;
      }
      // Behind an unfinished write the strings would wait in the stream's queue on the V8 heap, where
      // every young-generation collection copies them again: hand that frame over as one buffer.
      const frame = Buffer.allocUnsafe(prefix.length + ascii.length + tail.length);
      frame.write(prefix, 0, "latin1");
      frame.write(ascii, prefix.length, "latin1");
      frame.write(tail, prefix.length + ascii.length, "latin1");
      direct.write(frame, done);
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
