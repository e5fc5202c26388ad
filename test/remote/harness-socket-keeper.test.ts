import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { HarnessSocketKeeper, type KeptMux } from "../../src/remote/harness-socket-keeper.js";
import type { DialedFrameSocket } from "../../src/remote/websocket-frame-socket.js";

/** A socket that closes when told to (by the test or the keeper). */
function fakeSocket(name: string): DialedFrameSocket & { name: string; closeReasons: string[] } {
  let resolveClosed!: (reason: string) => void;
  const closed = new Promise<string>((resolve) => (resolveClosed = resolve));
  const closeReasons: string[] = [];
  return {
    name,
    closeReasons,
    closed,
    send: () => {},
    onFrame: () => () => {},
    onClose: () => () => {},
    close: (reason = "closed") => {
      closeReasons.push(reason);
      resolveClosed(reason);
    },
  };
}

/** A mux that records what was done to it. */
function fakeMux() {
  const events: string[] = [];
  const mux: KeptMux = {
    attachSocket: (socket) => events.push(`attach ${(socket as ReturnType<typeof fakeSocket>).name}`),
    detachSocket: () => events.push("detach"),
    close: (reason) => events.push(`close ${reason}`),
    streamCount: 0,
  };
  return { mux, events };
}

/** Resolves once `condition` holds (polled on the event loop; bounded). */
async function until(condition: () => boolean): Promise<void> {
  for (let i = 0; i < 1000 && !condition(); i++) await new Promise((resolve) => setImmediate(resolve));
  assert.ok(condition(), "condition never held");
}

const quickBackoff = { initialMs: 1, maxMs: 1, jitter: 0 };

describe("HarnessSocketKeeper", () => {
  it("redials after a drop, retrying failed dials, and attaches the new socket", async () => {
    const { mux, events } = fakeMux();
    const replacement = fakeSocket("second");
    let dials = 0;
    const keeper = new HarnessSocketKeeper(
      {
        mux,
        redial: async () => {
          dials += 1;
          if (dials < 3) throw new Error("connection refused");
          return replacement;
        },
        onClosedWithoutReconnect: () => assert.fail("reconnect is on"),
        backoff: quickBackoff,
        log: () => {},
      },
      fakeSocket("first"),
    );
    keeper.drop();
    await until(() => events.includes("attach second"));
    assert.deepEqual(events, ["attach first", "detach", "attach second"]);
    assert.equal(dials, 3);
    keeper.close();
    assert.deepEqual(replacement.closeReasons, ["harness closed"]);
  });

  it("gives up at once on a fatal error and ends every stream", async () => {
    const { mux, events } = fakeMux();
    const lines: string[] = [];
    const keeper = new HarnessSocketKeeper(
      {
        mux,
        redial: () => Promise.reject(new Error("credentials refused")),
        isFatal: (error) => (error as Error).message === "credentials refused",
        onClosedWithoutReconnect: () => assert.fail("reconnect is on"),
        backoff: quickBackoff,
        log: (line) => lines.push(line),
      },
      fakeSocket("first"),
    );
    keeper.drop();
    await until(() => events.includes("close harness_reconnect_failed"));
    assert.ok(lines.includes("giving up redialling: credentials refused"), lines.join("\n"));
  });

  it("hands the close to its owner instead of redialling when reconnect is off", async () => {
    const { mux, events } = fakeMux();
    let heard: string | undefined;
    const keeper = new HarnessSocketKeeper(
      { mux, reconnect: false, redial: () => assert.fail("no redial"), onClosedWithoutReconnect: (reason) => (heard = reason), log: () => {} },
      fakeSocket("first"),
    );
    keeper.drop();
    await until(() => heard !== undefined);
    assert.equal(heard, "dropped by harness");
    assert.deepEqual(events, ["attach first", "detach"]);
  });

  it("closes the mux and the socket and does not redial after close", async () => {
    const { mux, events } = fakeMux();
    const first = fakeSocket("first");
    const keeper = new HarnessSocketKeeper({ mux, redial: () => assert.fail("no redial"), onClosedWithoutReconnect: () => assert.fail("closed on purpose"), log: () => {} }, first);
    keeper.close();
    await first.closed;
    await until(() => events.includes("detach"));
    assert.deepEqual(events, ["attach first", "close harness_closed", "detach"]);
    assert.deepEqual(first.closeReasons, ["harness closed"]);
  });
});
