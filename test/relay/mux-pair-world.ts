/**
 * A harness multiplexer and an executor multiplexer joined by a {@link SimLink}, with one manual
 * clock: the "real system" of the relay property tests, for both the cleartext `RelayMux`
 * (`relay-world.ts`) and the Noise `NoiseMux` (`noise/noise-world.ts`). Records what each side sent
 * and received per stream; how a stream is opened is the concrete world's.
 */
import type { FrameSocket } from "../../src/relay/frame-socket.js";
import { ManualClock } from "../../src/util/clock.js";
import { SimLink } from "./sim-link.js";

/** What the world needs of a stream. */
export interface WorldStream {
  readonly streamId: string;
  send(message: string): void;
  onMessage(listener: (message: string) => void): () => void;
  onClose(listener: (reason: string) => void): () => void;
}

/** What the world needs of a multiplexer. */
export interface WorldMux<S extends WorldStream> {
  attachSocket(socket: FrameSocket): void;
  onStream(listener: (stream: S) => void): () => void;
}

/** One stream as both sides saw it. */
export interface StreamRecord<S extends WorldStream> {
  harness: S;
  executor: S | undefined;
  /** Messages sent harness → executor, and what the executor received. */
  sentUp: string[];
  gotUp: string[];
  /** Messages sent executor → harness, and what the harness received. */
  sentDown: string[];
  gotDown: string[];
  closed: string[];
}

/** Builds both multiplexers on the world's clock; `log(side)` collects a side's log lines. */
export type BuildMuxes<M> = (clock: ManualClock, log: (side: "H" | "E") => (line: string) => void) => { harness: M; executor: M };

export class MuxPairWorld<S extends WorldStream, M extends WorldMux<S>> {
  readonly clock = new ManualClock(1_000);
  readonly link = new SimLink();
  readonly logs: string[] = [];
  readonly harness: M;
  readonly executor: M;
  readonly streams = new Map<string, StreamRecord<S>>();

  constructor(build: BuildMuxes<M>) {
    const { harness, executor } = build(this.clock, (side) => (line) => this.logs.push(`${side} ${line}`));
    this.harness = harness;
    this.executor = executor;
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

  /** Starts recording a stream the harness just opened. */
  protected track(harness: S): StreamRecord<S> {
    const record: StreamRecord<S> = { harness, executor: undefined, sentUp: [], gotUp: [], sentDown: [], gotDown: [], closed: [] };
    harness.onMessage((m) => record.gotDown.push(m));
    harness.onClose((r) => record.closed.push(`H ${r}`));
    this.streams.set(harness.streamId, record);
    return record;
  }

  sendUp(record: StreamRecord<S>, message: string): void {
    record.sentUp.push(message);
    record.harness.send(message);
  }

  /** Executor → harness; a no-op until the executor has accepted the stream. */
  sendDown(record: StreamRecord<S>, message: string): boolean {
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

  /** True when every stream delivered, both ways, as many messages as were sent. */
  allDelivered(): boolean {
    for (const r of this.streams.values()) {
      if (r.gotUp.length !== r.sentUp.length || r.gotDown.length !== r.sentDown.length) return false;
    }
    return true;
  }
}
