import assert from "node:assert/strict";
import { createServer, type IncomingMessage } from "node:http";
import { connect, type AddressInfo, type Socket } from "node:net";
import type { Duplex } from "node:stream";
import { after, test } from "node:test";
import { WebSocket, WebSocketServer } from "ws";
import type { MessageTransport } from "../../src/rpc/message-transport.js";
import { startWebsocketListener, type WebsocketListener } from "../../src/server/websocket-listener.js";
import { websocketTransport } from "../../src/server/websocket-transport.js";
import { waitUntil } from "../helpers/wait.js";

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

interface Accepted {
  readonly socket: WebSocket;
  readonly stream: Duplex;
}

/** Our listener (pings off) handing out each accepted websocket with the stream under it. */
async function listener(): Promise<{ listener: WebsocketListener; next(): Promise<Accepted> }> {
  const waiting: ((accepted: Accepted) => void)[] = [];
  const ready: Accepted[] = [];
  const running = await startWebsocketListener({
    host: "127.0.0.1",
    port: 0,
    pingIntervalMs: 0,
    onConnection: (socket, _request, stream) => {
      const accepted = { socket, stream };
      const waiter = waiting.shift();
      if (waiter) waiter(accepted);
      else ready.push(accepted);
    },
  });
  cleanups.push(() => running.close());
  return {
    listener: running,
    next: () => {
      const accepted = ready.shift();
      return accepted ? Promise.resolve(accepted) : new Promise((resolve) => waiting.push(resolve));
    },
  };
}

/** A websocket client on a bare TCP socket: everything the server writes after its 101 answer is kept as bytes. */
async function rawClient(port: number): Promise<{ socket: Socket; bytes(): Buffer }> {
  const socket = connect(port, "127.0.0.1");
  cleanups.push(() => void socket.destroy());
  const chunks: Buffer[] = [];
  let headerDone = false;
  await new Promise<void>((resolve, reject) => {
    socket.once("error", reject);
    socket.on("data", (data: Buffer) => {
      if (headerDone) {
        chunks.push(data);
        return;
      }
      chunks.push(data);
      const all = Buffer.concat(chunks);
      const end = all.indexOf("\r\n\r\n");
      if (end < 0) return;
      assert.match(all.subarray(0, end).toString("latin1"), /^HTTP\/1\.1 101 /);
      chunks.length = 0;
      if (end + 4 < all.length) chunks.push(all.subarray(end + 4));
      headerDone = true;
      resolve();
    });
    socket.write(
      "GET / HTTP/1.1\r\nHost: 127.0.0.1\r\nUpgrade: websocket\r\nConnection: Upgrade\r\n" +
        "Sec-WebSocket-Key: dGhlIHNhbXBsZSBub25jZQ==\r\nSec-WebSocket-Version: 13\r\n\r\n",
    );
  });
  return { socket, bytes: () => Buffer.concat(chunks) };
}

/** Unmasked frames in `bytes` (server → client), as far as complete. */
function frames(bytes: Buffer): { head: number; payload: Buffer }[] {
  const out: { head: number; payload: Buffer }[] = [];
  let at = 0;
  while (at + 2 <= bytes.length) {
    const head = bytes[at]!;
    let length = bytes[at + 1]! & 0x7f;
    let start = at + 2;
    if (length === 126) {
      if (start + 2 > bytes.length) break;
      length = bytes.readUInt16BE(start);
      start += 2;
    } else if (length === 127) {
      if (start + 8 > bytes.length) break;
      length = Number(bytes.readBigUInt64BE(start));
      start += 8;
    }
    if (start + length > bytes.length) break;
    out.push({ head, payload: bytes.subarray(start, start + length) });
    at = start + length;
  }
  return out;
}

const base64Of = (size: number) => Buffer.from(Array.from({ length: size }, (_, i) => (i * 131 + 7) % 256)).toString("base64");

/** What the tests send: messages of every frame length class, ping frames and plain `send`s in between. */
function sendMix(transport: MessageTransport, socket: WebSocket, processId: string): string[] {
  const texts: string[] = [];
  for (const [index, size] of [10, 60, 1_000, 40_000, 65_536, 300_000].entries()) {
    const head = `{"jsonrpc":"2.0","method":"process/output","params":{"processId":${JSON.stringify(processId)},"seq":${index + 1},"stream":"stdout","chunk":"`;
    const ascii = base64Of(size);
    transport.sendAsciiParts!(head, ascii, '"}}');
    texts.push(head + ascii + '"}}');
    if (index === 2) socket.ping(Buffer.from("p"));
    // Answers and other notifications: ASCII ones are framed by the transport, others by ws.
    const plain = JSON.stringify({ jsonrpc: "2.0", method: "note", params: { index, text: index % 2 === 0 ? "plain" : "ünïcødé ✓ 🚀" } });
    transport.send(plain);
    texts.push(plain);
  }
  // A long answer (over the 16 KiB the transport frames itself) goes through ws.
  const long = JSON.stringify({ jsonrpc: "2.0", id: 1, result: { text: "x".repeat(40_000) } });
  transport.send(long);
  texts.push(long);
  return texts;
}

test("writes sendAsciiParts and ASCII send frames itself, byte for byte what ws sends, in order with ws's own frames", async () => {
  const { listener: running, next } = await listener();
  const results: Buffer[] = [];
  for (const direct of [true, false]) {
    const client = await rawClient(running.port);
    const { socket, stream } = await next();
    const transport = websocketTransport(socket, direct ? { stream } : {});
    const texts = sendMix(transport, socket, "p-1");
    await waitUntil(() => frames(client.bytes()).length === texts.length + 1, 10_000, "every frame");
    const got = frames(client.bytes());
    assert.deepEqual(
      got.filter((frame) => frame.head === 0x81).map((frame) => frame.payload.toString("utf8")),
      texts,
    );
    assert.equal(got[5]?.head, 0x89, "the ping comes where it was sent");
    assert.equal(transport.flow!.bufferedBytes(), 0);
    results.push(client.bytes());
  }
  assert.ok(results[0]!.equals(results[1]!), "the hand-built frames equal ws's");
});

test("a real ws client decodes the frames, also with a non-ASCII head (sent through ws)", async () => {
  const { listener: running, next } = await listener();
  const client = new WebSocket(running.url);
  cleanups.push(() => client.terminate());
  const received: string[] = [];
  client.on("message", (data: Buffer, isBinary) => {
    assert.equal(isBinary, false);
    received.push(data.toString("utf8"));
  });
  const { socket, stream } = await next();
  const transport = websocketTransport(socket, { stream });
  const texts = sendMix(transport, socket, "ünïcødé ✓ 🚀");
  texts.push(...sendMix(transport, socket, "plain"));
  await waitUntil(() => received.length === texts.length, 10_000, "every message");
  assert.deepEqual(received, texts);
});

test("frames stay whole and ordered while the peer does not read (writes queue behind the socket)", async () => {
  const { listener: running, next } = await listener();
  const client = await rawClient(running.port);
  client.socket.pause();
  const { socket, stream } = await next();
  const transport = websocketTransport(socket, { stream, flow: { highWaterBytes: 1 << 30, lowWaterBytes: 1 << 29 } });
  const texts: string[] = [];
  let queuedBehindWrite = 0;
  for (let index = 0; index < 24; index += 1) {
    if (stream.writableLength > 0) queuedBehindWrite += 1;
    const head = `{"seq":${index},"chunk":"`;
    const ascii = base64Of(200_000 + index);
    transport.sendAsciiParts!(head, ascii, '"}');
    texts.push(`${head}${ascii}"}`);
  }
  assert.ok(queuedBehindWrite > 0, "some frames were sent while an earlier write was unfinished");
  assert.ok(transport.flow!.bufferedBytes() > 0);
  client.socket.resume();
  await waitUntil(() => frames(client.bytes()).length === texts.length, 20_000, "every frame");
  assert.deepEqual(frames(client.bytes()).map((frame) => frame.payload.toString("utf8")), texts);
  await waitUntil(() => transport.flow!.bufferedBytes() === 0, 10_000, "flow accounting back to 0");
});

test("with permessage-deflate negotiated, sendAsciiParts goes through ws and keeps the order of compressed messages", async () => {
  const wss = new WebSocketServer({ noServer: true, perMessageDeflate: { threshold: 0 } });
  const server = createServer();
  const accepted: Accepted[] = [];
  server.on("upgrade", (request: IncomingMessage, stream: Duplex, head: Buffer) => {
    wss.handleUpgrade(request, stream, head, (socket) => accepted.push({ socket, stream }));
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
  const client = new WebSocket(`ws://127.0.0.1:${(server.address() as AddressInfo).port}`, { perMessageDeflate: true });
  cleanups.push(() => client.terminate());
  const received: string[] = [];
  client.on("message", (data: Buffer) => received.push(data.toString("utf8")));
  await waitUntil(() => accepted.length === 1 && client.readyState === client.OPEN, 10_000, "the connection");
  const { socket, stream } = accepted[0]!;
  assert.equal(socket.extensions, "permessage-deflate");
  const transport = websocketTransport(socket, { stream });
  const texts = sendMix(transport, socket, "deflated");
  await waitUntil(() => received.length === texts.length, 10_000, "every message");
  assert.deepEqual(received, texts);
});
