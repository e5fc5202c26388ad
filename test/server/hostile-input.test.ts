import { after, test } from "node:test";
import assert from "node:assert/strict";
import fc from "fast-check";
import { createInMemoryTransportPair } from "../../src/rpc/in-memory-transport.js";
import type { MessageTransport } from "../../src/rpc/message-transport.js";
import { ExecServer } from "../../src/server/exec-server.js";

let probes = 0;
const server = new ExecServer({ sessions: { detachTtlMs: 50 } });
after(() => server.shutdown());

/**
 * Methods the fuzzer may call. Deliberately excluded: anything that starts programs or writes files
 * (process/start, fs/writeFile|createDirectory|remove|copy) and environment/add (it would dial
 * whatever URL the fuzzer invents); their validation is covered by targeted tests.
 */
const METHODS = [
  "initialize", "initialized", "process/read", "process/write", "process/terminate", "fs/readFile",
  "fs/getMetadata", "fs/readDirectory", "environment/list", "environment/remove", "rpc.discover",
  "process/output", "nope", "", "fs/", "__proto__", "constructor",
];
const PATHS = ["/", "/tmp", "/nonexistent/x", "relative/path", "", "/etc/hostname", "/proc/self/status"];

const value = fc.oneof(
  fc.constantFrom(null, true, 0, -1, 1.5, "", "x", [], {}),
  fc.integer(),
  fc.string({ maxLength: 8 }),
  fc.constantFrom(...PATHS),
);
const params = fc.oneof(
  fc.constant(undefined),
  value,
  fc.record(
    {
      path: fc.constantFrom(...PATHS),
      processId: fc.constantFrom("p", "", "x".repeat(300)),
      clientName: fc.string({ maxLength: 5 }),
      resumeSessionId: fc.constantFrom("00000000-0000-4000-8000-000000000000", "", "nope"),
      capabilities: fc.oneof(value, fc.record({ experimentalApi: fc.boolean() })),
      afterSeq: value,
      waitMs: fc.constantFrom(0, 1, -5, 1e12, "10"),
      maxBytes: value,
      chunk: fc.constantFrom("aGk=", "***", ""),
      environmentId: fc.constantFrom("local", "", "ghost"),
      extra: value,
    },
    { requiredKeys: [] },
  ),
);
const id = fc.oneof(fc.integer({ min: -3, max: 1000 }), fc.string({ maxLength: 4 }), fc.constantFrom(null, 1.5, {}, []));
const message = fc.oneof(
  fc.string({ maxLength: 40 }),
  fc.json({ maxDepth: 3 }),
  fc.record({ id, method: fc.constantFrom(...METHODS), params }, { requiredKeys: ["method"] }),
  fc.record({ jsonrpc: fc.constantFrom("2.0", "1.0", 2), id, method: fc.constantFrom(...METHODS), params }, { requiredKeys: ["method"] }),
  fc.record({ id, result: value, error: value }, { requiredKeys: [] }),
);

/** Collects every message the server sends on one connection. */
function connect(): { client: MessageTransport; received: unknown[] } {
  const [client, serverSide] = createInMemoryTransportPair();
  server.serve(serverSide);
  const received: unknown[] = [];
  client.onMessage((text) => received.push(JSON.parse(text)));
  return { client, received };
}

async function answerOf(received: unknown[], wanted: string, timeoutMs = 5000): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const found = received.find((m) => (m as { id?: unknown }).id === wanted);
    if (found) return found as Record<string, unknown>;
    if (Date.now() > deadline) throw new Error(`no answer to ${wanted}`);
    await new Promise((resolve) => setTimeout(resolve, 5));
  }
}

test("hostile input never crashes the server, every answer is well-formed, and the connection and other sessions keep working", async () => {
  const bystander = connect();
  bystander.client.send(JSON.stringify({ id: "init", method: "initialize", params: { clientName: "bystander" } }));
  await answerOf(bystander.received, "init");
  bystander.client.send(JSON.stringify({ method: "initialized" }));

  await fc.assert(
    fc.asyncProperty(fc.array(message, { maxLength: 25 }), async (messages) => {
      const { client, received } = connect();
      for (const m of messages) client.send(typeof m === "string" ? m : JSON.stringify(m) ?? "null");
      client.send(JSON.stringify({ id: "probe", method: "rpc.discover" }));
      const probe = await answerOf(received, "probe");
      assert.equal(typeof (probe["result"] as { openrpc?: unknown }).openrpc, "string", "the connection still answers");
      for (const out of received) {
        const m = out as { jsonrpc?: unknown; id?: unknown; result?: unknown; error?: { code?: unknown; message?: unknown }; method?: unknown };
        assert.equal(m.jsonrpc, "2.0");
        if (m.method !== undefined) continue; // a server notification
        assert.ok(typeof m.id === "number" || typeof m.id === "string", `answers carry an id: ${JSON.stringify(m)}`);
        assert.ok((m.result === undefined) !== (m.error === undefined), "exactly one of result and error");
        if (m.error) {
          assert.ok(Number.isInteger(m.error.code), "integer error code");
          assert.equal(typeof m.error.message, "string");
          assert.notEqual(m.error.message, "", "error messages are never empty");
        }
      }
      client.close();
      // Another session is unaffected.
      const probeId = `bystander-${++probes}`;
      bystander.client.send(JSON.stringify({ id: probeId, method: "fs/getMetadata", params: { path: "/" } }));
      const answer = await answerOf(bystander.received, probeId);
      assert.equal((answer["result"] as { isDirectory?: boolean }).isDirectory, true);
    }),
    { numRuns: 80 },
  );
});
