/**
 * Scenario 2: `fs/readFile` of one large file (64 MiB full, 1 MiB quick), direct vs relay vs the Rust
 * original (codex 0.169, same client, its dialect) vs a raw `ws` transfer of the same file bytes as
 * one binary message (the floor, which needs no base64/JSON); and block reads of the same file
 * (`fs/open` + sequential 1 MiB `fs/readBlock` + `fs/close`) on both servers. A server that answers
 * `fs/open` with -32601 gets "n/a (not implemented)" and is measured as soon as it has the method.
 * Throughput is file bytes per second, timed from the request to the decoded bytes in hand; the
 * SHA-256 of every transfer is checked outside the timed part.
 */
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { collectClientGarbage } from "../lib/client-gc.js";
import type { BenchContext, Scenario } from "../lib/context.js";
import { isNotImplemented } from "../lib/dialect.js";
import { check, figure, ratio, ratioOrUnavailable, unavailableFigure, type Figure, type ScenarioResult } from "../lib/report.js";
import { RUST_LABEL } from "../lib/rust-peer.js";
import { megabytesPerSecond, nowMs, pairedRatios } from "../lib/stats.js";
import { nextMessage, OURS_LABEL, startDirect, startRaw, startRelay, startRustOrReason, withDialect, type PeerClient } from "../lib/topology.js";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");

/**
 * The relay's default largest message (64 MiB) is smaller than the JSON response for a 64 MiB file
 * (base64 inflates by 4/3), so both relay sides get a larger cap here; see docs/bench.md.
 */
export const BULK_RELAY_MAX_MESSAGE_BYTES = 128 * 1024 * 1024;

/** Block size of the block reads: the largest `fs/readBlock` 0.169 allows (1 MiB). */
export const BLOCK_BYTES = 1024 * 1024;

/** Thrown by {@link readBlocks} when the server has no `fs/open`/`fs/readBlock` (-32601). */
class NotImplemented extends Error {}

let handleCounter = 0;

/** Reads `native` through a file handle in {@link BLOCK_BYTES} blocks; resolves to the bytes read. */
async function readBlocks(peer: PeerClient, native: string, size: number): Promise<Buffer> {
  const handleId = `bench-${handleCounter++}`;
  try {
    await peer.call("fs/open", { handleId, path: peer.dialect.path(native), mode: "read" });
  } catch (error) {
    if (isNotImplemented(error)) throw new NotImplemented(`not implemented: fs/open answered ${(error as Error).message}`);
    throw error;
  }
  const out = Buffer.allocUnsafe(size);
  let offset = 0;
  try {
    for (;;) {
      const block = (await peer.call("fs/readBlock", { handleId, offset, len: BLOCK_BYTES })) as { chunk: string; eof: boolean };
      offset += out.write(block.chunk, offset, "base64");
      if (block.eof || offset >= size) break;
    }
  } finally {
    await peer.call("fs/close", { handleId });
  }
  return out.subarray(0, offset);
}

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
    const rust = await startRustOrReason(context.rust);
    const mismatches: string[] = [];
    try {
      const directClient = await withDialect(OURS_LABEL, await direct.connect());
      const harness = await relay.harness();
      const relayClient = await withDialect(`${OURS_LABEL} via relay`, await relay.stream(harness));
      const rustClient = "connect" in rust ? await rust.connect() : undefined;
      const rawSocket = await raw.connect();
      const readRpc = async (client: PeerClient, label: string, target = path) => {
        collectClientGarbage();
        const start = nowMs();
        const { dataBase64 } = await client.client.fs.readFile({ path: client.dialect.path(target) });
        if (target !== path) return 0;
        const bytes = Buffer.from(dataBase64, "base64");
        const ms = nowMs() - start;
        if (bytes.length !== size || sha256(bytes) !== digest) mismatches.push(`${label}: got ${bytes.length} bytes with a different digest`);
        return megabytesPerSecond(size, ms);
      };
      const readRaw = async () => {
        collectClientGarbage();
        const start = nowMs();
        const reply = nextMessage(rawSocket);
        rawSocket.send(`!file ${path}`);
        const bytes = await reply;
        const ms = nowMs() - start;
        if (bytes.length !== size || sha256(bytes) !== digest) mismatches.push(`raw: got ${bytes.length} bytes with a different digest`);
        return megabytesPerSecond(size, ms);
      };
      /** Block-read MB/s, or undefined once the server said it has no file handles (`blocksNa` holds why). */
      const blocksNa = new Map<PeerClient, string>();
      const readViaBlocks = async (client: PeerClient, label: string, target = path) => {
        if (blocksNa.has(client)) return undefined;
        collectClientGarbage();
        const start = nowMs();
        let bytes: Buffer;
        try {
          bytes = await readBlocks(client, target, target === path ? size : Math.min(size, 4 * 1024 * 1024));
        } catch (error) {
          if (!(error instanceof NotImplemented)) throw error;
          blocksNa.set(client, error.message);
          return undefined;
        }
        const ms = nowMs() - start;
        if (target === path && (bytes.length !== size || sha256(bytes) !== digest)) mismatches.push(`${label} blocks: got ${bytes.length} bytes with a different digest`);
        return megabytesPerSecond(size, ms);
      };
      // One untimed 4 MiB read per path warms the JIT (the page cache is warm from writing the file).
      rawSocket.send(`!file ${warmPath}`);
      await nextMessage(rawSocket);
      await readRpc(directClient, "direct", warmPath);
      await readRpc(relayClient, "relay", warmPath);
      await readViaBlocks(directClient, "direct", warmPath);
      if (rustClient) {
        await readRpc(rustClient, "rust", warmPath);
        await readViaBlocks(rustClient, "rust", warmPath);
      }
      const rates = { direct: [] as number[], relay: [] as number[], raw: [] as number[], rust: [] as number[], directBlocks: [] as number[], rustBlocks: [] as number[] };
      const push = (list: number[], value: number | undefined) => value !== undefined && list.push(value);
      for (let repeat = 0; repeat < context.repeats; repeat += 1) {
        context.log(`bulk: repeat ${repeat + 1}/${context.repeats}`);
        rates.raw.push(await readRaw());
        rates.direct.push(await readRpc(directClient, "direct"));
        if (rustClient) rates.rust.push(await readRpc(rustClient, "rust"));
        push(rates.directBlocks, await readViaBlocks(directClient, "direct"));
        if (rustClient) push(rates.rustBlocks, await readViaBlocks(rustClient, "rust"));
        rates.relay.push(await readRpc(relayClient, "relay"));
      }
      directClient.close();
      relayClient.close();
      rustClient?.close();
      const rustNa = "unavailable" in rust ? rust.unavailable : undefined;
      const side = (values: number[], client: PeerClient | undefined, blocks: boolean): number[] | { unavailable: string } => {
        if (client === undefined) return { unavailable: rustNa ?? "no client" };
        if (blocks && blocksNa.has(client)) return { unavailable: blocksNa.get(client) as string };
        return values;
      };
      const rateFigure = (name: string, values: number[] | { unavailable: string }): Figure =>
        "unavailable" in values ? unavailableFigure(name, "MB/s", values.unavailable) : figure(name, "MB/s", values);
      const rustRead = side(rates.rust, rustClient, false);
      const oursBlocks = side(rates.directBlocks, directClient, true);
      const rustBlocks = side(rates.rustBlocks, rustClient, true);
      const transfers = rates.raw.length + rates.direct.length + rates.relay.length + rates.rust.length + rates.directBlocks.length + rates.rustBlocks.length;
      return {
        id: this.id,
        title: this.title,
        method: `${size / 1024 / 1024} MiB of random bytes, one read per path per repeat after a 4 MiB warm-up read; MB/s = file bytes / (request → decoded bytes); raw = the file as one binary ws message; relay endpoints use maxMessageBytes ${BULK_RELAY_MAX_MESSAGE_BYTES / 1024 / 1024} MiB; blocks = fs/open + sequential ${BLOCK_BYTES / 1024 / 1024} MiB fs/readBlock + fs/close, decoded into one buffer; ${RUST_LABEL} driven by the same client in its dialect`,
        figures: [
          figure("readFile direct", "MB/s", rates.direct),
          rateFigure(`readFile ${RUST_LABEL} direct`, rustRead),
          rateFigure("block reads direct", oursBlocks),
          rateFigure(`block reads ${RUST_LABEL} direct`, rustBlocks),
          figure("readFile relay", "MB/s", rates.relay),
          figure("raw ws transfer", "MB/s", rates.raw),
        ],
        ratios: [
          ratioOrUnavailable("readFile direct / Rust", rates.direct, rustRead, { op: ">=", value: 1.0 }),
          ratioOrUnavailable("block reads direct / Rust", oursBlocks, rustBlocks, { op: ">=", value: 1.0 }),
          ratio("relay / direct", pairedRatios(rates.relay, rates.direct), { op: ">=", value: 0.7 }),
          ratio("direct / raw", pairedRatios(rates.direct, rates.raw)),
          ratio("relay / raw", pairedRatios(rates.relay, rates.raw)),
        ],
        checks: [check("bytes intact (SHA-256)", mismatches.length === 0, mismatches.length === 0 ? `${transfers} transfers verified` : mismatches.join("; "))],
        skipped: [],
        notes: [`dialects: ${[directClient, relayClient, ...(rustClient ? [rustClient] : [])].map((c) => `${c.label}: ${c.dialect.summary}`).join("; ")}`],
        durationMs: nowMs() - started,
      };
    } finally {
      await Promise.all([direct.stop(), relay.stop(), raw.stop(), "stop" in rust ? rust.stop() : undefined]);
    }
  },
};
