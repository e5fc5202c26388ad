import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { Socket } from "node:net";
import { after, test } from "node:test";
import { WebSocket } from "ws";
import { startExecServer } from "../../../src/server/start-exec-server.js";
import { HttpOrigin, patternSha256 } from "../../helpers/http-origin.js";
import { waitUntil } from "../../helpers/wait.js";

const TOTAL_BYTES = 128 * 1024 * 1024;
/** What may sit between the origin and the stalled client: flow high water (8 MiB), socket buffers, one delta. */
const IN_FLIGHT_BOUND_BYTES = 48 * 1024 * 1024;

const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A websocket client that hashes `http/request/bodyDelta` payloads as they arrive and keeps nothing else. */
class DeltaHashingClient {
  readonly hash = createHash("sha256");
  bytes = 0;
  lastSeq = 0;
  final: Record<string, unknown> | undefined;
  #nextId = 1;
  readonly #pending = new Map<number, (message: { result?: Record<string, unknown>; error?: unknown }) => void>();

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data: Buffer) => {
      const message = JSON.parse(data.toString("utf8")) as { id?: number; method?: string; params?: Record<string, unknown>; result?: Record<string, unknown> };
      if (message.id !== undefined) {
        this.#pending.get(message.id)?.(message);
        this.#pending.delete(message.id);
      } else if (message.method === "http/request/bodyDelta" && message.params) {
        assert.equal(message.params["seq"], this.lastSeq + 1, "deltas arrive in seq order without gaps");
        this.lastSeq = message.params["seq"] as number;
        const bytes = Buffer.from(String(message.params["deltaBase64"]), "base64");
        this.bytes += bytes.length;
        this.hash.update(bytes);
        if (message.params["done"] === true) this.final = message.params;
      }
    });
  }

  static async connect(url: string): Promise<DeltaHashingClient> {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    return new DeltaHashingClient(socket);
  }

  async call(method: string, params: unknown): Promise<Record<string, unknown>> {
    const id = this.#nextId++;
    const response = await new Promise<{ result?: Record<string, unknown>; error?: unknown }>((resolve) => {
      this.#pending.set(id, resolve);
      this.socket.send(JSON.stringify({ id, method, params }));
    });
    assert.ok(response.result, `${method} failed: ${JSON.stringify(response.error)}`);
    return response.result;
  }

  get tcp(): Socket {
    return (this.socket as unknown as { _socket: Socket })._socket;
  }
}

test("a client that stops reading stops the HTTP body being read (bounded memory), then receives every byte", { timeout: 120_000 }, async (t) => {
  const origin = await HttpOrigin.start();
  cleanups.push(() => origin.close());
  const running = await startExecServer();
  cleanups.push(() => running.close());
  const client = await DeltaHashingClient.connect(running.url);
  cleanups.push(() => client.socket.terminate());
  await client.call("initialize", { clientName: "http-flow-test" });
  client.socket.send(JSON.stringify({ method: "initialized", params: {} }));

  const result = await client.call("http/request", { method: "GET", url: origin.url(`/generate?bytes=${TOTAL_BYTES}`), requestId: "flood", streamResponse: true });
  assert.equal(result["status"], 200);
  client.tcp.pause();
  const baseline = process.memoryUsage();
  let peakArrayBuffers = baseline.arrayBuffers;
  const sampler = setInterval(() => {
    peakArrayBuffers = Math.max(peakArrayBuffers, process.memoryUsage().arrayBuffers);
  }, 20);
  // Stalled: the origin's writes stop once every buffer on the way is full.
  let last = -1;
  let stableSince = Date.now();
  try {
    await waitUntil(
      () => {
        if (origin.generatedBytes !== last) {
          last = origin.generatedBytes;
          stableSince = Date.now();
        }
        return Date.now() - stableSince >= 1_000;
      },
      60_000,
      "the origin's writes to stall",
    );
  } finally {
    clearInterval(sampler);
  }
  const arrayBufferGrowth = peakArrayBuffers - baseline.arrayBuffers;
  t.diagnostic(`while stalled: origin wrote ${(origin.generatedBytes / 2 ** 20).toFixed(1)} MiB, client got ${(client.bytes / 2 ** 20).toFixed(1)} MiB, arrayBuffers +${(arrayBufferGrowth / 2 ** 20).toFixed(1)} MiB`);
  assert.ok(origin.generatedBytes < IN_FLIGHT_BOUND_BYTES, `the origin wrote ${origin.generatedBytes} bytes to a stalled client`);
  assert.ok(arrayBufferGrowth < 64 * 1024 * 1024, `arrayBuffers grew by ${arrayBufferGrowth} bytes`);
  assert.equal(client.final, undefined);

  const resumedAt = Date.now();
  client.tcp.resume();
  await waitUntil(() => client.final !== undefined, 90_000, "the final delta");
  t.diagnostic(`drained ${TOTAL_BYTES / 2 ** 20} MiB in ${Date.now() - resumedAt} ms after resuming (${client.lastSeq} deltas)`);
  assert.equal(client.final?.["error"], null);
  assert.equal(client.bytes, TOTAL_BYTES);
  assert.equal(client.hash.digest("hex"), patternSha256(TOTAL_BYTES));
});
