import { validateNotification, validateResult } from "../../generated/openrpc/validators.js";
import { validateTolerantly } from "./tolerant-validation.js";

/** A tolerated variant a judged message showed: `[key, value]` for the report's variants. */
export type ToleratedVariant = readonly [key: string, value: string];

/** Verdict on one server message: fine (possibly through tolerated variants), or a violation. */
export type JudgeOutcome = { ok: true; tolerated: readonly ToleratedVariant[] } | { ok: false; message: string };

/**
 * How a tapped connection judges what the server sends, whatever the check asserts: every
 * successful result, every notification and every server-to-client request. One per dialect.
 */
export interface WireJudge {
  /** Judges the successful result of a request this side sent with `method`. */
  result(method: string, value: unknown): JudgeOutcome;
  /** Judges a server notification. */
  notification(method: string, params: unknown): JudgeOutcome;
  /** Undefined when the server may send this request, else the violation text. */
  serverRequest(method: string): string | undefined;
}

function isEmptyObject(value: unknown): boolean {
  return typeof value === "object" && value !== null && !Array.isArray(value) && Object.keys(value).length === 0;
}

function fromTolerant(outcome: ReturnType<typeof validateTolerantly>): JudgeOutcome {
  if (!outcome.ok) return outcome;
  return { ok: true, tolerated: outcome.tolerated.map((tolerance) => ["optionalFields", tolerance] as const) };
}

/** The seed dialect's judge: the generated validators of the OpenRPC document, with CONTRACT §1 tolerances. */
export const seedWireJudge: WireJudge = {
  result(method, value) {
    // Old servers answer initialize with {} (CONTRACT §2); the checks that need a sessionId skip.
    if (method === "initialize" && isEmptyObject(value)) return { ok: true, tolerated: [["initialize", "empty"]] };
    return fromTolerant(validateTolerantly((candidate) => validateResult(method, candidate), value));
  },
  notification(method, params) {
    return fromTolerant(validateTolerantly((candidate) => validateNotification(method, candidate), params));
  },
  serverRequest(method) {
    return `server sent a request (${method}); this protocol has no server-to-client requests`;
  },
};
