import type { RelayMuxOptions } from "../relay/relay-mux.js";

/**
 * Liveness defaults for relay streams in remote mode: an idle stream sends a heartbeat every 30 s,
 * and a stream that hears nothing from its (reliable) peer for 120 s while a socket is attached is
 * reset. Without them a stream whose harness vanished without a reset (a rendezvous restart loses
 * its ownership table) would keep its session, and its processes, forever. Legacy peers send no
 * heartbeats, so neither timer runs towards them. Explicit `endpoint` options win.
 */
export const REMOTE_RELAY_LIVENESS = { heartbeatIntervalMs: 30_000, deadPeerTimeoutMs: 120_000 } as const;

/** `relay` options with the liveness defaults applied under the caller's own endpoint options. */
export function withRelayLiveness<T extends Omit<RelayMuxOptions, "role">>(relay: T | undefined): Omit<RelayMuxOptions, "role"> {
  return { ...relay, endpoint: { ...REMOTE_RELAY_LIVENESS, ...relay?.endpoint } };
}
