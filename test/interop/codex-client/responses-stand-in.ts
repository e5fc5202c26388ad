import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";

/** One output item of a Responses API response (`message`, `function_call`, `custom_tool_call`, …). */
export type ResponseItem = Record<string, unknown> & { type: string };

/** A request codex sent to the stand-in, with its JSON body when it had one. */
export interface RecordedModelRequest {
  method: string;
  path: string;
  headers: Record<string, string | string[] | undefined>;
  body: Record<string, unknown> | undefined;
  /** Index into the script this request was answered from; `undefined` when it was not a `/responses` call. */
  answeredWith: number | undefined;
}

/** A running stand-in of the OpenAI Responses API. */
export interface ResponsesStandIn {
  /** The provider `base_url` to configure in codex: `http://127.0.0.1:PORT/v1`. */
  baseUrl: string;
  /** Every request received, in order (model turns and anything else codex asked for). */
  readonly requests: readonly RecordedModelRequest[];
  /** Number of `/responses` calls that arrived after the script ran out (each got a closing message). */
  readonly overflow: number;
  /** The `output` codex sent back for the tool call `callId` (`function_call_output` or `custom_tool_call_output`). */
  toolOutput(callId: string): unknown;
  close(): Promise<void>;
}

/** What the stand-in answers once the script is exhausted: a plain message that ends the turn. */
export const SCRIPT_EXHAUSTED_TEXT = "responses stand-in: script exhausted";

/**
 * Starts a local stand-in of the OpenAI Responses API (`POST …/responses`, `stream: true`) on 127.0.0.1:0.
 * The n-th `/responses` call is answered with `turns[n]` as a server-sent event stream of the shape codex 0.169
 * consumes with `wire_api = "responses"`: `response.created`, one `response.output_item.done` per item, then
 * `response.completed` with a zero usage block. Calls past the end of the script get an assistant message
 * ({@link SCRIPT_EXHAUSTED_TEXT}) so codex ends its turn instead of retrying; they are counted in `overflow`.
 * Other paths answer 404. When `apiKey` is given, a request without `Authorization: Bearer <apiKey>` gets 401.
 */
export async function startResponsesStandIn(turns: readonly (readonly ResponseItem[])[], apiKey?: string): Promise<ResponsesStandIn> {
  const requests: RecordedModelRequest[] = [];
  let nextTurn = 0;
  let overflow = 0;

  const handle = (request: IncomingMessage, response: ServerResponse, raw: Buffer): void => {
    const path = new URL(request.url ?? "/", "http://stand-in").pathname;
    let body: Record<string, unknown> | undefined;
    try {
      body = raw.length > 0 ? (JSON.parse(raw.toString("utf8")) as Record<string, unknown>) : undefined;
    } catch {
      body = undefined; // kept as undefined: the recorded request still shows the path and headers
    }
    const isTurn = request.method === "POST" && path.endsWith("/responses");
    const record: RecordedModelRequest = { method: request.method ?? "", path, headers: request.headers, body, answeredWith: undefined };
    requests.push(record);
    if (!isTurn) {
      response.writeHead(404, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: `stand-in has no ${path}` } }));
      return;
    }
    if (apiKey !== undefined && request.headers.authorization !== `Bearer ${apiKey}`) {
      response.writeHead(401, { "content-type": "application/json" }).end(JSON.stringify({ error: { message: "stand-in: wrong bearer" } }));
      return;
    }
    const index = nextTurn++;
    let items = turns[index];
    if (items === undefined) {
      overflow += 1;
      items = [assistantMessage(`overflow-${index}`, SCRIPT_EXHAUSTED_TEXT)];
    } else {
      record.answeredWith = index;
    }
    const responseId = `resp_stand_in_${index}`;
    const events: Record<string, unknown>[] = [
      { type: "response.created", response: { id: responseId } },
      ...items.map((item) => ({ type: "response.output_item.done", item })),
      {
        type: "response.completed",
        response: {
          id: responseId,
          usage: { input_tokens: 0, input_tokens_details: null, output_tokens: 0, output_tokens_details: null, total_tokens: 0 },
        },
      },
    ];
    response.writeHead(200, { "content-type": "text/event-stream", "cache-control": "no-cache" });
    response.end(events.map((event) => `event: ${String(event["type"])}\ndata: ${JSON.stringify(event)}\n\n`).join(""));
  };

  const server: Server = createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on("data", (chunk: Buffer) => chunks.push(chunk));
    request.on("end", () => handle(request, response, Buffer.concat(chunks)));
  });
  await new Promise<void>((resolve, reject) => {
    server.once("error", reject);
    server.listen(0, "127.0.0.1", () => resolve());
  });
  const { port } = server.address() as AddressInfo;

  return {
    baseUrl: `http://127.0.0.1:${port}/v1`,
    requests,
    get overflow() {
      return overflow;
    },
    toolOutput(callId: string): unknown {
      for (const request of requests) {
        const input = request.body?.["input"];
        if (!Array.isArray(input)) continue;
        for (const item of input as Record<string, unknown>[]) {
          const isOutput = item["type"] === "function_call_output" || item["type"] === "custom_tool_call_output";
          if (isOutput && item["call_id"] === callId) return item["output"];
        }
      }
      return undefined;
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** A `function_call` output item: codex runs tool `name` with the JSON `args`. */
export function functionCall(callId: string, name: string, args: Record<string, unknown>): ResponseItem {
  return { type: "function_call", call_id: callId, name, arguments: JSON.stringify(args) };
}

/** A `custom_tool_call` output item (freeform tools such as `apply_patch`): `input` is the raw tool input. */
export function customToolCall(callId: string, name: string, input: string): ResponseItem {
  return { type: "custom_tool_call", call_id: callId, name, input };
}

/** An assistant `message` output item with one `output_text` part. */
export function assistantMessage(id: string, text: string): ResponseItem {
  return { type: "message", role: "assistant", id, content: [{ type: "output_text", text }] };
}
