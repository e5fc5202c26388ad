import assert from "node:assert/strict";
import { after, before, test } from "node:test";
import { WebSocket } from "ws";
import { encodeFrame, handshakeFrame, resumeFrame, decodeFrame } from "../../../src/relay/frame-codec.js";
import { generateHybridKeyPair, publicKeyToJson } from "../../../src/relay/noise/hybrid-keypair.js";
import { startRendezvous, type Rendezvous } from "../../../src/remote/rendezvous/rendezvous-server.js";

const REGISTRY = "registry-token";
const HARNESS = "harness-token";
const executorKey = publicKeyToJson(generateHybridKeyPair().publicKey);
const harnessKey = publicKeyToJson(generateHybridKeyPair().publicKey);
let rendezvous: Rendezvous;
const sockets: WebSocket[] = [];

before(async () => {
  rendezvous = await startRendezvous({ registryTokens: [REGISTRY], harnessTokens: [HARNESS], executorGraceMs: 200 });
});
after(async () => {
  for (const socket of sockets) socket.terminate();
  await rendezvous.close();
});

async function post(path: string, body: unknown, token: string | null, headers: Record<string, string> = {}): Promise<{ status: number; json: Record<string, unknown> }> {
  const response = await fetch(`${rendezvous.baseUrl}${path}`, {
    method: "POST",
    headers: { "content-type": "application/json", ...(token === null ? {} : { authorization: `Bearer ${token}` }), ...headers },
    body: typeof body === "string" ? body : JSON.stringify(body),
  });
  return { status: response.status, json: (await response.json()) as Record<string, unknown> };
}

const register = (id: string, token: string | null = REGISTRY, body: unknown = { security_profile: "noise_hybrid_ik_v1", executor_public_key: executorKey }) =>
  post(`/cloud/environment/${id}/register`, body, token);

async function dial(url: string): Promise<{ socket: WebSocket; frames: Uint8Array[] }> {
  const socket = new WebSocket(url);
  sockets.push(socket);
  const frames: Uint8Array[] = [];
  socket.on("message", (data: Buffer) => frames.push(new Uint8Array(data)));
  await new Promise<void>((resolve, reject) => {
    socket.once("open", () => resolve());
    socket.once("error", reject);
    socket.once("unexpected-response", (_request, response) => reject(new Error(`HTTP ${response.statusCode}`)));
  });
  return { socket, frames };
}

async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 250 && !condition(); i++) await new Promise((resolve) => setTimeout(resolve, 20));
  assert.ok(condition(), "condition not reached");
}

test("registration answers 0.169's shape, with a signed environment URL", async () => {
  const { status, json } = await register("env-a");
  assert.equal(status, 200);
  assert.deepEqual(Object.keys(json), ["environment_id", "url", "security_profile", "executor_registration_id"]);
  assert.equal(json.environment_id, "env-a");
  assert.equal(json.security_profile, "noise_hybrid_ik_v1");
  assert.match(String(json.url), /^ws:\/\/127\.0\.0\.1:\d+\/cloud-agent\/default\/ws\/environment\/env-a\?role=environment&reg=.+&exp=\d+&sig=/);
});

test("auth failures: no bearer is 401, an unknown one 403, a harness token cannot register", async () => {
  assert.equal((await register("env-b", null)).status, 401);
  assert.equal((await post("/cloud/environment/env-b/register", {}, "")).status, 401);
  assert.equal((await register("env-b", "wrong")).status, 403);
  assert.equal((await register("env-b", HARNESS)).status, 403);
  assert.equal((await post("/cloud/environment/env-b/connect", { harness_public_key: harnessKey }, REGISTRY)).status, 403, "a registry token cannot connect as a harness");
});

test("bad bodies are 400 with a code; direct/register is 501", async () => {
  const plain = await register("env-c", REGISTRY, { security_profile: "plain", executor_public_key: executorKey });
  assert.equal(plain.status, 400);
  assert.equal((plain.json.error as { code: string }).code, "unsupported_security_profile");
  const badKey = await register("env-c", REGISTRY, { security_profile: "noise_hybrid_ik_v1", executor_public_key: { ...executorKey, suite: "other" } });
  assert.equal(badKey.status, 400);
  assert.equal((badKey.json.error as { code: string }).code, "bad_public_key");
  assert.equal((await register("env-c", REGISTRY, "not json")).status, 400);
  const direct = await post("/cloud/environment/env-c/direct/register", { transport: "direct_jsonrpc_v1" }, REGISTRY);
  assert.equal(direct.status, 501);
  assert.equal((direct.json.error as { code: string }).code, "direct_transport_unsupported");
});

test("connect: 404 before registration, 503 until the executor is connected, then the full bundle; validate checks it", async () => {
  assert.equal((await post("/cloud/environment/env-d/connect", { harness_public_key: harnessKey }, HARNESS)).status, 404);
  const registration = await register("env-d");
  const unavailable = await post("/cloud/environment/env-d/connect", { harness_public_key: harnessKey }, HARNESS);
  assert.equal(unavailable.status, 503);
  const executor = await dial(String(registration.json.url));
  await until(() => rendezvous.environments.registration("env-d") !== undefined);
  let bundle!: Awaited<ReturnType<typeof post>>;
  await until(() => true);
  // Polled until a deadline, not a count: under load each request alone can take a while.
  for (const deadline = Date.now() + 10_000; ; ) {
    bundle = await post("/cloud/environment/env-d/connect", { harness_public_key: harnessKey }, HARNESS, { "chatgpt-account-id": "acct-1" });
    if (bundle.status === 200 || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(bundle.status, 200);
  assert.deepEqual(Object.keys(bundle.json), ["environment_id", "url", "security_profile", "executor_registration_id", "executor_public_key", "harness_key_authorization"]);
  assert.deepEqual(bundle.json.executor_public_key, executorKey);
  assert.equal(bundle.json.executor_registration_id, registration.json.executor_registration_id);
  const validate = (body: Record<string, unknown>, token: string | null = REGISTRY) =>
    post("/cloud/environment/env-d/validate", { executor_registration_id: registration.json.executor_registration_id, harness_public_key: harnessKey, harness_key_authorization: bundle.json.harness_key_authorization, ...body }, token, { "x-codex-noise-stream-id": "s-1" });
  assert.deepEqual((await validate({})).json, { valid: true });
  assert.deepEqual((await validate({ harness_public_key: publicKeyToJson(generateHybridKeyPair().publicKey) })).json, { valid: false }, "another key");
  assert.deepEqual((await validate({ harness_key_authorization: `${String(bundle.json.harness_key_authorization)}x` })).json, { valid: false });
  assert.deepEqual((await validate({ executor_registration_id: "reg-other" })).json, { valid: false });
  assert.equal((await validate({}, "wrong")).status, 403);
  assert.equal((await validate({}, null)).status, 401);

  // Routing: the harness URL joins the environment's route; handshakes flow by stream id only.
  const harness = await dial(String(bundle.json.url));
  harness.socket.send(encodeFrame(resumeFrame("s-1", 0)));
  harness.socket.send(encodeFrame(handshakeFrame("s-1", new Uint8Array([1, 2, 3]))));
  await until(() => executor.frames.length >= 2);
  assert.deepEqual(executor.frames.map((bytes) => decodeFrame(bytes).body.case), ["resume", "handshake"]);
  executor.socket.send(encodeFrame(handshakeFrame("s-1", new Uint8Array([4]))));
  await until(() => harness.frames.length >= 1);
  assert.equal(decodeFrame(harness.frames[0]!).body.case, "handshake");

  // While the executor is connected, registering again conflicts (retryable 503).
  const conflict = await register("env-d");
  assert.equal(conflict.status, 503);
  assert.equal((conflict.json.error as { code: string }).code, "registration_conflict");
  executor.socket.close();
  let again!: Awaited<ReturnType<typeof post>>;
  for (const deadline = Date.now() + 10_000; ; ) {
    again = await register("env-d");
    if (again.status === 200 || Date.now() > deadline) break;
    await new Promise((resolve) => setTimeout(resolve, 20));
  }
  assert.equal(again.status, 200);
  // The superseded registration's URL is refused with 409 (0.169 executors register again on a 4xx).
  await assert.rejects(dial(String(registration.json.url)), /HTTP 409/);
  // An edited URL is refused with 403.
  await assert.rejects(dial(String(again.json.url).replace("role=environment", "role=harness")), /HTTP 403/);
});
