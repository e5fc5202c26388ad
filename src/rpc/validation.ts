/**
 * Turns the errors of an ajv standalone validator into one human-readable message naming the field.
 * Used by the generated `validators.ts`; kept here so the formatting is hand-written and testable.
 */

/** Outcome of validating a value against a method's schema. */
export type ValidationResult = { ok: true } | { ok: false; message: string };

/** The subset of an ajv `ErrorObject` the formatter reads. */
export interface SchemaError {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
  /** Present when the validator was compiled with `verbose: true`. */
  data?: unknown;
  /** The schema holding the failing keyword (present with `verbose: true`). */
  parentSchema?: unknown;
}

/** True when the failing schema is a path string (`x-path`, the document's `PathUri`). */
function isPathSchema(error: SchemaError): boolean {
  const parent = error.parentSchema;
  return typeof parent === "object" && parent !== null && (parent as Record<string, unknown>)["x-path"] === true;
}

/** A compiled (standalone) ajv validator. */
export type CompiledValidator = ((data: unknown) => boolean) & { errors?: SchemaError[] | null };

/** Longest JSON preview of an offending value in a message, in characters. */
const MAX_VALUE_PREVIEW = 60;

/** `/envPolicy/exclude/0` → `envPolicy.exclude[0]`; the root is called `root` (`params`, `result`). */
export function formatInstancePath(instancePath: string, root: string): string {
  if (instancePath === "") return root;
  let out = "";
  for (const raw of instancePath.slice(1).split("/")) {
    const segment = raw.replaceAll("~1", "/").replaceAll("~0", "~");
    if (/^\d+$/.test(segment)) out += `[${segment}]`;
    else if (/^[A-Za-z_$][\w$]*$/.test(segment)) out += out === "" ? segment : `.${segment}`;
    else out += `[${JSON.stringify(segment)}]`;
  }
  return out.startsWith("[") ? `${root}${out}` : out;
}

function preview(value: unknown): string {
  const text = JSON.stringify(value) ?? String(value);
  return text.length > MAX_VALUE_PREVIEW ? `${text.slice(0, MAX_VALUE_PREVIEW - 1)}…` : text;
}

/** The tag values (`properties[tag].const`) of the branches of a discriminated `oneOf`. */
function tagValues(schema: unknown, tag: string): unknown[] {
  if (typeof schema !== "object" || schema === null) return [];
  const branches = (schema as { oneOf?: unknown }).oneOf;
  if (!Array.isArray(branches)) return [];
  return branches.flatMap((branch: unknown) => {
    const property = (branch as { properties?: Record<string, { const?: unknown }> } | null)?.properties?.[tag];
    return property !== undefined && Object.hasOwn(property, "const") ? [property.const] : [];
  });
}

function child(path: string, root: string, name: string): string {
  return path === root ? name : `${path}.${name}`;
}

/** One sentence for one schema error, naming the field (`argv must not be empty`). */
export function describeSchemaError(error: SchemaError, root: string): string {
  const path = formatInstancePath(error.instancePath, root);
  const got = Object.hasOwn(error, "data") ? ` (got ${preview(error.data)})` : "";
  const p = error.params;
  switch (error.keyword) {
    case "required":
      return `${child(path, root, String(p["missingProperty"]))} is required`;
    case "additionalProperties":
      return `${child(path, root, String(p["additionalProperty"]))} is not an allowed member${path === root ? "" : ` of ${path}`}`;
    case "minItems":
      return p["limit"] === 1 ? `${path} must not be empty` : `${path} must have at least ${String(p["limit"])} items`;
    case "minLength":
      return p["limit"] === 1 ? `${path} must not be empty` : `${path} must be at least ${String(p["limit"])} characters`;
    case "pattern":
      // A path member is a plain absolute path or a URI (with a scheme); anything else is the
      // relative path of the seed dialect, so the seed's message stays.
      return p["pattern"] === "^/" || isPathSchema(error) ? `${path} must be an absolute path${got}` : `${path} must match pattern ${JSON.stringify(p["pattern"])}${got}`;
    case "enum":
      return `${path} must be one of ${(p["allowedValues"] as unknown[] | undefined)?.map((v) => JSON.stringify(v)).join(", ") ?? "the allowed values"}${got}`;
    case "type":
      return `${path} must be ${String(p["type"]).split(",").join(" or ")}${got}`;
    case "discriminator": {
      // A tagged union (`oneOf` + `discriminator`) whose tag names no branch, or is missing.
      const tag = String(p["tag"]);
      const tagged = typeof error.data === "object" && error.data !== null ? (error.data as Record<string, unknown>)[tag] : undefined;
      const allowed = tagValues(error.parentSchema, tag);
      const choice = allowed.length > 0 ? `one of ${allowed.map((v) => JSON.stringify(v)).join(", ")}` : "a known variant";
      return `${child(path, root, tag)} must be ${choice}${tagged === undefined ? "" : ` (got ${preview(tagged)})`}`;
    }
    default:
      return `${path} ${error.message ?? `fails ${error.keyword}`}${got}`;
  }
}

/**
 * Picks the error worth reporting. Validators are compiled without `allErrors`, so there is one
 * error unless an `anyOf` failed: then the branch that got deepest into the value explains best
 * (`sandbox.type must be one of ...` rather than `sandbox.sandboxPolicy is required`).
 */
export function pickSchemaError(errors: readonly SchemaError[]): SchemaError | undefined {
  const branches = errors.filter((e) => e.keyword !== "anyOf" && e.keyword !== "oneOf");
  if (branches.length === errors.length) return errors[0];
  let best: SchemaError | undefined;
  for (const e of branches) {
    if (best === undefined || e.instancePath.length > best.instancePath.length || (e.instancePath.length === best.instancePath.length && best.keyword === "type" && e.keyword !== "type")) {
      best = e;
    }
  }
  return best ?? errors[0];
}

/**
 * Runs `validator` on `value`; on failure the message is `<prefix>: <field sentence>`.
 */
export function runValidator(validator: CompiledValidator, value: unknown, prefix: string, root: string): ValidationResult {
  if (validator(value)) return { ok: true };
  const first = pickSchemaError(validator.errors ?? []);
  const detail = first === undefined ? `${root} is invalid` : describeSchemaError(first, root);
  return { ok: false, message: `${prefix}: ${detail}` };
}
