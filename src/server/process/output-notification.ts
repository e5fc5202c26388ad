import type { ProcessOutputNotification, ProcessStream } from "./types.js";

/**
 * `process/output` params made by {@link createOutputNotification}: their `chunk` came from
 * `Buffer#toString("base64")`, so it is pure ASCII that JSON never escapes, and the object is frozen.
 */
const canonical = new WeakSet<object>();

/** A JSON text as `head + ascii + tail`, where `ascii` needs no escaping and no UTF-8 encoding. */
export interface SplitJson {
  /** Escaped JSON before the ASCII part (may contain any character). */
  readonly head: string;
  /** Characters 0x20–0x7e other than `"` and `\`, inserted verbatim. */
  readonly ascii: string;
  /** Escaped JSON after the ASCII part. */
  readonly tail: string;
}

/** Frozen `process/output` params for `data`, recognised by {@link splitOutputJson}. */
export function createOutputNotification(
  processId: string,
  seq: number,
  stream: ProcessStream,
  data: Buffer,
): ProcessOutputNotification {
  const params = Object.freeze({ processId, seq, stream, chunk: data.toString("base64") });
  canonical.add(params);
  return params;
}

/**
 * `JSON.stringify(params)` split around the base64 chunk, for params made by
 * {@link createOutputNotification}; undefined for any other value (which must go through
 * `JSON.stringify`). Serialising this way skips JSON.stringify's scan and copy of the chunk, the
 * largest part of the message.
 */
export function splitOutputJson(params: unknown): SplitJson | undefined {
  if (typeof params !== "object" || params === null || !canonical.has(params)) return undefined;
  const { processId, seq, stream, chunk } = params as ProcessOutputNotification;
  return {
    head: `{"processId":${JSON.stringify(processId)},"seq":${seq},"stream":${JSON.stringify(stream)},"chunk":"`,
    ascii: chunk,
    tail: '"}',
  };
}
