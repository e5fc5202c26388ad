import { InvalidArgumentError } from "./commander-classes.js";
import { MAX_TIMER_DELAY_MS } from "../util/clock.js";

/** Commander parser for a non-negative integer option (sizes in bytes, durations in ms). */
export function nonNegativeInteger(value: string): number {
  const parsed = Number(value);
  if (!/^\d+$/.test(value.trim()) || !Number.isSafeInteger(parsed)) {
    throw new InvalidArgumentError(`expected a non-negative integer, got ${JSON.stringify(value)}`);
  }
  return parsed;
}

/** Commander parser for a duration in ms: a non-negative integer a Node timer can hold (≤ 2^31 - 1). */
export function durationMs(value: string): number {
  const parsed = nonNegativeInteger(value);
  if (parsed > MAX_TIMER_DELAY_MS) throw new InvalidArgumentError(`expected at most ${MAX_TIMER_DELAY_MS} ms, got ${parsed}`);
  return parsed;
}

/** Commander parser for a positive integer option. */
export function positiveInteger(value: string): number {
  const parsed = nonNegativeInteger(value);
  if (parsed === 0) throw new InvalidArgumentError("expected a positive integer, got 0");
  return parsed;
}

/** Commander parser for a probability in [0, 1]. */
export function probability(value: string): number {
  const parsed = Number(value);
  if (!Number.isFinite(parsed) || parsed < 0 || parsed > 1) {
    throw new InvalidArgumentError(`expected a probability between 0 and 1, got ${JSON.stringify(value)}`);
  }
  return parsed;
}

/** Commander collector for repeatable options. */
export function collect(value: string, previous: string[] = []): string[] {
  return [...previous, value];
}
