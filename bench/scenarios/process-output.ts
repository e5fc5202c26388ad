/**
 * Scenario 5: a child writes N bytes to stdout (`head -c N /dev/zero`; 256 MiB full, 4 MiB quick),
 * streamed as `process/output` notifications to a client over a direct websocket. Compared with the
 * Rust original (codex 0.169, same client, its dialect), a bare `ws` server piping the same
 * command's stdout as binary messages (the floor) and `websocketd --binary` running the same command
 * (when installed). MB/s = N / (start → `process/closed`, or the last byte for the floors).
 */
import { execFileSync, spawn } from "node:child_process";
import { createServer } from "node:net";
import { WebSocket } from "ws";
import { collectClientGarbage } from "../lib/client-gc.js";
import type { BenchContext, Scenario } from "../lib/context.js";
import { check, figure, ratio, ratioOrUnavailable, unavailableFigure, type Check, type ScenarioResult } from "../lib/report.js";
import { RUST_LABEL } from "../lib/rust-peer.js";
import { megabytesPerSecond, nowMs, pairedRatios } from "../lib/stats.js";
import { startOurs, startRaw, startRustOrReason, type PeerClient } from "../lib/topology.js";
import { trackProcess } from "../lib/child.js";

/** Decoded length of standard padded base64 without decoding it. */
function base64Length(text: string): number {
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

async function freePort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", () => resolve()));
  const address = server.address();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  if (address === null || typeof address === "string") throw new Error("no port");
  return address.port;
}

function websocketdPath(): string | undefined {
  try {
    return execFileSync("sh", ["-c", "command -v websocketd"], { encoding: "utf8" }).trim() || undefined;
  } catch {
    return undefined;
  }
}

export const processOutput: Scenario = {
  id: "output",
  title: "Process output streaming",
  async run(context: BenchContext): Promise<ScenarioResult> {
    const started = nowMs();
    const size = context.quick ? 4 * 1024 * 1024 : 256 * 1024 * 1024;
    const argv = ["/usr/bin/head", "-c", String(size), "/dev/zero"];
    const checks: Check[] = [];
    const skipped: string[] = [];
    const direct = await startOurs();
    const raw = await startRaw();
    const rust = await startRustOrReason(context.rust);
    const rates = { direct: [] as number[], raw: [] as number[], websocketd: [] as number[], rust: [] as number[] };
    /** The exec-server samples paired with a kept websocketd sample (for the paired ratio). */
    const directBesideWebsocketd: number[] = [];
    let websocketd: { url: string; stop(): Promise<void> } | undefined;
    const wsd = websocketdPath();
    if (wsd === undefined) skipped.push("websocketd: not installed (apt-get install websocketd)");
    else {
      const port = await freePort();
      const child = trackProcess(spawn(wsd, [`--port=${port}`, "--address=127.0.0.1", "--binary=true", "--loglevel=error", ...argv], { stdio: ["ignore", "ignore", "inherit"] }));
      websocketd = { url: `ws://127.0.0.1:${port}/`, stop: child.stop };
    }
    try {
      const ours = await direct.connect();
      const rustClient = "connect" in rust ? await rust.connect() : undefined;
      const seqProblems: string[] = [];
      let processIndex = 0;
      const viaExecServer = async (peer: PeerClient) => {
        const client = peer.client;
        const processId = `out-${processIndex++}`;
        let bytes = 0;
        let lastSeq = 0;
        const done = new Promise<void>((resolve) => {
          const offClosed = client.on("process/closed", (params) => {
            if (params.processId !== processId) return;
            offOutput();
            offClosed();
            resolve();
          });
          const offOutput = client.on("process/output", (params) => {
            if (params.processId !== processId) return;
            if (params.seq <= lastSeq) seqProblems.push(`${processId}: seq ${params.seq} after ${lastSeq}`);
            lastSeq = params.seq;
            bytes += base64Length(params.chunk);
          });
        });
        collectClientGarbage();
        const start = nowMs();
        await peer.call("process/start", { processId, argv, cwd: peer.dialect.path(context.tmpDir), env: {}, tty: false });
        await done;
        const ms = nowMs() - start;
        if (bytes !== size) seqProblems.push(`${peer.label} ${processId}: ${bytes} bytes streamed, expected ${size}`);
        return megabytesPerSecond(size, ms);
      };
      const notes: string[] = [];
      /** MB/s over a binary-message socket; a short count is a correctness failure for our raw peer, only a note for websocketd. */
      const viaSocket = async (url: string, command: string | undefined, thirdParty = false): Promise<number | undefined> => {
        const socket = new WebSocket(url, { perMessageDeflate: false, maxPayload: 512 * 1024 * 1024 });
        await new Promise<void>((resolve, reject) => {
          socket.once("open", () => resolve());
          socket.once("error", reject);
        });
        let bytes = 0;
        collectClientGarbage();
        const start = nowMs();
        await new Promise<void>((resolve) => {
          socket.on("message", (data: Buffer, isBinary) => {
            if (isBinary) bytes += data.length;
            else if (data.toString() === "!end") resolve();
          });
          socket.on("close", () => resolve());
          if (command !== undefined) socket.send(command);
        });
        const ms = nowMs() - start;
        socket.terminate();
        if (bytes !== size) {
          // websocketd sometimes closes the socket before its last buffered chunk when the child exits:
          // its own loss, not ours, so that sample is dropped and reported instead of failing the run.
          if (!thirdParty) seqProblems.push(`${url}: ${bytes} bytes received, expected ${size}`);
          else notes.push(`websocketd closed after ${bytes} of ${size} bytes once; that sample is left out`);
          return thirdParty ? undefined : megabytesPerSecond(size, ms);
        }
        return megabytesPerSecond(size, ms);
      };
      for (let repeat = 0; repeat < context.repeats; repeat += 1) {
        context.log(`output: repeat ${repeat + 1}/${context.repeats}`);
        rates.raw.push((await viaSocket(raw.url, `!spawn ${JSON.stringify(argv)}`))!);
        const oursRate = await viaExecServer(ours);
        rates.direct.push(oursRate);
        if (rustClient) rates.rust.push(await viaExecServer(rustClient));
        if (websocketd) {
          const rate = await viaSocket(websocketd.url, undefined, true);
          if (rate !== undefined) {
            rates.websocketd.push(rate);
            directBesideWebsocketd.push(oursRate);
          }
        }
      }
      ours.close();
      rustClient?.close();
      checks.push(check("every byte streamed, seq increasing", seqProblems.length === 0, seqProblems.length === 0 ? `${size} bytes × ${context.repeats} per path` : seqProblems.slice(0, 5).join("; ")));
      const rustSide = "unavailable" in rust ? rust : rates.rust;
      const figures = [
        figure("exec-server direct", "MB/s", rates.direct),
        "unavailable" in rust ? unavailableFigure(`${RUST_LABEL} direct`, "MB/s", rust.unavailable) : figure(`${RUST_LABEL} direct`, "MB/s", rates.rust),
        figure("raw ws pipe", "MB/s", rates.raw),
      ];
      const ratios = [
        ratioOrUnavailable("exec-server / Rust", rates.direct, rustSide, { op: ">=", value: 1.2 }),
        ratio("exec-server / raw ws", pairedRatios(rates.direct, rates.raw), { op: ">=", value: 0.5 }),
      ];
      if (websocketd && rates.websocketd.length > 0) {
        figures.push(figure("websocketd --binary", "MB/s", rates.websocketd));
        ratios.push(ratio("exec-server / websocketd", pairedRatios(directBesideWebsocketd, rates.websocketd)));
      }
      return {
        id: this.id,
        title: this.title,
        method: `${size / 1024 / 1024} MiB from \`head -c ${size} /dev/zero\` per path and repeat; exec-server and raw peer are child processes; exec-server and ${RUST_LABEL} (same client, its dialect) bytes counted from base64 lengths of process/output until process/closed; raw and websocketd count binary message bytes`,
        figures,
        ratios,
        checks,
        skipped,
        notes: [`dialects: ${[ours, ...(rustClient ? [rustClient] : [])].map((c) => `${c.label}: ${c.dialect.summary}`).join("; ")}`, ...notes],
        durationMs: nowMs() - started,
      };
    } finally {
      await Promise.all([direct.stop(), raw.stop(), websocketd?.stop(), "stop" in rust ? rust.stop() : undefined]);
    }
  },
};
