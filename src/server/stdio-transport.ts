import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import type { MessageTransport } from "../rpc/message-transport.js";

/**
 * Newline-delimited JSON over a pair of streams (`--listen stdio`): one message per line in, one per
 * line out. The transport closes when the input ends.
 */
export function stdioTransport(input: Readable, output: Writable): MessageTransport {
  const closeListeners = new Set<(reason: string) => void>();
  const lines = createInterface({ input, crlfDelay: Infinity });
  let closed = false;
  const finish = (reason: string) => {
    if (closed) return;
    closed = true;
    lines.close();
    for (const listener of [...closeListeners]) listener(reason);
    closeListeners.clear();
  };
  lines.on("close", () => finish("stdin ended"));
  return {
    send(message) {
      if (closed) return;
      // JSON.stringify never emits raw newlines, so one message is exactly one line.
      output.write(`${message}\n`);
    },
    onMessage(listener) {
      const handler = (line: string) => {
        if (line.trim() !== "") listener(line);
      };
      lines.on("line", handler);
      return () => lines.off("line", handler);
    },
    onClose(listener) {
      if (closed) {
        queueMicrotask(() => listener("already closed"));
        return () => {};
      }
      closeListeners.add(listener);
      return () => closeListeners.delete(listener);
    },
    close(reason) {
      finish(reason ?? "closed locally");
    },
  };
}
