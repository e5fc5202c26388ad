import type { Check, CheckContext } from "../../check.js";
import { expect, skip } from "../../check.js";
import { b64, show } from "../../expectations.js";
import { CodexPeer, type Notice } from "../codex-peer.js";
import { BIG_BODY_BYTES, bigBodyByte, type EchoBody, type HttpFixture } from "../http-fixture.js";

/** Largest decoded `http/request/bodyDelta` payload (1 MiB). */
const MAX_DELTA_BYTES = 1_048_576;

function fixture(ctx: CheckContext): HttpFixture {
  if (ctx.http === undefined) {
    skip("the server under test is not known to run on this machine, so the runner's loopback HTTP server is out of its reach (use a loopback --url or --same-host)");
  }
  return ctx.http;
}

function headerValues(result: Record<string, unknown>, name: string): string[] {
  return (result["headers"] as Array<{ name: string; value: string }>).filter((header) => header.name.toLowerCase() === name).map((header) => header.value);
}

function echoOf(result: Record<string, unknown>): EchoBody {
  return JSON.parse(Buffer.from(String(result["bodyBase64"]), "base64").toString("utf8")) as EchoBody;
}

/** Waits for the final `done` delta of `requestId`; returns every delta of it in arrival order. */
async function deltasUntilDone(peer: CodexPeer, requestId: string, timeoutMs?: number): Promise<Notice[]> {
  await peer.waitNotice("http/request/bodyDelta", (params) => params["requestId"] === requestId && params["done"] === true, `the final bodyDelta of ${requestId}`, timeoutMs);
  return peer.notices("http/request/bodyDelta").filter((notice) => notice.params["requestId"] === requestId);
}

/** Fails unless the deltas are numbered 1, 2, … with only the last `done` (empty, error null); returns the body. */
function streamedBody(deltas: readonly Notice[], requestId: string): Buffer {
  const seqs = deltas.map((delta) => delta.params["seq"]);
  expect(show(seqs) === show(deltas.map((_delta, i) => i + 1)), `bodyDelta seqs of ${requestId} were ${show(seqs)}, expected 1, 2, …`);
  const last = deltas[deltas.length - 1]!.params;
  expect(last["deltaBase64"] === "" && last["error"] === null, `the final bodyDelta of ${requestId} was ${show(last)}, expected an empty delta with error null`);
  for (const delta of deltas.slice(0, -1)) {
    expect(delta.params["done"] === false && delta.params["error"] === null, `a bodyDelta before the last was ${show(delta.params)}`);
  }
  return Buffer.concat(deltas.map((delta) => Buffer.from(String(delta.params["deltaBase64"]), "base64")));
}

/** UPSTREAM-0.169 §2.13: `http/request` executed by the server, buffered and streamed. */
export function httpChecks(): Check[] {
  return [
    {
      id: "http/buffered",
      title: "http/request answers {status, headers (order and repeats kept), bodyBase64}; request headers go out in order, repeats kept",
      async run(ctx) {
        const http = fixture(ctx);
        const peer = await CodexPeer.open(ctx);
        const result = await peer.call("http/request", {
          method: "GET",
          url: http.url("/echo"),
          requestId: "b1",
          headers: [
            { name: "X-Conformance", value: "1" },
            { name: "x-conformance", value: "2" },
          ],
        });
        expect(result["status"] === 200, `status ${show(result["status"])}, expected 200`);
        expect(show(headerValues(result, "x-multi")) === show(["a", "b"]), `response header x-multi came back as ${show(headerValues(result, "x-multi"))}, expected ["a", "b"]`);
        expect(show(headerValues(result, "content-type")) === show(["application/json"]), `content-type came back as ${show(headerValues(result, "content-type"))}`);
        const echo = echoOf(result);
        const sent = echo.headers.filter(([name]) => name.toLowerCase() === "x-conformance").map(([, value]) => value);
        expect(echo.method === "GET" && echo.path === "/echo", `the fixture saw ${echo.method} ${echo.path}`);
        expect(show(sent) === show(["1", "2"]), `the fixture received x-conformance ${show(sent)}, expected ["1", "2"] in order`);
      },
    },
    {
      id: "http/post-and-status",
      title: "http/request sends bodyBase64 with the method; an HTTP error status (404) is a normal result",
      async run(ctx) {
        const http = fixture(ctx);
        const peer = await CodexPeer.open(ctx);
        const posted = await peer.call("http/request", { method: "POST", url: http.url("/echo"), requestId: "p1", bodyBase64: b64("payload") });
        expect(posted["status"] === 201, `POST answered status ${show(posted["status"])}, expected 201`);
        const echo = echoOf(posted);
        expect(echo.method === "POST" && echo.bodyBase64 === b64("payload"), `the fixture saw ${echo.method} with body ${show(echo.bodyBase64)}`);
        const missing = await peer.call("http/request", { method: "GET", url: http.url("/status/404"), requestId: "p2" });
        expect(missing["status"] === 404 && missing["bodyBase64"] === b64("no"), `a 404 answered ${show(missing)}`);
      },
    },
    {
      id: "http/redirects",
      title: "http/request follows redirects by default; redirectPolicy stop returns the 302 with its location",
      async run(ctx) {
        const http = fixture(ctx);
        const peer = await CodexPeer.open(ctx);
        const followed = await peer.call("http/request", { method: "GET", url: http.url("/redirect"), requestId: "r1" });
        expect(followed["status"] === 200 && echoOf(followed).path === "/echo", `a followed redirect answered status ${show(followed["status"])}`);
        const stopped = await peer.call("http/request", { method: "GET", url: http.url("/redirect"), requestId: "r2", redirectPolicy: "stop" });
        expect(stopped["status"] === 302 && show(headerValues(stopped, "location")) === show(["/echo"]), `redirectPolicy stop answered ${show(stopped)}`);
      },
    },
    {
      id: "http/stream",
      title: "streamResponse: the result has bodyBase64 \"\", then bodyDelta seq 1, 2, … ≤ 1 MiB each carry the body, the last {done: true, deltaBase64: \"\"}",
      timeoutMs: 40_000,
      async run(ctx) {
        const http = fixture(ctx);
        const peer = await CodexPeer.open(ctx);
        const small = await peer.call("http/request", { method: "GET", url: http.url("/echo"), requestId: "s1", streamResponse: true });
        expect(small["status"] === 200 && small["bodyBase64"] === "", `a streamed response's result was ${show(small)}, expected status 200 and bodyBase64 ""`);
        const smallBody = streamedBody(await deltasUntilDone(peer, "s1"), "s1");
        expect((JSON.parse(smallBody.toString("utf8")) as EchoBody).path === "/echo", `the streamed body was ${show(smallBody.toString("utf8"))}`);
        await peer.call("http/request", { method: "GET", url: http.url("/big"), requestId: "s2", streamResponse: true });
        const deltas = await deltasUntilDone(peer, "s2", 30_000);
        for (const delta of deltas) {
          const size = Buffer.from(String(delta.params["deltaBase64"]), "base64").length;
          expect(size <= MAX_DELTA_BYTES, `a bodyDelta carried ${size} bytes, more than 1 MiB`);
        }
        const body = streamedBody(deltas, "s2");
        expect(body.length === BIG_BODY_BYTES, `the streamed body had ${body.length} bytes, expected ${BIG_BODY_BYTES}`);
        const bad = body.findIndex((byte, i) => byte !== bigBodyByte(i));
        expect(bad < 0, `the streamed body differs from the served one at byte ${bad}`);
      },
    },
    {
      id: "http/stream-request-ids",
      title: "a second streaming request with an active requestId → -32602; a buffered one with that id is allowed; the id is free after done",
      async run(ctx) {
        const http = fixture(ctx);
        const peer = await CodexPeer.open(ctx);
        try {
          await peer.call("http/request", { method: "GET", url: http.url("/hold/dup"), requestId: "dup", streamResponse: true });
          await peer.waitNotice("http/request/bodyDelta", (params) => params["requestId"] === "dup", "the first bodyDelta of the held stream");
          await peer.fails("http/request", { method: "GET", url: http.url("/echo"), requestId: "dup", streamResponse: true }, -32602, "a streaming request reusing an active requestId", {
            upstream: "http/request streamResponse requestId `dup` is already active",
          });
          const buffered = await peer.call("http/request", { method: "GET", url: http.url("/echo"), requestId: "dup" }, { what: "a buffered request reusing an active streaming requestId" });
          expect(buffered["status"] === 200, `the buffered request answered ${show(buffered["status"])}`);
        } finally {
          http.release("dup");
        }
        const body = streamedBody(await deltasUntilDone(peer, "dup"), "dup");
        expect(body.toString("utf8") === "firstlast", `the held stream delivered ${show(body.toString("utf8"))}, expected "firstlast"`);
        await peer.call("http/request", { method: "GET", url: http.url("/echo"), requestId: "dup", streamResponse: true }, { what: "a streaming request reusing a finished requestId" });
        await deltasUntilDone(peer, "dup");
      },
    },
    {
      id: "http/header-env-var",
      title: "a header with valueEnvVar appends the server's variable to value; an unset variable → -32602 naming header and variable",
      async run(ctx) {
        const http = fixture(ctx);
        const peer = await CodexPeer.open(ctx);
        const result = await peer.call("http/request", { method: "GET", url: http.url("/echo"), requestId: "e1", headers: [{ name: "X-From-Env", value: "path:", valueEnvVar: "PATH" }] });
        const sent = echoOf(result).headers.filter(([name]) => name.toLowerCase() === "x-from-env").map(([, value]) => value);
        expect(sent.length === 1 && sent[0]!.startsWith("path:") && sent[0]!.length > "path:".length, `the fixture received x-from-env ${show(sent)}, expected "path:" followed by the server's PATH`);
        await peer.fails(
          "http/request",
          { method: "GET", url: http.url("/echo"), requestId: "e2", headers: [{ name: "X-A", value: "1", valueEnvVar: "CONFORMANCE_SURELY_UNSET" }] },
          -32602,
          "a header naming an unset variable",
          { upstream: "http/request header X-A requires executor environment variable CONFORMANCE_SURELY_UNSET", mention: "CONFORMANCE_SURELY_UNSET" },
        );
      },
    },
    {
      id: "http/invalid-requests",
      title: "http/request: a non-http(s) URL, an invalid method, a relative URL, an invalid header name, or no requestId → -32602",
      async run(ctx) {
        const http = fixture(ctx);
        const peer = await CodexPeer.open(ctx);
        const url = http.url("/echo");
        const cases: Array<[string, Record<string, unknown>, string]> = [
          ["an ftp URL", { method: "GET", url: "ftp://127.0.0.1/x", requestId: "i1" }, "http/request only supports http and https URLs, got ftp"],
          ["method \"G T\"", { method: "G T", url, requestId: "i2" }, "http/request method is invalid: invalid HTTP method"],
          ["a relative URL", { method: "GET", url: "/x", requestId: "i3" }, "http/request url is invalid: relative URL without a base"],
          ["header name \"bad name\"", { method: "GET", url, requestId: "i4", headers: [{ name: "bad name", value: "1" }] }, "http/request header name is invalid: invalid HTTP header name"],
          ["no requestId", { method: "GET", url }, "missing field `requestId`"],
        ];
        for (const [label, params, upstream] of cases) {
          await peer.fails("http/request", params, -32602, `http/request with ${label}`, { upstream });
        }
      },
    },
    {
      id: "http/failures",
      title: "http/request to a closed port, or past timeoutMs, → -32603 \"http/request failed: …\"",
      async run(ctx) {
        const http = fixture(ctx);
        const peer = await CodexPeer.open(ctx);
        const refused = await http.refusedUrl();
        await peer.fails("http/request", { method: "GET", url: refused, requestId: "f1" }, -32603, "http/request to a closed port", {
          upstream: `http/request failed: error sending request for url (${refused})`,
        });
        const t0 = ctx.clock.now();
        await peer.fails("http/request", { method: "GET", url: http.url("/hang"), requestId: "f2", timeoutMs: 300 }, -32603, "http/request past timeoutMs 300", {
          upstream: `http/request failed: error sending request for url (${http.url("/hang")})`,
        });
        const ms = ctx.clock.now() - t0;
        expect(ms < 5_000, `a timeoutMs 300 request took ${Math.round(ms)} ms to fail`);
      },
    },
  ];
}
