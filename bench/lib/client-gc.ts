/**
 * A full garbage collection of the bench process, run before each timed transfer of the `bulk` and
 * `output` scenarios. Why: the client is shared by the peers it compares, and a 64 MiB `fs/readFile`
 * leaves ≈ 300 MB of strings and buffers behind (the JSON text, the base64, the decoded bytes); the
 * collection that frees them used to land in whichever peer's transfer came next (ours, right after
 * the Rust peer's `fs/readFile`), charging one peer for the other's garbage.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

setFlagsFromString("--expose-gc");
const gc = runInNewContext("gc") as () => void;

/** Collects the bench process's garbage now (not timed). */
export function collectClientGarbage(): void {
  gc();
}
