/**
 * A harness and an executor {@link RelayMux} joined by a simulated link (see `mux-pair-world.ts`):
 * the "real system" of the cleartext relay property tests.
 */
import type { RelayEndpointOptions } from "../../src/relay/relay-options.js";
import { RelayMux } from "../../src/relay/relay-mux.js";
import type { RelayStream } from "../../src/relay/relay-stream.js";
import assert from "node:assert/strict";
import { MuxPairWorld, type StreamRecord as PairStreamRecord, type WorldStream } from "./mux-pair-world.js";

export type StreamRecord = PairStreamRecord<RelayStream>;

export class RelayWorld extends MuxPairWorld<RelayStream, RelayMux> {
  constructor(endpoint: Partial<RelayEndpointOptions> = {}, maxStreams?: number) {
    super((clock, log) => {
      const common = { clock, endpoint, ...(maxStreams === undefined ? {} : { maxStreams }) };
      return { harness: new RelayMux({ role: "harness", ...common, log: log("H") }), executor: new RelayMux({ role: "executor", ...common, log: log("E") }) };
    });
  }

  open(streamId: string): StreamRecord {
    return this.track(this.harness.openStream(streamId));
  }
}

/** Unique, recognisable message of about `size` bytes. */
export function message(tag: string, size: number): string {
  const head = `${tag}|`;
  return size <= head.length ? head : head + "x".repeat(size - head.length);
}

/** Throws unless `got` is a prefix of `sent` (in order, no duplicates, nothing invented). */
export function assertPrefix(got: readonly string[], sent: readonly string[], what: string): void {
  if (got.length > sent.length) throw new Error(`${what}: delivered ${got.length} messages but only ${sent.length} were sent`);
  for (let i = 0; i < got.length; i++) {
    if (got[i] !== sent[i]) throw new Error(`${what}: message ${i} is ${JSON.stringify(got[i]!.slice(0, 40))}, expected ${JSON.stringify(sent[i]!.slice(0, 40))}`);
  }
}

/**
 * The reliable relay's invariant on a channel that can heal: each side delivered a prefix of what the
 * other sent, and no stream was reset.
 */
export function assertHealableStream(stream: PairStreamRecord<WorldStream>): void {
  assertPrefix(stream.gotUp, stream.sentUp, "harness → executor");
  assertPrefix(stream.gotDown, stream.sentDown, "executor → harness");
  assert.deepEqual(stream.closed, [], "no stream is reset on a healable channel");
}
