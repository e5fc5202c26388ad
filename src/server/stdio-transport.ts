import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { CloseSignal } from "../rpc/close-signal.js";
import type { MessageTransport } from "../rpc/message-transport.js";

/**
 * Newline-delimited JSON over a pair of streams (`--listen stdio`): one message per line in, one per
 * line out. The transport closes when the input ends.
 */
export function stdioTransport(input: Readable, output: Writable): MessageTransport {
  const closing = new CloseSignal();
  const lines = createInterface({ input, crlfDelay: Infinity });
  const finish = (reason: string) => {
    if (closing.fire(reason)) lines.close();
  };
  lines.on("close", () => finish("stdin ended"));
  return {
    send(message) {
      if (closing.closed) return;
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
    onClose: (listener) => closing.subscribe(listener),
    close(reason) {
      finish(reason ?? "closed locally");
    },
  };
}
