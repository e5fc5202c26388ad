import type { Check } from "../check.js";
import { exampleChecks } from "./example-checks.js";
import { fsChecks } from "./fs-checks.js";
import { lifecycleChecks } from "./lifecycle-checks.js";
import { malformedChecks } from "./malformed-checks.js";
import { processChecks } from "./process-checks.js";
import { sessionChecks } from "./session-checks.js";

/** Every check, in report order: lifecycle, malformed input, OpenRPC examples, processes, filesystem, sessions. */
export function allChecks(): Check[] {
  return [...lifecycleChecks(), ...malformedChecks(), ...exampleChecks(), ...processChecks(), ...fsChecks(), ...sessionChecks()];
}
