import type { Check } from "../../check.js";
import { expect } from "../../check.js";
import { show } from "../../expectations.js";
import { CodexPeer } from "../codex-peer.js";
import { cleanupTerminate, start, startParams } from "../process-steps.js";

/** How long the long-poll of the processing check waits, in milliseconds. */
const LONG_POLL_MS = 1_500;

/** UPSTREAM-0.169 §5.4: request processing on one connection. */
export function protocolChecks(): Check[] {
  return [
    {
      id: "protocol/request-processing",
      title: "a long-poll process/read and a later environment/status are both answered, each with its id; sequential (upstream default) or concurrent — variant requestProcessing",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        try {
          await start(peer, startParams(ctx, "quiet", ["sleep", "30"]));
          const t0 = ctx.clock.now();
          const reading = peer.request("process/read", { processId: "quiet", waitMs: LONG_POLL_MS }, { timeoutMs: LONG_POLL_MS + ctx.stepTimeoutMs });
          const asking = peer.request("environment/status", undefined, { timeoutMs: LONG_POLL_MS + ctx.stepTimeoutMs });
          const [read, status] = await Promise.all([reading, asking]);
          const readMs = ctx.clock.now() - t0;
          expect(read.result !== undefined && show((read.result as Record<string, unknown>)["chunks"]) === "[]", `the long-poll answered ${show(read.message)}`);
          expect(readMs >= LONG_POLL_MS - 500, `the long-poll returned after ${Math.round(readMs)} ms, before its waitMs ${LONG_POLL_MS}`);
          expect((status.result as Record<string, unknown> | undefined)?.["status"] === "ready", `environment/status answered ${show(status.message)}`);
          const position = (id: unknown) => peer.raw.inbound.findIndex((inbound) => inbound.value !== undefined && inbound.value["id"] === id && !Object.hasOwn(inbound.value, "method"));
          ctx.variant("requestProcessing", position(status.id) < position(read.id) ? "concurrent" : "sequential");
        } finally {
          await cleanupTerminate(peer, "quiet");
        }
      },
    },
  ];
}
