import { readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** Name of this package in its package.json. */
const PACKAGE_NAME = "exec-server";

/**
 * The version in this package's package.json, found by walking up from this module (it sits at
 * `src/util/` when run from source and at `dist/src/util/` when built or installed).
 *
 * @throws Error when no package.json named `exec-server` is found within 6 levels.
 */
export function readPackageVersion(from: string = dirname(fileURLToPath(import.meta.url))): string {
  let dir = from;
  for (let level = 0; level < 6; level++) {
    try {
      const json = JSON.parse(readFileSync(join(dir, "package.json"), "utf8")) as { name?: unknown; version?: unknown };
      if (json.name === PACKAGE_NAME && typeof json.version === "string") return json.version;
    } catch {
      // No (readable) package.json at this level: keep walking up.
    }
    dir = dirname(dir);
  }
  throw new Error(`cannot find the ${PACKAGE_NAME} package.json above ${from}`);
}

/** This package's version (read once). */
export const PACKAGE_VERSION: string = readPackageVersion();
