import type { CheckContext } from "../check.js";
import { expect } from "../check.js";
import { b64, show, unb64 } from "../expectations.js";
import type { CodexPeer } from "./codex-peer.js";

/**
 * `base/name/...`. Names must be URI-safe (letters, digits, `._-`): fixtures with other characters
 * spell their percent-encoding out, which is what those checks are about.
 */
export function uriJoin(base: string, ...names: string[]): string {
  for (const name of names) {
    if (!/^[A-Za-z0-9._-]+$/.test(name)) throw new Error(`uriJoin needs URI-safe names, got ${JSON.stringify(name)}`);
  }
  return [base, ...names].join("/");
}

/** Creates this check's directory ({@link CheckContext.checkDir}) through the server; returns its URI. */
export async function checkDir(peer: CodexPeer, ctx: CheckContext): Promise<string> {
  await peer.call("fs/createDirectory", { path: ctx.checkDir, recursive: true }, { what: "fs/createDirectory of the check's directory" });
  return ctx.checkDir;
}

/** Writes UTF-8 text to `path` through the server. */
export async function writeText(peer: CodexPeer, path: string, text: string): Promise<void> {
  await peer.call("fs/writeFile", { path, dataBase64: b64(text) }, { what: `fs/writeFile ${path}` });
}

/** Reads `path` through the server as UTF-8 text. */
export async function readText(peer: CodexPeer, path: string): Promise<string> {
  const result = await peer.call("fs/readFile", { path }, { what: `fs/readFile ${path}` });
  return unb64(String(result["dataBase64"]));
}

/** Fails unless `path` holds exactly `text`. */
export async function expectText(peer: CodexPeer, path: string, text: string, what: string): Promise<void> {
  const actual = await readText(peer, path);
  expect(actual === text, `${what}: ${path} holds ${show(actual)}, expected ${show(text)}`);
}

/** Fails unless `path` does not exist (fs/getMetadata answers -32004). */
export async function expectMissing(peer: CodexPeer, path: string, what: string): Promise<void> {
  const response = await peer.request("fs/getMetadata", { path });
  expect(response.error?.code === -32004, () => `${what}: ${path} should not exist, fs/getMetadata answered ${show(response.error ?? response.result)}`);
}

/** The `WalkOptions` most walk checks use, overridden by `extra`. */
export function walkOptions(extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { maxDepth: 10, maxDirectories: 100, maxEntries: 100, followDirectorySymlinks: false, ...extra };
}

/** `fs/walk` entries as `relative/path:kind` strings (relative to `root`). */
export function walkList(root: string, result: Record<string, unknown>): string[] {
  return (result["entries"] as Array<{ path: string; kind: string }>).map((entry) =>
    `${entry.path.startsWith(`${root}/`) ? entry.path.slice(root.length + 1) : entry.path}:${entry.kind}`,
  );
}
