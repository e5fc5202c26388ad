/**
 * The protocol logic of one stream endpoint as pure functions `(context, event) → (context,
 * effects)`. The XState machine (`stream-endpoint-machine.ts`) calls these and turns the effects
 * into its named actions and delayed events; nothing here performs I/O or reads a clock.
 */
import {
  type AckFields,
  ackFrame,
  dataFrame,
  heartbeatFrame,
  type RelayMessageFrame,
  resetFrame,
  resumeFrame,
} from "./frame-codec.js";
import type { RelayEndpointOptions } from "./relay-options.js";
import { retransmitTimeout } from "./rtt-estimator.js";
import { ackBitsOf, INITIAL_RECEIVER, type ReceiverState, receiveSegment } from "./segment-receiver.js";
import {
  applyAck,
  drainUntracked,
  enqueueMessage,
  forgetInFlight,
  initialSender,
  markBeforeResume,
  NO_SEGMENTS,
  type OutSegment,
  pumpWindow,
  retransmitAll,
  retransmitBeforeResume,
  type SenderState,
} from "./segment-sender.js";

/** Which side opened the stream: the harness sends `resume` first; the executor accepts. */
export type EndpointRole = "harness" | "executor";

/**
 * What the peer is. `reliable`: sets `ack` presence on every frame (this project). `legacy`:
 * upstream's shipped endpoint (no presence; never segments or retransmits; refuses
 * `segment_count != 1`). `unknown`: nothing received yet; behave as if legacy but keep unacked
 * segments in case the peer turns out reliable.
 */
export type PeerCapability = "unknown" | "reliable" | "legacy";

export type TimerName = "retransmit" | "ack" | "heartbeat" | "peer";

export interface EndpointFailure {
  readonly reason: string;
  /** True when the peer reset the stream, false when this endpoint did (locally or on a protocol failure). */
  readonly byPeer: boolean;
}

export interface EndpointContext {
  readonly streamId: string;
  readonly role: EndpointRole;
  readonly options: RelayEndpointOptions;
  readonly peer: PeerCapability;
  readonly attached: boolean;
  readonly sender: SenderState;
  readonly receiver: ReceiverState;
  /** A standalone ack is due unless an outbound frame carries it first. */
  readonly ackOwed: boolean;
  /** Data frames received since a frame carrying our acks last went out (see `ackEverySegments`). */
  readonly unackedSegments: number;
  /**
   * We sent `resume` and have heard nothing since: the first frame from the peer proves the new
   * path works, so everything still unacked is replayed then. (A resume is answered with an ack,
   * never with another resume, so duplicated or stale resumes cannot ping-pong.)
   */
  readonly resumePending: boolean;
  /**
   * Due time (ms) of each scheduled delayed event, `undefined` when none is. Timers are lazy: one
   * whose deadline moved later or went away stays scheduled and, when it fires early, only re-arms
   * for its deadline (or does nothing), so the hot path neither cancels nor reschedules per frame.
   */
  readonly timers: Readonly<Record<TimerName, number | undefined>>;
  /** When the retransmission timeout expires (ms), while anything is in flight. */
  readonly retransmitAt: number | undefined;
  /** When the owed standalone ack is due (ms). */
  readonly ackAt: number | undefined;
  /** When a heartbeat is due (ms; heartbeats enabled, nothing sent since). */
  readonly heartbeatAt: number | undefined;
  /** When the peer counts as dead (ms; dead-peer timeout enabled, nothing received since). */
  readonly peerAt: number | undefined;
  /** Time (ms) of the latest external event, or the due time of the timer being handled. */
  readonly now: number;
  readonly failure: EndpointFailure | undefined;
}

export interface EndpointInput {
  readonly streamId: string;
  readonly role: EndpointRole;
  readonly options: RelayEndpointOptions;
  /** Known capability (executor side: learned from the frame that created the stream). Default `unknown`. */
  readonly peer?: PeerCapability;
  readonly now?: number;
}

export type EndpointEvent =
  | { readonly type: "SEND"; readonly payload: Uint8Array; readonly now: number }
  | { readonly type: "FRAME"; readonly frame: RelayMessageFrame; readonly now: number }
  | {
      readonly type: "ATTACH";
      readonly now: number;
      /** Send `resume` (default true). False for a stream the executor just accepted from a frame: the peer has nothing to replay yet. */
      readonly resume?: boolean;
    }
  | { readonly type: "DETACH"; readonly now: number }
  | { readonly type: "CLOSE"; readonly reason: string; readonly now: number }
  | { readonly type: "RETRANSMIT_TIMEOUT" }
  | { readonly type: "ACK_TIMEOUT" }
  | { readonly type: "HEARTBEAT_TIMEOUT" }
  | { readonly type: "PEER_TIMEOUT" };

export type Effect =
  | { readonly kind: "send"; readonly frame: RelayMessageFrame }
  | { readonly kind: "ack"; readonly frame: RelayMessageFrame }
  | { readonly kind: "deliver"; readonly payload: Uint8Array }
  | { readonly kind: "log"; readonly message: string }
  | { readonly kind: "startTimer"; readonly timer: TimerName }
  | { readonly kind: "cancelTimer"; readonly timer: TimerName };

export interface StepResult {
  readonly context: EndpointContext;
  readonly effects: readonly Effect[];
}

/** No delayed event scheduled (shared by every idle stream). */
export const NO_TIMERS: Readonly<Record<TimerName, number | undefined>> = Object.freeze({ retransmit: undefined, ack: undefined, heartbeat: undefined, peer: undefined });

export function initialContext(input: EndpointInput): EndpointContext {
  const peer = input.peer ?? "unknown";
  return {
    streamId: input.streamId,
    role: input.role,
    options: input.options,
    peer,
    attached: false,
    // Reliable streams number from 1 so `ack = 0` means "nothing received"; towards a known legacy
    // peer we number from 0 exactly like upstream (it ignores seq anyway).
    sender: initialSender(peer === "legacy" ? 0 : 1),
    receiver: INITIAL_RECEIVER,
    ackOwed: false,
    unackedSegments: 0,
    resumePending: false,
    timers: NO_TIMERS,
    retransmitAt: undefined,
    ackAt: undefined,
    heartbeatAt: undefined,
    peerAt: undefined,
    now: input.now ?? 0,
    failure: undefined,
  };
}

/** Current retransmission timeout (ms) including backoff. */
export function currentRto(context: EndpointContext): number {
  return retransmitTimeout(context.sender.rtt, context.options, context.sender.backoff);
}

/** Delay (ms) until a scheduled timer's due time: what the machine's named delays return. */
export function timerDelay(context: EndpointContext, timer: TimerName): number {
  return Math.max(0, (context.timers[timer] ?? context.now) - context.now);
}

type MutableContext = { -readonly [K in keyof EndpointContext]: EndpointContext[K] };

const NO_EFFECTS: readonly Effect[] = Object.freeze([]);

/** Mutable scratch state for one step; the result is a fresh immutable context. */
class Step {
  readonly ctx: MutableContext;
  effects: Effect[] | undefined;
  sentFrame = false;
  /** Whether a frame carrying our acks went out in this step. */
  sentAcks = false;
  /** Answer with an ack now unless another frame carries it (reply to `resume`). */
  ackNow = false;
  receivedFrame = false;
  restartRetransmit = false;

  constructor(context: EndpointContext) {
    this.ctx = { ...context };
  }

  effect(effect: Effect): void {
    (this.effects ??= []).push(effect);
  }

  acks(): AckFields | undefined {
    return this.ctx.peer === "legacy" ? undefined : { ack: this.ctx.receiver.ack, ackBits: ackBitsOf(this.ctx.receiver) };
  }

  send(frame: RelayMessageFrame, kind: "send" | "ack" = "send"): void {
    if (!this.ctx.attached) return;
    this.effect({ kind, frame });
    this.sentFrame = true;
    if (frame.ack !== undefined) {
      this.ctx.ackOwed = false;
      this.ctx.unackedSegments = 0;
      this.sentAcks = true;
    }
  }

  sendSegments(segments: readonly OutSegment[]): void {
    for (const s of segments) {
      this.send(dataFrame(this.ctx.streamId, { seq: s.seq, segmentIndex: s.index, segmentCount: s.count, payload: s.payload }, this.acks()));
    }
  }

  /** Puts queued segments on the wire as far as the window (or, for a legacy peer, nothing) allows. */
  flush(): void {
    if (!this.ctx.attached || this.ctx.failure !== undefined || this.ctx.sender.queue.length === 0) return;
    if (this.ctx.peer === "legacy") {
      const r = drainUntracked(this.ctx.sender);
      this.ctx.sender = r.state;
      this.sendSegments(r.toSend);
      return;
    }
    const r = pumpWindow(this.ctx.sender, this.ctx.options, this.ctx.now);
    this.ctx.sender = r.state;
    this.sendSegments(r.toSend);
  }

  fail(reason: string, byPeer: boolean): void {
    if (this.ctx.failure !== undefined) return;
    if (!byPeer) this.send(resetFrame(this.ctx.streamId, reason, this.acks()));
    this.ctx.failure = { reason, byPeer };
  }

  log(message: string): void {
    this.effect({ kind: "log", message });
  }

  /**
   * A timer's delayed event arrived: it is no longer scheduled, and time is its due time. Returns
   * true when the timer's deadline has come (an early event of a lazy timer only re-arms in `finish`).
   */
  fired(timer: TimerName, deadline: number | undefined): boolean {
    const due = this.ctx.timers[timer];
    this.ctx.timers = { ...this.ctx.timers, [timer]: undefined };
    if (due !== undefined && due > this.ctx.now) this.ctx.now = due;
    return deadline !== undefined && this.ctx.now >= deadline;
  }

  /** Schedules `timer` for `deadline` unless it is already scheduled no later (lazy timers, see `EndpointContext.timers`). */
  private arm(timer: TimerName, deadline: number | undefined): void {
    if (deadline === undefined) return;
    const due = this.ctx.timers[timer];
    if (due !== undefined && due <= deadline) return;
    if (due !== undefined) this.effect({ kind: "cancelTimer", timer });
    this.ctx.timers = { ...this.ctx.timers, [timer]: deadline };
    this.effect({ kind: "startTimer", timer });
  }

  finish(): StepResult {
    const c = this.ctx;
    const live = c.failure === undefined && c.attached;
    const reliable = c.peer === "reliable";
    const ackThreshold = c.options.ackEverySegments;
    const ackDueNow = c.ackOwed && (c.options.ackDelayMs === 0 || (ackThreshold > 0 && c.unackedSegments >= ackThreshold));
    if (live && c.peer !== "legacy" && (ackDueNow || (this.ackNow && !this.sentAcks))) {
      this.send(ackFrame(c.streamId, this.acks()!), "ack");
    }
    const { ackDelayMs, heartbeatIntervalMs, deadPeerTimeoutMs } = c.options;
    // Towards an `unknown` peer the retransmit timer only probes with `resume` (see onRetransmitTimeout).
    c.retransmitAt =
      live && c.peer !== "legacy" && c.sender.inFlight.length > 0
        ? this.restartRetransmit || c.retransmitAt === undefined
          ? c.now + currentRto(c)
          : c.retransmitAt
        : undefined;
    // The ack is due `ackDelayMs` after it was first owed; a frame carrying it clears the debt.
    c.ackAt = live && c.ackOwed && c.peer !== "legacy" ? (c.ackAt ?? c.now + ackDelayMs) : undefined;
    c.heartbeatAt = live && reliable && heartbeatIntervalMs > 0 ? (this.sentFrame || c.heartbeatAt === undefined ? c.now + heartbeatIntervalMs : c.heartbeatAt) : undefined;
    c.peerAt = live && reliable && deadPeerTimeoutMs > 0 ? (this.receivedFrame || c.peerAt === undefined ? c.now + deadPeerTimeoutMs : c.peerAt) : undefined;
    this.arm("retransmit", c.retransmitAt);
    this.arm("ack", c.ackAt);
    this.arm("heartbeat", c.heartbeatAt);
    this.arm("peer", c.peerAt);
    return { context: c, effects: this.effects ?? NO_EFFECTS };
  }
}

const utf8 = new TextEncoder();
/** Convenience for tests and adapters: the payload of a JSON text. */
export function encodeMessage(message: string): Uint8Array {
  return utf8.encode(message);
}

/** Applies one event. Events after a failure are ignored (the machine is in its final state). */
export function step(context: EndpointContext, event: EndpointEvent): StepResult {
  if (context.failure !== undefined) return { context, effects: NO_EFFECTS };
  const s = new Step(context);
  switch (event.type) {
    case "SEND":
      s.ctx.now = event.now;
      onSend(s, event.payload);
      break;
    case "FRAME":
      s.ctx.now = event.now;
      onFrame(s, event.frame);
      break;
    case "ATTACH":
      s.ctx.now = event.now;
      onAttach(s, event.resume ?? true);
      break;
    case "DETACH":
      s.ctx.now = event.now;
      s.ctx.attached = false;
      break;
    case "CLOSE":
      s.ctx.now = event.now;
      s.fail(event.reason, false);
      break;
    case "RETRANSMIT_TIMEOUT":
      if (s.fired("retransmit", s.ctx.retransmitAt)) onRetransmitTimeout(s);
      break;
    case "ACK_TIMEOUT":
      if (s.fired("ack", s.ctx.ackAt) && s.ctx.ackOwed && s.ctx.peer !== "legacy") s.send(ackFrame(s.ctx.streamId, s.acks()!), "ack");
      break;
    case "HEARTBEAT_TIMEOUT":
      if (s.fired("heartbeat", s.ctx.heartbeatAt) && s.ctx.peer === "reliable") s.send(heartbeatFrame(s.ctx.streamId, s.acks()));
      break;
    case "PEER_TIMEOUT":
      if (s.fired("peer", s.ctx.peerAt)) s.fail(`relay_peer_timeout: no frame from the peer for ${s.ctx.options.deadPeerTimeoutMs} ms`, false);
      break;
  }
  return s.finish();
}

function onSend(s: Step, payload: Uint8Array): void {
  const { options } = s.ctx;
  if (payload.length === 0) {
    s.log("relay: refusing to send an empty message");
    return;
  }
  if (payload.length > options.maxMessageBytes) {
    s.fail(`relay_message_too_large: outbound message of ${payload.length} bytes exceeds ${options.maxMessageBytes}`, false);
    return;
  }
  if (s.ctx.sender.queuedBytes + payload.length > options.maxQueuedBytes) {
    s.fail(`relay_send_queue_full: more than ${options.maxQueuedBytes} bytes waiting to be sent`, false);
    return;
  }
  // Segment only towards a peer known to reassemble; upstream's endpoints refuse segment_count != 1.
  s.ctx.sender = enqueueMessage(s.ctx.sender, payload, s.ctx.peer === "reliable" ? options.maxSegmentBytes : undefined);
  s.flush();
}

function sendResume(s: Step): void {
  s.ctx.sender = markBeforeResume(s.ctx.sender);
  s.send(resumeFrame(s.ctx.streamId, s.ctx.receiver.ack, s.acks()));
  s.ctx.resumePending = true;
}

function onAttach(s: Step, resume: boolean): void {
  s.ctx.attached = true;
  // The harness always opens/resumes (upstream's first frame is `resume {next_seq: 0}`); the executor
  // only resumes towards a peer that understands it.
  if (resume && (s.ctx.role === "harness" || s.ctx.peer === "reliable")) sendResume(s);
  s.restartRetransmit = true;
  s.flush();
}

function learnPeer(s: Step, frame: RelayMessageFrame): void {
  if (s.ctx.peer !== "unknown") return;
  if (frame.ack !== undefined) {
    s.ctx.peer = "reliable";
    return;
  }
  s.ctx.peer = "legacy";
  // A legacy peer never acks: stop tracking what was sent; everything queued goes out untracked.
  s.ctx.sender = forgetInFlight(s.ctx.sender);
  s.ctx.ackOwed = false;
}

function onFrame(s: Step, frame: RelayMessageFrame): void {
  s.receivedFrame = true;
  learnPeer(s, frame);
  const reliable = s.ctx.peer === "reliable";
  let retransmit: readonly OutSegment[] = NO_SEGMENTS;
  if (reliable && frame.ack !== undefined) {
    const outcome = applyAck(s.ctx.sender, frame.ack, frame.ackBits >>> 0, s.ctx.now);
    if (outcome.kind === "invalid") {
      s.fail(outcome.reason, false);
      return;
    }
    s.ctx.sender = outcome.state;
    if (outcome.progressed) s.restartRetransmit = true;
    retransmit = outcome.fastRetransmit;
    if (s.ctx.resumePending) {
      // First word from the peer since our resume: the new path works; replay what is still unacked
      // from before the resume.
      const r = retransmitBeforeResume(s.ctx.sender);
      s.ctx.sender = r.state;
      retransmit = r.toSend;
      s.restartRetransmit = true;
    }
  }
  if (reliable) s.ctx.resumePending = false;
  const body = frame.body;
  switch (body.case) {
    case "data":
      if (reliable) {
        const outcome = receiveSegment(s.ctx.receiver, body.value, s.ctx.options);
        if (outcome.kind === "failed") {
          s.fail(outcome.reason, false);
          return;
        }
        s.ctx.receiver = outcome.state;
        for (const payload of outcome.messages) s.effect({ kind: "deliver", payload });
        if (outcome.disposition === "beyond-window" || outcome.disposition === "over-reorder-cap") {
          s.log(`relay: dropped seq ${body.value.seq} on ${s.ctx.streamId} (${outcome.disposition})`);
        }
        // Every data frame is acknowledged, duplicates included: re-advertising stops the sender.
        s.ctx.ackOwed = true;
        s.ctx.unackedSegments += 1;
      } else if (body.value.segmentCount !== 1) {
        s.log(`relay: dropped segmented data from a legacy peer on ${s.ctx.streamId}`);
      } else if (body.value.payload.length > s.ctx.options.maxMessageBytes) {
        s.fail(`relay_message_too_large: message of ${body.value.payload.length} bytes exceeds ${s.ctx.options.maxMessageBytes}`, false);
        return;
      } else {
        // Legacy peers never retransmit, so arrival order is delivery order and seq is ignored (as upstream does).
        s.effect({ kind: "deliver", payload: body.value.payload });
      }
      break;
    case "reset":
      s.fail(body.value.reason, true);
      return;
    case "resume":
      if (reliable) {
        // The peer has a (new) path to us: everything unacked may have died with an old socket.
        const r = retransmitAll(s.ctx.sender, s.ctx.now);
        s.ctx.sender = r.state;
        retransmit = r.toSend;
        s.restartRetransmit = true;
        // Answer so the peer learns the path (and our capability) even when we have nothing to replay.
        s.ackNow = true;
      }
      break;
    case "ackFrame":
    case "heartbeat":
    case undefined:
      // Ack-only frames are never acknowledged (or two idle endpoints would ack each other forever).
      break;
  }
  s.sendSegments(retransmit);
  s.flush();
}

function onRetransmitTimeout(s: Step): void {
  if (!s.ctx.attached || s.ctx.peer === "legacy" || s.ctx.sender.inFlight.length === 0) return;
  // Called only once the deadline has come (the timer may fire early for a deadline that moved).
  const backoff = s.ctx.sender.backoff + 1;
  if (backoff > s.ctx.options.maxRetransmits) {
    s.fail(`relay_retransmit_limit: no acknowledgement after ${s.ctx.options.maxRetransmits} retransmissions`, false);
    return;
  }
  if (s.ctx.peer === "unknown") {
    // Data may not be repeated to a peer that might be legacy (it would deliver it twice). Probe
    // with `resume` instead, which upstream harnesses send anyway: a reliable peer answers with its
    // own resume, which reveals its capability and triggers the replay.
    s.ctx.sender = { ...s.ctx.sender, backoff };
    sendResume(s);
    s.restartRetransmit = true;
    return;
  }
  const r = retransmitAll({ ...s.ctx.sender, backoff }, s.ctx.now);
  s.ctx.sender = r.state;
  s.sendSegments(r.toSend);
  s.restartRetransmit = true;
}
