/**
 * The `ws` classes, loaded with `require` instead of `import`.
 *
 * Why: importing `ws` from ESM goes through its `wrapper.mjs`, which makes Node 20's ESM loader
 * translate each of the five CommonJS files it re-exports; that costs about 40 ms of CPU at start-up
 * (measured: `import("ws")` +55–65 ms over an empty ESM entry, `require("ws")` +18–22 ms, medians of
 * 8 cold starts). The server and the CLI load `ws` on every start, so every start paid it.
 * `require` returns the same module instances the ESM wrapper re-exports (one CommonJS cache), so
 * `instanceof` checks agree with code that does `import { WebSocket } from "ws"`.
 * Types still come from `import type ... from "ws"`.
 */
import { createRequire } from "node:module";
import type * as Ws from "ws";

const ws = createRequire(import.meta.url)("ws") as typeof Ws;

/** `ws`'s client class (`import { WebSocket } from "ws"`). */
export const WebSocket: typeof Ws.WebSocket = ws.WebSocket;
/** `ws`'s server class (`import { WebSocketServer } from "ws"`). */
export const WebSocketServer: typeof Ws.WebSocketServer = ws.WebSocketServer;
/** The instance type of {@link WebSocket} (so `WebSocket` works as a type where it is imported from here). */
export type WebSocket = Ws.WebSocket;
/** The instance type of {@link WebSocketServer}. */
export type WebSocketServer = Ws.WebSocketServer;
