import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { methodDescriptors, openrpcDocument, validateNotification, validateParams, validateResult } from "../../generated/openrpc/index.js";
import { ErrorCode } from "../../src/rpc/rpc-error.js";

interface Pairing {
  name: string;
  params: Array<{ name: string; value: unknown }>;
  result?: { name: string; value: unknown };
}
interface Method {
  name: string;
  "x-direction": string;
  "x-since"?: string;
  examples?: Pairing[];
}

const document = JSON.parse(readFileSync(new URL("../../openrpc/exec-server.openrpc.json", import.meta.url), "utf8")) as {
  methods: Method[];
  components: { errors: Record<string, { code: number }> };
};

const validStart = { processId: "p1", argv: ["bash", "-lc", "true"], cwd: "/tmp", env: {}, tty: false };

describe("the OpenRPC document", () => {
  it("declares every method and notification of the contract", () => {
    assert.deepEqual(
      document.methods.filter((m) => m["x-since"] === undefined).map((m) => m.name).sort(),
      [
        "environment/add", "environment/list", "environment/remove",
        "fs/copy", "fs/createDirectory", "fs/getMetadata", "fs/readDirectory", "fs/readFile", "fs/remove", "fs/writeFile",
        "initialize", "initialized",
        "process/closed", "process/exited", "process/output", "process/read", "process/start", "process/terminate", "process/write",
        "rpc.discover",
      ],
    );
  });

  it("declares the codex 0.169 inventory (UPSTREAM-0.169.md §1) as x-since codex-0.169, except the network proxy callbacks", () => {
    assert.deepEqual(
      document.methods.filter((m) => m["x-since"] === "codex-0.169").map((m) => m.name).sort(),
      [
        "capabilities/discoverV2", "capabilityRoots/discoverV1",
        "environment/info", "environment/status", "environmentConfig/read",
        "fs/canonicalize", "fs/close", "fs/missingChanged", "fs/open", "fs/readBlock", "fs/walk", "fs/watchMissing", "fs/writeBlock",
        "http/request", "http/request/bodyDelta",
        "process/signal",
      ],
    );
  });

  it("gives every method a direction and at least one example", () => {
    for (const m of document.methods) {
      assert.ok(["request", "client-notification", "server-notification"].includes(m["x-direction"]), m.name);
      assert.ok((m.examples?.length ?? 0) > 0, `${m.name} has no example`);
    }
  });

  it("mirrors the ErrorCode table in components.errors", () => {
    const fromDoc = Object.fromEntries(Object.entries(document.components.errors).map(([k, v]) => [k, v.code]));
    assert.deepEqual(fromDoc, { ...ErrorCode });
  });

  it("is served unchanged by the generated document constant", () => {
    assert.deepEqual(openrpcDocument, document);
  });

  it("has a descriptor for every method with the family used in ordering errors", () => {
    assert.deepEqual(
      Object.fromEntries(methodDescriptors.map((d) => [d.name, d.family])),
      Object.fromEntries(document.methods.map((m) => [m.name, m.name.includes("/") ? m.name.split("/")[0] : m.name === "rpc.discover" ? "rpc" : "lifecycle"])),
    );
  });
});

describe("the generated validators", () => {
  for (const method of document.methods) {
    for (const example of method.examples ?? []) {
      it(`accept the "${example.name}" example of ${method.name}`, () => {
        const params = Object.fromEntries(example.params.map((p) => [p.name, p.value]));
        assert.deepEqual(validateParams(method.name, params), { ok: true });
        if (method["x-direction"] !== "request") assert.deepEqual(validateNotification(method.name, params), { ok: true });
        if (example.result !== undefined) assert.deepEqual(validateResult(method.name, example.result.value), { ok: true });
      });
    }
  }

  it("refuse an empty argv naming the field", () => {
    assert.deepEqual(validateParams("process/start", { ...validStart, argv: [] }), {
      ok: false,
      message: "invalid params for process/start: argv must not be empty",
    });
  });

  it("refuse a missing required field naming it", () => {
    const { cwd: _cwd, ...withoutCwd } = validStart;
    assert.deepEqual(validateParams("process/start", withoutCwd), { ok: false, message: "invalid params for process/start: cwd is required" });
  });

  it("refuse a wrong type naming the field and the value", () => {
    assert.deepEqual(validateParams("process/start", { ...validStart, tty: "yes" }), {
      ok: false,
      message: 'invalid params for process/start: tty must be boolean (got "yes")',
    });
  });

  it("refuse an unknown member of a closed params object", () => {
    assert.deepEqual(validateParams("process/start", { ...validStart, pipe_stdin: true }), {
      ok: false,
      message: "invalid params for process/start: pipe_stdin is not an allowed member",
    });
  });

  it("accept unknown members of initialize, whose params are open", () => {
    assert.deepEqual(validateParams("initialize", { clientName: "h", futureField: 1 }), { ok: true });
  });

  it("refuse relative paths in process and fs params", () => {
    assert.deepEqual(validateParams("process/start", { ...validStart, cwd: "tmp" }), {
      ok: false,
      message: 'invalid params for process/start: cwd must be an absolute path (got "tmp")',
    });
    assert.deepEqual(validateParams("fs/copy", { sourcePath: "/a", destinationPath: "b", recursive: false }), {
      ok: false,
      message: 'invalid params for fs/copy: destinationPath must be an absolute path (got "b")',
    });
  });

  it("name the nested field of a bad envPolicy", () => {
    assert.deepEqual(validateParams("process/start", { ...validStart, envPolicy: { inherit: "some" } }), {
      ok: false,
      message: 'invalid params for process/start: envPolicy.inherit must be one of "all", "core", "none" (got "some")',
    });
    assert.deepEqual(validateParams("process/start", { ...validStart, envPolicy: { exclude: [1] } }), {
      ok: false,
      message: "invalid params for process/start: envPolicy.exclude[0] must be string (got 1)",
    });
  });

  it("accept both sandbox forms with extra members and refuse an unknown sandbox type", () => {
    assert.deepEqual(validateParams("fs/readFile", { path: "/x", sandbox: { sandboxPolicy: { type: "read-only", network_access: false } } }), { ok: true });
    assert.deepEqual(validateParams("fs/readFile", { path: "/x", sandbox: { type: "workspace-write", writable_roots: ["/w"], extra: 1 } }), { ok: true });
    assert.deepEqual(validateParams("fs/readFile", { path: "/x", sandbox: null }), { ok: true });
    assert.deepEqual(validateParams("fs/readFile", { path: "/x", sandbox: { type: "yolo" } }), {
      ok: false,
      message: 'invalid params for fs/readFile: sandbox.type must be one of "danger-full-access", "read-only", "workspace-write" (got "yolo")',
    });
  });

  it("name the missing member or the unknown tag of a codex 0.169 sandbox context", () => {
    const readFile = (sandbox: unknown) => validateParams("fs/readFile", { path: "file:///x", sandbox });
    assert.deepEqual(readFile({ permissions: { type: "disabled" } }), {
      ok: false,
      message: "invalid params for fs/readFile: sandbox.windowsSandboxLevel is required",
    });
    assert.deepEqual(readFile({ permissions: { type: "zzz" }, windowsSandboxLevel: "disabled" }), {
      ok: false,
      message: 'invalid params for fs/readFile: sandbox.permissions.type must be one of "disabled", "external", "managed" (got "zzz")',
    });
    assert.deepEqual(readFile({ permissions: { type: "managed", network: "enabled" }, windowsSandboxLevel: "disabled" }), {
      ok: false,
      message: "invalid params for fs/readFile: sandbox.permissions.file_system is required",
    });
    assert.deepEqual(
      readFile({ permissions: { type: "managed", file_system: { type: "restricted", entries: [{ path: { type: "nope" }, access: "read" }] }, network: "enabled" }, windowsSandboxLevel: "disabled" }),
      { ok: false, message: 'invalid params for fs/readFile: sandbox.permissions.file_system.entries[0].path.type must be one of "path", "glob_pattern", "special" (got "nope")' },
    );
  });

  it("accept null for optional members upstream sends as null", () => {
    assert.deepEqual(validateParams("process/read", { processId: "p", afterSeq: null, maxBytes: null, waitMs: null }), { ok: true });
    assert.deepEqual(validateParams("process/start", { ...validStart, envPolicy: null, arg0: null, environmentId: "gpu" }), { ok: true });
  });

  it("treat omitted params as {} so no-param methods accept null", () => {
    assert.deepEqual(validateParams("environment/list", null), { ok: true });
    assert.deepEqual(validateParams("environment/list", {}), { ok: true });
    assert.deepEqual(validateParams("environment/list", { x: 1 }), { ok: false, message: "invalid params for environment/list: x is not an allowed member" });
  });

  it("refuse a process/read result without the truncation fields", () => {
    const result = { chunks: [], nextSeq: 1, exited: false, exitCode: null, closed: false, failure: null };
    assert.deepEqual(validateResult("process/read", result), { ok: false, message: "invalid result for process/read: truncated is required" });
  });

  it("refuse a notification with a bad stream", () => {
    assert.deepEqual(validateNotification("process/output", { processId: "p", seq: 1, stream: "stdin", chunk: "" }), {
      ok: false,
      message: 'invalid notification process/output: stream must be one of "stdout", "stderr", "pty" (got "stdin")',
    });
    assert.equal(validateNotification("process/start", {}).ok, false);
  });
});
