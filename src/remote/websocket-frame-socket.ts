import type { ClientOptions } from "ws";
import { WebSocket } from "../util/ws-classes.js";
import type { FrameSocket } from "../relay/relay-mux.js";
import { DEFAULT_PING_INTERVAL_MS, keepAlive } from "../util/websocket-keepalive.js";

/** Options for dialling a relay websocket. */
export interface DialOptions {
  /** Extra CA certificates (PEM) to trust for `wss://`, e.g. a self-signed rendezvous. Default: system roots + NODE_EXTRA_CA_CERTS. */
  ca?: string | Buffer | undefined;
  /** Handshake timeout in ms. Default 10 000. */
  handshakeTimeoutMs?: number;
  /** Largest inbound message in bytes. Default 80 MiB. */
  maxMessageBytes?: number;
  /** Ping interval in ms; a rendezvous that misses a pong is treated as gone (reconnect). 0 disables. Default 30 000. */
  pingIntervalMs?: number;
}

/** An open relay websocket as a {@link FrameSocket}, plus a way to close it. */
export interface DialedFrameSocket extends FrameSocket {
  close(reason?: string): void;
  /** Resolves when the socket has closed, with the reason. */
  readonly closed: Promise<string>;
}

/** Dials `url` and resolves once the websocket is open. Text frames from the peer are ignored (relay frames are binary). */
export async function dialFrameSocket(url: string, options: DialOptions = {}): Promise<DialedFrameSocket> {
  const clientOptions: ClientOptions = {
    handshakeTimeout: options.handshakeTimeoutMs ?? 10_000,
    maxPayload: options.maxMessageBytes ?? 80 * 1024 * 1024,
    perMessageDeflate: false,
    ...(options.ca === undefined ? {} : { ca: options.ca }),
  };
  const started = performance.now();
  const socket = new WebSocket(url, clientOptions);
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", (error) => reject(error));
    socket.once("unexpected-response", (_request, response) => {
      reject(new Error(`websocket upgrade refused with HTTP ${response.statusCode}`));
      response.resume();
      socket.terminate();
    });
  });
  keepAlive(socket, options.pingIntervalMs ?? DEFAULT_PING_INTERVAL_MS);
  // Opening took the TCP handshake and the HTTP upgrade (two round trips or more, with TLS): half of
  // it seeds the relay's RTT estimate (`FrameSocket.openRttMs`) until streams measure their own.
  return { ...frameSocketOf(socket), openRttMs: (performance.now() - started) / 2 };
}

/** Wraps an open `ws` socket. */
export function frameSocketOf(socket: WebSocket): DialedFrameSocket {
  let resolveClosed: (reason: string) => void = () => {};
  const closed = new Promise<string>((resolve) => (resolveClosed = resolve));
  socket.on("close", (code, reason) => resolveClosed(reason.toString() || `websocket closed (${code})`));
  socket.on("error", (error) => {
    // An error always precedes close; the close handler reports it, the socket is just terminated.
    resolveClosed(`websocket error: ${error.message}`);
    socket.terminate();
  });
  return {
    send(bytes) {
      if (socket.readyState === WebSocket.OPEN) socket.send(bytes, { binary: true });
    },
    onFrame(listener) {
      const handler = (data: Buffer | ArrayBuffer | Buffer[], isBinary: boolean) => {
        if (!isBinary) return;
        listener(Array.isArray(data) ? Buffer.concat(data) : data instanceof ArrayBuffer ? new Uint8Array(data) : data);
      };
      socket.on("message", handler);
      return () => socket.off("message", handler);
    },
    onClose(listener) {
      let active = true;
      void closed.then((reason) => {
        if (active) listener(reason);
      });
      return () => {
        active = false;
      };
    },
    close(reason) {
      if (socket.readyState === WebSocket.OPEN || socket.readyState === WebSocket.CONNECTING) socket.close(1000, reason?.slice(0, 120));
    },
    closed,
  };
}
