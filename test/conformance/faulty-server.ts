import { ExecServer, type ExecServerOptions } from "../../src/server/exec-server.js";
import { createInMemoryTransportPair } from "../../src/rpc/in-memory-transport.js";
import type { MessageTransport } from "../../src/rpc/message-transport.js";

/** A decoded JSON-RPC message on its way from the server to the client. */
export type Wire = Record<string, unknown>;

/**
 * Rewrites the server's outbound messages for one connection: returns the messages to deliver
 * instead (none drops it, several inject). Created once per connection so it may keep state.
 */
export type Fault = () => (message: Wire) => Wire[];

/** No fault: the real server, unmodified. */
export const noFault: Fault = () => (message) => [message];

/**
 * A deliberately broken exec-server for the conformance tests: the real in-process server behind
 * an in-memory transport pair, with `fault` rewriting everything it sends. Each `connect()` is a
 * fresh connection, as the suite expects.
 */
export class FaultyServer {
  readonly server: ExecServer;

  constructor(
    private readonly fault: Fault,
    options: ExecServerOptions = { sessions: { detachTtlMs: 2_000 }, processes: { terminateGraceMs: 500 } },
  ) {
    this.server = new ExecServer(options);
  }

  readonly connect = async (): Promise<MessageTransport> => {
    const [clientEnd, serverEnd] = createInMemoryTransportPair();
    this.server.serve(serverEnd);
    return rewriteInbound(clientEnd, this.fault());
  };

  close(): Promise<void> {
    return this.server.shutdown();
  }
}

/** Wraps `inner` so every inbound message passes through `rewrite` exactly once, whatever the number of listeners. */
function rewriteInbound(inner: MessageTransport, rewrite: (message: Wire) => Wire[]): MessageTransport {
  const listeners = new Set<(message: string) => void>();
  inner.onMessage((text) => {
    for (const out of rewrite(JSON.parse(text) as Wire)) {
      const encoded = JSON.stringify(out);
      for (const listener of [...listeners]) listener(encoded);
    }
  });
  return {
    send: (message) => inner.send(message),
    onMessage(listener) {
      listeners.add(listener);
      return () => listeners.delete(listener);
    },
    onClose: (listener) => inner.onClose(listener),
    close: (reason) => inner.close(reason),
  };
}

/** Error responses that should carry id -1 carry id 0 instead. */
export const wrongMalformedId: Fault = () => (message) => [message["id"] === -1 ? { ...message, id: 0 } : message];

/** `process/exited` is held back and delivered after `process/closed`. */
export const closedBeforeExited: Fault = () => {
  const held = new Map<unknown, Wire>();
  return (message) => {
    const params = message["params"] as Wire | undefined;
    if (message["method"] === "process/exited") {
      held.set(params?.["processId"], message);
      return [];
    }
    if (message["method"] === "process/closed") {
      const exited = held.get(params?.["processId"]);
      held.delete(params?.["processId"]);
      return exited === undefined ? [message] : [message, exited];
    }
    return [message];
  };
};

/** JSON-RPC lite: no `"jsonrpc"` member, as upstream sends. */
export const liteEnvelope: Fault = () => (message) => {
  const { jsonrpc: _dropped, ...rest } = message;
  return [rest];
};

/** An old server: `initialize` answers `{}`. */
export const emptyInitialize: Fault = () => (message) => {
  const result = message["result"] as Wire | undefined;
  return [result !== undefined && typeof result["sessionId"] === "string" ? { ...message, result: {} } : message];
};

/** Optional notification members sent as `null` (`"environmentId": null`), which the contract allows. */
export const nullOptionals: Fault = () => (message) => {
  const params = message["params"] as Wire | undefined;
  return [typeof message["method"] === "string" && params !== undefined ? { ...message, params: { ...params, environmentId: null } } : message];
};

/** `fs/getMetadata` results lose `isSymlink`; not-found errors (-32004) become -32603. */
export const sloppyFs: Fault = () => (message) => {
  const result = message["result"] as Wire | undefined;
  const error = message["error"] as Wire | undefined;
  if (result !== undefined && "isSymlink" in result) {
    const { isSymlink: _dropped, ...rest } = result;
    return [{ ...message, result: rest }];
  }
  if (error !== undefined && error["code"] === -32004) return [{ ...message, error: { ...error, code: -32603 } }];
  return [message];
};

/**
 * Decides what a client message does on its way to the server: forwarded (possibly rewritten) or
 * swallowed (none). Created once per connection.
 */
export type InboundFault = () => (message: string) => string[];

/** No inbound fault: every client message reaches the server unchanged. */
export const passInbound: InboundFault = () => (message) => [message];

/**
 * A deliberately broken codex-0.169 server: each `connect()` opens a real websocket to `url` (the
 * codex binary) and rewrites what flows through it, server messages with `fault` and client
 * messages with `inbound`.
 */
export class FaultyProxy {
  constructor(
    private readonly url: string,
    private readonly fault: Fault,
    private readonly inbound: InboundFault = passInbound,
  ) {}

  readonly connect = async (): Promise<MessageTransport> => {
    const { connectTransport } = await import("../../src/client/connect.js");
    const inner = rewriteInbound(await connectTransport(this.url), this.fault());
    const forward = this.inbound();
    return {
      send: (message) => {
        for (const out of forward(message)) inner.send(out);
      },
      onMessage: (listener) => inner.onMessage(listener),
      onClose: (listener) => inner.onClose(listener),
      close: (reason) => inner.close(reason),
    };
  };
}

/** Rewrites the params of notifications named `method`. */
function rewriteNotification(method: string, rewrite: (params: Wire) => Wire): Fault {
  return () => (message) => [message["method"] === method ? { ...message, params: rewrite(message["params"] as Wire) } : message];
}

/** Rewrites successful results that have `member`. */
function rewriteResultWith(member: string, rewrite: (result: Wire) => Wire): Fault {
  return () => (message) => {
    const result = message["result"] as Wire | undefined;
    return [result !== undefined && result !== null && typeof result === "object" && member in result ? { ...message, result: rewrite(result) } : message];
  };
}

/** codex-0.169 faults, one wire contract each. */
export const codexFaults = {
  /** `environmentInfo` loses its `capabilities` object. */
  noCapabilities: rewriteResultWith("environmentInfo", (result) => {
    const { capabilities: _dropped, ...info } = result["environmentInfo"] as Wire;
    return { ...result, environmentInfo: info };
  }),
  /** Not-found errors (-32004) are reported as internal errors (-32603). */
  notFoundAsInternal: (() => (message: Wire) => {
    const error = message["error"] as Wire | undefined;
    return [error !== undefined && error["code"] === -32004 ? { ...message, error: { ...error, code: -32603 } } : message];
  }) as Fault,
  /** Process notifications count seq from 0 instead of 1. */
  seqFromZero: (() => (message: Wire) => {
    const method = message["method"];
    if (typeof method !== "string" || !method.startsWith("process/")) return [message];
    const params = message["params"] as Wire;
    return [{ ...message, params: { ...params, seq: (params["seq"] as number) - 1 } }];
  }) as Fault,
  /** `process/exited` loses `sandboxDenied`. */
  exitedWithoutSandboxDenied: rewriteNotification("process/exited", ({ sandboxDenied: _dropped, ...params }) => params),
  /** `fs/canonicalize` answers a native path instead of a file: URI (inside check directories; the run's setup is spared). */
  canonicalizeNativePath: rewriteResultWith("path", (result) =>
    String(result["path"]).includes("/fs_") ? { ...result, path: decodeURIComponent(new URL(String(result["path"])).pathname) } : result,
  ),
  /** Resuming an attached session answers -32600 instead of -32010. */
  attachedAsInvalidRequest: (() => (message: Wire) => {
    const error = message["error"] as Wire | undefined;
    return [error !== undefined && error["code"] === -32010 ? { ...message, error: { ...error, code: -32600 } } : message];
  }) as Fault,
  /** Every error message is reworded (codes untouched): tolerated except where a client parses the text. */
  rewordedErrors: (() => (message: Wire) => {
    const error = message["error"] as Wire | undefined;
    return [error !== undefined && message["id"] !== -1 ? { ...message, error: { ...error, message: `reworded: ${String(error["message"]).toUpperCase()}` } } : message];
  }) as Fault,
  /** `process/read` results carry extra members (as this project's do). */
  readWithExtras: rewriteResultWith("nextSeq", (result) => ({ ...result, truncated: false, droppedBytes: 0 })),
} satisfies Record<string, Fault>;

/** Client notifications other than `initialized` never reach the server, so it neither answers nor drops. */
export const swallowUnexpectedNotifications: InboundFault = () => (text) => {
  let value: Wire;
  try {
    value = JSON.parse(text) as Wire;
  } catch {
    return [text]; // malformed input is the server's to judge
  }
  return typeof value["method"] === "string" && !("id" in value) && value["method"] !== "initialized" ? [] : [text];
};
