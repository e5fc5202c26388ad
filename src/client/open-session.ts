import type { InitializeResult } from "../../generated/openrpc/types.js";
import { resolveDialect, type ClientDialect, type DialectChoice } from "./client-dialect.js";
import { connectExecServer, type ConnectedClient, type ConnectOptions } from "./connect.js";

/** Options of {@link openSession}. */
export interface OpenSessionOptions extends ConnectOptions {
  /** `clientName` sent in `initialize`. */
  clientName: string;
  /** Dialect to speak; `auto` (default) takes `codex-0.169` when `initialize` answers `environmentInfo`. */
  dialect?: DialectChoice;
}

/** A connected, initialized client and the dialect it speaks. */
export interface ClientSession extends ConnectedClient {
  readonly dialect: ClientDialect;
  readonly initializeResult: InitializeResult;
}

/**
 * Connects, sends `initialize` and `initialized`, and settles the dialect: works against this
 * project's server and against codex 0.169's `codex exec-server`. Closes the connection when
 * `initialize` fails.
 */
export async function openSession(url: string, options: OpenSessionOptions): Promise<ClientSession> {
  const connected = await connectExecServer(url, options);
  try {
    const initializeResult = await connected.client.initialize({ clientName: options.clientName });
    connected.client.notifyInitialized();
    return { ...connected, dialect: resolveDialect(options.dialect ?? "auto", initializeResult), initializeResult };
  } catch (error) {
    connected.close();
    throw error;
  }
}
