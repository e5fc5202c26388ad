import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { randomBytes } from "node:crypto";
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { createExecServerClient, type ExecServerClient } from "../../generated/openrpc/client.js";
import { RpcError } from "../../src/rpc/rpc-error.js";
import { ExecServer } from "../../src/server/exec-server.js";
import { HarnessConnection } from "../../src/remote/harness-connection.js";
import { RemoteExecutor, RemoteExecutorConfig } from "../../src/remote/remote-executor.js";
import type { BearerTokenSource } from "../../src/remote/bearer-token-source.js";
import { startRendezvous } from "../../src/remote/rendezvous/rendezvous-server.js";
import { waitUntil } from "../helpers/wait.js";
import { assertOutputAcrossDrop, assertOutputAcrossRendezvousRestart } from "./remote-scenarios.js";
import { startRemoteWorld } from "./remote-world.js";

const TOKEN = "executor-registry-token";
const cleanups: Array<() => Promise<void> | void> = [];
after(async () => {
  for (const cleanup of cleanups.reverse()) await cleanup();
});

/** A rendezvous, an executor registered with it, and a harness socket: the whole remote path in-process. */
async function remoteStack(options: { port?: number; secret?: Buffer } = {}) {
  const secret = options.secret ?? randomBytes(32);
  const world = await startRemoteWorld({
    rendezvous: await startRendezvous({ registryTokens: [TOKEN], signingSecret: secret, executorGraceMs: 10_000, ...(options.port ? { port: options.port } : {}) }),
    executor: (rendezvous, server, log) => new RemoteExecutor({ config: RemoteExecutorConfig.withBearerToken(rendezvous.baseUrl, "exec-1", TOKEN), server, backoff: { initialMs: 50, maxMs: 200 }, log }),
    harness: (rendezvous) => HarnessConnection.connect(rendezvous.harnessUrl("exec-1"), { backoff: { initialMs: 50, maxMs: 200 } }),
    connectTimeoutMs: 5000,
    cleanups,
  });
  return Object.assign(world, { secret });
}

async function initializedClient(harness: HarnessConnection, name: string, streamId?: string): Promise<{ client: ExecServerClient; sessionId: string; streamId: string }> {
  const stream = streamId === undefined ? harness.openStream() : harness.mux.openStream(streamId);
  const client = createExecServerClient(stream, { timeoutMs: 10_000 });
  const result = await client.initialize({ clientName: name });
  client.notifyInitialized();
  return { client, sessionId: String(result.sessionId), streamId: stream.streamId };
}

describe("multiplexed executor", () => {
  test("serves independent sessions on two streams of one executor websocket, and a reset ends only its stream", async () => {
    const { harness, executor } = await remoteStack();
    const a = await initializedClient(harness, "relay-test-a");
    const b = await initializedClient(harness, "relay-test-b");
    assert.notEqual(a.sessionId, b.sessionId);
    assert.equal(executor.connections, 1, "both streams share one executor websocket");
    for (const { client } of [a, b]) {
      await assert.rejects(client.core.request("process/explode" as never, {} as never), (error: unknown) => error instanceof RpcError && error.code === -32601);
    }
    harness.mux.resetStream(a.streamId, "test_reset");
    await waitUntil(() => executor.mux.getStream(a.streamId) === undefined, 5000, "executor forgets stream A");
    const listing = await b.client.fs.readDirectory({ path: "/" });
    assert.ok(listing.entries.length > 0, "stream B keeps working");
    const again = await initializedClient(harness, "relay-test-a-again", a.streamId);
    assert.notEqual(again.sessionId, a.sessionId, "a later data frame on A starts a fresh session");
  });

  test("delivers every output chunk and the exit exactly once across an executor reconnect", async () => {
    const { harness, executor } = await remoteStack();
    const { client } = await initializedClient(harness, "fault");
    const { exitSeq, closedSeq } = await assertOutputAcrossDrop(client, executor);
    assert.ok(closedSeq > exitSeq);
  });

  test("resumes streams after the rendezvous restarts on the same address", async () => {
    const stack = await remoteStack();
    const { client } = await initializedClient(stack.harness, "restart");
    await assertOutputAcrossRendezvousRestart(client, stack, (port) => startRendezvous({ registryTokens: [TOKEN], signingSecret: stack.secret, port }));
  });
});

describe("registration", () => {
  /** A registry that answers from a script of statuses, then delegates to success. */
  async function scriptedRegistry(script: number[]): Promise<{ url: string; seen: string[]; server: Server }> {
    const seen: string[] = [];
    const server = createServer((request, response) => {
      seen.push(request.headers.authorization ?? "");
      const status = script.shift() ?? 200;
      response.writeHead(status, { "content-type": "application/json" });
      response.end(status === 200 ? JSON.stringify({ executor_id: "e", url: "ws://127.0.0.1:9/executor/e?role=executor" }) : JSON.stringify({ error: { code: `s${status}`, message: `status ${status}` } }));
    });
    await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
    cleanups.push(() => new Promise<void>((resolve) => server.close(() => resolve())));
    return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, seen, server };
  }

  function rotatingToken(tokens: string[]): BearerTokenSource & { refreshes: number } {
    const source = {
      refreshes: 0,
      current: async () => tokens[0] as string,
      refresh: async () => {
        source.refreshes += 1;
        tokens.shift();
        return tokens[0] as string;
      },
    };
    return source;
  }

  test("refreshes the credential once after a 401 and then registers", async () => {
    const registry = await scriptedRegistry([401]);
    const token = rotatingToken(["old-token-aaaa", "new-token-bbbb"]);
    const log: string[] = [];
    const executor = new RemoteExecutor({ config: new RemoteExecutorConfig(registry.url, "e", token), server: new ExecServer(), backoff: { initialMs: 20, maxMs: 40 }, log: (line) => log.push(line) });
    const running = executor.run();
    await waitUntil(() => registry.seen.length >= 2, 5000, "two registration attempts");
    executor.stop();
    await running;
    assert.deepEqual(registry.seen.slice(0, 2), ["Bearer old-token-aaaa", "Bearer new-token-bbbb"]);
    assert.equal(token.refreshes, 1);
    assert.ok(log.some((line) => line.startsWith("registered executor e")));
    assert.ok(!log.join("\n").includes("token-aaaa") && !log.join("\n").includes("token-bbbb"), "tokens never appear in logs");
  });

  test("fails with a clear error when authentication fails again after the refresh", async () => {
    const registry = await scriptedRegistry([403, 403]);
    const executor = new RemoteExecutor({ config: RemoteExecutorConfig.withBearerToken(registry.url, "e", "secret-token-cccc"), server: new ExecServer(), backoff: { initialMs: 20, maxMs: 40 } });
    await assert.rejects(executor.run(), (error: unknown) => {
      assert.equal((error as Error).message, "executor registry authentication failed (403): status 403");
      assert.ok(!(error as Error).message.includes("secret-token-cccc"));
      return true;
    });
    assert.equal(registry.seen.length, 2, "exactly one retry");
    assert.equal(executor.state, "failed");
  });

  test("backs off and retries after a 5xx", async () => {
    const registry = await scriptedRegistry([503, 502]);
    const log: string[] = [];
    const executor = new RemoteExecutor({ config: RemoteExecutorConfig.withBearerToken(registry.url, "e", "tok-dddd"), server: new ExecServer(), backoff: { initialMs: 20, maxMs: 40 }, log: (line) => log.push(line) });
    const running = executor.run();
    await waitUntil(() => registry.seen.length >= 3, 5000, "third attempt");
    executor.stop();
    await running;
    assert.ok(log.some((line) => /registration failed: executor registry request failed \(503, s503\): status 503; reconnecting in \d/.test(line)), log.join("\n"));
  });
});

