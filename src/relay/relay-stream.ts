/**
 * Adapter that runs one {@link streamEndpointMachine} as an actor and exposes it as a
 * {@link MessageTransport} (whole JSON texts in and out). The machine's named actions are bound
 * here with `.provide()`; timers run on the injected {@link Clock}. The multiplexer owns the socket
 * and calls {@link RelayStream.attach}/{@link RelayStream.detach}/{@link RelayStream.receiveFrame}.
 */
import { type Actor, type AnyActorRef, createActor } from "xstate";
import type { FlowControl, MessageTransport } from "../rpc/message-transport.js";
import { WaterMarkFlow } from "../rpc/water-mark-flow.js";
import type { Clock } from "../util/clock.js";
import type { EndpointContext, EndpointRole, PeerCapability } from "./endpoint-step.js";
import type { RelayMessageFrame } from "./frame-codec.js";
import type { RelayEndpointOptions } from "./relay-options.js";
import type { SharedRtt } from "./rtt-estimator.js";
import { StreamListeners } from "./stream-listeners.js";
import { streamEndpointMachine } from "./stream-endpoint-machine.js";

export interface RelayStreamInit {
  readonly streamId: string;
  readonly role: EndpointRole;
  readonly options: RelayEndpointOptions;
  readonly clock: Clock;
  /** Puts a frame on the current physical socket (dropped when there is none). */
  readonly sendFrame: (frame: RelayMessageFrame) => void;
  /** Known peer capability (executor side: from the frame that created the stream). */
  readonly peer?: PeerCapability;
  /** Receives drop/refusal notes; default: none. */
  readonly log?: (message: string) => void;
  /**
   * The RTT estimate of the socket this stream shares with others (the multiplexer's): the stream
   * starts from it and writes its own estimate back as it samples. Default: the stream's own only.
   */
  readonly sharedRtt?: SharedRtt;
  /**
   * Byte-level use (the Noise layer's records): every reassembled payload goes here instead of being
   * decoded as a JSON text for `onMessage` listeners. Pair with {@link RelayStream.sendPayload}.
   */
  readonly onPayload?: (payload: Uint8Array) => void;
}

const decoder = new TextDecoder();

/** The stream each running actor belongs to (the machine's actions are bound once, for every stream). */
const streamOfActor = new WeakMap<AnyActorRef, RelayStream>();
const streamOf = (self: AnyActorRef): RelayStream => streamOfActor.get(self)!;

/** One virtual stream: a `MessageTransport` backed by a reliable endpoint machine. */
export class RelayStream implements MessageTransport {
  readonly #maxMessageBytes: number;
  readonly streamId: string;
  readonly #actor: Actor<typeof streamEndpointMachine>;
  readonly #clock: Clock;
  readonly #sendFrame: (frame: RelayMessageFrame) => void;
  readonly #log: (message: string) => void;
  readonly #onPayload: ((payload: Uint8Array) => void) | undefined;
  readonly #listeners: StreamListeners;
  readonly #flow: WaterMarkFlow;

  constructor(init: RelayStreamInit) {
    this.streamId = init.streamId;
    this.#clock = init.clock;
    this.#log = init.log ?? noLog;
    this.#sendFrame = init.sendFrame;
    this.#onPayload = init.onPayload;
    this.#listeners = new StreamListeners({ streamId: init.streamId, log: this.#log, logPrefix: "relay" });
    const shared = init.sharedRtt;
    this.#actor = createActor(RelayStream.#machine, {
      input: {
        streamId: init.streamId,
        role: init.role,
        options: init.options,
        now: init.clock.now(),
        ...(init.peer === undefined ? {} : { peer: init.peer }),
        ...(shared?.estimate.srtt === undefined ? {} : { rtt: shared.estimate }),
      },
      clock: init.clock,
    });
    streamOfActor.set(this.#actor, this);
    this.#maxMessageBytes = init.options.maxMessageBytes;
    this.#flow = new WaterMarkFlow({ highWaterBytes: init.options.flowHighWaterBytes, lowWaterBytes: init.options.flowLowWaterBytes });
    // Read-only view of the pure sender state: every processed event (send, ack, timer) re-measures,
    // and a new RTT estimate becomes the socket's.
    let rtt = this.#actor.getSnapshot().context.sender.rtt;
    this.#actor.subscribe((snapshot) => {
      const sender = snapshot.context.sender;
      this.#flow.update(sender.queuedBytes + sender.inFlightBytes);
      if (shared !== undefined && sender.rtt !== rtt) {
        rtt = sender.rtt;
        if (rtt.srtt !== undefined) shared.estimate = rtt;
      }
    });
    this.#actor.start();
  }

  /**
   * The machine with its named actions bound (`.provide()`), once for all streams: each action finds
   * its stream through the actor (`self`), so a stream costs an actor, not a machine.
   */
  static readonly #machine = streamEndpointMachine.provide({
    actions: {
      sendFrame: ({ self }, { frame }) => streamOf(self).#sendFrame(frame),
      emitAck: ({ self }, { frame }) => streamOf(self).#sendFrame(frame),
      deliverMessage: ({ self }, { payload }) => streamOf(self).#deliverPayload(payload),
      logDrop: ({ self }, { message }) => streamOf(self).#log(message),
      failStream: ({ self }, { reason, byPeer }) => streamOf(self).#finish(reason, byPeer),
    },
  });

  /**
   * Backpressure: unsent plus unacknowledged payload bytes against `flowHighWaterBytes` /
   * `flowLowWaterBytes` (default 8 / 2 MiB). Towards a legacy peer nothing is tracked, so it never congests.
   */
  get flow(): FlowControl {
    return this.#flow;
  }

  /** Protocol state, for diagnostics and tests. */
  get state(): EndpointContext {
    return this.#actor.getSnapshot().context;
  }

  get peer(): PeerCapability {
    return this.state.peer;
  }

  /** Why the stream ended, or undefined while open. */
  get closedReason(): string | undefined {
    return this.#listeners.closedReason;
  }

  get closedByPeer(): boolean {
    return this.#listeners.closedByPeer;
  }

  /** The endpoint's `maxMessageBytes`: larger outbound messages would reset the stream. */
  get maxMessageBytes(): number {
    return this.#maxMessageBytes;
  }

  send(message: string): void {
    if (this.closedReason !== undefined) return;
    this.#actor.send({ type: "SEND", payload: Buffer.from(message, "utf8"), now: this.#clock.now() });
  }

  /** Sends one payload as one message (bytes as given; byte-level users such as the Noise layer). */
  sendPayload(payload: Uint8Array): void {
    if (this.closedReason !== undefined) return;
    this.#actor.send({ type: "SEND", payload, now: this.#clock.now() });
  }

  /**
   * `MessageTransport.sendBytes`: a message given as its UTF-8 bytes (large `process/output`
   * notifications are built that way) becomes the payload as it is, without the string round trip
   * and copy `send` makes. The caller must not modify `utf8` afterwards (it is kept until acknowledged).
   */
  sendBytes(utf8: Uint8Array): void {
    this.sendPayload(utf8);
  }

  onMessage(listener: (message: string) => void): () => void {
    return this.#listeners.onMessage(listener);
  }

  onClose(listener: (reason: string) => void): () => void {
    return this.#listeners.onClose(listener);
  }

  /** Resets the stream: sends `reset {reason}` (default `stream_closed`) and ends it locally. */
  close(reason = "stream_closed"): void {
    if (this.closedReason !== undefined) return;
    this.#actor.send({ type: "CLOSE", reason: reason === "" ? "stream_closed" : reason, now: this.#clock.now() });
  }

  /**
   * A physical socket is (again) available: sends `resume` (unless `resume: false`, used for a stream
   * just accepted from a frame) and flushes. Called by the multiplexer.
   */
  attach(options: { resume?: boolean } = {}): void {
    this.#actor.send({ type: "ATTACH", now: this.#clock.now(), resume: options.resume ?? true });
  }

  /** The physical socket is gone; state is kept for the next {@link attach}. */
  detach(): void {
    this.#actor.send({ type: "DETACH", now: this.#clock.now() });
  }

  /** Hands a validated inbound frame of this stream to the endpoint. */
  receiveFrame(frame: RelayMessageFrame): void {
    this.#actor.send({ type: "FRAME", frame, now: this.#clock.now() });
  }

  #deliverPayload(payload: Uint8Array): void {
    if (this.#onPayload === undefined) return this.#listeners.deliver(decoder.decode(payload));
    try {
      this.#onPayload(payload);
    } catch (error) {
      // Same rule as for message listeners: the protocol state must survive a failing consumer.
      this.#log(`relay: payload consumer on ${this.streamId} threw: ${String(error)}`);
    }
  }

  #finish(reason: string, byPeer: boolean): void {
    // No stop needed: the machine is in its final state and cancelled every timer on entry.
    this.#listeners.end(reason, byPeer, () => this.#flow.release());
  }
}

function noLog(): void {}
