import { test } from "node:test";
import assert from "node:assert/strict";
import { formatListenUrl, isLoopbackAddress, ListenUrlError, parseListenUrl } from "../../src/server/listen-url.js";

test("parses IPv4 and bracketed IPv6 websocket listen URLs", () => {
  assert.deepEqual(parseListenUrl("ws://127.0.0.1:0"), { kind: "ws", host: "127.0.0.1", port: 0 });
  assert.deepEqual(parseListenUrl("ws://[::1]:8765"), { kind: "ws", host: "::1", port: 8765 });
  assert.deepEqual(parseListenUrl("stdio"), { kind: "stdio" });
});

test("rejects hostnames, paths, other schemes and bad ports with the contract's message", () => {
  for (const bad of ["ws://localhost:1", "ws://127.0.0.1:1/path", "http://127.0.0.1:1", "ws://127.0.0.1", "ws://::1:80", "ws://127.0.0.1:70000", "ws://999.0.0.1:1"]) {
    assert.throws(() => parseListenUrl(bad), (error: unknown) => {
      assert.ok(error instanceof ListenUrlError);
      assert.equal(error.message, `invalid websocket --listen URL \`${bad}\`; expected \`ws://IP:PORT\``);
      return true;
    });
  }
});

test("formats bound addresses and recognises loopback", () => {
  assert.equal(formatListenUrl("::1", 5), "ws://[::1]:5");
  assert.equal(formatListenUrl("127.0.0.1", 5), "ws://127.0.0.1:5");
  assert.ok(isLoopbackAddress("127.1.2.3"));
  assert.ok(isLoopbackAddress("::1"));
  assert.ok(!isLoopbackAddress("0.0.0.0"));
  assert.ok(!isLoopbackAddress("10.0.0.1"));
});
