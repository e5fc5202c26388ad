import type { Check, CheckContext } from "../../check.js";
import { expect } from "../../check.js";
import { show } from "../../expectations.js";
import { CodexPeer, expectCodexError } from "../codex-peer.js";
import { capability } from "./capabilities.js";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** One gated method family (UPSTREAM-0.169 §2.2) and a request of it with valid params. */
interface GatedFamily {
  readonly family: string;
  readonly method: string;
  params(ctx: CheckContext): unknown;
  /** Only checked when the server announces this capability (the method is optional otherwise). */
  readonly capability?: string;
}

const FAMILIES: readonly GatedFamily[] = [
  { family: "exec", method: "process/read", params: () => ({ processId: "gated" }) },
  { family: "filesystem", method: "fs/getMetadata", params: (ctx) => ({ path: ctx.scratchDir }) },
  { family: "http", method: "http/request", params: () => ({ method: "GET", url: "http://127.0.0.1:9/", requestId: "gated" }) },
  { family: "environment info", method: "environment/info", params: () => undefined },
  { family: "environment status", method: "environment/status", params: () => undefined },
  { family: "capability discovery", method: "capabilities/discoverV2", params: (ctx) => ({ cwd: ctx.scratchDir }), capability: "capabilityDiscoveryV2" },
  {
    family: "environment config",
    method: "environmentConfig/read",
    params: (ctx) => ({ cwd: ctx.scratchDir, configPaths: [["model"]], requirementsPaths: [] }),
    capability: "environmentConfigRead",
  },
];

/** JSON with sorted keys, for comparing objects whose member order may differ. */
export function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, member: unknown) =>
    typeof member === "object" && member !== null && !Array.isArray(member)
      ? Object.fromEntries(Object.entries(member as Record<string, unknown>).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : member,
  );
}

async function expectGated(ctx: CheckContext, peer: CodexPeer, stage: "initialize" | "initialized"): Promise<void> {
  for (const family of FAMILIES) {
    if (family.capability !== undefined && !capability(ctx, family.capability)) continue;
    const response = await peer.request(family.method, family.params(ctx));
    const upstream =
      stage === "initialize" ? `client must call initialize before using ${family.family} methods` : `client must send initialized before using ${family.family} methods`;
    expectCodexError(ctx, response, -32600, `${family.method} before ${stage}`, { upstream, mention: stage === "initialize" ? "initialize" : "initialized" });
  }
}

/** UPSTREAM-0.169 §2.1–2.3, §0: handshake, environment info/status, gating, ids. */
export function lifecycleChecks(): Check[] {
  return [
    {
      id: "lifecycle/initialize-result",
      title: "initialize answers {sessionId: UUIDv4, environmentInfo} with shell, versions, file: URIs and a capabilities object",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx, { handshake: false });
        const result = await peer.call("initialize", { clientName: "exec-server-conformance" });
        expect(typeof result["sessionId"] === "string" && UUID_V4.test(result["sessionId"]), `sessionId must be a UUIDv4, got ${show(result["sessionId"])}`);
        const info = result["environmentInfo"];
        expect(typeof info === "object" && info !== null, `initialize must carry environmentInfo, got ${show(info)}`);
        const capabilities = (info as Record<string, unknown>)["capabilities"];
        expect(typeof capabilities === "object" && capabilities !== null && !Array.isArray(capabilities), `environmentInfo.capabilities must be an object, got ${show(capabilities)}`);
      },
    },
    {
      id: "lifecycle/environment-info",
      title: "environment/info (params omitted, null or {}) answers the environmentInfo of initialize",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const expected = canonicalJson(peer.environmentInfo);
        for (const [label, params] of [["omitted", undefined], ["null", null], ["{}", {}]] as const) {
          const info = await peer.call("environment/info", params, { what: `environment/info with params ${label}` });
          expect(canonicalJson(info) === expected, () => `environment/info (params ${label}) differs from initialize's environmentInfo: ${show(info)}`);
        }
      },
    },
    {
      id: "lifecycle/environment-status",
      title: "environment/status (params omitted, null or {}) answers {status: \"ready\"}",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        for (const [label, params] of [["omitted", undefined], ["null", null], ["{}", {}]] as const) {
          const status = await peer.call("environment/status", params, { what: `environment/status with params ${label}` });
          expect(status["status"] === "ready", `environment/status (params ${label}) answered ${show(status)}`);
        }
      },
    },
    {
      id: "lifecycle/unit-params-refused",
      title: "environment/info and environment/status refuse non-empty params: an object member or an array → -32602",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        for (const method of ["environment/info", "environment/status"]) {
          await peer.fails(method, { x: 1 }, -32602, `${method} with {"x":1}`, { upstream: "invalid type: map, expected unit" });
          await peer.fails(method, [], -32602, `${method} with []`, { upstream: "invalid type: sequence, expected unit" });
        }
      },
    },
    {
      id: "lifecycle/initialize-params",
      title: "initialize without clientName (or with null params) → -32602; that failure does not count and a retry succeeds",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx, { handshake: false });
        await peer.fails("initialize", {}, -32602, "initialize without clientName", { upstream: "missing field `clientName`", mention: "clientName" });
        await peer.fails("initialize", null, -32602, "initialize with null params", { upstream: "invalid type: null, expected struct InitializeParams" });
        await peer.handshake();
        await peer.call("environment/status", undefined, { what: "environment/status after the retried initialize" });
      },
    },
    {
      id: "lifecycle/second-initialize",
      title: "a second initialize on one connection → -32600; the connection keeps working",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        await peer.fails("initialize", { clientName: "exec-server-conformance" }, -32600, "second initialize", {
          upstream: "initialize may only be sent once per connection",
        });
        await peer.call("environment/status", undefined, { what: "environment/status after the refused initialize" });
      },
    },
    {
      id: "lifecycle/gating-before-initialize",
      title: "every method family before initialize → -32600 \"client must call initialize before using <family> methods\"",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx, { handshake: false });
        await expectGated(ctx, peer, "initialize");
      },
    },
    {
      id: "lifecycle/gating-before-initialized",
      title: "every method family after initialize but before initialized → -32600 \"client must send initialized ...\"; served afterwards",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx, { handshake: false });
        await peer.call("initialize", { clientName: "exec-server-conformance" });
        await expectGated(ctx, peer, "initialized");
        peer.raw.notify("initialized", {});
        await peer.call("environment/status", undefined, { what: "environment/status after initialized" });
        await peer.call("fs/getMetadata", { path: ctx.scratchDir }, { what: "fs/getMetadata after initialized" });
      },
    },
    {
      id: "lifecycle/params-before-gating",
      title: "params are decoded before gating: process/read {} before initialize → -32602 naming processId",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx, { handshake: false });
        await peer.fails("process/read", {}, -32602, "process/read {} before initialize", { upstream: "missing field `processId`", mention: "processId" });
      },
    },
    {
      id: "lifecycle/initialized-repeated",
      title: "a repeated initialized notification (with any params) is ignored: no answer, the connection stays open",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const mark = peer.raw.inbound.length;
        peer.raw.notify("initialized", [1, 2]);
        peer.raw.notify("initialized");
        await peer.call("environment/status", undefined, { what: "environment/status after repeated initialized" });
        const stray = peer.raw.inbound.slice(mark).filter((inbound) => inbound.value !== undefined && Object.hasOwn(inbound.value, "error"));
        expect(stray.length === 0, () => `repeated initialized was answered: ${stray.map((inbound) => inbound.text).join(" ")}`);
        expect(peer.closedReason === undefined, `the connection closed after a repeated initialized (${peer.closedReason ?? ""})`);
      },
    },
    {
      id: "lifecycle/method-not-found",
      title: "an unknown method → -32601, before and after the handshake",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx, { handshake: false });
        await peer.fails("process/explode", {}, -32601, "process/explode before initialize", { upstream: "exec-server stub does not implement `process/explode` yet" });
        await peer.handshake();
        await peer.fails("process/explode", {}, -32601, "process/explode after the handshake", { upstream: "exec-server stub does not implement `process/explode` yet" });
      },
    },
    {
      id: "lifecycle/request-ids",
      title: "integer and string request ids are echoed; a request carrying \"jsonrpc\":\"2.0\" is served too",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const byString = await peer.request("environment/status", {}, { id: "s-1" });
        expect(byString.result !== undefined && byString.id === "s-1", `string id request answered ${show(byString.message)}`);
        const byInteger = await peer.request("environment/status", {}, { id: 4242 });
        expect(byInteger.result !== undefined && byInteger.id === 4242, `integer id request answered ${show(byInteger.message)}`);
        const mark = peer.raw.inbound.length;
        peer.raw.sendJson({ jsonrpc: "2.0", id: 4343, method: "environment/status", params: {} });
        const twoPointOh = await peer.raw.waitForNextResponse(mark, "the answer to a request with \"jsonrpc\":\"2.0\"");
        expect(twoPointOh.id === 4343 && twoPointOh.result !== undefined, `a request with "jsonrpc":"2.0" was answered ${show(twoPointOh.message)}`);
      },
    },
  ];
}
