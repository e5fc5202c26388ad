/**
 * A model of upstream's shipped ("legacy") relay endpoint for interop tests: validates frames like
 * upstream, refuses data with `segment_count != 1`, never acks, segments or retransmits, numbers
 * its data from 0 and ignores seq, acks and resume contents.
 */
import { dataFrame, encodeFrame, parseFrame, resumeFrame } from "../../src/relay/frame-codec.js";

export class LegacyPeer {
  /** Frames it refused (the interop tests require none). */
  readonly refused: string[] = [];
  /** Every body kind it received, in order. */
  readonly kinds: string[] = [];
  /** Payloads delivered, per stream. */
  readonly delivered = new Map<string, string[]>();
  readonly resets: string[] = [];
  #nextSeq = new Map<string, number>();

  constructor(private readonly send: (bytes: Uint8Array) => void) {}

  receive(bytes: Uint8Array): void {
    const parsed = parseFrame(bytes);
    if (!parsed.ok) {
      this.refused.push(parsed.error.message);
      return;
    }
    const frame = parsed.frame;
    this.kinds.push(frame.body.case ?? "none");
    switch (frame.body.case) {
      case "data":
        if (frame.body.value.segmentCount !== 1) {
          this.refused.push(`segment_count ${frame.body.value.segmentCount}`);
          return;
        }
        if (!this.delivered.has(frame.streamId)) this.delivered.set(frame.streamId, []);
        this.delivered.get(frame.streamId)!.push(new TextDecoder().decode(frame.body.value.payload));
        break;
      case "reset":
        this.resets.push(`${frame.streamId}:${frame.body.value.reason}`);
        this.delivered.delete(frame.streamId);
        break;
      default:
        break;
    }
  }

  /** Harness role: the first frame of a stream. */
  open(streamId: string): void {
    this.send(encodeFrame(resumeFrame(streamId, 0)));
  }

  sendMessage(streamId: string, message: string): void {
    const seq = this.#nextSeq.get(streamId) ?? 0;
    this.#nextSeq.set(streamId, seq + 1);
    this.send(encodeFrame(dataFrame(streamId, { seq, payload: new TextEncoder().encode(message) })));
  }
}
