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
