/**
 * The byte stream inside a Noise relay stream (0.169 `message_framing.rs`): every JSON-RPC message
 * is written as `u32 BE length ‖ JSON` and the stream is cut into records of at most 60 KiB of
 * plaintext, each sealed as one relay data frame. Like 0.169 the sender starts every message in a
 * fresh record; the receiver also accepts several messages in one record and messages spanning records.
 */
import { NoiseError } from "./noise-error.js";

/** Largest plaintext of one record, in bytes (61 440; 0.169 enforces it on receive). */
export const MAX_RECORD_PLAINTEXT_BYTES = 60 * 1024;
/** Largest framed message, in bytes (64 MiB; 0.169's cap). Length 0 is refused too. */
export const MAX_FRAMED_MESSAGE_BYTES = 64 * 1024 * 1024;

const LENGTH_BYTES = 4;

/**
 * Frames one message and cuts it into records of at most `maxRecordBytes` plaintext bytes.
 * @throws RangeError for an empty message or one over `maxMessageBytes` (default 64 MiB).
 */
export function frameMessage(message: Uint8Array, maxRecordBytes = MAX_RECORD_PLAINTEXT_BYTES, maxMessageBytes = MAX_FRAMED_MESSAGE_BYTES): Uint8Array[] {
  if (message.length === 0) throw new RangeError("a framed message must not be empty");
  if (message.length > maxMessageBytes) throw new RangeError(`message of ${message.length} bytes exceeds the ${maxMessageBytes}-byte limit`);
  const total = LENGTH_BYTES + message.length;
  const records: Uint8Array[] = [];
  for (let start = 0; start < total; start += maxRecordBytes) {
    const end = Math.min(total, start + maxRecordBytes);
    const record = new Uint8Array(end - start);
    if (start === 0) {
      new DataView(record.buffer).setUint32(0, message.length);
      record.set(message.subarray(0, end - LENGTH_BYTES), LENGTH_BYTES);
    } else {
      record.set(message.subarray(start - LENGTH_BYTES, end - LENGTH_BYTES));
    }
    records.push(record);
  }
  return records;
}

/** Options of {@link MessageDeframer}. */
export interface DeframerOptions {
  /** Largest accepted record plaintext, bytes. Default 61 440. */
  readonly maxRecordBytes?: number;
  /** Largest accepted message, bytes. Default 64 MiB. */
  readonly maxMessageBytes?: number;
}

/**
 * Reassembles messages from decrypted records, in order. A zero or oversized length, or an oversized
 * record, throws a `limit`/`protocol` {@link NoiseError} before anything is buffered for it; after an
 * error the deframer must not be used again (the stream is reset).
 */
export class MessageDeframer {
  readonly #maxRecordBytes: number;
  readonly #maxMessageBytes: number;
  /** Bytes of the current header or message received so far. */
  #chunks: Uint8Array[] = [];
  #buffered = 0;
  /** Length of the message being assembled, or -1 while its header is incomplete. */
  #need = -1;

  constructor(options: DeframerOptions = {}) {
    this.#maxRecordBytes = options.maxRecordBytes ?? MAX_RECORD_PLAINTEXT_BYTES;
    this.#maxMessageBytes = options.maxMessageBytes ?? MAX_FRAMED_MESSAGE_BYTES;
  }

  /** True while part of a message (or of its length) is buffered. */
  get pending(): boolean {
    return this.#buffered > 0 || this.#need >= 0;
  }

  /** Adds one record's plaintext; returns the messages it completed (views or copies, never shared with later input). */
  push(record: Uint8Array): Uint8Array[] {
    if (record.length > this.#maxRecordBytes) throw new NoiseError("limit", `record of ${record.length} bytes exceeds ${this.#maxRecordBytes}`);
    if (record.length === 0) throw new NoiseError("protocol", "empty record");
    const out: Uint8Array[] = [];
    let at = 0;
    while (at < record.length) {
      if (this.#need < 0) {
        const take = Math.min(LENGTH_BYTES - this.#buffered, record.length - at);
        this.#append(record.subarray(at, at + take));
        at += take;
        if (this.#buffered < LENGTH_BYTES) break;
        const header = this.#drain();
        const length = new DataView(header.buffer, header.byteOffset, LENGTH_BYTES).getUint32(0);
        if (length === 0) throw new NoiseError("protocol", "zero-length message");
        if (length > this.#maxMessageBytes) throw new NoiseError("limit", `message of ${length} bytes exceeds ${this.#maxMessageBytes}`);
        this.#need = length;
        continue;
      }
      const take = Math.min(this.#need - this.#buffered, record.length - at);
      // Fast path: a whole message inside this record needs no copy into the chunk list.
      if (this.#buffered === 0 && take === this.#need) {
        out.push(record.subarray(at, at + take));
      } else {
        this.#append(record.subarray(at, at + take));
        if (this.#buffered === this.#need) out.push(this.#drain());
        else {
          at += take;
          break;
        }
      }
      at += take;
      this.#need = -1;
    }
    return out;
  }

  #append(bytes: Uint8Array): void {
    // Copied: the caller may reuse its record buffer.
    this.#chunks.push(bytes.slice());
    this.#buffered += bytes.length;
  }

  #drain(): Uint8Array {
    const chunks = this.#chunks;
    this.#chunks = [];
    this.#buffered = 0;
    if (chunks.length === 1) return chunks[0]!;
    const out = new Uint8Array(chunks.reduce((sum, chunk) => sum + chunk.length, 0));
    let at = 0;
    for (const chunk of chunks) {
      out.set(chunk, at);
      at += chunk.length;
    }
    return out;
  }
}
