// TunnelSwitch alternative next hops (draft-ietf-l2tpext-tunnel-switching-08 §5): a route may
// name several next hops; one that is unreachable (2/10) or busy (2/11) gives way to the next,
// and the First call is cleared only when none is left, with the last one's codes.

import { describe, expect, test } from 'vitest';
import { CdnResult, GeneralError } from '../../src/constants.js';
import type { TunnelOptions } from '../../src/endpoint.js';
import type { ResultCodes } from '../../src/fsm/types.js';
import type { SwitchDestination, SwitchedCall, SwitchRoute } from '../../src/switch/switch.js';
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
function setup(route: SwitchRoute, lnsA: Partial<TunnelOptions> = {}) {
  const net = new VirtualNet(11);
  const ep = (at: { address: string; port: number }, accept?: TunnelOptions) =>
    endpointAt(net, at, accept);
  const lac = ep(LAC);
  const sw = switchAt(net, TSA, route);
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
  const rerouted: { failed: SwitchDestination; codes: ResultCodes; now: SwitchDestination }[] = [];
  sw.on('rerouted', (call: SwitchedCall, failed, codes) =>
    rerouted.push({ failed, codes, now: call.destination as SwitchDestination }),
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
