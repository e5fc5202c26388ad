/**
 * The part both relay multiplexers ({@link RelayMux}, cleartext, and `NoiseMux`, codex 0.169's
 * encrypted remote mode) share: one current physical {@link FrameSocket} that can be replaced, the
 * table of virtual streams on it, inbound-stream announcements and the socket's shared RTT estimate.
 * Streams are kept across sockets: attaching a socket attaches (resumes) every stream, detaching
 * detaches them. What to do with a frame (and with one for an unknown stream) is the owner's:
 * every valid frame of the current socket goes to its `route` callback.
 */
import { encodeFrame, parseFrame, type RelayMessageFrame } from "./frame-codec.js";
import type { FrameSocket } from "./frame-socket.js";
import { INITIAL_RTT, sampleRtt, type SharedRtt } from "./rtt-estimator.js";

/** What the table needs of a stream. */
export interface TableStream {
  readonly streamId: string;
  /** A socket is (again) available. */
  attach(): void;
  /** The socket is gone. */
  detach(): void;
  /** Ends the stream (sends a reset). */
  close(reason?: string): void;
  onClose(listener: (reason: string) => void): () => void;
}

/** Options of {@link SocketStreamTable}. */
export interface SocketStreamTableInit<S extends TableStream, Socket extends FrameSocket> {
  /** Stream limit per socket (what {@link SocketStreamTable.full} and {@link SocketStreamTable.assertCanOpen} check). */
  readonly maxStreams: number;
  /** Receives dropped-frame notes. */
  readonly log: (message: string) => void;
  /** First word of those notes, e.g. `relay` or `noise`. */
  readonly logPrefix: string;
  /** A valid frame from the current socket, with its stream when the table has one. */
  readonly route: (socket: Socket, frame: RelayMessageFrame, stream: S | undefined) => void;
}

/** A socket binding plus a stream table; the multiplexers compose one (see the module comment). */
export class SocketStreamTable<S extends TableStream, Socket extends FrameSocket = FrameSocket> {
  /** The latest RTT estimate of any stream: a new stream starts from it (see `RelayStreamInit.sharedRtt`). */
  readonly rtt: SharedRtt = { estimate: INITIAL_RTT };
  readonly #init: SocketStreamTableInit<S, Socket>;
  readonly #streams = new Map<string, S>();
  readonly #streamListeners = new Set<(stream: S) => void>();
  #socket: Socket | undefined;
  #unsubscribe: (() => void)[] = [];

  constructor(init: SocketStreamTableInit<S, Socket>) {
    this.#init = init;
  }

  get size(): number {
    return this.#streams.size;
  }

  /** True when the table is at `maxStreams`. */
  get full(): boolean {
    return this.#streams.size >= this.#init.maxStreams;
  }

  /** The current socket, if any. */
  get socket(): Socket | undefined {
    return this.#socket;
  }

  get(streamId: string): S | undefined {
    return this.#streams.get(streamId);
  }

  /** Throws when an outbound stream `streamId` cannot be opened (id in use, or the table is full). */
  assertCanOpen(streamId: string): void {
    if (this.#streams.has(streamId)) throw new Error(`relay stream ${streamId} is already open`);
    if (this.full) throw new Error(`relay_stream_limit: at most ${this.#init.maxStreams} streams per socket`);
  }

  /** Adds `stream`; it leaves the table when it closes. */
  add(stream: S): void {
    const streamId = stream.streamId;
    this.#streams.set(streamId, stream);
    stream.onClose(() => {
      if (this.#streams.get(streamId) === stream) this.#streams.delete(streamId);
    });
  }

  /** Calls `listener` for every stream passed to {@link announce}; returns an unsubscribe function. */
  onStream(listener: (stream: S) => void): () => void {
    this.#streamListeners.add(listener);
    return () => this.#streamListeners.delete(listener);
  }

  /** Tells the `onStream` listeners about a new inbound stream. */
  announce(stream: S): void {
    for (const listener of [...this.#streamListeners]) listener(stream);
  }

  /** Uses `socket` from now on; every stream is attached to it (resumes). */
  attachSocket(socket: Socket): void {
    this.#release();
    this.#socket = socket;
    // Seed the shared RTT from the socket's opening round trip while no stream has measured one.
    if (this.rtt.estimate.srtt === undefined && socket.openRttMs !== undefined && Number.isFinite(socket.openRttMs)) {
      this.rtt.estimate = sampleRtt(INITIAL_RTT, socket.openRttMs);
    }
    this.#unsubscribe = [
      socket.onFrame((bytes) => this.#receive(socket, bytes)),
      socket.onClose(() => {
        if (this.#socket === socket) this.detachSocket();
      }),
    ];
    for (const stream of [...this.#streams.values()]) stream.attach();
  }

  /** Forgets the current socket; every stream is detached (and keeps what it can for the next one). */
  detachSocket(): void {
    if (this.#socket === undefined) return;
    this.#release();
    for (const stream of [...this.#streams.values()]) stream.detach();
  }

  /** Closes every stream with `reason` and detaches the socket. */
  close(reason: string): void {
    for (const stream of [...this.#streams.values()]) stream.close(reason);
    this.detachSocket();
  }

  /** Puts one frame on the current socket. */
  sendFrame(frame: RelayMessageFrame): void {
    // Without a socket the frame is dropped on purpose: reliable peers get it again on resume.
    this.#socket?.send(encodeFrame(frame));
  }

  #release(): void {
    for (const u of this.#unsubscribe) u();
    this.#unsubscribe = [];
    this.#socket = undefined;
  }

  #receive(socket: Socket, bytes: Uint8Array): void {
    if (socket !== this.#socket) return;
    const parsed = parseFrame(bytes);
    if (!parsed.ok) {
      this.#init.log(`${this.#init.logPrefix}: dropped frame: ${parsed.error.message}`);
      return;
    }
    this.#init.route(socket, parsed.frame, this.#streams.get(parsed.frame.streamId));
  }
}
