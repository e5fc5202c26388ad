import { describe, test } from "node:test";
import assert from "node:assert/strict";
import { CODEX_VERSION, codexSkip } from "../../helpers/codex-binary.js";
import { assertAppServerTurnCompleted, assertCodexExecFinished, assertToolsRanOnExecServer, assertWatchedMissingPaths } from "./codex-client-assertions.js";
import { runCodexClientScenario } from "./codex-client-scenario.js";
import { ourExecServer, realCodexExecServer, type ExecServerTarget } from "./exec-server-targets.js";
import { APP_SERVER_ENVIRONMENT_ID } from "./run-app-server-turn.js";

/**
 * The exec-servers the real codex client is pointed at: the Rust original and ours (which speaks the 0.169
 * dialect since issue 11: file: URIs, environmentInfo, the 0.169 process/start members).
 */
const TARGETS: ExecServerTarget[] = [realCodexExecServer, ourExecServer];

const SCENARIO_TIMEOUT_MS = 60_000;
const TEST_TIMEOUT_MS = 120_000;

for (const target of TARGETS) {
  describe(`the real codex ${CODEX_VERSION} client against ${target.name}`, { skip: codexSkip() }, () => {
    test("codex exec with CODEX_EXEC_SERVER_URL runs the model's shell command, view_image and apply_patch on the exec-server", { timeout: TEST_TIMEOUT_MS }, async () => {
      const run = await runCodexClientScenario(target, "exec", SCENARIO_TIMEOUT_MS);
      assertCodexExecFinished(run, SCENARIO_TIMEOUT_MS);
      assertToolsRanOnExecServer(run);
      assertWatchedMissingPaths(run);
    });

    test("codex app-server with environment/add runs a turn whose tools go through the added exec-server", { timeout: TEST_TIMEOUT_MS }, async () => {
      const run = await runCodexClientScenario(target, "app-server", SCENARIO_TIMEOUT_MS);
      assertAppServerTurnCompleted(run);
      assert.equal(run.appServer!.environmentId, APP_SERVER_ENVIRONMENT_ID);
      assertToolsRanOnExecServer(run);
      assertWatchedMissingPaths(run);
    });
  });
}
