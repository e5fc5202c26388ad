import type { MessageTransport } from "../../../src/rpc/message-transport.js";
import type { TapDirection, TapFrame } from "./websocket-tap.js";

/**
 * Wraps `inner` (the transport a JSON-RPC server is given) so that every message it receives
 * (`client->server`) and sends (`server->client`, through `send` or `sendBytes`) is appended to `frames`
 * as a {@link TapFrame} of connection `connection`, before it is delivered or sent. Everything else (close,
 * flow control, message limit, pausing) is `inner`'s (`flow` and `maxMessageBytes` are read once, at wrap
 * time). Each `onMessage` listener records what it is given, so a message is recorded once per listener (a
 * JSON-RPC server registers one); no listener of its own is added, because a transport may hold early messages
 * for its first listener. The server-side counterpart of the websocket tap: it sees what the server sees, e.g.
 * a Noise stream after decryption.
 */
export function tapTransport(inner: MessageTransport, connection: number, frames: TapFrame[], startedAt = Date.now()): MessageTransport {
  const record = (direction: TapDirection, text: string): void => {
    let message: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      message = parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
    } catch {
      message = undefined; // not JSON: recorded as text only
    }
    frames.push({ connection, direction, atMs: Date.now() - startedAt, binary: false, text, message });
  };
  const tapped: MessageTransport = {
    send: (message) => {
      record("server->client", message);
      inner.send(message);
    },
    onMessage: (listener) =>
      inner.onMessage((message) => {
        record("client->server", message);
        listener(message);
      }),
    onClose: (listener) => inner.onClose(listener),
    close: (reason) => inner.close(reason),
    ...(inner.flow === undefined ? {} : { flow: inner.flow }),
    ...(inner.maxMessageBytes === undefined ? {} : { maxMessageBytes: inner.maxMessageBytes }),
  };
  const sendBytes = inner.sendBytes?.bind(inner);
  if (sendBytes) {
    tapped.sendBytes = (utf8) => {
      record("server->client", Buffer.from(utf8.buffer, utf8.byteOffset, utf8.byteLength).toString("utf8"));
      sendBytes(utf8);
    };
  }
  if (inner.pauseReceiving && inner.resumeReceiving) {
    tapped.pauseReceiving = () => inner.pauseReceiving!();
    tapped.resumeReceiving = () => inner.resumeReceiving!();
  }
  return tapped;
}
