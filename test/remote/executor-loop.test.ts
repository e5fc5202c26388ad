import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { Backoff } from "../../src/remote/backoff.js";
import { ExecutorLoop, type RemoteExecutorState, type ServedMux } from "../../src/remote/executor-loop.js";
import type { DialedFrameSocket } from "../../src/remote/websocket-frame-socket.js";

function fakeSocket(events: string[]): DialedFrameSocket {
  let resolveClosed!: (reason: string) => void;
  return {
    closed: new Promise<string>((resolve) => (resolveClosed = resolve)),
    send: () => {},
    onFrame: () => () => {},
    onClose: () => () => {},
    close: (reason = "closed") => {
      events.push(`socket close ${reason}`);
      resolveClosed(reason);
    },
  };
}

function fakeMux(events: string[]): ServedMux {
  return { attachSocket: () => events.push("attach"), detachSocket: () => events.push("detach"), streamCount: 3 };
}

function loop(initialMs = 60_000, baseUrls?: readonly string[]) {
  const lines: string[] = [];
  const states: RemoteExecutorState[] = [];
  const l = new ExecutorLoop({ backoff: new Backoff({ initialMs, maxMs: initialMs, jitter: 0 }), log: (line) => lines.push(line), retryVerb: "retrying", ...(baseUrls ? { baseUrls } : {}) });
  l.onState((state) => states.push(state));
  return { l, lines, states };
}

describe("ExecutorLoop", () => {
  it("fails over to each untried registry URL at once, backs off once all failed in a row, and starts over after a connect", async () => {
    const { l, lines, states } = loop(1, ["http://a", "http://b", "http://c"]);
    assert.equal(l.registryUrl, "http://a");
    await l.failover("registration failed");
    await l.failover("registration failed");
    assert.equal(l.registryUrl, "http://c");
    assert.deepEqual(states, [], "no back-off while some URL is untried");
    await l.failover("registration failed");
    assert.equal(l.registryUrl, "http://a");
    assert.deepEqual(states, ["backing-off"]);
    assert.deepEqual(lines, [
      "registration failed; trying http://b next (instead of http://a)",
      "registration failed; trying http://c next (instead of http://b)",
      "registration failed; retrying in 0.0 s",
    ]);
    await l.failover("registration failed"); // a → b, untried again
    const events: string[] = [];
    const served = l.serve(fakeSocket(events), fakeMux(events));
    l.dropConnection();
    await served;
    await l.failover("connection failed"); // the count restarted at the connect: b → c at once
    assert.equal(l.registryUrl, "http://c");
    assert.equal(lines.at(-1), "connection failed; trying http://c next (instead of http://b)");
  });

  it("with one registry URL every failure backs off; without any, registryUrl throws", async () => {
    const { l, lines } = loop(1, ["http://only"]);
    await l.failover("down");
    assert.equal(l.registryUrl, "http://only");
    assert.deepEqual(lines, ["down; retrying in 0.0 s"]);
    assert.throws(() => loop().l.registryUrl, /no registry base URL/);
  });

  it("serves a socket until it drops: counts it, reports connected, detaches, resolves with the reason", async () => {
    const { l, lines, states } = loop();
    const events: string[] = [];
    const served = l.serve(fakeSocket(events), fakeMux(events));
    assert.equal(l.connections, 1);
    assert.equal(l.state, "connected");
    l.dropConnection();
    assert.equal(await served, "dropped by executor");
    assert.deepEqual(events, ["attach", "socket close dropped by executor", "detach"]);
    assert.deepEqual(states, ["connected"]);
    assert.deepEqual(lines, ["connected to rendezvous (3 streams resumed)"]);
  });

  it("backs off with its verb, and stop cuts the pause short after closing streams and then the socket", async () => {
    const { l, lines, states } = loop(60_000);
    const events: string[] = [];
    const served = l.serve(fakeSocket(events), fakeMux(events));
    const paused = l.pause("registration failed");
    assert.equal(l.state, "backing-off");
    assert.equal(lines.at(-1), "registration failed; retrying in 60.0 s");
    l.stop(() => events.push("close streams"));
    await paused;
    await served;
    assert.equal(l.stopped, true);
    assert.deepEqual(events, ["attach", "close streams", "socket close dropped by executor", "detach"]);
    assert.deepEqual(states, ["connected", "backing-off"]);
  });

  it("does not pause once stopped", async () => {
    const { l, states } = loop(60_000);
    l.stop(() => {});
    await l.pause("anything");
    assert.deepEqual(states, []);
  });

  it("resets the backoff on every connect", async () => {
    const backoff = new Backoff({ initialMs: 10, maxMs: 1000, jitter: 0 });
    const l = new ExecutorLoop({ backoff, log: () => {}, retryVerb: "reconnecting" });
    backoff.next();
    backoff.next();
    const events: string[] = [];
    const served = l.serve(fakeSocket(events), fakeMux(events));
    assert.equal(backoff.next(), 10);
    l.dropConnection();
    await served;
  });
});
