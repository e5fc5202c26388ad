/**
 * JSON Schema → TypeScript type expressions, for the subset the document uses: `$ref` to
 * `#/components/schemas/*`, `type` (single or array), `enum`, `const`, `anyOf`/`oneOf`, objects
 * (`properties`, `required`, `additionalProperties`) and arrays (`items`).
 */
import { escapeJsDoc } from "./printer.js";
import type { Schema } from "./model.js";

const INDENT = "  ";

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** A property key as written in a type literal (quoted unless a plain identifier). */
export function propertyKey(name: string): string {
  return /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(name) ? name : JSON.stringify(name);
}

function union(parts: string[]): string {
  const unique = [...new Set(parts)];
  if (unique.includes("unknown")) return "unknown";
  return unique.length === 0 ? "never" : unique.join(" | ");
}

function needsParens(type: string): boolean {
  return /[|&]/.test(type.replace(/\{[\s\S]*\}/g, "{}").replace(/<[^>]*>/g, "<>"));
}

/** JSDoc text for a schema node: its description plus its default. */
export function schemaDoc(schema: Schema, description?: string): string[] {
  const lines: string[] = [];
  const text = description ?? (isObject(schema) && typeof schema["description"] === "string" ? schema["description"] : undefined);
  if (text !== undefined) lines.push(text);
  if (isObject(schema) && Object.hasOwn(schema, "default")) lines.push(`Default: \`${JSON.stringify(schema["default"])}\`.`);
  return lines;
}

/** Renders a JSDoc block (possibly empty) at `indent`. */
export function renderJsDoc(lines: readonly string[], indent: string): string[] {
  const all = lines.flatMap((l) => l.split("\n")).map(escapeJsDoc);
  if (all.length === 0) return [];
  if (all.length === 1) return [`${indent}/** ${all[0]} */`];
  return [`${indent}/**`, ...all.map((l) => (l === "" ? `${indent} *` : `${indent} * ${l}`)), `${indent} */`];
}

/** One member of an object type. */
export interface MemberSpec {
  name: string;
  required: boolean;
  schema: Schema;
  doc: string[];
}

/** The body lines (between braces) for object members, at `depth`. */
export function renderMembers(members: readonly MemberSpec[], depth: number, refName: (name: string) => string): string[] {
  const indent = INDENT.repeat(depth);
  const lines: string[] = [];
  for (const m of members) {
    lines.push(...renderJsDoc(m.doc, indent));
    lines.push(`${indent}${propertyKey(m.name)}${m.required ? "" : "?"}: ${schemaToTs(m.schema, refName, depth)};`);
  }
  return lines;
}

/** Members of an object schema (properties with their docs). */
export function objectMembers(schema: Record<string, unknown>): MemberSpec[] {
  const properties = isObject(schema["properties"]) ? schema["properties"] : {};
  const required = new Set(Array.isArray(schema["required"]) ? (schema["required"] as string[]) : []);
  return Object.entries(properties).map(([name, sub]) => ({
    name,
    required: required.has(name),
    schema: sub as Schema,
    doc: schemaDoc(sub as Schema),
  }));
}

/** True when the schema is an object with declared properties (rendered as an interface). */
export function isInterfaceLike(schema: Schema): schema is Record<string, unknown> {
  return isObject(schema) && schema["type"] === "object" && isObject(schema["properties"]) && Object.keys(schema["properties"]).length > 0;
}

function objectType(schema: Record<string, unknown>, refName: (name: string) => string, depth: number): string {
  const members = objectMembers(schema);
  const extra = schema["additionalProperties"];
  if (members.length === 0) {
    if (extra === false) return "Record<string, never>";
    if (isObject(extra)) return `{ [key: string]: ${schemaToTs(extra as Schema, refName, depth)} }`;
    return "{ [key: string]: unknown }";
  }
  const lines = renderMembers(members, depth + 1, refName);
  if (isObject(extra)) lines.push(`${INDENT.repeat(depth + 1)}[key: string]: unknown;`);
  return `{\n${lines.join("\n")}\n${INDENT.repeat(depth)}}`;
}

function typeKeyword(type: string, schema: Record<string, unknown>, refName: (name: string) => string, depth: number): string {
  switch (type) {
    case "string":
      return "string";
    case "integer":
    case "number":
      return "number";
    case "boolean":
      return "boolean";
    case "null":
      return "null";
    case "array": {
      const items = schema["items"];
      if (items === undefined) return "unknown[]";
      const inner = schemaToTs(items as Schema, refName, depth);
      return needsParens(inner) || inner.includes("\n") ? `Array<${inner}>` : `${inner}[]`;
    }
    case "object":
      return objectType(schema, refName, depth);
    default:
      throw new Error(`unsupported JSON Schema type ${JSON.stringify(type)}`);
  }
}

/**
 * The TypeScript type for `schema`. `refName` maps a component schema name to the local type name
 * (and records the dependency); `depth` is the indentation level of the line the type starts on.
 */
export function schemaToTs(schema: Schema, refName: (name: string) => string, depth = 0): string {
  if (schema === true) return "unknown";
  if (schema === false) return "never";
  const ref = schema["$ref"];
  if (typeof ref === "string") {
    const match = /^#\/components\/schemas\/(.+)$/.exec(ref);
    if (match === null) throw new Error(`unsupported $ref ${ref}`);
    return refName(match[1]!);
  }
  if (Object.hasOwn(schema, "const")) return JSON.stringify(schema["const"]);
  if (Array.isArray(schema["enum"])) return union((schema["enum"] as unknown[]).map((v) => JSON.stringify(v)));
  const alternatives = (schema["anyOf"] ?? schema["oneOf"]) as Schema[] | undefined;
  if (Array.isArray(alternatives)) return union(alternatives.map((alt) => schemaToTs(alt, refName, depth)));
  const type = schema["type"];
  if (Array.isArray(type)) return union((type as string[]).map((t) => typeKeyword(t, schema, refName, depth)));
  if (typeof type === "string") return typeKeyword(type, schema, refName, depth);
  if (isObject(schema["properties"])) return objectType(schema, refName, depth);
  return "unknown";
}
