/**
 * Strict standard base64 (RFC 4648 §4, with padding). Node's `Buffer.from(text, "base64")` skips
 * invalid characters and accepts missing padding, so a corrupted payload would be written silently;
 * the contract asks for a -32600 instead, so validation happens here before decoding.
 */

/** Why a text is not strict base64, or `undefined` when it is. Linear; no regex (inputs may be huge). */
export function strictBase64Problem(text: string): string | undefined {
  if (text.length % 4 !== 0) {
    return `length ${text.length} is not a multiple of 4`;
  }
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  const dataEnd = text.length - padding;
  for (let i = 0; i < dataEnd; i++) {
    if (sextet(text.charCodeAt(i)) < 0) {
      const ch = text[i] ?? "";
      return ch === "="
        ? `padding '=' at offset ${i} before the end`
        : `invalid character ${JSON.stringify(ch)} at offset ${i}`;
    }
  }
  // Non-zero bits below the last character's used bits make the encoding ambiguous; canonical
  // encoders never produce them and upstream's decoder rejects them too.
  if (padding > 0) {
    const last = sextet(text.charCodeAt(dataEnd - 1));
    const unusedMask = padding === 2 ? 0b1111 : 0b11;
    if ((last & unusedMask) !== 0) {
      return `non-zero trailing bits at offset ${dataEnd - 1}`;
    }
  }
  return undefined;
}

/** Number of bytes a strict base64 text decodes to (assumes {@link strictBase64Problem} passed). */
export function decodedBase64Length(text: string): number {
  const padding = text.endsWith("==") ? 2 : text.endsWith("=") ? 1 : 0;
  return (text.length / 4) * 3 - padding;
}

function sextet(code: number): number {
  if (code >= 65 && code <= 90) return code - 65; // A-Z
  if (code >= 97 && code <= 122) return code - 71; // a-z
  if (code >= 48 && code <= 57) return code + 4; // 0-9
  if (code === 43) return 62; // +
  if (code === 47) return 63; // /
  return -1;
}
