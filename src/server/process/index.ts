export { ProcessTable } from "./process-table.js";
export type { ProcessTableOptions, ProcessTimers } from "./process-table-options.js";
export { processTableDefaults, realTimers } from "./process-table-options.js";
export { computeChildEnv, CORE_ENV_VARS, DEFAULT_ENV_EXCLUDES, wildcardMatcher } from "./env-policy.js";
export { shellExitCode } from "./child-handle.js";
export type * from "./types.js";
