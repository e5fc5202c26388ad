/** Spec-conformance suite for exec-server implementations (`exec-server conformance`). */
export { runConformance, checkFilter, DEFAULT_CHECK_TIMEOUT_MS, DEFAULT_STEP_TIMEOUT_MS, type ConformanceOptions } from "./run-conformance.js";
export { formatReport, reportToJson, summaryLine, type CheckResult, type CheckStatus, type Report, type Variants } from "./report.js";
export { conformanceCommand, PROBE_TIMEOUT_MS, urlIsThisMachine, type ConformanceCommandOptions } from "./conformance-command.js";
export { DIALECT_CHOICES, dialectFromInitializeResult, type Dialect, type DialectChoice, type DialectDecision } from "./dialect.js";
export { detectDialect } from "./detect-dialect.js";
export { codexChecks } from "./codex/checks/codex-checks.js";
export { allChecks } from "./checks/all-checks.js";
export { CheckFailure, CheckSkipped, type Check, type CheckContext, type ConformanceClient } from "./check.js";
