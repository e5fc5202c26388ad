/**
 * A harness mux and an executor mux joined by a {@link SimLink}, with one manual clock: the
 * "real system" of the relay property tests. Records what each side sent and received per stream.
 */
import type { RelayEndpointOptions } from "../../src/relay/relay-options.js";
import { RelayMux } from "../../src/relay/relay-mux.js";
import type { RelayStream } from "../../src/relay/relay-stream.js";
import { ManualClock } from "../../src/util/clock.js";
import { SimLink } from "./sim-link.js";

export interface StreamRecord {
  harness: RelayStream;
  executor: RelayStream | undefined;
  /** Messages sent harness → executor, and what the executor received. */
  sentUp: string[];
  gotUp: string[];
  /** Messages sent executor → harness, and what the harness received. */
  sentDown: string[];
  gotDown: string[];
  closed: string[];
}

export class RelayWorld {
  readonly clock = new ManualClock(1_000);
  readonly link = new SimLink();
  readonly logs: string[] = [];
  readonly harness: RelayMux;
  readonly executor: RelayMux;
  readonly streams = new Map<string, StreamRecord>();

  constructor(endpoint: Partial<RelayEndpointOptions> = {}, maxStreams?: number) {
    const common = { clock: this.clock, endpoint, ...(maxStreams === undefined ? {} : { maxStreams }) };
    this.harness = new RelayMux({ role: "harness", ...common, log: (m) => this.logs.push(`H ${m}`) });
    this.executor = new RelayMux({ role: "executor", ...common, log: (m) => this.logs.push(`E ${m}`) });
    this.executor.onStream((stream) => {
      const record = this.streams.get(stream.streamId);
      if (record === undefined) throw new Error(`executor accepted an unknown stream ${stream.streamId}`);
      if (record.executor !== undefined) throw new Error(`executor accepted stream ${stream.streamId} twice`);
      record.executor = stream;
      stream.onMessage((m) => record.gotUp.push(m));
      stream.onClose((r) => record.closed.push(`E ${r}`));
    });
    this.connect();
  }

  connect(): void {
    const sockets = this.link.connect();
    this.harness.attachSocket(sockets.harness);
    this.executor.attachSocket(sockets.executor);
  }

  disconnect(): void {
    this.link.disconnect();
  }

  open(streamId: string): StreamRecord {
    const harness = this.harness.openStream(streamId);
    const record: StreamRecord = { harness, executor: undefined, sentUp: [], gotUp: [], sentDown: [], gotDown: [], closed: [] };
    harness.onMessage((m) => record.gotDown.push(m));
    harness.onClose((r) => record.closed.push(`H ${r}`));
    this.streams.set(streamId, record);
    return record;
  }

  sendUp(record: StreamRecord, message: string): void {
    record.sentUp.push(message);
    record.harness.send(message);
  }

  /** Executor → harness; a no-op until the executor has accepted the stream. */
  sendDown(record: StreamRecord, message: string): boolean {
    if (record.executor === undefined) return false;
    record.sentDown.push(message);
    record.executor.send(message);
    return true;
  }

  /**
   * Heals the channel: reconnects if needed, then alternates "deliver everything queued" with
   * "advance to the next timer" until no timer is pending (everything acked) or `rounds` run out.
   */
  heal(rounds = 400): void {
    if (!this.link.connected) this.connect();
    for (let i = 0; i < rounds; i++) {
      this.link.flush();
      const due = this.clock.nextDueAt();
      if (due === undefined) break;
      this.clock.advance(due - this.clock.now());
    }
    this.link.flush();
  }

  allDelivered(): boolean {
    for (const r of this.streams.values()) {
      if (r.gotUp.length !== r.sentUp.length || r.gotDown.length !== r.sentDown.length) return false;
    }
    return true;
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
