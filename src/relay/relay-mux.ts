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
import { encodeFrame, hasAckPresence, parseFrame, type RelayMessageFrame, resetFrame } from "./frame-codec.js";
import { type RelayEndpointOptions, resolveRelayEndpointOptions } from "./relay-options.js";
import { RelayStream } from "./relay-stream.js";
import { INITIAL_RTT, sampleRtt, type SharedRtt } from "./rtt-estimator.js";

/** The physical connection (e.g. a websocket in binary mode, or an in-memory twin). */
export interface FrameSocket {
  /** Sends one encoded frame as one binary message. Must not throw after close (drop instead). */
  send(bytes: Uint8Array): void;
  /** Registers the inbound binary-message listener; returns an unsubscribe function. */
  onFrame(listener: (bytes: Uint8Array) => void): () => void;
  /** Registers a listener called once when the socket closes; returns an unsubscribe function. */
  onClose(listener: (reason: string) => void): () => void;
  /**
   * A round-trip time (ms) measured while the socket was set up (a dialled websocket: its opening
   * handshake), when known. Until a stream has measured its own, new streams start from it, so the
   * first exchange of a fresh mux is repaired by a probe instead of waiting `initialRtoMs`.
   */
  readonly openRttMs?: number;
}

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

/** Seeds `rtt` from the socket's opening round trip while no stream has measured one. */
export function seedRtt(rtt: SharedRtt, socket: FrameSocket): void {
  if (rtt.estimate.srtt === undefined && socket.openRttMs !== undefined && Number.isFinite(socket.openRttMs)) {
    rtt.estimate = sampleRtt(INITIAL_RTT, socket.openRttMs);
  }
}

export class RelayMux {
  readonly role: EndpointRole;
  readonly #clock: Clock;
  readonly #maxStreams: number;
  readonly #endpoint: RelayEndpointOptions;
  readonly #log: (message: string) => void;
  readonly #newStreamId: () => string;
  readonly #streams = new Map<string, RelayStream>();
  readonly #streamListeners = new Set<(stream: RelayStream) => void>();
  /** The latest RTT estimate of any stream: a new stream starts from it (see `RelayStreamInit.sharedRtt`). */
  readonly #rtt: SharedRtt = { estimate: INITIAL_RTT };
  #socket: FrameSocket | undefined;
  #unsubscribe: (() => void)[] = [];

  constructor(options: RelayMuxOptions) {
    this.role = options.role;
    this.#clock = options.clock ?? systemClock;
    this.#maxStreams = options.maxStreams ?? DEFAULT_MAX_STREAMS;
    if (!Number.isSafeInteger(this.#maxStreams) || this.#maxStreams <= 0) throw new RangeError(`relay option maxStreams must be a positive integer, got ${this.#maxStreams}`);
    this.#endpoint = resolveRelayEndpointOptions(options.endpoint);
    this.#log = options.log ?? (() => {});
    this.#newStreamId = options.newStreamId ?? randomUUID;
  }

  get streamCount(): number {
    return this.#streams.size;
  }

  get attached(): boolean {
    return this.#socket !== undefined;
  }

  getStream(streamId: string): RelayStream | undefined {
    return this.#streams.get(streamId);
  }

  onStream(listener: (stream: RelayStream) => void): () => void {
    this.#streamListeners.add(listener);
    return () => this.#streamListeners.delete(listener);
  }

  /** Uses `socket` from now on; every existing stream resumes over it. */
  attachSocket(socket: FrameSocket): void {
    this.#release();
    this.#socket = socket;
    seedRtt(this.#rtt, socket);
    this.#unsubscribe = [
      socket.onFrame((bytes) => this.#receive(socket, bytes)),
      socket.onClose(() => {
        if (this.#socket === socket) this.detachSocket();
      }),
    ];
    for (const stream of [...this.#streams.values()]) stream.attach();
  }

  /** Forgets the current socket; streams keep their state until the next `attachSocket`. */
  detachSocket(): void {
    if (this.#socket === undefined) return;
    this.#release();
    for (const stream of [...this.#streams.values()]) stream.detach();
  }

  /** Opens a new outbound stream (harness side); sends `resume {next_seq: 0}` when attached. */
  openStream(streamId: string = this.#newStreamId()): RelayStream {
    if (streamId === "") throw new RangeError("relay stream id must not be empty");
    if (this.#streams.has(streamId)) throw new Error(`relay stream ${streamId} is already open`);
    if (this.#streams.size >= this.#maxStreams) throw new Error(`relay_stream_limit: at most ${this.#maxStreams} streams per socket`);
    const stream = this.#create(streamId, undefined);
    if (this.#socket !== undefined) stream.attach();
    return stream;
  }

  /** Ends one stream with `reason` (sends `reset`). Unknown ids are ignored. */
  resetStream(streamId: string, reason: string): void {
    this.#streams.get(streamId)?.close(reason);
  }

  /** Resets every stream with `reason` and detaches the socket. */
  close(reason = "relay_closed"): void {
    for (const stream of [...this.#streams.values()]) stream.close(reason);
    this.detachSocket();
  }

  #release(): void {
    for (const u of this.#unsubscribe) u();
    this.#unsubscribe = [];
    this.#socket = undefined;
  }

  #sendFrame(frame: RelayMessageFrame): void {
    // Without a socket the frame is dropped on purpose: reliable peers get it again on resume.
    this.#socket?.send(encodeFrame(frame));
  }

  #create(streamId: string, peer: "reliable" | "legacy" | undefined): RelayStream {
    const stream = new RelayStream({
      streamId,
      role: this.role,
      options: this.#endpoint,
      clock: this.#clock,
      sendFrame: (frame) => this.#sendFrame(frame),
      log: this.#log,
      sharedRtt: this.#rtt,
      ...(peer === undefined ? {} : { peer }),
    });
    this.#streams.set(streamId, stream);
    stream.onClose(() => {
      if (this.#streams.get(streamId) === stream) this.#streams.delete(streamId);
    });
    return stream;
  }

  #receive(socket: FrameSocket, bytes: Uint8Array): void {
    if (socket !== this.#socket) return;
    const parsed = parseFrame(bytes);
    if (!parsed.ok) {
      this.#log(`relay: dropped frame: ${parsed.error.message}`);
      return;
    }
    const frame = parsed.frame;
    const existing = this.#streams.get(frame.streamId);
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
    if (this.#streams.size >= this.#maxStreams) {
      const reason = `relay_stream_limit: at most ${this.#maxStreams} streams per socket`;
      this.#log(`relay: refused stream ${frame.streamId}: ${reason}`);
      this.#sendFrame(resetFrame(frame.streamId, reason, hasAckPresence(frame) ? { ack: 0, ackBits: 0 } : undefined));
      return;
    }
    const stream = this.#create(frame.streamId, hasAckPresence(frame) ? "reliable" : "legacy");
    for (const listener of [...this.#streamListeners]) listener(stream);
    stream.attach({ resume: false });
    stream.receiveFrame(frame);
  }
}
