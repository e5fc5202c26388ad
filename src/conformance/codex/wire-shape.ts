/**
 * A tiny structural schema for the codex 0.169 wire shapes (UPSTREAM-0.169.md §2, §4), checked on
 * raw JSON. Deliberately independent of this project's generated types and validators: the suite
 * judges a dialect, not our own schema.
 *
 * Rules, as the Rust (serde) peer reads them:
 * - a `required` member must be present with the right type;
 * - a `nullable` member is required but may be `null`; when it is absent serde reads `None` too, so
 *   absence is tolerated and reported (`optionalFields=absent-for-nullable`);
 * - an `optional` member may be absent or `null`;
 * - members the shape does not list are ignored by serde, so they are tolerated and reported
 *   (`extraMembers=<where>.<member>`), unless the object shape gives a type for extra members.
 */

import type { ToleratedVariant } from "../wire-judge.js";

/** A shape node. Build them with the helpers below. */
export type Shape =
  | { readonly kind: "string"; readonly nonEmpty?: boolean }
  | { readonly kind: "boolean" }
  | { readonly kind: "integer"; readonly min?: number }
  | { readonly kind: "base64" }
  | { readonly kind: "fileUri" }
  | { readonly kind: "uuid" }
  | { readonly kind: "enum"; readonly values: readonly string[] }
  | { readonly kind: "nullable"; readonly inner: Shape }
  | { readonly kind: "optional"; readonly inner: Shape }
  | { readonly kind: "array"; readonly items: Shape }
  | { readonly kind: "object"; readonly members: Readonly<Record<string, Shape>>; readonly extra?: Shape }
  | { readonly kind: "any" };

/** A JSON string (`nonEmpty`: at least one character). */
export const str = (nonEmpty = false): Shape => ({ kind: "string", nonEmpty });
/** A JSON boolean. */
export const bool: Shape = { kind: "boolean" };
/** A JSON integer (i64/i32). */
export const int: Shape = { kind: "integer" };
/** A non-negative JSON integer (u64/usize/u16). */
export const uint: Shape = { kind: "integer", min: 0 };
/** Standard base64 with padding. */
export const base64: Shape = { kind: "base64" };
/** A `file:` URI in canonical (WHATWG-serialised) form (§3). */
export const fileUri: Shape = { kind: "fileUri" };
/** A UUID string. */
export const uuid: Shape = { kind: "uuid" };
/** Any JSON value. */
export const anyValue: Shape = { kind: "any" };
/** One of the listed strings. */
export const oneOf = (...values: string[]): Shape => ({ kind: "enum", values });
/** Required member whose value may be `null`. */
export const nullable = (inner: Shape): Shape => ({ kind: "nullable", inner });
/** Member that may be absent (or `null`). */
export const optional = (inner: Shape): Shape => ({ kind: "optional", inner });
/** A JSON array of `items`. */
export const arrayOf = (items: Shape): Shape => ({ kind: "array", items });
/** A JSON object with these members (others tolerated and reported). */
export const obj = (members: Record<string, Shape>): Shape => ({ kind: "object", members });
/** A JSON object whose every member has shape `values` (e.g. capability flags). */
export const recordOf = (values: Shape): Shape => ({ kind: "object", members: {}, extra: values });

/** What {@link checkShape} found. */
export interface ShapeReport {
  /** Violations, each naming the JSON path (`process/read.chunks[0].seq must be ...`). */
  readonly problems: readonly string[];
  /** Tolerated variants seen (absent nullable members, extra members). */
  readonly tolerated: readonly ToleratedVariant[];
}

const BASE64 = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;
/** Longest JSON quoted in a problem, in characters. */
const MAX_QUOTE = 80;

function quote(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_QUOTE ? `${text.slice(0, MAX_QUOTE - 1)}…` : text;
}

/**
 * Why `value` is not a canonical `file:` URI, or undefined when it is one: `file:` scheme, no
 * query or fragment, and equal to its own WHATWG serialisation (so spaces, `%`, `#`, `?` and
 * non-ASCII bytes are percent-encoded, as upstream emits them).
 */
export function fileUriProblem(value: unknown): string | undefined {
  if (typeof value !== "string") return `must be a file: URI string, got ${quote(value)}`;
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return `must be a file: URI, got ${quote(value)} (not a URL)`;
  }
  if (url.protocol !== "file:") return `must be a file: URI, got ${quote(value)}`;
  if (url.search !== "" || url.hash !== "") return `must be a file: URI without query or fragment, got ${quote(value)}`;
  if (url.href !== value) return `must be a canonical file: URI (${quote(url.href)}), got ${quote(value)}`;
  return undefined;
}

/** Checks `value` against `shape`; `where` names the root in problems (e.g. `process/read`). */
export function checkShape(shape: Shape, value: unknown, where: string): ShapeReport {
  const problems: string[] = [];
  const tolerated: ToleratedVariant[] = [];
  visit(shape, value, where, problems, tolerated);
  return { problems, tolerated };
}

function visit(shape: Shape, value: unknown, path: string, problems: string[], tolerated: ToleratedVariant[]): void {
  switch (shape.kind) {
    case "any":
      return;
    case "string":
      if (typeof value !== "string") problems.push(`${path} must be a string, got ${quote(value)}`);
      else if (shape.nonEmpty === true && value === "") problems.push(`${path} must not be empty`);
      return;
    case "boolean":
      if (typeof value !== "boolean") problems.push(`${path} must be a boolean, got ${quote(value)}`);
      return;
    case "integer":
      if (typeof value !== "number" || !Number.isInteger(value)) problems.push(`${path} must be an integer, got ${quote(value)}`);
      else if (shape.min !== undefined && value < shape.min) problems.push(`${path} must be >= ${shape.min}, got ${value}`);
      return;
    case "base64":
      if (typeof value !== "string" || !BASE64.test(value)) problems.push(`${path} must be padded standard base64, got ${quote(value)}`);
      return;
    case "fileUri": {
      const problem = fileUriProblem(value);
      if (problem !== undefined) problems.push(`${path} ${problem}`);
      return;
    }
    case "uuid":
      if (typeof value !== "string" || !UUID.test(value)) problems.push(`${path} must be a UUID, got ${quote(value)}`);
      return;
    case "enum":
      if (typeof value !== "string" || !shape.values.includes(value)) problems.push(`${path} must be one of ${shape.values.join(", ")}, got ${quote(value)}`);
      return;
    case "nullable":
    case "optional":
      if (value !== null && value !== undefined) visit(shape.inner, value, path, problems, tolerated);
      return;
    case "array":
      if (!Array.isArray(value)) {
        problems.push(`${path} must be an array, got ${quote(value)}`);
        return;
      }
      value.forEach((item, index) => visit(shape.items, item, `${path}[${index}]`, problems, tolerated));
      return;
    case "object": {
      if (typeof value !== "object" || value === null || Array.isArray(value)) {
        problems.push(`${path} must be an object, got ${quote(value)}`);
        return;
      }
      const record = value as Record<string, unknown>;
      for (const [name, member] of Object.entries(shape.members)) {
        if (Object.hasOwn(record, name)) {
          visit(member, record[name], `${path}.${name}`, problems, tolerated);
        } else if (member.kind === "nullable") {
          tolerated.push(["optionalFields", "absent-for-nullable"]);
        } else if (member.kind !== "optional") {
          problems.push(`${path}.${name} is required`);
        }
      }
      for (const [name, member] of Object.entries(record)) {
        if (Object.hasOwn(shape.members, name)) continue;
        if (shape.extra !== undefined) visit(shape.extra, member, `${path}.${name}`, problems, tolerated);
        else tolerated.push(["extraMembers", `${path.replace(/\[\d+\]/g, "[]")}.${name}`]);
      }
      return;
    }
  }
}
