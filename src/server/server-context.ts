import type { ConnectionProcessor } from "./connection-processor.js";
import type { ConnectionFiles } from "./fs/connection-files.js";
import type { Session } from "./session-registry.js";
import type { SessionState } from "./session-state.js";

/** What each handler sees of its connection. */
export interface ServerContext {
  readonly connection: ConnectionProcessor<ServerContext>;
  /** Set by a successful `initialize`. */
  session: Session<SessionState> | undefined;
  /** Capabilities the client declared in `initialize`. */
  experimentalApi: boolean;
  /** This connection's file handles and missing-path watch (closed with the connection). */
  readonly files: ConnectionFiles;
}
