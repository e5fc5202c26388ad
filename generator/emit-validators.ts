/**
 * Emits `validators-compiled.ts` (ajv 8 standalone ESM code, so nothing is compiled at start-up)
 * and `validators.ts` (the typed wrapper: `validateParams`, `validateResult`, `validateNotification`).
 */
import { Ajv } from "ajv";
import standaloneModule from "ajv/dist/standalone/index.js";
import type { MethodModel, Schema, SpecModel } from "./model.js";
import { PATH_KEYWORD, SpecError, paramsObjectSchema } from "./model.js";
import { outPath, runtimeModule } from "./paths.js";
import { Printer, type OutputFile } from "./printer.js";

/** The ajv options the validators are compiled with (first error only; offending value kept). */
export const AJV_OPTIONS = {
  code: { source: true, esm: true, lines: true },
  strict: true,
  allowUnionTypes: true,
  allErrors: false,
  verbose: true,
  // Component schemas become shared functions instead of being inlined into every method.
  inlineRefs: false,
  // Tagged unions (`oneOf` + `discriminator: {propertyName}`) validate only the branch their tag
  // names, so errors describe that branch (or name the tag when no branch has it).
  discriminator: true,
} as const;

/** The ajv key (and `$ref`) of component schema `name`. */
function componentKey(name: string): string {
  return `components.${name}`;
}

/**
 * Rewrites `#/components/schemas/X` references to {@link componentKey} (a deep copy).
 *
 * Why each component is its own ajv schema: a reference into a fragment of a shared schema
 * (`components#/definitions/X`) is compiled once per method that reaches it, so a component used by
 * eleven methods (the sandbox context) was emitted eleven times; a reference to a schema of its own
 * compiles to one shared function.
 */
function rewriteRefs(schema: unknown): unknown {
  if (Array.isArray(schema)) return schema.map((item) => rewriteRefs(item));
  if (typeof schema !== "object" || schema === null) return schema;
  return Object.fromEntries(
    Object.entries(schema).map(([key, value]) => [
      key,
      key === "$ref" && typeof value === "string" && value.startsWith("#/components/schemas/")
        ? componentKey(value.slice("#/components/schemas/".length))
        : rewriteRefs(value),
    ]),
  );
}

type StandaloneCode = (ajv: Ajv, refsOrFunc?: Record<string, string>) => string;
// ajv's standalone module is CommonJS with `exports.default`; under ESM the default import is the
// module object, under bundlers the function itself.
const standaloneCode: StandaloneCode = ((standaloneModule as unknown as { default?: StandaloneCode }).default ??
  standaloneModule) as unknown as StandaloneCode;

function validatorName(typeName: string): string {
  return `validate${typeName}`;
}

/** Standalone validator code for `schemas` (export name → schema), with `require`s turned into imports. */
export function compileStandalone(
  components: ReadonlyArray<{ name: string; schema: Schema }>,
  schemas: ReadonlyArray<{ exportName: string; schema: Schema; where: string }>,
  specPath: string,
): OutputFile {
  const ajv = new Ajv(AJV_OPTIONS);
  // Annotations of the document's own: ajv's strict mode would refuse them as unknown keywords.
  ajv.addVocabulary([PATH_KEYWORD]);
  try {
    for (const c of components) ajv.addSchema(rewriteRefs(c.schema) as object, componentKey(c.name));
  } catch (error) {
    throw new SpecError(`components.schemas: schemas do not compile: ${error instanceof Error ? error.message : String(error)}`);
  }
  const mapping: Record<string, string> = {};
  for (const { exportName, schema, where } of schemas) {
    try {
      ajv.addSchema(rewriteRefs(schema) as object, exportName);
      ajv.getSchema(exportName);
    } catch (error) {
      throw new SpecError(`${where}: schema does not compile: ${error instanceof Error ? error.message : String(error)}`);
    }
    mapping[exportName] = exportName;
  }
  let code = standaloneCode(ajv, mapping);
  const p = new Printer(outPath("validators-compiled.ts"), specPath, [
    "// @ts-nocheck -- ajv standalone output (JavaScript); typed by validators.ts",
    "/* eslint-disable */",
  ]);
  const runtime = new Map<string, string>();
  code = code.replace(/require\("([^"]+)"\)/g, (_all: string, module: string) => {
    let alias = runtime.get(module);
    if (alias === undefined) {
      alias = `ajvRuntime${runtime.size}`;
      runtime.set(module, alias);
      p.importDefault(module.endsWith(".js") ? module : `${module}.js`, alias);
    }
    return alias;
  });
  code = code.replace(/^"use strict";\s*/, "");
  p.print(...code.split("\n").map((line) => line.trimEnd()));
  return p.render();
}

function paramsEntries(methods: readonly MethodModel[]): Array<{ exportName: string; schema: Schema; where: string }> {
  return methods.map((m) => ({ exportName: validatorName(m.paramsTypeName), schema: paramsObjectSchema(m.params, m.paramsClosed), where: `method ${m.name} params` }));
}

function resultEntries(methods: readonly MethodModel[]): Array<{ exportName: string; schema: Schema; where: string }> {
  return methods.flatMap((m) =>
    m.result === undefined || m.resultTypeName === undefined
      ? []
      : [{ exportName: validatorName(m.resultTypeName), schema: m.result, where: `method ${m.name} result` }],
  );
}

/** Emits both validator files. */
export function emitValidators(model: SpecModel, specPath: string): OutputFile[] {
  const compiled = compileStandalone(model.schemas, [...paramsEntries(model.methods), ...resultEntries(model.methods)], specPath);
  const p = new Printer(outPath("validators.ts"), specPath);
  const runValidator = p.importValue(runtimeModule("validation"), "runValidator");
  const CompiledValidator = p.importType(runtimeModule("validation"), "CompiledValidator");
  const ValidationResult = p.importType(runtimeModule("validation"), "ValidationResult");
  p.importNamespace("./validators-compiled.js", "compiled");

  const table = (name: string, doc: string, entries: Array<[string, string]>): void => {
    p.jsdoc([doc, "Spec node: #/methods"]);
    p.print(`const ${name}: ReadonlyMap<string, ${CompiledValidator}> = new Map<string, ${CompiledValidator}>([`);
    for (const [method, fn] of entries) p.print(`  [${JSON.stringify(method)}, compiled.${fn} as ${CompiledValidator}],`);
    p.print("]);", "");
  };
  table("paramsValidators", "Params validators keyed by method name (requests and notifications).", model.methods.map((m) => [m.name, validatorName(m.paramsTypeName)]));
  table(
    "resultValidators",
    "Result validators keyed by request method name.",
    model.methods.flatMap((m): Array<[string, string]> => (m.resultTypeName === undefined ? [] : [[m.name, validatorName(m.resultTypeName)]])),
  );
  const notifications = model.methods.filter((m) => m.direction !== "request").map((m) => m.name);
  p.jsdoc(["Names of the notifications (both directions).", "Spec node: #/methods"]);
  p.print(`const notificationNames: ReadonlySet<string> = new Set([${notifications.map((n) => JSON.stringify(n)).join(", ")}]);`, "");

  p.jsdoc([
    "Validates the params of any method or notification. Omitted params (`null`/`undefined`) are checked as `{}`.",
    "Failure messages name the field: `invalid params for process/start: argv must not be empty`.",
    "Spec node: methods[*].params",
  ]);
  p.print(
    `export function validateParams(method: string, value: unknown): ${ValidationResult} {`,
    "  const validator = paramsValidators.get(method);",
    "  if (validator === undefined) return { ok: false, message: `method not found: ${method}` };",
    `  return ${runValidator}(validator, value ?? {}, \`invalid params for \${method}\`, "params");`,
    "}",
    "",
  );
  p.jsdoc(["Validates the result of a request method (`invalid result for fs/readFile: dataBase64 is required`).", "Spec node: methods[*].result"]);
  p.print(
    `export function validateResult(method: string, value: unknown): ${ValidationResult} {`,
    "  const validator = resultValidators.get(method);",
    "  if (validator === undefined) return { ok: false, message: `no result schema for ${method}` };",
    `  return ${runValidator}(validator, value, \`invalid result for \${method}\`, "result");`,
    "}",
    "",
  );
  p.jsdoc(["Validates a notification's params (`invalid notification process/output: seq is required`).", "Spec node: methods[*].params"]);
  p.print(
    `export function validateNotification(method: string, params: unknown): ${ValidationResult} {`,
    "  const validator = paramsValidators.get(method);",
    "  if (validator === undefined || !notificationNames.has(method)) return { ok: false, message: `unknown notification ${method}` };",
    `  return ${runValidator}(validator, params ?? {}, \`invalid notification \${method}\`, "params");`,
    "}",
  );
  return [compiled, p.render()];
}
