/**
 * A bare websocket for rendezvous tests that speak relay frames by hand: every binary message is
 * kept in order and handed out by `next()`.
 */
import { WebSocket } from "ws";

/** An open websocket and the binary messages it received. */
export interface RawFrameSocket {
  readonly socket: WebSocket;
  /** Messages received and not yet taken by `next()`, oldest first. */
  readonly frames: Uint8Array[];
  /** The next binary message; rejects when none arrives within the timeout. */
  next(): Promise<Uint8Array>;
}

/** Dials `url`, resolving once the websocket is open; `next()` waits up to `frameTimeoutMs` (default 2 000). */
export async function openRawFrameSocket(url: string, frameTimeoutMs = 2000): Promise<RawFrameSocket> {
  const socket = new WebSocket(url);
  const frames: Uint8Array[] = [];
  const waiters: Array<(frame: Uint8Array) => void> = [];
  socket.on("message", (data: Buffer) => {
    const waiter = waiters.shift();
    if (waiter) waiter(new Uint8Array(data));
    else frames.push(new Uint8Array(data));
  });
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
  });
  return {
    socket,
    frames,
    next: () => {
      const ready = frames.shift();
      if (ready) return Promise.resolve(ready);
      return new Promise<Uint8Array>((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`no frame within ${frameTimeoutMs / 1000} s`)), frameTimeoutMs);
        waiters.push((frame) => {
          clearTimeout(timer);
          resolve(frame);
        });
      });
    },
  };
}
