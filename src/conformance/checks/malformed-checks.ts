import type { Check, CheckContext } from "../check.js";
import { expect } from "../check.js";
import { expectRawError, show } from "../expectations.js";

/**
 * Sends `text` on a fresh connection, expects an error with id -1 and code -32600, then proves the
 * connection still works by completing the handshake and one request.
 */
async function expectIdMinusOne(ctx: CheckContext, text: string, what: string, handshakeFirst: boolean): Promise<void> {
  const peer = await ctx.openRaw();
  if (handshakeFirst) await peer.handshake();
  const mark = peer.inbound.length;
  peer.sendText(text);
  const reply = await peer.waitForNextResponse(mark, `an error answering ${what}`);
  expect(reply.id === -1, () => `${what} was answered with id ${show(reply.id)}, expected -1: ${show(reply.message)}`);
  expectRawError(reply, -32600, what);
  expect(peer.closedReason === undefined, `the connection closed after ${what} (${peer.closedReason ?? ""})`);
  if (!handshakeFirst) await peer.handshake();
  const after = await peer.request("fs/getMetadata", { path: ctx.scratchDir });
  expect(after.error === undefined, () => `the connection stopped working after ${what}: ${show(after.error)}`);
}

/** CONTRACT §2: malformed and unexpected inbound messages get id -1 and the connection stays open. */
export function malformedChecks(): Check[] {
  return [
    {
      id: "malformed/not-json",
      title: "text that is not JSON gets error id -1 (-32600); the connection keeps working",
      run: (ctx) => expectIdMinusOne(ctx, "{not json", "non-JSON text", false),
    },
    {
      id: "malformed/not-an-object",
      title: "a JSON value that is not an object gets error id -1 (-32600)",
      run: (ctx) => expectIdMinusOne(ctx, '"hello"', "a JSON string", false),
    },
    {
      id: "malformed/no-method-result-or-error",
      title: "an object that is no JSON-RPC shape gets error id -1 (-32600)",
      run: (ctx) => expectIdMinusOne(ctx, '{"foo":1}', "an object without method, result or error", true),
    },
    {
      id: "malformed/client-response",
      title: "a response sent by the client gets error id -1 (-32600)",
      run: (ctx) => expectIdMinusOne(ctx, '{"jsonrpc":"2.0","id":99,"result":{}}', "a client-sent response", true),
    },
    {
      id: "malformed/unexpected-notification",
      title: "a notification other than initialized gets error id -1 (-32600)",
      run: (ctx) => expectIdMinusOne(ctx, '{"jsonrpc":"2.0","method":"process/output","params":{}}', "an unexpected notification", true),
    },
  ];
}
