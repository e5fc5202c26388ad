import type { ValidationResult } from "../rpc/validation.js";

/** How a value passed validation: as the schema says, or only after one of the tolerated rewrites. */
export type Tolerance = "null-for-optional" | "absent-for-nullable";

/** Outcome of {@link validateTolerantly}. */
export type TolerantResult = { ok: true; tolerated: readonly Tolerance[] } | { ok: false; message: string };

/** Most top-level members a value can be missing before we stop filling them in. */
const MAX_FILLED_MEMBERS = 16;

/** A copy of `value` without object members whose value is `null` (array elements are kept). */
export function stripNulls(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(stripNulls);
  if (typeof value !== "object" || value === null) return value;
  return Object.fromEntries(
    Object.entries(value)
      .filter(([, member]) => member !== null)
      .map(([key, member]) => [key, stripNulls(member)]),
  );
}

function containsNull(value: unknown): boolean {
  if (value === null) return true;
  if (typeof value !== "object") return false;
  return Object.values(value).some(containsNull);
}

/**
 * Validates `value`, tolerating the two spellings of "no value" the contract allows (CONTRACT §1):
 * `null` where the schema says optional (members dropped, then re-validated) and an absent member
 * where the schema says required-but-nullable (filled with `null`, then re-validated). Reports which
 * rewrite made it pass; a failure carries the message for the value as sent.
 */
export function validateTolerantly(validate: (value: unknown) => ValidationResult, value: unknown): TolerantResult {
  const first = validate(value);
  if (first.ok) return { ok: true, tolerated: [] };
  const tolerated = new Set<Tolerance>();
  let candidate = value;
  let current: ValidationResult = first;
  if (containsNull(value)) {
    const stripped = stripNulls(value);
    const result = validate(stripped);
    if (result.ok) return { ok: true, tolerated: ["null-for-optional"] };
    // Stripping may have removed a nullable member that is required; keep going from the original.
    candidate = value;
  }
  for (let filled = 0; filled < MAX_FILLED_MEMBERS && !current.ok; filled++) {
    const missing = /: ([A-Za-z_$][\w$]*) is required$/.exec(current.message)?.[1];
    if (missing === undefined || typeof candidate !== "object" || candidate === null || Array.isArray(candidate)) break;
    candidate = { ...candidate, [missing]: null };
    tolerated.add("absent-for-nullable");
    current = validate(candidate);
  }
  if (current.ok) return { ok: true, tolerated: [...tolerated] };
  return { ok: false, message: first.message };
}
