import { test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createExecServerClient } from "../../generated/openrpc/client.js";
import { RpcError } from "../../src/rpc/rpc-error.js";
import { ExecServer } from "../../src/server/exec-server.js";
import { HarnessConnection } from "../../src/remote/harness-connection.js";
import { RemoteExecutor, RemoteExecutorConfig } from "../../src/remote/remote-executor.js";
import { startRendezvous } from "../../src/remote/rendezvous/rendezvous-server.js";
import { waitUntil } from "../helpers/wait.js";

test("a response larger than the relay's message limit fails that request, not the stream", async () => {
  const scratch = await mkdtemp(join(tmpdir(), "exec-server-oversize-"));
  const rendezvous = await startRendezvous({ registryTokens: ["oversize-token"] });
  const server = new ExecServer();
  const endpoint = { maxMessageBytes: 64 * 1024 };
  const executor = new RemoteExecutor({
    config: RemoteExecutorConfig.withBearerToken(rendezvous.baseUrl, "big", "oversize-token"),
    server,
    relay: { endpoint },
  });
  const running = executor.run();
  try {
    await waitUntil(() => executor.state === "connected", 5000, "executor connected");
    const harness = await HarnessConnection.connect(rendezvous.harnessUrl("big"), { relay: { endpoint } });
    const stream = harness.openStream();
    const client = createExecServerClient(stream);
    await client.initialize({ clientName: "oversize" });
    client.notifyInitialized();
    const big = join(scratch, "big.bin");
    await writeFile(big, Buffer.alloc(100 * 1024, 7));
    await assert.rejects(client.fs.readFile({ path: big }), (error: unknown) => {
      assert.ok(error instanceof RpcError);
      assert.equal(error.code, -32600);
      assert.match(error.message, /^fs\/readFile result of \d+ bytes exceeds this connection's message limit of 65536 bytes$/);
      return true;
    });
    const small = join(scratch, "small.txt");
    await writeFile(small, "still works");
    const read = await client.fs.readFile({ path: small });
    assert.equal(Buffer.from(read.dataBase64, "base64").toString(), "still works");
    assert.equal(stream.closedReason, undefined, "the stream is still open");
    harness.close();
  } finally {
    executor.stop();
    await running.catch(() => undefined);
    await server.shutdown();
    await rendezvous.close();
    await rm(scratch, { recursive: true, force: true });
  }
});
