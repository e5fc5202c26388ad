/**
 * Serialising JSON-RPC responses whose result carries one large base64 string (`fs/readFile`'s
 * `dataBase64`, `fs/readBlock`'s `chunk`) straight to UTF-8 bytes.
 *
 * Why: `JSON.stringify` scans and copies every character of the base64 (it must look for characters
 * to escape), the result is a rope that the first consumer flattens (another copy), and the
 * websocket then encodes the string to UTF-8 (a third). For a 64 MiB file that is ≈ 250 ms of the
 * server's ≈ 580 ms per `fs/readFile` (docs/bench.md). Base64 from `Buffer#toString("base64")` is
 * pure ASCII that JSON never escapes, so the response can be written as `head + base64 + tail`
 * with one latin1 copy into a buffer of the exact size, and handed to `MessageTransport.sendBytes`.
 *
 * A result object is recognised only when it was made by {@link withBase64Member} (a WeakMap
 * entry on the frozen object), never by inspecting a string, so arbitrary handler results still go
 * through `JSON.stringify` unchanged.
 */
import type { JsonRpcId } from "./json-rpc.js";

/** Frozen results made by {@link withBase64Member} → the name of their base64 member. */
const marked = new WeakMap<object, string>();

/**
 * Builds a frozen result whose `member` is `Buffer#toString("base64")` of `bytes`, recognised by
 * {@link responseBytes}. The other members are serialised with `JSON.stringify` as usual.
 *
 * @example withBase64Member("dataBase64", bytes) // { dataBase64: "..." }
 * @example withBase64Member("chunk", bytes, { eof: true }) // { chunk: "...", eof: true }
 */
export function withBase64Member<K extends string, R extends Record<string, unknown> = Record<never, never>>(
  member: K,
  bytes: Uint8Array,
  rest?: R,
): Readonly<R & Record<K, string>> {
  const base64 = Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength).toString("base64");
  const result = Object.freeze({ ...rest, [member]: base64 } as R & Record<K, string>);
  marked.set(result, member);
  return result;
}

/**
 * The UTF-8 bytes of `JSON.stringify({jsonrpc: "2.0", id, result})` for a `result` made by
 * {@link withBase64Member}, built without scanning the base64; `undefined` for any other result
 * (serialise that one with `JSON.stringify`). Member order may differ from `JSON.stringify`'s; the
 * JSON value is the same.
 */
export function responseBytes(id: JsonRpcId, result: unknown): Buffer | undefined {
  if (typeof result !== "object" || result === null) return undefined;
  const member = marked.get(result);
  if (member === undefined) return undefined;
  const base64 = (result as Record<string, unknown>)[member] as string;
  const others = JSON.stringify({ ...result, [member]: undefined });
  const head = `{"jsonrpc":"2.0","id":${JSON.stringify(id)},"result":{${JSON.stringify(member)}:"`;
  // `others` is `{}` or `{"a":1,...}`: append its members after the base64 one.
  const tail = others === "{}" ? `"}}` : `",${others.slice(1)}}`;
  const headBytes = Buffer.byteLength(head, "utf8");
  const out = Buffer.allocUnsafe(headBytes + base64.length + Buffer.byteLength(tail, "utf8"));
  out.write(head, 0, "utf8");
  // Base64 is ASCII: latin1 copies one byte per character without UTF-8 encoding.
  out.write(base64, headBytes, "latin1");
  out.write(tail, headBytes + base64.length, "utf8");
  return out;
}
