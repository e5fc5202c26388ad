import { test } from "node:test";
import assert from "node:assert/strict";
import { assistantMessage, functionCall, SCRIPT_EXHAUSTED_TEXT, startResponsesStandIn } from "./responses-stand-in.js";

/** Posts one model call and returns the SSE events as `[event name, parsed data]`. */
async function post(baseUrl: string, body: unknown, key = "k"): Promise<{ status: number; events: [string, Record<string, unknown>][] }> {
  const response = await fetch(`${baseUrl}/responses`, {
    method: "POST",
    headers: { "content-type": "application/json", authorization: `Bearer ${key}` },
    body: JSON.stringify(body),
  });
  const text = await response.text();
  if (response.status !== 200) return { status: response.status, events: [] };
  assert.equal(response.headers.get("content-type"), "text/event-stream");
  const events = text
    .split("\n\n")
    .filter((block) => block.length > 0)
    .map((block): [string, Record<string, unknown>] => {
      const [eventLine, dataLine] = block.split("\n");
      return [String(eventLine).replace(/^event: /, ""), JSON.parse(String(dataLine).replace(/^data: /, "")) as Record<string, unknown>];
    });
  return { status: response.status, events };
}

test("the stand-in answers the scripted turns in order as Responses API event streams, then closes the turn", async () => {
  const standIn = await startResponsesStandIn([[functionCall("c1", "exec_command", { cmd: "true" })], [assistantMessage("m", "done")]], "k");
  try {
    assert.match(standIn.baseUrl, /^http:\/\/127\.0\.0\.1:\d+\/v1$/);
    const first = await post(standIn.baseUrl, { input: [] });
    assert.deepEqual(first.events.map(([name]) => name), ["response.created", "response.output_item.done", "response.completed"]);
    assert.ok(first.events.every(([name, data]) => data["type"] === name));
    assert.deepEqual(first.events[1]?.[1]["item"], { type: "function_call", call_id: "c1", name: "exec_command", arguments: '{"cmd":"true"}' });
    assert.equal((first.events[2]?.[1]["response"] as Record<string, unknown>)["id"], (first.events[0]?.[1]["response"] as Record<string, unknown>)["id"]);

    const second = await post(standIn.baseUrl, { input: [{ type: "function_call_output", call_id: "c1", output: "ran" }] });
    assert.equal((second.events[1]?.[1]["item"] as Record<string, unknown>)["id"], "m");
    assert.equal(standIn.toolOutput("c1"), "ran");
    assert.equal(standIn.toolOutput("c2"), undefined);

    assert.equal(standIn.overflow, 0);
    const third = await post(standIn.baseUrl, { input: [] });
    const content = (third.events[1]?.[1]["item"] as { content: { text: string }[] }).content;
    assert.equal(content[0]?.text, SCRIPT_EXHAUSTED_TEXT);
    assert.equal(standIn.overflow, 1);
    assert.deepEqual(standIn.requests.map((request) => request.answeredWith), [0, 1, undefined]);
  } finally {
    await standIn.close();
  }
});

test("the stand-in refuses a wrong bearer with 401 and unknown paths with 404, and records both", async () => {
  const standIn = await startResponsesStandIn([[assistantMessage("m", "x")]], "k");
  try {
    assert.equal((await post(standIn.baseUrl, {}, "wrong")).status, 401);
    assert.equal((await fetch(`${standIn.baseUrl}/models`)).status, 404);
    assert.deepEqual(standIn.requests.map((request) => [request.method, request.path]), [["POST", "/v1/responses"], ["GET", "/v1/models"]]);
    assert.equal(standIn.overflow, 0, "a refused call uses no turn");
  } finally {
    await standIn.close();
  }
});
