import type { CheckContext } from "../../check.js";
import { fail, skip } from "../../check.js";
import type { RawResponse } from "../../raw-peer.js";

/** The value of `environmentInfo.capabilities[name]` the server announced (missing = false, as clients read it). */
export function capability(ctx: CheckContext, name: string): boolean {
  const capabilities = ctx.environmentInfo?.["capabilities"];
  return typeof capabilities === "object" && capabilities !== null && (capabilities as Record<string, unknown>)[name] === true;
}

/**
 * For methods a 0.169 server may leave out (codex-configuration features): when the server answers
 * -32601 and does not announce `flag` (or there is no flag for the method), the check is skipped
 * with that reason; answering -32601 while announcing the flag fails. Returns normally otherwise.
 */
export function skipIfNotOffered(ctx: CheckContext, response: RawResponse, method: string, flag: string | undefined): void {
  if (response.error?.code !== -32601) return;
  if (flag !== undefined && capability(ctx, flag)) {
    fail(`${method} answered -32601 although environmentInfo.capabilities.${flag} is true`);
  }
  skip(`${method} is not offered (-32601${flag === undefined ? "" : `, capabilities.${flag} is false`})`);
}
