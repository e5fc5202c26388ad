import type { Check } from "../../check.js";
import { expect } from "../../check.js";
import { show } from "../../expectations.js";
import { CodexPeer } from "../codex-peer.js";
import { checkDir, uriJoin, writeText } from "../fs-steps.js";
import { skipIfNotOffered } from "./capabilities.js";

const SKILL = "---\nname: s1\ndescription: conformance skill\n---\nbody\n";

/** UPSTREAM-0.169 §2.4, §2.14: codex-configuration features (optional: -32601 skips when not announced). */
export function discoveryChecks(): Check[] {
  return [
    {
      id: "discovery/capability-roots-v1",
      title: "capabilityRoots/discoverV1 reports skills of a root, an error string for a missing root, nothing for a plain directory",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        const root = uriJoin(dir, "caps");
        await peer.call("fs/createDirectory", { path: uriJoin(root, "skills", "s1") });
        await writeText(peer, uriJoin(root, "skills", "s1", "SKILL.md"), SKILL);
        await peer.call("fs/createDirectory", { path: uriJoin(dir, "plain") });
        const missing = uriJoin(dir, "none");
        const response = await peer.request("capabilityRoots/discoverV1", {
          roots: [
            { id: "r1", path: root },
            { id: "r2", path: missing },
            { id: "r3", path: uriJoin(dir, "plain") },
          ],
        });
        skipIfNotOffered(ctx, response, "capabilityRoots/discoverV1", undefined);
        expect(response.error === undefined, () => `capabilityRoots/discoverV1 failed with ${response.error!.code}: ${response.error!.message}`);
        const roots = (response.result as { roots: Array<Record<string, unknown>> }).roots;
        expect(show(roots.map((r) => r["id"])) === show(["r1", "r2", "r3"]), `roots answered ${show(roots.map((r) => r["id"]))}, expected r1, r2, r3 in order`);
        const [skills, none, plain] = roots as [Record<string, unknown>, Record<string, unknown>, Record<string, unknown>];
        expect(skills["error"] === null && skills["path"] === root, `the skills root answered error ${show(skills["error"])} path ${show(skills["path"])}`);
        const found = skills["skills"] as Array<{ instructions: { path: string; contents: string }; metadata: unknown }>;
        expect(found.length === 1 && found[0]!.instructions.path === uriJoin(root, "skills", "s1", "SKILL.md") && found[0]!.instructions.contents === SKILL, `the skills root listed ${show(found)}`);
        expect(typeof none["error"] === "string" && (none["error"] as string).length > 0, `a missing root answered error ${show(none["error"])}, expected a message`);
        expect(show(none["skills"]) === "[]", `a missing root listed skills ${show(none["skills"])}`);
        if (none["error"] !== `failed to inspect capability root ${missing}: No such file or directory (os error 2)`) {
          ctx.tolerate("messageWording", "differs", `discoverV1 missing-root error: ${show(none["error"])}`);
        }
        expect(plain["error"] === null && show(plain["skills"]) === "[]" && plain["plugin"] === null, `a plain directory answered ${show(plain)}`);
      },
    },
    {
      id: "discovery/capabilities-v2",
      title: "capabilities/discoverV2 {cwd} → {plugins: [], skills: [], warnings: []} here; a sandbox without cwd or no cwd → -32602",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        const response = await peer.request("capabilities/discoverV2", { cwd: dir });
        skipIfNotOffered(ctx, response, "capabilities/discoverV2", "capabilityDiscoveryV2");
        expect(response.error === undefined, () => `capabilities/discoverV2 failed with ${response.error!.code}: ${response.error!.message}`);
        expect(show(response.result) === show({ plugins: [], skills: [], warnings: [] }), `capabilities/discoverV2 of an empty directory answered ${show(response.result)}`);
        await peer.fails("capabilities/discoverV2", { cwd: dir, sandbox: { permissions: { type: "disabled" } } }, -32602, "capabilities/discoverV2 with a sandbox lacking cwd", {
          upstream: "missing field `cwd`",
        });
        await peer.fails("capabilities/discoverV2", {}, -32602, "capabilities/discoverV2 without cwd", { upstream: "missing field `cwd`", mention: "cwd" });
      },
    },
    {
      id: "discovery/environment-config-read",
      title: "environmentConfig/read answers {userHomeDir, codexHomeDir, hostname, config, requirements}; no paths, an empty key path or a missing member → -32602",
      async run(ctx) {
        const peer = await CodexPeer.open(ctx);
        const dir = await checkDir(peer, ctx);
        const response = await peer.request("environmentConfig/read", { cwd: dir, configPaths: [["model"]], requirementsPaths: [["allowed_sandbox_modes"]] });
        skipIfNotOffered(ctx, response, "environmentConfig/read", "environmentConfigRead");
        expect(response.error === undefined, () => `environmentConfig/read failed with ${response.error!.code}: ${response.error!.message}`);
        const result = response.result as Record<string, unknown>;
        expect(result["userHomeDir"] === ctx.environmentInfo?.["userHomeDir"] || ctx.environmentInfo?.["userHomeDir"] === undefined, `userHomeDir ${show(result["userHomeDir"])} differs from environmentInfo's ${show(ctx.environmentInfo?.["userHomeDir"])}`);
        await peer.fails("environmentConfig/read", { cwd: dir, configPaths: [], requirementsPaths: [] }, -32602, "environmentConfig/read without paths", {
          upstream: "at least one config or requirements path is required",
        });
        await peer.fails("environmentConfig/read", { cwd: dir, configPaths: [[]], requirementsPaths: [] }, -32602, "environmentConfig/read with an empty key path", {
          upstream: "TOML paths must contain at least one key segment",
        });
        await peer.fails("environmentConfig/read", { cwd: dir, configPaths: [["model"]] }, -32602, "environmentConfig/read without requirementsPaths", {
          upstream: "missing field `requirementsPaths`",
          mention: "requirementsPaths",
        });
      },
    },
  ];
}
