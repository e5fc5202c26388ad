/**
 * Relay endpoint micro-benchmark (not part of `npm run bench`): two `RelayMux` endpoints over an
 * in-memory frame link, so the figure is the cost of the relay code alone (codec, pure step, XState
 * actor, timers), without sockets or other processes.
 *
 * ```
 * node --import tsx bench/relay-micro.ts [--round-trips 20000] [--streams 1000] [--repeats 5]
 * node --cpu-prof --cpu-prof-dir=.tmp/relay-prof --import tsx bench/relay-micro.ts
 * node --expose-gc --import tsx bench/relay-micro.ts     # adds heap per idle stream
 * node --no-allocation-site-pretenuring --import tsx bench/relay-micro.ts   # steadier, see below
 * ```
 * In this all-microtask loop V8's allocation-site pretenuring sometimes decides, a few seconds in,
 * to allocate short-lived objects in old space; from then on every round trip costs about twice as
 * much (constant mark-compacts). The bench's executor (socket I/O between frames) shows no such
 * GC pattern, so compare runs with `--no-allocation-site-pretenuring`, and on a shared machine
 * alternate the variants (CPU time, min and median).
 * - ping-pong: sequential request/response on one stream (a getMetadata-sized request and response),
 *   µs per round trip; frames cross the link in a microtask, so both endpoints run as on real sockets
 *   with the system clock (ack and retransmit timers are real `setTimeout`s).
 * - idle streams: executor heap (`heapUsed + arrayBuffers` after `gc()`) per stream opened by a
 *   `resume`, and after one acknowledged request/response (needs `--expose-gc`; relay code only, no
 *   connection processor).
 */
import { performance } from "node:perf_hooks";
import { type FrameSocket, RelayMux } from "../src/relay/relay-mux.js";
import type { RelayStream } from "../src/relay/relay-stream.js";
import { ackFrame, dataFrame, encodeFrame, resumeFrame } from "../src/relay/frame-codec.js";

function arg(name: string, fallback: number): number {
  const i = process.argv.indexOf(`--${name}`);
  return i >= 0 ? Number(process.argv[i + 1]) : fallback;
}

/** A pair of frame sockets; each frame is delivered in a microtask (one per frame, in order). */
function link(): { a: FrameSocket; b: FrameSocket } {
  const make = () => {
    const listeners: ((bytes: Uint8Array) => void)[] = [];
    return {
      listeners,
      socket: (peer: { listeners: ((bytes: Uint8Array) => void)[] }): FrameSocket => ({
        send: (bytes) => queueMicrotask(() => {
          for (const l of peer.listeners) l(bytes);
        }),
        onFrame: (l) => {
          listeners.push(l);
          return () => listeners.splice(listeners.indexOf(l), 1);
        },
        onClose: () => () => {},
      }),
    };
  };
  const x = make();
  const y = make();
  return { a: x.socket(y), b: y.socket(x) };
}

const REQUEST = JSON.stringify({ jsonrpc: "2.0", id: 100_000, method: "fs/getMetadata", params: { path: "/tmp/bench-xyz/metadata-target.txt" } });
const RESPONSE = JSON.stringify({
  jsonrpc: "2.0",
  id: 100_000,
  result: { isFile: true, isDirectory: false, isSymlink: false, size: 6, modifiedAtMs: 1_760_000_000_000, createdAtMs: 1_760_000_000_000 },
});

function pair(maxStreams = 128): { harness: RelayMux; executor: RelayMux } {
  const harness = new RelayMux({ role: "harness", maxStreams });
  const executor = new RelayMux({ role: "executor", maxStreams });
  executor.onStream((stream) => stream.onMessage(() => stream.send(RESPONSE)));
  const { a, b } = link();
  harness.attachSocket(a);
  executor.attachSocket(b);
  return { harness, executor };
}

function call(stream: RelayStream): Promise<string> {
  return new Promise((resolve) => {
    const off = stream.onMessage((m) => {
      off();
      resolve(m);
    });
    stream.send(REQUEST);
  });
}

/** Wall time and CPU time (all threads, so GC helpers count; robust against a busy machine), µs per round trip. */
async function pingPong(roundTrips: number): Promise<{ wall: number; cpu: number }> {
  const { harness, executor } = pair();
  const stream = harness.openStream();
  for (let i = 0; i < 2000; i++) await call(stream);
  const start = performance.now();
  const cpuStart = process.cpuUsage();
  for (let i = 0; i < roundTrips; i++) await call(stream);
  const cpu = process.cpuUsage(cpuStart);
  const wall = ((performance.now() - start) * 1000) / roundTrips;
  harness.close();
  executor.close();
  return { wall, cpu: (cpu.user + cpu.system) / roundTrips };
}

function heap(): number {
  (globalThis as { gc?: () => void }).gc?.();
  (globalThis as { gc?: () => void }).gc?.();
  const m = process.memoryUsage();
  return m.heapUsed + m.arrayBuffers;
}

async function idleStreams(count: number): Promise<{ opened: number; called: number } | undefined> {
  if ((globalThis as { gc?: () => void }).gc === undefined) return undefined;
  // The executor alone, fed by a scripted reliable harness: `resume` opens a stream (as in the bench's
  // `scale`), then one request, the executor's response, and the harness's ack of it.
  const executor = new RelayMux({ role: "executor", maxStreams: count + 1 });
  executor.onStream((stream) => stream.onMessage(() => stream.send(RESPONSE)));
  const listeners: ((bytes: Uint8Array) => void)[] = [];
  executor.attachSocket({ send: () => {}, onFrame: (l) => (listeners.push(l), () => {}), onClose: () => () => {} });
  const feed = (frame: Parameters<typeof encodeFrame>[0]) => {
    const bytes = encodeFrame(frame);
    for (const l of listeners) l(bytes);
  };
  const ids = Array.from({ length: count }, (_, i) => `3f2504e0-4f89-41d3-9a0c-${String(i).padStart(12, "0")}`);
  const before = heap();
  for (const id of ids) feed(resumeFrame(id, 0, { ack: 0, ackBits: 0 }));
  const opened = heap();
  const payload = new TextEncoder().encode(REQUEST);
  for (const id of ids) feed(dataFrame(id, { seq: 1, payload }, { ack: 0, ackBits: 0 }));
  for (const id of ids) feed(ackFrame(id, { ack: 1, ackBits: 0 }));
  await new Promise((r) => setTimeout(r, 60)); // the executor's standalone acks (25 ms) go out
  const called = heap();
  if (executor.streamCount !== count) throw new Error(`expected ${count} streams, got ${executor.streamCount}`);
  executor.close();
  return { opened: (opened - before) / count / 1024, called: (called - before) / count / 1024 };
}

const roundTrips = arg("round-trips", 20_000);
const repeats = arg("repeats", 5);
const runs: { wall: number; cpu: number }[] = [];
for (let r = 0; r < repeats; r++) runs.push(await pingPong(roundTrips));
const summary = (runOrder: number[]) => {
  const xs = [...runOrder].sort((x, y) => x - y);
  return `[${runOrder.map((x) => x.toFixed(0)).join(" ")}] min ${xs[0]!.toFixed(1)} median ${xs[Math.floor(xs.length / 2)]!.toFixed(1)} max ${xs[xs.length - 1]!.toFixed(1)}`;
};
console.log(`ping-pong µs per round trip: wall ${summary(runs.map((r) => r.wall))}; cpu ${summary(runs.map((r) => r.cpu))}`);
const mem = await idleStreams(arg("streams", 1000));
if (mem) console.log(`executor heap per idle stream: ${mem.opened.toFixed(2)} KiB opened, ${mem.called.toFixed(2)} KiB after one call`);
