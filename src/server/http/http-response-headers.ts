import type { HttpResponseHeader } from "../../../generated/openrpc/types.js";

/** Header values upstream reports (`HeaderValue::to_str`): visible ASCII, space and tab. */
const REPORTABLE_VALUE = /^[\t\u0020-\u007e]*$/;

/**
 * Response headers as `http/request` answers them: lower-case names in first-appearance order, the
 * values of a repeated name together in arrival order, and values that are not visible ASCII left
 * out (upstream drops them too: they have no string form).
 *
 * @param headers undici's response headers (a repeated name maps to an array of values).
 */
export function responseHeaders(headers: Record<string, string | string[] | undefined>): HttpResponseHeader[] {
  const out: HttpResponseHeader[] = [];
  for (const [name, value] of Object.entries(headers)) {
    if (value === undefined) continue;
    for (const one of Array.isArray(value) ? value : [value]) {
      if (REPORTABLE_VALUE.test(one)) out.push({ name: name.toLowerCase(), value: one });
    }
  }
  return out;
}
