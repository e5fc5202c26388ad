import type { EnvPolicy } from "./types.js";

/**
 * Variables kept by `inherit: "core"` (names compared exactly): codex's Unix core set
 * (`COMMON_CORE_VARS` + `PLATFORM_CORE_VARS`), checked against the 0.169 binary — `LANGUAGE`,
 * `TERM`, `TZ`, `USERNAME` and other `LC_*` variables are not core.
 */
export const CORE_ENV_VARS: readonly string[] = ["PATH", "SHELL", "TMPDIR", "TEMP", "TMP", "HOME", "LANG", "LC_ALL", "LC_CTYPE", "LOGNAME", "USER"];

/** Removed unless `ignoreDefaultExcludes` is true (codex's defaults; case-insensitive). */
export const DEFAULT_ENV_EXCLUDES: readonly string[] = ["*KEY*", "*SECRET*", "*TOKEN*"];

/**
 * Compiles a case-insensitive wildcard pattern: `*` matches any run of characters, `?` exactly one,
 * everything else literally.
 */
export function wildcardMatcher(pattern: string): (name: string) => boolean {
  const source = pattern
    .split("")
    .map((c) => (c === "*" ? ".*" : c === "?" ? "." : c.replace(/[.+^${}()|[\]\\/-]/g, "\\$&")))
    .join("");
  const regex = new RegExp(`^${source}$`, "is");
  return (name) => regex.test(name);
}

function matchesAny(patterns: readonly string[]): (name: string) => boolean {
  const matchers = patterns.map(wildcardMatcher);
  return (name) => matchers.some((m) => m(name));
}

function isCore(name: string): boolean {
  return CORE_ENV_VARS.includes(name);
}

/**
 * Computes the child environment (CONTRACT.md §3, codex's `populate_env`). Without a policy `env`
 * is used as is. With one: inherit from `baseEnv` (all / core / none), drop the default excludes
 * unless ignored, drop `exclude` matches, apply `set` (never filtered by the excludes), keep only
 * `includeOnly` matches when that list is non-empty (`set` included), and finally overlay `env` (the
 * caller's explicit variables always win). Members a seed client omits take their defaults
 * (`inherit: "all"`, no `ignoreDefaultExcludes`, empty lists); codex 0.169 always sends all five.
 */
export function computeChildEnv(
  env: Readonly<Record<string, string>>,
  policy: EnvPolicy | null | undefined,
  baseEnv: NodeJS.ProcessEnv,
): Record<string, string> {
  if (policy === null || policy === undefined) return { ...env };
  const inherit = policy.inherit ?? "all";
  const result: Record<string, string> = {};
  for (const [name, value] of Object.entries(baseEnv)) {
    if (value === undefined) continue;
    if (inherit === "all" || (inherit === "core" && isCore(name))) result[name] = value;
  }
  const excluded = matchesAny([
    ...(policy.ignoreDefaultExcludes === true ? [] : DEFAULT_ENV_EXCLUDES),
    ...(policy.exclude ?? []),
  ]);
  for (const name of Object.keys(result)) {
    if (excluded(name)) delete result[name];
  }
  Object.assign(result, policy.set ?? {});
  const includeOnly = policy.includeOnly ?? [];
  if (includeOnly.length > 0) {
    const included = matchesAny(includeOnly);
    for (const name of Object.keys(result)) {
      if (!included(name)) delete result[name];
    }
  }
  return Object.assign(result, env);
}
