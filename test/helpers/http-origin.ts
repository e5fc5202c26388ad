import { createHash } from "node:crypto";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo, Socket } from "node:net";

/** What `/echo` answers: the request as the origin received it. */
export interface OriginEcho {
  method: string;
  url: string;
  /** Raw header name/value pairs in arrival order. */
  headers: Array<[string, string]>;
  body: string;
}

/** Byte `i` of a generated body (`/generate`): a pattern, so a dropped or shifted delta shows. */
export function patternByte(i: number): number {
  return (i * 7 + (i >> 12)) & 0xff;
}

/** sha256 of the first `bytes` pattern bytes. */
export function patternSha256(bytes: number): string {
  const hash = createHash("sha256");
  const block = Buffer.alloc(64 * 1024);
  for (let at = 0; at < bytes; at += block.length) {
    const n = Math.min(block.length, bytes - at);
    for (let i = 0; i < n; i++) block[i] = patternByte(at + i);
    hash.update(block.subarray(0, n));
  }
  return hash.digest("hex");
}

/**
 * A loopback HTTP origin for `http/request` tests. Routes: `/echo` (JSON {@link OriginEcho}, two
 * `x-multi` headers), `/status/<n>`, `/redirect?code=&to=`, `/generate?bytes=N` (N pattern bytes,
 * written with backpressure; {@link HttpOrigin.generatedBytes} counts what the socket accepted),
 * `/chunks?n=&ms=` (n chunked pieces `c0…`, one every ms), `/short` (announces 100 bytes, sends 10,
 * then resets), `/hold` (`first`, then nothing until the client gives up), `/weird-headers`.
 */
export class HttpOrigin {
  /** Bytes of `/generate` bodies the sockets accepted so far. */
  generatedBytes = 0;
  /** Responses whose connection closed before they finished (the client went away). */
  abandoned = 0;
  readonly #server: Server;
  readonly #sockets = new Set<Socket>();
  #port = 0;

  private constructor() {
    this.#server = createServer((request, response) => this.#handle(request, response));
    this.#server.on("connection", (socket) => {
      this.#sockets.add(socket);
      socket.on("close", () => this.#sockets.delete(socket));
    });
  }

  static async start(): Promise<HttpOrigin> {
    const origin = new HttpOrigin();
    await new Promise<void>((resolve) => origin.#server.listen(0, "127.0.0.1", () => resolve()));
    origin.#port = (origin.#server.address() as AddressInfo).port;
    return origin;
  }

  get port(): number {
    return this.#port;
  }

  url(path: string): string {
    return `http://127.0.0.1:${this.#port}${path}`;
  }

  async close(): Promise<void> {
    for (const socket of this.#sockets) socket.destroy();
    await new Promise<void>((resolve) => this.#server.close(() => resolve()));
  }

  #handle(request: IncomingMessage, response: ServerResponse): void {
    const url = new URL(request.url ?? "/", "http://origin");
    const chunks: Buffer[] = [];
    response.on("close", () => {
      if (!response.writableFinished) this.abandoned++;
    });
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => {
      const path = url.pathname;
      if (path === "/echo") {
        const headers: Array<[string, string]> = [];
        for (let i = 0; i + 1 < request.rawHeaders.length; i += 2) headers.push([request.rawHeaders[i]!, request.rawHeaders[i + 1]!]);
        const echo: OriginEcho = { method: request.method ?? "", url: request.url ?? "", headers, body: Buffer.concat(chunks).toString("utf8") };
        const text = Buffer.from(JSON.stringify(echo));
        response.writeHead(200, [["content-type", "application/json"], ["x-multi", "a"], ["x-other", "o"], ["x-multi", "b"], ["content-length", String(text.length)]]);
        response.end(text);
      } else if (path.startsWith("/status/")) {
        response.writeHead(Number(path.slice("/status/".length)), { "content-type": "text/plain" });
        response.end(`status ${path.slice("/status/".length)}`);
      } else if (path === "/redirect") {
        response.writeHead(Number(url.searchParams.get("code") ?? "302"), { location: url.searchParams.get("to") ?? "/echo", "content-length": "0" });
        response.end();
      } else if (path === "/loop") {
        response.writeHead(302, { location: "/loop", "content-length": "0" });
        response.end();
      } else if (path === "/chain") {
        const n = Number(url.searchParams.get("n") ?? "0");
        response.writeHead(n > 0 ? 302 : 200, n > 0 ? { location: `/chain?n=${n - 1}`, "content-length": "0" } : { "content-length": "3" });
        response.end(n > 0 ? undefined : "end");
      } else if (path === "/generate") {
        this.#generate(response, Number(url.searchParams.get("bytes")));
      } else if (path === "/chunks") {
        const n = Number(url.searchParams.get("n") ?? "3");
        const ms = Number(url.searchParams.get("ms") ?? "20");
        response.writeHead(200, { "content-type": "text/plain" });
        let i = 0;
        const next = () => {
          if (response.destroyed) return;
          if (i === n) return void response.end();
          response.write(`c${i++}`);
          setTimeout(next, ms);
        };
        next();
      } else if (path === "/short") {
        response.writeHead(200, { "content-length": "100" });
        response.write("0123456789", () => setTimeout(() => response.socket?.destroy(), 50));
      } else if (path === "/hold") {
        response.writeHead(200, { "content-type": "text/plain" });
        response.write("first");
      } else if (path === "/weird-headers") {
        // Raw bytes: a value that is not ASCII (dropped by http/request) and an upper-case name.
        response.socket?.end("HTTP/1.1 200 OK\r\nx-ok: v\r\nx-bin: \u00c3\u00bc\r\nX-Upper: U\r\ncontent-length: 1\r\n\r\nw", "latin1");
      } else {
        response.writeHead(404, { "content-length": "0" });
        response.end();
      }
    });
  }

  /** Writes `total` pattern bytes in 64 KiB pieces, waiting for `drain` whenever the socket is full. */
  #generate(response: ServerResponse, total: number): void {
    response.writeHead(200, { "content-length": String(total) });
    let at = 0;
    const write = () => {
      while (at < total && !response.destroyed) {
        const n = Math.min(64 * 1024, total - at);
        const piece = Buffer.alloc(n);
        for (let i = 0; i < n; i++) piece[i] = patternByte(at + i);
        at += n;
        const more = response.write(piece, () => {
          this.generatedBytes += n;
        });
        if (!more) return void response.once("drain", write);
      }
      if (at >= total) response.end();
    };
    write();
  }
}
