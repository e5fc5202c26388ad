/**
 * One reliable relay stream endpoint as a pure XState v5 machine.
 *
 * States: `open` (socket `attached` / `detached`) → `closed` (final; reset sent or received).
 * Context is protocol state only (see `EndpointContext`). All effects are named actions that the
 * adapter binds with `.provide()`:
 * - `sendFrame({frame})`: put a frame on the current socket (data, resume, reset, heartbeat);
 * - `emitAck({frame})`: a standalone `ack_frame` (separate so tests can see when one is emitted);
 * - `deliverMessage({payload})`: one whole reassembled message, in order, exactly once;
 * - `logDrop({message})`: a dropped or refused frame (never thrown);
 * - `failStream({reason, byPeer})`: the stream ended (runs once on entering `closed`).
 * Timers are delayed `raise`s with named delays (`retransmitTimeout`, `ackDelay`,
 * `heartbeatInterval`, `deadPeerTimeout`) scheduled on the actor's injected clock. They are lazy
 * (see `EndpointContext.timers`): scheduled when a deadline appears or moves earlier, never
 * cancelled or rescheduled when it moves later or goes away, so a busy stream schedules about one
 * delayed event per timeout period instead of several per frame.
 */
import { assign, enqueueActions, setup } from "xstate";
import type { RelayMessageFrame } from "./frame-codec.js";
import {
  type EndpointContext,
  type EndpointEvent,
  type EndpointInput,
  initialContext,
  NO_TIMERS,
  step,
  type TimerName,
  timerDelay,
} from "./endpoint-step.js";

const TIMER_EVENTS = {
  retransmit: "RETRANSMIT_TIMEOUT",
  ack: "ACK_TIMEOUT",
  heartbeat: "HEARTBEAT_TIMEOUT",
  peer: "PEER_TIMEOUT",
} as const satisfies Record<TimerName, EndpointEvent["type"]>;

const TIMER_DELAYS = {
  retransmit: "retransmitTimeout",
  ack: "ackDelay",
  heartbeat: "heartbeatInterval",
  peer: "deadPeerTimeout",
} as const satisfies Record<TimerName, string>;

/** Id of the delayed event for a timer (for `cancel`). */
export const timerId = (timer: TimerName): string => `relay.${timer}`;

const endpointSetup = setup({
  types: {
    context: {} as EndpointContext,
    events: {} as EndpointEvent,
    input: {} as EndpointInput,
  },
  actions: {
    sendFrame: (_, _params: { frame: RelayMessageFrame }) => {},
    emitAck: (_, _params: { frame: RelayMessageFrame }) => {},
    deliverMessage: (_, _params: { payload: Uint8Array }) => {},
    logDrop: (_, _params: { message: string }) => {},
    failStream: (_, _params: { reason: string; byPeer: boolean }) => {},
    cancelAllTimers: enqueueActions(({ enqueue }) => {
      for (const timer of Object.keys(TIMER_EVENTS) as TimerName[]) enqueue.cancel(timerId(timer));
    }),
    clearTimerFlags: assign({ timers: NO_TIMERS }),
  },
  guards: {
    failed: ({ context }) => context.failure !== undefined,
  },
  delays: {
    // Each delay runs to the timer's due time in the context (set by the step that schedules it):
    // the earlier of the probe timeout and the retransmission timeout (RTO with backoff), `ackDelayMs`, `heartbeatIntervalMs` and
    // `deadPeerTimeoutMs` after the event that armed them, or what is left of them after an early
    // expiry of a lazy timer.
    retransmitTimeout: ({ context }) => timerDelay(context, "retransmit"),
    ackDelay: ({ context }) => timerDelay(context, "ack"),
    heartbeatInterval: ({ context }) => timerDelay(context, "heartbeat"),
    deadPeerTimeout: ({ context }) => timerDelay(context, "peer"),
  },
});

/**
 * Runs the pure protocol step and enqueues its effects as named actions, in order: the context
 * update, frames, deliveries, log notes and timer scheduling.
 */
const runStep = endpointSetup.enqueueActions(({ context, event, enqueue }) => {
  const { context: next, effects } = step(context, event);
  enqueue.assign(() => next);
  for (const effect of effects) {
    switch (effect.kind) {
      case "send":
        enqueue({ type: "sendFrame", params: { frame: effect.frame } });
        break;
      case "ack":
        enqueue({ type: "emitAck", params: { frame: effect.frame } });
        break;
      case "deliver":
        enqueue({ type: "deliverMessage", params: { payload: effect.payload } });
        break;
      case "log":
        enqueue({ type: "logDrop", params: { message: effect.message } });
        break;
      case "cancelTimer":
        enqueue.cancel(timerId(effect.timer));
        break;
      case "startTimer":
        enqueue.raise({ type: TIMER_EVENTS[effect.timer] }, { id: timerId(effect.timer), delay: TIMER_DELAYS[effect.timer] });
        break;
    }
  }
});

export const streamEndpointMachine = endpointSetup.createMachine({
  id: "relayStreamEndpoint",
  context: ({ input }) => initialContext(input),
  initial: "open",
  states: {
    open: {
      initial: "detached",
      always: { guard: "failed", target: "closed" },
      // Every event runs the pure protocol step. The substates follow `context.attached`: only
      // ATTACH sets it and only DETACH clears it, so those two events move between them (no
      // eventless re-check after every event); a failure of any step ends in `closed`.
      on: { "*": { actions: runStep } },
      states: {
        detached: { on: { ATTACH: { target: "attached", actions: runStep } } },
        attached: { on: { DETACH: { target: "detached", actions: runStep } } },
      },
    },
    closed: {
      type: "final",
      entry: [
        "cancelAllTimers",
        "clearTimerFlags",
        {
          type: "failStream",
          params: ({ context }) => ({ reason: context.failure?.reason ?? "closed", byPeer: context.failure?.byPeer ?? false }),
        },
      ],
    },
  },
});

export type StreamEndpointMachine = typeof streamEndpointMachine;
