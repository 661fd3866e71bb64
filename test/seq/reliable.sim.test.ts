// Property tests for src/seq/reliable.ts over the deterministic simulator (src/testing): 10,000
// seeded runs in total of two channels talking over links with up to 30 % loss, 10 % duplication,
// jitter and reordering. Every message given to a sender is delivered exactly once and in order,
// or the sender reports failure after its full retry budget, and no channel outputs anything
// after failing. The worst case seen is printed for docs/sequencing.md.

import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import {
  type ChannelOutput,
  ReliableChannel,
  type ReliableChannelOptions,
  retransmissionCycleMs,
} from '../../src/seq/reliable.js';
import { type ControlPacket, ReliableChannelNode, SimNetwork } from '../../src/testing/index.js';

const worst = {
  runs: 0,
  runsWithFailure: 0,
  maxRetriesUsedBySuccess: 0,
  maxHeld: 0,
  maxSteps: 0,
  maxSimulatedMs: 0,
  messages: 0,
};

afterAll(() => {
  // Figures quoted in docs/sequencing.md.
  console.log(`reliable-channel simulation worst case: ${JSON.stringify(worst)}`);
});

const linkArb = fc.record({
  lossRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
  duplicateRate: fc.double({ min: 0, max: 0.1, noNaN: true }),
  reorderRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
  latencyMs: fc.integer({ min: 1, max: 150 }),
  jitterMs: fc.integer({ min: 0, max: 200 }),
  reorderDelayMs: fc.integer({ min: 0, max: 400 }),
});

const channelArb = fc.record({
  peerReceiveWindow: fc.integer({ min: 1, max: 8 }),
  receiveWindow: fc.integer({ min: 1, max: 8 }),
  ackDelayMs: fc.integer({ min: 0, max: 200 }),
  maxRetransmits: fc.integer({ min: 2, max: 5 }),
  initialNs: fc.oneof(fc.constant(0), fc.integer({ min: 65528, max: 65535 })),
});

const scenarioArb = fc.record({
  seed: fc.integer(),
  ab: linkArb,
  ba: linkArb,
  a: channelArb,
  b: channelArb,
  countAB: fc.integer({ min: 0, max: 6 }),
  countBA: fc.integer({ min: 0, max: 6 }),
  spreadMs: fc.integer({ min: 0, max: 3000 }),
});

type Scenario = typeof scenarioArb extends fc.Arbitrary<infer S> ? S : never;
type Ch = (typeof channelArb extends fc.Arbitrary<infer C> ? C : never) & ReliableChannelOptions;

/** Two channels on one simulated network; `a` expects `b`'s initial Ns and vice versa. */
function build(s: Scenario) {
  const net = new SimNetwork<ControlPacket<string>>({ seed: s.seed });
  const mk = (mine: Ch, theirs: Ch) =>
    new ReliableChannel<string>({ ...mine, initialNr: theirs.initialNs });
  const a = new ReliableChannelNode('a', 'b', mk(s.a, s.b), net);
  const b = new ReliableChannelNode('b', 'a', mk(s.b, s.a), net);
  net.addNode(a);
  net.addNode(b);
  net.connect('a', 'b', s.ab);
  net.connect('b', 'a', s.ba);
  return { net, a, b };
}

/** Schedules `count` sends spread over `spreadMs`; returns the bodies the channel accepted. */
function scheduleSends(
  net: SimNetwork<ControlPacket<string>>,
  node: ReliableChannelNode<string>,
  count: number,
  spreadMs: number,
): string[] {
  const given: string[] = [];
  for (let i = 0; i < count; i++) {
    const body = `${node.id}${i}`;
    net.schedule(Math.floor((i * spreadMs) / Math.max(count, 1)), () => {
      if (node.channel.state !== 'open') return; // failed already: never given
      node.send(body);
      given.push(body);
    });
  }
  return given;
}

function outputsAfterEnd(log: readonly { output: ChannelOutput<string> }[]): number {
  const end = log.findIndex((e) => e.output.type === 'failed' || e.output.type === 'closed');
  return end < 0 ? 0 : log.length - end - 1;
}

/** The invariant for one direction `from` → `to`. */
function checkDirection(
  from: ReliableChannelNode<string>,
  to: ReliableChannelNode<string>,
  given: readonly string[],
  opts: Ch,
): void {
  // Exactly once, in order: what arrived is a prefix of what was given.
  expect(to.delivered).toEqual(given.slice(0, to.delivered.length));
  const st = from.channel.stats();
  if (from.failedAt === undefined) {
    expect(st).toMatchObject({ inFlight: 0, queued: 0 });
    expect(to.delivered).toEqual(given);
    worst.maxRetriesUsedBySuccess = Math.max(worst.maxRetriesUsedBySuccess, st.maxRetransmitsUsed);
  } else {
    // Failure only after the whole budget: maxRetransmits retransmissions over a full cycle.
    expect(st.maxRetransmitsUsed).toBe(opts.maxRetransmits);
    const failed = from.log.find((e) => e.output.type === 'failed')?.output;
    const ns = failed?.type === 'failed' ? failed.ns : -1;
    const first = from.log.find((e) => e.output.type === 'transmit' && e.output.ns === ns);
    expect(first).toBeDefined();
    const cycle = retransmissionCycleMs({ maxRetransmits: opts.maxRetransmits });
    expect(from.failedAt - (first?.now ?? 0)).toBeGreaterThanOrEqual(cycle);
  }
  // Nothing at all (in particular no delivery) after a failure.
  expect(outputsAfterEnd(from.log)).toBe(0);
  worst.maxHeld = Math.max(worst.maxHeld, st.heldHighWater);
}

describe('reliable channel over a hostile simulated link', () => {
  test('bidirectional traffic: exactly once, in order, or failure after the budget (8,000 runs)', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const { net, a, b } = build(s);
        const givenA = scheduleSends(net, a, s.countAB, s.spreadMs);
        const givenB = scheduleSends(net, b, s.countBA, s.spreadMs);
        const r = net.run({ maxSteps: 20_000 });
        expect(r.reason).toBe('idle');
        checkDirection(a, b, givenA, s.a);
        checkDirection(b, a, givenB, s.b);
        worst.runs++;
        worst.messages += givenA.length + givenB.length;
        if (a.failedAt !== undefined || b.failedAt !== undefined) worst.runsWithFailure++;
        worst.maxSteps = Math.max(worst.maxSteps, r.steps);
        worst.maxSimulatedMs = Math.max(worst.maxSimulatedMs, r.nowMs);
      }),
      { seed: 0x5eed, numRuns: 8000 },
    );
  });

  test('close handshake with the post-close hold (2,000 runs)', () => {
    fc.assert(
      fc.property(scenarioArb, (s) => {
        const { net, a, b } = build(s);
        // A sends its messages, then StopCCN, then closes; B closes when StopCCN is delivered.
        const givenA = scheduleSends(net, a, s.countAB, s.spreadMs);
        let bClosedAt: number | undefined;
        net.schedule(s.spreadMs + 1, () => {
          if (a.channel.state !== 'open') return;
          a.send('StopCCN');
          givenA.push('StopCCN');
          a.close();
        });
        const origReceive = b.receive.bind(b);
        b.receive = (from, packet, now) => {
          origReceive(from, packet, now);
          if (bClosedAt === undefined && b.delivered.at(-1) === 'StopCCN') {
            bClosedAt = now;
            b.close();
          }
        };
        const r = net.run({ maxSteps: 20_000 });
        expect(r.reason).toBe('idle');
        checkDirection(a, b, givenA, s.a);
        expect(['closed', 'failed']).toContain(a.channel.state);
        if (a.channel.state === 'closed') {
          // A closed cleanly: B got everything, StopCCN last, and held state for a full cycle.
          expect(b.delivered).toEqual(givenA);
          expect(bClosedAt).toBeDefined();
          expect(b.closedAt).toBeDefined();
          const cycle = retransmissionCycleMs({ maxRetransmits: s.b.maxRetransmits });
          expect((b.closedAt ?? 0) - (bClosedAt ?? 0)).toBeGreaterThanOrEqual(cycle);
        }
        expect(outputsAfterEnd(b.log)).toBe(0);
        worst.runs++;
        worst.messages += givenA.length;
        worst.maxSteps = Math.max(worst.maxSteps, r.steps);
        worst.maxSimulatedMs = Math.max(worst.maxSimulatedMs, r.nowMs);
      }),
      { seed: 0xc105e, numRuns: 2000 },
    );
  });
});
