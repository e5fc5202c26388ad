/**
 * Emits `dispatch.ts`: the typed `Handlers<Ctx>` interface and `createDispatcher`, a thin binding
 * of the hand-written `createDispatcherCore` (src/rpc/dispatcher-core.ts) to the generated tables.
 */
import type { SpecModel } from "./model.js";
import { outPath, runtimeModule } from "./paths.js";
import { Printer, type OutputFile } from "./printer.js";

/** Methods the dispatcher answers itself. */
export const BUILTIN_METHODS: ReadonlySet<string> = new Set(["rpc.discover"]);

/** Emits `dispatch.ts`. */
export function emitDispatch(model: SpecModel, specPath: string): OutputFile {
  const p = new Printer(outPath("dispatch.ts"), specPath);
  const coreModule = runtimeModule("dispatcher-core");
  const createDispatcherCore = p.importValue(coreModule, "createDispatcherCore");
  const Dispatcher = p.importType(coreModule, "Dispatcher");
  const DispatcherOptions = p.importType(coreModule, "DispatcherOptions");
  const RequestCall = p.importType(coreModule, "RequestCall");
  const methodDescriptors = p.importValue("./methods.js", "methodDescriptors");
  const validateParams = p.importValue("./validators.js", "validateParams");
  const validateResult = p.importValue("./validators.js", "validateResult");

  const requests = model.methods.filter((m) => m.direction === "request" && !BUILTIN_METHODS.has(m.name));
  const builtins = model.methods.filter((m) => m.direction === "request" && BUILTIN_METHODS.has(m.name));
  const clientNotifications = model.methods.filter((m) => m.direction === "client-notification");

  p.jsdoc([
    "One handler per request method, keyed by wire name. Params arrive validated (omitted params as `{}`).",
    "Throw `RpcError` to answer with its code; anything else thrown becomes -32603.",
    "`call` says which dialect the answer is encoded in (`plain` paths of the seed dialect, or `uri`).",
    ...(builtins.length > 0 ? [`${builtins.map((m) => `\`${m.name}\``).join(", ")} is answered by the dispatcher itself.`] : []),
    "Spec node: #/methods",
  ]);
  p.print("export interface Handlers<Ctx> {");
  for (const m of requests) {
    const params = p.importType("./types.js", m.paramsTypeName);
    const result = p.importType("./types.js", m.resultTypeName!);
    p.jsdoc([`\`${m.name}\`${m.summary === "" ? "" : `: ${m.summary}`}`, `Spec node: methods[${m.name}]`], "  ");
    p.print(`  ${JSON.stringify(m.name)}(params: ${params}, ctx: Ctx, call: ${RequestCall}): Promise<${result}> | ${result};`);
  }
  p.print("}", "");

  p.jsdoc(["Optional handlers for client notifications; a missing one means the notification is accepted and ignored.", "Spec node: #/methods"]);
  p.print("export interface NotificationHandlers<Ctx> {");
  for (const m of clientNotifications) {
    const params = p.importType("./types.js", m.paramsTypeName);
    p.jsdoc([`\`${m.name}\`${m.summary === "" ? "" : `: ${m.summary}`}`, `Spec node: methods[${m.name}]`], "  ");
    p.print(`  ${JSON.stringify(m.name)}?(params: ${params}, ctx: Ctx): Promise<void> | void;`);
  }
  p.print("}", "");

  p.jsdoc(["Options for {@link createDispatcher}."]);
  p.print(`export interface CreateDispatcherOptions<Ctx> extends ${DispatcherOptions} {`);
  p.jsdoc(["Client-notification handlers (e.g. `initialized`)."], "  ");
  p.print("  notificationHandlers?: NotificationHandlers<Ctx>;", "}", "");

  p.jsdoc([
    "Creates the dispatcher: unknown method → -32601 `method not found: <name>`; invalid params → -32602",
    "naming the field; thrown `RpcError` passes through; other errors → -32603. `handleRequest` never throws.",
    "Spec node: #/methods",
  ]);
  p.print(`export function createDispatcher<Ctx>(handlers: Handlers<Ctx>, options: CreateDispatcherOptions<Ctx> = {}): ${Dispatcher}<Ctx> {`);
  p.print(`  return ${createDispatcherCore}<Ctx>({`);
  p.print(`    descriptors: ${methodDescriptors},`, `    validateParams: ${validateParams},`, `    validateResult: ${validateResult},`, "    handlers,");
  if (builtins.length > 0) {
    // The document (≈ 180 KB of JavaScript) is loaded on the first `rpc.discover`, not at every start.
    const discover = 'async () => (await import("./document.js")).openrpcDocument';
    p.print(`    builtins: { ${builtins.map((m) => `${JSON.stringify(m.name)}: ${discover}`).join(", ")} },`);
  }
  p.print("    ...(options.notificationHandlers === undefined ? {} : { notificationHandlers: options.notificationHandlers }),");
  p.print("    options,", "  });", "}");
  return p.render();
}
