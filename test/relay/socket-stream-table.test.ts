import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { decodeFrame, encodeFrame, type RelayMessageFrame, resetFrame, resumeFrame } from "../../src/relay/frame-codec.js";
import type { FrameSocket } from "../../src/relay/frame-socket.js";
import { SocketStreamTable, type TableStream } from "../../src/relay/socket-stream-table.js";

/** A socket whose inbound frames the test pushes and whose outbound frames it reads. */
function fakeSocket(openRttMs?: number) {
  const sent: RelayMessageFrame[] = [];
  let frameListener: ((bytes: Uint8Array) => void) | undefined;
  let closeListener: ((reason: string) => void) | undefined;
  const socket: FrameSocket = {
    send: (bytes) => sent.push(decodeFrame(bytes)),
    onFrame: (l) => ((frameListener = l), () => (frameListener = undefined)),
    onClose: (l) => ((closeListener = l), () => (closeListener = undefined)),
    ...(openRttMs === undefined ? {} : { openRttMs }),
  };
  return { socket, sent, push: (bytes: Uint8Array) => frameListener?.(bytes), drop: (reason: string) => closeListener?.(reason) };
}

/** A stream that records what the table did to it. */
function fakeStream(streamId: string) {
  const events: string[] = [];
  const closeListeners: ((reason: string) => void)[] = [];
  const stream: TableStream = {
    streamId,
    attach: () => events.push("attach"),
    detach: () => events.push("detach"),
    close: (reason) => {
      events.push(`close ${reason}`);
      for (const l of closeListeners) l(reason ?? "");
    },
    onClose: (l) => (closeListeners.push(l), () => {}),
  };
  return { stream, events };
}

function table(maxStreams = 2) {
  const routed: { frame: RelayMessageFrame; stream: TableStream | undefined }[] = [];
  const logged: string[] = [];
  const t = new SocketStreamTable<TableStream>({ maxStreams, log: (m) => logged.push(m), logPrefix: "relay", route: (_s, frame, stream) => routed.push({ frame, stream }) });
  return { t, routed, logged };
}

describe("SocketStreamTable", () => {
  it("routes each valid frame of the current socket with its stream, or none for an unknown id", () => {
    const { t, routed } = table();
    const a = fakeStream("a");
    t.add(a.stream);
    const s = fakeSocket();
    t.attachSocket(s.socket);
    s.push(encodeFrame(resumeFrame("a", 0)));
    s.push(encodeFrame(resumeFrame("b", 0)));
    assert.deepEqual(
      routed.map((r) => [r.frame.streamId, r.stream?.streamId]),
      [
        ["a", "a"],
        ["b", undefined],
      ],
    );
  });

  it("drops an undecodable frame with a note under its prefix", () => {
    const { t, routed, logged } = table();
    const s = fakeSocket();
    t.attachSocket(s.socket);
    s.push(new Uint8Array([0xff, 0xff, 0xff]));
    assert.equal(routed.length, 0);
    assert.equal(logged.length, 1);
    assert.match(logged[0]!, /^relay: dropped frame: /);
  });

  it("attaches streams to a new socket, detaches them when it closes, and ignores the replaced socket", () => {
    const { t, routed } = table();
    const a = fakeStream("a");
    t.add(a.stream);
    const first = fakeSocket();
    t.attachSocket(first.socket);
    const second = fakeSocket();
    t.attachSocket(second.socket);
    first.push(encodeFrame(resumeFrame("a", 0)));
    assert.equal(routed.length, 0, "the replaced socket is not listened to any more");
    second.drop("gone");
    assert.equal(t.socket, undefined);
    assert.deepEqual(a.events, ["attach", "attach", "detach"]);
  });

  it("sends on the current socket and drops frames while there is none", () => {
    const { t } = table();
    t.sendFrame(resetFrame("a", "x"));
    const s = fakeSocket();
    t.attachSocket(s.socket);
    t.sendFrame(resetFrame("a", "y"));
    assert.deepEqual(
      s.sent.map((f) => (f.body.case === "reset" ? f.body.value.reason : f.body.case)),
      ["y"],
    );
  });

  it("seeds the shared RTT from the socket's opening round trip", () => {
    const { t } = table();
    t.attachSocket(fakeSocket(40).socket);
    assert.equal(t.rtt.estimate.srtt, 40);
  });

  it("forgets a stream when it closes and refuses duplicate ids and streams beyond the limit", () => {
    const { t } = table(2);
    const a = fakeStream("a");
    t.add(a.stream);
    assert.throws(() => t.assertCanOpen("a"), /relay stream a is already open/);
    t.add(fakeStream("b").stream);
    assert.equal(t.full, true);
    assert.throws(() => t.assertCanOpen("c"), /relay_stream_limit: at most 2 streams per socket/);
    a.stream.close("done");
    assert.equal(t.get("a"), undefined);
    assert.equal(t.size, 1);
    t.assertCanOpen("c");
  });

  it("closes every stream and detaches the socket", () => {
    const { t } = table();
    const a = fakeStream("a");
    t.add(a.stream);
    t.attachSocket(fakeSocket().socket);
    t.close("bye");
    assert.deepEqual(a.events, ["attach", "close bye"]);
    assert.equal(t.socket, undefined);
  });
});
