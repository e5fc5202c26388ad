/**
 * Noise relay streams over one physical socket (codex 0.169's remote mode), both sides.
 *
 * ```ts
 * const mux = new NoiseMux({ role, identity, limits?, endpoint?, clock?, log?, offerReliability? = true,
 *                            // executor only:
 *                            registration?: { environmentId, registrationId }, authorize? });
 * mux.attachSocket(socket)      // first socket or a replacement: reliable streams resume
 * mux.detachSocket()            // 0.169 streams end; reliable streams wait
 * mux.openStream({ remoteStatic, environmentId, registrationId, authorization, streamId? })  // harness
 * mux.onStream((stream) => ...) // executor: a stream whose handshake the registry validated
 * mux.close(reason?)
 * ```
 * Executor rules, in 0.169's order: a handshake for a stream that is already active or pending, more
 * than `maxStreams` streams, more than `maxPendingValidations` validations, or a msg1 that does not
 * decrypt → `reset {noise_relay_protocol_error}`; each of these, and each refused validation, is
 * charged to the socket, which is closed after `maxHandshakeFailures`. Data for an unknown stream is
 * answered with a reset; `resume`, acks and heartbeats for unknown streams are ignored (a harness
 * opens with `resume {}` before its handshake). Invalid frames are dropped silently.
 */
import { randomUUID } from "node:crypto";
import { type Clock, systemClock } from "../../util/clock.js";
import type { EndpointRole } from "../endpoint-step.js";
import { hasAckPresence, type RelayMessageFrame, resetFrame } from "../frame-codec.js";
import type { FrameSocket } from "../frame-socket.js";
import { type RelayEndpointOptions, resolveRelayEndpointOptions } from "../relay-options.js";
import { SocketStreamTable } from "../socket-stream-table.js";
import { handshakePrologue } from "./handshake-prologue.js";
import type { HybridKeyPair, HybridPublicKey } from "./hybrid-keypair.js";
import { NoiseError } from "./noise-error.js";
import { type NoiseLimits, resolveNoiseLimits } from "./noise-options.js";
import { type AuthorizationRequest, type AuthorizationVerdict, NoiseRelayStream } from "./noise-relay-stream.js";
import { NOISE_PROTOCOL_ERROR } from "./noise-suite.js";
import type { RandomSource } from "./suite-primitives.js";

/** A socket the mux may close (after too many failed handshakes). */
export interface ClosableFrameSocket extends FrameSocket {
  close?(reason?: string): void;
}

export interface NoiseMuxOptions {
  readonly role: EndpointRole;
  /** This side's static identity (the executor's is the one it registered). */
  readonly identity: HybridKeyPair;
  /** Limits (0.169's by default). */
  readonly limits?: Partial<NoiseLimits>;
  /** Reliable-channel endpoint options towards our own peers. */
  readonly endpoint?: Partial<RelayEndpointOptions>;
  /** Offer/accept our reliability layer. Default true; false speaks exactly 0.169 (tests emulate it). */
  readonly offerReliability?: boolean;
  /** Executor: the ids the registry returned (they enter every prologue); see {@link NoiseMux.updateRegistration}. */
  readonly registration?: { readonly environmentId: string; readonly registrationId: string };
  /** Executor: asks the registry about a handshake (`/validate`). */
  readonly authorize?: (request: AuthorizationRequest) => Promise<AuthorizationVerdict>;
  /** Default: the system clock. */
  readonly clock?: Clock;
  readonly log?: (message: string) => void;
  readonly newStreamId?: () => string;
  /** Test vectors only. */
  readonly random?: RandomSource;
}

/** What a harness needs to open a stream: the registry's `/connect` answer. */
export interface NoiseStreamTarget {
  readonly remoteStatic: HybridPublicKey;
  readonly environmentId: string;
  readonly registrationId: string;
  readonly authorization: string;
  readonly streamId?: string;
}

export class NoiseMux {
  readonly role: EndpointRole;
  readonly limits: NoiseLimits;
  readonly #options: NoiseMuxOptions;
  readonly #endpoint: RelayEndpointOptions;
  readonly #clock: Clock;
  readonly #log: (message: string) => void;
  readonly #table: SocketStreamTable<NoiseRelayStream, ClosableFrameSocket>;
  #pendingValidations = 0;
  #registration: { readonly environmentId: string; readonly registrationId: string } | undefined;
  #failures = 0;
  /** Handshakes refused on the current socket (for tests and logs). */
  get handshakeFailures(): number {
    return this.#failures;
  }

  constructor(options: NoiseMuxOptions) {
    this.role = options.role;
    this.#options = options;
    this.limits = resolveNoiseLimits(options.limits);
    const endpoint = resolveRelayEndpointOptions(options.endpoint);
    // A record is one segment, always: every byte a receiver acts on is then authenticated.
    this.#endpoint = { ...endpoint, maxSegmentBytes: Math.max(endpoint.maxSegmentBytes, this.limits.maxRecordBytes) };
    this.#clock = options.clock ?? systemClock;
    this.#log = options.log ?? (() => {});
    this.#registration = options.registration;
    if (options.role === "executor" && (options.registration === undefined || options.authorize === undefined)) {
      throw new Error("an executor NoiseMux needs registration and authorize");
    }
    this.#table = new SocketStreamTable<NoiseRelayStream, ClosableFrameSocket>({
      maxStreams: this.limits.maxStreams,
      log: this.#log,
      // 0.169 drops invalid frames silently; a note in the log helps debugging.
      logPrefix: "noise",
      route: (socket, frame, stream) => this.#route(socket, frame, stream),
    });
  }

  get streamCount(): number {
    return this.#table.size;
  }

  get attached(): boolean {
    return this.#table.socket !== undefined;
  }

  getStream(streamId: string): NoiseRelayStream | undefined {
    return this.#table.get(streamId);
  }

  onStream(listener: (stream: NoiseRelayStream) => void): () => void {
    return this.#table.onStream(listener);
  }

  /** Uses `socket` from now on (its handshake-failure budget starts afresh); reliable streams resume over it. */
  attachSocket(socket: ClosableFrameSocket): void {
    this.#failures = 0;
    this.#table.attachSocket(socket);
  }

  /** Forgets the current socket: 0.169 streams end, reliable streams wait for the next one. */
  detachSocket(): void {
    this.#table.detachSocket();
  }

  /** Harness side: a new stream to the executor described by `target`; its handshake starts now (or on attach). */
  openStream(target: NoiseStreamTarget): NoiseRelayStream {
    if (this.role !== "harness") throw new Error("only a harness opens Noise streams");
    const streamId = target.streamId ?? (this.#options.newStreamId ?? randomUUID)();
    this.#table.assertCanOpen(streamId);
    const stream = NoiseRelayStream.initiate({
      ...this.#common(streamId),
      localStatic: this.#options.identity,
      remoteStatic: target.remoteStatic,
      prologue: handshakePrologue({ environmentId: target.environmentId, registrationId: target.registrationId, streamId }),
      authorization: target.authorization,
      offerReliability: this.#options.offerReliability ?? true,
    });
    this.#table.add(stream);
    if (this.attached) stream.attach();
    return stream;
  }

  /**
   * Executor: a new registration (after the registry issued a new one). New handshakes use its ids;
   * established streams keep their keys and continue.
   */
  updateRegistration(registration: { readonly environmentId: string; readonly registrationId: string }): void {
    this.#registration = registration;
  }

  /** Resets every stream and detaches the socket. */
  close(reason = "relay_closed"): void {
    this.#table.close(reason);
  }

  #common(streamId: string) {
    return {
      streamId,
      clock: this.#clock,
      limits: this.limits,
      endpoint: this.#endpoint,
      sendFrame: (frame: RelayMessageFrame) => this.#table.sendFrame(frame),
      log: this.#log,
      sharedRtt: this.#table.rtt,
      ...(this.#options.random ? { random: this.#options.random } : {}),
    };
  }

  #route(socket: ClosableFrameSocket, frame: RelayMessageFrame, existing: NoiseRelayStream | undefined): void {
    const kind = frame.body.case;
    if (existing !== undefined) {
      if (kind === "handshake" && this.role === "executor") this.#charge(socket, `duplicate handshake for stream ${frame.streamId}`);
      existing.receiveFrame(frame);
      return;
    }
    if (this.role === "harness") return;
    if (kind === "data") {
      this.#refuse(frame, `data for unknown stream ${frame.streamId}`);
      return;
    }
    if (kind !== "handshake") return;
    if (this.#table.full) return this.#refuseHandshake(socket, frame, `more than ${this.limits.maxStreams} streams`);
    if (this.#pendingValidations >= this.limits.maxPendingValidations) return this.#refuseHandshake(socket, frame, `more than ${this.limits.maxPendingValidations} validations pending`);
    const registration = this.#registration!;
    let accepted;
    try {
      accepted = NoiseRelayStream.respond(
        {
          ...this.#common(frame.streamId),
          localStatic: this.#options.identity,
          prologue: handshakePrologue({ ...registration, streamId: frame.streamId }),
          registrationId: registration.registrationId,
          authorize: this.#options.authorize!,
          offerReliability: this.#options.offerReliability ?? true,
        },
        frame,
      );
    } catch (error) {
      if (!(error instanceof NoiseError)) throw error;
      return this.#refuseHandshake(socket, frame, `handshake refused: ${error.message}`);
    }
    const { stream, verdict } = accepted;
    this.#table.add(stream);
    this.#pendingValidations += 1;
    void verdict.then((answer) => {
      this.#pendingValidations -= 1;
      if (answer === "invalid") {
        if (this.#table.socket === socket) this.#charge(socket, `registry refused the harness key of stream ${stream.streamId}`);
        return;
      }
      if (stream.phase !== "open") return;
      this.#table.announce(stream);
    });
  }

  #refuse(frame: RelayMessageFrame, why: string): void {
    this.#log(`noise: ${why}; resetting`);
    this.#table.sendFrame(resetFrame(frame.streamId, NOISE_PROTOCOL_ERROR, hasAckPresence(frame) ? { ack: 0, ackBits: 0 } : undefined));
  }

  #refuseHandshake(socket: ClosableFrameSocket, frame: RelayMessageFrame, why: string): void {
    this.#refuse(frame, why);
    this.#charge(socket, why);
  }

  /** Charges one failed handshake to the socket; closes it once the budget is spent (0.169: 8). */
  #charge(socket: ClosableFrameSocket, why: string): void {
    this.#failures += 1;
    if (this.#failures < this.limits.maxHandshakeFailures) return;
    this.#log(`noise: ${this.#failures} failed handshakes on this socket (last: ${why}); closing it`);
    socket.close?.("too many failed Noise handshakes");
    if (this.#table.socket === socket) this.detachSocket();
  }
}
