import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { detectDialect, dialectOf, isNotImplemented, rawCaller, type RawCall } from "../../bench/lib/dialect.js";
import { renderTable, ratioOrUnavailable, unavailableFigure } from "../../bench/lib/report.js";
import { connectExecServer, type ConnectedClient } from "../../src/client/connect.js";
import { startExecServer, type RunningExecServer } from "../../src/server/start-exec-server.js";
import { codexSkip, startCodexExecServer, type RunningCodexExecServer } from "../helpers/codex-binary.js";

let scratch: string;
let file: string;
before(async () => {
  scratch = await mkdtemp(join(tmpdir(), "bench-dialect-"));
  file = join(scratch, "probe.txt");
  await writeFile(file, "hello");
});
after(() => rm(scratch, { recursive: true, force: true }));

async function session(url: string): Promise<{ connected: ConnectedClient; call: RawCall }> {
  const connected = await connectExecServer(url);
  await connected.client.initialize({ clientName: "bench-dialect-test" });
  connected.client.notifyInitialized();
  return { connected, call: rawCaller(connected.client.core) };
}

describe("bench dialect detection", () => {
  let ours: RunningExecServer;
  before(async () => {
    ours = await startExecServer({});
  });
  after(() => ours.close());

  test("detects a dialect our exec-server accepts, for paths and process/write", async () => {
    const { connected, call } = await session(ours.url);
    try {
      const dialect = await detectDialect(call);
      const metadata = (await call("fs/getMetadata", { path: dialect.path(file) })) as { isFile: boolean };
      assert.equal(metadata.isFile, true);
      const written = (await call("process/write", dialect.writeParams("no-such-process", "aGk=", "w1"))) as { status: string };
      assert.equal(written.status, "unknownProcess");
    } finally {
      connected.close();
    }
  });

  test("recognises a missing method by its -32601 answer, and only that", async () => {
    const { connected, call } = await session(ours.url);
    try {
      await assert.rejects(call("bench/noSuchMethod", {}), (error) => isNotImplemented(error));
      await assert.rejects(call("fs/getMetadata", { path: 42 }), (error) => !isNotImplemented(error));
    } finally {
      connected.close();
    }
  });

  test("speaks file: URIs and writeId to the Rust original", { skip: codexSkip() }, async () => {
    let rust: RunningCodexExecServer | undefined;
    try {
      rust = await startCodexExecServer();
      const { connected, call } = await session(rust.url);
      try {
        const dialect = await detectDialect(call);
        assert.equal(dialect.paths, "file-uri");
        assert.equal(dialect.writeId, true);
        const metadata = (await call("fs/getMetadata", { path: dialect.path(file) })) as { isFile: boolean; size: number };
        assert.deepEqual([metadata.isFile, metadata.size], [true, 5]);
      } finally {
        connected.close();
      }
    } finally {
      await rust?.stop();
    }
  });
});

describe("bench report", () => {
  test("phrases paths and writes per dialect", () => {
    assert.equal(dialectOf("file-uri", true).path("/srv/a b#c"), "file:///srv/a%20b%23c");
    assert.equal(dialectOf("plain", false).path("/srv/a b#c"), "/srv/a b#c");
    assert.deepEqual(dialectOf("plain", false).writeParams("p", "aGk=", "w"), { processId: "p", chunk: "aGk=" });
    assert.deepEqual(dialectOf("file-uri", true).writeParams("p", "aGk=", "w"), { processId: "p", chunk: "aGk=", writeId: "w" });
  });

  test("prints n/a with the reason for an unmeasured figure and its ratio, never MET or MISSED", () => {
    const table = renderTable([
      {
        id: "bulk",
        title: "t",
        method: "m",
        figures: [unavailableFigure("block reads direct", "MB/s", "not implemented: fs/open")],
        ratios: [ratioOrUnavailable("block reads direct / Rust", { unavailable: "not implemented: fs/open" }, [100], { op: ">=", value: 1 })],
        checks: [],
        skipped: [],
        notes: [],
        durationMs: 1,
      },
    ]);
    assert.match(table, /\| bulk \| block reads direct \| n\/a \| n\/a \| n\/a \| MB\/s: n\/a \(not implemented: fs\/open\) \|/);
    assert.match(table, /\*\*ratio\*\* block reads direct \/ Rust \| n\/a .*>= 1 → n\/a \(not implemented: fs\/open\)/);
    assert.doesNotMatch(table, /MET|MISSED/);
  });

  test("judges a measured ratio against its target on the median of paired repeats", () => {
    const ratio = ratioOrUnavailable("x / Rust", [1, 2, 3], [2, 2, 2], { op: ">=", value: 1 });
    assert.equal(ratio.summary.median, 1);
    assert.equal(ratio.met, true);
  });
});
