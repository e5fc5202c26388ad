import type { RustPeer } from "./rust-peer.js";

/** What every scenario receives from `bench/run.ts`. */
export interface BenchContext {
  /** `--quick`: every scenario small (CI smoke run: correctness, not targets). */
  readonly quick: boolean;
  /** Repeats per figure (min/median/max are over these). */
  readonly repeats: number;
  /** A fresh temp directory for this scenario's files (removed afterwards). */
  readonly tmpDir: string;
  /** The Rust original (codex 0.169 exec-server) as a peer, or why its rows are n/a. */
  readonly rust: RustPeer;
  /** Progress line on stderr. */
  log(line: string): void;
}

/** A scenario module's export. */
export interface Scenario {
  readonly id: string;
  readonly title: string;
  run(context: BenchContext): Promise<import("./report.js").ScenarioResult>;
}
