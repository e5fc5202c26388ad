import type { Check } from "../check.js";
import { expect } from "../check.js";
import { expectRawError, show } from "../expectations.js";

const UUID_V4 = /^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/i;

/** CONTRACT §1–2: handshake ordering and the envelope, over raw JSON. */
export function lifecycleChecks(): Check[] {
  return [
    {
      id: "lifecycle/initialize-result",
      title: "initialize answers {sessionId: UUIDv4} (or {} from old servers) and records the variant",
      async run(ctx) {
        const peer = await ctx.openRaw();
        const response = await peer.request("initialize", { clientName: "exec-server-conformance" });
        expect(response.error === undefined, () => `initialize failed: ${show(response.error)}`);
        const result = response.result;
        expect(typeof result === "object" && result !== null && !Array.isArray(result), `initialize result must be an object, got ${show(result)}`);
        const sessionId = (result as Record<string, unknown>)["sessionId"];
        if (sessionId === undefined || sessionId === null) {
          ctx.variant("initialize", "empty");
          return;
        }
        ctx.variant("initialize", "sessionId");
        expect(typeof sessionId === "string" && UUID_V4.test(sessionId), `sessionId must be a UUIDv4, got ${show(sessionId)}`);
      },
    },
    {
      id: "lifecycle/method-before-initialize",
      title: "a process or fs method before initialize fails -32600 naming initialize",
      async run(ctx) {
        const peer = await ctx.openRaw();
        const start = await peer.request("process/start", { processId: "early", argv: ["true"], cwd: ctx.scratchDir, env: {}, tty: false });
        expectRawError(start, -32600, "process/start before initialize", "initialize");
        const fs = await peer.request("fs/getMetadata", { path: ctx.scratchDir });
        expectRawError(fs, -32600, "fs/getMetadata before initialize", "initialize");
      },
    },
    {
      id: "lifecycle/method-before-initialized",
      title: "a method after initialize but before the initialized notification fails -32600 naming initialized",
      async run(ctx) {
        const peer = await ctx.openRaw();
        await peer.call("initialize", { clientName: "exec-server-conformance" });
        const early = await peer.request("fs/getMetadata", { path: ctx.scratchDir });
        expectRawError(early, -32600, "fs/getMetadata before initialized", "initialized");
        peer.notify("initialized", {});
        const later = await peer.request("fs/getMetadata", { path: ctx.scratchDir });
        expect(later.error === undefined, () => `fs/getMetadata after initialized failed: ${show(later.error)}`);
      },
    },
    {
      id: "lifecycle/second-initialize",
      title: "a second initialize on one connection fails -32600 and the connection keeps working",
      async run(ctx) {
        const peer = await ctx.openRaw();
        await peer.handshake();
        const again = await peer.request("initialize", { clientName: "exec-server-conformance" });
        expectRawError(again, -32600, "second initialize", "once");
        const after = await peer.request("fs/getMetadata", { path: ctx.scratchDir });
        expect(after.error === undefined, () => `fs/getMetadata after the refused initialize failed: ${show(after.error)}`);
      },
    },
    {
      id: "lifecycle/envelope-lite-and-2.0",
      title: "requests with and without \"jsonrpc\":\"2.0\" are both answered, with the request's id (integer and string)",
      async run(ctx) {
        const peer = await ctx.openRaw();
        const init = await peer.request("initialize", { clientName: "exec-server-conformance" }, { envelope: "lite", id: 7 });
        expect(init.error === undefined, () => `lite initialize failed: ${show(init.error)}`);
        expect(init.id === 7, `the response to id 7 carried id ${show(init.id)}`);
        peer.notify("initialized", {}, "lite");
        const twoPointOh = await peer.request("fs/getMetadata", { path: ctx.scratchDir }, { envelope: "2.0", id: "s-1" });
        expect(twoPointOh.error === undefined, () => `2.0 fs/getMetadata failed: ${show(twoPointOh.error)}`);
        const lite = await peer.request("fs/getMetadata", { path: ctx.scratchDir }, { envelope: "lite", id: 8 });
        expect(lite.error === undefined, () => `lite fs/getMetadata failed: ${show(lite.error)}`);
      },
    },
    {
      id: "lifecycle/method-not-found",
      title: "an unknown method after the handshake fails -32601",
      async run(ctx) {
        const peer = await ctx.openRaw();
        await peer.handshake();
        const response = await peer.request("process/explode", {});
        expectRawError(response, -32601, "unknown method process/explode");
      },
    },
  ];
}
