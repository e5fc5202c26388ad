import { after, before, describe, test } from "node:test";
import assert from "node:assert/strict";
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { encodePathUri } from "../../src/rpc/path-uri.js";
import { startExecServer, type RunningExecServer } from "../../src/server/start-exec-server.js";
import { bubblewrapSkip } from "../helpers/bubblewrap.js";
import { JsonWsClient, type Message } from "../helpers/json-ws-client.js";
import { waitUntil } from "../helpers/wait.js";
import { makeSandboxTree, type SandboxTree } from "../interop/codex-client/sandbox-tree.js";
import { workspaceWriteProcessSandbox } from "../interop/codex-client/workspace-write-profile.js";

/**
 * `process/start.sandbox` through a real websocket: the server's one ExecSandbox runs the child
 * under real bubblewrap (skipped locally, failing under CI=true, when bubblewrap cannot sandbox
 * here). The tree lives outside /tmp and $TMPDIR, which codex's workspace-write profile makes writable.
 */

const skip = await bubblewrapSkip();
const PATH = "/usr/local/bin:/usr/bin:/bin";

let server: RunningExecServer;
let tree: SandboxTree;
const clients: JsonWsClient[] = [];

before(async () => {
  tree = makeSandboxTree();
  server = await startExecServer({ processes: { terminateGraceMs: 300 } });
});
after(async () => {
  await Promise.all(clients.map((client) => client.close()));
  await server.close();
  tree.dispose();
});

async function ready(url = server.url): Promise<JsonWsClient> {
  const client = await JsonWsClient.connect(url);
  clients.push(client);
  await client.handshake({ clientName: "codex-environment", resumeSessionId: null });
  return client;
}

function startParams(processId: string, script: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { processId, argv: ["/bin/bash", "-c", script], cwd: encodePathUri(tree.workspace), env: { PATH }, tty: false, sandbox: workspaceWriteProcessSandbox(tree.workspace), ...extra };
}

async function closed(client: JsonWsClient, processId: string): Promise<Message[]> {
  const events = () => client.notifications.filter((n) => n.method?.startsWith("process/") && n.params?.["processId"] === processId);
  await client.waitFor(() => events().some((n) => n.method === "process/closed"), 10_000, `${processId} closed`);
  return events();
}

function exited(events: Message[]): Record<string, unknown> {
  const found = events.find((n) => n.method === "process/exited")?.params;
  assert.ok(found !== undefined, "process/exited arrived");
  return found;
}

/** Host processes whose command line contains `marker` (the sandbox's pid namespace hides nothing from the host). */
function hostProcessesWith(marker: string): number[] {
  const found: number[] = [];
  for (const entry of readdirSync("/proc")) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      if (readFileSync(`/proc/${entry}/cmdline`, "latin1").includes(marker)) found.push(Number(entry));
    } catch {
      // Exited meanwhile.
    }
  }
  return found;
}

/** Host processes that are `sleep <duration>` itself (exec'd), not a shell whose script mentions it. */
function hostSleeps(duration: string): number[] {
  return hostProcessesWith(duration).filter((pid) => {
    try {
      return readFileSync(`/proc/${pid}/cmdline`, "latin1") === `sleep\0${duration}\0`;
    } catch {
      return false;
    }
  });
}

describe("sandboxed processes over the websocket (real bubblewrap)", { skip }, () => {
  test("codex's workspace-write profile: linuxSeccomp, writes inside only, sandboxDenied on exit and read", async () => {
    const client = await ready();
    const inside = await client.call("process/start", startParams("inside", "printf inside > inside.txt; cat inside.txt"));
    assert.deepEqual(inside, { processId: "inside", sandboxType: "linuxSeccomp" });
    const insideEvents = await closed(client, "inside");
    assert.deepEqual([exited(insideEvents)["exitCode"], exited(insideEvents)["sandboxDenied"]], [0, false], client.outputOf("inside"));
    assert.equal(readFileSync(`${tree.workspace}/inside.txt`, "utf8"), "inside");

    for (const [id, target] of [
      ["sibling", `${tree.sibling}/outside.txt`],
      ["home", `${tree.home}/home.txt`],
      ["escape", `${tree.workspace}/escape/via-link.txt`],
    ] as const) {
      await client.call("process/start", startParams(id, `printf x > ${target}`));
      const events = await closed(client, id);
      assert.equal(exited(events)["exitCode"], 1, id);
      assert.equal(exited(events)["sandboxDenied"], true, `${id}: ${client.outputOf(id)}`);
      assert.match(client.outputOf(id), /Read-only file system/);
      const read = await client.call("process/read", { processId: id });
      assert.equal(read["sandboxDenied"], true, "process/read carries sandboxDenied too");
    }
    assert.equal(existsSync(`${tree.sibling}/outside.txt`), false);
    assert.equal(existsSync(`${tree.home}/home.txt`), false);
    assert.equal(existsSync(`${tree.sibling}/via-link.txt`), false);
    assert.equal(readFileSync(tree.etcHosts, "utf8"), tree.etcHostsBefore);
  });

  test("a sandboxed command that succeeds after a denial is not reported denied; an unsandboxed failure never is", async () => {
    const client = await ready();
    await client.call("process/start", startParams("recovered", `printf x > ${tree.sibling}/no.txt; exit 0`));
    assert.deepEqual([exited(await closed(client, "recovered"))["exitCode"], exited(await closed(client, "recovered"))["sandboxDenied"]], [0, false]);
    await client.call("process/start", startParams("plain", "echo 'Permission denied' >&2; exit 1", { sandbox: null }));
    const plain = exited(await closed(client, "plain"));
    assert.deepEqual([plain["exitCode"], plain["sandboxDenied"]], [1, false]);
  });

  test("accepts the sandbox's paths in the seed spelling (plain absolute paths)", async () => {
    const client = await ready();
    const sandbox = { ...workspaceWriteProcessSandbox(tree.workspace), cwd: tree.workspace, workspaceRoots: [tree.workspace] };
    const result = await client.call("process/start", startParams("plain-paths", `printf ok > plain.txt; printf x > ${tree.sibling}/plain.txt`, { cwd: tree.workspace, sandbox }));
    assert.equal(result["sandboxType"], "linuxSeccomp");
    assert.equal(exited(await closed(client, "plain-paths"))["exitCode"], 1);
    assert.equal(readFileSync(`${tree.workspace}/plain.txt`, "utf8"), "ok");
    assert.equal(existsSync(`${tree.sibling}/plain.txt`), false);
  });

  test("runs under a PTY inside the sandbox", async () => {
    const client = await ready();
    await client.call("process/start", startParams("tty", "printf tty-ok; test -t 1 && printf ' is-a-tty'", { tty: true }));
    const events = await closed(client, "tty");
    assert.equal(exited(events)["exitCode"], 0);
    assert.ok(events.filter((n) => n.method === "process/output").every((n) => n.params?.["stream"] === "pty"));
    assert.match(client.outputOf("tty"), /tty-ok is-a-tty/);
  });

  test("interrupt and terminate reach the sandboxed command, and nothing of the sandbox survives", async () => {
    const client = await ready();
    // The signal must find the foreground sleep running: bash only runs a trap once its foreground
    // child ends, so a SIGINT that reached bash before the sleep was exec'd would wait out the sleep.
    const intMarker = "1234.4321";
    await client.call("process/start", startParams("int", `trap 'echo caught; exit 9' INT; echo ready; sleep ${intMarker}; echo unreachable`));
    await client.waitFor(() => client.outputOf("int").includes("ready"), 10_000, "int ready");
    await waitUntil(() => hostSleeps(intMarker).length === 1, 10_000, "the sandboxed sleep runs");
    assert.deepEqual(await client.call("process/signal", { processId: "int", signal: "interrupt" }), {});
    assert.equal(exited(await closed(client, "int"))["exitCode"], 9, "the trap ran inside the sandbox and its status came out");
    assert.doesNotMatch(client.outputOf("int"), /unreachable/);

    const marker = "1234.5678";
    await client.call("process/start", startParams("term", `sleep ${marker} & echo ready; sleep ${marker}`));
    await client.waitFor(() => client.outputOf("term").includes("ready"), 10_000, "term ready");
    await waitUntil(() => hostSleeps(marker).length === 2, 10_000, "both sleeps run");
    assert.deepEqual(await client.call("process/terminate", { processId: "term" }), { running: true });
    assert.equal(exited(await closed(client, "term"))["exitCode"], 143, "SIGTERM reached the command, not bubblewrap");
    await waitUntil(() => hostProcessesWith(marker).length === 0, 5000, "no sleep of the sandbox left");
  });

  test("an interrupt sent right after process/start reaches the command once bubblewrap started it", async () => {
    const client = await ready();
    // No await between the two requests: the signal arrives while bubblewrap is still setting up.
    const [started, signalled] = await Promise.all([
      client.call("process/start", startParams("early", "exec sleep 30")),
      client.call("process/signal", { processId: "early", signal: "interrupt" }),
    ]);
    assert.deepEqual([started["sandboxType"], signalled], ["linuxSeccomp", {}]);
    assert.equal(exited(await closed(client, "early"))["exitCode"], 130, "SIGINT killed the sleep");
  });
});

describe("sandboxed processes when bubblewrap is unusable", () => {
  test("refuses them (-32600 naming the cause), never running them unsandboxed; unsandboxed starts still work", async () => {
    const broken = await startExecServer({ sandbox: { bwrapPath: "/nonexistent/bwrap" } });
    try {
      assert.match(await broken.server.describeSandbox(), /^sandbox: unavailable \(bubblewrap is not installed at \/nonexistent\/bwrap.*sandboxed requests are refused$/);
      const client = await ready(broken.url);
      const refused = await client.request("process/start", startParams("refused", `printf x > ${tree.sibling}/refused.txt`));
      assert.equal(refused.error?.code, -32600);
      assert.match(refused.error?.message ?? "", /^sandbox refused: bubblewrap is not installed at \/nonexistent\/bwrap/);
      assert.equal(existsSync(`${tree.sibling}/refused.txt`), false);
      const read = await client.request("process/read", { processId: "refused" });
      assert.equal(read.error?.message, "unknown process id refused", "the id was released");
      const plain = await client.call("process/start", startParams("refused", "true", { sandbox: null }));
      assert.equal(plain["sandboxType"], "none");
      // A profile restricting nothing needs no bubblewrap.
      const disabled = await client.call("process/start", startParams("disabled", "true", { sandbox: { permissions: { type: "disabled" }, windowsSandboxLevel: "disabled" } }));
      assert.equal(disabled["sandboxType"], "none");
    } finally {
      await broken.close();
    }
  });

  test("runs them unsandboxed (sandboxType none) only when the operator allows it", async () => {
    const lenient = await startExecServer({ sandbox: { bwrapPath: "/nonexistent/bwrap", allowUnsandboxed: true } });
    try {
      assert.match(await lenient.server.describeSandbox(), /sandboxed requests run WITHOUT a sandbox \(--allow-unsandboxed\)$/);
      const client = await ready(lenient.url);
      const result = await client.call("process/start", startParams("lenient", "printf x > allowed.txt; exit 3"));
      assert.equal(result["sandboxType"], "none");
      const exit = exited(await closed(client, "lenient"));
      assert.deepEqual([exit["exitCode"], exit["sandboxDenied"]], [3, false]);
      assert.equal(readFileSync(`${tree.workspace}/allowed.txt`, "utf8"), "x");
    } finally {
      await lenient.close();
    }
  });
});
