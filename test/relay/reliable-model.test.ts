/**
 * Model-based tests of the reliable relay: the model is just "messages sent" per direction; the
 * real system is two muxes over a lossy, duplicating, reordering, reconnecting in-memory link.
 * Invariant after every command: what was delivered is a prefix of what was sent (in order, no
 * duplicates). After healing the channel, everything sent has been delivered.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { Direction } from "./sim-link.js";
import { assertHealableStream, message, RelayWorld, type StreamRecord } from "./relay-world.js";

interface Model {
  sent: number;
}
interface Real {
  world: RelayWorld;
  stream: StreamRecord;
}

class SendCommand implements fc.Command<Model, Real> {
  constructor(readonly up: boolean, readonly size: number) {}
  check = () => true;
  run(m: Model, r: Real): void {
    const tag = `${this.up ? "u" : "d"}${m.sent++}`;
    if (this.up) r.world.sendUp(r.stream, message(tag, this.size));
    else r.world.sendDown(r.stream, message(tag, this.size));
    assertHealableStream(r.stream);
  }
  toString = () => `send(${this.up ? "up" : "down"}, ${this.size})`;
}

class LinkCommand implements fc.Command<Model, Real> {
  constructor(readonly op: "deliver" | "drop" | "duplicate", readonly dir: Direction, readonly index: number) {}
  check = () => true;
  run(_: Model, r: Real): void {
    r.world.link[this.op](this.dir, this.index);
    assertHealableStream(r.stream);
  }
  toString = () => `${this.op}(${this.dir}, ${this.index})`;
}

class ClockCommand implements fc.Command<Model, Real> {
  constructor(readonly ms: number) {}
  check = () => true;
  run(_: Model, r: Real): void {
    r.world.clock.advance(this.ms);
    assertHealableStream(r.stream);
  }
  toString = () => `advance(${this.ms})`;
}

class ReconnectCommand implements fc.Command<Model, Real> {
  constructor(readonly stayDown: boolean) {}
  check = () => true;
  run(_: Model, r: Real): void {
    r.world.disconnect();
    if (!this.stayDown) r.world.connect();
    assertHealableStream(r.stream);
  }
  toString = () => (this.stayDown ? "disconnect()" : "reconnect()");
}

class ConnectCommand implements fc.Command<Model, Real> {
  check = (_: Readonly<Model>) => true;
  run(_: Model, r: Real): void {
    if (!r.world.link.connected) r.world.connect();
    assertHealableStream(r.stream);
  }
  toString = () => "connect()";
}

function commands(maxSize: number, sizeBias: fc.Arbitrary<number>) {
  const dir = fc.constantFrom<Direction>("toExecutor", "toHarness");
  const index = fc.nat({ max: 40 });
  const send = fc
    .tuple(fc.boolean(), fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 64 }) }, { weight: 1, arbitrary: sizeBias }))
    .map(([up, size]) => new SendCommand(up, Math.min(size, maxSize)));
  return fc.commands(
    [
      send,
      send,
      send,
      fc.tuple(dir, index).map(([d, i]) => new LinkCommand("deliver", d, 0 * i)),
      fc.tuple(dir, index).map(([d, i]) => new LinkCommand("deliver", d, i)),
      fc.tuple(dir, index).map(([d, i]) => new LinkCommand("deliver", d, 0 * i)),
      fc.tuple(dir, index).map(([d, i]) => new LinkCommand("drop", d, i)),
      fc.tuple(dir, index).map(([d, i]) => new LinkCommand("duplicate", d, i)),
      fc.integer({ min: 1, max: 3_000 }).map((ms) => new ClockCommand(ms)),
      fc.boolean().map((down) => new ReconnectCommand(down)),
      fc.constant(new ConnectCommand()),
    ],
    { maxCommands: 80, size: "max" },
  );
}

interface Config {
  readonly name: string;
  readonly maxSegmentBytes: number;
  readonly maxMessage: number;
  readonly numRuns: number;
}

const CONFIGS: readonly Config[] = [
  { name: "tiny segments (16 B), messages up to 2 KiB", maxSegmentBytes: 16, maxMessage: 2_048, numRuns: 150 },
  { name: "1 KiB segments, messages up to 64 KiB", maxSegmentBytes: 1_024, maxMessage: 64 * 1024, numRuns: 60 },
  { name: "default 60 KiB segments, messages up to 3 MiB", maxSegmentBytes: 60 * 1024, maxMessage: 3 * 1024 * 1024, numRuns: 8 },
];

function runModel(config: Config, params: fc.Parameters<[fc.Scheduler<unknown>] | [Iterable<fc.Command<Model, Real>>]> = {}): void {
  const sizeBias = fc.integer({ min: 1, max: config.maxMessage });
  fc.assert(
    fc.property(commands(config.maxMessage, sizeBias), (cmds) => {
      const world = new RelayWorld({ maxSegmentBytes: config.maxSegmentBytes, maxRetransmits: 1_000 });
      const stream = world.open("stream-model");
      fc.modelRun(() => ({ model: { sent: 0 }, real: { world, stream } }), cmds);
      world.heal();
      assertHealableStream(stream);
      assert.equal(stream.gotUp.length, stream.sentUp.length, "every harness message is delivered once healed");
      assert.equal(stream.gotDown.length, stream.sentDown.length, "every executor message is delivered once healed");
      assert.equal(stream.harness.state.sender.inFlight.length + stream.harness.state.sender.queue.length, 0, "harness has nothing unacked once healed");
      if (stream.executor !== undefined) {
        assert.equal(stream.executor.state.sender.inFlight.length + stream.executor.state.sender.queue.length, 0, "executor has nothing unacked once healed");
        assert.equal(stream.executor.state.receiver.buffer.length, 0);
      }
    }),
    { numRuns: config.numRuns, ...(params as object) },
  );
}

for (const config of CONFIGS) {
  test(`delivers a prefix in order without duplicates and everything once healed (${config.name})`, () => {
    runModel(config);
  });
}
