import type { MessageTransport } from "../../src/rpc/message-transport.js";

/** A dialect-agnostic JSON-RPC caller over any transport (for peers speaking another dialect, e.g. codex 0.169). */
export interface RawRpc {
  request(method: string, params?: unknown, timeoutMs?: number): Promise<unknown>;
  notify(method: string, params?: unknown): void;
  /** Every notification received so far, in order. */
  readonly notifications: { method: string; params: unknown }[];
  /** Resolves with the first notification matching `predicate` (past or future). */
  waitFor(predicate: (n: { method: string; params: unknown }) => boolean, timeoutMs?: number): Promise<{ method: string; params: unknown }>;
}

export class RawRpcError extends Error {
  constructor(
    readonly code: number,
    message: string,
  ) {
    super(message);
  }
}

export function rawRpc(transport: MessageTransport): RawRpc {
  let nextId = 1;
  const pending = new Map<number, { resolve: (v: unknown) => void; reject: (e: Error) => void }>();
  const notifications: { method: string; params: unknown }[] = [];
  const waiters = new Set<() => boolean>();
  transport.onMessage((text) => {
    const message = JSON.parse(text) as { id?: number; method?: string; params?: unknown; result?: unknown; error?: { code: number; message: string } };
    if (message.method !== undefined && message.id === undefined) {
      notifications.push({ method: message.method, params: message.params });
      for (const waiter of [...waiters]) waiter();
      return;
    }
    const call = message.id === undefined ? undefined : pending.get(message.id);
    if (call === undefined) return;
    pending.delete(message.id!);
    if (message.error) call.reject(new RawRpcError(message.error.code, message.error.message));
    else call.resolve(message.result);
  });
  transport.onClose((reason) => {
    for (const call of pending.values()) call.reject(new Error(`transport closed: ${reason}`));
    pending.clear();
  });
  return {
    notifications,
    request(method, params, timeoutMs = 15_000) {
      const id = nextId++;
      return new Promise((resolve, reject) => {
        const timer = setTimeout(() => {
          pending.delete(id);
          reject(new Error(`${method} timed out after ${timeoutMs} ms`));
        }, timeoutMs);
        pending.set(id, {
          resolve: (v) => {
            clearTimeout(timer);
            resolve(v);
          },
          reject: (e) => {
            clearTimeout(timer);
            reject(e);
          },
        });
        transport.send(JSON.stringify(params === undefined ? { id, method } : { id, method, params }));
      });
    },
    notify(method, params) {
      transport.send(JSON.stringify(params === undefined ? { method } : { method, params }));
    },
    waitFor(predicate, timeoutMs = 15_000) {
      return new Promise((resolve, reject) => {
        const check = (): boolean => {
          const found = notifications.find(predicate);
          if (found === undefined) return false;
          waiters.delete(check);
          clearTimeout(timer);
          resolve(found);
          return true;
        };
        const timer = setTimeout(() => {
          waiters.delete(check);
          reject(new Error(`no matching notification within ${timeoutMs} ms`));
        }, timeoutMs);
        if (!check()) waiters.add(check);
      });
    },
  };
}
