import assert from "node:assert/strict";
import { mkdtemp, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { existsSync } from "node:fs";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { isRpcError } from "../../src/rpc/rpc-error.js";
import { resolveRealPath } from "../../src/server/fs/resolve-real-path.js";
import { assertFsAccess, decide, ExecSandbox, type SandboxPolicy } from "../../src/sandbox/index.js";
import { bubblewrapSkip } from "../helpers/bubblewrap.js";
import { makeProfileTree, profileArbitrary, profileWireContext } from "../helpers/random-sandbox-profile.js";
import { runScript } from "./run-sandboxed.js";

const skip = await bubblewrapSkip();
const sandbox = new ExecSandbox();
let root: string;

before(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), "exec-server-model-")));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
  await sandbox.dispose();
});

/** The fixture every run starts from (relative to its own base directory). */
const FILES: Record<string, string> = {
  "ws/a.txt": "a",
  "ws/k.pem": "k",
  "ws/.git/config": "g",
  "ws/sub/b.txt": "b",
  "ws/sub/k.pem": "k",
  "ws/sub/deep/c.txt": "c",
  "other/o.txt": "o",
  "other/inner/i.txt": "i",
};
/** Rule targets a random profile picks from. */
const RULE_TARGETS = ["", "ws", "ws/sub", "ws/sub/deep", "ws/k.pem", "other", "other/inner", "ws/missing"];
/** Paths the child reads and appends to: plain, through a directory link, through a file link, with `..`. */
const EXISTING = [
  "ws/a.txt", "ws/k.pem", "ws/.git/config", "ws/sub/b.txt", "ws/sub/k.pem", "ws/sub/deep/c.txt", "other/o.txt",
  "other/inner/i.txt", "ws/out/o.txt", "ws/out/inner/i.txt", "ws/sub/up", "ws/sub/../a.txt", "ws/sub/deep/../../k.pem",
  "ws/out/../other/o.txt",
];
/** Paths the child creates. */
const NEW = ["ws/n", "ws/sub/n", "ws/sub/deep/n", "other/n", "ws/out/n2", "ws/.git/n", "ws/n.pem", "ws/missing/n"];

/** Real directories the kernel walks through to reach `path` (every prefix resolved, with their ancestors). */
async function traversed(path: string): Promise<Set<string>> {
  const dirs = new Set<string>(["/"]);
  const parts = path.split("/").filter((part) => part !== "");
  for (let i = 1; i < parts.length; i += 1) {
    const prefix = `/${parts.slice(0, i).join("/")}`;
    let real: string;
    try {
      real = await resolveRealPath(prefix, { followFinal: true });
    } catch {
      continue;
    }
    for (let at = real; at !== "/"; at = at.slice(0, at.lastIndexOf("/")) || "/") dirs.add(at);
  }
  return dirs;
}

function withoutGlobs(policy: SandboxPolicy): SandboxPolicy {
  if (!policy.enforced || policy.fileSystem.kind !== "restricted") return policy;
  return { ...policy, fileSystem: { ...policy.fileSystem, denyGlobs: [] } };
}

describe("sandbox model (real bubblewrap, random profiles × paths)", { skip }, () => {
  it("never lets a child exceed the decision, matches it where the path's directories are visible, and the fs check equals it", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(profileArbitrary(RULE_TARGETS), async (profile) => {
        const base = join(root, `run-${(run += 1)}`);
        await makeProfileTree(base, FILES);
        const prepared = await sandbox.prepareProcess(profileWireContext(base, profile, { shell: true }), { cwd: "/usr", env: {} });
        const policy = prepared.policy;
        const ops: { op: "read" | "write"; lexical: string; isNew: boolean }[] = [
          ...EXISTING.map((path) => ({ op: "read" as const, lexical: join(base, path).replace(/\/$/, ""), isNew: false })),
          ...EXISTING.map((path) => ({ op: "write" as const, lexical: join(base, path), isNew: false })),
          ...NEW.map((path) => ({ op: "write" as const, lexical: join(base, path), isNew: true })),
        ];
        // join() normalises `..` lexically; the child must see the path as written.
        const spelled = (index: number): string => {
          const op = ops[index]!;
          const source = [...EXISTING, ...EXISTING, ...NEW][index]!;
          return op.lexical === join(base, source) ? `${base}/${source}` : op.lexical;
        };
        const script = ops
          .map((op, index) =>
            op.op === "read"
              ? `if cat '${spelled(index)}' >/dev/null 2>&1; then echo "${index}=1"; else echo "${index}=0"; fi`
              : `if ( : >> '${spelled(index)}' ) 2>/dev/null; then echo "${index}=1"; else echo "${index}=0"; fi`,
          )
          .join("\n");
        const result = await runScript(prepared, script, { cwd: "/usr" });
        const actual = new Map<number, boolean>();
        for (const match of result.output.matchAll(/^(\d+)=([01])$/gm)) actual.set(Number(match[1]), match[2] === "1");
        assert.equal(actual.size, ops.length, `child output: ${result.output}`);

        for (const [index, op] of ops.entries()) {
          const path = spelled(index);
          const real = await resolveRealPath(path, { followFinal: true });
          // A file created after launch is not masked by a deny glob (globs are expanded at launch).
          const decision = decide(op.isNew ? withoutGlobs(policy) : policy, real, op.op);
          const child = actual.get(index)!;
          const context = JSON.stringify({ profile, path, real, op: op.op, decision, child });
          if (op.isNew && !existsSync(dirname(real))) {
            // Creating a file in a missing directory fails sandbox or not.
            assert.equal(child, false, context);
            continue;
          }
          assert.ok(!child || decision.allowed, `child exceeded the decision: ${context}`);
          const visible = [...(await traversed(path))].every((dir) => decide(policy, dir, "read").allowed);
          if (visible) assert.equal(child, decision.allowed, `child differs from the decision: ${context}`);

          let fsAllowed = true;
          try {
            await assertFsAccess(policy, "test/op", path, op.op);
          } catch (error) {
            if (!isRpcError(error)) throw error;
            fsAllowed = false;
          }
          const fullDecision = decide(policy, real, op.op);
          assert.ok(fsAllowed ? fullDecision.allowed : true, `fs check allowed what decide denies: ${context}`);
          if (fullDecision.allowed && fsAllowed === false) {
            // Only a deny glob matching the path as written (not its real path) may refuse more.
            assert.ok(profile.pemGlob && path.endsWith(".pem"), `fs check refused an allowed path: ${context}`);
          }
        }
        await rm(base, { recursive: true, force: true });
      }),
      { numRuns: 20 },
    );
  });
});
