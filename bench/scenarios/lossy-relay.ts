/**
 * Scenario 3: the relay over a lossy rendezvous. The reference rendezvous's seeded chaos drops,
 * duplicates and reorders a fraction p of data/ack frames (p each, p ∈ {1 %, 5 %}); the same workload
 * runs over a chaos-free rendezvous as the peer. Reports goodput vs lossless and how long a dropped
 * segment takes to recover, next to the retransmission timer; asserts that every request got exactly
 * one response (ids audited on the wire of each stream) and every payload's SHA-256 matches.
 *
 * The harness side is a plain `RelayMux` over a tapped frame socket (instead of `HarnessConnection`)
 * so the bench can watch segments: a gap in inbound `seq`s and when it fills, and when an outbound
 * segment is sent again.
 */
import { createHash, randomBytes } from "node:crypto";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { createExecServerClient } from "../../generated/openrpc/client.js";
import { parseFrame } from "../../src/relay/frame-codec.js";
import { RelayMux, type FrameSocket } from "../../src/relay/relay-mux.js";
import { DEFAULT_RELAY_ENDPOINT_OPTIONS } from "../../src/relay/relay-options.js";
import { dialFrameSocket, type DialedFrameSocket } from "../../src/remote/websocket-frame-socket.js";
import type { MessageTransport } from "../../src/rpc/message-transport.js";
import type { BenchContext, Scenario } from "../lib/context.js";
import { check, figure, ratio, type Check, type ScenarioResult } from "../lib/report.js";
import { megabytesPerSecond, nowMs, pairedRatios, percentile } from "../lib/stats.js";
import { initialize, oursDialect, startRelay } from "../lib/topology.js";

const sha256 = (bytes: Uint8Array) => createHash("sha256").update(bytes).digest("hex");
/** A gap that fills within this many ms is a reordered frame (chaos holds frames 5 ms), not a drop. */
const REORDER_MS = 15;

/** Watches relay segments on the harness's socket. */
class SegmentTap {
  readonly gapFillsMs: number[] = [];
  readonly resendDelaysMs: number[] = [];
  duplicateArrivals = 0;
  readonly #inbound = new Map<string, { next: number; seen: Set<number>; gapSince: Map<number, number> }>();
  readonly #firstSent = new Map<string, number>();
  readonly #resent = new Set<string>();

  wrap(socket: DialedFrameSocket): FrameSocket {
    return {
      send: (bytes) => {
        this.#outbound(bytes);
        socket.send(bytes);
      },
      onFrame: (listener) =>
        socket.onFrame((bytes) => {
          this.#inboundFrame(bytes);
          listener(bytes);
        }),
      onClose: (listener) => socket.onClose(listener),
    };
  }

  #outbound(bytes: Uint8Array): void {
    const parsed = parseFrame(bytes);
    if (!parsed.ok || parsed.frame.body.case !== "data") return;
    const key = `${parsed.frame.streamId}:${parsed.frame.body.value.seq}`;
    const first = this.#firstSent.get(key);
    if (first === undefined) this.#firstSent.set(key, nowMs());
    else if (!this.#resent.has(key)) {
      this.#resent.add(key);
      this.resendDelaysMs.push(nowMs() - first);
    }
  }

  #inboundFrame(bytes: Uint8Array): void {
    const parsed = parseFrame(bytes);
    if (!parsed.ok || parsed.frame.body.case !== "data") return;
    const now = nowMs();
    const seq = parsed.frame.body.value.seq;
    let state = this.#inbound.get(parsed.frame.streamId);
    if (!state) this.#inbound.set(parsed.frame.streamId, (state = { next: 0, seen: new Set(), gapSince: new Map() }));
    if (seq < state.next || state.seen.has(seq)) {
      this.duplicateArrivals += 1;
      return;
    }
    state.seen.add(seq);
    for (let missing = state.next; missing < seq; missing += 1) {
      if (!state.seen.has(missing) && !state.gapSince.has(missing)) state.gapSince.set(missing, now);
    }
    const since = state.gapSince.get(seq);
    if (since !== undefined) {
      this.gapFillsMs.push(now - since);
      state.gapSince.delete(seq);
    }
    while (state.seen.has(state.next)) {
      state.seen.delete(state.next);
      state.next += 1;
    }
  }
}

/** Wraps a stream so every request id sent and every response id received is counted. */
function audited(inner: MessageTransport, audit: { sent: Map<string, number>; received: Map<string, number> }): MessageTransport {
  inner.onMessage((text) => {
    const message = JSON.parse(text) as { id?: unknown; method?: unknown };
    if (message.id !== undefined && message.method === undefined) {
      const key = String(message.id);
      audit.received.set(key, (audit.received.get(key) ?? 0) + 1);
    }
  });
  return {
    send(text) {
      const message = JSON.parse(text) as { id?: unknown };
      if (message.id !== undefined) {
        const key = String(message.id);
        audit.sent.set(key, (audit.sent.get(key) ?? 0) + 1);
      }
      inner.send(text);
    },
    onMessage: (listener) => inner.onMessage(listener),
    onClose: (listener) => inner.onClose(listener),
    close: (reason) => inner.close(reason),
  };
}

interface LevelRun {
  goodputMBps: number;
  tap: SegmentTap;
  lost: number;
  duplicated: number;
  unexpected: number;
  digestMismatches: number;
  requests: number;
}

export const lossyRelay: Scenario = {
  id: "loss",
  title: "Relay under frame loss, duplication and reordering",
  async run(context: BenchContext): Promise<ScenarioResult> {
    const started = nowMs();
    const streams = context.quick ? 4 : 8;
    const rounds = context.quick ? 2 : 4;
    const writeBytes = context.quick ? 16 * 1024 : 128 * 1024;
    const sharedSizes = context.quick ? [1024, 8 * 1024, 100 * 1024] : [4 * 1024, 64 * 1024, 512 * 1024];
    const shared = sharedSizes.map((size, index) => {
      const bytes = randomBytes(size);
      const path = join(context.tmpDir, `shared-${index}.bin`);
      writeFileSync(path, bytes);
      return { path, size, digest: sha256(bytes) };
    });
    const levels = [0, 0.01, 0.05];
    const goodput = new Map<number, number[]>(levels.map((p) => [p, []]));
    const recoveries = new Map<number, { gapFills: number[]; resends: number[]; chaos: Record<string, number> }>();
    const checks: Check[] = [];
    const notes: string[] = [];

    const dialect = await oursDialect();
    const runOnce = async (mux: RelayMux, tap: SegmentTap, repeat: number): Promise<LevelRun> => {
      // One audit per stream: each client numbers its requests from 1.
      const audits: { sent: Map<string, number>; received: Map<string, number> }[] = [];
      let digestMismatches = 0;
      let payloadBytes = 0;
      const start = nowMs();
      await Promise.all(
        Array.from({ length: streams }, async (_, index) => {
          const stream = mux.openStream();
          const audit = { sent: new Map<string, number>(), received: new Map<string, number>() };
          audits.push(audit);
          const client = createExecServerClient(audited(stream, audit), { timeoutMs: 120_000 });
          await initialize(client, `loss-${index}`);
          const own = join(context.tmpDir, `stream-${repeat}-${index}.bin`);
          for (let round = 0; round < rounds; round += 1) {
            const target = shared[(index + round) % shared.length] as (typeof shared)[number];
            const metadata = await client.fs.getMetadata({ path: dialect.path(target.path) });
            if (metadata.size !== target.size) digestMismatches += 1;
            const payload = randomBytes(writeBytes);
            await client.fs.writeFile({ path: dialect.path(own), dataBase64: payload.toString("base64") });
            const back = Buffer.from((await client.fs.readFile({ path: dialect.path(own) })).dataBase64, "base64");
            if (sha256(back) !== sha256(payload)) digestMismatches += 1;
            const read = Buffer.from((await client.fs.readFile({ path: dialect.path(target.path) })).dataBase64, "base64");
            if (sha256(read) !== target.digest) digestMismatches += 1;
            payloadBytes += payload.length + back.length + read.length;
          }
          stream.close("bench done");
        }),
      );
      const ms = nowMs() - start;
      let lost = 0;
      let duplicated = 0;
      let unexpected = 0;
      let requests = 0;
      for (const audit of audits) {
        requests += audit.sent.size;
        for (const [id, count] of audit.sent) {
          const got = audit.received.get(id) ?? 0;
          if (count > 1 || got > count) duplicated += 1;
          else if (got < count) lost += 1;
        }
        for (const id of audit.received.keys()) if (!audit.sent.has(id)) unexpected += 1;
      }
      return { goodputMBps: megabytesPerSecond(payloadBytes, ms), tap, lost, duplicated, unexpected, digestMismatches, requests };
    };

    for (const p of levels) {
      const relay = await startRelay(p === 0 ? {} : { chaos: { drop: p, duplicate: p, reorder: p, seed: 42 } });
      let socket: DialedFrameSocket | undefined;
      try {
        socket = await dialFrameSocket(relay.harnessUrl);
        const tap = new SegmentTap();
        const mux = new RelayMux({ role: "harness" });
        mux.attachSocket(tap.wrap(socket));
        let lost = 0;
        let duplicated = 0;
        let unexpected = 0;
        let mismatches = 0;
        let requests = 0;
        for (let repeat = 0; repeat < context.repeats; repeat += 1) {
          context.log(`loss: p=${p * 100}% repeat ${repeat + 1}/${context.repeats}`);
          const run = await runOnce(mux, tap, repeat);
          goodput.get(p)?.push(run.goodputMBps);
          lost += run.lost;
          duplicated += run.duplicated;
          unexpected += run.unexpected;
          mismatches += run.digestMismatches;
          requests += run.requests;
        }
        const chaos = await relay.rendezvous.call<Record<string, number>>("stats");
        recoveries.set(p, { gapFills: tap.gapFillsMs, resends: tap.resendDelaysMs, chaos });
        const label = `p=${p * 100}%`;
        checks.push(check(`${label}: zero lost messages`, lost === 0, `${lost} of ${requests} requests without a response`));
        checks.push(check(`${label}: zero duplicated messages`, duplicated === 0 && unexpected === 0, `${duplicated} answered more than once, ${unexpected} unexpected ids`));
        checks.push(check(`${label}: payload digests`, mismatches === 0, `${mismatches} SHA-256/size mismatches`));
        if (p > 0) {
          notes.push(
            `p=${p * 100}%: chaos forwarded ${chaos.forwarded}, dropped ${chaos.dropped}, duplicated ${chaos.duplicated}, reordered ${chaos.reordered}; ` +
              `harness saw ${tap.duplicateArrivals} duplicate segments, ${tap.gapFillsMs.length} inbound gaps, ${tap.resendDelaysMs.length} outbound resends`,
          );
        }
      } finally {
        socket?.close("bench done");
        await relay.stop();
      }
    }

    const figures = levels.map((p) => figure(`goodput p=${p * 100}%`, "MB/s", goodput.get(p) ?? []));
    const { minRtoMs, initialRtoMs, tailProbes } = DEFAULT_RELAY_ENDPOINT_OPTIONS;
    for (const p of levels.slice(1)) {
      const r = recoveries.get(p);
      if (!r) continue;
      const drops = r.gapFills.filter((ms) => ms > REORDER_MS);
      // One figure per level, its "repeats" are the individual recoveries (min/median/max of events).
      if (drops.length > 0) figures.push(figure(`p=${p * 100}%: dropped inbound segment, gap → filled (${drops.length} events)`, "ms", drops));
      if (r.resends.length > 0) figures.push(figure(`p=${p * 100}%: outbound segment, first send → resend (${r.resends.length} events)`, "ms", r.resends));
      if (drops.length > 0) notes.push(`p=${p * 100}%: inbound recovery p90 ${percentile(drops, 90).toFixed(0)} ms vs retransmission timer min ${minRtoMs} ms / initial ${initialRtoMs} ms (after up to ${tailProbes} tail-loss probes)`);
    }
    const lossless = goodput.get(0) ?? [];
    return {
      id: this.id,
      title: this.title,
      method:
        `${streams} concurrent streams × ${rounds} rounds of getMetadata + writeFile ${writeBytes / 1024} KiB + readFile back + readFile of a shared file (${sharedSizes.map((s) => `${s / 1024} KiB`).join(", ")}), per repeat; ` +
        `chaos drops, duplicates and reorders p of data/ack frames each (seed 42); gaps filled within ${REORDER_MS} ms count as reorders; retransmission timer: min ${minRtoMs} ms, initial ${initialRtoMs} ms, after up to ${tailProbes} tail-loss probes (srtt + 4·rttvar + ackDelay)`,
      figures,
      // Issue 14's target: at 5 % loss, at least half the lossless goodput.
      ratios: levels.slice(1).map((p) => ratio(`goodput p=${p * 100}% / lossless`, pairedRatios(goodput.get(p) ?? [], lossless), p === 0.05 ? { op: ">=", value: 0.5 } : undefined)),
      checks,
      skipped: [],
      notes,
      durationMs: nowMs() - started,
    };
  },
};
