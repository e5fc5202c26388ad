/**
 * Reads a parsed OpenRPC document into the generator's model: validated with
 * `@open-rpc/schema-utils-js`, dereferenced (on a clone — `dereferenceDocument` mutates its input),
 * and checked for the project's own conventions (`x-direction`, by-name params, unique type names).
 */
import { dereferenceDocument, validateOpenRPCDocument } from "@open-rpc/schema-utils-js";
import type { Direction, MethodSince, PathMember } from "../src/rpc/method-descriptor.js";

/** A JSON Schema as found in the document (loosely typed on purpose). */
export type Schema = boolean | { [key: string]: unknown };

/** An error in the input document; the message names the problem. */
export class SpecError extends Error {
  override readonly name = "SpecError";
}

/** One by-name param (a content descriptor). */
export interface ParamModel {
  name: string;
  required: boolean;
  description: string | undefined;
  /** The schema as written (may be a `$ref` to `#/components/schemas/...`). */
  schema: Schema;
}

/** One method of the document. */
export interface MethodModel {
  name: string;
  direction: Direction;
  family: string;
  summary: string;
  description: string | undefined;
  paramsClosed: boolean;
  params: ParamModel[];
  /** Result schema as written; undefined for notifications. */
  result: Schema | undefined;
  resultDescription: string | undefined;
  /** `ProcessStart` for `process/start`. */
  baseName: string;
  /** `ProcessStartParams`, or `ProcessOutputNotification` for notifications. */
  paramsTypeName: string;
  /** `ProcessStartResult`; undefined for notifications. */
  resultTypeName: string | undefined;
  /** Dereferenced JSON Schema of the whole params object. */
  paramsSchema: Schema;
  /** Dereferenced result schema; undefined for notifications. */
  resultSchema: Schema | undefined;
  /** Client accessor: `["process", "start"]`, or `["initialize"]` at top level. */
  clientPath: string[];
  /** `x-since` (default `seed`). */
  since: MethodSince;
  /** Path members of the params object (see `findPathMembers`). */
  paramPaths: PathMember[];
  /** Path members of the result (empty for notifications). */
  resultPaths: PathMember[];
}

/** The whole document, ready for the emitters. */
export interface SpecModel {
  /** The document exactly as given (served by `rpc.discover`). */
  document: Record<string, unknown>;
  /** `components.schemas` as written, in document order. */
  schemas: Array<{ name: string; schema: Schema }>;
  methods: MethodModel[];
}

const DIRECTIONS: readonly Direction[] = ["request", "client-notification", "server-notification"];
const SINCE: readonly MethodSince[] = ["seed", "codex-0.169"];
/** Schema annotation marking a path string (the edge codec decodes and encodes it). */
export const PATH_KEYWORD = "x-path";
/** Content-descriptor annotation overriding the error for a URI naming no path on this host. */
const FOREIGN_ERROR_KEYWORD = "x-path-foreign-error";
/** Step names meaning "every array item" and "every record value" (see `PathStep`). */
const ITEMS_STEP = "[]";
const VALUES_STEP = "{}";
const SCHEMA_REF = /^#\/components\/schemas\/([A-Za-z_][A-Za-z0-9_]*)$/;
const DESCRIPTOR_REF = /^#\/components\/contentDescriptors\/(.+)$/;

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

/** `process/start` → `ProcessStart`, `rpc.discover` → `RpcDiscover`, `fs/readFile` → `FsReadFile`. */
export function pascalCase(name: string): string {
  return name
    .split(/[^A-Za-z0-9]+/)
    .filter((part) => part !== "")
    .map((part) => part[0]!.toUpperCase() + part.slice(1))
    .join("");
}

function camelCase(name: string): string {
  const pascal = pascalCase(name);
  return pascal === "" ? pascal : pascal[0]!.toLowerCase() + pascal.slice(1);
}

/** The family used in ordering errors (`client must call initialize before using <family> methods`). */
export function familyOf(name: string): string {
  const slash = name.indexOf("/");
  if (slash > 0) return name.slice(0, slash);
  if (name.startsWith("rpc.")) return "rpc";
  return "lifecycle";
}

function clientPathOf(name: string): string[] {
  const match = /^([^/.]+)[/.](.+)$/.exec(name);
  return match === null ? [camelCase(name)] : [camelCase(match[1]!), camelCase(match[2]!)];
}

/**
 * Summarises schema-utils' validation error (a JSON dump of ajv 6 errors) as the deepest error, which
 * names the offending node (`methods[0].params should be array`); the others are mostly `oneOf`
 * noise from the `$ref` alternative.
 */
function describeMetaSchemaErrors(message: string): string {
  try {
    const errors = JSON.parse(message.slice(message.indexOf("["))) as Array<{ dataPath?: string; instancePath?: string; message?: string; params?: unknown }>;
    const path = (e: (typeof errors)[number]): string => (e.dataPath ?? e.instancePath ?? "").replace(/^\./, "");
    const deepest = [...errors].sort((a, b) => path(b).length - path(a).length)[0];
    if (deepest === undefined) return message;
    const where = path(deepest) === "" ? "the document" : path(deepest);
    const more = errors.length > 1 ? ` (and ${errors.length - 1} related error(s))` : "";
    return `${where} ${deepest.message ?? "is invalid"} ${JSON.stringify(deepest.params ?? {})}${more}`;
  } catch {
    // Not the JSON dump this schema-utils version produces: show the raw text rather than lose it.
    return message;
  }
}

function resolveDescriptor(doc: Record<string, unknown>, value: unknown, where: string): Record<string, unknown> {
  if (!isObject(value)) throw new SpecError(`${where}: a param must be a content descriptor object`);
  const ref = value["$ref"];
  if (typeof ref !== "string") return value;
  const match = DESCRIPTOR_REF.exec(ref);
  const components = isObject(doc["components"]) ? doc["components"] : {};
  const table = isObject(components["contentDescriptors"]) ? components["contentDescriptors"] : {};
  const target = match === null ? undefined : table[match[1]!];
  if (!isObject(target)) throw new SpecError(`${where}: unresolvable content descriptor reference ${ref}`);
  return target;
}

function checkSchemaRefs(schema: unknown, known: ReadonlySet<string>, where: string): void {
  if (Array.isArray(schema)) {
    schema.forEach((item) => checkSchemaRefs(item, known, where));
    return;
  }
  if (!isObject(schema)) return;
  const ref = schema["$ref"];
  if (typeof ref === "string") {
    const match = SCHEMA_REF.exec(ref);
    if (match === null || !known.has(match[1]!)) throw new SpecError(`${where}: unresolvable schema reference ${ref}`);
  }
  for (const value of Object.values(schema)) checkSchemaRefs(value, known, where);
}

/**
 * Every location of a path member (a schema with `x-path: true`) inside a dereferenced schema:
 * through `properties`, array `items`, record `additionalProperties` and every branch of
 * `anyOf`/`oneOf`/`allOf`. Locations are de-duplicated, in first-seen order.
 *
 * @throws SpecError when an `x-path` schema is not a string schema, or a member is named `[]`/`{}`.
 */
export function findPathMembers(schema: unknown, where: string, at: readonly string[] = [], out: string[][] = [], stack: unknown[] = []): string[][] {
  if (!isObject(schema) || stack.includes(schema)) return out;
  if (schema[PATH_KEYWORD] !== undefined) {
    if (schema[PATH_KEYWORD] !== true || schema["type"] !== "string") throw new SpecError(`${where}: ${PATH_KEYWORD} must be true on a string schema`);
    if (!out.some((known) => known.length === at.length && known.every((step, i) => step === at[i]))) out.push([...at]);
    return out;
  }
  const inner = [...stack, schema];
  for (const key of ["anyOf", "oneOf", "allOf"]) {
    const branches = schema[key];
    if (Array.isArray(branches)) for (const branch of branches) findPathMembers(branch, where, at, out, inner);
  }
  if (isObject(schema["properties"])) {
    for (const [name, sub] of Object.entries(schema["properties"])) {
      if (name === ITEMS_STEP || name === VALUES_STEP) throw new SpecError(`${where}: a member may not be named ${JSON.stringify(name)}`);
      findPathMembers(sub, where, [...at, name], out, inner);
    }
  }
  if (isObject(schema["items"])) findPathMembers(schema["items"], where, [...at, ITEMS_STEP], out, inner);
  if (isObject(schema["additionalProperties"])) findPathMembers(schema["additionalProperties"], where, [...at, VALUES_STEP], out, inner);
  return out;
}

function foreignErrorOf(cd: Record<string, unknown>, where: string): PathMember["foreignError"] {
  const value = cd[FOREIGN_ERROR_KEYWORD];
  if (value === undefined) return undefined;
  if (!isObject(value) || !Number.isInteger(value["code"]) || typeof value["message"] !== "string") {
    throw new SpecError(`${where}: ${FOREIGN_ERROR_KEYWORD} must be {code: integer, message: string}`);
  }
  return { code: value["code"] as number, message: value["message"] };
}

/** The JSON Schema of a whole by-name params object. */
export function paramsObjectSchema(params: ReadonlyArray<{ name: string; required: boolean; schema: Schema }>, closed: boolean): Schema {
  if (params.length === 0 && !closed) return {};
  const schema: Record<string, unknown> = {
    type: "object",
    properties: Object.fromEntries(params.map((p) => [p.name, p.schema])),
  };
  const required = params.filter((p) => p.required).map((p) => p.name);
  if (required.length > 0) schema["required"] = required;
  if (closed) schema["additionalProperties"] = false;
  return schema;
}

/**
 * Validates and models a parsed OpenRPC document. Throws {@link SpecError} naming the problem.
 * Pure: no I/O (only internal `#/components/...` references are supported).
 */
export async function buildModel(input: unknown): Promise<SpecModel> {
  if (!isObject(input)) throw new SpecError("invalid OpenRPC document: expected a JSON object");
  const document = structuredClone(input);
  if (typeof document["openrpc"] !== "string") throw new SpecError("invalid OpenRPC document: missing string member openrpc");
  let verdict: unknown;
  try {
    verdict = validateOpenRPCDocument(structuredClone(document) as never);
  } catch (error) {
    throw new SpecError(`invalid OpenRPC document: ${error instanceof Error ? error.message : String(error)}`);
  }
  if (verdict !== true) {
    const message = isObject(verdict) && typeof verdict["message"] === "string" ? verdict["message"] : String(verdict);
    throw new SpecError(`invalid OpenRPC document: ${describeMetaSchemaErrors(message)}`);
  }

  const components = isObject(document["components"]) ? document["components"] : {};
  const rawSchemas = isObject(components["schemas"]) ? components["schemas"] : {};
  const schemas = Object.entries(rawSchemas).map(([name, schema]) => ({ name, schema: schema as Schema }));
  const known = new Set(schemas.map((s) => s.name));
  for (const { name, schema } of schemas) checkSchemaRefs(schema, known, `components.schemas.${name}`);

  // Check every method's references before dereferencing, so a dangling $ref is reported by name.
  for (const raw of document["methods"] as unknown[]) {
    if (!isObject(raw)) continue;
    const where = `method ${String(raw["name"])}`;
    for (const [i, p] of (Array.isArray(raw["params"]) ? raw["params"] : []).entries()) {
      const cd = resolveDescriptor(document, p, `${where} params[${i}]`);
      checkSchemaRefs(cd["schema"], known, `${where} param ${String(cd["name"])}`);
    }
    if (isObject(raw["result"])) checkSchemaRefs(resolveDescriptor(document, raw["result"], `${where} result`)["schema"], known, `${where} result`);
  }

  let dereferenced: Record<string, unknown>;
  try {
    dereferenced = (await dereferenceDocument(structuredClone(document) as never)) as unknown as Record<string, unknown>;
  } catch (error) {
    const text = isObject(error) && typeof error["message"] === "string" ? error["message"] : String(error);
    throw new SpecError(`cannot dereference OpenRPC document: ${text}`);
  }

  const rawMethods = document["methods"] as unknown[];
  const derefMethods = dereferenced["methods"] as unknown[];
  const typeNames = new Map<string, string>(schemas.map((s) => [s.name, `components.schemas.${s.name}`]));
  const claim = (typeName: string, owner: string): void => {
    const previous = typeNames.get(typeName);
    if (previous !== undefined) throw new SpecError(`type name ${typeName} of ${owner} collides with ${previous}`);
    typeNames.set(typeName, owner);
  };
  const seen = new Set<string>();
  const methods = rawMethods.map((raw, index): MethodModel => {
    if (!isObject(raw)) throw new SpecError(`methods[${index}] is not an object`);
    const name = String(raw["name"]);
    const where = `method ${name}`;
    if (seen.has(name)) throw new SpecError(`${where}: duplicate method name`);
    seen.add(name);
    const direction = raw["x-direction"];
    if (typeof direction !== "string" || !DIRECTIONS.includes(direction as Direction)) {
      throw new SpecError(`${where}: x-direction must be one of ${DIRECTIONS.map((d) => `"${d}"`).join(", ")}, got ${JSON.stringify(direction)}`);
    }
    const since = raw["x-since"] ?? "seed";
    if (typeof since !== "string" || !SINCE.includes(since as MethodSince)) {
      throw new SpecError(`${where}: x-since must be one of ${SINCE.map((d) => `"${d}"`).join(", ")}, got ${JSON.stringify(since)}`);
    }
    const closed = raw["x-params-closed"] ?? false;
    if (typeof closed !== "boolean") throw new SpecError(`${where}: x-params-closed must be a boolean`);
    const rawParams = raw["params"] as unknown[];
    if (rawParams.length > 0 && raw["paramStructure"] !== "by-name") {
      throw new SpecError(`${where}: paramStructure must be "by-name" (params are sent as one object)`);
    }
    const isRequest = direction === "request";
    if (isRequest && raw["result"] === undefined) throw new SpecError(`${where}: a request needs a result`);
    if (!isRequest && raw["result"] !== undefined) throw new SpecError(`${where}: a notification (${direction}) must not have a result`);

    const foreignErrors = new Map<string, NonNullable<PathMember["foreignError"]>>();
    const params = rawParams.map((p, i): ParamModel => {
      const cd = resolveDescriptor(document, p, `${where} params[${i}]`);
      const foreign = foreignErrorOf(cd, `${where} param ${String(cd["name"])}`);
      if (foreign !== undefined) foreignErrors.set(String(cd["name"]), foreign);
      checkSchemaRefs(cd["schema"], known, `${where} param ${String(cd["name"])}`);
      return {
        name: String(cd["name"]),
        required: cd["required"] === true,
        description: typeof cd["description"] === "string" ? cd["description"] : undefined,
        schema: cd["schema"] as Schema,
      };
    });
    const names = new Set<string>();
    for (const p of params) {
      if (names.has(p.name)) throw new SpecError(`${where}: duplicate param ${p.name}`);
      names.add(p.name);
    }

    const derefRaw = derefMethods[index] as Record<string, unknown>;
    const derefParams = (derefRaw["params"] as Array<Record<string, unknown>>).map((cd) => ({
      name: String(cd["name"]),
      required: cd["required"] === true,
      schema: cd["schema"] as Schema,
    }));
    const resultCd = isObject(raw["result"]) ? resolveDescriptor(document, raw["result"], `${where} result`) : undefined;
    if (resultCd !== undefined) checkSchemaRefs(resultCd["schema"], known, `${where} result`);
    const derefResult = isObject(derefRaw["result"]) ? (derefRaw["result"]["schema"] as Schema) : undefined;
    const paramPaths: PathMember[] = [];
    for (const p of derefParams) {
      for (const at of findPathMembers(p.schema, `${where} param ${p.name}`, [p.name])) {
        const foreign = at.length === 1 ? foreignErrors.get(p.name) : undefined;
        paramPaths.push(foreign === undefined ? { at } : { at, foreignError: foreign });
      }
      if (foreignErrors.has(p.name) && !paramPaths.some((m) => m.at.length === 1 && m.at[0] === p.name)) {
        throw new SpecError(`${where} param ${p.name}: ${FOREIGN_ERROR_KEYWORD} needs the param itself to be a path (x-path)`);
      }
    }
    const resultPaths: PathMember[] = derefResult === undefined ? [] : findPathMembers(derefResult, `${where} result`).map((at) => ({ at }));

    const baseName = pascalCase(name);
    const paramsTypeName = isRequest ? `${baseName}Params` : `${baseName}Notification`;
    const resultTypeName = isRequest ? `${baseName}Result` : undefined;
    claim(paramsTypeName, where);
    if (resultTypeName !== undefined) claim(resultTypeName, where);
    return {
      name,
      direction: direction as Direction,
      family: familyOf(name),
      summary: typeof raw["summary"] === "string" ? raw["summary"] : "",
      description: typeof raw["description"] === "string" ? raw["description"] : undefined,
      paramsClosed: closed,
      params,
      result: resultCd?.["schema"] as Schema | undefined,
      resultDescription: typeof resultCd?.["description"] === "string" ? resultCd["description"] : undefined,
      baseName,
      paramsTypeName,
      resultTypeName,
      paramsSchema: paramsObjectSchema(derefParams, closed),
      resultSchema: derefResult,
      clientPath: clientPathOf(name),
      since: since as MethodSince,
      paramPaths,
      resultPaths,
    };
  });
  return { document, schemas, methods };
}
