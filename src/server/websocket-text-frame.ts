/**
 * Header of a server-to-client websocket text frame (RFC 6455 §5.2) as a latin1 string, one
 * character per byte, so a caller can write `header + text` to the socket under a `ws` WebSocket in
 * one `write(…, "latin1")` when `text` is ASCII.
 *
 * The frame is what `ws` sends for `send(text)` without compression: FIN set, no RSV bits, opcode 1
 * (text), unmasked (a server never masks), and the shortest payload length encoding: 7 bits below
 * 126, `126` + 16 bits below 65 536, else `127` + 64 bits (big-endian).
 *
 * @param length payload length in bytes (a non-negative safe integer)
 * @example textFrameHeader(5) // "\x81\x05"
 */
export function textFrameHeader(length: number): string {
  if (!Number.isSafeInteger(length) || length < 0) throw new RangeError(`frame length must be a non-negative safe integer, got ${length}`);
  if (length < 126) return String.fromCharCode(0x81, length);
  if (length < 0x10000) return String.fromCharCode(0x81, 126, length >>> 8, length & 0xff);
  const high = Math.floor(length / 0x100000000);
  return String.fromCharCode(
    0x81,
    127,
    (high >>> 24) & 0xff,
    (high >>> 16) & 0xff,
    (high >>> 8) & 0xff,
    high & 0xff,
    (length >>> 24) & 0xff,
    (length >>> 16) & 0xff,
    (length >>> 8) & 0xff,
    length & 0xff,
  );
}
