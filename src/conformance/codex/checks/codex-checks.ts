import type { Check } from "../../check.js";
import { discoveryChecks } from "./discovery-checks.js";
import { envPolicyChecks } from "./env-policy-checks.js";
import { fsChecks } from "./fs-checks.js";
import { fsHandleChecks } from "./fs-handle-checks.js";
import { fsSandboxChecks } from "./fs-sandbox-checks.js";
import { fsWalkChecks } from "./fs-walk-checks.js";
import { fsWatchChecks } from "./fs-watch-checks.js";
import { httpChecks } from "./http-checks.js";
import { lifecycleChecks } from "./lifecycle-checks.js";
import { malformedChecks } from "./malformed-checks.js";
import { pathUriChecks } from "./path-uri-checks.js";
import { processChecks } from "./process-checks.js";
import { protocolChecks } from "./protocol-checks.js";
import { sandboxChecks } from "./sandbox-checks.js";
import { sessionChecks } from "./session-checks.js";

/**
 * Every codex-0.169 check, in report order: lifecycle, malformed and unexpected input, sessions,
 * processes, environment policies, process sandboxes, file system (requests, sandbox, walk, handles,
 * watches), path URIs,
 * HTTP, capability discovery, request processing.
 */
export function codexChecks(): Check[] {
  return [
    ...lifecycleChecks(),
    ...malformedChecks(),
    ...sessionChecks(),
    ...processChecks(),
    ...envPolicyChecks(),
    ...sandboxChecks(),
    ...fsChecks(),
    ...fsSandboxChecks(),
    ...fsWalkChecks(),
    ...fsHandleChecks(),
    ...fsWatchChecks(),
    ...pathUriChecks(),
    ...httpChecks(),
    ...discoveryChecks(),
    ...protocolChecks(),
  ];
}
