import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import { TransportCipher } from "../../../src/relay/noise/cipher-state.js";
import { frameMessage, MAX_RECORD_PLAINTEXT_BYTES, MessageDeframer } from "../../../src/relay/noise/message-framing.js";
import { NoiseError } from "../../../src/relay/noise/noise-error.js";
import { OrderedRecords } from "../../../src/relay/noise/ordered-records.js";

const key = new Uint8Array(32).fill(7);
const sender = new TransportCipher(key);
const receiver = new TransportCipher(key);
const utf8 = (s: string) => new TextEncoder().encode(s);
const text = (u: Uint8Array) => new TextDecoder().decode(u);

test("messages become u32-BE-prefixed records of at most 60 KiB, each message in a fresh record", () => {
  const [small] = frameMessage(utf8("{}"));
  assert.equal(Buffer.from(small!).toString("hex"), "000000027b7d");
  const big = frameMessage(new Uint8Array(150_000).fill(0x61));
  assert.deepEqual(big.map((r) => r.length), [61_440, 61_440, 150_004 - 2 * 61_440]);
  assert.throws(() => frameMessage(new Uint8Array(0)), RangeError);
  assert.throws(() => frameMessage(new Uint8Array(11), MAX_RECORD_PLAINTEXT_BYTES, 10), RangeError);
});

test("the deframer reassembles any messages cut at any record boundaries, several per record", () => {
  fc.assert(
    fc.property(fc.array(fc.string({ minLength: 1, maxLength: 300 }), { minLength: 1, maxLength: 8 }), fc.array(fc.integer({ min: 1, max: 97 }), { minLength: 1 }), (messages, cuts) => {
      const stream = Buffer.concat(messages.flatMap((m) => frameMessage(utf8(m))));
      const deframer = new MessageDeframer();
      const out: string[] = [];
      let at = 0;
      for (let i = 0; at < stream.length; i++) {
        const size = cuts[i % cuts.length]!;
        for (const message of deframer.push(stream.subarray(at, at + size))) out.push(text(message));
        at += size;
      }
      assert.deepEqual(out, messages);
      assert.equal(deframer.pending, false);
    }),
  );
});

test("the deframer refuses a zero length, an oversized length (before buffering) and an oversized record", () => {
  assert.throws(() => new MessageDeframer().push(new Uint8Array([0, 0, 0, 0])), (e: unknown) => e instanceof NoiseError && e.code === "protocol");
  assert.throws(() => new MessageDeframer({ maxMessageBytes: 100 }).push(new Uint8Array([0, 0, 0, 101, 1])), (e: unknown) => e instanceof NoiseError && e.code === "limit");
  assert.throws(() => new MessageDeframer().push(new Uint8Array(61_441)), (e: unknown) => e instanceof NoiseError && e.code === "limit");
  // 64 MiB + 1 announced: refused from the header alone.
  assert.throws(() => new MessageDeframer().push(new Uint8Array([0x04, 0, 0, 1])), /exceeds/);
});

const recordsArb = fc.array(fc.string({ minLength: 1, maxLength: 200 }), { minLength: 1, maxLength: 12 });

test("tampered, truncated, replayed-under-another-seq or foreign records are refused, never decrypted to garbage", () => {
  fc.assert(
    fc.property(recordsArb, fc.nat(), fc.nat(), fc.integer({ min: 1, max: 255 }), fc.constantFrom("flip", "truncate", "replay", "foreign"), (messages, pick, at, xor, how) => {
      const sealed = messages.map((m, seq) => sender.seal(seq, frameMessage(utf8(m))[0]!));
      const seq = pick % sealed.length;
      let record: Uint8Array = sealed[seq]!.slice();
      let nonce = seq;
      if (how === "flip") record[at % record.length] = record[at % record.length]! ^ xor;
      else if (how === "truncate") record = record.subarray(0, at % record.length);
      else if (how === "replay") nonce = seq + 1 + (at % 5);
      else record = new TransportCipher(new Uint8Array(32).fill(8)).seal(seq, frameMessage(utf8(messages[seq]!))[0]!);
      assert.throws(() => receiver.open(nonce, record), (e: unknown) => e instanceof NoiseError && e.code === "decrypt");
    }),
  );
});

test("reordered and duplicated records are delivered once, in seq order, through the window", () => {
  fc.assert(
    fc.property(recordsArb.chain((messages) => fc.tuple(fc.constant(messages), fc.shuffledSubarray([...messages.keys(), ...messages.keys()], { minLength: messages.length * 2 }))), ([messages, order]) => {
      const sealed = messages.map((m, seq) => sender.seal(seq, frameMessage(utf8(m))[0]!));
      const window = new OrderedRecords();
      const deframer = new MessageDeframer();
      const out: string[] = [];
      for (const seq of order) {
        const result = window.accept(seq, sealed[seq]!);
        if (result.kind !== "deliver") continue;
        for (const record of result.records) for (const message of deframer.push(receiver.open(record.seq, record.payload))) out.push(text(message));
      }
      assert.deepEqual(out, messages);
    }),
  );
});

test("the reorder window holds 64 records and 1 MiB; a seq 64 or more ahead is an error", () => {
  const window = new OrderedRecords();
  assert.equal(window.accept(63, new Uint8Array(1)).kind, "buffered");
  assert.throws(() => window.accept(64, new Uint8Array(1)), (e: unknown) => e instanceof NoiseError && e.code === "limit");
  assert.equal(window.accept(63, new Uint8Array(1)).kind, "duplicate");
  const small = new OrderedRecords({ maxBytes: 100 });
  assert.equal(small.accept(1, new Uint8Array(60)).kind, "buffered");
  assert.throws(() => small.accept(2, new Uint8Array(41)), /window full/);
  const delivered = small.accept(0, new Uint8Array(1));
  assert.deepEqual(delivered.kind === "deliver" ? delivered.records.map((r) => r.seq) : [], [0, 1]);
  assert.equal(small.accept(0, new Uint8Array(1)).kind, "duplicate");
});
