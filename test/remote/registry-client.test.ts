import { after, before, test } from "node:test";
import assert from "node:assert/strict";
import { createServer, type IncomingMessage, type Server, type ServerResponse } from "node:http";
import type { AddressInfo } from "node:net";
import { registerExecutor, RegistryError } from "../../src/remote/registry-client.js";

type Handler = (request: IncomingMessage, response: ServerResponse, body: string) => void;
let handler: Handler = () => {};
let server: Server;
let baseUrl = "";
const seen: Array<{ method: string | undefined; url: string | undefined; authorization: string | undefined; body: string }> = [];

before(async () => {
  server = createServer((request, response) => {
    let body = "";
    request.on("data", (chunk: Buffer) => (body += chunk.toString()));
    request.on("end", () => {
      seen.push({ method: request.method, url: request.url, authorization: request.headers.authorization, body });
      handler(request, response, body);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  baseUrl = `http://127.0.0.1:${(server.address() as AddressInfo).port}/`;
});
after(() => new Promise<void>((resolve) => server.close(() => resolve())));

test("posts to /cloud/executor/{id}/register with the bearer header and no body", async () => {
  handler = (_request, response) => {
    response.writeHead(200, { "content-type": "application/json" });
    response.end(JSON.stringify({ executor_id: "exec 1", url: "ws://127.0.0.1:1/executor/x?role=executor&sig=a" }));
  };
  const result = await registerExecutor({ baseUrl, executorId: "exec 1", token: "tok-123" });
  assert.deepEqual(result, { executorId: "exec 1", url: "ws://127.0.0.1:1/executor/x?role=executor&sig=a" });
  const last = seen.at(-1);
  assert.equal(last?.method, "POST");
  assert.equal(last?.url, "/cloud/executor/exec%201/register");
  assert.equal(last?.authorization, "Bearer tok-123");
  assert.equal(last?.body, "");
});

test("reports 401 and 403 as authentication failures without the token", async () => {
  handler = (_request, response) => {
    response.writeHead(401, { "content-type": "application/json" });
    response.end(JSON.stringify({ error: { code: "bad_token", message: "token tok-secret is revoked" } }));
  };
  await assert.rejects(registerExecutor({ baseUrl, executorId: "e", token: "tok-secret" }), (error: unknown) => {
    assert.ok(error instanceof RegistryError);
    assert.equal(error.kind, "auth");
    assert.equal(error.message, "executor registry authentication failed (401): token [redacted] is revoked");
    return true;
  });
});

test("reports other statuses with the parsed code or a body preview", async () => {
  handler = (_request, response) => {
    response.writeHead(503, { "content-type": "application/json" });
    response.end(JSON.stringify({ error: { code: "overloaded", message: "try later" } }));
  };
  await assert.rejects(registerExecutor({ baseUrl, executorId: "e", token: "tok-other" }), {
    message: "executor registry request failed (503, overloaded): try later",
  });
  handler = (_request, response) => {
    response.writeHead(500);
    response.end("x".repeat(5000));
  };
  await assert.rejects(registerExecutor({ baseUrl, executorId: "e", token: "tok-other" }), (error: unknown) => {
    assert.ok(error instanceof RegistryError);
    assert.equal(error.kind, "request");
    assert.equal(error.message, `executor registry request failed (500): ${"x".repeat(4096)}…`);
    return true;
  });
});

test("refuses a success response without executor_id and a websocket url", async () => {
  handler = (_request, response) => {
    response.writeHead(200);
    response.end(JSON.stringify({ executor_id: "e", url: "http://nope" }));
  };
  await assert.rejects(registerExecutor({ baseUrl, executorId: "e", token: "tok-other" }), { name: "RegistryError" });
});
