import assert from "node:assert/strict";
import { test } from "node:test";
import { withBase64Member } from "../../src/rpc/base64-member-json.js";
import type { MessageTransport } from "../../src/rpc/message-transport.js";
import { ConnectionProcessor } from "../../src/server/connection-processor.js";
import { waitUntil } from "../helpers/wait.js";

interface Recorded {
  transport: MessageTransport;
  /** Everything sent, as text. */
  sent: string[];
  bytesCalls: number;
  receive(text: string): void;
}

function recordingTransport(options: { withBytes: boolean; maxMessageBytes?: number }): Recorded {
  let listener: (text: string) => void = () => {};
  const record: Recorded = {
    sent: [],
    bytesCalls: 0,
    transport: undefined as unknown as MessageTransport,
    receive: (text) => listener(text),
  };
  record.transport = {
    send: (message) => record.sent.push(message),
    onMessage: (l) => {
      listener = l;
      return () => {};
    },
    onClose: () => () => {},
    close: () => {},
    ...(options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes }),
    ...(options.withBytes
      ? {
          sendBytes: (utf8: Uint8Array) => {
            record.bytesCalls += 1;
            record.sent.push(Buffer.from(utf8).toString("utf8"));
          },
        }
      : {}),
  };
  return record;
}

/** A connection whose every request is answered with `result` (the dispatcher's response shape). */
function answering(record: Recorded, result: unknown): void {
  new ConnectionProcessor<null>(record.transport, {
    dispatcher: { handleRequest: async (id) => ({ jsonrpc: "2.0", id, result }), describe: () => undefined },
    createContext: () => null,
    onClosed: () => {},
  });
}

const bytes = Buffer.from(Array.from({ length: 3000 }, (_, i) => (i * 31) % 256));

for (const withBytes of [true, false]) {
  test(`a base64 result (fs/readFile, fs/readBlock) is answered with the same JSON value as JSON.stringify gives (${withBytes ? "sendBytes" : "send"})`, async () => {
    const record = recordingTransport({ withBytes });
    const result = withBase64Member("chunk", bytes, { eof: true });
    answering(record, result);
    record.receive(JSON.stringify({ jsonrpc: "2.0", id: 7, method: "fs/readBlock", params: {} }));
    await waitUntil(() => record.sent.length === 1, 10_000, "the response");
    assert.deepEqual(JSON.parse(record.sent[0]!), { jsonrpc: "2.0", id: 7, result: { chunk: bytes.toString("base64"), eof: true } });
    assert.equal(record.bytesCalls, withBytes ? 1 : 0, "bytes only when the transport takes them");
  });
}

test("an ordinary result goes through JSON.stringify and send", async () => {
  const record = recordingTransport({ withBytes: true });
  answering(record, { dataBase64: bytes.toString("base64") });
  record.receive(JSON.stringify({ jsonrpc: "2.0", id: "a", method: "fs/readFile", params: {} }));
  await waitUntil(() => record.sent.length === 1, 10_000, "the response");
  assert.equal(record.bytesCalls, 0);
  assert.equal(record.sent[0], JSON.stringify({ jsonrpc: "2.0", id: "a", result: { dataBase64: bytes.toString("base64") } }));
});

test("a base64 result over the transport's message limit fails that request with its size, and the next one works", async () => {
  const record = recordingTransport({ withBytes: true, maxMessageBytes: 1000 });
  let result: unknown = withBase64Member("dataBase64", bytes);
  new ConnectionProcessor<null>(record.transport, {
    dispatcher: { handleRequest: async (id) => ({ jsonrpc: "2.0", id, result }), describe: () => undefined },
    createContext: () => null,
    onClosed: () => {},
  });
  record.receive(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "fs/readFile", params: {} }));
  await waitUntil(() => record.sent.length === 1, 10_000, "the error");
  const expectedBytes = Buffer.byteLength(JSON.stringify({ jsonrpc: "2.0", id: 1, result: { dataBase64: bytes.toString("base64") } }));
  assert.deepEqual(JSON.parse(record.sent[0]!), {
    jsonrpc: "2.0",
    id: 1,
    error: { code: -32600, message: `fs/readFile result of ${expectedBytes} bytes exceeds this connection's message limit of 1000 bytes` },
  });
  result = withBase64Member("dataBase64", bytes.subarray(0, 10));
  record.receive(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "fs/readFile", params: {} }));
  await waitUntil(() => record.sent.length === 2, 10_000, "the second response");
  assert.deepEqual(JSON.parse(record.sent[1]!).result, { dataBase64: bytes.subarray(0, 10).toString("base64") });
  assert.equal(record.bytesCalls, 1);
});

test("a response the dispatcher answers as a value is sent before the message listener returns; a promised one after it settles", async () => {
  const record = recordingTransport({ withBytes: false });
  let pending: ((value: unknown) => void) | undefined;
  new ConnectionProcessor<null>(record.transport, {
    dispatcher: {
      handleRequest: (id, method) =>
        method === "later" ? new Promise((resolve) => (pending = () => resolve({ jsonrpc: "2.0", id, result: {} }))) : { jsonrpc: "2.0", id, result: { now: true } },
      describe: () => undefined,
    },
    createContext: () => null,
    onClosed: () => {},
  });
  record.receive(JSON.stringify({ jsonrpc: "2.0", id: 1, method: "later", params: {} }));
  record.receive(JSON.stringify({ jsonrpc: "2.0", id: 2, method: "now", params: {} }));
  assert.deepEqual(record.sent, [JSON.stringify({ jsonrpc: "2.0", id: 2, result: { now: true } })], "the value is sent at once, ahead of the pending one");
  pending!(undefined);
  await waitUntil(() => record.sent.length === 2, 10_000, "the promised response");
  assert.equal(record.sent[1], JSON.stringify({ jsonrpc: "2.0", id: 1, result: {} }));
});
