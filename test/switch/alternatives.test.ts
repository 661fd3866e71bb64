// TunnelSwitch alternative next hops (draft-ietf-l2tpext-tunnel-switching-08 §5): a route may
// name several next hops; one that is unreachable (2/10) or busy (2/11) gives way to the next,
// and the First call is cleared only when none is left, with the last one's codes.

import { describe, expect, test } from 'vitest';
import { CdnResult, GeneralError } from '../../src/constants.js';
import type { TunnelOptions } from '../../src/endpoint.js';
import { UsageError } from '../../src/errors.js';
import type { ResultCodes } from '../../src/fsm/types.js';
import type {
  SwitchDestination,
  SwitchedCall,
  SwitchRoute,
  TunnelSwitchOptions,
} from '../../src/switch/switch.js';
import type { Session } from '../../src/tunnel.js';
import { endpointAt, switchAt, VirtualNet } from './net.js';

const LAC = { address: '10.0.1.1', port: 1701 };
const TSA = { address: '10.0.1.2', port: 1701 };
const LNS_A = { address: '10.0.1.3', port: 1701 };
const LNS_B = { address: '10.0.1.4', port: 1701 };
const NOBODY = { address: '10.0.1.99', port: 1701 };

const hop = (peer: { address: string; port: number }): SwitchDestination => ({
  peer,
  tunnel: { version: 2, hostName: 'tsa-out' },
});
const refuseWith =
  (codes: ResultCodes): NonNullable<TunnelOptions['acceptSession']> =>
  () =>
    codes;

/** LAC → TSA → {LNS A, LNS B}; `route` picks among them (and NOBODY, where no one listens). */
function setup(
  route: SwitchRoute,
  lnsA: Partial<TunnelOptions> = {},
  switchOptions: Partial<TunnelSwitchOptions> = {},
) {
  const net = new VirtualNet(11);
  const ep = (at: { address: string; port: number }, accept?: TunnelOptions) =>
    endpointAt(net, at, accept);
  const lac = ep(LAC);
  const sw = switchAt(net, TSA, route, switchOptions);
  const lnsOptions = { version: 2, mode: 'lns', hostName: 'lns' } as const;
  const a = ep(LNS_A, { ...lnsOptions, ...lnsA });
  const b = ep(LNS_B, lnsOptions);
  const upAt = { a: [] as Session[], b: [] as Session[] };
  const framesAtB: Uint8Array[] = [];
  a.on('tunnel', (t) => t.on('session-up', (s) => upAt.a.push(s)));
  b.on('tunnel', (t) =>
    t.on('session-up', (s) => {
      upAt.b.push(s);
      s.on('frame', (f) => framesAtB.push(f.slice()));
    }),
  );
  const rerouted: {
    failed: SwitchDestination;
    codes: ResultCodes;
    now: SwitchDestination;
    at: number;
  }[] = [];
  sw.on('rerouted', (call: SwitchedCall, failed, codes) =>
    rerouted.push({
      failed,
      codes,
      now: call.destination as SwitchDestination,
      at: net.clock.now(),
    }),
  );
  const refused: ResultCodes[] = [];
  sw.on('refused', (_first, codes) => refused.push(codes));
  const lacTunnel = lac.tunnel(TSA, { version: 2, mode: 'lac', hostName: 'lac' });
  return { net, sw, a, b, upAt, framesAtB, rerouted, refused, lacTunnel };
}

describe('TunnelSwitch alternative next hops (draft §5)', () => {
  test('an unreachable next hop gives way to the next; frames held meanwhile arrive', async () => {
    const c = setup(() => [hop(NOBODY), hop(LNS_B)]);
    const lacSession = await c.net.settle(c.lacTunnel.openSession({ calledNumber: 'dave' }));
    // Sent while the TSA still tries the first next hop: held, then forwarded to the second.
    const lcp = Uint8Array.from([0xc0, 0x21, 1, 1, 0, 4]);
    lacSession.send(lcp);
    expect(await c.net.until(() => c.framesAtB.length === 1, 200_000)).toBe(true);
    expect(c.framesAtB).toEqual([lcp]);
    expect(c.rerouted).toHaveLength(1);
    expect(c.rerouted[0]?.failed.peer).toEqual(NOBODY);
    expect(c.rerouted[0]?.now.peer).toEqual(LNS_B);
    expect(c.rerouted[0]?.codes).toMatchObject({
      resultCode: CdnResult.GeneralError,
      errorCode: GeneralError.NextHopUnreachable,
    });
    expect(lacSession.downReason).toBeUndefined();
    expect(c.refused).toEqual([]);
    expect(c.sw.stats()).toMatchObject({ callsUp: 1, switched: 1, rerouted: 1, failed: 0 });
  });

  test('a busy next hop (its CDN 2/12, TSA busy) gives way to the next', async () => {
    const c = setup(() => [hop(LNS_A), hop(LNS_B)], {
      acceptSession: refuseWith({ resultCode: 2, errorCode: GeneralError.TsaBusy }),
    });
    const lacSession = await c.net.settle(c.lacTunnel.openSession({ calledNumber: 'erin' }));
    expect(await c.net.until(() => c.upAt.b.length === 1)).toBe(true);
    expect(c.upAt.a).toEqual([]);
    expect(c.rerouted.map((r) => r.codes.errorCode)).toEqual([GeneralError.NextHopBusy]);
    expect(lacSession.isUp).toBe(true);
    expect(c.sw.stats()).toMatchObject({ callsUp: 1, rerouted: 1 });
  });

  test('when every next hop fails, the First call gets the last failure (2/11 after 2/10)', async () => {
    const c = setup(() => [hop(NOBODY), hop(LNS_A)], {
      acceptSession: refuseWith({ resultCode: CdnResult.NoFacilitiesTemporary }),
    });
    const lacSession = await c.net.settle(c.lacTunnel.openSession({ calledNumber: 'frank' }));
    expect(await c.net.until(() => lacSession.downReason !== undefined, 200_000)).toBe(true);
    expect(lacSession.downReason).toMatchObject({
      by: 'peer',
      resultCode: CdnResult.GeneralError,
      errorCode: GeneralError.NextHopBusy,
    });
    expect(c.rerouted.map((r) => r.codes.errorCode)).toEqual([GeneralError.NextHopUnreachable]);
    expect(c.refused).toHaveLength(1);
    expect(c.sw.stats()).toMatchObject({ calls: 0, failed: 1, rerouted: 1, switched: 0 });
  });

  test('a refusal that is not a path failure ends the call at once: no alternative is tried', async () => {
    const c = setup(() => [hop(LNS_A), hop(LNS_B)], {
      acceptSession: refuseWith({ resultCode: CdnResult.InvalidDestination, message: 'no such' }),
    });
    const lacSession = await c.net.settle(c.lacTunnel.openSession({ calledNumber: 'gina' }));
    expect(await c.net.until(() => lacSession.downReason !== undefined)).toBe(true);
    expect(lacSession.downReason).toMatchObject({
      by: 'peer',
      resultCode: CdnResult.InvalidDestination,
    });
    expect(c.rerouted).toEqual([]);
    expect(c.b.tunnels.size).toBe(0);
  });

  test('a next hop whose options are refused at once gives way too (the host hears an error)', async () => {
    const c = setup(() => [
      { ...hop(LNS_A), tunnel: { version: 2, hostName: 'tsa-out', maxSessions: -1 } },
      hop(LNS_B),
    ]);
    const errors: Error[] = [];
    c.sw.on('error', (e) => errors.push(e));
    await c.net.settle(c.lacTunnel.openSession({ calledNumber: 'hal' }));
    expect(await c.net.until(() => c.upAt.b.length === 1)).toBe(true);
    expect(errors).toHaveLength(1);
    expect(c.rerouted.map((r) => r.codes.errorCode)).toEqual([GeneralError.NextHopUnreachable]);
  });

  test("a 'rerouted' listener that ends the First call stops the reroute", async () => {
    const c = setup(() => [hop(NOBODY), hop(LNS_B)]);
    c.sw.on('rerouted', (call) => call.first.close({ resultCode: CdnResult.Administrative }));
    const lacSession = await c.net.settle(c.lacTunnel.openSession({ calledNumber: 'jo' }));
    expect(await c.net.until(() => lacSession.downReason !== undefined, 200_000)).toBe(true);
    await c.net.run(5_000);
    expect(c.rerouted).toHaveLength(1);
    expect(c.b.tunnels.size).toBe(0);
    expect(c.sw.stats()).toMatchObject({ calls: 0, switched: 0 });
  });

  test('an empty list is refused as next hop unreachable', async () => {
    const c = setup(() => []);
    const lacSession = await c.net.settle(c.lacTunnel.openSession({ calledNumber: 'ivy' }));
    expect(await c.net.until(() => lacSession.downReason !== undefined)).toBe(true);
    expect(lacSession.downReason).toMatchObject({
      resultCode: CdnResult.GeneralError,
      errorCode: GeneralError.NextHopUnreachable,
    });
    expect(c.refused).toHaveLength(1);
  });
});

describe('TunnelSwitch nextHopTimeoutMs: a next hop that does not answer is given up', () => {
  test("by default after 10 s, not after its tunnel's 31 s retransmission cycle; the next is tried", async () => {
    const c = setup(() => [hop(NOBODY), hop(LNS_B)]);
    const lacSession = await c.net.settle(c.lacTunnel.openSession({ calledNumber: 'kim' }));
    const placed = c.net.clock.now();
    expect(await c.net.until(() => c.upAt.b.length === 1, 60_000)).toBe(true);
    expect(c.rerouted).toHaveLength(1);
    // The TSA places the Second call a few ms before the LAC's session is up at the LAC.
    const waited = (c.rerouted[0]?.at as number) - placed;
    expect(waited).toBeGreaterThan(9_900);
    expect(waited).toBeLessThan(10_100);
    expect(c.rerouted[0]?.codes).toEqual({
      resultCode: CdnResult.GeneralError,
      errorCode: GeneralError.NextHopUnreachable,
      message: 'next hop did not answer within 10000 ms',
    });
    expect(lacSession.isUp).toBe(true);
    expect(c.sw.stats()).toMatchObject({ callsUp: 1, switched: 1, rerouted: 1, failed: 0 });
  });

  test('with no alternative left, the First call is cleared with 2/10 at the deadline', async () => {
    const c = setup(() => hop(NOBODY), {}, { nextHopTimeoutMs: 3_000 });
    const unswitched: { endedBy: string; by: string; second: unknown }[] = [];
    c.sw.on('unswitched', (u) =>
      unswitched.push({ endedBy: u.endedBy, by: u.reason.by, second: u.call.second }),
    );
    const lacSession = await c.net.settle(c.lacTunnel.openSession({ calledNumber: 'lee' }));
    const placed = c.net.clock.now();
    expect(await c.net.until(() => lacSession.downReason !== undefined, 60_000)).toBe(true);
    expect(c.net.clock.now() - placed).toBeLessThan(3_100);
    expect(lacSession.downReason).toMatchObject({
      by: 'peer',
      resultCode: CdnResult.GeneralError,
      errorCode: GeneralError.NextHopUnreachable,
      message: 'next hop did not answer within 3000 ms',
    });
    expect(c.refused).toHaveLength(1);
    expect(unswitched).toEqual([{ endedBy: 'second', by: 'timeout', second: undefined }]);
    expect(c.sw.stats()).toMatchObject({ calls: 0, failed: 1, rerouted: 0 });
    // The Second tunnel to nowhere, left without calls, is closed once idle.
    await c.net.run(60_000);
    expect(c.sw.stats().secondTunnels).toBe(0);
  });

  test('a next hop that answers after it was given up does not get the call back', async () => {
    const c = setup(() => [hop(LNS_A), hop(LNS_B)], {}, { nextHopTimeoutMs: 2_500 });
    c.net.faults.set(`${LNS_A.address}:${LNS_A.port}`, { loss: 1 }); // A hears, says nothing
    const lacSession = await c.net.settle(c.lacTunnel.openSession({ calledNumber: 'max' }));
    expect(await c.net.until(() => c.upAt.b.length === 1, 60_000)).toBe(true);
    c.net.faults.delete(`${LNS_A.address}:${LNS_A.port}`); // A answers from now on
    await c.net.run(60_000);
    expect(c.upAt.a).toEqual([]);
    expect(c.rerouted.map((r) => r.failed.peer)).toEqual([LNS_A]);
    expect(lacSession.isUp).toBe(true);
    expect(c.upAt.b[0]?.isUp).toBe(true);
    const lcp = Uint8Array.from([0xc0, 0x21, 9, 1, 0, 4]);
    lacSession.send(lcp);
    expect(await c.net.until(() => c.framesAtB.length === 1)).toBe(true);
    expect(c.sw.stats()).toMatchObject({ calls: 1, callsUp: 1, rerouted: 1, failed: 0 });
  });

  test('a next hop that heard the call but did not answer in time gets a CDN (3) for it', async () => {
    const c = setup(() => [hop(LNS_A), hop(LNS_B)], {}, { nextHopTimeoutMs: 2_500 });
    const atA: Session[] = [];
    c.a.on('tunnel', (t) =>
      t.on('incoming-session', (e) => {
        const s = t.sessions.get(e.sessionId);
        if (s !== undefined) atA.push(s);
      }),
    );
    // A first call makes the Second tunnel to A; it stays up.
    const first = await c.net.settle(c.lacTunnel.openSession({ calledNumber: 'olga' }));
    expect(await c.net.until(() => c.upAt.a.length === 1)).toBe(true);
    // Then A's replies are lost: the next call's ICRQ reaches A, its ICRP does not come back.
    c.net.faults.set(`${LNS_A.address}:${LNS_A.port}`, { loss: 1 });
    const second = await c.net.settle(c.lacTunnel.openSession({ calledNumber: 'pat' }));
    expect(await c.net.until(() => c.upAt.b.length === 1, 60_000)).toBe(true);
    c.net.faults.delete(`${LNS_A.address}:${LNS_A.port}`);
    expect(await c.net.until(() => atA[1]?.downReason !== undefined)).toBe(true);
    expect(atA[1]?.downReason).toMatchObject({
      by: 'peer',
      resultCode: CdnResult.Administrative,
      message: 'next hop did not answer within 2500 ms',
    });
    await c.net.run(30_000);
    expect(c.upAt.a).toHaveLength(1);
    expect(first.isUp).toBe(true);
    expect(second.isUp).toBe(true);
    expect(c.rerouted.map((r) => r.failed.peer)).toEqual([LNS_A]);
    expect(c.sw.stats()).toMatchObject({ calls: 2, callsUp: 2, rerouted: 1, failed: 0 });
  });

  test('a next hop that answers before the deadline keeps the call, and the deadline is dropped', async () => {
    const c = setup(() => [hop(LNS_A), hop(LNS_B)], {}, { nextHopTimeoutMs: 5_000 });
    c.net.faults.set(`${LNS_A.address}:${LNS_A.port}`, { loss: 1 });
    const lacSession = await c.net.settle(c.lacTunnel.openSession({ calledNumber: 'ned' }));
    await c.net.run(2_000); // the TSA's SCCRQ went unanswered once
    c.net.faults.delete(`${LNS_A.address}:${LNS_A.port}`);
    expect(await c.net.until(() => c.upAt.a.length === 1, 5_000)).toBe(true);
    await c.net.run(30_000);
    expect(c.rerouted).toEqual([]);
    expect(c.upAt.b).toEqual([]);
    expect(lacSession.isUp).toBe(true);
    expect(c.sw.stats()).toMatchObject({ callsUp: 1, rerouted: 0, failed: 0 });
  });

  test('the deadline is dropped with the call: a First call that ends first leaves no timer', async () => {
    const net = new VirtualNet(5);
    // The switch's timers, watched: those of `DEADLINE` ms are the setup deadlines.
    const DEADLINE = 7_777;
    const live = new Set<unknown>();
    const timers: TunnelSwitchOptions['timers'] = {
      set: (ms, fire) => {
        const handle = net.timers.set(ms, () => {
          live.delete(handle);
          fire();
        });
        if (ms === DEADLINE) live.add(handle);
        return handle;
      },
      clear: (handle) => {
        live.delete(handle);
        net.timers.clear(handle);
      },
    };
    const lac = endpointAt(net, LAC);
    const b = endpointAt(net, LNS_B, { version: 2, mode: 'lns', hostName: 'lns' });
    const sw = switchAt(
      net,
      TSA,
      ({ calledNumber }) => hop(calledNumber === 'up' ? LNS_B : NOBODY),
      {
        nextHopTimeoutMs: DEADLINE,
        timers,
      },
    );
    const t = lac.tunnel(TSA, { version: 2, mode: 'lac', hostName: 'lac' });
    const hangsUp = await net.settle(t.openSession({ calledNumber: 'nowhere' }));
    await net.run(1_000);
    expect(live.size).toBe(1);
    hangsUp.close();
    await net.run(100);
    expect(live.size).toBe(0);
    expect(sw.stats()).toMatchObject({ calls: 0 });
    // A call that comes up drops its deadline too.
    await net.settle(t.openSession({ calledNumber: 'up' }));
    expect(await net.until(() => sw.stats().callsUp === 1)).toBe(true);
    expect(live.size).toBe(0);
    expect(b.tunnels.size).toBe(1);
  });

  test.each([0, -1, 1.5, 3_600_001, Number.NaN])('refuses nextHopTimeoutMs %s', (bad) => {
    const net = new VirtualNet(1);
    expect(() => switchAt(net, TSA, () => hop(LNS_B), { nextHopTimeoutMs: bad })).toThrow(
      UsageError,
    );
  });
});

describe('TunnelSwitch nextHopHoldDownMs: a next hop found unreachable is passed over for a while', () => {
  // Calls for 'pair' go to [A, B]; for 'alone', to A only (the route's last destination).
  const byCalled =
    (a: { address: string; port: number }): SwitchRoute =>
    ({ calledNumber }) =>
      calledNumber === 'alone' ? hop(a) : [hop(a), hop(LNS_B)];

  /** Opens a call for `called`; resolves when it is up at LNS B or A, or down at the LAC. */
  async function call(c: ReturnType<typeof setup>, called: string) {
    const before = { a: c.upAt.a.length, b: c.upAt.b.length, rerouted: c.rerouted.length };
    const session = await c.net.settle(c.lacTunnel.openSession({ calledNumber: called }));
    const placed = c.net.clock.now();
    await c.net.until(
      () =>
        c.upAt.a.length > before.a ||
        c.upAt.b.length > before.b ||
        session.downReason !== undefined,
      120_000,
    );
    return {
      session,
      tookMs: c.net.clock.now() - placed,
      at: c.upAt.a.length > before.a ? 'A' : c.upAt.b.length > before.b ? 'B' : 'down',
      rerouted: c.rerouted.slice(before.rerouted),
    };
  }

  test('the next calls skip it at once (default 30 s), then it is tried again', async () => {
    const c = setup(byCalled(NOBODY));
    const first = await call(c, 'pair');
    expect(first).toMatchObject({ at: 'B' });
    expect(first.tookMs).toBeGreaterThan(9_900); // waited for the deadline
    expect(c.sw.stats().nextHopsHeldDown).toBe(1);
    await c.net.run(5_000);
    const second = await call(c, 'pair');
    expect(second).toMatchObject({ at: 'B' });
    expect(second.tookMs).toBeLessThan(100);
    expect(second.rerouted.map((r) => [r.failed.peer, r.codes])).toEqual([
      [
        NOBODY,
        {
          resultCode: CdnResult.GeneralError,
          errorCode: GeneralError.NextHopUnreachable,
          message: expect.stringMatching(/^next hop held down: unreachable 5\d{3} ms ago$/),
        },
      ],
    ]);
    await c.net.run(30_000); // the hold-down ran out
    expect(c.sw.stats().nextHopsHeldDown).toBe(0);
    const third = await call(c, 'pair');
    expect(third).toMatchObject({ at: 'B' });
    expect(third.tookMs).toBeGreaterThan(9_900);
    expect(c.sw.stats()).toMatchObject({ callsUp: 3, rerouted: 3, failed: 0 });
  });

  test("the route's last destination is tried even while held down", async () => {
    const c = setup(byCalled(NOBODY), {}, { nextHopTimeoutMs: 2_000 });
    await call(c, 'pair');
    const alone = await call(c, 'alone');
    expect(alone.at).toBe('down');
    expect(alone.tookMs).toBeGreaterThan(1_900);
    expect(alone.session.downReason).toMatchObject({
      errorCode: GeneralError.NextHopUnreachable,
      message: 'next hop did not answer within 2000 ms',
    });
  });

  test('a call that comes up through a held-down next hop clears it', async () => {
    const c = setup(byCalled(LNS_A), {}, { nextHopTimeoutMs: 2_500 });
    c.net.faults.set(`${LNS_A.address}:${LNS_A.port}`, { loss: 1 });
    expect(await call(c, 'pair')).toMatchObject({ at: 'B' });
    expect(c.sw.stats().nextHopsHeldDown).toBe(1);
    c.net.faults.delete(`${LNS_A.address}:${LNS_A.port}`);
    expect(await call(c, 'alone')).toMatchObject({ at: 'A' }); // the last destination: tried
    expect(c.sw.stats().nextHopsHeldDown).toBe(0);
    const again = await call(c, 'pair');
    expect(again).toMatchObject({ at: 'A', rerouted: [] });
  });

  test('a next hop that refuses the call with a CDN is not held down', async () => {
    const c = setup(byCalled(LNS_A), {
      acceptSession: refuseWith({ resultCode: 2, errorCode: GeneralError.TsaBusy }),
    });
    expect(await call(c, 'pair')).toMatchObject({ at: 'B' });
    expect(await call(c, 'pair')).toMatchObject({ at: 'B' });
    expect(c.rerouted.map((r) => r.codes.errorCode)).toEqual([
      GeneralError.NextHopBusy,
      GeneralError.NextHopBusy,
    ]);
    expect(c.sw.stats().nextHopsHeldDown).toBe(0);
  });

  test('nextHopHoldDownMs 0: every call waits for the next hop again', async () => {
    const c = setup(byCalled(NOBODY), {}, { nextHopTimeoutMs: 1_000, nextHopHoldDownMs: 0 });
    const tooks = [];
    for (let i = 0; i < 2; i++) tooks.push((await call(c, 'pair')).tookMs);
    expect(tooks.every((t) => t > 900)).toBe(true);
    expect(c.sw.stats().nextHopsHeldDown).toBe(0);
  });

  test('at maxNextHopsHeldDown, the next hop held longest is let go', async () => {
    const dead = [1, 2, 3].map((i) => ({ address: `10.0.2.${i}`, port: 1701 }));
    const c = setup(
      ({ calledNumber }) => [
        hop(dead[Number(calledNumber)] as { address: string; port: number }),
        hop(LNS_B),
      ],
      {},
      { nextHopTimeoutMs: 1_000, maxNextHopsHeldDown: 2 },
    );
    for (const n of ['0', '1', '2']) expect(await call(c, n)).toMatchObject({ at: 'B' });
    expect(c.sw.stats().nextHopsHeldDown).toBe(2);
    // 1 and 2 are held down; 0 was let go, so it is waited for again.
    expect((await call(c, '1')).tookMs).toBeLessThan(100);
    expect((await call(c, '2')).tookMs).toBeLessThan(100);
    expect((await call(c, '0')).tookMs).toBeGreaterThan(900);
  });

  test.each([
    { nextHopHoldDownMs: -1 },
    { nextHopHoldDownMs: 1.5 },
    { nextHopHoldDownMs: 86_400_001 },
    { maxNextHopsHeldDown: 0 },
  ])('refuses %o', (bad) => {
    expect(() => switchAt(new VirtualNet(1), TSA, () => hop(LNS_B), bad)).toThrow(UsageError);
  });
});
