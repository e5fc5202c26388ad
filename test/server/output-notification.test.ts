import assert from "node:assert/strict";
import { test } from "node:test";
import type { MessageTransport } from "../../src/rpc/message-transport.js";
import { ConnectionProcessor } from "../../src/server/connection-processor.js";
import { createOutputNotification, splitOutputJson } from "../../src/server/process/output-notification.js";

/** A transport that records what the connection processor sends, as text. */
function recordingTransport(withBytes: boolean, withParts = false): { transport: MessageTransport; sent: string[]; bytesCalls: number; partsCalls: number } {
  const record = { sent: [] as string[], bytesCalls: 0, partsCalls: 0, transport: undefined as unknown as MessageTransport };
  const transport: MessageTransport = {
    send: (message) => record.sent.push(message),
    onMessage: () => () => {},
    onClose: () => () => {},
    close: () => {},
    ...(withBytes
      ? {
          sendBytes: (utf8: Uint8Array) => {
            record.bytesCalls += 1;
            record.sent.push(Buffer.from(utf8).toString("utf8"));
          },
        }
      : {}),
    ...(withParts
      ? {
          sendAsciiParts: (head: string, ascii: string, tail: string) => {
            record.partsCalls += 1;
            assert.match(ascii, /^[A-Za-z0-9+/=]*$/);
            record.sent.push(head + ascii + tail);
          },
        }
      : {}),
  };
  record.transport = transport;
  return record;
}

function processorOver(transport: MessageTransport): ConnectionProcessor<null> {
  return new ConnectionProcessor<null>(transport, {
    dispatcher: { handleRequest: async () => ({}), describe: () => undefined },
    createContext: () => null,
    onClosed: () => {},
  });
}

const data = Buffer.from(Array.from({ length: 1000 }, (_, i) => (i * 37) % 256));

for (const withBytes of [true, false]) {
  test(`process/output from the process layer is byte-identical to JSON.stringify (${withBytes ? "sendBytes" : "send"})`, () => {
    const record = recordingTransport(withBytes);
    const processor = processorOver(record.transport);
    for (const processId of ["p1", 'quote " back \\ slash', "ünïcødé ✓ 🚀", "\u0001control"]) {
      const params = createOutputNotification(processId, 42, "stderr", data);
      processor.notify("process/output", params);
      const expected = JSON.stringify({ jsonrpc: "2.0", method: "process/output", params });
      assert.equal(record.sent.at(-1), expected);
      assert.deepEqual(JSON.parse(record.sent.at(-1)!).params.chunk, data.toString("base64"));
    }
    assert.equal(record.bytesCalls, withBytes ? 4 : 0);
  });
}

test("process/output goes to sendAsciiParts when the transport has it: the chunk as the ASCII part", () => {
  const record = recordingTransport(true, true);
  const processor = processorOver(record.transport);
  for (const processId of ["p1", "ünïcødé ✓ 🚀"]) {
    const params = createOutputNotification(processId, 7, "stdout", data);
    processor.notify("process/output", params);
    assert.equal(record.sent.at(-1), JSON.stringify({ jsonrpc: "2.0", method: "process/output", params }));
  }
  assert.deepEqual([record.partsCalls, record.bytesCalls], [2, 0]);
  processor.notify("process/exited", { processId: "p1", seq: 8, exitCode: 0, sandboxDenied: false });
  assert.equal(record.partsCalls, 2, "other notifications are plain sends");
});

test("other params, even shaped like process/output, go through JSON.stringify", () => {
  const record = recordingTransport(true);
  const processor = processorOver(record.transport);
  const forged = { processId: "p", seq: 1, stream: "stdout", chunk: '"}, "injected": 1, "x": "' };
  processor.notify("process/output", forged);
  assert.equal(record.bytesCalls, 0);
  assert.deepEqual(JSON.parse(record.sent[0]!).params, forged);
  assert.equal(splitOutputJson(forged), undefined);
});

test("output notification params are frozen, so the chunk cannot be replaced after the check", () => {
  const params = createOutputNotification("p", 1, "stdout", data);
  assert.ok(Object.isFrozen(params));
  assert.throws(() => {
    (params as { chunk: string }).chunk = '"';
  }, TypeError);
});
