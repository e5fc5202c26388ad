import assert from "node:assert/strict";
import { describe, it } from "node:test";
import { methodDescriptors } from "../../generated/openrpc/methods.js";
import type { MethodDescriptor } from "../../src/rpc/method-descriptor.js";
import { PathCodec } from "../../src/rpc/path-codec.js";
import { RpcError } from "../../src/rpc/rpc-error.js";

const describeMethod = (name: string): MethodDescriptor => {
  const found = methodDescriptors.find((d) => d.name === name);
  assert.ok(found, name);
  return found;
};

/** A hand-made descriptor exercising arrays, records, nesting and a foreign-error override. */
const TOY: MethodDescriptor = {
  name: "toy/run",
  direction: "request",
  family: "toy",
  params: ["cwd", "roots", "byName", "nested"],
  paramsRequired: false,
  paramsClosed: true,
  summary: "",
  since: "seed",
  paths: {
    params: [
      { at: ["cwd"], foreignError: { code: -32602, message: "cwd URI `{uri}` is not valid on this exec-server host: {reason}" } },
      { at: ["roots", "[]"] },
      { at: ["byName", "{}"] },
      { at: ["nested", "inner", "path"] },
    ],
    result: [{ at: ["found", "[]", "path"] }, { at: ["home"] }],
  },
};

const codec = new PathCodec({ os: "linux" });

function rpcError(fn: () => unknown): { code: number; message: string } {
  try {
    fn();
  } catch (error) {
    assert.ok(error instanceof RpcError, String(error));
    return { code: error.code, message: error.message };
  }
  assert.fail("expected an RpcError");
}

describe("PathCodec.decodeParams", () => {
  it("decodes every path member (arrays, records, nesting) and leaves everything else alone", () => {
    const params = {
      cwd: "file:///srv/sp%20ace",
      roots: ["file:///a", "/b", "file://localhost/c/"],
      byName: { x: "file:///x/%C3%BC", y: "/y" },
      nested: { inner: { path: "FILE:///n/./m/..", other: "file:///untouched" } },
      unrelated: "file:///untouched",
    };
    const before = structuredClone(params);
    const decoded = codec.decodeParams(TOY, params);
    assert.deepEqual(decoded.params, {
      cwd: "/srv/sp ace",
      roots: ["/a", "/b", "/c"],
      byName: { x: "/x/ü", y: "/y" },
      nested: { inner: { path: "/n", other: "file:///untouched" } },
      unrelated: "file:///untouched",
    });
    assert.deepEqual(params, before, "the caller's params are not mutated");
  });

  it("keeps plain absolute paths byte for byte (seed dialect: no normalisation)", () => {
    const params = { cwd: "/srv//a/./b/", roots: ["/x/../y"] };
    const decoded = codec.decodeParams(TOY, params);
    assert.equal(decoded.params, params, "nothing to change: the same object");
    assert.equal(decoded.dialect, "plain");
  });

  it("skips absent, null and non-string members", () => {
    assert.deepEqual(codec.decodeParams(TOY, { cwd: null, roots: null, nested: { inner: null } }).params, { cwd: null, roots: null, nested: { inner: null } });
    assert.deepEqual(codec.decodeParams(TOY, {}).params, {});
  });

  it("answers the dialect: plain only when every path member was plain", () => {
    assert.equal(codec.decodeParams(TOY, { cwd: "/a", roots: ["/b"] }).dialect, "plain");
    assert.equal(codec.decodeParams(TOY, { cwd: "/a", roots: ["file:///b"] }).dialect, "uri");
    assert.equal(codec.decodeParams(TOY, { cwd: "file:///a" }).dialect, "uri");
    assert.equal(codec.decodeParams(TOY, {}).dialect, "uri", "no path members: URIs (environment info, initialize)");
  });

  it("reports a bad URI with upstream's code and message", () => {
    assert.deepEqual(rpcError(() => codec.decodeParams(TOY, { roots: ["file:///x?y"] })), { code: -32602, message: "query parameters are not allowed in path URIs" });
    assert.deepEqual(rpcError(() => codec.decodeParams(TOY, { roots: ["http://h/x"] })), { code: -32602, message: "unsupported path URI scheme `http`" });
    assert.deepEqual(rpcError(() => codec.decodeParams(TOY, { roots: ["file://server/x"] })), { code: -32600, message: "'file://server/x' is invalid on 'linux'" });
  });

  it("uses the member's x-path-foreign-error for a URI naming no path on this host", () => {
    assert.deepEqual(rpcError(() => codec.decodeParams(TOY, { cwd: "file:///c:/x" })), {
      code: -32602,
      message: "cwd URI `file:///C:/x` is not valid on this exec-server host: 'file:///C:/x' is invalid on 'linux'",
    });
    // Other errors of that member keep their own code and message.
    assert.deepEqual(rpcError(() => codec.decodeParams(TOY, { cwd: "file:///x#y" })), { code: -32602, message: "fragments are not allowed in path URIs" });
  });

  it("process/start's cwd carries upstream's foreign-cwd error (from the document)", () => {
    const start = describeMethod("process/start");
    assert.deepEqual(rpcError(() => codec.decodeParams(start, { cwd: "file://host/x" })), {
      code: -32602,
      message: "cwd URI `file://host/x` is not valid on this exec-server host: 'file://host/x' is invalid on 'linux'",
    });
  });

  it("leaves pass-through params (a remote environment's call) completely alone", () => {
    const routed = new PathCodec({ os: "linux", passThrough: (p) => (p as { environmentId?: string }).environmentId === "gpu" });
    const params = { cwd: "file://server/x", environmentId: "gpu" };
    const decoded = routed.decodeParams(TOY, params);
    assert.equal(decoded.params, params);
    const result = { home: "/root" };
    assert.equal(decoded.encodeResult(result), result);
  });
});

describe("PathCodec result and notification encoding", () => {
  const result = { found: [{ path: "/a b", size: 1 }, { path: "file:///already" }], home: "/root", other: "/not/a/path/member" };

  it("answers URIs to a URI request", () => {
    const encoded = codec.decodeParams(TOY, { cwd: "file:///x" }).encodeResult(result);
    assert.deepEqual(encoded, { found: [{ path: "file:///a%20b", size: 1 }, { path: "file:///already" }], home: "file:///root", other: "/not/a/path/member" });
    assert.equal(result.home, "/root", "the handler's result is not mutated");
  });

  it("answers plain paths to a plain request", () => {
    assert.deepEqual(codec.decodeParams(TOY, { cwd: "/x" }).encodeResult(result), result);
  });

  it("answers URIs for methods of the 0.169 dialect whatever the request used", () => {
    const canonicalize = describeMethod("fs/canonicalize");
    assert.equal(canonicalize.since, "codex-0.169");
    assert.deepEqual(codec.decodeParams(canonicalize, { path: "/tmp/x" }).encodeResult({ path: "/tmp/ü" }), { path: "file:///tmp/%C3%BC" });
  });

  it("answers URIs in initialize's environmentInfo (no path params)", () => {
    const initialize = describeMethod("initialize");
    const encoded = codec.decodeParams(initialize, { clientName: "c" }).encodeResult({
      sessionId: "s",
      environmentInfo: { cwd: "/w d", userHomeDir: "/root", temporaryDirectories: ["/t"], tempDir: "/tmp", prependPathDirs: [], shell: { name: "bash", path: "/bin/bash" } },
    }) as { environmentInfo: Record<string, unknown> };
    assert.deepEqual(encoded.environmentInfo, {
      cwd: "file:///w%20d",
      userHomeDir: "file:///root",
      temporaryDirectories: ["file:///t"],
      tempDir: "file:///tmp",
      prependPathDirs: [],
      shell: { name: "bash", path: "/bin/bash" },
    });
  });

  it("encodes the path members of a notification as URIs and passes others through untouched", () => {
    const notification: MethodDescriptor = { ...TOY, name: "toy/changed", direction: "server-notification", paths: { params: [{ at: ["path"] }], result: [] } };
    assert.deepEqual(codec.encodeNotification(notification, { path: "/x y" }), { path: "file:///x%20y" });
    const output = { processId: "p", seq: 1, stream: "stdout", chunk: "aGk=" };
    assert.equal(codec.encodeNotification(describeMethod("process/output"), output), output);
    assert.equal(codec.encodeNotification(undefined, output), output);
  });
});
