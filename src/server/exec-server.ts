import type { MessageTransport } from "../rpc/message-transport.js";
import { ConnectionProcessor } from "./connection-processor.js";
import { SessionRegistry, type SessionRegistryOptions } from "./session-registry.js";
import { SessionState, type SessionStateOptions } from "./session-state.js";
import type { ServerContext } from "./server-context.js";
import { createServerHandlers, routesToRemoteEnvironment } from "./server-handlers.js";
import { PathCodec } from "../rpc/path-codec.js";
import { createDispatcher } from "../../generated/openrpc/dispatch.js";
import { FileSystemService, type FileSystemServiceOptions } from "./fs/index.js";
import type { ProcessTableOptions } from "./process/process-table-options.js";
import { HttpRequestService, type HttpRequestOptions } from "./http/index.js";
import { ExecSandbox, type ExecSandboxOptions } from "../sandbox/exec-sandbox.js";
import { decodePathOrUri } from "../rpc/path-uri.js";

/** Options of {@link ExecServer}; every limit has a documented default in the component it configures. */
export interface ExecServerOptions {
  /** Session lifetime limits (detach TTL 30 s, 1 024 sessions). */
  sessions?: Omit<SessionRegistryOptions<SessionState>, "createResources">;
  /** Per-session process limits (1 MiB retained output, 30 s retention, 2 s terminate grace, 256 processes). */
  processes?: Omit<ProcessTableOptions, "sandbox">;
  /**
   * The sandbox applying codex 0.169 permission profiles (`process/start.sandbox`, fs `sandbox`):
   * one per server (bwrap at `/usr/bin/bwrap`; `allowUnsandboxed: false` refuses sandboxed requests
   * when bubblewrap is unusable). See docs/sandbox.md.
   */
  sandbox?: Omit<ExecSandboxOptions, "decodePath">;
  /** Remote environment limits (connect timeout 10 s, initialize timeout 10 s, 64 per session). */
  environments?: SessionStateOptions["environments"];
  /** Filesystem limits (256 MiB read and write, 128 file handles per connection, 1 024 in all, ...). */
  fs?: FileSystemServiceOptions;
  /** `http/request` (enabled; 64 MiB buffered bodies, 64 calls per connection, 10 redirects). */
  http?: HttpRequestOptions;
  /** Diagnostics sink, one line per event. Default none. */
  log?: (line: string) => void;
  /** Requests processed at once per connection; more get -32600. Default 1 024. */
  maxInFlightRequests?: number;
}

/**
 * The transport-independent exec-server: sessions, processes and filesystem methods behind the
 * generated dispatcher. Each call to {@link ExecServer.serve} runs one JSON-RPC connection.
 */
export class ExecServer {
  readonly sessions: SessionRegistry<SessionState>;
  /** The one sandbox of this server (processes and fs methods share it). */
  readonly sandbox: ExecSandbox;
  readonly #connections = new Set<ConnectionProcessor<ServerContext>>();
  readonly #dispatcher;
  readonly #paths: PathCodec;
  readonly #log: (line: string) => void;
  readonly #maxInFlightRequests: number | undefined;
  readonly #http: HttpRequestService;
  readonly #fs: FileSystemService;

  constructor(options: ExecServerOptions = {}) {
    // The edge codec has already decoded the context's paths (plain ones too).
    this.sandbox = new ExecSandbox({ ...options.sandbox, decodePath: (text) => decodePathOrUri(text) });
    const stateOptions: SessionStateOptions = {
      processes: { ...options.processes, sandbox: this.sandbox },
      ...(options.environments ? { environments: options.environments } : {}),
    };
    this.sessions = new SessionRegistry({ ...options.sessions, createResources: () => new SessionState(stateOptions) });
    this.#log = options.log ?? (() => {});
    this.#maxInFlightRequests = options.maxInFlightRequests;
    const fs = new FileSystemService(options.fs, this.sandbox);
    this.#fs = fs;
    this.#paths = new PathCodec({ passThrough: routesToRemoteEnvironment });
    this.#http = new HttpRequestService(options.http);
    this.#dispatcher = createDispatcher<ServerContext>(createServerHandlers({ sessions: this.sessions, fs, http: this.#http, sandbox: this.sandbox }), { codec: this.#paths });
  }

  /** Serves one JSON-RPC connection over `transport` until it closes. */
  serve(transport: MessageTransport): ConnectionProcessor<ServerContext> {
    const connection: ConnectionProcessor<ServerContext> = new ConnectionProcessor<ServerContext>(transport, {
      dispatcher: this.#dispatcher,
      createContext: (processor) => ({
        connection: processor,
        session: undefined,
        experimentalApi: false,
        files: this.#fs.openConnection((method, params) => processor.notify(method, params)),
      }),
      onClosed: (ctx) => {
        this.#connections.delete(connection);
        void ctx.files.close();
        this.#http.closeConnection(connection);
        if (ctx.session) this.sessions.detach(ctx.session, ctx);
      },
      log: this.#log,
      encodeNotification: (method, params) => this.#paths.encodeNotification(this.#dispatcher.describe(method), params),
      ...(this.#maxInFlightRequests === undefined ? {} : { maxInFlightRequests: this.#maxInFlightRequests }),
    });
    this.#connections.add(connection);
    return connection;
  }

  /**
   * Whether sandboxed requests can be served here (bubblewrap probed once), as one log line; the
   * CLI prints it at start so an unusable bubblewrap is known before the first sandboxed request.
   */
  async describeSandbox(): Promise<string> {
    const available = await this.sandbox.availability();
    if (available.usable) return `sandbox: ${available.version} at ${available.path}`;
    return `sandbox: unavailable (${available.reason}); ${this.sandbox.allowsUnsandboxed ? "sandboxed requests run WITHOUT a sandbox (--allow-unsandboxed)" : "sandboxed requests are refused"}`;
  }

  /** Graceful shutdown: closes every connection and kills every session's processes. */
  async shutdown(): Promise<void> {
    for (const connection of [...this.#connections]) connection.close("server shutting down");
    await Promise.all([this.sessions.closeAll(), this.#http.close()]);
    await this.sandbox.dispose();
  }
}
