import { detectBubblewrap, type BubblewrapAvailability } from "../../src/sandbox/index.js";

let probe: Promise<BubblewrapAvailability> | undefined;

/**
 * For `describe(name, { skip: await bubblewrapSkip() }, ...)`: false when bubblewrap can sandbox
 * here, else the reason to skip. Under `CI=true` an unusable bubblewrap is a failure: this throws.
 */
export async function bubblewrapSkip(): Promise<false | string> {
  probe ??= detectBubblewrap();
  const available = await probe;
  if (available.usable) return false;
  if (process.env.CI === "true") throw new Error(`CI=true and ${available.reason}`);
  return available.reason;
}
