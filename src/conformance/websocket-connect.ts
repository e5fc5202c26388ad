import { WebSocket } from "ws";
import type { MessageTransport } from "../rpc/message-transport.js";
import { websocketTransport } from "../server/websocket-transport.js";

/** Options of {@link connectWebSocket}. */
export interface ConnectWebSocketOptions {
  /** Sent as `Authorization: Bearer <token>` on the upgrade (servers listening off loopback require one). */
  bearerToken?: string;
  /** Give up opening after this many milliseconds (default 10 000). */
  openTimeoutMs?: number;
}

/** Default time allowed for the websocket handshake, in milliseconds. */
export const DEFAULT_OPEN_TIMEOUT_MS = 10_000;

/**
 * Opens a plain JSON-framed websocket to an exec-server (`ws://` or `wss://`) as a
 * {@link MessageTransport}. Relay (`role=harness`) URLs need the relay-capable connector instead.
 */
export function connectWebSocket(url: string, options: ConnectWebSocketOptions = {}): Promise<MessageTransport> {
  const headers: Record<string, string> = options.bearerToken === undefined ? {} : { authorization: `Bearer ${options.bearerToken}` };
  const socket = new WebSocket(url, { headers, handshakeTimeout: options.openTimeoutMs ?? DEFAULT_OPEN_TIMEOUT_MS });
  return new Promise<MessageTransport>((resolve, reject) => {
    socket.once("open", () => {
      socket.off("error", reject);
      resolve(websocketTransport(socket));
    });
    socket.once("error", reject);
    socket.once("unexpected-response", (_request, response) => {
      socket.off("error", reject);
      reject(new Error(`${url} refused the websocket upgrade with HTTP ${response.statusCode ?? "?"}`));
      socket.terminate();
    });
  });
}
