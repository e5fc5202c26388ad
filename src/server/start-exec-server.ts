import type { Readable, Writable } from "node:stream";
import type { FlowWaterMarks } from "../rpc/message-transport.js";
import { WaterMarkFlow } from "../rpc/water-mark-flow.js";
import { ExecServer, type ExecServerOptions } from "./exec-server.js";
import { DEFAULT_LISTEN_URL, parseListenUrl } from "./listen-url.js";
import { stdioTransport } from "./stdio-transport.js";
import { startWebsocketListener, type WebsocketListener } from "./websocket-listener.js";
import { websocketTransport } from "./websocket-transport.js";

/** Options of {@link startExecServer}. */
export interface StartExecServerOptions extends ExecServerOptions {
  /** `ws://IP:PORT` or `stdio`. Default `ws://127.0.0.1:0`. */
  listen?: string;
  /** Origins allowed to open a websocket (requests with any other `Origin` get 403). Default none. */
  allowedOrigins?: readonly string[];
  /** Bearer token required on the websocket upgrade. Required off loopback unless `allowUnauthenticatedRemote`. */
  connectionToken?: string | undefined;
  /** Permit a non-loopback listener without a token. Default false. */
  allowUnauthenticatedRemote?: boolean;
  /** Largest inbound websocket message in bytes. Default 128 MiB. */
  maxMessageBytes?: number;
  /** Open websockets at once; further upgrades get 503. Default 1 024. */
  maxConnections?: number;
  /** Websocket ping interval in ms; a client that misses a pong is disconnected. 0 disables. Default 30 000. */
  pingIntervalMs?: number;
  /**
   * Outbound flow control of each websocket or stdio connection: process output pauses while more than
   * `highWaterBytes` are buffered for the client, until `lowWaterBytes` remain. Default 8 MiB / 2 MiB.
   */
  outboundFlow?: FlowWaterMarks;
  /** stdio mode only: the streams to use. Default process.stdin / process.stdout. */
  stdio?: { input: Readable; output: Writable };
}

/** A running exec-server. */
export interface RunningExecServer {
  /** `ws://IP:PORT` as bound, or `stdio`. */
  readonly url: string;
  readonly server: ExecServer;
  /** Graceful shutdown: `/readyz` 503, stop accepting, close connections, kill every child. */
  close(): Promise<void>;
  /** Resolves when the server stops by itself (stdio input ended). */
  readonly done: Promise<void>;
}

/** Starts an exec-server on a websocket listener or on stdio (CONTRACT §5). */
export async function startExecServer(options: StartExecServerOptions = {}): Promise<RunningExecServer> {
  const target = parseListenUrl(options.listen ?? DEFAULT_LISTEN_URL);
  const server = new ExecServer(options);
  const flowOptions = options.outboundFlow === undefined ? {} : { flow: options.outboundFlow };
  new WaterMarkFlow(options.outboundFlow); // validates the marks now rather than on the first connection
  if (target.kind === "stdio") {
    const transport = stdioTransport(options.stdio?.input ?? process.stdin, options.stdio?.output ?? process.stdout, flowOptions);
    let closed: Promise<void> | undefined;
    const close = () => (closed ??= server.shutdown());
    const done = new Promise<void>((resolve) => transport.onClose(() => void close().then(resolve)));
    server.serve(transport);
    return { url: "stdio", server, close, done };
  }
  const listener: WebsocketListener = await startWebsocketListener({
    host: target.host,
    port: target.port,
    ...(options.maxMessageBytes === undefined ? {} : { maxMessageBytes: options.maxMessageBytes }),
    ...(options.maxConnections === undefined ? {} : { maxConnections: options.maxConnections }),
    ...(options.pingIntervalMs === undefined ? {} : { pingIntervalMs: options.pingIntervalMs }),
    allowedOrigins: options.allowedOrigins ?? [],
    connectionToken: options.connectionToken,
    allowUnauthenticatedRemote: options.allowUnauthenticatedRemote ?? false,
    onConnection: (socket, _request, stream) => server.serve(websocketTransport(socket, { ...flowOptions, stream })),
  });
  let closing: Promise<void> | undefined;
  let markDone: () => void = () => {};
  const done = new Promise<void>((resolve) => (markDone = resolve));
  const running: RunningExecServer = {
    url: listener.url,
    server,
    done,
    close() {
      closing ??= (async () => {
        listener.markShuttingDown();
        await server.shutdown();
        await listener.close();
        markDone();
      })();
      return closing;
    },
  };
  return running;
}
