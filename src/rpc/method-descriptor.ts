/**
 * Method descriptors: the data the generator emits for every OpenRPC method
 * (`generated/openrpc/methods.ts`) and the shape of the method map the typed client and the
 * dispatcher are derived from.
 */

/**
 * Who sends a method, from the document's `x-direction` extension: `request` = client → server call
 * with a response; `client-notification` = client → server, no response; `server-notification` =
 * server → client, no response.
 */
export type Direction = "request" | "client-notification" | "server-notification";

/**
 * Which dialect introduced a method (the document's `x-since`): `seed` = CONTRACT.md,
 * `codex-0.169` = the codex 0.169 wire dialect (UPSTREAM-0.169.md). Methods of the 0.169 dialect
 * always answer paths as `file:` URIs.
 */
export type MethodSince = "seed" | "codex-0.169";

/**
 * One step from a JSON value to a path member: a member name, `"[]"` for every item of an array or
 * `"{}"` for every value of a record (the generator refuses member names spelled like those two).
 */
export type PathStep = string;

/**
 * The code and message used when a path member holds a `file:` URI that names no path on this host
 * (a drive letter or a host). `message` may contain `{uri}` (the URI in canonical form) and
 * `{reason}` (the default message, `'<uri>' is invalid on '<os>'`). From the content descriptor's
 * `x-path-foreign-error`; without one the code is -32600 and the message is the reason.
 */
export interface ForeignPathError {
  readonly code: number;
  readonly message: string;
}

/**
 * Where one path member (a schema marked `x-path`, i.e. `PathUri`) sits inside a params, result or
 * notification object, e.g. `{at: ["sandbox", "workspaceRoots", "[]"]}`. Members under a union
 * (`anyOf`) are listed when any branch has them; the codec touches only string values found there.
 */
export interface PathMember {
  readonly at: readonly PathStep[];
  readonly foreignError?: ForeignPathError;
}

/** Every path member of a method, generated from the document (see {@link PathMember}). */
export interface MethodPaths {
  /** In the params object (requests and notifications). */
  readonly params: readonly PathMember[];
  /** In the result object (requests only; empty for notifications). */
  readonly result: readonly PathMember[];
}

/** One method of the OpenRPC document, as data. */
export interface MethodDescriptor {
  /** Wire name, e.g. `process/start`. */
  readonly name: string;
  /** Who sends it. */
  readonly direction: Direction;
  /** `process`, `fs`, `environment`, `lifecycle` (initialize/initialized) or `rpc` (rpc.discover). */
  readonly family: string;
  /** Names of the declared (by-name) params, in document order. Empty = params are ignored. */
  readonly params: readonly string[];
  /** At least one param is required, so omitted params are refused. */
  readonly paramsRequired: boolean;
  /** Unknown params members are refused (`x-params-closed`). */
  readonly paramsClosed: boolean;
  /** The method's OpenRPC `summary`. */
  readonly summary: string;
  /** The dialect that introduced the method (`x-since`, default `seed`). */
  readonly since: MethodSince;
  /** Locations of its path members, for the edge path codec. */
  readonly paths: MethodPaths;
}

/** Type-level shape of one method: params, result and direction. */
export interface MethodShape {
  params: unknown;
  result: unknown;
  direction: Direction;
}

/** A map from method name to {@link MethodShape} (the generated `MethodMap` satisfies it). */
export type MethodMapShape = { [method: string]: MethodShape };

/** Names of the methods in `M` whose direction is `D`. */
export type MethodsWithDirection<M extends MethodMapShape, D extends Direction> = {
  [K in keyof M]: M[K]["direction"] extends D ? K : never;
}[keyof M] &
  string;

/** Request method names of `M`. */
export type RequestMethod<M extends MethodMapShape> = MethodsWithDirection<M, "request">;
/** Client → server notification names of `M`. */
export type ClientNotificationMethod<M extends MethodMapShape> = MethodsWithDirection<M, "client-notification">;
/** Server → client notification names of `M`. */
export type ServerNotificationMethod<M extends MethodMapShape> = MethodsWithDirection<M, "server-notification">;
