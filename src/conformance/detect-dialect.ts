import type { MessageTransport } from "../rpc/message-transport.js";
import type { Clock } from "../util/clock.js";
import { dialectFromInitializeResult, type DialectDecision } from "./dialect.js";
import { RawPeer } from "./raw-peer.js";

/**
 * Detects the dialect of the server behind `connect`: one connection, one `initialize` (no
 * `"jsonrpc"` member, which both dialects accept), then {@link dialectFromInitializeResult}. When
 * the server cannot be asked (no connection, an error, no answer within `timeoutMs`), the run falls
 * back to seed and the reason says why; its checks then fail on their own.
 */
export async function detectDialect(connect: () => Promise<MessageTransport>, clock: Clock, timeoutMs: number): Promise<DialectDecision> {
  let transport: MessageTransport | undefined;
  try {
    transport = await connect();
    const peer = new RawPeer(transport, clock, timeoutMs);
    const response = await peer.request("initialize", { clientName: "exec-server-conformance" }, { envelope: "lite", id: 1 });
    if (response.error !== undefined) {
      return { dialect: "seed", reason: `detection failed (initialize answered ${response.error.code}: ${response.error.message}); judging in seed` };
    }
    return dialectFromInitializeResult(response.result);
  } catch (error) {
    return { dialect: "seed", reason: `detection failed (${error instanceof Error ? error.message : String(error)}); judging in seed` };
  } finally {
    transport?.close("conformance dialect detection finished");
  }
}
