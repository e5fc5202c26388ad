import assert from "node:assert/strict";
import { readFileSync } from "node:fs";
import { describe, it } from "node:test";
import { validateResult } from "../../generated/openrpc/validators.js";
import { describeEnvironment, detectShell, ENVIRONMENT_CAPABILITIES, type EnvironmentInputs } from "../../src/server/environment-info.js";

const document = JSON.parse(readFileSync(new URL("../../openrpc/exec-server.openrpc.json", import.meta.url), "utf8")) as {
  components: { schemas: { EnvironmentCapabilities: { properties: Record<string, unknown> } } };
};

const inputs = (overrides: Partial<EnvironmentInputs> = {}): EnvironmentInputs => ({
  env: {},
  cwd: "/srv/work",
  homeDir: "/home/u",
  loginShell: "/bin/zsh",
  platform: "linux",
  tempDir: "/tmp",
  exists: () => true,
  ...overrides,
});

describe("detectShell", () => {
  it("prefers the login shell, then $SHELL, when it is a known kind that exists", () => {
    assert.deepEqual(detectShell(inputs()), { name: "zsh", path: "/bin/zsh" });
    assert.deepEqual(detectShell(inputs({ loginShell: "/usr/bin/fish", env: { SHELL: "/bin/bash" } })), { name: "bash", path: "/bin/bash" });
    assert.deepEqual(detectShell(inputs({ loginShell: undefined, env: { SHELL: "/opt/pwsh" } })), { name: "powershell", path: "/opt/pwsh" });
  });

  it("falls back to /bin/sh for unknown, relative or missing shells", () => {
    assert.deepEqual(detectShell(inputs({ loginShell: "/usr/bin/fish", env: { SHELL: "bash" } })), { name: "sh", path: "/bin/sh" });
    assert.deepEqual(detectShell(inputs({ exists: () => false })), { name: "sh", path: "/bin/sh" });
  });
});

describe("describeEnvironment", () => {
  it("describes the executor with native paths; only implemented capabilities are true", () => {
    const info = describeEnvironment(inputs({ env: { TMPDIR: "/var/tmp" }, tempDir: "/var/tmp" }));
    assert.equal(info.cwd, "/srv/work");
    assert.equal(info.userHomeDir, "/home/u");
    assert.equal(info.platformOs, "linux");
    assert.deepEqual(info.temporaryDirectories, ["/var/tmp"]);
    assert.equal(info.tempDir, "/var/tmp");
    assert.deepEqual(info.prependPathDirs, []);
    const announced = Object.entries(info.capabilities).filter(([, flag]) => flag === true).map(([name]) => name).sort();
    assert.deepEqual(announced, ["fileWriteStreaming", "fsWatchMissing", "httpHeaderEnvVars", "sandboxedFileStreaming"]);
    assert.equal(describeEnvironment(inputs({}), { httpHeaderEnvVars: false }).capabilities.httpHeaderEnvVars, false);
  });

  it("omits what it does not know (no TMPDIR, no home) and names macOS as upstream does", () => {
    const info = describeEnvironment(inputs({ homeDir: "", platform: "darwin" }));
    assert.deepEqual(info.temporaryDirectories, []);
    assert.equal("userHomeDir" in info, false);
    assert.equal(info.platformOs, "macos");
  });

  it("answers every capability flag the document declares, and the result validates", () => {
    assert.deepEqual(Object.keys(ENVIRONMENT_CAPABILITIES).sort(), Object.keys(document.components.schemas.EnvironmentCapabilities.properties).sort());
    assert.deepEqual(validateResult("environment/info", describeEnvironment()), { ok: true });
  });
});
