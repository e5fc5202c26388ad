/**
 * `exec-server forward`: instead of serving a validated Noise stream itself, the executor pipes it to
 * another exec-server's websocket (codex 0.169's `exec-server forward`, spec UPSTREAM-0.169-REMOTE §5).
 *
 * For each stream it dials a **new** websocket to the destination and pipes messages without
 * interpreting them: every plaintext message of the stream goes out as one binary websocket message
 * with the exact JSON bytes (fragmented into continuation frames above {@link StreamForwarderOptions.fragmentBytes});
 * every text or binary message from the destination goes back into the stream verbatim. Nothing is
 * intercepted: the destination sees the harness's `initialize` as sent. When the destination closes,
 * what the stream still holds unacknowledged is drained (bounded) and the stream ends; when the stream
 * ends, the destination socket is closed.
 *
 * Beyond 0.169: an optional bearer token for the destination (an exec-server listening off loopback
 * requires one), a bound on what waits for the destination to open, and backpressure from the stream
 * to the destination socket (reading pauses while the stream is congested).
 */
import type { ClientOptions } from "ws";
import type { WebSocket as WsSocket } from "ws";
import type { MessageTransport } from "../rpc/message-transport.js";
import { WebSocket } from "../util/ws-classes.js";

/** Options of {@link StreamForwarder}. */
export interface StreamForwarderOptions {
  /** Destination exec-server websocket URL (`ws://` or `wss://`; `--connect`). */
  readonly connect: string;
  /** Bearer token sent on the destination upgrade (`Authorization: Bearer …`). Default none (0.169 sends none). */
  readonly token?: string;
  /** Destination connect timeout (TCP + TLS + upgrade), ms. Default 10 000 (0.169). */
  readonly connectTimeoutMs?: number;
  /** Largest message accepted from the destination, bytes. Default 64 MiB (0.169). */
  readonly maxMessageBytes?: number;
  /** Messages larger than this go to the destination as continuation frames of this size, bytes. Default 8 MiB (0.169). */
  readonly fragmentBytes?: number;
  /**
   * Bytes of stream messages held while the destination is still connecting; more closes the stream.
   * Default 64 MiB.
   */
  readonly maxPendingBytes?: number;
  /** After the destination closed, how long the stream may take to get its last replies acknowledged, ms. Default 5 000. */
  readonly drainTimeoutMs?: number;
  /** Extra CA certificates (PEM) for a `wss://` destination. */
  readonly ca?: string | Buffer;
  readonly log?: (line: string) => void;
}

/** Defaults of {@link StreamForwarderOptions}. */
export const STREAM_FORWARDER_DEFAULTS: Readonly<Record<ForwarderLimit, number>> = {
  connectTimeoutMs: 10_000,
  maxMessageBytes: 64 * 1024 * 1024,
  fragmentBytes: 8 * 1024 * 1024,
  maxPendingBytes: 64 * 1024 * 1024,
  drainTimeoutMs: 5_000,
};

type ForwarderLimit = "connectTimeoutMs" | "maxMessageBytes" | "fragmentBytes" | "maxPendingBytes" | "drainTimeoutMs";
type ResolvedOptions = StreamForwarderOptions & Readonly<Record<ForwarderLimit, number>>;

/** How often a closing pipe looks whether the stream's last replies were acknowledged, ms. */
const DRAIN_POLL_MS = 20;

/** Pipes each stream handed to {@link serve} to its own websocket on the destination exec-server. */
export class StreamForwarder {
  readonly #options: ResolvedOptions;
  readonly #log: (line: string) => void;
  readonly #pipes = new Set<ForwardPipe>();
  /** Streams piped so far. */
  forwarded = 0;

  constructor(options: StreamForwarderOptions) {
    const url = new URL(options.connect);
    if (url.protocol !== "ws:" && url.protocol !== "wss:") throw new Error(`--connect must be a ws:// or wss:// URL, got ${options.connect}`);
    const merged = { ...STREAM_FORWARDER_DEFAULTS, ...options };
    for (const key of Object.keys(STREAM_FORWARDER_DEFAULTS) as ForwarderLimit[]) {
      if (!Number.isSafeInteger(merged[key]) || merged[key] <= 0) throw new Error(`forward option ${key} must be a positive integer, got ${merged[key]}`);
    }
    this.#options = merged;
    this.#log = options.log ?? (() => {});
  }

  /** Pipes currently open. */
  get openPipes(): number {
    return this.#pipes.size;
  }

  /** Pipes `stream` to a new destination websocket until either side ends (the `serve` of an exec-server). */
  serve(stream: MessageTransport): void {
    this.forwarded += 1;
    const pipe = new ForwardPipe(stream, this.#options, this.#log, () => this.#pipes.delete(pipe));
    this.#pipes.add(pipe);
  }

  /** Closes every pipe (the executor is stopping). */
  close(): void {
    for (const pipe of [...this.#pipes]) pipe.close("forwarder stopping");
  }
}

/** One stream and its destination websocket. */
class ForwardPipe {
  readonly #stream: MessageTransport;
  readonly #options: ResolvedOptions;
  readonly #log: (line: string) => void;
  readonly #done: () => void;
  readonly #socket: WsSocket;
  /** Stream messages waiting for the destination to open. */
  #pending: Buffer[] | undefined = [];
  #pendingBytes = 0;
  #ending = false;
  #closed = false;

  constructor(stream: MessageTransport, options: ResolvedOptions, log: (line: string) => void, done: () => void) {
    this.#stream = stream;
    this.#options = options;
    this.#log = log;
    this.#done = done;
    const clientOptions: ClientOptions = {
      handshakeTimeout: options.connectTimeoutMs,
      maxPayload: options.maxMessageBytes,
      perMessageDeflate: false,
      ...(options.ca === undefined ? {} : { ca: options.ca }),
      ...(options.token === undefined ? {} : { headers: { authorization: `Bearer ${options.token}` } }),
    };
    this.#socket = new WebSocket(options.connect, clientOptions);
    const socket = this.#socket;
    stream.onMessage((message) => this.#fromStream(message));
    stream.onClose((reason) => this.close(`stream ended: ${reason}`));
    socket.once("open", () => this.#opened());
    socket.on("message", (data) => this.#fromDestination(data as Buffer | Buffer[] | ArrayBuffer));
    socket.once("unexpected-response", (_request, response) => {
      this.#failDial(`HTTP ${response.statusCode}`);
      response.resume();
      socket.terminate();
    });
    socket.on("error", (error) => {
      if (this.#pending !== undefined) this.#failDial(error.message);
      else this.#destinationEnded(`destination error: ${error.message}`);
    });
    socket.once("close", (code, reason) => this.#destinationEnded(`destination closed (${code}${reason.length > 0 ? ` ${reason.toString()}` : ""})`));
    const flow = stream.flow;
    if (flow !== undefined) flow.onDrain(() => this.#socket.readyState === WebSocket.OPEN && this.#socket.resume());
  }

  /** Ends the pipe at once: closes the destination socket and the stream. */
  close(reason: string): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#pending = undefined;
    this.#done();
    if (this.#socket.readyState === WebSocket.OPEN) this.#socket.close(1000);
    else if (this.#socket.readyState === WebSocket.CONNECTING) this.#socket.terminate();
    this.#stream.close(reason);
  }

  #opened(): void {
    if (this.#closed) return;
    const pending = this.#pending ?? [];
    this.#pending = undefined;
    this.#pendingBytes = 0;
    for (const bytes of pending) this.#sendToDestination(bytes);
  }

  #fromStream(message: string): void {
    if (this.#closed) return;
    const bytes = Buffer.from(message, "utf8");
    if (this.#pending === undefined) return this.#sendToDestination(bytes);
    this.#pendingBytes += bytes.length;
    if (this.#pendingBytes > this.#options.maxPendingBytes) {
      this.#log(`forward: ${this.#pendingBytes} bytes waiting for ${this.#options.connect} exceed maxPendingBytes ${this.#options.maxPendingBytes}; ending the stream`);
      this.close(`forward destination still connecting with over ${this.#options.maxPendingBytes} bytes waiting`);
      return;
    }
    this.#pending.push(bytes);
  }

  /** One binary message, as continuation frames when it is larger than `fragmentBytes`. */
  #sendToDestination(bytes: Buffer): void {
    const step = this.#options.fragmentBytes;
    if (bytes.length <= step) {
      this.#socket.send(bytes, { binary: true });
      return;
    }
    for (let offset = 0; offset < bytes.length; offset += step) {
      this.#socket.send(bytes.subarray(offset, offset + step), { binary: true, fin: offset + step >= bytes.length });
    }
  }

  #fromDestination(data: Buffer | Buffer[] | ArrayBuffer): void {
    if (this.#closed) return;
    const bytes = Buffer.isBuffer(data) ? data : Array.isArray(data) ? Buffer.concat(data) : Buffer.from(data);
    const stream = this.#stream;
    if (stream.sendBytes !== undefined) stream.sendBytes(bytes);
    else stream.send(bytes.toString("utf8"));
    // The destination can outrun the stream (a large process output): stop reading its socket until
    // the stream drains, so its own flow control engages instead of our memory.
    if (stream.flow?.congested()) this.#socket.pause();
  }

  #failDial(why: string): void {
    if (this.#closed) return;
    this.#log(`forward: cannot reach ${this.#options.connect}: ${why}`);
    this.close(`forward destination unreachable: ${why}`);
  }

  /** The destination went away: let the stream deliver what it still holds, then end it. */
  #destinationEnded(reason: string): void {
    if (this.#closed || this.#ending) return;
    if (this.#pending !== undefined) return this.#failDial(reason);
    this.#ending = true;
    const flow = this.#stream.flow;
    const deadline = Date.now() + this.#options.drainTimeoutMs;
    const finish = (): void => {
      if (this.#closed) return;
      if (flow !== undefined && flow.bufferedBytes() > 0 && Date.now() < deadline) {
        setTimeout(finish, DRAIN_POLL_MS).unref();
        return;
      }
      this.close(reason);
    };
    finish();
  }
}
