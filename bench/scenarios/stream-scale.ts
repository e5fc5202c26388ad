/**
 * Scenario 4: many relay streams over one executor socket (1 000 full, 50 quick), each initialized,
 * each making 20 sequential `fs/readFile` calls of its own file, all streams at once. Compares p99
 * with a single stream making sequential calls on the same sockets, measures the executor's memory
 * per idle stream (heap after `gc()` in the executor child, started with `--expose-gc`), and checks
 * that every stream got its own file back (no cross-talk). A round-robin pass (one call at a time,
 * cycling through every open stream) separates "many streams open" from "many calls queued".
 */
import { randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchContext, Scenario } from "../lib/context.js";
import { check, figure, ratio, type ScenarioResult } from "../lib/report.js";
import { mean, nowMs, pairedRatios, percentile } from "../lib/stats.js";
import { startRelay, initialize, oursDialect, type BenchClient } from "../lib/topology.js";
import { createExecServerClient } from "../../generated/openrpc/client.js";

interface Memory {
  heapUsed: number;
  rss: number;
  external: number;
  arrayBuffers: number;
  gc: boolean;
}

export const streamScale: Scenario = {
  id: "scale",
  title: "Many streams over one executor socket",
  async run(context: BenchContext): Promise<ScenarioResult> {
    const started = nowMs();
    const streamCount = context.quick ? 50 : 1000;
    const callsPerStream = context.quick ? 5 : 20;
    const singleCalls = context.quick ? 100 : 400;
    const files = Array.from({ length: streamCount }, (_, index) => {
      const text = `stream ${index} ${randomBytes(12).toString("hex")}\n`;
      const path = join(context.tmpDir, `stream-${index}.txt`);
      writeFileSync(path, text);
      return { path, base64: Buffer.from(text).toString("base64") };
    });
    const series = {
      singleP99: [] as number[],
      burstP50: [] as number[],
      burstP99: [] as number[],
      roundRobinP99: [] as number[],
      burstThroughput: [] as number[],
      singleThroughput: [] as number[],
      littleP50: [] as number[],
      idleHeapPerStream: [] as number[],
      idleRssPerStream: [] as number[],
      sessionHeapPerStream: [] as number[],
    };
    let crossTalk = 0;
    let failedCalls = 0;
    let countMismatch = "";
    let gcAvailable = true;

    const dialect = await oursDialect();
    for (let repeat = 0; repeat < context.repeats; repeat += 1) {
      context.log(`scale: repeat ${repeat + 1}/${context.repeats}`);
      const relay = await startRelay({ maxStreams: streamCount + 16, exposeGc: true });
      try {
        const harness = await relay.harness();
        const memory = () => relay.executor.call<Memory>("memory");

        // Single stream: sequential calls, the peer for p99 and throughput.
        const single: BenchClient = await relay.stream(harness);
        const file0 = files[0] as (typeof files)[number];
        for (let i = 0; i < 50; i += 1) await single.client.fs.readFile({ path: dialect.path(file0.path) });
        const singleSamples: number[] = [];
        for (let i = 0; i < singleCalls; i += 1) {
          const start = nowMs();
          const { dataBase64 } = await single.client.fs.readFile({ path: dialect.path(file0.path) });
          singleSamples.push(nowMs() - start);
          if (dataBase64 !== file0.base64) crossTalk += 1;
        }
        single.close();
        series.singleP99.push(percentile(singleSamples, 99));
        series.singleThroughput.push(1000 / mean(singleSamples));
        await waitFor(async () => (await relay.executor.call<number>("streamCount")) === 0, 5000);

        // Idle streams: opened (the executor creates each on its `resume`), then initialized.
        const before = await memory();
        gcAvailable &&= before.gc;
        const transports = Array.from({ length: streamCount }, () => harness.openStream());
        const opened = await waitFor(async () => (await relay.executor.call<number>("streamCount")) === streamCount, 30_000);
        if (!opened) countMismatch = `executor has ${await relay.executor.call<number>("streamCount")} streams, expected ${streamCount}`;
        const idle = await memory();
        const clients = transports.map((transport) => createExecServerClient(transport, { timeoutMs: 120_000 }));
        await Promise.all(clients.map((client, index) => initialize(client, `scale-${index}`)));
        const initialized = await memory();
        series.idleHeapPerStream.push((idle.heapUsed + idle.arrayBuffers - before.heapUsed - before.arrayBuffers) / streamCount);
        series.idleRssPerStream.push((idle.rss - before.rss) / streamCount);
        series.sessionHeapPerStream.push((initialized.heapUsed + initialized.arrayBuffers - before.heapUsed - before.arrayBuffers) / streamCount);

        // Burst: every stream makes its calls at once, each verifying its own file.
        const burstSamples: number[] = [];
        const burstStart = nowMs();
        await Promise.all(
          clients.map(async (client, index) => {
            const own = files[index] as (typeof files)[number];
            for (let call = 0; call < callsPerStream; call += 1) {
              const start = nowMs();
              try {
                const { dataBase64 } = await client.fs.readFile({ path: dialect.path(own.path) });
                burstSamples.push(nowMs() - start);
                if (dataBase64 !== own.base64) crossTalk += 1;
              } catch {
                failedCalls += 1;
              }
            }
          }),
        );
        const burstMs = nowMs() - burstStart;
        const throughput = (streamCount * callsPerStream * 1000) / burstMs;
        series.burstP50.push(percentile(burstSamples, 50));
        series.burstP99.push(percentile(burstSamples, 99));
        series.burstThroughput.push(throughput);
        series.littleP50.push((streamCount / throughput) * 1000);

        // Round robin: one call at a time, cycling through every open stream.
        const roundRobin: number[] = [];
        for (let index = 0; index < streamCount; index += 1) {
          const own = files[index] as (typeof files)[number];
          const start = nowMs();
          const { dataBase64 } = await (clients[index] as (typeof clients)[number]).fs.readFile({ path: dialect.path(own.path) });
          roundRobin.push(nowMs() - start);
          if (dataBase64 !== own.base64) crossTalk += 1;
        }
        series.roundRobinP99.push(percentile(roundRobin, 99));
        for (const transport of transports) transport.close("bench done");
      } finally {
        await relay.stop();
      }
    }
    const kib = (values: number[]) => values.map((v) => v / 1024);
    return {
      id: this.id,
      title: this.title,
      method:
        `${streamCount} streams × ${callsPerStream} sequential readFile calls, all streams concurrently, over one harness socket and one executor socket (maxStreams ${streamCount + 16} on harness, rendezvous and executor); ` +
        `single stream: ${singleCalls} sequential calls; memory: executor heapUsed+arrayBuffers after gc(), before/after opening the streams, per stream; a fresh rendezvous+executor per repeat`,
      figures: [
        figure("single stream p99", "ms", series.singleP99),
        figure(`burst p50 (${streamCount} streams)`, "ms", series.burstP50),
        figure(`burst p99 (${streamCount} streams)`, "ms", series.burstP99),
        figure("burst p50 predicted by Little's law (streams / throughput)", "ms", series.littleP50),
        figure("round-robin p99 (one call at a time over all streams)", "ms", series.roundRobinP99),
        figure("single stream throughput", "calls/s", series.singleThroughput),
        figure("burst throughput", "calls/s", series.burstThroughput),
        figure("executor heap per idle stream (opened)", "KiB", kib(series.idleHeapPerStream)),
        figure("executor RSS per idle stream (opened)", "KiB", kib(series.idleRssPerStream)),
        figure("executor heap per idle stream (initialized, with session)", "KiB", kib(series.sessionHeapPerStream)),
      ],
      ratios: [
        ratio("burst p99 / single-stream p99", pairedRatios(series.burstP99, series.singleP99), { op: "<=", value: 5 }),
        ratio("round-robin p99 / single-stream p99", pairedRatios(series.roundRobinP99, series.singleP99)),
        ratio("burst throughput / single-stream throughput", pairedRatios(series.burstThroughput, series.singleThroughput)),
        ratio("heap per idle initialized stream / 16 KiB", series.sessionHeapPerStream.map((b) => b / (16 * 1024)), { op: "<=", value: 1 }),
        ratio("heap per idle opened stream / 16 KiB", series.idleHeapPerStream.map((b) => b / (16 * 1024)), { op: "<=", value: 1 }),
      ],
      checks: [
        check("no cross-talk", crossTalk === 0, `${crossTalk} calls returned another stream's file`),
        check("every call answered", failedCalls === 0, `${failedCalls} calls failed`),
        check("executor sees every stream", countMismatch === "", countMismatch || `${streamCount} streams per repeat`),
      ],
      skipped: gcAvailable ? [] : ["memory figures: gc() not exposed in the executor child"],
      notes: [],
      durationMs: nowMs() - started,
    };
  },
};

async function waitFor(condition: () => Promise<boolean>, timeoutMs: number): Promise<boolean> {
  const deadline = Date.now() + timeoutMs;
  while (Date.now() < deadline) {
    if (await condition()) return true;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  return false;
}
