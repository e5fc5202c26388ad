import { createInterface } from "node:readline";
import { codexPath } from "../../helpers/codex-binary.js";
import { codexChildEnv, standInConfigArgs } from "./codex-invocation.js";
import { spawnManaged, type ManagedChild } from "./managed-child.js";

/** A message `codex app-server` wrote to stdout. */
export interface AppServerMessage {
  id?: number | string;
  method?: string;
  params?: Record<string, unknown>;
  result?: Record<string, unknown>;
  error?: { code: number; message: string; data?: unknown };
}

/** Raised for an error answer from the app-server. */
export class AppServerError extends Error {
  constructor(
    readonly method: string,
    readonly code: number,
    message: string,
  ) {
    super(`${method} failed (${code}): ${message}`);
  }
}

/**
 * Answers a server→client request (an approval, user input): the `result` to send, or `undefined` to refuse it
 * with -32601.
 */
export type ServerRequestAnswerer = (request: AppServerMessage) => Record<string, unknown> | undefined;

/**
 * A client of `codex app-server` over stdio (newline-delimited JSON-RPC without a `jsonrpc` member, the
 * app-server's framing). Keeps every notification; server→client requests (approvals, user input) are
 * recorded and answered by the `answer` given to {@link CodexAppServer.start} — by default refused with -32601,
 * so a turn can never hang on them.
 */
export class CodexAppServer {
  readonly notifications: AppServerMessage[] = [];
  readonly serverRequests: AppServerMessage[] = [];
  #nextId = 1;
  readonly #pending = new Map<number | string, (message: AppServerMessage) => void>();
  readonly #waiters = new Set<() => void>();
  readonly #child: ManagedChild;

  private constructor(child: ManagedChild, answer: ServerRequestAnswerer) {
    this.#child = child;
    const lines = createInterface({ input: child.child.stdout! });
    lines.on("line", (line) => {
      let message: AppServerMessage;
      try {
        message = JSON.parse(line) as AppServerMessage;
      } catch {
        return; // not JSON-RPC (the app-server logs to stderr, but a stray line must not crash the test)
      }
      if (message.method !== undefined && message.id !== undefined) {
        this.serverRequests.push(message);
        const result = answer(message);
        if (result !== undefined) this.#write({ id: message.id, result });
        else this.#write({ id: message.id, error: { code: -32601, message: "the test client answers no such server request" } });
      } else if (message.method !== undefined) {
        this.notifications.push(message);
      } else if (message.id !== undefined) {
        this.#pending.get(message.id)?.(message);
        this.#pending.delete(message.id);
      }
      for (const waiter of [...this.#waiters]) waiter();
    });
  }

  /**
   * Starts `codex app-server` (stdio transport) with the model served by the stand-in at `modelBaseUrl`,
   * `CODEX_HOME` = `codexHome`, `cwd` = `workspace`, `extraArgs` (more `-c` overrides; default none) and `env`
   * (more environment variables; default none);
   * `answer` answers its server→client requests (default: refuse every one).
   */
  static start(options: {
    codexHome: string;
    modelBaseUrl: string;
    workspace: string;
    extraArgs?: readonly string[];
    env?: Record<string, string>;
    answer?: ServerRequestAnswerer;
  }): CodexAppServer {
    const args = ["app-server", ...standInConfigArgs(options.modelBaseUrl), ...(options.extraArgs ?? [])];
    const child = spawnManaged(codexPath(), args, {
      cwd: options.workspace,
      env: codexChildEnv(options.codexHome, options.env),
      stdio: ["pipe", "pipe", "pipe"],
      captureStdout: false,
    });
    return new CodexAppServer(child, options.answer ?? (() => undefined));
  }

  /** What the app-server wrote to stderr so far (its logs). */
  stderr(): string {
    return this.#child.stderr();
  }

  #write(message: Record<string, unknown>): void {
    this.#child.child.stdin?.write(`${JSON.stringify(message)}\n`);
  }

  /** Sends a request; resolves to its result, rejects with {@link AppServerError} or after `timeoutMs` (default 20 s). */
  request(method: string, params: unknown, timeoutMs = 20_000): Promise<Record<string, unknown>> {
    const id = this.#nextId++;
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.#pending.delete(id);
        reject(new Error(`app-server ${method} got no answer within ${timeoutMs} ms; stderr: ${this.stderr().slice(-2000)}`));
      }, timeoutMs);
      this.#pending.set(id, (message) => {
        clearTimeout(timer);
        if (message.error) reject(new AppServerError(method, message.error.code, message.error.message));
        else resolve(message.result ?? {});
      });
      this.#write({ id, method, params });
    });
  }

  notify(method: string, params?: unknown): void {
    this.#write(params === undefined ? { method } : { method, params });
  }

  /** Resolves with the first notification named `method` that satisfies `matches`; rejects after `timeoutMs`. */
  waitForNotification(method: string, matches: (params: Record<string, unknown>) => boolean, timeoutMs: number): Promise<AppServerMessage> {
    const find = (): AppServerMessage | undefined => this.notifications.find((note) => note.method === method && matches(note.params ?? {}));
    const found = find();
    if (found) return Promise.resolve(found);
    return new Promise((resolve, reject) => {
      const waiter = (): void => {
        const note = find();
        if (!note) return;
        clearTimeout(timer);
        this.#waiters.delete(waiter);
        resolve(note);
      };
      const timer = setTimeout(() => {
        this.#waiters.delete(waiter);
        const seen = this.notifications.map((note) => note.method).join(", ");
        reject(new Error(`no ${method} within ${timeoutMs} ms (seen: ${seen}); stderr: ${this.stderr().slice(-2000)}`));
      }, timeoutMs);
      this.#waiters.add(waiter);
    });
  }

  /** Ends the app-server: closes its stdin, then stops its process group (SIGTERM, SIGKILL after 2 s). */
  async stop(): Promise<void> {
    this.#child.child.stdin?.end();
    await this.#child.stop();
  }
}
