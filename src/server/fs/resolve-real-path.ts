import { lstat, readlink, realpath } from "node:fs/promises";
import { basename, dirname, isAbsolute } from "node:path";
import { ErrorCode, RpcError } from "../../rpc/rpc-error.js";
import { isSystemError, systemError } from "./fs-error.js";

/** Symlink hops followed before giving up, like Linux's MAXSYMLINKS. */
const MAX_SYMLINK_HOPS = 40;

/**
 * The real location an operation on `path` would touch, even when (part of) it does not exist yet:
 * the realpath of the longest existing prefix joined with the missing components. A dangling
 * symlink is followed to where it points (writing through it creates its target), and with
 * `followFinal: false` the last component is kept as is (removing a symlink removes the link).
 *
 * The path is never normalised lexically: `a/link/../b` means what the OS says it means, which
 * `path.resolve` would get wrong. A `..` after a missing component is refused (the OS would fail
 * with ENOENT anyway, except `mkdir -p`, whose result could not be predicted safely).
 *
 * @throws RpcError -32600 for an unresolvable `..`; an ELOOP system error for a symlink loop; OS
 *   errors other than ENOENT/ENOTDIR propagate for the caller to map.
 */
export async function resolveRealPath(path: string, options: { followFinal: boolean }): Promise<string> {
  if (!options.followFinal) {
    const name = basename(path);
    if (name === "" || name === "." || name === "..") return resolveFollowing(path, path, 0);
    return joinReal(await resolveFollowing(dirname(path), path, 0), name);
  }
  return resolveFollowing(path, path, 0);
}

async function resolveFollowing(path: string, original: string, hops: number): Promise<string> {
  if (hops > MAX_SYMLINK_HOPS) {
    throw systemError("ELOOP", "realpath", original);
  }
  try {
    return await realpath(path);
  } catch (err) {
    if (!isSystemError(err) || (err.code !== "ENOENT" && err.code !== "ENOTDIR")) throw err;
  }
  const parent = dirname(path);
  if (parent === path) return path; // the root always exists; unreachable in practice
  const name = basename(path);
  let isLink = false;
  try {
    isLink = (await lstat(path)).isSymbolicLink();
  } catch {
    // Missing (or a file used as a directory): the component is created, or the operation fails.
  }
  if (isLink) {
    const target = await readlink(path);
    const next = isAbsolute(target) ? target : parent.endsWith("/") ? parent + target : `${parent}/${target}`;
    return resolveFollowing(next, original, hops + 1);
  }
  if (name === "..") {
    throw new RpcError(
      ErrorCode.InvalidRequest,
      `cannot resolve '..' after a missing component in ${original}`,
    );
  }
  const realParent = await resolveFollowing(parent, original, hops);
  return name === "." || name === "" ? realParent : joinReal(realParent, name);
}

function joinReal(realDir: string, name: string): string {
  return realDir.endsWith("/") ? realDir + name : `${realDir}/${name}`;
}
