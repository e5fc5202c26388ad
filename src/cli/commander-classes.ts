/**
 * The `commander` classes, loaded with `require` instead of `import` (its ESM entry re-exports the
 * CommonJS package through Node's ESM loader, about 2.5 ms more CPU on every start; same reasoning
 * and measurement method as `util/ws-classes.ts`). Types still come from `import type`.
 */
import { createRequire } from "node:module";
import type * as Commander from "commander";

const commander = createRequire(import.meta.url)("commander") as typeof Commander;

/** `commander`'s `Command`. */
export const Command: typeof Commander.Command = commander.Command;
/** `commander`'s `Option`. */
export const Option: typeof Commander.Option = commander.Option;
/** `commander`'s `InvalidArgumentError`. */
export const InvalidArgumentError: typeof Commander.InvalidArgumentError = commander.InvalidArgumentError;
/** Instance types, so the names also work as types where they are imported from here. */
export type Command = Commander.Command;
export type Option = Commander.Option;
export type InvalidArgumentError = Commander.InvalidArgumentError;
