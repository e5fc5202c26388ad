import { createInterface } from "node:readline";
import type { Readable, Writable } from "node:stream";
import { CloseSignal } from "../rpc/close-signal.js";
import type { FlowWaterMarks, MessageTransport } from "../rpc/message-transport.js";
import { WaterMarkFlow } from "../rpc/water-mark-flow.js";

/** Options of {@link stdioTransport}. */
export interface StdioTransportOptions {
  /** Outbound flow-control marks over `output.writableLength`. Default 8 MiB high, 2 MiB low. */
  readonly flow?: FlowWaterMarks;
}

/**
 * Newline-delimited JSON over a pair of streams (`--listen stdio`): one message per line in, one per
 * line out. The transport closes when the input ends. `flow` follows `output.writableLength`: it is
 * checked after each write and again on the stream's `drain` event (emitted once the buffer emptied
 * after `write()` returned false).
 */
export function stdioTransport(input: Readable, output: Writable, options: StdioTransportOptions = {}): MessageTransport {
  const closing = new CloseSignal();
  const flow = new WaterMarkFlow(options.flow);
  output.on("drain", () => flow.update(output.writableLength));
  closing.subscribe(() => flow.release());
  const lines = createInterface({ input, crlfDelay: Infinity });
  const finish = (reason: string) => {
    if (closing.fire(reason)) lines.close();
  };
  lines.on("close", () => finish("stdin ended"));
  return {
    flow,
    send(message) {
      if (closing.closed) return;
      // JSON.stringify never emits raw newlines, so one message is exactly one line.
      output.write(`${message}\n`);
      flow.update(output.writableLength);
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
