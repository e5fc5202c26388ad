/**
 * The pure generator core: parsed OpenRPC document → generated files (protobuf-es style). No file
 * I/O; the CLI (generator/cli.ts) reads the spec and writes the output.
 */
import { emitClient } from "./emit-client.js";
import { emitDispatch } from "./emit-dispatch.js";
import { emitDocument, emitMethods } from "./emit-methods.js";
import { emitTypes } from "./emit-types.js";
import { emitValidators } from "./emit-validators.js";
import { buildModel } from "./model.js";
import { outPath } from "./paths.js";
import { Printer, type OutputFile } from "./printer.js";

export { SpecError } from "./model.js";
export type { OutputFile } from "./printer.js";

/** Input of {@link generateOpenRpc}. */
export interface GenerateInput {
  /** The parsed JSON of the OpenRPC document. */
  document: unknown;
  /** Path of the document relative to the repository root, for preambles. */
  specPath: string;
}

function emitIndex(specPath: string): OutputFile {
  const p = new Printer(outPath("index.ts"), specPath);
  p.jsdoc(["Curated entry point of the generated OpenRPC code."]);
  p.print(
    'export type * from "./types.js";',
    'export { validateNotification, validateParams, validateResult } from "./validators.js";',
    'export { methodDescriptors } from "./methods.js";',
    'export { openrpcDocument } from "./document.js";',
    'export { createExecServerClient, type ExecServerClient } from "./client.js";',
    'export { createDispatcher, type CreateDispatcherOptions, type Handlers, type NotificationHandlers } from "./dispatch.js";',
  );
  return p.render();
}

/**
 * Generates every OpenRPC output, sorted by path. Deterministic: the same input gives the same
 * bytes. Throws `SpecError` naming the problem when the document is invalid.
 */
export async function generateOpenRpc(input: GenerateInput): Promise<OutputFile[]> {
  const model = await buildModel(input.document);
  const files = [
    emitTypes(model, input.specPath),
    ...emitValidators(model, input.specPath),
    emitMethods(model, input.specPath),
    emitDocument(model, input.specPath),
    emitClient(model, input.specPath),
    emitDispatch(model, input.specPath),
    emitIndex(input.specPath),
  ];
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}
