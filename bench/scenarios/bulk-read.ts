/**
 * Scenario 2: `fs/readFile` of one large file (64 MiB full, 1 MiB quick), direct vs relay vs a raw
 * `ws` transfer of the same file bytes as one binary message (the floor, which needs no base64/JSON).
 * Throughput is file bytes per second, timed from the request to the decoded bytes in hand; the
 * SHA-256 of every transfer is checked outside the timed part.
 */
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import type { BenchContext, Scenario } from "../lib/context.js";
import { check, figure, ratio, type ScenarioResult } from "../lib/report.js";
import { megabytesPerSecond, nowMs, pairedRatios } from "../lib/stats.js";
import { nextMessage, startDirect, startRaw, startRelay, type BenchClient } from "../lib/topology.js";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/**
 * The relay's default largest message (64 MiB) is smaller than the JSON response for a 64 MiB file
 * (base64 inflates by 4/3), so both relay sides get a larger cap here; see docs/bench.md.
 */
export const BULK_RELAY_MAX_MESSAGE_BYTES = 128 * 1024 * 1024;

export const bulkRead: Scenario = {
  id: "bulk",
  title: "Bulk fs/readFile",
  async run(context: BenchContext): Promise<ScenarioResult> {
    const started = nowMs();
    const size = context.quick ? 1024 * 1024 : 64 * 1024 * 1024;
    const path = join(context.tmpDir, "bulk.bin");
    const content = randomBytes(size);
    const digest = sha256(content);
    writeFileSync(path, content);
    const warmPath = join(context.tmpDir, "warm.bin");
    writeFileSync(warmPath, content.subarray(0, Math.min(size, 4 * 1024 * 1024)));
    const direct = await startDirect();
    const relay = await startRelay({ endpoint: { maxMessageBytes: BULK_RELAY_MAX_MESSAGE_BYTES } });
    const raw = await startRaw();
    const mismatches: string[] = [];
    try {
      const directClient = await direct.connect();
      const harness = await relay.harness();
      const relayClient = await relay.stream(harness);
      const rawSocket = await raw.connect();
      const readRpc = async (client: BenchClient, label: string, target = path) => {
        const start = nowMs();
        const { dataBase64 } = await client.client.fs.readFile({ path: target });
        if (target !== path) return 0;
        const bytes = Buffer.from(dataBase64, "base64");
        const ms = nowMs() - start;
        if (bytes.length !== size || sha256(bytes) !== digest) mismatches.push(`${label}: got ${bytes.length} bytes with a different digest`);
        return megabytesPerSecond(size, ms);
      };
      const readRaw = async () => {
        const start = nowMs();
        const reply = nextMessage(rawSocket);
        rawSocket.send(`!file ${path}`);
        const bytes = await reply;
        const ms = nowMs() - start;
        if (bytes.length !== size || sha256(bytes) !== digest) mismatches.push(`raw: got ${bytes.length} bytes with a different digest`);
        return megabytesPerSecond(size, ms);
      };
      // One untimed 4 MiB read per path warms the JIT (the page cache is warm from writing the file).
      rawSocket.send(`!file ${warmPath}`);
      await nextMessage(rawSocket);
      await readRpc(directClient, "direct", warmPath);
      await readRpc(relayClient, "relay", warmPath);
      const rates = { direct: [] as number[], relay: [] as number[], raw: [] as number[] };
      for (let repeat = 0; repeat < context.repeats; repeat += 1) {
        context.log(`bulk: repeat ${repeat + 1}/${context.repeats}`);
        rates.raw.push(await readRaw());
        rates.direct.push(await readRpc(directClient, "direct"));
        rates.relay.push(await readRpc(relayClient, "relay"));
      }
      directClient.close();
      relayClient.close();
      return {
        id: this.id,
        title: this.title,
        method: `${size / 1024 / 1024} MiB of random bytes, one read per path per repeat after a 4 MiB warm-up read; MB/s = file bytes / (request → decoded bytes); raw = the file as one binary ws message; relay endpoints use maxMessageBytes ${BULK_RELAY_MAX_MESSAGE_BYTES / 1024 / 1024} MiB`,
        figures: [figure("direct", "MB/s", rates.direct), figure("relay", "MB/s", rates.relay), figure("raw ws transfer", "MB/s", rates.raw)],
        ratios: [
          ratio("relay / direct", pairedRatios(rates.relay, rates.direct), { op: ">=", value: 0.7 }),
          ratio("direct / raw", pairedRatios(rates.direct, rates.raw)),
          ratio("relay / raw", pairedRatios(rates.relay, rates.raw)),
        ],
        checks: [check("bytes intact (SHA-256)", mismatches.length === 0, mismatches.length === 0 ? `${3 * context.repeats} transfers verified` : mismatches.join("; "))],
        skipped: [],
        notes: [],
        durationMs: nowMs() - started,
      };
    } finally {
      await Promise.all([direct.stop(), relay.stop(), raw.stop()]);
    }
  },
};
