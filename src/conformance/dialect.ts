/**
 * The wire dialects the conformance suite can judge, and how `auto` picks one.
 *
 * - `seed`: the project contract (CONTRACT.md): plain absolute paths, `"jsonrpc":"2.0"`, no
 *   `environmentInfo`.
 * - `codex-0.169`: the dialect of the codex 0.169 exec-server (UPSTREAM-0.169.md): `file:` URIs,
 *   `environmentInfo` in the `initialize` result, the new method families.
 */
export type Dialect = "seed" | "codex-0.169";

/** What `--dialect` accepts: a dialect, or `auto` to detect it from the `initialize` result. */
export type DialectChoice = Dialect | "auto";

/** Every value of {@link DialectChoice}, in `--help` order. */
export const DIALECT_CHOICES: readonly DialectChoice[] = ["auto", "seed", "codex-0.169"];

/** The dialect a run used and why (`explicitly requested`, or what detection saw). */
export interface DialectDecision {
  readonly dialect: Dialect;
  readonly reason: string;
}

/**
 * Picks the dialect from an `initialize` result: a server that announces `environmentInfo` (an
 * object) speaks codex-0.169 — the seed contract has no such member — otherwise seed. A server
 * speaking both dialects (this project's) is therefore judged in codex-0.169 by `auto`.
 */
export function dialectFromInitializeResult(result: unknown): DialectDecision {
  const info = typeof result === "object" && result !== null ? (result as Record<string, unknown>)["environmentInfo"] : undefined;
  if (typeof info === "object" && info !== null && !Array.isArray(info)) {
    return { dialect: "codex-0.169", reason: "detected: the initialize result carries environmentInfo" };
  }
  return { dialect: "seed", reason: "detected: the initialize result has no environmentInfo" };
}
