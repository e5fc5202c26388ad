import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";
import type { Clock } from "../../util/clock.js";

/** Bytes `/big` serves: three times the 1 MiB `http/request/bodyDelta` cap, so a stream needs several deltas. */
export const BIG_BODY_BYTES = 3 * 1024 * 1024;
/** Longest a held (`/hold/…`) or hanging (`/hang`) response waits before finishing on its own, in ms. */
export const HOLD_LIMIT_MS = 15_000;

/** What `/echo` answers (JSON): the request as the fixture received it. */
export interface EchoBody {
  readonly method: string;
  readonly path: string;
  /** Header name/value pairs in arrival order (names as sent on the wire). */
  readonly headers: ReadonlyArray<readonly [string, string]>;
  readonly bodyBase64: string;
}

/**
 * A loopback HTTP server inside the conformance runner, the far end of `http/request` checks. Only
 * useful when the server under test runs on this machine (its 127.0.0.1 is ours).
 *
 * Routes: `/echo` (any method; 200, 201 for POST; JSON {@link EchoBody}; two `x-multi` headers),
 * `/status/404`, `/redirect` (302 to `/echo`), `/big` ({@link BIG_BODY_BYTES} bytes of
 * {@link bigBodyByte}), `/hold/<key>` (chunked: `first` now, `last` after {@link HttpFixture.release}),
 * `/hang` (no answer until the client gives up), and whatever {@link HttpFixture.serveStatic} added.
 */
export class HttpFixture {
  readonly #server: Server;
  readonly #clock: Clock;
  readonly #sockets = new Set<Socket>();
  readonly #holds = new Map<string, () => void>();
  readonly #timers = new Set<unknown>();
  readonly #static = new Map<string, Buffer>();
  #port = 0;

  private constructor(server: Server, clock: Clock) {
    this.#server = server;
    this.#clock = clock;
  }

  /** Starts the fixture on 127.0.0.1 with an ephemeral port. */
  static async start(clock: Clock): Promise<HttpFixture> {
    let fixture: HttpFixture | undefined;
    const server = createServer((request, response) => fixture!.#handle(request, response));
    fixture = new HttpFixture(server, clock);
    server.on("connection", (socket) => {
      fixture!.#sockets.add(socket);
      socket.on("close", () => fixture!.#sockets.delete(socket));
    });
    await new Promise<void>((resolve, reject) => {
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve());
    });
    fixture.#port = (server.address() as AddressInfo).port;
    return fixture;
  }

  /** `http://127.0.0.1:<port><path>`. */
  url(path: string): string {
    return `http://127.0.0.1:${this.#port}${path}`;
  }

  /** A loopback URL nobody listens on (a port this fixture bound and released). */
  async refusedUrl(): Promise<string> {
    const probe = createServer();
    await new Promise<void>((resolve) => probe.listen(0, "127.0.0.1", () => resolve()));
    const port = (probe.address() as AddressInfo).port;
    await new Promise<void>((resolve) => probe.close(() => resolve()));
    return `http://127.0.0.1:${port}/`;
  }

  /** Serves `body` (200, with its content-length) at `path` from now on (example fixtures). */
  serveStatic(path: string, body: Buffer): void {
    this.#static.set(path, body);
  }

  /** Lets a `/hold/<key>` response send its `last` chunk and finish. */
  release(key: string): void {
    this.#holds.get(key)?.();
  }

  /** Stops listening and drops every open connection. */
  async close(): Promise<void> {
    for (const finish of [...this.#holds.values()]) finish();
    for (const timer of this.#timers) this.#clock.clearTimeout(timer);
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #later(fn: () => void, ms: number): () => void {
    const timer = this.#clock.setTimeout(() => {
      this.#timers.delete(timer);
      fn();
    }, ms);
    this.#timers.add(timer);
    return () => {
      this.#timers.delete(timer);
      this.#clock.clearTimeout(timer);
    };
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const path = (request.url ?? "/").split("?")[0]!;
    const body: Buffer[] = [];
    request.on("data", (chunk: Buffer) => body.push(chunk));
    request.on("end", () => {
      const fixed = this.#static.get(path);
      if (fixed !== undefined) {
        response.writeHead(200, { "content-length": String(fixed.length) });
        response.end(fixed);
      } else if (path === "/echo") {
        const pairs: Array<[string, string]> = [];
        for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) pairs.push([request.rawHeaders[i]!, request.rawHeaders[i + 1]!]);
        const echo: EchoBody = { method: request.method ?? "", path: request.url ?? "", headers: pairs, bodyBase64: Buffer.concat(body).toString("base64") };
        const text = Buffer.from(JSON.stringify(echo));
        response.writeHead(request.method === "POST" ? 201 : 200, [
          ["content-type", "application/json"],
          ["x-multi", "a"],
          ["x-multi", "b"],
          ["content-length", String(text.length)],
        ]);
        response.end(text);
      } else if (path === "/status/404") {
        response.writeHead(404, { "content-length": "2" });
        response.end("no");
      } else if (path === "/redirect") {
        response.writeHead(302, { location: "/echo", "content-length": "0" });
        response.end();
      } else if (path === "/big") {
        const data = Buffer.alloc(BIG_BODY_BYTES);
        for (let i = 0; i < data.length; i++) data[i] = bigBodyByte(i);
        response.writeHead(200, { "content-length": String(data.length) });
        response.end(data);
      } else if (path.startsWith("/hold/")) {
        const key = decodeURIComponent(path.slice("/hold/".length));
        response.writeHead(200, { "content-type": "text/plain" });
        response.write("first");
        const finish = () => {
          this.#holds.delete(key);
          cancel();
          if (!response.writableEnded) response.end("last");
        };
        const cancel = this.#later(finish, HOLD_LIMIT_MS);
        this.#holds.set(key, finish);
      } else if (path === "/hang") {
        const cancel = this.#later(() => {
          if (!response.writableEnded) response.end("late");
        }, HOLD_LIMIT_MS);
        response.on("close", cancel);
      } else {
        response.writeHead(404, { "content-length": "0" });
        response.end();
      }
    });
  }
}

/** Byte `i` of the `/big` body (a repeating pattern, so a shifted or dropped delta shows). */
export function bigBodyByte(i: number): number {
  return (i * 31 + (i >> 10)) & 0xff;
}
