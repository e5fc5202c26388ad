import type { WebSocket } from "ws";

/** Default interval between websocket pings, in ms (upstream pings every 30 s). */
export const DEFAULT_PING_INTERVAL_MS = 30_000;

/**
 * Pings `socket` every `intervalMs` and terminates it when the previous ping got no pong, so a peer
 * that vanished without closing (a dead NAT mapping, a suspended laptop, a half-open TCP connection)
 * is noticed within two intervals instead of never. Any inbound message also counts as a sign of
 * life. `intervalMs` 0 disables it. Returns a function that stops the timer (also stopped on close).
 */
export function keepAlive(socket: WebSocket, intervalMs: number = DEFAULT_PING_INTERVAL_MS): () => void {
  if (!(intervalMs > 0)) return () => {};
  let alive = true;
  const markAlive = () => {
    alive = true;
  };
  socket.on("pong", markAlive);
  socket.on("message", markAlive);
  const timer = setInterval(() => {
    if (socket.readyState !== socket.OPEN) return;
    if (!alive) {
      socket.terminate();
      return;
    }
    alive = false;
    socket.ping();
  }, intervalMs);
  timer.unref?.();
  const stop = () => {
    clearInterval(timer);
    socket.off("pong", markAlive);
    socket.off("message", markAlive);
  };
  socket.once("close", stop);
  return stop;
}
