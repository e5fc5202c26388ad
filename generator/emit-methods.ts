/** Emits `methods.ts` (descriptor table as data) and `document.ts` (the document as a const). */
import type { PathMember } from "../src/rpc/method-descriptor.js";
import type { SpecModel } from "./model.js";
import { outPath, runtimeModule } from "./paths.js";
import { Printer, type OutputFile } from "./printer.js";

/** A `PathMember[]` literal on one line: `[{ at: ["cwd"] }]`. */
function pathList(members: readonly PathMember[]): string {
  const one = (m: PathMember): string => {
    const at = `at: [${m.at.map((step) => JSON.stringify(step)).join(", ")}]`;
    return m.foreignError === undefined
      ? `{ ${at} }`
      : `{ ${at}, foreignError: { code: ${m.foreignError.code}, message: ${JSON.stringify(m.foreignError.message)} } }`;
  };
  return `[${members.map(one).join(", ")}]`;
}

/** Emits `methods.ts`. */
export function emitMethods(model: SpecModel, specPath: string): OutputFile {
  const p = new Printer(outPath("methods.ts"), specPath);
  const MethodDescriptor = p.importType(runtimeModule("method-descriptor"), "MethodDescriptor");
  p.jsdoc([
    "One descriptor per method, in document order. `paths` lists where path members (`x-path`) sit,",
    "for the edge path codec (src/rpc/path-codec.ts).",
    "Spec node: #/methods",
  ]);
  p.print(`export const methodDescriptors: readonly ${MethodDescriptor}[] = [`);
  for (const m of model.methods) {
    p.print(
      "  {",
      `    name: ${JSON.stringify(m.name)},`,
      `    direction: ${JSON.stringify(m.direction)},`,
      `    family: ${JSON.stringify(m.family)},`,
      `    params: [${m.params.map((x) => JSON.stringify(x.name)).join(", ")}],`,
      `    paramsRequired: ${m.params.some((x) => x.required)},`,
      `    paramsClosed: ${m.paramsClosed},`,
      `    summary: ${JSON.stringify(m.summary)},`,
      `    since: ${JSON.stringify(m.since)},`,
      `    paths: { params: ${pathList(m.paramPaths)}, result: ${pathList(m.resultPaths)} },`,
      "  },",
    );
  }
  p.print("];");
  return p.render();
}

/** Emits `document.ts`. */
export function emitDocument(model: SpecModel, specPath: string): OutputFile {
  const p = new Printer(outPath("document.ts"), specPath);
  const discover = model.methods.find((m) => m.name === "rpc.discover" && m.resultTypeName !== undefined);
  const shape = discover?.resultTypeName === undefined ? "" : `${p.importType("./types.js", discover.resultTypeName)} & `;
  p.jsdoc(["The OpenRPC document, as written (answered by `rpc.discover`).", "Spec node: #"]);
  p.print(`export const openrpcDocument: Readonly<${shape}{ readonly [key: string]: unknown }> = ${JSON.stringify(model.document, null, 2)};`);
  return p.render();
}
