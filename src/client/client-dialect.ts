/**
 * The wire dialect a client speaks to a server (docs/dialects.md): `seed` (plain absolute paths,
 * CONTRACT.md) or `codex-0.169` (`file:` URIs, `writeId` on writes; UPSTREAM-0.169.md). A server of
 * the 0.169 dialect announces `environmentInfo` in its `initialize` result.
 */
import { methodDescriptors } from "../../generated/openrpc/methods.js";
import { mapPathMembers } from "../rpc/path-codec.js";
import { decodePathUri, encodePathUri } from "../rpc/path-uri.js";

/** A wire dialect. */
export type ClientDialect = "seed" | "codex-0.169";
/** What a user asks for: a dialect, or `auto` (from the `initialize` result). */
export type DialectChoice = ClientDialect | "auto";

/** Dialect names accepted by `--dialect`. */
export const DIALECT_CHOICES: readonly DialectChoice[] = ["auto", "seed", "codex-0.169"];

/** `codex-0.169` when an `initialize` result carries an `environmentInfo` object, else `seed`. */
export function dialectOfInitializeResult(result: unknown): ClientDialect {
  const info = typeof result === "object" && result !== null ? (result as Record<string, unknown>)["environmentInfo"] : undefined;
  return typeof info === "object" && info !== null ? "codex-0.169" : "seed";
}

/** The dialect to speak: the requested one, or the detected one for `auto`. */
export function resolveDialect(choice: DialectChoice, initializeResult: unknown): ClientDialect {
  return choice === "auto" ? dialectOfInitializeResult(initializeResult) : choice;
}

/**
 * Rewrites the path members of `method`'s params (located by the OpenRPC document's `x-path`
 * members) for `dialect`: for `codex-0.169` plain absolute paths become `file:` URIs; for `seed`
 * `file:` URIs become plain paths (a URI that names no path here is left for the server to refuse).
 * Unknown methods and other members are left as they are.
 */
export function paramsForDialect(method: string, params: unknown, dialect: ClientDialect): unknown {
  const descriptor = methodDescriptors.find((candidate) => candidate.name === method);
  if (descriptor === undefined || descriptor.paths.params.length === 0) return params;
  return mapPathMembers(descriptor.paths.params, params, (text) => {
    if (dialect === "codex-0.169") return text.startsWith("/") ? encodePathUri(text) : text;
    if (!/^file:/i.test(text)) return text;
    try {
      return decodePathUri(text);
    } catch {
      return text;
    }
  });
}
