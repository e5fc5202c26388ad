import assert from "node:assert/strict";
import { after, before, describe, test } from "node:test";
import { startExecServer, type RunningExecServer } from "../../../src/server/start-exec-server.js";
import { HttpOrigin, patternSha256, type OriginEcho } from "../../helpers/http-origin.js";
import { JsonWsClient, b64, type Message } from "../../helpers/json-ws-client.js";
import { createHash } from "node:crypto";

let server: RunningExecServer;
let origin: HttpOrigin;
const clients: JsonWsClient[] = [];

before(async () => {
  origin = await HttpOrigin.start();
  server = await startExecServer({ http: { maxBufferedBodyBytes: 1024 * 1024, maxRequestsPerConnection: 3 } });
});
after(async () => {
  for (const client of clients) client.socket.terminate();
  await server.close();
  await origin.close();
});

async function connect(url = server.url): Promise<JsonWsClient> {
  const client = await JsonWsClient.connect(url);
  clients.push(client);
  await client.handshake();
  return client;
}

function echoOf(result: Record<string, unknown>): OriginEcho {
  return JSON.parse(Buffer.from(String(result["bodyBase64"]), "base64").toString("utf8")) as OriginEcho;
}

function deltasOf(client: JsonWsClient, requestId: string): Array<Record<string, unknown>> {
  return client.notifications.filter((n) => n.method === "http/request/bodyDelta" && n.params?.["requestId"] === requestId).map((n) => n.params!);
}

async function streamed(client: JsonWsClient, requestId: string, timeoutMs = 10_000): Promise<{ deltas: Array<Record<string, unknown>>; body: Buffer }> {
  await client.waitFor(() => deltasOf(client, requestId).some((d) => d["done"] === true), timeoutMs, `the final delta of ${requestId}`);
  const deltas = deltasOf(client, requestId);
  return { deltas, body: Buffer.concat(deltas.map((d) => Buffer.from(String(d["deltaBase64"]), "base64"))) };
}

function errorOf(response: Message): { code: number; message: string } {
  assert.ok(response.error, `expected an error, got ${JSON.stringify(response.result)}`);
  return { code: response.error.code, message: response.error.message };
}

describe("http/request over a real websocket", () => {
  test("a buffered GET answers status, headers (order and repeats kept) and the body; request headers go out grouped by name", async () => {
    const client = await connect();
    const result = await client.call("http/request", {
      method: "GET",
      url: origin.url("/echo"),
      requestId: "b1",
      headers: [{ name: "X-A", value: "1" }, { name: "x-b", value: "2" }, { name: "x-a", value: "3" }],
    });
    assert.equal(result["status"], 200);
    const names = (result["headers"] as Array<{ name: string; value: string }>).map((h) => `${h.name}=${h.value}`);
    assert.deepEqual(names.slice(0, 4), ["content-type=application/json", "x-multi=a", "x-multi=b", "x-other=o"]);
    const echo = echoOf(result);
    assert.deepEqual(echo.headers.filter(([name]) => name.startsWith("x-")), [["x-a", "1"], ["x-a", "3"], ["x-b", "2"]]);
    assert.deepEqual(echo.headers.find(([name]) => name === "accept"), ["accept", "*/*"]);
  });

  test("POST sends the body; HTTP error statuses are results; HEAD and 204 have empty bodies", async () => {
    const client = await connect();
    const posted = await client.call("http/request", { method: "POST", url: origin.url("/echo"), requestId: "p", bodyBase64: b64("payload") });
    assert.deepEqual([echoOf(posted).method, echoOf(posted).body], ["POST", "payload"]);
    const missing = await client.call("http/request", { method: "GET", url: origin.url("/status/503"), requestId: "p" });
    assert.equal(missing["status"], 503);
    assert.equal(Buffer.from(String(missing["bodyBase64"]), "base64").toString(), "status 503");
    const head = await client.call("http/request", { method: "HEAD", url: origin.url("/echo"), requestId: "p" });
    assert.deepEqual([head["status"], head["bodyBase64"]], [200, ""]);
    const empty = await client.call("http/request", { method: "GET", url: origin.url("/status/204"), requestId: "p" });
    assert.deepEqual([empty["status"], empty["bodyBase64"]], [204, ""]);
    const weird = await client.call("http/request", { method: "GET", url: origin.url("/weird-headers"), requestId: "p" });
    assert.deepEqual(weird["headers"], [{ name: "x-ok", value: "v" }, { name: "x-upper", value: "U" }, { name: "content-length", value: "1" }]);
  });

  test("redirects: followed by default (303 and 302 turn POST into GET, 307 keeps it), stop returns the 3xx, a loop fails", async () => {
    const client = await connect();
    const followed = await client.call("http/request", { method: "GET", url: origin.url("/redirect"), requestId: "r" });
    assert.deepEqual([followed["status"], echoOf(followed).url], [200, "/echo"]);
    for (const [code, method, body] of [[302, "GET", ""], [303, "GET", ""], [307, "POST", "kept"]] as const) {
      const result = await client.call("http/request", { method: "POST", url: origin.url(`/redirect?code=${code}`), requestId: "r", bodyBase64: b64("kept") });
      assert.deepEqual([echoOf(result).method, echoOf(result).body], [method, body], `redirect ${code}`);
    }
    const stopped = await client.call("http/request", { method: "GET", url: origin.url("/redirect"), requestId: "r", redirectPolicy: "stop" });
    assert.equal(stopped["status"], 302);
    assert.deepEqual((stopped["headers"] as Array<{ name: string; value: string }>).filter((h) => h.name === "location"), [{ name: "location", value: "/echo" }]);
    const ten = await client.call("http/request", { method: "GET", url: origin.url("/chain?n=10"), requestId: "r" });
    assert.equal(Buffer.from(String(ten["bodyBase64"]), "base64").toString(), "end", "10 redirects are followed");
    for (const url of [origin.url("/chain?n=11"), origin.url("/loop")]) {
      assert.deepEqual(errorOf(await client.request("http/request", { method: "GET", url, requestId: "r" })), { code: -32603, message: "http/request failed: too many redirects" });
    }
  });

  test("transport failures and timeouts are -32603 http/request failed; validation errors are -32602", async () => {
    const client = await connect();
    const refused = errorOf(await client.request("http/request", { method: "GET", url: "http://127.0.0.1:1/", requestId: "f" }));
    assert.equal(refused.code, -32603);
    assert.match(refused.message, /^http\/request failed: error sending request for url \(http:\/\/127\.0\.0\.1:1\/\): connect ECONNREFUSED/);
    const started = Date.now();
    const timedOut = errorOf(await client.request("http/request", { method: "GET", url: origin.url("/hold"), requestId: "f", timeoutMs: 200 }));
    assert.equal(timedOut.code, -32603);
    assert.match(timedOut.message, /timed out after 200 ms/);
    assert.ok(Date.now() - started < 5_000);
    const invalid = errorOf(await client.request("http/request", { method: "GET", url: "ftp://x/", requestId: "f" }));
    assert.deepEqual(invalid, { code: -32602, message: "http/request only supports http and https URLs, got ftp" });
    const noId = errorOf(await client.request("http/request", { method: "GET", url: origin.url("/echo") }));
    assert.equal(noId.code, -32602);
    assert.match(noId.message, /requestId/);
  });

  test("a buffered body over maxBufferedBodyBytes is refused with -32600 (declared or chunked); a short body fails -32603", async () => {
    const client = await connect();
    const declared = errorOf(await client.request("http/request", { method: "GET", url: origin.url(`/generate?bytes=${2 * 1024 * 1024}`), requestId: "big" }));
    assert.deepEqual(declared, { code: -32600, message: "http/request response body is too large to buffer: limit is 1048576 bytes (use streamResponse)" });
    const short = errorOf(await client.request("http/request", { method: "GET", url: origin.url("/short"), requestId: "short" }));
    assert.equal(short.code, -32603);
    assert.match(short.message, /^failed to read http\/request response body: error decoding response body: /);
    // The same size streams fine.
    await client.call("http/request", { method: "GET", url: origin.url(`/generate?bytes=${2 * 1024 * 1024}`), requestId: "big", streamResponse: true });
    const { body } = await streamed(client, "big");
    assert.equal(body.length, 2 * 1024 * 1024);
  });

  test("streamResponse: the result (bodyBase64 \"\") precedes bodyDelta seq 1, 2, … (≤ 1 MiB each), the last {done: true, deltaBase64: \"\"}", async () => {
    const client = await connect();
    const order: string[] = [];
    client.socket.on("message", (data: Buffer) => {
      const message = JSON.parse(data.toString()) as Message;
      if (message.id !== undefined) order.push(`response ${String(message.id)}`);
      else if (message.method === "http/request/bodyDelta") order.push(`delta ${String(message.params?.["requestId"])}`);
    });
    const total = 3 * 1024 * 1024 + 5;
    const result = await client.call("http/request", { method: "GET", url: origin.url(`/generate?bytes=${total}`), requestId: "s1", streamResponse: true });
    assert.deepEqual([result["status"], result["bodyBase64"]], [200, ""]);
    const { deltas, body } = await streamed(client, "s1");
    assert.equal(order.find((entry) => entry.includes("s1") || entry.startsWith("response")), order.find((entry) => entry.startsWith("response")), "the response arrives before any delta");
    assert.deepEqual(deltas.map((d) => d["seq"]), deltas.map((_d, i) => i + 1));
    for (const delta of deltas) assert.ok(Buffer.from(String(delta["deltaBase64"]), "base64").length <= 1024 * 1024);
    assert.deepEqual(deltas.at(-1), { requestId: "s1", seq: deltas.length, deltaBase64: "", done: true, error: null });
    assert.ok(deltas.slice(0, -1).every((d) => d["done"] === false && d["error"] === null));
    assert.equal(body.length, total);
    assert.equal(createHash("sha256").update(body).digest("hex"), patternSha256(total));
  });

  test("a slow chunked body arrives piece by piece; a body cut short ends with done and an error", async () => {
    const client = await connect();
    await client.call("http/request", { method: "GET", url: origin.url("/chunks?n=4&ms=30"), requestId: "slow", streamResponse: true });
    const slow = await streamed(client, "slow");
    assert.equal(slow.body.toString(), "c0c1c2c3");
    assert.ok(slow.deltas.length >= 3, `a slow body came in ${slow.deltas.length} deltas`);
    await client.call("http/request", { method: "GET", url: origin.url("/short"), requestId: "cut", streamResponse: true });
    const cut = await streamed(client, "cut");
    assert.equal(cut.body.toString(), "0123456789");
    const last = cut.deltas.at(-1)!;
    assert.equal(last["done"], true);
    assert.match(String(last["error"]), /^error decoding response body: /);
    await client.call("http/request", { method: "GET", url: origin.url("/hold"), requestId: "late", streamResponse: true, timeoutMs: 300 });
    const late = await streamed(client, "late");
    assert.equal(late.body.toString(), "first");
    assert.match(String(late.deltas.at(-1)!["error"]), /timed out after 300 ms/);
  });

  test("an active streaming requestId is refused (-32602, before validation) on its connection only; buffered reuse is allowed; free after done", async () => {
    const client = await connect();
    await client.call("http/request", { method: "GET", url: origin.url("/chunks?n=2&ms=400"), requestId: "dup", streamResponse: true });
    assert.deepEqual(errorOf(await client.request("http/request", { method: "G T", url: origin.url("/echo"), requestId: "dup", streamResponse: true })), {
      code: -32602,
      message: "http/request streamResponse requestId `dup` is already active",
    });
    const buffered = await client.call("http/request", { method: "GET", url: origin.url("/echo"), requestId: "dup" });
    assert.equal(buffered["status"], 200);
    const other = await connect();
    await other.call("http/request", { method: "GET", url: origin.url("/echo"), requestId: "dup", streamResponse: true });
    await streamed(other, "dup");
    await streamed(client, "dup");
    await client.call("http/request", { method: "GET", url: origin.url("/echo"), requestId: "dup", streamResponse: true });
  });

  test("at most maxRequestsPerConnection calls at once (-32600 beyond); a finished stream frees its slot", async () => {
    const client = await connect();
    for (const id of ["h1", "h2", "h3"]) await client.call("http/request", { method: "GET", url: origin.url("/hold"), requestId: id, streamResponse: true, timeoutMs: 1_500 });
    assert.deepEqual(errorOf(await client.request("http/request", { method: "GET", url: origin.url("/echo"), requestId: "h4" })), {
      code: -32600,
      message: "too many http/request calls in progress on this connection (limit 3)",
    });
    const other = await connect();
    assert.equal((await other.call("http/request", { method: "GET", url: origin.url("/echo"), requestId: "h4" }))["status"], 200);
    await streamed(client, "h1");
    assert.equal((await client.call("http/request", { method: "GET", url: origin.url("/echo"), requestId: "h4" }))["status"], 200);
  });

  test("closing the connection aborts its streams: the origin sees the request go away", async () => {
    const client = await connect();
    const abandonedBefore = origin.abandoned;
    await client.call("http/request", { method: "GET", url: origin.url("/hold"), requestId: "gone", streamResponse: true });
    await client.waitFor(() => deltasOf(client, "gone").length > 0, 5_000, "the first delta");
    client.socket.terminate();
    const deadline = Date.now() + 5_000;
    while (origin.abandoned === abandonedBefore && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
    assert.equal(origin.abandoned, abandonedBefore + 1, "the held response was closed by the executor");
  });
});

describe("http/request disabled", () => {
  test("answers -32601 and announces httpHeaderEnvVars false", async () => {
    const disabled = await startExecServer({ http: { enabled: false } });
    try {
      const client = await JsonWsClient.connect(disabled.url);
      clients.push(client);
      const init = await client.call("initialize", { clientName: "t" });
      client.notify("initialized", {});
      assert.equal(init["environmentInfo"].capabilities.httpHeaderEnvVars, false);
      assert.equal(errorOf(await client.request("http/request", { method: "GET", url: origin.url("/echo"), requestId: "x" })).code, -32601);
      const enabled = await connect();
      const info = await enabled.call("environment/info");
      assert.equal(info["capabilities"].httpHeaderEnvVars, true);
    } finally {
      await disabled.close();
    }
  });
});
