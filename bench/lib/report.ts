/** The bench's result model (what `bench/results.json` holds) and the text table. */
import { pairedRatios, summarize, type Summary } from "./stats.js";

/** One measured quantity, summarised over repeats (the raw repeats are kept too). */
export interface Figure {
  readonly name: string;
  readonly unit: string;
  readonly summary: Summary;
  readonly repeats: readonly number[];
  /** Set when the quantity could not be measured (peer missing, method not implemented): the reason. */
  readonly unavailable?: string;
}

/** A comparison against a floor or a peer measured in the same run; `met` only when there is a target. */
export interface Ratio {
  readonly name: string;
  readonly summary: Summary;
  readonly repeats: readonly number[];
  /** The target the median is checked against (`<=` or `>=`). */
  readonly target?: { readonly op: "<=" | ">="; readonly value: number };
  readonly met?: boolean;
  /** Set when one side could not be measured: the reason (the target is then neither met nor missed). */
  readonly unavailable?: string;
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

/** A {@link Figure} that could not be measured; the table shows "n/a" and the reason. */
export function unavailableFigure(name: string, unit: string, reason: string): Figure {
  return { name, unit, summary: summarize([]), repeats: [], unavailable: reason };
}

/** A {@link Ratio} that could not be computed (one side unavailable); keeps the target for the table. */
export function unavailableRatio(name: string, reason: string, target?: { op: "<=" | ">="; value: number }): Ratio {
  return { name, summary: summarize([]), repeats: [], ...(target ? { target } : {}), unavailable: reason };
}

/**
 * A ratio of `a / b` that is n/a when either side is: each side is either repeats or the reason it
 * is unavailable.
 */
export function ratioOrUnavailable(
  name: string,
  a: readonly number[] | { unavailable: string },
  b: readonly number[] | { unavailable: string },
  target?: { op: "<=" | ">="; value: number },
): Ratio {
  if ("unavailable" in a) return unavailableRatio(name, a.unavailable, target);
  if ("unavailable" in b) return unavailableRatio(name, b.unavailable, target);
  return ratio(name, pairedRatios(a, b), target);
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
      if (f.unavailable !== undefined) {
        lines.push(`| ${result.id} | ${f.name} | n/a | n/a | n/a | ${f.unit}: n/a (${f.unavailable}) |`);
        continue;
      }
      lines.push(`| ${result.id} | ${f.name} | ${fmt(f.summary.min)} | ${fmt(f.summary.median)} | ${fmt(f.summary.max)} | ${f.unit} |`);
    }
    for (const r of result.ratios) {
      if (r.unavailable !== undefined) {
        const target = r.target ? `${r.target.op} ${r.target.value} → n/a` : "(info)";
        lines.push(`| ${result.id} | **ratio** ${r.name} | n/a | n/a | n/a | × ${target} (${r.unavailable}) |`);
        continue;
      }
      const target = r.target ? `${r.target.op} ${r.target.value} → ${r.met ? "MET" : "MISSED"}` : "(info)";
      lines.push(`| ${result.id} | **ratio** ${r.name} | ${fmt(r.summary.min)} | ${fmt(r.summary.median)} | ${fmt(r.summary.max)} | × ${target} |`);
    }
    for (const c of result.checks) lines.push(`| ${result.id} | check: ${c.name} | | | | ${c.ok ? "ok" : "FAILED"}: ${c.detail} |`);
    for (const s of result.skipped) lines.push(`| ${result.id} | skipped | | | | ${s} |`);
  }
  return lines.join("\n");
}
