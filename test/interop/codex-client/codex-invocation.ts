import type { NoiseEnvironmentAccess } from "./exec-server-targets.js";

/**
 * A model in codex 0.169's bundled catalogue. Its metadata gives it the freeform `apply_patch` tool next to
 * `exec_command` and `view_image`; an unknown slug (`gpt-5`) falls back to metadata without `apply_patch`.
 */
export const STAND_IN_MODEL = "gpt-5.5";

/** The environment variable codex reads the stand-in's API key from (`env_key` of the provider). */
export const STAND_IN_KEY_VAR = "EXEC_SERVER_STAND_IN_API_KEY";

/** The key the stand-in expects as `Authorization: Bearer …`. */
export const STAND_IN_KEY = "stand-in-key";

/** The model provider id the tests configure. */
const PROVIDER_ID = "stand_in";

/**
 * `-c`/`--disable` arguments (valid for `codex exec` and `codex app-server`) that point codex at the local
 * Responses API stand-in and keep it off the network:
 * - `model_provider` + `model_providers.<id>` with `wire_api = "responses"`, `env_key`, and no retries
 *   (a failing stand-in fails the run at once instead of after backoff);
 * - `--disable plugins`: otherwise codex syncs the curated plugin marketplace (DNS for github.com,
 *   api.github.com, chatgpt.com, seen with strace);
 * - `analytics.enabled=false`: otherwise `codex exec` looks up ab.chatgpt.com (app-server defaults it off);
 * - `check_for_update_on_startup=false`: no release check against api.github.com.
 */
export function standInConfigArgs(baseUrl: string): string[] {
  const provider = [
    `name = "responses stand-in"`,
    `base_url = ${JSON.stringify(baseUrl)}`,
    `wire_api = "responses"`,
    `env_key = ${JSON.stringify(STAND_IN_KEY_VAR)}`,
    `request_max_retries = 0`,
    `stream_max_retries = 0`,
  ].join(", ");
  return [
    "-c",
    `model_provider=${JSON.stringify(PROVIDER_ID)}`,
    "-c",
    `model_providers.${PROVIDER_ID}={ ${provider} }`,
    "-c",
    `model=${JSON.stringify(STAND_IN_MODEL)}`,
    "-c",
    "analytics.enabled=false",
    "-c",
    "check_for_update_on_startup=false",
    "--disable",
    "plugins",
  ];
}

/**
 * The environment for a codex child: the test's environment without any `CODEX_*` or `OPENAI_*` variable (a
 * developer's own settings must not leak in), plus `CODEX_HOME`, the stand-in key and `extra`.
 */
export function codexChildEnv(codexHome: string, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {};
  for (const [name, value] of Object.entries(process.env)) {
    if (!name.startsWith("CODEX_") && !name.startsWith("OPENAI_")) env[name] = value;
  }
  return { ...env, CODEX_HOME: codexHome, [STAND_IN_KEY_VAR]: STAND_IN_KEY, RUST_LOG: process.env["RUST_LOG"] ?? "warn", ...extra };
}

/**
 * How a codex child reaches the exec-server: a plain websocket URL (`CODEX_EXEC_SERVER_URL`, or
 * `environment/add {execServerUrl}` in the app-server), or a Noise environment through a registry
 * (the `CODEX_EXEC_SERVER_NOISE_*` variables; codex names that environment {@link NOISE_ENVIRONMENT_NAME}).
 */
export type ExecServerAccess = { kind: "url"; url: string } | ({ kind: "noise" } & NoiseEnvironmentAccess);

/** The environment id codex 0.169 gives the environment configured by `CODEX_EXEC_SERVER_NOISE_*` (spec UPSTREAM-0.169-REMOTE §4.1). */
export const NOISE_ENVIRONMENT_NAME = "remote";

/** The `CODEX_EXEC_SERVER_NOISE_*` variables that point codex 0.169 at a Noise environment. */
export function noiseEnvironmentVariables(noise: NoiseEnvironmentAccess): Record<string, string> {
  return {
    CODEX_EXEC_SERVER_NOISE_REGISTRY_URL: noise.registryUrl,
    CODEX_EXEC_SERVER_NOISE_ENVIRONMENT_ID: noise.environmentId,
    CODEX_EXEC_SERVER_NOISE_AUTH_TOKEN: noise.authToken,
  };
}
