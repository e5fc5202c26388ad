/** The bench's result model (what `bench/results.json` holds) and the text table. */
import { summarize, type Summary } from "./stats.js";

/** One measured quantity, summarised over repeats (the raw repeats are kept too). */
export interface Figure {
  readonly name: string;
  readonly unit: string;
  readonly summary: Summary;
  readonly repeats: readonly number[];
}

/** A comparison against a floor or a peer measured in the same run; `met` only when there is a target. */
export interface Ratio {
  readonly name: string;
  readonly summary: Summary;
  readonly repeats: readonly number[];
  /** The target the median is checked against (`<=` or `>=`). */
  readonly target?: { readonly op: "<=" | ">="; readonly value: number };
  readonly met?: boolean;
}

/** A correctness assertion (zero loss, no duplicates, no cross-talk). A failed check fails the run. */
export interface Check {
  readonly name: string;
  readonly ok: boolean;
  readonly detail: string;
}

/** What one scenario returns. */
export interface ScenarioResult {
  readonly id: string;
  readonly title: string;
  /** How it was measured (sizes, repeats, where each side runs). */
  readonly method: string;
  readonly figures: Figure[];
  readonly ratios: Ratio[];
  readonly checks: Check[];
  /** Parts that did not run, with the reason. */
  readonly skipped: string[];
  readonly notes: string[];
  readonly durationMs: number;
}

/** Builds a {@link Figure} from raw repeats. */
export function figure(name: string, unit: string, repeats: readonly number[]): Figure {
  return { name, unit, summary: summarize(repeats), repeats: [...repeats] };
}

/** Builds a {@link Ratio}; with a target, `met` is judged on the median of the paired repeats. */
export function ratio(name: string, repeats: readonly number[], target?: { op: "<=" | ">="; value: number }): Ratio {
  const summary = summarize(repeats);
  if (target === undefined) return { name, summary, repeats: [...repeats] };
  const met = target.op === "<=" ? summary.median <= target.value : summary.median >= target.value;
  return { name, summary, repeats: [...repeats], target, met };
}

/** Builds a {@link Check}. */
export function check(name: string, ok: boolean, detail: string): Check {
  return { name, ok, detail };
}

/** Formats a number with about three significant digits. */
export function fmt(value: number): string {
  if (!Number.isFinite(value)) return String(value);
  const abs = Math.abs(value);
  if (abs >= 1000) return value.toFixed(0);
  if (abs >= 100) return value.toFixed(1);
  if (abs >= 10) return value.toFixed(2);
  if (abs >= 1) return value.toFixed(2);
  return value.toPrecision(3);
}

/** Renders the results as a Markdown table (also readable in a terminal). */
export function renderTable(results: readonly ScenarioResult[]): string {
  const lines = ["| scenario | figure | min | median | max | unit / target |", "|---|---|---:|---:|---:|---|"];
  for (const result of results) {
    for (const f of result.figures) {
      lines.push(`| ${result.id} | ${f.name} | ${fmt(f.summary.min)} | ${fmt(f.summary.median)} | ${fmt(f.summary.max)} | ${f.unit} |`);
    }
    for (const r of result.ratios) {
      const target = r.target ? `${r.target.op} ${r.target.value} → ${r.met ? "MET" : "MISSED"}` : "(info)";
      lines.push(`| ${result.id} | **ratio** ${r.name} | ${fmt(r.summary.min)} | ${fmt(r.summary.median)} | ${fmt(r.summary.max)} | × ${target} |`);
    }
    for (const c of result.checks) lines.push(`| ${result.id} | check: ${c.name} | | | | ${c.ok ? "ok" : "FAILED"}: ${c.detail} |`);
    for (const s of result.skipped) lines.push(`| ${result.id} | skipped | | | | ${s} |`);
  }
  return lines.join("\n");
}
