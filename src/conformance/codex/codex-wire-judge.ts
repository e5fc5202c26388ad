import type { JudgeOutcome, WireJudge } from "../wire-judge.js";
import { NOTIFICATION_SHAPES, RESULT_SHAPES, SERVER_REQUESTS } from "./codex-wire-shapes.js";
import { checkShape, type Shape } from "./wire-shape.js";

function judge(shape: Shape | undefined, value: unknown, kind: string, method: string): JudgeOutcome {
  if (shape === undefined) return { ok: true, tolerated: [] };
  const report = checkShape(shape, value, method);
  if (report.problems.length > 0) {
    const more = report.problems.length > 1 ? ` (and ${report.problems.length - 1} more)` : "";
    return { ok: false, message: `invalid ${kind} for ${method}: ${report.problems[0]!}${more}` };
  }
  return { ok: true, tolerated: report.tolerated };
}

/**
 * The codex-0.169 dialect's judge: results and notifications must have the shapes the real binary
 * sends ({@link RESULT_SHAPES}); a notification or request the dialect does not know is a violation.
 */
export const codexWireJudge: WireJudge = {
  result: (method, value) => judge(RESULT_SHAPES[method], value, "result", method),
  notification(method, params) {
    if (!Object.hasOwn(NOTIFICATION_SHAPES, method)) return { ok: false, message: `server sent an unknown notification ${method}` };
    return judge(NOTIFICATION_SHAPES[method], params, "notification", method);
  },
  serverRequest(method) {
    return SERVER_REQUESTS.includes(method) ? undefined : `server sent a request ${method}; the only server-to-client request is network/policyRequest`;
  },
};
