import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { StreamListeners } from "../../src/relay/stream-listeners.js";

function listeners() {
  const logged: string[] = [];
  return { logged, table: new StreamListeners({ streamId: "s1", log: (line) => logged.push(line), logPrefix: "relay" }) };
}

describe("StreamListeners", () => {
  it("keeps messages that arrive before the first subscriber and hands them to it in order", () => {
    const { table } = listeners();
    table.deliver("a");
    table.deliver("b");
    const got: string[] = [];
    table.onMessage((m) => got.push(m));
    table.deliver("c");
    assert.deepEqual(got, ["a", "b", "c"]);
  });

  it("logs a throwing message listener and still delivers to the others", () => {
    const { table, logged } = listeners();
    const got: string[] = [];
    table.onMessage(() => {
      throw new Error("boom");
    });
    table.onMessage((m) => got.push(m));
    table.deliver("x");
    assert.deepEqual(got, ["x"]);
    assert.deepEqual(logged, ["relay: message listener on s1 threw: Error: boom"]);
  });

  it("ends once: cleans up before telling close listeners, and ignores later ends", () => {
    const { table } = listeners();
    const events: string[] = [];
    table.onClose((reason) => events.push(`closed ${reason} ${String(table.closedReason)}`));
    table.end("reset_by_peer", true, () => events.push(`clean-up sees ${String(table.closedReason)}`));
    table.end("second", false, () => events.push("second clean-up"));
    assert.deepEqual(events, ["clean-up sees reset_by_peer", "closed reset_by_peer reset_by_peer"]);
    assert.equal(table.closedByPeer, true);
  });

  it("tells a close listener added after the end on a microtask", async () => {
    const { table } = listeners();
    table.end("done", false);
    let heard: string | undefined;
    table.onClose((reason) => {
      heard = reason;
    });
    assert.equal(heard, undefined);
    await Promise.resolve();
    assert.equal(heard, "done");
  });

  it("stops telling a listener that unsubscribed", () => {
    const { table } = listeners();
    const got: string[] = [];
    const off = table.onMessage((m) => got.push(m));
    table.deliver("1");
    off();
    table.deliver("2");
    assert.deepEqual(got, ["1"]);
  });
});
