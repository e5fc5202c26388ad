import type { ExecServerClient } from "../../generated/openrpc/client.js";
import type { Handlers } from "../../generated/openrpc/dispatch.js";
import { LOCAL_ENVIRONMENT_ID } from "../environments/environment-manager.js";
import { ErrorCode, RpcError } from "../rpc/rpc-error.js";
import { describeEnvironment } from "./environment-info.js";
import { fsDialectOf, type FileSystemService } from "./fs/index.js";
import type { HttpRequestService } from "./http/index.js";
import type { ExecSandbox } from "../sandbox/exec-sandbox.js";
import type { ServerContext } from "./server-context.js";
import type { SessionRegistry } from "./session-registry.js";
import type { SessionState } from "./session-state.js";

/** What the handlers need from the server. */
export interface ServerHandlerDeps {
  sessions: SessionRegistry<SessionState>;
  fs: FileSystemService;
  /** `http/request` on this executor; absent or disabled → -32601. */
  http?: HttpRequestService;
  /** The server's one sandbox (codex 0.169 permission profiles): processes use it through their tables, fs methods directly. */
  sandbox: ExecSandbox;
}

/** The session of an initialized connection (the connection processor enforces ordering). */
function sessionOf(ctx: ServerContext): SessionState {
  if (!ctx.session) throw new RpcError(ErrorCode.InvalidRequest, "client must call initialize first");
  return ctx.session.resources;
}

function requireExperimental(ctx: ServerContext, method: string): void {
  if (!ctx.experimentalApi) throw new RpcError(ErrorCode.InvalidRequest, `${method} requires experimentalApi capability`);
}

type Routable = { environmentId?: string | null | undefined };

/**
 * True when params (or notification params) name a remote environment: such calls are forwarded
 * as they are, so their paths belong to, and are decoded by, that environment's server.
 */
export function routesToRemoteEnvironment(params: unknown): boolean {
  if (typeof params !== "object" || params === null) return false;
  const id = (params as Routable).environmentId;
  return typeof id === "string" && id !== LOCAL_ENVIRONMENT_ID;
}

/**
 * Runs `local` for calls without `environmentId` (or `local`), else forwards the params, minus
 * `environmentId`, to that remote environment's client (CONTRACT §8 Decision).
 */
function route<P extends Routable, R>(
  ctx: ServerContext,
  params: P,
  local: (params: P) => R | Promise<R>,
  remote: (client: ExecServerClient, params: Omit<P, "environmentId">) => Promise<R>,
): R | Promise<R> {
  const id = params.environmentId;
  // A local call returns the handler's own promise (an async wrapper added two microtask hops to every call).
  if (id === undefined || id === null || !routesToRemoteEnvironment(params)) return local(params);
  return routeRemote(ctx, params, id, remote);
}

async function routeRemote<P extends Routable, R>(
  ctx: ServerContext,
  params: P,
  id: string,
  remote: (client: ExecServerClient, params: Omit<P, "environmentId">) => Promise<R>,
): Promise<R> {
  const session = sessionOf(ctx);
  if (!session.environments.has(id)) throw new RpcError(ErrorCode.InvalidRequest, `unknown environment ${id}`);
  const { environmentId: _dropped, ...forwarded } = params;
  return remote(await session.environments.client(id), forwarded);
}

/**
 * The -32601 answer of a codex-configuration method this server does not offer, by decision: it
 * would re-implement codex's own configuration loader and plugin/skill discovery (docs/dialects.md).
 * The matching capability flags are false, so codex does not call them.
 */
function notOffered(method: string): () => never {
  return () => {
    throw new RpcError(ErrorCode.MethodNotFound, `${method} is not offered by this server (codex configuration is read on the client side)`);
  };
}

/** Handlers of every request method, bound to the server's sessions and filesystem. */
export function createServerHandlers(deps: ServerHandlerDeps): Handlers<ServerContext> {
  const { sessions, fs, http } = deps;
  const httpEnabled = http !== undefined && http.options.enabled;
  // Capabilities follow what this server serves: header env vars need http/request.
  const environmentInfo = () => describeEnvironment(undefined, { httpHeaderEnvVars: httpEnabled });
  const processes = (ctx: ServerContext) => sessionOf(ctx).processes;
  return {
    initialize(params, ctx) {
      const sink = (method: string, payload: unknown) => ctx.connection.notify(method, payload);
      const flow = ctx.connection.flow;
      const session = params.resumeSessionId ? sessions.resume(params.resumeSessionId, ctx, sink, flow) : sessions.create(ctx, sink, flow);
      ctx.session = session;
      ctx.experimentalApi = params.capabilities?.experimentalApi === true;
      return { sessionId: session.id, environmentInfo: environmentInfo() };
    },
    "process/start": (params, ctx) => route(ctx, params, (p) => processes(ctx).start(p), (c, p) => c.process.start(p)),
    "process/read": (params, ctx) =>
      route(ctx, params, (p) => processes(ctx).read(p), (c, p) => c.process.read(p, { timeoutMs: (p.waitMs ?? 0) + 30_000 })),
    "process/write": (params, ctx) => route(ctx, params, (p) => processes(ctx).write(p), (c, p) => c.process.write(p)),
    "process/terminate": (params, ctx) => route(ctx, params, (p) => processes(ctx).terminate(p), (c, p) => c.process.terminate(p)),
    // fs methods answer in the request's dialect (codes and texts differ; fs-error.ts has the table).
    "fs/readFile": (params, ctx, call) => route(ctx, params, (p) => fs.readFile(p, fsDialectOf(call)), (c, p) => c.fs.readFile(p)),
    "fs/writeFile": (params, ctx, call) => route(ctx, params, (p) => fs.writeFile(p, fsDialectOf(call)), (c, p) => c.fs.writeFile(p)),
    "fs/createDirectory": (params, ctx, call) => route(ctx, params, (p) => fs.createDirectory(p, fsDialectOf(call)), (c, p) => c.fs.createDirectory(p)),
    "fs/getMetadata": (params, ctx, call) => route(ctx, params, (p) => fs.getMetadata(p, fsDialectOf(call)), (c, p) => c.fs.getMetadata(p)),
    "fs/readDirectory": (params, ctx, call) => route(ctx, params, (p) => fs.readDirectory(p, fsDialectOf(call)), (c, p) => c.fs.readDirectory(p)),
    "fs/remove": (params, ctx, call) => route(ctx, params, (p) => fs.remove(p, fsDialectOf(call)), (c, p) => c.fs.remove(p)),
    "fs/copy": (params, ctx, call) => route(ctx, params, (p) => fs.copy(p, fsDialectOf(call)), (c, p) => c.fs.copy(p)),
    "environment/add": (params, ctx) => {
      requireExperimental(ctx, "environment/add");
      sessionOf(ctx).environments.add(params.environmentId, params.execServerUrl, params.connectTimeoutMs, params.authBearerToken);
      return {};
    },
    "environment/list": (_params, ctx) => {
      requireExperimental(ctx, "environment/list");
      return { environments: sessionOf(ctx).environments.list() };
    },
    "environment/remove": (params, ctx) => {
      requireExperimental(ctx, "environment/remove");
      return { removed: sessionOf(ctx).environments.remove(params.environmentId) };
    },
    "process/signal": (params, ctx) => route(ctx, params, (p) => processes(ctx).signal(p), (c, p) => c.process.signal(p)),
    "fs/canonicalize": (params, ctx, call) => route(ctx, params, (p) => fs.canonicalize(p, fsDialectOf(call)), (c, p) => c.fs.canonicalize(p)),
    "fs/walk": (params, ctx) => route(ctx, params, (p) => fs.walk(p), (c, p) => c.fs.walk(p)),
    // File handles and the missing-path watch belong to the connection (ctx.files), as upstream's.
    "fs/open": (params, ctx) => route(ctx, params, (p) => ctx.files.open(p), (c, p) => c.fs.open(p)),
    "fs/readBlock": (params, ctx) => route(ctx, params, (p) => ctx.files.readBlock(p), (c, p) => c.fs.readBlock(p)),
    "fs/writeBlock": (params, ctx) => route(ctx, params, (p) => ctx.files.writeBlock(p), (c, p) => c.fs.writeBlock(p)),
    "fs/close": (params, ctx) => route(ctx, params, (p) => ctx.files.closeHandle(p), (c, p) => c.fs.close(p)),
    "fs/watchMissing": (params, ctx) => route(ctx, params, (p) => ctx.files.watchMissing(p), (c, p) => c.fs.watchMissing(p)),
    "http/request": (params, ctx) =>
      route(
        ctx,
        params,
        (p) => {
          if (!httpEnabled) throw new RpcError(ErrorCode.MethodNotFound, "http/request is disabled on this server");
          return http!.request(p, ctx.connection);
        },
        // A remote executor enforces timeoutMs itself; this call waits as long plus a margin (none without one).
        (c, p) => c.http.request(p, { timeoutMs: typeof p.timeoutMs === "number" ? p.timeoutMs + 30_000 : 0 }),
      ),
    "environment/info": () => environmentInfo(),
    // The server answers only once it is serving, so it is always ready.
    "environment/status": () => ({ status: "ready" }),
    // Codex-configuration features, not offered by decision (docs/dialects.md): their flags stay false,
    // so codex reads its configuration and capabilities on its own side.
    "environmentConfig/read": notOffered("environmentConfig/read"),
    "capabilityRoots/discoverV1": notOffered("capabilityRoots/discoverV1"),
    "capabilities/discoverV2": notOffered("capabilities/discoverV2"),
  };
}
