import { WebSocket } from "ws";

/** A JSON-RPC message as the tests see it. */
export interface Message {
  jsonrpc?: string;
  id?: number | string | null;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown> & { [key: string]: unknown };
  error?: { code: number; message: string; data?: unknown };
}

/**
 * A deliberately dumb websocket JSON-RPC peer for tests: raw sends, id-matched responses and a
 * notification log with waiters, so tests can drive malformed input and ordering by hand.
 */
export class JsonWsClient {
  readonly notifications: Message[] = [];
  readonly stray: Message[] = [];
  #nextId = 1;
  readonly #pending = new Map<number | string, (message: Message) => void>();
  readonly #waiters = new Set<() => void>();

  private constructor(readonly socket: WebSocket) {
    socket.on("message", (data: Buffer) => {
      const message = JSON.parse(data.toString("utf8")) as Message;
      if (message.id !== undefined && message.id !== null && this.#pending.has(message.id)) {
        const resolve = this.#pending.get(message.id);
        this.#pending.delete(message.id);
        resolve?.(message);
      } else if (message.method !== undefined) {
        this.notifications.push(message);
      } else {
        this.stray.push(message);
      }
      for (const waiter of [...this.#waiters]) waiter();
    });
  }

  static async connect(url: string, headers: Record<string, string> = {}): Promise<JsonWsClient> {
    const socket = new WebSocket(url, { headers });
    await new Promise<void>((resolve, reject) => {
      socket.once("open", () => resolve());
      socket.once("error", reject);
      socket.once("unexpected-response", (_request, response) => reject(new Error(`unexpected response ${response.statusCode}`)));
    });
    return new JsonWsClient(socket);
  }

  /** Sends a request and resolves to the whole response message. */
  request(method: string, params?: unknown, timeoutMs = 10_000): Promise<Message> {
    const id = this.#nextId++;
    return new Promise<Message>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`${method} timed out after ${timeoutMs} ms`)), timeoutMs);
      this.#pending.set(id, (message) => {
        clearTimeout(timer);
        resolve(message);
      });
      this.socket.send(JSON.stringify(params === undefined ? { id, method } : { id, method, params }));
    });
  }

  /** Sends a request and returns its result, throwing on an error response. */
  async call(method: string, params?: unknown): Promise<Record<string, unknown> & { [key: string]: any }> {
    const response = await this.request(method, params);
    if (response.error) throw Object.assign(new Error(response.error.message), { code: response.error.code });
    return response.result ?? {};
  }

  notify(method: string, params?: unknown): void {
    this.socket.send(JSON.stringify({ method, params }));
  }

  sendRaw(data: string | Buffer): void {
    this.socket.send(data);
  }

  /** `initialize` + `initialized`; returns the session id. */
  async handshake(params: Record<string, unknown> = { clientName: "test" }): Promise<string> {
    const result = await this.call("initialize", params);
    this.notify("initialized", {});
    return result["sessionId"] as string;
  }

  /** Resolves when `predicate` holds (checked after every inbound message). */
  waitFor<T>(predicate: () => T | undefined | false, timeoutMs = 10_000, what = "condition"): Promise<T> {
    const value = predicate();
    if (value) return Promise.resolve(value);
    return new Promise<T>((resolve, reject) => {
      const waiter = () => {
        const current = predicate();
        if (current) {
          clearTimeout(timer);
          this.#waiters.delete(waiter);
          resolve(current);
        }
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        reject(new Error(`timed out waiting for ${what}`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** Decoded output of one process so far, from `process/output` notifications. */
  outputOf(processId: string): string {
    return this.notifications
      .filter((n) => n.method === "process/output" && n.params?.["processId"] === processId)
      .map((n) => Buffer.from(String(n.params?.["chunk"]), "base64").toString("utf8"))
      .join("");
  }

  async close(): Promise<void> {
    if (this.socket.readyState === WebSocket.CLOSED) return;
    await new Promise<void>((resolve) => {
      this.socket.once("close", () => resolve());
      this.socket.close();
    });
  }
}

export const b64 = (text: string): string => Buffer.from(text, "utf8").toString("base64");
