import { createExecServerClient } from "../../generated/openrpc/client.js";
import type { InitializeParams } from "../../generated/openrpc/types.js";
import type { Clock } from "../util/clock.js";
import { CheckFailure, type ConformanceClient, type LoggedNotification, type OpenClientOptions } from "./check.js";
import { describeError } from "./expectations.js";
import type { TappedTransport } from "./tapped-transport.js";

/** Server notifications a conformance client logs. */
const LOGGED = ["process/output", "process/exited", "process/closed", "fs/missingChanged", "http/request/bodyDelta"] as const;

/**
 * Wraps the generated typed client over `transport`: logs notifications, optionally performs the
 * handshake (recording the `initialize` variant via `onInitialize`).
 */
export async function openConformanceClient(
  transport: TappedTransport,
  clock: Clock,
  stepTimeoutMs: number,
  options: OpenClientOptions,
  onInitialize: (variant: "sessionId" | "empty") => void,
): Promise<ConformanceClient> {
  const client = createExecServerClient(transport, { timeoutMs: stepTimeoutMs, timers: clock });
  const notifications: LoggedNotification[] = [];
  const waiters = new Set<() => void>();
  for (const method of LOGGED) {
    client.on(method, (params) => {
      notifications.push({ method, params: params as unknown as Record<string, unknown> });
      for (const waiter of [...waiters]) waiter();
    });
  }
  let closedReason: string | undefined;
  transport.onClose((reason) => {
    closedReason = reason;
    for (const waiter of [...waiters]) waiter();
  });

  let sessionId: string | undefined;
  if (options.handshake ?? true) {
    const params: InitializeParams = {
      clientName: "exec-server-conformance",
      ...(options.resumeSessionId === undefined ? {} : { resumeSessionId: options.resumeSessionId }),
      ...(options.capabilities === undefined ? {} : { capabilities: options.capabilities }),
    };
    let result: unknown;
    try {
      result = await client.initialize(params);
    } catch (error) {
      throw new CheckFailure(`initialize failed: ${describeError(error)}`);
    }
    const id = (result as { sessionId?: unknown } | null)?.sessionId;
    sessionId = typeof id === "string" ? id : undefined;
    onInitialize(sessionId === undefined ? "empty" : "sessionId");
    client.notifyInitialized({});
  }

  return {
    client,
    sessionId,
    notifications,
    waitForNotification<T>(pick: (log: readonly LoggedNotification[]) => T | undefined, what: string, timeoutMs = stepTimeoutMs): Promise<T> {
      const now = pick(notifications);
      if (now !== undefined) return Promise.resolve(now);
      return new Promise<T>((resolve, reject) => {
        const finish = (error: Error | undefined, value?: T) => {
          clock.clearTimeout(timer);
          waiters.delete(waiter);
          if (error) reject(error);
          else resolve(value as T);
        };
        const waiter = () => {
          const value = pick(notifications);
          if (value !== undefined) finish(undefined, value);
          else if (closedReason !== undefined) finish(new CheckFailure(`connection closed (${closedReason}) while waiting for ${what}`));
        };
        const timer = clock.setTimeout(() => finish(new CheckFailure(`no ${what} within ${timeoutMs} ms`)), timeoutMs);
        waiters.add(waiter);
      });
    },
    close() {
      client.close("conformance check finished");
    },
  };
}
