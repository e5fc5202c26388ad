import type { Check, CheckContext } from "../../check.js";
import { expect } from "../../check.js";
import { show } from "../../expectations.js";
import { CodexPeer } from "../codex-peer.js";
import { checkDir, uriJoin, writeText } from "../fs-steps.js";
import { skipIfNotOffered } from "./capabilities.js";

/** How long a check watches for a second `fs/missingChanged` that must not come, in milliseconds. */
const QUIET_MS = 1_000;

/** Registers a watch; skips the check when the server does not offer `fs/watchMissing`. Returns `watching`. */
async function watch(ctx: CheckContext, peer: CodexPeer, params: Record<string, unknown>): Promise<unknown> {
  const response = await peer.request("fs/watchMissing", params);
  skipIfNotOffered(ctx, response, "fs/watchMissing", "fsWatchMissing");
  if (response.error !== undefined) expect(false, `fs/watchMissing ${show(params)} failed with ${response.error.code}: ${response.error.message}`);
  return (response.result as Record<string, unknown>)["watching"];
}

/** UPSTREAM-0.169 §2.12: `fs/watchMissing` and `fs/missingChanged`. */
export function fsWatchChecks(): Check[] {
  return [
    {
      id: "fs-watch/missing-appears",
      title: "fs/watchMissing {watching: true}; when a missing path appears, fs/missingChanged {watchId} is sent once",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        const watching = await watch(ctx, peer, { watchId: 5, missing: [uriJoin(dir, "a"), uriJoin(dir, "b")] });
        expect(watching === true, `fs/watchMissing of two missing paths answered watching=${show(watching)}`);
        await writeText(peer, uriJoin(dir, "a"), "a");
        const changed = await peer.waitNotice("fs/missingChanged", () => true, "fs/missingChanged after a missing path appeared");
        expect(changed.params["watchId"] === 5, `fs/missingChanged carried ${show(changed.params)}, expected {watchId: 5}`);
        await writeText(peer, uriJoin(dir, "b"), "b");
        await ctx.sleep(QUIET_MS);
        const all = peer.notices("fs/missingChanged");
        expect(all.length === 1, `fs/missingChanged was sent ${all.length} times, expected once: ${show(all.map((n) => n.params))}`);
      },
    },
    {
      id: "fs-watch/present-disappears",
      title: "fs/watchMissing with present: fs/missingChanged is sent when the present path disappears",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        const present = uriJoin(dir, "present");
        await writeText(peer, present, "here");
        const watching = await watch(ctx, peer, { watchId: 3, missing: [uriJoin(dir, "absent")], present });
        expect(watching === true, `fs/watchMissing with an existing present path answered watching=${show(watching)}`);
        await peer.call("fs/remove", { path: present });
        const changed = await peer.waitNotice("fs/missingChanged", () => true, "fs/missingChanged after the present path disappeared");
        expect(changed.params["watchId"] === 3, `fs/missingChanged carried ${show(changed.params)}, expected {watchId: 3}`);
      },
    },
    {
      id: "fs-watch/refused",
      title: "fs/watchMissing answers watching false for a watchId not above the last, an existing missing path, a missing present path or no missing paths",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        const exists = uriJoin(dir, "exists");
        await writeText(peer, exists, "x");
        const absent = uriJoin(dir, "absent");
        expect((await watch(ctx, peer, { watchId: 10, missing: [absent] })) === true, "the first valid fs/watchMissing was not accepted");
        for (const [label, params] of [
          ["the same watchId again", { watchId: 10, missing: [absent] }],
          ["a lower watchId", { watchId: 9, missing: [absent] }],
          ["a missing list with an existing path", { watchId: 11, missing: [exists, uriJoin(dir, "absent2")] }],
          ["a present path that does not exist", { watchId: 12, missing: [absent], present: uriJoin(dir, "not-there") }],
          ["an empty missing list", { watchId: 13, missing: [] }],
        ] as const) {
          const watching = await watch(ctx, peer, params);
          expect(watching === false, `fs/watchMissing with ${label} answered watching=${show(watching)}, expected false`);
        }
      },
    },
  ];
}
