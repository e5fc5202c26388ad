/**
 * Property (issue 12): for random codex 0.169 profiles × paths (plain, through directory and file
 * links, with `..`, new files, missing directories), what the fs methods do under the profile equals
 * an independent model of the policy — allowed exactly when the model grants the access on the real
 * path, and a refusal carries the code of the model's verdict (deny → -32600 EACCES, read-only →
 * -32603 EROFS or -32004 when the parent is missing, uncovered → -32004). Refused writes change
 * nothing on disk. Real files; no bubblewrap needed (fs methods decide in-process). Paths are given
 * native, as the edge codec hands them over (`..` included: the OS, not the string, resolves it).
 */
import assert from "node:assert/strict";
import { existsSync } from "node:fs";
import { mkdtemp, readFile, realpath, rm } from "node:fs/promises";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { after, before, describe, it } from "node:test";
import fc from "fast-check";
import { isRpcError } from "../../../src/rpc/rpc-error.js";
import { FileSystemService } from "../../../src/server/fs/index.js";
import { type Access, makeProfileTree, type Profile, profileArbitrary, profileWireContext } from "../../helpers/random-sandbox-profile.js";

const service = new FileSystemService();
let root: string;

before(async () => {
  root = await realpath(await mkdtemp(join(tmpdir(), "exec-server-fs-model-")));
});
after(async () => {
  await rm(root, { recursive: true, force: true });
});

const FILES: Record<string, string> = {
  "ws/a.txt": "a",
  "ws/k.pem": "k",
  "ws/.git/config": "g",
  "ws/sub/b.txt": "b",
  "ws/sub/deep/c.txt": "c",
  "other/o.txt": "o",
  "other/inner/i.txt": "i",
};
const RULE_TARGETS = ["", "ws", "ws/sub", "ws/sub/deep", "ws/k.pem", "ws/.git", "other", "other/inner", "ws/missing"];
/** Existing files, spelled as the caller would (links: ws/out → ../other, ws/sub/up → ../a.txt). */
const EXISTING = ["ws/a.txt", "ws/k.pem", "ws/.git/config", "ws/sub/b.txt", "ws/sub/deep/c.txt", "other/o.txt", "other/inner/i.txt", "ws/out/o.txt", "ws/out/inner/i.txt", "ws/sub/up", "ws/sub/../a.txt", "ws/out/../other/o.txt"];
const NEW = ["ws/n", "ws/sub/n", "other/n", "ws/out/n2", "ws/.git/n", "ws/n.pem", "ws/missing/n", "other/missing/n"];

/** The independent model: the grant at a real path under `profile` (rules on the fixture's real paths). */
function modelGrant(base: string, profile: Profile, real: string): "read" | "write" | "deny" | "none" {
  if (profile.pemGlob && real.startsWith(`${base}/ws/`) && real.split("/").some((part) => part.endsWith(".pem"))) return "deny";
  const rules: Array<{ path: string; access: Access }> = [];
  if (profile.root !== "none") rules.push({ path: "/", access: profile.root });
  for (const [target, access] of profile.entries) {
    const path = target === "" ? base : join(base, target);
    // A read or write entry on a missing path grants nothing; a deny entry stays.
    if (access !== "deny" && !existsSync(path)) continue;
    rules.push({ path, access });
  }
  // .git directly under a writable directory stays read-only unless an entry names it.
  const named = new Set(profile.entries.map(([target]) => (target === "" ? base : join(base, target))));
  for (const rule of [...rules]) {
    const dotGit = join(rule.path, ".git");
    if (rule.access === "write" && existsSync(dotGit) && !named.has(dotGit)) rules.push({ path: dotGit, access: "read" });
  }
  const rank: Record<Access, number> = { read: 1, write: 2, deny: 3 };
  let best: { path: string; access: Access } | undefined;
  for (const rule of rules) {
    const covers = rule.path === "/" || real === rule.path || real.startsWith(`${rule.path}/`);
    if (!covers) continue;
    const depth = rule.path === "/" ? 0 : rule.path.split("/").length;
    const bestDepth = best === undefined ? -1 : best.path === "/" ? 0 : best.path.split("/").length;
    if (depth > bestDepth || (depth === bestDepth && rank[rule.access] > rank[best!.access])) best = rule;
  }
  return best?.access ?? "none";
}

/** Where the fixture's spelling lands: its links resolved (new names joined to their real parent). */
async function realOf(path: string): Promise<string> {
  try {
    return await realpath(path);
  } catch {
    const parent = await realOf(dirname(path));
    return join(parent, path.slice(path.lastIndexOf("/") + 1));
  }
}

async function outcome(action: () => Promise<unknown>): Promise<{ ok: true } | { ok: false; code: number; message: string }> {
  try {
    await action();
    return { ok: true };
  } catch (error) {
    if (!isRpcError(error)) throw error;
    return { ok: false, code: error.code, message: error.message };
  }
}

describe("fs methods under random 0.169 profiles (fast-check against a policy model)", () => {
  it("allow exactly what the model grants and refuse with the model's code, changing nothing when refused", async () => {
    let run = 0;
    await fc.assert(
      fc.asyncProperty(profileArbitrary(RULE_TARGETS), async (profile) => {
        const base = join(root, `run-${(run += 1)}`);
        await makeProfileTree(base, FILES);
        const sandbox = profileWireContext(base, profile);
        const check = async (op: "read" | "write", spelled: string, isNew: boolean) => {
          const path = `${base}/${spelled}`;
          const real = await realOf(path);
          const grant = modelGrant(base, profile, real);
          const allowed = op === "read" ? grant === "read" || grant === "write" : grant === "write";
          const before = isNew ? undefined : await readFile(real, "utf8");
          const got = await outcome(() =>
            op === "read"
              ? service.readFile({ path, sandbox }, "codex-0.169")
              : service.writeFile({ path, dataBase64: Buffer.from("new").toString("base64"), sandbox }, "codex-0.169"),
          );
          const context = JSON.stringify({ profile, op, spelled, real, grant, got });
          const parentMissing = !existsSync(dirname(real));
          if (allowed) {
            if (parentMissing) assert.deepEqual(got.ok ? "ok" : got.code, -32004, context);
            else assert.equal(got.ok, true, context);
            return;
          }
          assert.equal(got.ok, false, context);
          if (got.ok) return;
          const expected = grant === "deny" ? [-32600, "Permission denied (os error 13)"] : grant === "none" || parentMissing ? [-32004, "No such file or directory (os error 2)"] : [-32603, "Read-only file system (os error 30)"];
          assert.equal(got.code, expected[0], context);
          assert.ok(got.message.startsWith(String(expected[1])), context);
          assert.ok(got.message.includes(path), `the refusal names the path: ${context}`);
          if (isNew) assert.equal(existsSync(real), false, `a refused write created the file: ${context}`);
          else assert.equal(await readFile(real, "utf8"), before, `a refused write changed the file: ${context}`);
        };
        for (const spelled of EXISTING) await check("read", spelled, false);
        for (const spelled of EXISTING) await check("write", spelled, false);
        for (const spelled of NEW) await check("write", spelled, true);
        await rm(base, { recursive: true, force: true });
      }),
      { numRuns: 40 },
    );
  });
});
