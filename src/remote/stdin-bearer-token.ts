import { staticToken, type BearerTokenSource } from "./bearer-token-source.js";

/** Longest `--registration-bearer-stdin` line, bytes (0.169: 16 KiB). */
export const MAX_STDIN_BEARER_BYTES = 16 * 1024;

/**
 * Reads the registry bearer from stdin as 0.169's `--registration-bearer-stdin` does: one line (up to
 * a newline or end of input) of at most 16 KiB, trimmed; whitespace inside it is refused with
 * `invalid registration bearer`. The token is never echoed in an error.
 */
export async function readStdinBearer(input: NodeJS.ReadableStream = process.stdin): Promise<BearerTokenSource> {
  const line = await new Promise<string>((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    const finish = (error?: Error) => {
      input.off("data", onData);
      input.off("end", onEnd);
      input.off("error", onError);
      input.pause();
      if (error) reject(error);
      else resolve(Buffer.concat(chunks).toString("utf8"));
    };
    const onData = (chunk: Buffer | string) => {
      const bytes = typeof chunk === "string" ? Buffer.from(chunk) : chunk;
      const newline = bytes.indexOf(0x0a);
      const part = newline < 0 ? bytes : bytes.subarray(0, newline);
      size += part.length;
      if (size > MAX_STDIN_BEARER_BYTES) return finish(new Error(`registration bearer on stdin exceeds ${MAX_STDIN_BEARER_BYTES} bytes`));
      chunks.push(part);
      if (newline >= 0) finish();
    };
    const onEnd = () => finish();
    const onError = (error: Error) => finish(error);
    input.on("data", onData);
    input.on("end", onEnd);
    input.on("error", onError);
    input.resume();
  });
  const token = line.replace(/\r$/, "").trim();
  if (token === "" || /\s/.test(token)) throw new Error("invalid registration bearer");
  return staticToken(token);
}
