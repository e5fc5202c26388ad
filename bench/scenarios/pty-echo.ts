/**
 * Scenario: PTY echo round trip. `cat` runs under a PTY (`tty: true`) on our exec-server and on the
 * Rust original, driven by the same client; each round trip writes one short line with
 * `process/write` and waits for its answer and for both copies of the line to come back as
 * `process/output` (the terminal's echo and cat's output: `line\r\n` twice). p50 and p99 per peer and
 * repeat; the echoed text is checked byte for byte.
 */
import type { BenchContext, Scenario } from "../lib/context.js";
import { check, figure, ratioOrUnavailable, unavailableFigure, type Figure, type ScenarioResult } from "../lib/report.js";
import { RUST_LABEL } from "../lib/rust-peer.js";
import { nowMs, percentile } from "../lib/stats.js";
import { startOurs, startRustOrReason, type PeerClient } from "../lib/topology.js";

/** Longest wait for one echo before the scenario fails (a lost echo must not hang the bench). */
const ECHO_TIMEOUT_MS = 10_000;

interface EchoRun {
  samples: number[];
  problems: string[];
}

/** Starts `cat` under a PTY on `peer` and times `warmup + count` echo round trips. */
async function timePtyEcho(peer: PeerClient, cwd: string, processId: string, count: number, warmup: number): Promise<EchoRun> {
  const problems: string[] = [];
  let received = "";
  let waiter: { expected: string; resolve(): void } | undefined;
  const offOutput = peer.client.on("process/output", (params) => {
    if (params.processId !== processId) return;
    received += Buffer.from(params.chunk, "base64").toString("latin1");
    if (waiter !== undefined && received.length >= waiter.expected.length) waiter.resolve();
  });
  const closed = new Promise<void>((resolve) => {
    const offClosed = peer.client.on("process/closed", (params) => {
      if (params.processId !== processId) return;
      offClosed();
      resolve();
    });
  });
  const samples: number[] = [];
  try {
    await peer.call("process/start", { processId, argv: ["/bin/cat"], cwd: peer.dialect.path(cwd), env: {}, tty: true });
    for (let i = 0; i < warmup + count; i += 1) {
      const line = `ping-${String(i).padStart(6, "0")}`;
      const expected = `${line}\r\n${line}\r\n`;
      received = "";
      const start = nowMs();
      let timer: ReturnType<typeof setTimeout> | undefined;
      const echoed = new Promise<void>((resolve, reject) => {
        waiter = { expected, resolve };
        timer = setTimeout(() => reject(new Error(`${peer.label}: no PTY echo of ${line} within ${ECHO_TIMEOUT_MS} ms (got ${JSON.stringify(received)})`)), ECHO_TIMEOUT_MS);
      });
      const written = peer.call("process/write", peer.dialect.writeParams(processId, Buffer.from(`${line}\n`).toString("base64"), `w-${i}`));
      try {
        const [answer] = await Promise.all([written, echoed]);
        const ms = nowMs() - start;
        if (i >= warmup) samples.push(ms);
        const status = (answer as { status?: unknown }).status;
        if (status !== "accepted") problems.push(`${peer.label}: process/write answered ${JSON.stringify(answer)}`);
      } finally {
        clearTimeout(timer);
        waiter = undefined;
      }
      if (received !== expected && problems.length < 5) problems.push(`${peer.label}: echo ${JSON.stringify(received)}, expected ${JSON.stringify(expected)}`);
    }
  } finally {
    await peer.call("process/terminate", { processId }).catch(() => undefined);
    await Promise.race([closed, new Promise((resolve) => setTimeout(resolve, 5000))]);
    offOutput();
  }
  return { samples, problems };
}

export const ptyEcho: Scenario = {
  id: "pty",
  title: "PTY echo round trip",
  async run(context: BenchContext): Promise<ScenarioResult> {
    const started = nowMs();
    const count = context.quick ? 50 : 300;
    const warmup = context.quick ? 10 : 30;
    const ours = await startOurs();
    const rust = await startRustOrReason(context.rust);
    const problems: string[] = [];
    try {
      const oursClient = await ours.connect();
      const rustClient = "connect" in rust ? await rust.connect() : undefined;
      const p50 = { ours: [] as number[], rust: [] as number[] };
      const p99 = { ours: [] as number[], rust: [] as number[] };
      for (let repeat = 0; repeat < context.repeats; repeat += 1) {
        context.log(`pty: repeat ${repeat + 1}/${context.repeats}`);
        const peers: Array<[PeerClient, "ours" | "rust"]> = [[oursClient, "ours"]];
        if (rustClient) peers.push([rustClient, "rust"]);
        for (const [client, key] of peers) {
          const run = await timePtyEcho(client, context.tmpDir, `pty-${key}-${repeat}`, count, warmup);
          problems.push(...run.problems);
          p50[key].push(percentile(run.samples, 50) * 1000);
          p99[key].push(percentile(run.samples, 99) * 1000);
        }
      }
      oursClient.close();
      rustClient?.close();
      const rustSide = (values: number[]) => ("unavailable" in rust ? rust : values);
      const rustFigure = (name: string, values: number[]): Figure =>
        "unavailable" in rust ? unavailableFigure(name, "µs", rust.unavailable) : figure(name, "µs", values);
      return {
        id: this.id,
        title: this.title,
        method: `\`cat\` under a PTY per peer and repeat; ${count} round trips after ${warmup} warm-up, each = process/write of a 12-byte line → its answer and both echoed copies (terminal echo + cat) as process/output; same client for both peers, each in its dialect`,
        figures: [
          figure("p50 exec-server direct", "µs", p50.ours),
          rustFigure(`p50 ${RUST_LABEL} direct`, p50.rust),
          figure("p99 exec-server direct", "µs", p99.ours),
          rustFigure(`p99 ${RUST_LABEL} direct`, p99.rust),
        ],
        ratios: [ratioOrUnavailable("p50 exec-server / Rust", p50.ours, rustSide(p50.rust)), ratioOrUnavailable("p99 exec-server / Rust", p99.ours, rustSide(p99.rust))],
        checks: [
          check(
            "every line echoed exactly",
            problems.length === 0,
            problems.length === 0 ? `${(warmup + count) * context.repeats} round trips per peer` : problems.slice(0, 5).join("; "),
          ),
        ],
        skipped: [],
        notes: [`dialects: ${[oursClient, ...(rustClient ? [rustClient] : [])].map((c) => `${c.label}: ${c.dialect.summary}`).join("; ")}`],
        durationMs: nowMs() - started,
      };
    } finally {
      await Promise.all([ours.stop(), "stop" in rust ? rust.stop() : undefined]);
    }
  },
};
