import assert from "node:assert/strict";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, it } from "node:test";
import { PACKAGE_VERSION, readPackageVersion } from "../../src/util/package-version.js";

describe("readPackageVersion", () => {
  it("finds this package's version walking up from the module", () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as { version: string };
    assert.equal(PACKAGE_VERSION, pkg.version);
    assert.equal(readPackageVersion(join(import.meta.dirname, "..", "..", "dist", "src", "util")), pkg.version);
  });

  it("names the start directory when no exec-server package.json is above it", () => {
    const dir = mkdtempSync(join(tmpdir(), "no-package-"));
    try {
      assert.throws(() => readPackageVersion(join(dir, "a", "b")), /cannot find the exec-server package\.json above/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
