/** True for a value `await` would wait on: an object or function with a callable `then` (a promise, or any thenable). */
export function isThenable(value: unknown): value is PromiseLike<unknown> {
  return (typeof value === "object" || typeof value === "function") && value !== null && typeof (value as { then?: unknown }).then === "function";
}
