/**
 * The reliable relay's model-based guarantee, over Noise streams between our own peers: after any
 * sequence of sends, drops, duplicates, reorders, clock jumps and socket losses, what each side
 * delivered is a prefix of what the other sent (in order, nothing duplicated), and once the channel
 * heals everything arrives. Every record on the link is ciphertext under the seq as nonce, so this
 * also checks that retransmissions and resumes never reuse a nonce for different bytes.
 */
import assert from "node:assert/strict";
import { test } from "node:test";
import fc from "fast-check";
import type { Direction } from "../sim-link.js";
import { assertHealableStream, message } from "../relay-world.js";
import { NoiseWorld, type NoiseStreamRecord } from "./noise-world.js";

interface Model {
  sent: number;
}
interface Real {
  world: NoiseWorld;
  stream: NoiseStreamRecord;
}

const command = (name: string, run: (m: Model, r: Real) => void): fc.Command<Model, Real> => ({
  check: () => true,
  run: (m, r) => {
    run(m, r);
    assertHealableStream(r.stream);
  },
  toString: () => name,
});

function commands(maxMessage: number) {
  const dir = fc.constantFrom<Direction>("toExecutor", "toHarness");
  const index = fc.nat({ max: 40 });
  const send = fc
    .tuple(fc.boolean(), fc.oneof({ weight: 4, arbitrary: fc.integer({ min: 1, max: 64 }) }, { weight: 1, arbitrary: fc.integer({ min: 1, max: maxMessage }) }))
    .map(([up, size]) =>
      command(`send(${up ? "up" : "down"}, ${size})`, (m, r) => {
        const tag = `${up ? "u" : "d"}${m.sent++}`;
        if (up) r.world.sendUp(r.stream, message(tag, size));
        else r.world.sendDown(r.stream, message(tag, size));
      }),
    );
  return fc.commands(
    [
      send,
      send,
      send,
      dir.map((d) => command(`deliver(${d})`, (_, r) => void r.world.link.deliver(d))),
      fc.tuple(dir, index).map(([d, i]) => command(`deliver(${d}, ${i})`, (_, r) => void r.world.link.deliver(d, i))),
      fc.tuple(dir, index).map(([d, i]) => command(`drop(${d}, ${i})`, (_, r) => r.world.link.drop(d, i))),
      fc.tuple(dir, index).map(([d, i]) => command(`duplicate(${d}, ${i})`, (_, r) => r.world.link.duplicate(d, i))),
      fc.integer({ min: 1, max: 3_000 }).map((ms) => command(`advance(${ms})`, (_, r) => r.world.clock.advance(ms))),
      fc.boolean().map((down) =>
        command(down ? "disconnect()" : "reconnect()", (_, r) => {
          r.world.disconnect();
          if (!down) r.world.connect();
        }),
      ),
      fc.constant(command("connect()", (_, r) => void (r.world.link.connected || r.world.connect()))),
    ],
    { maxCommands: 60, size: "max" },
  );
}

for (const { name, maxMessage, numRuns } of [
  { name: "messages up to 2 KiB", maxMessage: 2_048, numRuns: 40 },
  { name: "messages up to 300 KiB (several records each)", maxMessage: 300 * 1024, numRuns: 8 },
]) {
  test(`Noise streams between our peers deliver a prefix without loss or duplicates, everything once healed (${name})`, async () => {
    await fc.assert(
      fc.asyncProperty(commands(maxMessage), async (cmds) => {
        const world = new NoiseWorld({ endpoint: { maxRetransmits: 1_000 } });
        const stream = world.open("stream-model");
        await world.settle();
        assert.ok(stream.executor !== undefined, "the handshake completes");
        fc.modelRun(() => ({ model: { sent: 0 }, real: { world, stream } }), cmds);
        world.heal();
        assertHealableStream(stream);
        assert.equal(stream.gotUp.length, stream.sentUp.length, "every harness message is delivered once healed");
        assert.equal(stream.gotDown.length, stream.sentDown.length, "every executor message is delivered once healed");
      }),
      { numRuns },
    );
  });
}
