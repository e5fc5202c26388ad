/**
 * Summarises V8 `.cpuprofile` files (from `BENCH_CPU_PROF=...` or `node --cpu-prof`): self time per
 * function, busiest first, and inclusive time of functions matching `--focus`. Not part of
 * `npm run bench`; a reading aid for docs/bench.md.
 *
 * ```
 * node --import tsx bench/profile-summary.ts .tmp/bench-prof/exec-server/CPU.*.cpuprofile [--top 25] [--focus readFile,send]
 * ```
 * Times are milliseconds of samples; `(idle)` is the event loop waiting, `(program)` native code
 * outside JS (libuv, syscalls, the `ws` C++ helpers), `(garbage collector)` GC.
 */
import { readFileSync } from "node:fs";
import { relative } from "node:path";

interface ProfileNode {
  id: number;
  callFrame: { functionName: string; url: string; lineNumber: number };
  children?: number[];
}

interface Profile {
  nodes: ProfileNode[];
  samples: number[];
  timeDeltas: number[];
  startTime: number;
  endTime: number;
}

function label(node: ProfileNode): string {
  const { functionName, url, lineNumber } = node.callFrame;
  const file = url === "" ? "" : ` ${relative(process.cwd(), url.replace(/^file:\/\//, ""))}:${lineNumber + 1}`;
  return `${functionName || "(anonymous)"}${file}`;
}

function summarise(path: string, top: number, focus: readonly string[]): string {
  const profile = JSON.parse(readFileSync(path, "utf8")) as Profile;
  const byId = new Map(profile.nodes.map((node) => [node.id, node]));
  const parent = new Map<number, number>();
  for (const node of profile.nodes) for (const child of node.children ?? []) parent.set(child, node.id);
  const selfMs = new Map<number, number>();
  for (let i = 0; i < profile.samples.length; i += 1) {
    const id = profile.samples[i] as number;
    selfMs.set(id, (selfMs.get(id) ?? 0) + (profile.timeDeltas[i] ?? 0) / 1000);
  }
  const totalMs = (profile.endTime - profile.startTime) / 1000;
  const selfByLabel = new Map<string, number>();
  const inclusiveByLabel = new Map<string, number>();
  for (const [id, ms] of selfMs) {
    const node = byId.get(id);
    if (!node) continue;
    selfByLabel.set(label(node), (selfByLabel.get(label(node)) ?? 0) + ms);
    // Inclusive: charge every distinct frame label on the stack once.
    const seen = new Set<string>();
    for (let cursor: number | undefined = id; cursor !== undefined; cursor = parent.get(cursor)) {
      const frame = byId.get(cursor);
      if (!frame) break;
      const name = label(frame);
      if (seen.has(name)) continue;
      seen.add(name);
      inclusiveByLabel.set(name, (inclusiveByLabel.get(name) ?? 0) + ms);
    }
  }
  const idle = selfByLabel.get("(idle)") ?? 0;
  const lines = [`${path}: ${totalMs.toFixed(0)} ms profiled, ${(totalMs - idle).toFixed(0)} ms busy`];
  lines.push("self ms  busy%  function");
  const sorted = [...selfByLabel].filter(([name]) => name !== "(idle)").sort((a, b) => b[1] - a[1]);
  for (const [name, ms] of sorted.slice(0, top)) {
    lines.push(`${ms.toFixed(1).padStart(7)}  ${((100 * ms) / Math.max(1, totalMs - idle)).toFixed(1).padStart(5)}  ${name}`);
  }
  if (focus.length > 0) {
    lines.push("inclusive ms  function (--focus)");
    const matches = [...inclusiveByLabel].filter(([name]) => focus.some((f) => name.includes(f))).sort((a, b) => b[1] - a[1]);
    for (const [name, ms] of matches.slice(0, top)) lines.push(`${ms.toFixed(1).padStart(12)}  ${name}`);
  }
  return lines.join("\n");
}

const args = process.argv.slice(2);
let top = 25;
let focus: string[] = [];
const files: string[] = [];
for (let i = 0; i < args.length; i += 1) {
  const arg = args[i] as string;
  if (arg === "--top") top = Number(args[++i]);
  else if (arg === "--focus") focus = (args[++i] ?? "").split(",").filter(Boolean);
  else files.push(arg);
}
if (files.length === 0) {
  process.stderr.write("usage: node --import tsx bench/profile-summary.ts FILE.cpuprofile... [--top N] [--focus name,name]\n");
  process.exit(2);
}
for (const file of files) process.stdout.write(`${summarise(file, top, focus)}\n\n`);
