/**
 * Random codex 0.169 permission profiles over a small file tree, shared by the property tests that
 * check a sandbox against a model (bubblewrap children and the fs methods): the profile generator,
 * its wire form and the tree it names.
 */
import { mkdir, symlink, writeFile } from "node:fs/promises";
import { join } from "node:path";
import fc from "fast-check";
import { encodePathUri } from "../../src/rpc/path-uri.js";

/** The access of one profile entry. */
export type Access = "read" | "write" | "deny";

/** A profile: the root's access, entries on paths relative to the tree's base, and a `ws/**\/*.pem` deny glob. */
export interface Profile {
  root: "read" | "write" | "none";
  entries: [string, Access][];
  pemGlob: boolean;
}

/** Profiles of up to four entries, each on one of `ruleTargets` (relative to the base; "" is the base). */
export function profileArbitrary(ruleTargets: readonly string[]): fc.Arbitrary<Profile> {
  return fc.record({
    root: fc.constantFrom<Profile["root"]>("read", "write", "none"),
    entries: fc.array(fc.tuple(fc.constantFrom(...ruleTargets), fc.constantFrom<Access>("read", "write", "deny")), { maxLength: 4 }),
    pemGlob: fc.boolean(),
  });
}

/**
 * The wire sandbox context of `profile` on the tree at `base`. With `shell`, an unreadable root gets
 * the system directories back (`minimal`), so a shell still finds its binaries.
 */
export function profileWireContext(base: string, profile: Profile, options: { shell?: boolean } = {}): unknown {
  const entries: unknown[] = [];
  if (profile.root !== "none") entries.push({ path: { type: "special", value: { kind: "root" } }, access: profile.root });
  if (options.shell === true && profile.root === "none") entries.push({ path: { type: "special", value: { kind: "minimal" } }, access: "read" });
  for (const [target, access] of profile.entries) entries.push({ path: { type: "path", path: encodePathUri(join(base, target)) }, access });
  if (profile.pemGlob) entries.push({ path: { type: "glob_pattern", pattern: `${base}/ws/**/*.pem` }, access: "deny" });
  return { permissions: { type: "managed", network: "restricted", file_system: { type: "restricted", entries } }, windowsSandboxLevel: "disabled" };
}

/** Writes `files` (path relative to `base` → content) and the tree's two links: `ws/out` → `../other`, `ws/sub/up` → `../a.txt`. */
export async function makeProfileTree(base: string, files: Readonly<Record<string, string>>): Promise<void> {
  for (const [path, content] of Object.entries(files)) {
    await mkdir(join(base, path, ".."), { recursive: true });
    await writeFile(join(base, path), content);
  }
  await symlink("../other", join(base, "ws", "out"));
  await symlink("../a.txt", join(base, "ws", "sub", "up"));
}
