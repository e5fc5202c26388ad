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
