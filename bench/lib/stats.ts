/** Small statistics helpers for the bench: percentiles of one run, min/median/max over repeats. */

/** Min, median and max of a set of repeats (`n` = how many). */
export interface Summary {
  readonly min: number;
  readonly median: number;
  readonly max: number;
  readonly n: number;
}

/** The `p`-th percentile (0–100) by nearest rank of an unsorted sample; NaN when empty. */
export function percentile(values: readonly number[], p: number): number {
  if (values.length === 0) return Number.NaN;
  const sorted = [...values].sort((a, b) => a - b);
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length - 1, Math.max(0, rank - 1))] as number;
}

/** Arithmetic mean; NaN when empty. */
export function mean(values: readonly number[]): number {
  if (values.length === 0) return Number.NaN;
  let total = 0;
  for (const value of values) total += value;
  return total / values.length;
}

/** Min / median / max of repeats. */
export function summarize(values: readonly number[]): Summary {
  if (values.length === 0) return { min: Number.NaN, median: Number.NaN, max: Number.NaN, n: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const middle = Math.floor(sorted.length / 2);
  const median = sorted.length % 2 === 1 ? (sorted[middle] as number) : ((sorted[middle - 1] as number) + (sorted[middle] as number)) / 2;
  return { min: sorted[0] as number, median, max: sorted[sorted.length - 1] as number, n: sorted.length };
}

/** Element-wise ratio of paired repeats (`a[i] / b[i]`), so each ratio compares runs made side by side. */
export function pairedRatios(a: readonly number[], b: readonly number[]): number[] {
  const count = Math.min(a.length, b.length);
  const ratios: number[] = [];
  for (let i = 0; i < count; i += 1) ratios.push((a[i] as number) / (b[i] as number));
  return ratios;
}

/** High-resolution monotonic time in milliseconds. */
export function nowMs(): number {
  return Number(process.hrtime.bigint()) / 1e6;
}

/** Bytes per millisecond → MB/s (10^6 bytes per second). */
export function megabytesPerSecond(bytes: number, ms: number): number {
  return bytes / 1e6 / (ms / 1000);
}
