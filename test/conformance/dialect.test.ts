import { after, describe, test } from "node:test";
import assert from "node:assert/strict";
import { detectDialect } from "../../src/conformance/detect-dialect.js";
import { dialectFromInitializeResult } from "../../src/conformance/dialect.js";
import { conformanceClock } from "../../src/conformance/run-conformance.js";
import { runConformance, type Check } from "../../src/conformance/index.js";
import { urlIsThisMachine } from "../../src/conformance/conformance-command.js";
import { FaultyServer, type Fault, type Wire } from "./faulty-server.js";

const servers: FaultyServer[] = [];
after(async () => {
  await Promise.all(servers.map((server) => server.close()));
});

/** Our server with its initialize result forced to carry (or lack) environmentInfo, whatever it does today. */
function serverAnnouncing(environmentInfo: boolean): FaultyServer {
  const fault: Fault = () => (message) => {
    const result = message["result"] as Wire | undefined;
    if (result === undefined || result === null || typeof result["sessionId"] !== "string") return [message];
    const { environmentInfo: _dropped, ...rest } = result;
    return [{ ...message, result: environmentInfo ? { ...rest, environmentInfo: { platformOs: "linux", capabilities: {} } } : rest }];
  };
  const server = new FaultyServer(fault);
  servers.push(server);
  return server;
}

describe("dialect detection", () => {
  test("an initialize result carrying an environmentInfo object means codex-0.169, anything else seed", () => {
    assert.equal(dialectFromInitializeResult({ sessionId: "s", environmentInfo: {} }).dialect, "codex-0.169");
    assert.equal(dialectFromInitializeResult({ sessionId: "s" }).dialect, "seed");
    assert.equal(dialectFromInitializeResult({}).dialect, "seed");
    assert.equal(dialectFromInitializeResult({ environmentInfo: null }).dialect, "seed");
    assert.equal(dialectFromInitializeResult(null).dialect, "seed");
  });

  test("detects codex-0.169 from a server announcing environmentInfo and seed from one that does not", async () => {
    const codex = await detectDialect(serverAnnouncing(true).connect, conformanceClock, 5_000);
    assert.deepEqual(codex, { dialect: "codex-0.169", reason: "detected: the initialize result carries environmentInfo" });
    const seed = await detectDialect(serverAnnouncing(false).connect, conformanceClock, 5_000);
    assert.deepEqual(seed, { dialect: "seed", reason: "detected: the initialize result has no environmentInfo" });
  });

  test("falls back to seed and says why when the server cannot be asked", async () => {
    const decision = await detectDialect(() => Promise.reject(new Error("ECONNREFUSED")), conformanceClock, 5_000);
    assert.deepEqual(decision, { dialect: "seed", reason: "detection failed (ECONNREFUSED); judging in seed" });
  });

  test("runConformance with dialect auto reports the detected dialect; an explicit dialect is reported as requested", async () => {
    const seen: string[] = [];
    const checks: Check[] = [{ id: "t/dialect", title: "records the dialect", run: async (ctx) => void seen.push(ctx.dialect) }];
    const auto = await runConformance({ connect: serverAnnouncing(false).connect, checks });
    assert.deepEqual(auto.dialect, { name: "seed", reason: "detected: the initialize result has no environmentInfo" });
    const requested = await runConformance({ connect: serverAnnouncing(false).connect, checks, dialect: "seed" });
    assert.deepEqual(requested.dialect, { name: "seed", reason: "requested" });
    assert.deepEqual(seen, ["seed", "seed"]);
  });
});

describe("urlIsThisMachine", () => {
  test("is true for loopback websocket URLs and false for other hosts and rendezvous harness URLs", () => {
    assert.equal(urlIsThisMachine("ws://127.0.0.1:4500"), true);
    assert.equal(urlIsThisMachine("ws://127.1.2.3:4500"), true);
    assert.equal(urlIsThisMachine("ws://localhost:4500"), true);
    assert.equal(urlIsThisMachine("ws://[::1]:4500"), true);
    assert.equal(urlIsThisMachine("ws://10.0.0.5:4500"), false);
    assert.equal(urlIsThisMachine("wss://exec.example.com"), false);
    assert.equal(urlIsThisMachine("ws://127.0.0.1:4600/executor/e?role=harness&sig=x"), false);
  });
});
