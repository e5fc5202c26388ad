import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import { after, test } from "node:test";
import type { MessageTransport } from "../../src/rpc/message-transport.js";
import { type FrameSocket, RelayMux } from "../../src/relay/relay-mux.js";
import type { RelayStream } from "../../src/relay/relay-stream.js";
import { ExecServer } from "../../src/server/exec-server.js";
import { waitUntil } from "../helpers/wait.js";
import { message, RelayWorld } from "./relay-world.js";

const MIB = 1024 * 1024;

test("a stream congests above its high-water mark while unacked and drains once acks bring it below the low-water mark", () => {
  const world = new RelayWorld({ flowHighWaterBytes: 4 * MIB, flowLowWaterBytes: 1 * MIB });
  const record = world.open("s");
  world.heal();
  const executor = record.executor;
  assert.ok(executor);
  let drains = 0;
  executor.flow.onDrain(() => drains++);
  for (let i = 0; i < 5; i++) world.sendDown(record, message(`m${i}`, MIB));
  assert.equal(executor.flow.congested(), true);
  assert.ok(executor.flow.bufferedBytes() > 4 * MIB);
  assert.equal(drains, 0);
  world.heal();
  assert.equal(executor.flow.congested(), false);
  assert.equal(executor.flow.bufferedBytes(), 0);
  assert.equal(drains, 1);
  assert.equal(record.gotDown.length, 5);
  assert.deepEqual(record.closed, []);
});

test("sendBytes delivers the same message as send, segmented and counted for flow control the same way", () => {
  const world = new RelayWorld({ flowHighWaterBytes: 4 * MIB, flowLowWaterBytes: 1 * MIB });
  const record = world.open("b");
  world.heal();
  const executor = record.executor;
  assert.ok(executor);
  const text = `{"method":"process/output","params":{"chunk":"${"QUJD".repeat(MIB / 2)}","note":"ü"}}`;
  const bytes = Buffer.from(text, "utf8");
  executor.sendBytes(bytes);
  assert.equal(executor.flow.bufferedBytes(), bytes.length);
  world.heal();
  assert.deepEqual(record.gotDown, [text]);
  assert.equal(executor.flow.bufferedBytes(), 0);
  assert.deepEqual(record.closed, []);
});

/** Two frame sockets joined in memory; frames cross on the next macrotask, and the executor's inbound side can be held. */
class HoldableLink {
  readonly harness: FrameSocket;
  readonly executor: FrameSocket;
  #holding = false;
  readonly #held: Uint8Array[] = [];
  #toHarness: ((bytes: Uint8Array) => void) | undefined;
  #toExecutor: ((bytes: Uint8Array) => void) | undefined;

  constructor() {
    const socket = (deliver: (bytes: Uint8Array) => void, setListener: (l: (bytes: Uint8Array) => void) => void): FrameSocket => ({
      send: (bytes) => setImmediate(() => deliver(bytes)),
      onFrame: (listener) => {
        setListener(listener);
        return () => {};
      },
      onClose: () => () => {},
    });
    this.harness = socket(
      (bytes) => (this.#holding ? this.#held.push(bytes) : this.#toExecutor?.(bytes)),
      (l) => (this.#toHarness = l),
    );
    this.executor = socket(
      (bytes) => this.#toHarness?.(bytes),
      (l) => (this.#toExecutor = l),
    );
  }

  /** The harness's frames (its acks included) stop reaching the executor. */
  hold(): void {
    this.#holding = true;
  }

  release(): void {
    this.#holding = false;
    for (const bytes of this.#held.splice(0)) this.#toExecutor?.(bytes);
  }
}

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** JSON-RPC over a harness stream, hashing process output as it arrives. */
function rpcOver(transport: MessageTransport) {
  const pending = new Map<number, (result: Record<string, unknown>) => void>();
  const seen = { bytes: 0, hash: createHash("sha256"), events: [] as string[] };
  let nextId = 1;
  transport.onMessage((text) => {
    const m = JSON.parse(text) as { id?: number; method?: string; result?: Record<string, unknown>; params?: { chunk?: string } };
    if (m.id !== undefined) pending.get(m.id)?.(m.result ?? {});
    else if (m.method === "process/output") {
      const chunk = Buffer.from(m.params?.chunk ?? "", "base64");
      seen.bytes += chunk.length;
      seen.hash.update(chunk);
    } else if (m.method !== undefined) seen.events.push(m.method);
  });
  const call = (method: string, params: unknown) =>
    new Promise<Record<string, unknown>>((resolve) => {
      const id = nextId++;
      pending.set(id, resolve);
      transport.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    });
  return { call, seen, notify: (method: string) => transport.send(JSON.stringify({ jsonrpc: "2.0", method, params: {} })) };
}

test("a child writing more than maxQueuedBytes to a peer that stops acknowledging is paused, not reset, and everything arrives later", async (t) => {
  const childBytes = 48 * MIB;
  const endpoint = { maxQueuedBytes: 32 * MIB };
  const server = new ExecServer({ processes: { terminateGraceMs: 500 } });
  cleanups.push(() => server.shutdown());
  const executorMux = new RelayMux({ role: "executor", endpoint });
  const harnessMux = new RelayMux({ role: "harness", endpoint });
  cleanups.push(() => {
    harnessMux.close();
    executorMux.close();
  });
  let executorStream: RelayStream | undefined;
  executorMux.onStream((stream) => {
    executorStream = stream;
    server.serve(stream);
  });
  const link = new HoldableLink();
  executorMux.attachSocket(link.executor);
  harnessMux.attachSocket(link.harness);
  const stream = harnessMux.openStream("flood");
  const client = rpcOver(stream);

  const { sessionId } = (await client.call("initialize", { clientName: "relay-flow" })) as { sessionId: string };
  client.notify("initialized");
  const processes = server.sessions.get(sessionId)?.resources.processes;
  assert.ok(processes && executorStream);
  await client.call("process/start", {
    processId: "flood",
    argv: ["sh", "-c", `sleep 0.2; exec head -c ${childBytes} /dev/zero`],
    cwd: "/tmp",
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin" },
    tty: false,
  });
  link.hold();
  await waitUntil(() => processes.pausedProcessIds.includes("flood"), 5_000, "the child to be paused");
  let peak = 0;
  const deadline = Date.now() + 1_000;
  while (Date.now() < deadline) {
    peak = Math.max(peak, executorStream.flow.bufferedBytes());
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  t.diagnostic(`peak unacked+queued on the executor stream while held: ${(peak / MIB).toFixed(1)} MiB`);
  assert.equal(executorStream.closedReason, undefined);
  assert.ok(processes.pausedProcessIds.includes("flood"), "still paused after a second without acks");
  assert.ok(peak < endpoint.maxQueuedBytes / 2, `buffered ${peak} bytes`);

  link.release();
  await waitUntil(() => client.seen.events.includes("process/closed"), 20_000, "process/closed over the relay");
  assert.equal(client.seen.bytes, childBytes);
  assert.equal(client.seen.hash.digest("hex"), createHash("sha256").update(Buffer.alloc(childBytes)).digest("hex"));
  assert.deepEqual(client.seen.events, ["process/exited", "process/closed"]);
  assert.equal(executorStream.closedReason, undefined);
});
