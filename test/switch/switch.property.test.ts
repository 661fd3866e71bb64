// Property (issue #15): random CDNs and StopCCNs from either side, on lossy, duplicating and
// reordering links, never leave one half of a switched call alive for longer than the
// retransmission budget — and every call the LAC opened ends up switched or cleared. In some
// runs the route names a dead next hop first, so every call is rerouted to the LNS (draft §5).

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import type { SwitchedCall } from '../../src/switch/switch.js';
import type { Session, Tunnel } from '../../src/tunnel.js';
import { endpointAt, switchAt, VirtualNet } from './net.js';

const LAC = { address: '10.0.0.1', port: 1701 };
const TSA = { address: '10.0.0.2', port: 1701 };
const LNS = { address: '10.0.0.3', port: 1701 };
const NOBODY = { address: '10.0.0.99', port: 1701 };
// One full retransmission cycle with the defaults (1+2+4+8+8+8+… s, about 31 s) and a CDN
// behind another message's cycle: twice that. A tunnel whose peer already gave up (every
// acknowledgement lost) is found only by HELLO, after 60 s of silence: add that, and a margin.
const BUDGET_MS = 160_000;
// The dead next hop's tunnel gives up after 200 + 400 ms (so teardowns meet reroutes).
const DEAD_HOP = { peer: NOBODY, retransmitTimeoutMs: 200, maxRetransmits: 1 } as const;
const DEAD_HOP_MS = 1_000;

type Action =
  | { kind: 'open' }
  | { kind: 'lac-cdn'; pick: number }
  | { kind: 'lns-cdn'; pick: number }
  | { kind: 'lns-stopccn' }
  | { kind: 'lac-stopccn' }
  | { kind: 'wait'; ms: number };

const action: fc.Arbitrary<Action> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'open' as const }) },
  { weight: 3, arbitrary: fc.nat(100).map((pick) => ({ kind: 'lac-cdn' as const, pick })) },
  { weight: 2, arbitrary: fc.nat(100).map((pick) => ({ kind: 'lns-cdn' as const, pick })) },
  { weight: 1, arbitrary: fc.constant({ kind: 'lns-stopccn' as const }) },
  { weight: 1, arbitrary: fc.constant({ kind: 'lac-stopccn' as const }) },
  {
    weight: 3,
    arbitrary: fc.integer({ min: 1, max: 3000 }).map((ms) => ({ kind: 'wait' as const, ms })),
  },
);

describe('switched calls under random teardown and loss', () => {
  test.each([
    { viaDeadHop: false, name: 'straight to the LNS' },
    { viaDeadHop: true, name: 'a dead next hop first, then the LNS' },
  ])(
    'no half outlives the other beyond the retransmission budget ($name)',
    async ({ viaDeadHop }) => {
      // What the runs exercised, so the property cannot pass by never switching anything.
      const seen = { switched: 0, clearedByLac: 0, clearedByLns: 0, stillUp: 0, rerouted: 0 };
      await fc.assert(
        fc.asyncProperty(
          fc.integer({ min: 1, max: 1_000_000 }),
          fc.double({ min: 0, max: 0.25, noNaN: true }),
          fc.array(action, { minLength: 1, maxLength: 20 }),
          async (seed, loss, actions) => {
            const net = new VirtualNet(seed);
            for (const k of ['10.0.0.1:1701', '10.0.0.2:1701', '10.0.0.3:1701']) {
              net.faults.set(k, { loss, duplicate: loss / 3, jitterMs: 30 });
            }
            const lac = endpointAt(net, LAC);
            const lnsHop = { peer: LNS, tunnel: { version: 2, hostName: 'tsa-out' } } as const;
            const deadHop = {
              peer: DEAD_HOP.peer,
              tunnel: {
                ...lnsHop.tunnel,
                retransmitTimeoutMs: DEAD_HOP.retransmitTimeoutMs,
                maxRetransmits: DEAD_HOP.maxRetransmits,
              },
            };
            const sw = switchAt(net, TSA, () => (viaDeadHop ? [deadHop, lnsHop] : lnsHop), {
              tsaId: 'p',
              idleTunnelMs: 2_000,
            });
            sw.on('error', () => {}); // host faults are not what this property is about
            const lns = endpointAt(net, LNS, { version: 2, mode: 'lns', hostName: 'lns' });
            const calls: SwitchedCall[] = [];
            sw.on('switched', (c) => calls.push(c));
            const lacCalls: Session[] = [];
            const lnsCalls: Session[] = [];
            lns.on('tunnel', (t) => t.on('session-up', (s) => lnsCalls.push(s)));
            let lacTunnel: Tunnel | undefined;
            const opened: Promise<unknown>[] = [];
            for (const a of actions) {
              switch (a.kind) {
                case 'open': {
                  if (
                    lacTunnel === undefined ||
                    lacTunnel.closed ||
                    lacTunnel.downReason !== undefined
                  ) {
                    lacTunnel = lac.tunnel(TSA, { version: 2, mode: 'lac', hostName: 'lac' });
                  }
                  const p = lacTunnel.openSession().then((s) => lacCalls.push(s));
                  p.catch(() => {});
                  opened.push(p.catch(() => {}));
                  break;
                }
                case 'lac-cdn': {
                  const up = lacCalls.filter((s) => s.isUp);
                  up[a.pick % Math.max(1, up.length)]?.close({ resultCode: 1 });
                  break;
                }
                case 'lns-cdn': {
                  const up = lnsCalls.filter((s) => s.isUp);
                  up[a.pick % Math.max(1, up.length)]?.close({ resultCode: 2, errorCode: 6 });
                  break;
                }
                case 'lns-stopccn':
                  for (const t of lns.tunnels.values()) if (t.isUp) void t.close();
                  break;
                case 'lac-stopccn':
                  if (lacTunnel?.isUp) void lacTunnel.close();
                  break;
                case 'wait':
                  await net.run(a.ms);
                  break;
              }
            }
            // Quiet: nothing more is asked; every exchange now ends within the budget.
            await net.run(BUDGET_MS + (viaDeadHop ? DEAD_HOP_MS : 0));
            await Promise.all(opened);
            for (const c of calls) {
              const first = c.first.isUp;
              const second = c.second?.isUp ?? false;
              expect({ first, second, state: c.state }).toEqual(
                first && second
                  ? { first, second, state: 'up' }
                  : { first: false, second: false, state: 'down' },
              );
            }
            // End to end: a LAC call is up exactly when some LNS call is up with it.
            const lacUp = lacCalls.filter((s) => s.isUp).length;
            const lnsUp = lnsCalls.filter((s) => s.isUp).length;
            expect(lacUp).toBe(lnsUp);
            expect(sw.stats().callsUp).toBe(lacUp);
            // Every call the TSA still holds is up (none hangs routing or connecting).
            expect(sw.stats().calls).toBe(sw.stats().callsUp);
            seen.switched += calls.length;
            seen.rerouted += sw.stats().rerouted;
            seen.stillUp += lacUp;
            for (const c of calls) {
              if (c.state !== 'down') continue;
              if (c.first.downReason?.by === 'peer') seen.clearedByLac++;
              else seen.clearedByLns++;
            }
            lac.destroy();
            lns.destroy();
            sw.destroy();
          },
        ),
        { numRuns: 40, seed: 15 },
      );
      expect(seen.switched).toBeGreaterThan(40);
      expect(seen.clearedByLac).toBeGreaterThan(5);
      expect(seen.clearedByLns).toBeGreaterThan(5);
      expect(seen.stillUp).toBeGreaterThan(5);
      if (viaDeadHop) expect(seen.rerouted).toBeGreaterThan(5);
      else expect(seen.rerouted).toBe(0);
    },
    120_000,
  );
});
