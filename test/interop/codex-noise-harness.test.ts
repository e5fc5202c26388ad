/**
 * Issue 13: the real codex 0.169 harness runs a model turn on OUR executor over Noise. Our executor
 * registers with our rendezvous the 0.169 way; codex is pointed at it only by
 * `CODEX_EXEC_SERVER_NOISE_REGISTRY_URL`, `…_ENVIRONMENT_ID` and `…_AUTH_TOKEN` (`/connect`, the hybrid IK
 * handshake with our executor as responder, `/validate`); the Responses API stand-in scripts the three-tool
 * turn of codex-client.test.ts (exec_command, view_image, apply_patch). The evidence does not come from the
 * rendezvous: the decrypted JSON-RPC is recorded inside our executor, the files are checked on disk, and the
 * tool outputs are what the model received; the rendezvous's frame tap is checked to carry only ciphertext.
 */
import assert from "node:assert/strict";
import { describe, test } from "node:test";
import { decodeFrame } from "../../src/relay/frame-codec.js";
import { CODEX_VERSION, codexSkip } from "../helpers/codex-binary.js";
import { assertAppServerTurnCompleted, assertCodexExecFinished, assertToolsRanOnExecServer } from "./codex-client/codex-client-assertions.js";
import { runCodexClientScenario, type ScenarioRun } from "./codex-client/codex-client-scenario.js";
import { NOISE_ENVIRONMENT_NAME } from "./codex-client/codex-invocation.js";
import { NOISE_ENVIRONMENT_ID, ourNoiseExecutor, type NoiseExecutorEvidence } from "./codex-client/noise-executor-target.js";
import { tappedCalls } from "./codex-client/tap-evidence.js";

const SCENARIO_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 120_000;

/**
 * Strings the decrypted traffic of this turn certainly contains, in the forms they travel in (JSON text,
 * base64 of file and output bytes): none of them may appear in any frame the rendezvous routed.
 */
function plaintextNeedles(run: ScenarioRun): string[] {
  const c = run.conversation;
  const base64 = (text: string | Buffer): string => Buffer.from(text).toString("base64").slice(0, 16);
  return [
    "codex-environment",
    "process/start",
    "fs/writeFile",
    "fs/readFile",
    "environmentInfo",
    "shell-ran-remotely",
    run.workspace,
    base64(c.shell.expectedOutput),
    base64(c.patch.createdContent),
    base64(c.patch.editedAfter),
    base64(c.image.bytes),
  ];
}

/** The Noise side: a 0.169 harness on validated streams, handshakes then data only, and no plaintext at the rendezvous. */
function assertOnlyCiphertextAtRendezvous(run: ScenarioRun, evidence: NoiseExecutorEvidence): void {
  assert.ok(evidence.streams.length >= 1, "codex opened at least one Noise stream to our executor");
  assert.deepEqual(
    evidence.streams.map((stream) => stream.peer),
    evidence.streams.map(() => "legacy"),
    "the real harness speaks 0.169's stream rules (no acks); our executor follows",
  );
  const validated = evidence.rendezvousLog.filter((line) => new RegExp(`validate ${NOISE_ENVIRONMENT_ID} stream .*: valid`).test(line));
  assert.ok(validated.length >= evidence.streams.length, `our executor had every stream's harness key validated (log: ${evidence.rendezvousLog.join(" | ")})`);

  const initialize = tappedCalls(run.frames).find((call) => call.method === "initialize");
  assert.equal(initialize?.params["clientName"], "codex-environment");
  assert.ok(initialize?.result?.["environmentInfo"] !== undefined, "our executor answered the 0.169 environmentInfo");

  const frames = evidence.relayed.map(({ from, bytes }) => ({ from, frame: decodeFrame(bytes), bytes }));
  const firstFromHarness = frames.filter((f) => f.from === "harness").slice(0, 2).map((f) => f.frame.body.case);
  assert.deepEqual(firstFromHarness, ["resume", "handshake"], "a stream opens with resume, then the Noise msg1");
  assert.equal(frames.find((f) => f.from === "executor")?.frame.body.case, "handshake", "our executor's first frame is the Noise msg2");
  const kinds = new Set(frames.map((f) => f.frame.body.case));
  assert.ok(kinds.has("data"), "the turn's JSON-RPC crossed the rendezvous as data frames");
  const dataBytes = (from: string): number =>
    frames.filter((f) => f.from === from && f.frame.body.case === "data").reduce((sum, f) => sum + (f.frame.body.value as { payload: Uint8Array }).payload.length, 0);
  const plaintextBytes = (direction: string): number =>
    run.frames.filter((frame) => frame.direction === direction).reduce((sum, frame) => sum + Buffer.byteLength(frame.text), 0);
  // Each record is the length-prefixed JSON plus a 16-byte AES-GCM tag: the ciphertext carries at least every decrypted byte.
  assert.ok(dataBytes("harness") >= plaintextBytes("client->server"), "codex's requests crossed the rendezvous only as Noise records");
  assert.ok(dataBytes("executor") >= plaintextBytes("server->client"), "our answers crossed the rendezvous only as Noise records");

  const latin1 = new TextDecoder("latin1");
  const routed = evidence.relayed.map(({ bytes }) => latin1.decode(bytes));
  for (const needle of plaintextNeedles(run)) {
    assert.ok(run.frames.some((frame) => frame.text.includes(needle)), `the decrypted traffic contains ${JSON.stringify(needle)} (the needle is meaningful)`);
    assert.ok(!routed.some((text) => text.includes(needle)), `the rendezvous never saw ${JSON.stringify(needle)}`);
    assert.ok(!evidence.rendezvousLog.some((line) => line.includes(needle)), `the rendezvous log never names ${JSON.stringify(needle)}`);
  }
}

describe(`the real codex ${CODEX_VERSION} harness runs a model turn on our executor over Noise`, { skip: codexSkip() }, () => {
  test("codex app-server with CODEX_EXEC_SERVER_NOISE_*: the turn's shell command, view_image and apply_patch run on our executor", { timeout: TEST_TIMEOUT_MS }, async () => {
    const { target, evidence } = ourNoiseExecutor();
    const run = await runCodexClientScenario(target, "app-server", SCENARIO_TIMEOUT_MS);
    assertAppServerTurnCompleted(run);
    assert.equal(run.appServer!.environmentId, NOISE_ENVIRONMENT_NAME);
    assertToolsRanOnExecServer(run);
    assertOnlyCiphertextAtRendezvous(run, evidence);
  });

  test("codex exec with CODEX_EXEC_SERVER_NOISE_*: the same turn runs on our executor", { timeout: TEST_TIMEOUT_MS }, async () => {
    const { target, evidence } = ourNoiseExecutor();
    const run = await runCodexClientScenario(target, "exec", SCENARIO_TIMEOUT_MS);
    assertCodexExecFinished(run, SCENARIO_TIMEOUT_MS);
    assertToolsRanOnExecServer(run);
    assertOnlyCiphertextAtRendezvous(run, evidence);
  });
});
