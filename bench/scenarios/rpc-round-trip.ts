/**
 * Scenario 1: sequential `fs/getMetadata` round trips, p50 and p99, over four paths measured side by
 * side in every repeat: direct websocket, the Rust original (codex 0.169 exec-server, same client,
 * its dialect: a `file:` URI), relay (harness → rendezvous → executor), and a raw `ws` echo of the
 * same request bytes (the floor). Servers run in child processes; the client is this process.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchContext, Scenario } from "../lib/context.js";
import { check, figure, ratio, ratioOrUnavailable, unavailableFigure, type Figure, type ScenarioResult } from "../lib/report.js";
import { RUST_LABEL } from "../lib/rust-peer.js";
import { nowMs, pairedRatios, percentile } from "../lib/stats.js";
import { nextMessage, OURS_LABEL, startDirect, startRaw, startRelay, startRustOrReason, withDialect, type PeerClient } from "../lib/topology.js";

async function timeRpc(client: PeerClient, native: string, count: number, warmup: number): Promise<number[]> {
  const path = client.dialect.path(native);
  for (let i = 0; i < warmup; i += 1) await client.client.fs.getMetadata({ path });
  const samples: number[] = [];
  for (let i = 0; i < count; i += 1) {
    const start = nowMs();
    const result = await client.client.fs.getMetadata({ path });
    samples.push(nowMs() - start);
    if (!result.isFile) throw new Error("getMetadata returned a non-file");
  }
  return samples;
}

export const rpcRoundTrip: Scenario = {
  id: "rpc",
  title: "RPC round trip (fs/getMetadata)",
  async run(context: BenchContext): Promise<ScenarioResult> {
    const started = nowMs();
    const count = context.quick ? 200 : 3000;
    const warmup = context.quick ? 50 : 500;
    const path = join(context.tmpDir, "metadata-target.txt");
    writeFileSync(path, "hello\n");
    const direct = await startDirect();
    const relay = await startRelay();
    const raw = await startRaw();
    const rust = await startRustOrReason(context.rust);
    try {
      const directClient = await withDialect(OURS_LABEL, await direct.connect());
      let rustClient: PeerClient | undefined;
      if ("connect" in rust) rustClient = await rust.connect();
      const harness = await relay.harness();
      const relayClient = await withDialect(`${OURS_LABEL} via relay`, await relay.stream(harness));
      const rawSocket = await raw.connect();
      // The exact text the typed client sends for this call (id width as in a long session).
      const requestBytes = Buffer.from(JSON.stringify({ jsonrpc: "2.0", id: 100_000, method: "fs/getMetadata", params: { path: directClient.dialect.path(path) } }));
      const timeRaw = async () => {
        for (let i = 0; i < warmup; i += 1) {
          const reply = nextMessage(rawSocket);
          rawSocket.send(requestBytes);
          await reply;
        }
        const samples: number[] = [];
        for (let i = 0; i < count; i += 1) {
          const start = nowMs();
          const reply = nextMessage(rawSocket);
          rawSocket.send(requestBytes);
          const echoed = await reply;
          samples.push(nowMs() - start);
          if (echoed.length !== requestBytes.length) throw new Error("raw echo returned different bytes");
        }
        return samples;
      };
      const p50 = { direct: [] as number[], relay: [] as number[], raw: [] as number[], rust: [] as number[] };
      const p99 = { direct: [] as number[], relay: [] as number[], raw: [] as number[], rust: [] as number[] };
      for (let repeat = 0; repeat < context.repeats; repeat += 1) {
        context.log(`rpc: repeat ${repeat + 1}/${context.repeats}`);
        const runs = {
          raw: await timeRaw(),
          direct: await timeRpc(directClient, path, count, warmup),
          rust: rustClient ? await timeRpc(rustClient, path, count, warmup) : [],
          relay: await timeRpc(relayClient, path, count, warmup),
        };
        for (const key of ["direct", "relay", "raw", "rust"] as const) {
          if (runs[key].length === 0) continue;
          p50[key].push(percentile(runs[key], 50) * 1000);
          p99[key].push(percentile(runs[key], 99) * 1000);
        }
      }
      directClient.close();
      relayClient.close();
      rustClient?.close();
      const rustSide = (values: number[]) => ("unavailable" in rust ? rust : values);
      const rustFigure = (name: string, values: number[]): Figure =>
        "unavailable" in rust ? unavailableFigure(name, "µs", rust.unavailable) : figure(name, "µs", values);
      return {
        id: this.id,
        title: this.title,
        method: `${count} sequential calls after ${warmup} warm-up, per path and repeat; exec-server, rendezvous and executor are child processes, the client runs in the bench process; raw = bare ws echo of the request's bytes; ${RUST_LABEL} = the same client and call with the path as a file: URI`,
        figures: [
          figure("p50 direct", "µs", p50.direct),
          figure("p50 relay", "µs", p50.relay),
          figure("p50 raw ws echo", "µs", p50.raw),
          rustFigure(`p50 ${RUST_LABEL} direct`, p50.rust),
          figure("p99 direct", "µs", p99.direct),
          figure("p99 relay", "µs", p99.relay),
          figure("p99 raw ws echo", "µs", p99.raw),
          rustFigure(`p99 ${RUST_LABEL} direct`, p99.rust),
        ],
        ratios: [
          ratioOrUnavailable("p50 direct / Rust direct", p50.direct, rustSide(p50.rust), { op: "<=", value: 1.0 }),
          ratioOrUnavailable("p99 direct / Rust direct", p99.direct, rustSide(p99.rust), { op: "<=", value: 1.5 }),
          ratio("p50 relay / direct", pairedRatios(p50.relay, p50.direct), { op: "<=", value: 2.5 }),
          ratio("p99 relay / direct", pairedRatios(p99.relay, p99.direct), { op: "<=", value: 2.5 }),
          ratio("p50 direct / raw echo", pairedRatios(p50.direct, p50.raw), { op: "<=", value: 3 }),
          ratio("p99 direct / raw echo", pairedRatios(p99.direct, p99.raw), { op: "<=", value: 3 }),
        ],
        checks: [check("every call answered", true, `${(rustClient ? 4 : 3) * count * context.repeats} timed calls completed`)],
        skipped: [],
        notes: [`dialects: ${[directClient, relayClient, ...(rustClient ? [rustClient] : [])].map((c) => `${c.label}: ${c.dialect.summary}`).join("; ")}`],
        durationMs: nowMs() - started,
      };
    } finally {
      await Promise.all([direct.stop(), relay.stop(), raw.stop(), "stop" in rust ? rust.stop() : undefined]);
    }
  },
};
