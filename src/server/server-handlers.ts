import type { Handlers } from "../../generated/openrpc/dispatch.js";
import { ErrorCode, RpcError } from "../rpc/rpc-error.js";
import type { FileSystemService } from "./fs/index.js";
import type { ServerContext } from "./server-context.js";
import type { SessionRegistry } from "./session-registry.js";
import type { SessionState } from "./session-state.js";

/** What the handlers need from the server. */
export interface ServerHandlerDeps {
  sessions: SessionRegistry<SessionState>;
  fs: FileSystemService;
}

/** The session of an initialized connection (the connection processor enforces ordering). */
function sessionOf(ctx: ServerContext): SessionState {
  if (!ctx.session) throw new RpcError(ErrorCode.InvalidRequest, "client must call initialize first");
  return ctx.session.resources;
}

/** Refuses an `environmentId` that names anything but the local machine (routing lives in the gateway). */
function localOnly<P extends { environmentId?: string | null | undefined }>(params: P): P {
  const id = params.environmentId;
  if (id !== undefined && id !== null && id !== "local") {
    throw new RpcError(ErrorCode.InvalidRequest, `unknown environment ${id}`);
  }
  return params;
}

/** Handlers of every request method, bound to the server's sessions and filesystem. */
export function createServerHandlers(deps: ServerHandlerDeps): Handlers<ServerContext> {
  const { sessions, fs } = deps;
  return {
    initialize(params, ctx) {
      const sink = (method: string, payload: unknown) => ctx.connection.notify(method, payload);
      const session = params.resumeSessionId
        ? sessions.resume(params.resumeSessionId, ctx, sink)
        : sessions.create(ctx, sink);
      ctx.session = session;
      ctx.experimentalApi = params.capabilities?.experimentalApi === true;
      return { sessionId: session.id };
    },
    "process/start": (params, ctx) => sessionOf(ctx).processes.start(localOnly(params)),
    "process/read": (params, ctx) => sessionOf(ctx).processes.read(localOnly(params)),
    "process/write": (params, ctx) => sessionOf(ctx).processes.write(localOnly(params)),
    "process/terminate": (params, ctx) => sessionOf(ctx).processes.terminate(localOnly(params)),
    "fs/readFile": (params) => fs.readFile(localOnly(params)),
    "fs/writeFile": (params) => fs.writeFile(localOnly(params)),
    "fs/createDirectory": (params) => fs.createDirectory(localOnly(params)),
    "fs/getMetadata": (params) => fs.getMetadata(localOnly(params)),
    "fs/readDirectory": (params) => fs.readDirectory(localOnly(params)),
    "fs/remove": (params) => fs.remove(localOnly(params)),
    "fs/copy": (params) => fs.copy(localOnly(params)),
    "environment/add": (_params, ctx) => {
      if (!ctx.experimentalApi) throw new RpcError(ErrorCode.InvalidRequest, "environment/add requires experimentalApi capability");
      throw new RpcError(ErrorCode.InvalidRequest, "remote environments are not available on this server");
    },
    "environment/list": () => ({ environments: [{ environmentId: "local", kind: "local", execServerUrl: null, isDefault: true, connected: true }] }),
    "environment/remove": (params) => {
      if (params.environmentId === "local") throw new RpcError(ErrorCode.InvalidRequest, "environment id local is reserved");
      return { removed: false };
    },
  };
}
