/** Output locations and import specifiers shared by the emitters. */

/** Directory (relative to the repository root) the OpenRPC outputs are written to. */
export const OPENRPC_OUT_DIR = "generated/openrpc";

/** Import specifier of a hand-written runtime module, as seen from `generated/openrpc/*.ts`. */
export function runtimeModule(name: string): string {
  return `../../src/rpc/${name}.js`;
}

/** Path of a generated file. */
export function outPath(file: string): string {
  return `${OPENRPC_OUT_DIR}/${file}`;
}
