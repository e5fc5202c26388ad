/** Emits `types.ts`: component types, params/result/notification types and `MethodMap`. */
import type { MethodModel, SpecModel } from "./model.js";
import { outPath } from "./paths.js";
import { Printer, type OutputFile } from "./printer.js";
import { isInterfaceLike, objectMembers, renderMembers, schemaDoc, schemaToTs, type MemberSpec } from "./schema-to-ts.js";

const sameFile = (name: string): string => name;

function declare(p: Printer, name: string, schema: import("./model.js").Schema, doc: string[]): void {
  p.jsdoc(doc);
  if (isInterfaceLike(schema)) {
    const lines = renderMembers(objectMembers(schema), 1, sameFile);
    const extra = schema["additionalProperties"];
    if (typeof extra === "object" && extra !== null) lines.push("  [key: string]: unknown;");
    p.print(`export interface ${name} {`, ...lines, "}", "");
  } else {
    p.print(`export type ${name} = ${schemaToTs(schema, sameFile, 0)};`, "");
  }
}

function directionWord(m: MethodModel): string {
  return m.direction === "request" ? "Params of" : m.direction === "client-notification" ? "Client notification" : "Server notification";
}

/** Emits `types.ts`. */
export function emitTypes(model: SpecModel, specPath: string): OutputFile {
  const p = new Printer(outPath("types.ts"), specPath);
  for (const { name, schema } of model.schemas) {
    declare(p, name, schema, [...schemaDoc(schema), `Spec node: #/components/schemas/${name}`]);
  }
  for (const m of model.methods) {
    const head = `${directionWord(m)} \`${m.name}\`${m.summary === "" ? "." : `: ${m.summary}`}`;
    p.jsdoc([head, `Spec node: methods[${m.name}].params`]);
    if (m.params.length === 0) {
      p.print(`export type ${m.paramsTypeName} = Record<string, never>;`, "");
    } else {
      const members: MemberSpec[] = m.params.map((param) => ({
        name: param.name,
        required: param.required,
        schema: param.schema,
        doc: schemaDoc(param.schema, param.description),
      }));
      p.print(`export interface ${m.paramsTypeName} {`, ...renderMembers(members, 1, sameFile), "}", "");
    }
    if (m.result !== undefined && m.resultTypeName !== undefined) {
      declare(p, m.resultTypeName, m.result, [
        `Result of \`${m.name}\`.${m.resultDescription === undefined ? "" : ` ${m.resultDescription}`}`,
        `Spec node: methods[${m.name}].result`,
      ]);
    }
  }
  p.jsdoc(["Every method of the document: params, result and direction (`x-direction`).", "Spec node: #/methods"]);
  p.print("export type MethodMap = {");
  for (const m of model.methods) {
    p.jsdoc(m.summary === "" ? [] : [m.summary], "  ");
    p.print(`  ${JSON.stringify(m.name)}: { params: ${m.paramsTypeName}; result: ${m.resultTypeName ?? "void"}; direction: ${JSON.stringify(m.direction)} };`);
  }
  p.print("};", "");
  const names = (direction: MethodModel["direction"]): string => {
    const list = model.methods.filter((m) => m.direction === direction).map((m) => JSON.stringify(m.name));
    return list.length === 0 ? "never" : list.join(" | ");
  };
  p.jsdoc(["Wire name of any method or notification.", "Spec node: #/methods"]);
  p.print("export type MethodName = keyof MethodMap;", "");
  p.jsdoc(["Methods with `x-direction: request`.", "Spec node: #/methods"]);
  p.print(`export type RequestMethodName = ${names("request")};`, "");
  p.jsdoc(["Methods with `x-direction: client-notification`.", "Spec node: #/methods"]);
  p.print(`export type ClientNotificationName = ${names("client-notification")};`, "");
  p.jsdoc(["Methods with `x-direction: server-notification`.", "Spec node: #/methods"]);
  p.print(`export type ServerNotificationName = ${names("server-notification")};`);
  return p.render();
}
