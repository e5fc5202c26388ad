/**
 * The UTF-8 bytes of the JSON text `head + ascii + tail`, where `ascii` is ASCII (base64): `head`
 * and `tail` are UTF-8 encoded, `ascii` copied one byte per character (latin1) without encoding.
 * One buffer of the exact size; the way a large base64-carrying message becomes bytes for
 * `MessageTransport.sendBytes`.
 */
export function jsonPartsBytes(head: string, ascii: string, tail: string): Buffer {
  const headBytes = Buffer.byteLength(head, "utf8");
  const out = Buffer.allocUnsafe(headBytes + ascii.length + Buffer.byteLength(tail, "utf8"));
  out.write(head, 0, "utf8");
  out.write(ascii, headBytes, "latin1");
  out.write(tail, headBytes + ascii.length, "utf8");
  return out;
}
