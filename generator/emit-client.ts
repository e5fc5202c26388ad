/**
 * Emits `client.ts`: the typed client for harnesses. Thin: every member is a bound call of the
 * hand-written `RpcClientCore` (src/rpc/client-core.ts); types come from `MethodMap`.
 */
import type { MethodModel, SpecModel } from "./model.js";
import { pascalCase } from "./model.js";
import { outPath, runtimeModule } from "./paths.js";
import { Printer, type OutputFile } from "./printer.js";

interface Member {
  key: string;
  doc: string[];
  type: string;
  value: string;
}

/** Emits `client.ts`. */
export function emitClient(model: SpecModel, specPath: string): OutputFile {
  const p = new Printer(outPath("client.ts"), specPath);
  const core = runtimeModule("client-core");
  const RpcClientCore = p.importValue(core, "RpcClientCore");
  const ClientOptions = p.importType(core, "ClientOptions");
  const RequestFn = p.importType(core, "RequestFn");
  const NotifyFn = p.importType(core, "NotifyFn");
  const MessageTransport = p.importType(runtimeModule("message-transport"), "MessageTransport");
  const MethodMap = p.importType("./types.js", "MethodMap");
  const ServerNotificationName = p.importType("./types.js", "ServerNotificationName");

  const topLevel: Member[] = [];
  const groups = new Map<string, Member[]>();
  const doc = (m: MethodModel): string[] => [`\`${m.name}\`${m.summary === "" ? "" : `: ${m.summary}`}`, `Spec node: methods[${m.name}]`];
  for (const m of model.methods) {
    if (m.direction === "server-notification") continue;
    const key = JSON.stringify(m.name);
    let member: Member;
    let path = m.clientPath;
    if (m.direction === "request") {
      member = { key: path[path.length - 1]!, doc: doc(m), type: `${RequestFn}<${MethodMap}[${key}]>`, value: `core.method(${key})` };
    } else {
      path = [`notify${pascalCase(m.name)}`];
      member = { key: path[0]!, doc: doc(m), type: `${NotifyFn}<${MethodMap}[${key}]>`, value: `(params) => core.notify(${key}, params)` };
    }
    if (path.length === 1) topLevel.push(member);
    else {
      const group = groups.get(path[0]!) ?? [];
      group.push(member);
      groups.set(path[0]!, group);
    }
  }

  p.jsdoc([
    "Typed exec-server client. Calls resolve with the result or reject with `RpcError` (server error,",
    "with its code) or `RpcClientError` (timeout, abort, transport closed).",
    "Spec node: #/methods",
  ]);
  p.print("export interface ExecServerClient {");
  for (const m of topLevel) {
    p.jsdoc(m.doc, "  ");
    p.print(`  readonly ${m.key}: ${m.type};`);
  }
  for (const [group, members] of groups) {
    p.jsdoc([`\`${group}\` methods.`], "  ");
    p.print(`  readonly ${group}: {`);
    for (const m of members) {
      p.jsdoc(m.doc, "    ");
      p.print(`    readonly ${m.key}: ${m.type};`);
    }
    p.print("  };");
  }
  p.jsdoc(["Subscribes to a server notification; returns an unsubscribe function."], "  ");
  p.print(`  on<K extends ${ServerNotificationName}>(method: K, listener: (params: ${MethodMap}[K]["params"]) => void): () => void;`);
  p.jsdoc(["Closes the transport; pending calls reject."], "  ");
  p.print("  close(reason?: string): void;");
  p.jsdoc(["The generic core (pending count, closed state)."], "  ");
  p.print(`  readonly core: ${RpcClientCore}<${MethodMap}>;`);
  p.print("}", "");

  p.jsdoc([
    "Creates a client over `transport` (any `MessageTransport`: websocket, stdio, relay, in-memory).",
    "Request ids are integers from 1; `options.timeoutMs` is the default per-call timeout.",
    "Spec node: #/methods",
  ]);
  p.print(`export function createExecServerClient(transport: ${MessageTransport}, options: ${ClientOptions} = {}): ExecServerClient {`);
  p.print(`  const core = new ${RpcClientCore}<${MethodMap}>(transport, options);`);
  p.print("  return {");
  for (const m of topLevel) p.print(`    ${m.key}: ${m.value},`);
  for (const [group, members] of groups) {
    p.print(`    ${group}: {`);
    for (const m of members) p.print(`      ${m.key}: ${m.value},`);
    p.print("    },");
  }
  p.print("    on: (method, listener) => core.on(method, listener),", "    close: (reason) => core.close(reason),", "    core,", "  };", "}");
  return p.render();
}
