/**
 * One end-to-end encrypted relay stream (codex 0.169 Noise relay), as a {@link MessageTransport}.
 *
 * Phases: `handshaking` → `open` → `closed`. The harness (initiator) opens with `resume {}` and
 * `handshake {msg1 = Noise(authorization)}` and waits for `handshake {msg2}`; the executor (responder)
 * reads msg1, asks its `authorize` callback (the registry's `/validate`), then answers msg2 (empty),
 * the rejection marker (registry 401) or a reset. Once open, each JSON-RPC message is framed
 * (`u32 BE length ‖ JSON`) into records of at most 60 KiB, each sealed with the stream's transport
 * key under the nonce = its data frame's `seq`.
 *
 * Two record channels, chosen by the peer's capability exactly as for cleartext streams (`ack`
 * presence on its first frame; docs/relay.md):
 * - **reliable** (our peers): a {@link RelayStream} endpoint carries the records: acks, retransmission,
 *   resume after a socket loss; data is sealed as it leaves and opened as it arrives, so the
 *   rendezvous only ever sees ciphertext. Records are never segmented (`segment_count` is 1), so
 *   every byte the receiver acts on is authenticated.
 * - **0.169** (legacy peers): seq from 0, no acks, the receiver's 64-record/1 MiB reorder window,
 *   duplicates dropped; a socket loss ends the stream.
 *
 * Any failure (bad handshake, decrypt failure, window overflow, data before msg2) resets the stream
 * with 0.169's only reason, `noise_relay_protocol_error`; the detail goes to the log only. Towards a
 * 0.169 peer every reset carries that reason; our peers also get the reasons of ordinary closes.
 */
import type { FlowControl, MessageTransport } from "../../rpc/message-transport.js";
import type { Clock, TimerHandle } from "../../util/clock.js";
import type { EndpointRole } from "../endpoint-step.js";
import { dataFrame, handshakeFrame, hasAckPresence, type RelayMessageFrame, resetFrame, resumeFrame, type AckFields } from "../frame-codec.js";
import type { RelayEndpointOptions } from "../relay-options.js";
import { RelayStream } from "../relay-stream.js";
import { StreamListeners } from "../stream-listeners.js";
import type { SharedRtt } from "../rtt-estimator.js";
import type { TransportCipher } from "./cipher-state.js";
import { HybridIkInitiator, HybridIkResponder, type TransportKeys } from "./hybrid-ik-handshake.js";
import type { HybridKeyPair, HybridPublicKey } from "./hybrid-keypair.js";
import { frameMessage, MessageDeframer } from "./message-framing.js";
import { NoiseError } from "./noise-error.js";
import type { NoiseLimits } from "./noise-options.js";
import { NOISE_PROTOCOL_ERROR, REGISTRY_REJECTION_PAYLOAD } from "./noise-suite.js";
import { OrderedRecords } from "./ordered-records.js";
import type { RandomSource } from "./suite-primitives.js";

/** The registry's verdict on a harness key and authorization (0.169 `/validate`). */
export type AuthorizationVerdict =
  /** `{"valid": true}`: answer msg2 and serve the stream. */
  | "valid"
  /** `{"valid": false}`, 403, 5xx, timeout: reset the stream. */
  | "invalid"
  /** 401: complete the handshake with the rejection marker, so the harness stops retrying. */
  | "rejected";

/** What the executor asks its registry about one handshake. */
export interface AuthorizationRequest {
  readonly streamId: string;
  /** The registration whose id is in this stream's prologue. */
  readonly registrationId: string;
  readonly harnessKey: HybridPublicKey;
  /** The msg1 payload (UTF-8), as the registry issued it to the harness. */
  readonly authorization: string;
}

/** Shared by both roles. */
interface CommonInit {
  readonly streamId: string;
  readonly clock: Clock;
  readonly limits: NoiseLimits;
  /** Endpoint options of the reliable channel (our peers). */
  readonly endpoint: RelayEndpointOptions;
  /** Puts a frame on the current socket (dropped when there is none). */
  readonly sendFrame: (frame: RelayMessageFrame) => void;
  readonly log: (message: string) => void;
  readonly random?: RandomSource;
  /** The RTT estimate the socket's streams share (the mux's), for the reliable channel. Default none. */
  readonly sharedRtt?: SharedRtt;
}

/** Harness side. */
export interface InitiatorInit extends CommonInit {
  readonly localStatic: HybridKeyPair;
  readonly remoteStatic: HybridPublicKey;
  readonly prologue: Uint8Array;
  readonly authorization: string;
  /** Offer our reliability layer (acks on our frames). Default true; false behaves exactly like a 0.169 harness. */
  readonly offerReliability?: boolean;
}

/** Executor side: created from the harness's msg1 frame. */
export interface ResponderInit extends CommonInit {
  readonly localStatic: HybridKeyPair;
  readonly prologue: Uint8Array;
  /** The registration id in `prologue`. */
  readonly registrationId: string;
  readonly authorize: (request: AuthorizationRequest) => Promise<AuthorizationVerdict>;
  /** Accept our reliability layer when the harness offers it. Default true. */
  readonly offerReliability?: boolean;
}

type Phase = "handshaking" | "open" | "closed";
const ACKS_ZERO: AckFields = { ack: 0, ackBits: 0 };
const decoder = new TextDecoder("utf-8", { fatal: true });
const encoder = new TextEncoder();

export class NoiseRelayStream implements MessageTransport {
  readonly streamId: string;
  readonly role: EndpointRole;
  readonly #init: CommonInit;
  readonly #offerReliability: boolean;
  #phase: Phase = "handshaking";
  #peer: "reliable" | "legacy" | "unknown" = "unknown";
  #initiator: HybridIkInitiator | undefined;
  #initiatorMessage: Uint8Array | undefined;
  #helloSent = false;
  #keys: TransportKeys | undefined;
  #reliable: RelayStream | undefined;
  #legacySendSeq = 0;
  #window: OrderedRecords | undefined;
  readonly #deframer: MessageDeframer;
  readonly #queued: string[] = [];
  #handshakeTimer: TimerHandle | undefined;
  #harnessKey: HybridPublicKey | undefined;
  readonly #listeners: StreamListeners;
  readonly #openListeners = new Set<() => void>();
  #rejected = false;

  private constructor(init: CommonInit, role: EndpointRole, offerReliability: boolean) {
    this.#init = init;
    this.streamId = init.streamId;
    this.role = role;
    this.#offerReliability = offerReliability;
    this.#listeners = new StreamListeners({ streamId: init.streamId, log: init.log, logPrefix: "noise" });
    this.#deframer = new MessageDeframer({ maxRecordBytes: init.limits.maxRecordBytes, maxMessageBytes: init.limits.maxMessageBytes });
  }

  /** Harness side: a stream that sends `resume` + msg1 on its first {@link attach}. */
  static initiate(init: InitiatorInit): NoiseRelayStream {
    const stream = new NoiseRelayStream(init, "harness", init.offerReliability ?? true);
    stream.#initiator = new HybridIkInitiator({ localStatic: init.localStatic, remoteStatic: init.remoteStatic, prologue: init.prologue, ...(init.random ? { random: init.random } : {}) });
    stream.#initiatorMessage = stream.#initiator.writeMessage1(encoder.encode(init.authorization));
    return stream;
  }

  /**
   * Executor side: reads msg1 at once. Throws a {@link NoiseError} when msg1 is not for this
   * executor's key and stream (the caller resets and charges the socket's failure budget); otherwise
   * the stream validates asynchronously and `verdict` resolves to the registry's answer.
   */
  static respond(init: ResponderInit, msg1Frame: RelayMessageFrame): { stream: NoiseRelayStream; verdict: Promise<AuthorizationVerdict> } {
    if (msg1Frame.body.case !== "handshake") throw new NoiseError("protocol", "a stream must start with a handshake");
    const stream = new NoiseRelayStream(init, "executor", init.offerReliability ?? true);
    stream.#peer = stream.#offerReliability && hasAckPresence(msg1Frame) ? "reliable" : "legacy";
    const responder = new HybridIkResponder({ localStatic: init.localStatic, prologue: init.prologue, ...(init.random ? { random: init.random } : {}) });
    const { payload, remoteStatic } = responder.readMessage1(msg1Frame.body.value.payload);
    let authorization: string;
    try {
      authorization = decoder.decode(payload);
    } catch {
      throw new NoiseError("handshake", "the authorization is not UTF-8");
    }
    stream.#harnessKey = remoteStatic;
    const verdict = init
      .authorize({ streamId: init.streamId, registrationId: init.registrationId, harnessKey: remoteStatic, authorization })
      .catch((error: unknown) => {
        init.log(`noise: validating stream ${init.streamId} failed: ${error instanceof Error ? error.message : String(error)}`);
        return "invalid" as const;
      })
      .then((verdict) => {
        stream.#answer(responder, verdict);
        return verdict;
      });
    return { stream, verdict };
  }

  get phase(): Phase {
    return this.#phase;
  }

  /** The peer's reliability capability (`unknown` until the handshake completes on the harness). */
  get peer(): "reliable" | "legacy" | "unknown" {
    return this.#peer;
  }

  /** Executor side: the harness's static key from msg1. */
  get harnessKey(): HybridPublicKey | undefined {
    return this.#harnessKey;
  }

  get closedReason(): string | undefined {
    return this.#listeners.closedReason;
  }

  get closedByPeer(): boolean {
    return this.#listeners.closedByPeer;
  }

  /** True when the executor answered with the registry-rejection marker (terminal for a harness). */
  get rejected(): boolean {
    return this.#rejected;
  }

  get maxMessageBytes(): number {
    return this.#init.limits.maxMessageBytes;
  }

  /** Backpressure of the reliable channel; towards 0.169 peers (and before the handshake) never congested. */
  readonly flow: FlowControl = {
    congested: () => this.#reliable?.flow.congested() ?? false,
    bufferedBytes: () => this.#reliable?.flow.bufferedBytes() ?? 0,
    onDrain: (listener) => this.#reliable?.flow.onDrain(listener) ?? (() => {}),
  };

  /** Runs `listener` once the handshake completed (at once if it already has). */
  onOpen(listener: () => void): () => void {
    if (this.#phase === "open") {
      queueMicrotask(listener);
      return () => {};
    }
    this.#openListeners.add(listener);
    return () => this.#openListeners.delete(listener);
  }

  send(message: string): void {
    if (this.#phase === "closed") return;
    if (this.#phase === "handshaking") {
      // A 0.169 harness sends nothing before msg2; ours queues until then.
      this.#queued.push(message);
      return;
    }
    this.#sendBytes(encoder.encode(message));
  }

  sendBytes(utf8: Uint8Array): void {
    if (this.#phase === "handshaking") return this.send(decoder.decode(utf8));
    if (this.#phase === "open") this.#sendBytes(utf8);
  }

  onMessage(listener: (message: string) => void): () => void {
    return this.#listeners.onMessage(listener);
  }

  onClose(listener: (reason: string) => void): () => void {
    return this.#listeners.onClose(listener);
  }

  /** Ends the stream: sends `reset {noise_relay_protocol_error}` and closes locally with `reason`. */
  close(reason = "stream_closed"): void {
    if (this.#phase === "closed") return;
    if (this.#reliable !== undefined) {
      // The reliable endpoint sends the reset (reason rewritten on the way out) and reports back.
      this.#reliable.close(reason);
      this.#finish(reason, false);
      return;
    }
    this.#sendReset();
    this.#finish(reason, false);
  }

  /** A socket is (again) available. Harness: the first one carries `resume` + msg1; our peers resume. */
  attach(): void {
    if (this.#phase === "closed") return;
    if (this.#phase === "handshaking" && this.role === "harness" && !this.#helloSent) {
      this.#helloSent = true;
      const acks = this.#offerReliability ? ACKS_ZERO : undefined;
      this.#init.sendFrame(resumeFrame(this.streamId, 0, acks));
      this.#init.sendFrame(handshakeFrame(this.streamId, this.#initiatorMessage!, acks));
      this.#initiatorMessage = undefined;
      this.#handshakeTimer = this.#init.clock.setTimeout(() => this.#fail(new NoiseError("protocol", `no handshake response within ${this.#init.limits.handshakeTimeoutMs} ms`)), this.#init.limits.handshakeTimeoutMs);
      return;
    }
    this.#reliable?.attach();
  }

  /** The socket is gone: 0.169 streams and unfinished handshakes end; reliable streams wait for the next one. */
  detach(): void {
    if (this.#phase === "closed") return;
    if (this.#phase === "open" && this.#reliable !== undefined) {
      this.#reliable.detach();
      return;
    }
    this.#finish("noise_socket_lost", false);
  }

  /** A valid frame of this stream from the socket. */
  receiveFrame(frame: RelayMessageFrame): void {
    if (this.#phase === "closed") return;
    const body = frame.body;
    if (body.case === "reset") {
      if (this.#reliable !== undefined) this.#reliable.receiveFrame(frame);
      this.#finish(body.value.reason, true);
      return;
    }
    try {
      if (this.#phase === "handshaking") this.#receiveHandshaking(frame);
      else this.#receiveOpen(frame);
    } catch (error) {
      if (!(error instanceof NoiseError)) throw error;
      this.#fail(error);
    }
  }

  #receiveHandshaking(frame: RelayMessageFrame): void {
    const body = frame.body;
    if (this.role === "executor") {
      // 0.169: nothing but a reset is acceptable before msg2 is sent; a second msg1 is a protocol error.
      if (body.case === "data" || body.case === "handshake") throw new NoiseError("protocol", `${body.case} frame before the handshake completed`);
      return;
    }
    if (body.case === "data") throw new NoiseError("protocol", "data before the handshake response");
    if (body.case !== "handshake") return;
    this.#init.clock.clearTimeout(this.#handshakeTimer);
    const { payload, keys } = this.#initiator!.readMessage2(body.value.payload);
    this.#initiator = undefined;
    if (payload.length > 0) {
      if (decodeOrEmpty(payload) === REGISTRY_REJECTION_PAYLOAD) {
        this.#rejected = true;
        this.#init.log(`noise: stream ${this.streamId}: the executor's registry rejected the credentials`);
        this.#finish("environment registry authentication error: executor credentials rejected", true);
        return;
      }
      throw new NoiseError("protocol", "handshake response payload must be empty");
    }
    this.#peer = this.#offerReliability && hasAckPresence(frame) ? "reliable" : "legacy";
    this.#open(keys);
  }

  #receiveOpen(frame: RelayMessageFrame): void {
    const body = frame.body;
    if (body.case === "handshake") throw new NoiseError("protocol", "handshake frame on an open stream");
    if (this.#reliable !== undefined) {
      if (body.case !== "data") {
        this.#reliable.receiveFrame(frame);
        return;
      }
      const data = body.value;
      if (data.segmentIndex !== 0 || data.segmentCount !== 1) throw new NoiseError("protocol", "a Noise record must be one segment");
      const plaintext = this.#keys!.receive.open(data.seq, data.payload);
      this.#reliable.receiveFrame({ ...frame, body: { case: "data", value: { ...data, payload: plaintext } } });
      return;
    }
    // 0.169 peer: acks, heartbeats and resumes carry nothing for us.
    if (body.case !== "data") return;
    const data = body.value;
    if (data.segmentIndex !== 0 || data.segmentCount !== 1) throw new NoiseError("protocol", "a Noise record must be one segment");
    const result = this.#window!.accept(data.seq, data.payload);
    if (result.kind === "duplicate") return;
    if (result.kind === "buffered") return;
    for (const record of result.records) this.#receiveRecord(this.#keys!.receive.open(record.seq, record.payload));
  }

  #receiveRecord(plaintext: Uint8Array): void {
    for (const message of this.#deframer.push(plaintext)) {
      let text: string;
      try {
        text = decoder.decode(message);
      } catch {
        throw new NoiseError("protocol", "a message is not UTF-8");
      }
      this.#listeners.deliver(text);
      if (this.#phase === "closed") return;
    }
  }

  #answer(responder: HybridIkResponder, verdict: AuthorizationVerdict): void {
    if (this.#phase !== "handshaking") return;
    if (verdict === "invalid") {
      this.#fail(new NoiseError("handshake", "the registry did not validate the harness key"));
      return;
    }
    const payload = verdict === "rejected" ? encoder.encode(REGISTRY_REJECTION_PAYLOAD) : new Uint8Array(0);
    const { message, keys } = responder.writeMessage2(payload);
    this.#init.sendFrame(handshakeFrame(this.streamId, message, this.#peer === "reliable" ? ACKS_ZERO : undefined));
    if (verdict === "rejected") {
      this.#rejected = true;
      this.#finish("registry rejected the executor credentials (401)", false);
      return;
    }
    this.#open(keys);
  }

  #open(keys: TransportKeys): void {
    this.#keys = keys;
    this.#phase = "open";
    if (this.#peer === "reliable") {
      const init = this.#init;
      const reliable = new RelayStream({
        streamId: this.streamId,
        role: this.role,
        options: init.endpoint,
        clock: init.clock,
        peer: "reliable",
        log: init.log,
        ...(init.sharedRtt === undefined ? {} : { sharedRtt: init.sharedRtt }),
        sendFrame: (frame) => init.sendFrame(sealOutbound(frame, keys.send)),
        onPayload: (record) => {
          try {
            this.#receiveRecord(record);
          } catch (error) {
            if (!(error instanceof NoiseError)) throw error;
            this.#fail(error);
          }
        },
      });
      this.#reliable = reliable;
      reliable.onClose((reason) => this.#finish(reason, reliable.closedByPeer));
      reliable.attach({ resume: false });
    } else {
      this.#window = new OrderedRecords({ maxFrames: this.#init.limits.reorderFrames, maxBytes: this.#init.limits.reorderBytes });
    }
    for (const listener of [...this.#openListeners]) listener();
    this.#openListeners.clear();
    const queued = this.#queued.splice(0);
    for (const message of queued) this.#sendBytes(encoder.encode(message));
  }

  #sendBytes(utf8: Uint8Array): void {
    let records: Uint8Array[];
    try {
      records = frameMessage(utf8, this.#init.limits.maxRecordBytes, this.#init.limits.maxMessageBytes);
    } catch (error) {
      this.#fail(new NoiseError("limit", (error as Error).message));
      return;
    }
    if (this.#reliable !== undefined) {
      for (const record of records) this.#reliable.sendPayload(record);
      return;
    }
    for (const record of records) {
      const seq = this.#legacySendSeq++;
      this.#init.sendFrame(dataFrame(this.streamId, { seq, payload: this.#keys!.send.seal(seq, record) }));
    }
  }

  #sendReset(): void {
    this.#init.sendFrame(resetFrame(this.streamId, NOISE_PROTOCOL_ERROR, this.#peer === "reliable" ? ACKS_ZERO : undefined));
  }

  #fail(error: NoiseError): void {
    if (this.#phase === "closed") return;
    this.#init.log(`noise: stream ${this.streamId} failed (${error.code}): ${error.message}`);
    const reliable = this.#reliable;
    // Finished first, so the detailed reason wins over the inner endpoint's generic one.
    this.#finish(`${NOISE_PROTOCOL_ERROR}: ${error.message}`, false);
    if (reliable !== undefined) reliable.close(NOISE_PROTOCOL_ERROR);
    else this.#sendReset();
  }

  #finish(reason: string, byPeer: boolean): void {
    if (this.#phase === "closed") return;
    this.#phase = "closed";
    this.#listeners.end(reason, byPeer, () => {
      this.#init.clock.clearTimeout(this.#handshakeTimer);
      this.#queued.length = 0;
      this.#openListeners.clear();
    });
  }
}

/** Seals the payload of an outbound data frame (nonce = seq); other frames pass (our peers get our reset reasons). */
function sealOutbound(frame: RelayMessageFrame, cipher: TransportCipher): RelayMessageFrame {
  const body = frame.body;
  if (body.case === "data") return { ...frame, body: { case: "data", value: { ...body.value, payload: cipher.seal(body.value.seq, body.value.payload) } } };
  return frame;
}

function decodeOrEmpty(bytes: Uint8Array): string {
  try {
    return decoder.decode(bytes);
  } catch {
    return "";
  }
}
