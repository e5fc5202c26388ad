import type { Check, CheckContext } from "../../check.js";
import { expect } from "../../check.js";
import { show } from "../../expectations.js";
import { CHILD_PATH } from "../../checks/process-helpers.js";
import { CodexPeer, expectCodexError } from "../codex-peer.js";
import { outputText, parseEnv, start, startParams, waitClosed } from "../process-steps.js";

/** An `ExecEnvPolicy` (UPSTREAM-0.169 §4.4) with every required member, overridden by `extra`. */
function policy(inherit: string, extra: Record<string, unknown> = {}): Record<string, unknown> {
  return { inherit, ignoreDefaultExcludes: false, exclude: [], set: {}, includeOnly: [], ...extra };
}

/** Runs `env` (no shell, so nothing is added) with `env` and `envPolicy`; returns the child's variables. */
async function childEnv(ctx: CheckContext, peer: CodexPeer, processId: string, env: Record<string, string>, envPolicy: unknown): Promise<Map<string, string>> {
  await start(peer, startParams(ctx, processId, ["/usr/bin/env"], { env, ...(envPolicy === undefined ? {} : { envPolicy }) }));
  const events = await waitClosed(peer, processId);
  const exited = events.find((event) => event.method === "process/exited");
  expect(exited?.params["exitCode"] === 0, `env (${processId}) exited ${show(exited?.params["exitCode"])}: ${outputText(events, "stderr")}`);
  return parseEnv(outputText(events, "stdout"));
}

function keys(vars: Map<string, string>): string {
  return show([...vars.keys()].sort());
}

/**
 * Names a `core` policy may pass through on a Unix host (codex's `COMMON_CORE_VARS` +
 * `PLATFORM_CORE_VARS`, compared exactly); any other name the server's environment has must not
 * reach a `core` child.
 */
const CORE_LIKE = /^(PATH|SHELL|TMPDIR|TEMP|TMP|HOME|LANG|LC_ALL|LC_CTYPE|LOGNAME|USER)$/;

/** UPSTREAM-0.169 §2.5, §4.4: how `env` and `envPolicy` build a child's environment. */
export function envPolicyChecks(): Check[] {
  return [
    {
      id: "env-policy/absent",
      title: "without envPolicy the child's environment is exactly env",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const vars = await childEnv(ctx, peer, "exact", { PATH: CHILD_PATH, CONFORMANCE_FOO: "bar" }, undefined);
        expect(keys(vars) === show(["CONFORMANCE_FOO", "PATH"]) && vars.get("CONFORMANCE_FOO") === "bar", `the child saw ${keys(vars)}, expected exactly CONFORMANCE_FOO and PATH`);
        const nulled = await childEnv(ctx, peer, "exact-null", { PATH: CHILD_PATH }, null);
        expect(keys(nulled) === show(["PATH"]), `with envPolicy null the child saw ${keys(nulled)}, expected exactly PATH`);
      },
    },
    {
      id: "env-policy/inherit-none",
      title: "inherit none: the child sees only the policy's set and env (env overlaid last)",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const vars = await childEnv(ctx, peer, "none", { CONFORMANCE_FOO: "bar", CONFORMANCE_BOTH: "env" }, policy("none", { set: { CONFORMANCE_SET: "1", CONFORMANCE_BOTH: "set" } }));
        expect(keys(vars) === show(["CONFORMANCE_BOTH", "CONFORMANCE_FOO", "CONFORMANCE_SET"]), `inherit none gave ${keys(vars)}`);
        expect(vars.get("CONFORMANCE_SET") === "1" && vars.get("CONFORMANCE_BOTH") === "env", `inherit none values: SET=${show(vars.get("CONFORMANCE_SET"))} BOTH=${show(vars.get("CONFORMANCE_BOTH"))} (env must win over set)`);
      },
    },
    {
      id: "env-policy/inherit-core",
      title: "inherit core: core variables (PATH with the prependPathDirs first, HOME, ...) and env, none of the server's other variables",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const all = await childEnv(ctx, peer, "all", {}, policy("all", { ignoreDefaultExcludes: true }));
        const core = await childEnv(ctx, peer, "core", { CONFORMANCE_FOO: "bar" }, policy("core"));
        expect(core.get("CONFORMANCE_FOO") === "bar", `inherit core lost env's CONFORMANCE_FOO: ${keys(core)}`);
        for (const name of core.keys()) {
          expect(name === "CONFORMANCE_FOO" || all.has(name), `inherit core gave ${name}, which inherit all does not have (${keys(all)})`);
        }
        if (all.has("PATH")) expect(core.has("PATH"), `inherit core dropped PATH: ${keys(core)}`);
        if (all.has("HOME")) expect(core.has("HOME"), `inherit core dropped HOME: ${keys(core)}`);
        const leaked = [...all.keys()].filter((name) => !CORE_LIKE.test(name) && core.has(name));
        expect(leaked.length === 0, `inherit core passed non-core variables through: ${show(leaked)}`);
        const path = (core.get("PATH") ?? "").split(":");
        const prepend = (ctx.environmentInfo?.["prependPathDirs"] ?? []) as string[];
        for (const dir of prepend) {
          const native = decodeURIComponent(new URL(dir).pathname);
          expect(path.includes(native), `prependPathDirs entry ${native} is not on a core child's PATH ${show(core.get("PATH"))}`);
        }
      },
    },
    {
      id: "env-policy/inherit-all",
      title: "inherit all with exclude [\"*\"] leaves only env; includeOnly keeps just the named variables (plus env)",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const excluded = await childEnv(ctx, peer, "excluded", { CONFORMANCE_FOO: "bar" }, policy("all", { exclude: ["*"] }));
        expect(keys(excluded) === show(["CONFORMANCE_FOO"]), `inherit all, exclude ["*"] gave ${keys(excluded)}, expected only CONFORMANCE_FOO`);
        const all = await childEnv(ctx, peer, "everything", {}, policy("all", { ignoreDefaultExcludes: true }));
        const only = await childEnv(ctx, peer, "only", { CONFORMANCE_FOO: "bar" }, policy("all", { includeOnly: ["PATH"] }));
        const expected = all.has("PATH") ? ["CONFORMANCE_FOO", "PATH"] : ["CONFORMANCE_FOO"];
        expect(keys(only) === show(expected), `inherit all, includeOnly ["PATH"] gave ${keys(only)}, expected ${show(expected)}`);
      },
    },
    {
      id: "env-policy/invalid",
      title: "an envPolicy with an unknown inherit value → -32602; one missing members: refused -32602 (upstream) or completed with the defaults (seed-compatible servers) — variant partialEnvPolicy",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        await peer.fails("process/start", startParams(ctx, "some", ["true"], { envPolicy: policy("some") }), -32602, "envPolicy inherit some", {
          upstream: "unknown variant `some`, expected one of `core`, `all`, `none`",
        });
        // A seed client may send only what it changes; a server taking that must apply the defaults
        // (no ignoreDefaultExcludes, nothing excluded, set or kept only), here on top of inherit none.
        const partial = { inherit: "none" };
        const response = await peer.request("process/start", startParams(ctx, "partial", ["/usr/bin/env"], { env: { CONFORMANCE_FOO: "bar" }, envPolicy: partial }));
        if (response.error !== undefined) {
          expectCodexError(ctx, response, -32602, "envPolicy {inherit: none} alone", { upstream: "missing field `ignoreDefaultExcludes`" });
          ctx.variant("partialEnvPolicy", "refused");
          return;
        }
        const events = await waitClosed(peer, "partial");
        const vars = parseEnv(outputText(events, "stdout"));
        expect(keys(vars) === show(["CONFORMANCE_FOO"]), `envPolicy {inherit: none} alone was accepted but the child saw ${keys(vars)}, expected only CONFORMANCE_FOO`);
        ctx.variant("partialEnvPolicy", "accepted");
      },
    },
  ];
}
