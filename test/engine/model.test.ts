// Properties of TunnelEngine under arbitrary input: (1) no datagram, however broken, makes an
// input method throw (h11's promise; arbitrary bytes and the near-valid mutations of
// src/arbitraries, patched to reach this tunnel's channel in order); (2) a model test over
// random command sequences on a lossy simulated link: no command or input throws, nothing but
// StopCCN, ZLBs and retransmissions leave an engine after its tunnel-down, exactly one
// tunnel-down per tunnel that ended, at most one session-down per session, and every ended
// tunnel is eventually released.

import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { nearValidControlBytesArbitrary } from '../../src/arbitraries/index.js';
import { TunnelEngine } from '../../src/engine/index.js';
import { nodeCrypto } from '../../src/node/crypto.js';
import { SeededRandom } from '../../src/testing/index.js';
import { type EngineNode, EnginePair, SECRET, sideOptions } from './pair.js';
import { headerOf, isControl, nameOf } from './wire.js';

const secretBytes = new TextEncoder().encode(SECRET);

const datagram = fc.oneof(
  fc.uint8Array({ maxLength: 120 }),
  nearValidControlBytesArbitrary({
    version: 2,
    hiding: { secret: secretBytes, crypto: nodeCrypto },
  }).map((s) => s.bytes),
);

// Rewrites a control datagram's Tunnel ID, Ns and Nr so the engine's channel takes it in order.
function aimAt(bytes: Uint8Array, engine: TunnelEngine): Uint8Array {
  if (bytes.length < 12 || !isControl(bytes)) return bytes;
  const out = bytes.slice();
  const ch = engine.stats().channel;
  const put = (at: number, v: number) => {
    out[at] = v >> 8;
    out[at + 1] = v & 0xff;
  };
  put(4, engine.localTunnelId);
  put(8, ch.nr);
  put(10, ch.nextNs);
  return out;
}

describe('inputs never throw for peer bytes', () => {
  test('arbitrary and near-valid datagrams, as an SCCRQ or inside an established tunnel', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(datagram, fc.boolean()), { maxLength: 8 }),
        fc.nat(),
        (list, seed) => {
          const random = new SeededRandom(seed);
          const responder = TunnelEngine.accept(
            list[0]?.[0] ?? new Uint8Array(0),
            0,
            sideOptions('lns', random, { secret: SECRET }),
          ).engine;
          const p = new EnginePair({
            seed: seed + 1,
            a: { secret: SECRET },
            b: { secret: SECRET },
          });
          p.establish();
          p.openSession(p.a);
          p.drive(500);
          let now = p.now;
          for (const [bytes, aim] of list) {
            for (const engine of [responder, p.b.engine]) {
              engine.handleDatagram(aim ? aimAt(bytes, engine) : bytes, now);
              engine.handleTimeout(now);
            }
            now += 50;
          }
          for (const engine of [responder, p.b.engine]) {
            engine.handleTimeout(now + 100_000);
            expect(['idle', 'wait-ctl-conn', 'established', 'closing', 'closed']).toContain(
              engine.state,
            );
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});

type Side = 'a' | 'b';
type Command =
  | { readonly op: 'open'; readonly side: Side }
  | { readonly op: 'close-session'; readonly side: Side; readonly pick: number }
  | { readonly op: 'frame'; readonly side: Side; readonly pick: number }
  | { readonly op: 'close'; readonly side: Side }
  | { readonly op: 'advance'; readonly ms: number };

const side = fc.constantFrom<Side>('a', 'b');
const command: fc.Arbitrary<Command> = fc.oneof(
  { arbitrary: fc.record({ op: fc.constant('open' as const), side }), weight: 3 },
  {
    arbitrary: fc.record({ op: fc.constant('close-session' as const), side, pick: fc.nat() }),
    weight: 1,
  },
  { arbitrary: fc.record({ op: fc.constant('frame' as const), side, pick: fc.nat() }), weight: 4 },
  // Rare: a tunnel close ends the interesting part of a run.
  { arbitrary: fc.record({ op: fc.constant('close' as const), side }), weight: 1 },
  {
    arbitrary: fc.record({
      op: fc.constant('advance' as const),
      // Mostly short steps (calls come up, frames flow); sometimes past HELLO or the retry budget.
      ms: fc.oneof(
        { arbitrary: fc.integer({ min: 0, max: 500 }), weight: 8 },
        { arbitrary: fc.integer({ min: 500, max: 70_000 }), weight: 1 },
      ),
    }),
    weight: 8,
  },
);

function checkNode(node: EngineNode): void {
  // Exactly one tunnel-down per tunnel that ended, at most one session-down per session.
  const downs = new Map<number, number>();
  for (const e of node.eventsOf('tunnel-down'))
    downs.set(e.tunnelId, (downs.get(e.tunnelId) ?? 0) + 1);
  for (const [tid, engine] of node.engines) {
    const n = downs.get(tid) ?? 0;
    expect(n).toBeLessThanOrEqual(1);
    if (engine.state === 'closing' || engine.state === 'closed') expect(n).toBe(1);
  }
  const sessionDowns = node
    .eventsOf('session-down')
    .map((e) => `${e.tunnelId}:${e.value.sessionId}`);
  expect(new Set(sessionDowns).size).toBe(sessionDowns.length);
  const ups = new Set(node.eventsOf('session-up').map((e) => `${e.tunnelId}:${e.value.sessionId}`));
  for (const d of node.eventsOf('session-down')) {
    // A session-down is for a call the host knew: opened locally or accepted.
    const key = `${d.tunnelId}:${d.value.sessionId}`;
    const accepted = node
      .eventsOf('incoming-session')
      .some((e) => `${e.tunnelId}:${e.value.sessionId}` === key && e.value.accepted);
    expect(ups.has(key) || accepted || node.opened.has(key)).toBe(true);
  }
  // After its tunnel-down an engine sends only StopCCN, ZLBs and retransmissions.
  for (const down of node.eventsOf('tunnel-down')) {
    const before = node.sent.filter((s) => s.tunnelId === down.tunnelId && s.seq < down.seq);
    const seenNs = new Set(
      before.filter((s) => isControl(s.bytes)).map((s) => headerOf(s.bytes).ns),
    );
    for (const s of node.sent) {
      if (s.tunnelId !== down.tunnelId || s.seq < down.seq) continue;
      const name = nameOf(s.bytes, SECRET);
      expect(name).not.toBe('DATA');
      if (name !== 'ZLB' && name !== 'StopCCN') expect(seenNs.has(headerOf(s.bytes).ns)).toBe(true);
    }
  }
}

describe('model: random command sequences on a lossy link', () => {
  const reached = { runs: 0, sessionsUp: 0, frames: 0, timeouts: 0, peerCloses: 0 };
  afterAll(() => {
    console.log(`engine model coverage: ${JSON.stringify(reached)}`);
  });

  test('no throws; one tunnel-down per ended tunnel; nothing but StopCCN/ZLB/retransmissions after it; all released', () => {
    fc.assert(
      fc.property(
        fc.nat(),
        fc.integer({ min: 0, max: 25 }),
        fc.boolean(),
        fc.array(command, { minLength: 5, maxLength: 60, size: 'medium' }),
        (seed, lossPercent, withSecret, commands) => {
          const opts = withSecret
            ? { secret: SECRET, hiddenFields: ['assignedSessionId' as const] }
            : {};
          const p = new EnginePair({
            seed,
            a: opts,
            b: opts,
            link: { latencyMs: 10, jitterMs: 5, lossRate: lossPercent / 100 },
          });
          p.connect();
          p.drive(100);
          for (const c of commands) {
            if (c.op === 'advance') {
              p.drive(c.ms, 200_000);
              continue;
            }
            const node = p[c.side];
            if (!node.hasEngine) continue;
            const engine = node.engine;
            const live = engine.state !== 'closing' && engine.state !== 'closed';
            if (c.op === 'open') {
              if (!live) continue;
              const id = p.openSession(node);
              node.opened.add(`${engine.localTunnelId}:${id}`);
            } else if (c.op === 'close') {
              p.run(node, (e, now) => e.close(now));
            } else {
              const ids = engine.sessionIds();
              const id = ids[c.pick % Math.max(ids.length, 1)];
              if (id === undefined) continue;
              if (c.op === 'close-session') p.run(node, (e, now) => e.closeSession(id, now));
              else if (engine.isSessionUp(id)) {
                p.run(node, (e, now) => e.sendFrame(id, Uint8Array.of(c.pick & 0xff), now));
              }
            }
          }
          for (const node of [p.a, p.b]) {
            for (const [, e] of node.engines) {
              if (e.state !== 'closed' && e.state !== 'closing')
                node.perform(e, e.close(p.now), p.now);
            }
          }
          p.drive(200_000, 400_000);
          reached.runs++;
          for (const node of [p.a, p.b]) {
            reached.sessionsUp += node.eventsOf('session-up').length;
            reached.frames += node.frames.length;
            for (const d of node.eventsOf('tunnel-down')) {
              if (d.value.reason.by === 'timeout') reached.timeouts++;
              if (d.value.reason.by === 'peer') reached.peerCloses++;
            }
            checkNode(node);
            for (const [tid, e] of node.engines) {
              expect(e.state).toBe('closed');
              expect(e.nextDeadline()).toBeUndefined();
              expect(node.eventsOf('tunnel-closed').filter((x) => x.tunnelId === tid)).toHaveLength(
                1,
              );
            }
          }
        },
      ),
      { numRuns: Number(process.env.MODEL_RUNS ?? 150) },
    );
    // The model is not vacuous: calls come up, frames flow, both kinds of ending happen.
    expect(reached.sessionsUp).toBeGreaterThan(reached.runs / 2);
    expect(reached.frames).toBeGreaterThan(0);
    expect(reached.peerCloses).toBeGreaterThan(0);
  });
});
