import type { Check, CheckContext } from "../../check.js";
import { expect, fail } from "../../check.js";
import { show } from "../../expectations.js";
import type { RawResponse } from "../../raw-peer.js";
import { CodexPeer, expectCodexError } from "../codex-peer.js";

/** Upstream's wording for a message it cannot parse (UPSTREAM-0.169 §5.2), `<reason>` varying. */
function parseFailure(reason: string): RegExp {
  const escaped = reason.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
  return new RegExp(`^failed to parse websocket JSON-RPC message from exec-server websocket \\S+: ${escaped}$`);
}

/** The first error response with id -1 received after inbound index `from`. */
function minusOneAfter(peer: CodexPeer, from: number): RawResponse | undefined {
  const found = peer.raw.inbound.slice(from).find((inbound) => inbound.value !== undefined && inbound.value["id"] === -1 && Object.hasOwn(inbound.value, "error"));
  if (found?.value === undefined) return undefined;
  const value = found.value;
  return { id: -1, message: value, error: value["error"] as { code: number; message: string } };
}

/**
 * Sends `text` on a fresh connection (after the handshake unless `handshakeFirst` is false),
 * expects an error with id -1 and -32600, then proves the connection still works.
 */
async function expectIdMinusOne(ctx: CheckContext, text: string, what: string, upstreamReason: string, handshakeFirst = true): Promise<CodexPeer> {
  const peer = await CodexPeer.open(ctx, { handshake: handshakeFirst });
  const mark = peer.raw.inbound.length;
  peer.raw.sendText(text);
  const reply = await peer.raw.waitForNextResponse(mark, `an error answering ${what}`);
  expect(reply.id === -1, () => `${what} was answered with id ${show(reply.id)}, expected -1: ${show(reply.message)}`);
  expectCodexError(ctx, reply, -32600, what, { upstream: parseFailure(upstreamReason) });
  expect(peer.closedReason === undefined, `the connection closed after ${what} (${peer.closedReason ?? ""})`);
  if (!handshakeFirst) await peer.handshake();
  await peer.call("environment/status", undefined, { what: `environment/status after ${what}` });
  return peer;
}

/**
 * A message the dialect does not allow at this point (UPSTREAM-0.169 §5.3). Upstream drops the
 * socket; this project answers an id -1 error (-32600) and keeps the connection. Both are accepted
 * and recorded as `unexpectedMessage=drop|error-1`; anything else (silence, another id or code)
 * fails.
 */
async function expectDropOrMinusOne(ctx: CheckContext, text: string, what: string, handshakeFirst = true): Promise<void> {
  const peer = await CodexPeer.open(ctx, { handshake: handshakeFirst });
  const mark = peer.raw.inbound.length;
  peer.raw.sendText(text);
  const outcome = await peer.raw
    .waitFor(() => {
      const error = minusOneAfter(peer, mark);
      if (error !== undefined) return { kind: "error-1" as const, error };
      const other = peer.raw.inbound.slice(mark).find((inbound) => inbound.value !== undefined && !Object.hasOwn(inbound.value, "method"));
      if (other !== undefined) return { kind: "other" as const, text: other.text };
      return peer.closedReason !== undefined ? { kind: "drop" as const } : undefined;
    }, `either an id -1 error or the connection closing after ${what}`)
    .catch(() => fail(`${what}: the server neither answered with an id -1 error nor closed the connection within ${ctx.stepTimeoutMs} ms`));
  if (outcome.kind === "other") fail(`${what} was answered with ${outcome.text}, expected an id -1 error or a dropped connection`);
  ctx.variant("unexpectedMessage", outcome.kind);
  if (outcome.kind === "drop") return;
  expectCodexError(ctx, outcome.error, -32600, what);
  expect(peer.closedReason === undefined, `${what}: an id -1 error was sent but the connection closed too (${peer.closedReason ?? ""})`);
  if (!handshakeFirst) await peer.handshake();
  await peer.call("environment/status", undefined, { what: `environment/status after ${what}` });
}

/** UPSTREAM-0.169 §5.2–5.3: malformed input gets id -1; unexpected messages drop or get id -1. */
export function malformedChecks(): Check[] {
  return [
    {
      id: "malformed/not-json",
      title: "text that is not JSON, even before initialize → error id -1 (-32600); the connection keeps working",
      run: async (ctx) => void (await expectIdMinusOne(ctx, "{not json", "non-JSON text", "key must be a string at line 1 column 2", false)),
    },
    {
      id: "malformed/not-an-object",
      title: "a JSON value that is not an object (42) → error id -1 (-32600)",
      run: async (ctx) => void (await expectIdMinusOne(ctx, "42", "the JSON number 42", "expected a JSON-RPC object")),
    },
    {
      id: "malformed/empty-batch",
      title: "an empty JSON array → error id -1 (-32600)",
      run: async (ctx) => void (await expectIdMinusOne(ctx, "[]", "an empty array", "expected a JSON-RPC object")),
    },
    {
      id: "malformed/batch-refused",
      title: "a batch (array of requests) → error id -1 (-32600) and nothing in it is executed",
      async run(ctx) {
        const peer = await expectIdMinusOne(ctx, '[{"id":777,"method":"environment/status"}]', "a batch of one request", "expected a JSON-RPC object");
        const executed = peer.raw.inbound.find((inbound) => inbound.value?.["id"] === 777);
        expect(executed === undefined, () => `the request inside the refused batch was executed: ${executed?.text ?? ""}`);
      },
    },
    {
      id: "malformed/no-shape",
      title: "an object that is neither request, notification nor response ({\"foo\":1}, {\"id\":5}) → error id -1 (-32600)",
      async run(ctx) {
        await expectIdMinusOne(ctx, '{"foo":1}', '{"foo":1}', "missing field `error`");
        await expectIdMinusOne(ctx, '{"id":5}', '{"id":5}', "missing field `error`");
      },
    },
    {
      id: "malformed/bad-ids",
      title: "a request whose id is null, a float or an object → error id -1 (-32600), never an answer to that id",
      async run(ctx) {
        for (const id of ["null", "1.5", "{}"]) {
          await expectIdMinusOne(ctx, `{"id":${id},"method":"environment/status"}`, `a request with id ${id}`, "data did not match any variant of untagged enum RequestId");
        }
      },
    },
    {
      id: "malformed/method-not-a-string",
      title: "a request whose method is not a string → error id -1 (-32600)",
      run: async (ctx) => void (await expectIdMinusOne(ctx, '{"id":1,"method":5}', "a numeric method", "invalid type: number, expected a string")),
    },
    {
      id: "unexpected/notification",
      title: "a notification other than initialized: dropped socket (upstream) or id -1 error with the connection kept (variant)",
      run: (ctx) => expectDropOrMinusOne(ctx, '{"method":"foo/bar","params":{}}', "an unexpected notification"),
    },
    {
      id: "unexpected/request-without-id",
      title: "a request method sent as a notification (no id): dropped socket or id -1 error (variant)",
      run: (ctx) => expectDropOrMinusOne(ctx, '{"method":"environment/status"}', "environment/status without an id"),
    },
    {
      id: "unexpected/client-response",
      title: "a response to no server request: dropped socket or id -1 error (variant)",
      run: (ctx) => expectDropOrMinusOne(ctx, '{"id":999,"result":{}}', "a stray client response"),
    },
    {
      id: "unexpected/client-error",
      title: "an error object answering no server request: dropped socket or id -1 error (variant)",
      run: (ctx) => expectDropOrMinusOne(ctx, '{"id":999,"error":{"code":1,"message":"x"}}', "a stray client error"),
    },
    {
      id: "unexpected/early-initialized",
      title: "initialized before initialize: dropped socket or id -1 error (variant)",
      run: (ctx) => expectDropOrMinusOne(ctx, '{"method":"initialized","params":{}}', "initialized before initialize", false),
    },
  ];
}
