/**
 * Scenario: what end-to-end encryption costs. The same sequential `fs/getMetadata` round trips and a
 * bulk `fs/readFile` over the cleartext relay and over the Noise relay (codex 0.169 registration,
 * hybrid IK handshake, AES-256-GCM records, our reliability layer between our peers), measured side
 * by side in every repeat; plus the handshake: time from opening a stream to its first answer
 * through the rendezvous, and the CPU time of both handshake roles in-process.
 */
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchContext, Scenario } from "../lib/context.js";
import { check, figure, ratio, type ScenarioResult } from "../lib/report.js";
import { megabytesPerSecond, nowMs, pairedRatios, percentile } from "../lib/stats.js";
import { startNoiseRelay, startRelay, type BenchClient } from "../lib/topology.js";
import { generateHybridKeyPair } from "../../src/relay/noise/hybrid-keypair.js";
import { HybridIkInitiator, HybridIkResponder } from "../../src/relay/noise/hybrid-ik-handshake.js";
import { handshakePrologue } from "../../src/relay/noise/handshake-prologue.js";

async function timeRpc(client: BenchClient, path: string, count: number, warmup: number): Promise<number[]> {
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

async function timeRead(client: BenchClient, path: string, bytes: number): Promise<number> {
  const start = nowMs();
  const result = await client.client.fs.readFile({ path });
  const elapsed = nowMs() - start;
  if (Buffer.from(result.dataBase64, "base64").length !== bytes) throw new Error("readFile returned a different size");
  return megabytesPerSecond(bytes, elapsed);
}

/** CPU time of one complete handshake (both roles, this process), in ms. */
function handshakeCpuMs(): number {
  const harness = generateHybridKeyPair();
  const executor = generateHybridKeyPair();
  const prologue = handshakePrologue({ environmentId: "e", registrationId: "r", streamId: "s" });
  const start = nowMs();
  const initiator = new HybridIkInitiator({ localStatic: harness, remoteStatic: executor.publicKey, prologue });
  const responder = new HybridIkResponder({ localStatic: executor, prologue });
  responder.readMessage1(initiator.writeMessage1(new TextEncoder().encode("authorization")));
  initiator.readMessage2(responder.writeMessage2(new Uint8Array(0)).message);
  return nowMs() - start;
}

export const noiseRelay: Scenario = {
  id: "noise",
  title: "Noise relay vs cleartext relay (fs/getMetadata RTT, bulk read, handshake)",
  async run(context: BenchContext): Promise<ScenarioResult> {
    const started = nowMs();
    const count = context.quick ? 200 : 3000;
    const warmup = context.quick ? 50 : 500;
    const bulkBytes = context.quick ? 2 * 1024 * 1024 : 16 * 1024 * 1024;
    const handshakes = context.quick ? 5 : 40;
    const path = join(context.tmpDir, "metadata-target.txt");
    writeFileSync(path, "hello\n");
    const bulkPath = join(context.tmpDir, "bulk.bin");
    writeFileSync(bulkPath, Buffer.alloc(bulkBytes, 7));
    const clear = await startRelay();
    const noise = await startNoiseRelay();
    try {
      const clearClient = await clear.stream(await clear.harness());
      const noiseHarness = await noise.harness();
      const noiseClient = await noise.stream(noiseHarness);
      const p50 = { clear: [] as number[], noise: [] as number[] };
      const p99 = { clear: [] as number[], noise: [] as number[] };
      const bulk = { clear: [] as number[], noise: [] as number[] };
      const connectMs: number[] = [];
      const cpuMs: number[] = [];
      for (let repeat = 0; repeat < context.repeats; repeat += 1) {
        context.log(`noise: repeat ${repeat + 1}/${context.repeats}`);
        const runs = { clear: await timeRpc(clearClient, path, count, warmup), noise: await timeRpc(noiseClient, path, count, warmup) };
        for (const key of ["clear", "noise"] as const) {
          p50[key].push(percentile(runs[key], 50) * 1000);
          p99[key].push(percentile(runs[key], 99) * 1000);
        }
        bulk.clear.push(await timeRead(clearClient, bulkPath, bulkBytes));
        bulk.noise.push(await timeRead(noiseClient, bulkPath, bulkBytes));
        const opens: number[] = [];
        for (let i = 0; i < handshakes; i += 1) {
          const start = nowMs();
          const client = await noise.stream(noiseHarness);
          opens.push(nowMs() - start);
          client.close();
        }
        connectMs.push(percentile(opens, 50));
        const cpu: number[] = [];
        for (let i = 0; i < handshakes; i += 1) cpu.push(handshakeCpuMs());
        cpuMs.push(percentile(cpu, 50));
      }
      clearClient.close();
      noiseClient.close();
      return {
        id: this.id,
        title: this.title,
        method: `${count} sequential calls after ${warmup} warm-up per path and repeat, then a ${bulkBytes / 1024 / 1024} MiB fs/readFile on each; rendezvous and executors are child processes, harnesses run in the bench process; handshake = median of ${handshakes} new streams (open → initialize answered) and of ${handshakes} in-process handshakes (both roles)`,
        figures: [
          figure("p50 cleartext relay", "µs", p50.clear),
          figure("p50 Noise relay", "µs", p50.noise),
          figure("p99 cleartext relay", "µs", p99.clear),
          figure("p99 Noise relay", "µs", p99.noise),
          figure("bulk read cleartext relay", "MB/s", bulk.clear),
          figure("bulk read Noise relay", "MB/s", bulk.noise),
          figure("new Noise stream → initialize answered (p50)", "ms", connectMs),
          figure("handshake CPU, both roles (p50)", "ms", cpuMs),
        ],
        ratios: [
          ratio("p50 Noise relay / cleartext relay", pairedRatios(p50.noise, p50.clear)),
          ratio("p99 Noise relay / cleartext relay", pairedRatios(p99.noise, p99.clear)),
          ratio("bulk Noise / cleartext", pairedRatios(bulk.noise, bulk.clear)),
        ],
        checks: [check("every call answered, every byte read back", true, `${2 * count * context.repeats} timed calls, ${2 * context.repeats} bulk reads of ${bulkBytes} bytes`)],
        skipped: [],
        notes: [],
        durationMs: nowMs() - started,
      };
    } finally {
      await Promise.all([clear.stop(), noise.stop()]);
    }
  },
};
