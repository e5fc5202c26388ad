/**
 * Relay multiplexer: many virtual streams over one physical "frame socket" (one websocket binary
 * message = one encoded `RelayMessageFrame`), used on both sides of the rendezvous.
 *
 * API
 * ```ts
 * const mux = new RelayMux({ role: "harness" | "executor", clock?, maxStreams? = 128,
 *                            endpoint?: Partial<RelayEndpointOptions>, log?, newStreamId? });
 * mux.attachSocket(socket: FrameSocket): void  // first socket, or a replacement after reconnect:
 *                                              // every stream sends `resume` and replays unacked data
 * mux.detachSocket(): void                     // socket gone; streams keep their state
 * mux.openStream(streamId?: string): RelayStream   // harness side; RelayStream is a MessageTransport
 * mux.onStream((stream: RelayStream) => void): () => void  // executor side: a new inbound stream
 *                                              // (data/resume with an unknown stream_id); subscribe
 *                                              // to stream.onMessage inside the callback
 * mux.resetStream(streamId: string, reason: string): void  // ends one stream (sends reset)
 * mux.getStream(streamId): RelayStream | undefined;  mux.streamCount: number
 * mux.close(reason?: string): void             // resets every stream, detaches the socket
 * ```
 * Each `RelayStream` carries whole JSON texts: `send(json)`, `onMessage`, `onClose(reason)`,
 * `close(reason?)` (= reset). A peer `reset` ends only that stream (its `onClose` gets the reason);
 * on the executor a later data frame with the same id creates a fresh stream. Beyond `maxStreams`
 * inbound streams are refused with `reset {relay_stream_limit: ...}` and `openStream` throws.
 * Invalid frames are logged and dropped, never thrown.
 */
import { randomUUID } from "node:crypto";
import { type Clock, systemClock } from "../util/clock.js";
import type { EndpointRole } from "./endpoint-step.js";
import { hasAckPresence, type RelayMessageFrame, resetFrame } from "./frame-codec.js";
import type { FrameSocket } from "./frame-socket.js";
import { type RelayEndpointOptions, resolveRelayEndpointOptions } from "./relay-options.js";
import { RelayStream } from "./relay-stream.js";
import { SocketStreamTable } from "./socket-stream-table.js";

export type { FrameSocket } from "./frame-socket.js";

export interface RelayMuxOptions {
  readonly role: EndpointRole;
  /** Default: the system clock. */
  readonly clock?: Clock;
  /** Concurrent streams; default 128 (upstream's later branch). */
  readonly maxStreams?: number;
  /** Per-stream endpoint limits and timers (see `RelayEndpointOptions`). */
  readonly endpoint?: Partial<RelayEndpointOptions>;
  /** Receives dropped-frame notes; default: none. */
  readonly log?: (message: string) => void;
  /** Stream id generator for `openStream()`; default `crypto.randomUUID`. */
  readonly newStreamId?: () => string;
}

export const DEFAULT_MAX_STREAMS = 128;

export class RelayMux {
  readonly role: EndpointRole;
  readonly #clock: Clock;
  readonly #maxStreams: number;
  readonly #endpoint: RelayEndpointOptions;
  readonly #log: (message: string) => void;
  readonly #newStreamId: () => string;
  readonly #table: SocketStreamTable<RelayStream>;

  constructor(options: RelayMuxOptions) {
    this.role = options.role;
    this.#clock = options.clock ?? systemClock;
    this.#maxStreams = options.maxStreams ?? DEFAULT_MAX_STREAMS;
    if (!Number.isSafeInteger(this.#maxStreams) || this.#maxStreams <= 0) throw new RangeError(`relay option maxStreams must be a positive integer, got ${this.#maxStreams}`);
    this.#endpoint = resolveRelayEndpointOptions(options.endpoint);
    this.#log = options.log ?? (() => {});
    this.#newStreamId = options.newStreamId ?? randomUUID;
    this.#table = new SocketStreamTable<RelayStream>({
      maxStreams: this.#maxStreams,
      log: this.#log,
      logPrefix: "relay",
      route: (_socket, frame, stream) => this.#route(frame, stream),
    });
  }

  get streamCount(): number {
    return this.#table.size;
  }

  get attached(): boolean {
    return this.#table.socket !== undefined;
  }

  getStream(streamId: string): RelayStream | undefined {
    return this.#table.get(streamId);
  }

  onStream(listener: (stream: RelayStream) => void): () => void {
    return this.#table.onStream(listener);
  }

  /** Uses `socket` from now on; every existing stream resumes over it. */
  attachSocket(socket: FrameSocket): void {
    this.#table.attachSocket(socket);
  }

  /** Forgets the current socket; streams keep their state until the next `attachSocket`. */
  detachSocket(): void {
    this.#table.detachSocket();
  }

  /** Opens a new outbound stream (harness side); sends `resume {next_seq: 0}` when attached. */
  openStream(streamId: string = this.#newStreamId()): RelayStream {
    if (streamId === "") throw new RangeError("relay stream id must not be empty");
    this.#table.assertCanOpen(streamId);
    const stream = this.#create(streamId, undefined);
    if (this.attached) stream.attach();
    return stream;
  }

  /** Ends one stream with `reason` (sends `reset`). Unknown ids are ignored. */
  resetStream(streamId: string, reason: string): void {
    this.#table.get(streamId)?.close(reason);
  }

  /** Resets every stream with `reason` and detaches the socket. */
  close(reason = "relay_closed"): void {
    this.#table.close(reason);
  }

  #create(streamId: string, peer: "reliable" | "legacy" | undefined): RelayStream {
    const stream = new RelayStream({
      streamId,
      role: this.role,
      options: this.#endpoint,
      clock: this.#clock,
      sendFrame: (frame) => this.#table.sendFrame(frame),
      log: this.#log,
      sharedRtt: this.#table.rtt,
      ...(peer === undefined ? {} : { peer }),
    });
    this.#table.add(stream);
    return stream;
  }

  #route(frame: RelayMessageFrame, existing: RelayStream | undefined): void {
    if (existing !== undefined) {
      existing.receiveFrame(frame);
      return;
    }
    const kind = frame.body.case;
    if (this.role === "harness" || (kind !== "data" && kind !== "resume")) {
      // Late frames of an ended stream (or a reset for it) have nothing to act on.
      if (kind !== "reset") this.#log(`relay: dropped ${kind} frame for unknown stream ${frame.streamId}`);
      return;
    }
    if (this.#table.full) {
      const reason = `relay_stream_limit: at most ${this.#maxStreams} streams per socket`;
      this.#log(`relay: refused stream ${frame.streamId}: ${reason}`);
      this.#table.sendFrame(resetFrame(frame.streamId, reason, hasAckPresence(frame) ? { ack: 0, ackBits: 0 } : undefined));
      return;
    }
    const stream = this.#create(frame.streamId, hasAckPresence(frame) ? "reliable" : "legacy");
    this.#table.announce(stream);
    stream.attach({ resume: false });
    stream.receiveFrame(frame);
  }
}
