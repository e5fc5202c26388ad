import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { createDispatcher, createExecServerClient, type Handlers } from "../../generated/openrpc/index.js";
import type { Dispatcher } from "../../src/rpc/dispatcher-core.js";
import { createInMemoryTransportPair, type InMemoryTransport } from "../../src/rpc/in-memory-transport.js";
import { parseMessage } from "../../src/rpc/json-rpc.js";
import { RpcClientError } from "../../src/rpc/client-core.js";
import { ErrorCode, RpcError } from "../../src/rpc/rpc-error.js";
import { createFakeTimers } from "./fake-timers.js";

interface Ctx {
  calls: string[];
}

const unused = (): never => {
  throw new Error("not used by this test");
};

/** A handler set where every method is implemented (the type demands it). */
function handlers(overrides: Partial<Handlers<Ctx>> = {}): Handlers<Ctx> {
  return {
    initialize: (params, ctx) => {
      ctx.calls.push(`initialize:${params.clientName}`);
      return { sessionId: "2f1e5f6c-4a8b-4d3e-9c1a-7b2d3e4f5a6b" };
    },
    "process/start": (params) => ({ processId: params.processId }),
    "process/read": unused,
    "process/write": () => ({ status: "unknownProcess" }),
    "process/terminate": () => ({ running: false }),
    "fs/readFile": (params) => {
      throw new RpcError(ErrorCode.NotFound, `No such file or directory (os error 2): ${params.path}`, { path: params.path });
    },
    "fs/writeFile": () => {
      throw new Error("disk on fire");
    },
    "fs/createDirectory": () => ({}),
    "fs/getMetadata": unused,
    "fs/readDirectory": unused,
    "fs/remove": () => ({}),
    "fs/copy": () => ({}),
    "environment/add": () => ({}),
    "environment/list": () => ({ environments: [{ environmentId: "local", kind: "local", execServerUrl: null, isDefault: true, connected: true }] }),
    "environment/remove": (params) => ({ removed: params.environmentId === "gpu" }),
    "process/signal": unused,
    "fs/canonicalize": unused,
    "fs/walk": unused,
    "fs/open": unused,
    "fs/readBlock": unused,
    "fs/writeBlock": unused,
    "fs/close": unused,
    "fs/watchMissing": unused,
    "http/request": unused,
    "environment/info": unused,
    "environment/status": unused,
    "environmentConfig/read": unused,
    "capabilityRoots/discoverV1": unused,
    "capabilities/discoverV2": unused,
    ...overrides,
  };
}

/** Serves `dispatcher` on `transport`, answering requests and reporting notification errors with id -1. */
function serve(dispatcher: Dispatcher<Ctx>, transport: InMemoryTransport, ctx: Ctx): void {
  transport.onMessage(async (text) => {
    const message = parseMessage(text);
    if (message.kind === "request") {
      transport.send(JSON.stringify(await dispatcher.handleRequest(message.id, message.method, message.params, ctx)));
    } else if (message.kind === "notification") {
      const error = await dispatcher.handleNotification(message.method, message.params, ctx);
      if (error !== undefined) transport.send(JSON.stringify({ jsonrpc: "2.0", id: -1, error }));
    }
  });
}

function setup(overrides: Partial<Handlers<Ctx>> = {}, options: Parameters<typeof createExecServerClient>[1] = {}) {
  const [clientEnd, serverEnd] = createInMemoryTransportPair();
  const ctx: Ctx = { calls: [] };
  const dispatcher = createDispatcher<Ctx>(handlers(overrides), {
    validateResults: true,
    notificationHandlers: { initialized: (_params, c) => void c.calls.push("initialized") },
  });
  serve(dispatcher, serverEnd, ctx);
  const client = createExecServerClient(clientEnd, options);
  return { client, dispatcher, serverEnd, clientEnd, ctx };
}

async function rejection(promise: Promise<unknown>): Promise<unknown> {
  try {
    await promise;
  } catch (error) {
    return error;
  }
  assert.fail("expected a rejection");
}

describe("typed client and dispatcher over an in-memory transport", () => {
  it("resolves a request with the handler's result", async () => {
    const { client, ctx } = setup();
    assert.deepEqual(await client.initialize({ clientName: "harness" }), { sessionId: "2f1e5f6c-4a8b-4d3e-9c1a-7b2d3e4f5a6b" });
    assert.deepEqual(await client.process.start({ processId: "p1", argv: ["true"], cwd: "/", env: {}, tty: false }), { processId: "p1" });
    assert.deepEqual((await client.environment.list()).environments.map((e) => e.environmentId), ["local"]);
    assert.deepEqual(ctx.calls, ["initialize:harness"]);
  });

  it("delivers a client notification to its handler", async () => {
    const { client, ctx } = setup();
    client.notifyInitialized();
    await client.environment.list(); // responses are ordered after the notification's handling
    assert.deepEqual(ctx.calls, ["initialized"]);
  });

  it("answers rpc.discover with the OpenRPC document", async () => {
    const { client } = setup();
    const document = await client.rpc.discover();
    assert.equal(document.openrpc, "1.3.2");
    assert.ok(document.methods.length >= 20);
  });

  it("rejects with an RpcError carrying the server's code, message and data", async () => {
    const { client } = setup();
    const error = await rejection(client.fs.readFile({ path: "/missing" }));
    assert.ok(error instanceof RpcError);
    assert.equal(error.code, ErrorCode.NotFound);
    assert.equal(error.message, "No such file or directory (os error 2): /missing");
    assert.deepEqual(error.data, { path: "/missing" });
  });

  it("maps any other thrown error to -32603 with its message", async () => {
    const { client } = setup();
    const error = await rejection(client.fs.writeFile({ path: "/x", dataBase64: "" }));
    assert.ok(error instanceof RpcError);
    assert.equal(error.code, ErrorCode.Internal);
    assert.equal(error.message, "disk on fire");
  });

  it("refuses invalid params with -32602 before calling the handler", async () => {
    let called = false;
    const { client } = setup({ "process/start": (p) => ((called = true), { processId: p.processId }) });
    const error = await rejection(client.process.start({ processId: "p", argv: [], cwd: "/", env: {}, tty: false }));
    assert.ok(error instanceof RpcError);
    assert.equal(error.code, ErrorCode.InvalidParams);
    assert.equal(error.message, "invalid params for process/start: argv must not be empty");
    assert.equal(called, false);
  });

  it("answers an unknown method with -32601 naming it", async () => {
    const { dispatcher } = setup();
    assert.deepEqual(await dispatcher.handleRequest(9, "process/fork", {}, { calls: [] }), {
      jsonrpc: "2.0", id: 9, error: { code: ErrorCode.MethodNotFound, message: "method not found: process/fork" },
    });
    assert.deepEqual(await dispatcher.handleRequest("n", "process/output", {}, { calls: [] }), {
      jsonrpc: "2.0", id: "n", error: { code: ErrorCode.MethodNotFound, message: "method not found: process/output" },
    });
    assert.deepEqual(await dispatcher.handleRequest(1, "constructor", {}, { calls: [] }), {
      jsonrpc: "2.0", id: 1, error: { code: ErrorCode.MethodNotFound, message: "method not found: constructor" },
    });
  });

  it("accepts omitted params and {} for a no-param method", async () => {
    const { dispatcher } = setup();
    for (const params of [null, undefined, {}]) {
      const response = await dispatcher.handleRequest(1, "environment/list", params, { calls: [] });
      assert.ok("result" in response, JSON.stringify(response));
    }
  });

  it("answers a handler's plain value as the response itself and a handler's promise as a promise", async () => {
    const removed = { jsonrpc: "2.0", id: 1, result: { removed: true } };
    const sync = setup().dispatcher.handleRequest(1, "environment/remove", { environmentId: "gpu" }, { calls: [] });
    assert.ok(!(sync instanceof Promise), "a value answers without a promise");
    assert.deepEqual(sync, removed);
    const thrown = setup().dispatcher.handleRequest(2, "fs/readFile", { path: "/missing" }, { calls: [] });
    assert.ok(!(thrown instanceof Promise), "a synchronous throw answers without a promise");
    assert.equal("error" in thrown && thrown.error.code, ErrorCode.NotFound);
    const { dispatcher } = setup({ "environment/remove": async (params) => ({ removed: params.environmentId === "gpu" }) });
    const later = dispatcher.handleRequest(1, "environment/remove", { environmentId: "gpu" }, { calls: [] });
    assert.ok(later instanceof Promise, "a promise is waited for");
    assert.deepEqual(await later, removed);
    const rejected = setup({ "environment/remove": () => Promise.reject(new RpcError(ErrorCode.InvalidRequest, "unknown environment gpu")) });
    assert.deepEqual(await rejected.dispatcher.handleRequest(3, "environment/remove", { environmentId: "gpu" }, { calls: [] }), {
      jsonrpc: "2.0", id: 3, error: { code: ErrorCode.InvalidRequest, message: "unknown environment gpu" },
    });
  });

  it("reports a notification other than initialized as -32600", async () => {
    const { dispatcher } = setup();
    assert.deepEqual(await dispatcher.handleNotification("process/start", {}, { calls: [] }), {
      code: ErrorCode.InvalidRequest, message: "unexpected notification process/start",
    });
  });

  it("turns an invalid handler result into -32603 when result validation is on", async () => {
    const { client } = setup({ "process/terminate": () => ({ running: "yes" }) as never });
    const error = await rejection(client.process.terminate({ processId: "p" }));
    assert.ok(error instanceof RpcError);
    assert.equal(error.message, 'invalid result for process/terminate: running must be boolean (got "yes")');
  });

  it("delivers server notifications to client.on until unsubscribed", async () => {
    const { client, serverEnd } = setup();
    const seen: number[] = [];
    const off = client.on("process/output", (params) => seen.push(params.seq));
    serverEnd.send(JSON.stringify({ jsonrpc: "2.0", method: "process/output", params: { processId: "p", seq: 1, stream: "stdout", chunk: "aGkK" } }));
    await client.environment.list();
    off();
    serverEnd.send(JSON.stringify({ method: "process/output", params: { processId: "p", seq: 2, stream: "stdout", chunk: "" } }));
    await client.environment.list();
    assert.deepEqual(seen, [1]);
  });

  it("rejects a call that outlives its timeout", async () => {
    const fake = createFakeTimers();
    const [clientEnd] = createInMemoryTransportPair(); // nobody answers
    const client = createExecServerClient(clientEnd, { timers: fake.timers, timeoutMs: 1000 });
    const pending = rejection(client.process.terminate({ processId: "p" }));
    fake.advance(999);
    assert.equal(client.core.pendingCount, 1);
    fake.advance(1);
    const error = await pending;
    assert.ok(error instanceof RpcClientError);
    assert.equal(error.kind, "timeout");
    assert.equal(error.message, "process/terminate timed out after 1000 ms");
    assert.equal(fake.pending, 0);
  });

  it("uses a per-call timeout over the default", async () => {
    const fake = createFakeTimers();
    const [clientEnd] = createInMemoryTransportPair();
    const client = createExecServerClient(clientEnd, { timers: fake.timers, timeoutMs: 1000 });
    const pending = rejection(client.process.read({ processId: "p", waitMs: 5000 }, { timeoutMs: 6000 }));
    fake.advance(1000);
    assert.equal(client.core.pendingCount, 1);
    fake.advance(5000);
    assert.equal(((await pending) as RpcClientError).kind, "timeout");
  });

  it("rejects a call whose AbortSignal fires and clears its timer", async () => {
    const fake = createFakeTimers();
    const [clientEnd] = createInMemoryTransportPair();
    const client = createExecServerClient(clientEnd, { timers: fake.timers });
    const controller = new AbortController();
    const pending = rejection(client.process.read({ processId: "p" }, { signal: controller.signal }));
    controller.abort(new Error("user cancelled"));
    const error = await pending;
    assert.ok(error instanceof RpcClientError);
    assert.equal(error.kind, "aborted");
    assert.equal(client.core.pendingCount, 0);
    assert.equal(fake.pending, 0);
    const early = await rejection(client.process.read({ processId: "p" }, { signal: controller.signal }));
    assert.equal((early as RpcClientError).kind, "aborted");
  });

  it("rejects pending calls when the transport closes", async () => {
    const [clientEnd, serverEnd] = createInMemoryTransportPair();
    const client = createExecServerClient(clientEnd, { timeoutMs: 0 });
    const pending = rejection(client.fs.readFile({ path: "/x" }));
    serverEnd.close("server going away");
    const error = await pending;
    assert.ok(error instanceof RpcClientError);
    assert.equal(error.kind, "closed");
    assert.equal(error.message, "fs/readFile failed: transport closed (server going away)");
    const after = await rejection(client.fs.readFile({ path: "/x" }));
    assert.equal((after as RpcClientError).kind, "closed");
  });

  it("numbers requests from 1 and sends jsonrpc 2.0", async () => {
    const { client, clientEnd } = setup();
    await client.initialize({ clientName: "h" });
    await client.environment.list();
    assert.deepEqual(clientEnd.sent.map((t) => JSON.parse(t) as unknown), [
      { jsonrpc: "2.0", id: 1, method: "initialize", params: { clientName: "h" } },
      { jsonrpc: "2.0", id: 2, method: "environment/list", params: {} },
    ]);
  });
});
