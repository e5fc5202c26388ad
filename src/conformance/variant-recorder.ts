import type { Variants } from "./report.js";

/**
 * Collects which protocol variants a server used across every connection of a run. A key observed
 * with several values reports them all, joined with `+` in first-seen order.
 */
export class VariantRecorder {
  readonly #seen = new Map<string, string[]>();

  /** Records that `key` was observed with `value`. */
  observe(key: string, value: string): void {
    const values = this.#seen.get(key);
    if (values === undefined) this.#seen.set(key, [value]);
    else if (!values.includes(value)) values.push(value);
  }

  /** The variants seen so far, keys in first-seen order. */
  snapshot(): Variants {
    return Object.fromEntries([...this.#seen].map(([key, values]) => [key, values.join("+")]));
  }
}
