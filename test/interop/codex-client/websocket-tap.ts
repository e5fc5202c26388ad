import type { AddressInfo } from "node:net";
import { WebSocket, WebSocketServer, type RawData } from "ws";

/** Which way a frame travelled through the tap. */
export type TapDirection = "client->server" | "server->client";

/** One websocket message seen by the tap. */
export interface TapFrame {
  /** 1-based number of the client connection the frame belongs to. */
  connection: number;
  direction: TapDirection;
  /** Milliseconds since the tap started. */
  atMs: number;
  binary: boolean;
  /** The frame text. */
  text: string;
  /** The parsed JSON-RPC message, or `undefined` when the text is not a JSON object. */
  message: Record<string, unknown> | undefined;
}

/** A running tap. */
export interface WebsocketTap {
  /** Where the client connects: `ws://127.0.0.1:PORT`. */
  url: string;
  /** Every frame both ways, in arrival order. */
  readonly frames: readonly TapFrame[];
  /** Request headers of each client upgrade, by connection number - 1. */
  readonly upgrades: readonly Record<string, string | string[] | undefined>[];
  /** Closes the listener and every connection through it. */
  close(): Promise<void>;
}

/** Headers a client may send on the upgrade that the upstream server must see too. */
const FORWARDED_HEADERS = ["authorization", "x-request-id"];

/** A close code we may send ourselves (1005/1006/1015 are reserved for reporting). */
function sendableCloseCode(code: number): number | undefined {
  return code === 1000 || (code >= 1001 && code <= 1014 && code !== 1005 && code !== 1006) || (code >= 3000 && code <= 4999) ? code : undefined;
}

/**
 * A transparent websocket proxy on 127.0.0.1:0 in front of `targetUrl`: each client connection opens its own
 * upstream connection (same path and query, `Authorization`/`X-Request-ID` forwarded), messages are relayed
 * both ways unchanged (text stays text, binary stays binary; client messages are queued until upstream opens),
 * and every message is recorded, so a test can prove what crossed the wire. A close on either side closes the
 * other (an abnormal close becomes a plain close or a terminate).
 */
export async function startWebsocketTap(targetUrl: string): Promise<WebsocketTap> {
  const frames: TapFrame[] = [];
  const upgrades: Record<string, string | string[] | undefined>[] = [];
  const sockets = new Set<WebSocket>();
  const started = Date.now();
  const server = new WebSocketServer({ host: "127.0.0.1", port: 0 });
  await new Promise<void>((resolve, reject) => {
    server.once("listening", () => resolve());
    server.once("error", reject);
  });

  const record = (connection: number, direction: TapDirection, data: RawData, binary: boolean): Buffer => {
    const bytes = Array.isArray(data) ? Buffer.concat(data) : Buffer.isBuffer(data) ? data : Buffer.from(data);
    const text = bytes.toString("utf8");
    let message: Record<string, unknown> | undefined;
    try {
      const parsed: unknown = JSON.parse(text);
      message = parsed !== null && typeof parsed === "object" && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : undefined;
    } catch {
      message = undefined; // not JSON: recorded as text only
    }
    frames.push({ connection, direction, atMs: Date.now() - started, binary, text, message });
    return bytes;
  };

  /** Mirrors a close seen on one side onto the other: the same code when it may be sent, else an abort (1006) or a bare close. */
  const closeOther = (other: WebSocket, code: number, reason: Buffer): void => {
    if (other.readyState === WebSocket.CLOSED || other.readyState === WebSocket.CLOSING) return;
    const sendable = sendableCloseCode(code);
    if (other.readyState === WebSocket.CONNECTING || code === 1006) other.terminate();
    else if (sendable === undefined) other.close();
    else other.close(sendable, reason);
  };

  server.on("connection", (client, request) => {
    const connection = upgrades.push(request.headers);
    const headers: Record<string, string> = {};
    for (const name of FORWARDED_HEADERS) {
      const value = request.headers[name];
      if (typeof value === "string") headers[name] = value;
    }
    const upstream = new WebSocket(new URL(request.url ?? "/", targetUrl).toString(), { headers, maxPayload: 256 * 1024 * 1024 });
    sockets.add(client);
    sockets.add(upstream);
    const queued: { bytes: Buffer; binary: boolean }[] = [];
    client.on("message", (data, binary) => {
      const bytes = record(connection, "client->server", data, binary);
      if (upstream.readyState === WebSocket.OPEN) upstream.send(bytes, { binary });
      else queued.push({ bytes, binary });
    });
    upstream.on("open", () => {
      for (const { bytes, binary } of queued.splice(0)) upstream.send(bytes, { binary });
    });
    upstream.on("message", (data, binary) => {
      const bytes = record(connection, "server->client", data, binary);
      if (client.readyState === WebSocket.OPEN) client.send(bytes, { binary });
    });
    client.on("close", (code, reason) => closeOther(upstream, code, reason));
    upstream.on("close", (code, reason) => closeOther(client, code, reason));
    // Errors end in a close event, which closes the other side; nothing more to do here.
    client.on("error", () => undefined);
    upstream.on("error", () => client.terminate());
  });

  return {
    url: `ws://127.0.0.1:${(server.address() as AddressInfo).port}`,
    frames,
    upgrades,
    close: async () => {
      for (const socket of sockets) socket.terminate();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}
