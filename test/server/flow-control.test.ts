import assert from "node:assert/strict";
import { createHash } from "node:crypto";
import type { Socket } from "node:net";
import { after, test } from "node:test";
import { WebSocket } from "ws";
import { startExecServer, type RunningExecServer } from "../../src/server/start-exec-server.js";
import { alive, waitUntil } from "../helpers/wait.js";

const TOTAL_BYTES = 200 * 1024 * 1024;
const MEMORY_BOUND_BYTES = 64 * 1024 * 1024;

const cleanups: (() => Promise<void> | void)[] = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A minimal websocket JSON-RPC client that hashes `process/output` as it arrives and keeps nothing else. */
class HashingClient {
  readonly hash = createHash("sha256");
  outputBytes = 0;
  lastOutputSeq = 0;
  readonly events: { method: string; seq: number; exitCode?: number }[] = [];
  #nextId = 1;
  readonly #pending = new Map<number, (message: { result?: Record<string, unknown>; error?: unknown }) => void>();

  constructor(readonly socket: WebSocket) {
    socket.on("message", (data: Buffer) => {
      const message = JSON.parse(data.toString("utf8")) as {
        id?: number;
        method?: string;
        params?: { seq: number; chunk?: string; exitCode?: number };
        result?: Record<string, unknown>;
      };
      if (message.id !== undefined) {
        this.#pending.get(message.id)?.(message);
        this.#pending.delete(message.id);
      } else if (message.method === "process/output" && message.params) {
        assert.equal(message.params.seq, this.lastOutputSeq + 1, "output arrives in seq order without gaps");
        this.lastOutputSeq = message.params.seq;
        const chunk = Buffer.from(message.params.chunk ?? "", "base64");
        this.outputBytes += chunk.length;
        this.hash.update(chunk);
      } else if (message.method !== undefined && message.params) {
        this.events.push({ method: message.method, seq: message.params.seq, ...(message.params.exitCode === undefined ? {} : { exitCode: message.params.exitCode }) });
      }
    });
  }

  static async connect(url: string): Promise<HashingClient> {
    const socket = new WebSocket(url);
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
    });
    return new HashingClient(socket);
  }

  async call(method: string, params: unknown): Promise<Record<string, unknown>> {
    const id = this.#nextId++;
    const response = await new Promise<{ result?: Record<string, unknown>; error?: unknown }>((resolve) => {
      this.#pending.set(id, resolve);
      this.socket.send(JSON.stringify({ jsonrpc: "2.0", id, method, params }));
    });
    assert.ok(response.result, `${method} failed: ${JSON.stringify(response.error)}`);
    return response.result;
  }

  /** The TCP socket under the websocket: pausing it stops reading, so the server's writes back up. */
  get tcp(): Socket {
    return (this.socket as unknown as { _socket: Socket })._socket;
  }
}

function sha256OfZeros(bytes: number): string {
  const hash = createHash("sha256");
  const block = Buffer.alloc(1024 * 1024);
  for (let left = bytes; left > 0; left -= block.length) hash.update(left >= block.length ? block : block.subarray(0, left));
  return hash.digest("hex");
}

test("a client that stops reading pauses the child with bounded server memory, then receives every byte", async (t) => {
  const running: RunningExecServer = await startExecServer({ processes: { terminateGraceMs: 500 } });
  cleanups.push(() => running.close());
  const client = await HashingClient.connect(running.url);
  cleanups.push(() => client.socket.terminate());
  const { sessionId } = (await client.call("initialize", { clientName: "flow-test" })) as { sessionId: string };
  client.socket.send(JSON.stringify({ jsonrpc: "2.0", method: "initialized", params: {} }));
  const processes = running.server.sessions.get(sessionId)?.resources.processes;
  assert.ok(processes);

  // The short sleep lets the start response reach us before the client stops reading.
  await client.call("process/start", {
    processId: "flood",
    argv: ["sh", "-c", `sleep 0.3; exec head -c ${TOTAL_BYTES} /dev/zero`],
    cwd: "/tmp",
    env: { PATH: process.env["PATH"] ?? "/usr/bin:/bin" },
    tty: false,
  });
  client.tcp.pause();
  const baseline = process.memoryUsage();
  let peakRss = baseline.rss;
  let peakArrayBuffers = baseline.arrayBuffers;
  const sampler = setInterval(() => {
    const usage = process.memoryUsage();
    peakRss = Math.max(peakRss, usage.rss);
    peakArrayBuffers = Math.max(peakArrayBuffers, usage.arrayBuffers);
  }, 20);
  try {
    await waitUntil(() => processes.pausedProcessIds.includes("flood"), 5_000, "the child to be paused");
    await new Promise((resolve) => setTimeout(resolve, 1_000));
  } finally {
    clearInterval(sampler);
  }
  const pid = processes.pidOf("flood");
  assert.ok(pid !== undefined && alive(pid), "the child is blocked on its full pipe, not finished");
  assert.ok(processes.pausedProcessIds.includes("flood"), "still paused after a second");
  assert.equal(client.events.length, 0);
  const rssGrowth = peakRss - baseline.rss;
  const arrayBufferGrowth = peakArrayBuffers - baseline.arrayBuffers;
  t.diagnostic(`while stalled: rss +${(rssGrowth / 2 ** 20).toFixed(1)} MiB, arrayBuffers +${(arrayBufferGrowth / 2 ** 20).toFixed(1)} MiB, delivered ${(client.outputBytes / 2 ** 20).toFixed(1)} MiB`);
  assert.ok(rssGrowth < MEMORY_BOUND_BYTES, `rss grew by ${rssGrowth} bytes`);
  assert.ok(arrayBufferGrowth < MEMORY_BOUND_BYTES, `arrayBuffers grew by ${arrayBufferGrowth} bytes`);

  const resumedAt = Date.now();
  client.tcp.resume();
  await waitUntil(() => client.events.some((e) => e.method === "process/closed"), 20_000, "process/closed");
  t.diagnostic(`drained ${TOTAL_BYTES / 2 ** 20} MiB in ${Date.now() - resumedAt} ms after resuming`);
  assert.equal(client.outputBytes, TOTAL_BYTES);
  assert.equal(client.hash.digest("hex"), sha256OfZeros(TOTAL_BYTES));
  assert.deepEqual(
    client.events.map((e) => e.method),
    ["process/exited", "process/closed"],
  );
  assert.equal(client.events[0]?.exitCode, 0);
  assert.ok(client.events[0]!.seq > client.lastOutputSeq || client.events[1]!.seq > client.lastOutputSeq);
  assert.deepEqual(processes.pausedProcessIds, []);
});
