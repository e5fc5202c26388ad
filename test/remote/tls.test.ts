import { after, test } from "node:test";
import assert from "node:assert/strict";
import { execFileSync } from "node:child_process";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { createExecServerClient } from "../../generated/openrpc/client.js";
import { ExecServer } from "../../src/server/exec-server.js";
import { HarnessConnection } from "../../src/remote/harness-connection.js";
import { RemoteExecutor, RemoteExecutorConfig } from "../../src/remote/remote-executor.js";
import { startRendezvous } from "../../src/remote/rendezvous/rendezvous-server.js";

const dir = mkdtempSync(join(tmpdir(), "exec-server-tls-"));
after(() => rmSync(dir, { recursive: true, force: true }));

function selfSigned(): { cert: Buffer; key: Buffer } | undefined {
  try {
    execFileSync("openssl", [
      "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-days", "1", "-subj", "/CN=127.0.0.1",
      "-addext", "subjectAltName=IP:127.0.0.1", "-keyout", join(dir, "key.pem"), "-out", join(dir, "cert.pem"),
    ], { stdio: "ignore" });
    return { cert: readFileSync(join(dir, "cert.pem")), key: readFileSync(join(dir, "key.pem")) };
  } catch {
    return undefined;
  }
}

const tls = selfSigned();

test("registers, connects and relays over https/wss with a self-signed certificate", { skip: tls ? false : "openssl is not installed" }, async () => {
  const { cert, key } = tls as { cert: Buffer; key: Buffer };
  const rendezvous = await startRendezvous({ registryTokens: ["tls-token"], tls: { cert, key } });
  assert.match(rendezvous.baseUrl, /^https:\/\/127\.0\.0\.1:\d+$/);
  const server = new ExecServer();
  const executor = new RemoteExecutor({
    config: RemoteExecutorConfig.withBearerToken(rendezvous.baseUrl, "tls-exec", "tls-token"),
    server,
    dial: { ca: cert },
    backoff: { initialMs: 50, maxMs: 100 },
  });
  const running = executor.run();
  try {
    const deadline = Date.now() + 5000;
    while (executor.state !== "connected" && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 10));
    assert.equal(executor.state, "connected");
    const harnessUrl = rendezvous.harnessUrl("tls-exec");
    assert.match(harnessUrl, /^wss:\/\//);
    const harness = await HarnessConnection.connect(harnessUrl, { dial: { ca: cert } });
    const client = createExecServerClient(harness.openStream());
    const init = await client.initialize({ clientName: "tls" });
    assert.equal(typeof init.sessionId, "string");
    client.notifyInitialized();
    const metadata = await client.fs.getMetadata({ path: "/" });
    assert.equal(metadata.isDirectory, true);
    harness.close();
    // Without trusting the certificate the harness is refused.
    await assert.rejects(HarnessConnection.connect(harnessUrl, { reconnect: false }), /self-signed|certificate/i);
  } finally {
    executor.stop();
    await running.catch(() => undefined);
    await server.shutdown();
    await rendezvous.close();
  }
});
