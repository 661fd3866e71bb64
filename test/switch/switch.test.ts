// TunnelSwitch on a virtual network: LAC → TSA → LNS (and TSA → TSA), frames end to end, the
// draft's AVP relaying, loop detection, error propagation both ways, idle Second tunnels.

import { describe, expect, test } from 'vitest';
import type { RawAvp } from '../../src/avp/raw.js';
import { AvpType, CdnResult, GeneralError } from '../../src/constants.js';
import { Endpoint, type TunnelOptions } from '../../src/endpoint.js';
import { nodeRandomBytes } from '../../src/node/clock.js';
import type { SwitchCallInfo, SwitchRoute } from '../../src/switch/switch.js';
import type { Session, Tunnel } from '../../src/tunnel.js';
import { endpointAt, switchAt, VirtualNet } from './net.js';

const LAC = { address: '10.0.0.1', port: 1701 };
const TSA = { address: '10.0.0.2', port: 1701 };
const LNS = { address: '10.0.0.3', port: 1701 };
const TSA2 = { address: '10.0.0.4', port: 1701 };

const endpoint = endpointAt;
const tsa = switchAt;

const toLns: SwitchRoute = () => ({
  peer: LNS,
  tunnel: { version: 2, hostName: 'tsa-out' },
});

/** LAC → TSA → LNS, v2 everywhere; returns the pieces once the LAC's call is up. */
async function chain(
  route: SwitchRoute = toLns,
  lnsOptions: TunnelOptions = { version: 2, mode: 'lns', hostName: 'lns', callAvps: true },
) {
  const net = new VirtualNet(7);
  const lac = endpoint(net, LAC);
  const sw = tsa(net, TSA, route, { tsaId: 'tsa-1' });
  const lns = endpoint(net, LNS, lnsOptions);
  const lnsSessions: Session[] = [];
  const lnsIncoming: RawAvp[][] = [];
  lns.on('tunnel', (t) => {
    t.on('incoming-session', (e) => {
      if (e.avps !== undefined)
        lnsIncoming.push(e.avps.map((a) => ({ ...a, value: a.value.slice() })));
    });
    t.on('session-up', (s) => lnsSessions.push(s));
  });
  const lacTunnel = lac.tunnel(TSA, { version: 2, mode: 'lac', hostName: 'lac' });
  return { net, lac, sw, lns, lacTunnel, lnsSessions, lnsIncoming };
}

function avpOf(avps: readonly RawAvp[], type: number): RawAvp | undefined {
  return avps.find((a) => a.vendorId === 0 && a.attributeType === type);
}

describe('TunnelSwitch, L2TPv2 ↔ L2TPv2', () => {
  test('an incoming call is re-tunnelled: ICRQ AVPs relayed, TSA ID stacked, frames cross byte for byte both ways', async () => {
    const routed: SwitchCallInfo[] = [];
    const c = await chain((info) => {
      routed.push(info);
      return { peer: LNS, tunnel: { version: 2, hostName: 'tsa-out' } };
    });
    const pending = c.lacTunnel.openSession({
      calledNumber: 'alice@example.net',
      callingNumber: '5551234',
    });
    const switched: unknown[] = [];
    c.sw.on('switched', (call) => switched.push(call));
    expect(await c.net.until(() => switched.length === 1)).toBe(true);
    const lacSession = await c.net.settle(pending);
    expect(routed).toHaveLength(1);
    expect(routed[0]?.calledNumber).toBe('alice@example.net');
    expect(routed[0]?.callingNumber).toBe('5551234');
    expect(routed[0]?.tsaIds).toEqual([]);
    // The LNS saw the LAC's Called/Calling Number and the TSA's id stacked (draft §3.1, §4).
    const icrq = c.lnsIncoming[0] as RawAvp[];
    expect(new TextDecoder().decode(avpOf(icrq, AvpType.CalledNumber)?.value)).toBe(
      'alice@example.net',
    );
    expect(new TextDecoder().decode(avpOf(icrq, AvpType.CallingNumber)?.value)).toBe('5551234');
    const tsaIds = icrq.filter((a) => a.attributeType === AvpType.TunnelSwitchingAggregatorId);
    expect(tsaIds.map((a) => new TextDecoder().decode(a.value))).toEqual(['tsa-1']);
    expect(tsaIds[0]?.mandatory).toBe(false);
    const lnsSession = c.lnsSessions[0] as Session;
    expect(lnsSession.isUp).toBe(true);

    // Frames both ways, byte for byte (PPP LCP Configure-Request, and an echo back).
    const atLns: Uint8Array[] = [];
    const atLac: Uint8Array[] = [];
    lnsSession.on('frame', (f) => atLns.push(f.slice()));
    lacSession.on('frame', (f) => atLac.push(f.slice()));
    const lcp = Uint8Array.from([0xc0, 0x21, 1, 1, 0, 10, 5, 6, 0x12, 0x34, 0x56, 0x78]);
    const ip = Uint8Array.from([0x00, 0x21, 0x45, 0, 0, 20, 1, 2, 3, 4]);
    lacSession.send(lcp);
    lnsSession.send(ip);
    await c.net.run(50);
    expect(atLns).toEqual([lcp]);
    expect(atLac).toEqual([ip]);
    expect(c.sw.stats()).toMatchObject({
      callsUp: 1,
      switched: 1,
      framesToSecond: 1,
      framesToFirst: 1,
      framesDropped: 0,
    });
  });

  test('a CDN from the LNS reaches the LAC with its Result/Error Code and message', async () => {
    const c = await chain();
    const pending = c.lacTunnel.openSession({ calledNumber: 'bob' });
    expect(await c.net.until(() => c.lnsSessions.length === 1)).toBe(true);
    const lacSession = await c.net.settle(pending);
    await c.net.run(10);
    (c.lnsSessions[0] as Session).close({
      resultCode: CdnResult.GeneralError,
      errorCode: GeneralError.VendorSpecific,
      message: 'quota',
    });
    expect(await c.net.until(() => lacSession.downReason !== undefined)).toBe(true);
    expect(lacSession.downReason).toMatchObject({
      by: 'peer',
      resultCode: 2,
      errorCode: 6,
      message: 'quota',
    });
    expect(c.sw.stats().calls).toBe(0);
  });

  test('a CDN from the LAC reaches the LNS', async () => {
    const c = await chain();
    const pending = c.lacTunnel.openSession({ calledNumber: 'bob' });
    expect(await c.net.until(() => c.lnsSessions.length === 1)).toBe(true);
    const lacSession = await c.net.settle(pending);
    lacSession.close({ resultCode: CdnResult.LossOfCarrier, message: 'user hung up' });
    const lnsSession = c.lnsSessions[0] as Session;
    expect(await c.net.until(() => lnsSession.downReason !== undefined)).toBe(true);
    expect(lnsSession.downReason).toMatchObject({
      by: 'peer',
      resultCode: 1,
      message: 'user hung up',
    });
  });

  test('next hop unreachable: the First call is cleared with CDN 2/10', async () => {
    const c = await chain(() => ({
      peer: { address: '10.0.0.99', port: 1701 },
      tunnel: { version: 2, hostName: 'tsa-out' },
    }));
    const pending = c.lacTunnel.openSession({ calledNumber: 'carol' });
    const lacSession = await c.net.settle(pending); // the First session comes up before the Second is tried
    expect(await c.net.until(() => lacSession.downReason !== undefined, 120_000)).toBe(true);
    expect(lacSession.downReason).toMatchObject({
      by: 'peer',
      resultCode: 2,
      errorCode: GeneralError.NextHopUnreachable,
    });
    expect(c.sw.stats()).toMatchObject({ calls: 0, failed: 1 });
  });

  test('route refusals: busy → 2/11, explicit codes as given', async () => {
    let answer: 'busy' | { resultCode: number; message: string } = 'busy';
    const c = await chain(() => ({ refuse: answer }));
    const s1 = await c.net.settle(c.lacTunnel.openSession({ calledNumber: 'x' }));
    expect(await c.net.until(() => s1.downReason !== undefined)).toBe(true);
    expect(s1.downReason).toMatchObject({ resultCode: 2, errorCode: GeneralError.NextHopBusy });
    answer = { resultCode: CdnResult.InvalidDestination, message: 'no such realm' };
    const s2 = await c.net.settle(c.lacTunnel.openSession({ calledNumber: 'y' }));
    expect(await c.net.until(() => s2.downReason !== undefined)).toBe(true);
    expect(s2.downReason).toMatchObject({ resultCode: 6, message: 'no such realm' });
  });

  test('the next hop refusing with TSA busy (2/12) comes back as next hop busy (2/11)', async () => {
    const c = await chain(toLns, {
      version: 2,
      mode: 'lns',
      hostName: 'lns',
      acceptSession: () => ({ resultCode: 2, errorCode: GeneralError.TsaBusy, message: 'full' }),
    });
    const s = await c.net.settle(c.lacTunnel.openSession({ calledNumber: 'x' }));
    expect(await c.net.until(() => s.downReason !== undefined)).toBe(true);
    expect(s.downReason).toMatchObject({ resultCode: 2, errorCode: GeneralError.NextHopBusy });
  });

  test('a loop back to the same TSA is refused with CDN 26 (draft §4)', async () => {
    // LAC → TSA-1 → TSA-2 → TSA-1: the second visit finds "tsa-1" in the stack.
    const net = new VirtualNet(3);
    const lac = endpoint(net, LAC);
    const refusals: { resultCode: number }[] = [];
    const sw1 = tsa(net, TSA, () => ({ peer: TSA2, tunnel: { version: 2, hostName: 'tsa-1' } }), {
      tsaId: 'tsa-1',
    });
    const sw2 = tsa(net, TSA2, () => ({ peer: TSA, tunnel: { version: 2, hostName: 'tsa-2' } }), {
      tsaId: 'tsa-2',
    });
    sw1.on('refused', (_s, codes) => refusals.push(codes));
    const s = await net.settle(
      lac
        .tunnel(TSA, { version: 2, mode: 'lac', hostName: 'lac' })
        .openSession({ calledNumber: 'loop' }),
    );
    expect(await net.until(() => s.downReason !== undefined)).toBe(true);
    expect(refusals.some((r) => r.resultCode === CdnResult.LoopDetected)).toBe(true);
    // The loop's CDN 26 travels back to the LAC (§5: propagated to the first LCCE).
    expect(s.downReason).toMatchObject({ by: 'peer', resultCode: CdnResult.LoopDetected });
    expect(sw1.stats().refusedLoop).toBe(1);
    expect(sw2.stats().calls).toBe(0);
  });

  test('Second tunnels are shared per next hop and closed once idle', async () => {
    const c = await chain();
    const a = await c.net.settle(c.lacTunnel.openSession({ calledNumber: 'a' }));
    const b = await c.net.settle(c.lacTunnel.openSession({ calledNumber: 'b' }));
    expect(await c.net.until(() => c.lnsSessions.length === 2)).toBe(true);
    expect(c.sw.stats().secondTunnels).toBe(1);
    expect(c.lns.tunnels.size).toBe(1);
    a.close();
    b.close();
    expect(await c.net.until(() => c.sw.stats().calls === 0)).toBe(true);
    const lnsTunnel = [...c.lns.tunnels.values()][0] as Tunnel;
    await c.net.run(9_000);
    expect(lnsTunnel.downReason).toBeUndefined();
    expect(await c.net.until(() => lnsTunnel.downReason !== undefined, 5_000)).toBe(true);
    expect(lnsTunnel.downReason).toMatchObject({ by: 'peer' });
    expect(c.sw.stats().secondTunnels).toBe(0);
  });

  test('a StopCCN on the Second tunnel clears every switched call on the First with a CDN', async () => {
    const c = await chain();
    const a = await c.net.settle(c.lacTunnel.openSession({ calledNumber: 'a' }));
    const b = await c.net.settle(c.lacTunnel.openSession({ calledNumber: 'b' }));
    expect(await c.net.until(() => c.lnsSessions.length === 2)).toBe(true);
    await c.net.run(10);
    void ([...c.lns.tunnels.values()][0] as Tunnel).close({ resultCode: 6, message: 'shutdown' });
    expect(await c.net.until(() => a.downReason !== undefined && b.downReason !== undefined)).toBe(
      true,
    );
    expect(a.downReason).toMatchObject({ by: 'peer', resultCode: CdnResult.Administrative });
    expect(c.lacTunnel.isUp).toBe(true); // only the calls, not the First tunnel
  });

  test('frames sent before the Second call is up wait (bounded) and are delivered in order', async () => {
    // The route answers only when the test says so: the LAC's frames arrive meanwhile.
    let release = () => {};
    const gate = new Promise<void>((r) => {
      release = r;
    });
    const c = await chain(async () => {
      await gate;
      return { peer: LNS, tunnel: { version: 2, hostName: 'tsa-out' } };
    });
    const s = await c.net.settle(c.lacTunnel.openSession({ calledNumber: 'w' }));
    const frames = Array.from({ length: 40 }, (_, i) => Uint8Array.from([0xc0, 0x21, 1, i, 0, 4]));
    for (const f of frames) s.send(f);
    const got: Uint8Array[] = [];
    c.lns.on('tunnel', (t) => t.on('frame', (_s, f) => got.push(f.slice())));
    await c.net.run(50);
    expect(c.sw.stats()).toMatchObject({ calls: 1, callsUp: 0, framesDropped: 8 });
    release();
    expect(await c.net.until(() => c.sw.stats().callsUp === 1)).toBe(true);
    await c.net.run(20);
    expect(got).toEqual(frames.slice(0, 32));
    expect(c.sw.stats().framesDropped).toBe(8);
  });
});

describe('relayed AVPs on the wire', () => {
  test('the ICCN carries the First ICCN’s Framing Type and Tx Connect Speed', async () => {
    const net = new VirtualNet(11);
    const lac = endpoint(net, LAC);
    tsa(net, TSA, toLns, { tsaId: 'tsa-1' });
    const lns = endpoint(net, LNS, { version: 2, mode: 'lns', hostName: 'lns', callAvps: true });
    const ups: RawAvp[][] = [];
    lns.on('tunnel', (t) =>
      t.on('incoming-session', (e) => {
        const s = t.sessions.get(e.sessionId);
        s?.once('up', (info) =>
          ups.push((info.avps ?? []).map((a) => ({ ...a, value: a.value.slice() }))),
        );
      }),
    );
    await net.settle(
      lac
        .tunnel(TSA, { version: 2, mode: 'lac', hostName: 'lac' })
        .openSession({ connectSpeedBps: 123_456_789, framingType: 1 }),
    );
    expect(await net.until(() => ups.length === 1)).toBe(true);
    const iccn = ups[0] as RawAvp[];
    const speed = avpOf(iccn, AvpType.TxConnectSpeed)?.value as Uint8Array;
    expect(new DataView(speed.buffer, speed.byteOffset).getUint32(0)).toBe(123_456_789);
    const framing = avpOf(iccn, AvpType.FramingType)?.value as Uint8Array;
    expect(new DataView(framing.buffer, framing.byteOffset).getUint32(0)).toBe(1);
  });
});

describe('version switch (draft §2)', () => {
  for (const encap of ['udp', 'ip'] as const) {
    test(`L2TPv2 First → L2TPv3 over ${encap.toUpperCase()} Second: PPP frames cross byte for byte both ways`, async () => {
      const net = new VirtualNet(21);
      const lac = endpoint(net, LAC);
      const v3At = { address: '10.0.0.3', port: encap === 'udp' ? 1701 : 0 };
      const sw = tsa(
        net,
        TSA,
        () => ({
          peer: v3At,
          encap,
          tunnel: { version: 3, routerId: 0x0a000002, hostName: 'tsa-out' },
        }),
        {
          ...(encap === 'ip' ? { ipTransport: net.transport(TSA.address, 0) } : {}),
          tsaId: 'tsa-v',
        },
      );
      const lns = new Endpoint({
        transport: net.transport(v3At.address, v3At.port),
        clock: net.clock,
        timers: net.timers,
        randomBytes: nodeRandomBytes,
        encap,
        acceptTunnel: {
          version: 3,
          routerId: 0x0a000003,
          mode: 'lns',
          hostName: 'lns3',
          pseudowireCapabilities: [7],
          callAvps: true,
        },
      });
      const lnsSessions: Session[] = [];
      const icrqs: RawAvp[][] = [];
      lns.on('tunnel', (t) => {
        t.on('session-up', (s) => lnsSessions.push(s));
        t.on('incoming-session', (e) => icrqs.push([...(e.avps ?? [])]));
      });
      const first = await net.settle(
        lac
          .tunnel(TSA, { version: 2, mode: 'lac', hostName: 'lac' })
          .openSession({ calledNumber: 'v3-user' }),
      );
      expect(await net.until(() => lnsSessions.length === 1)).toBe(true);
      const second = lnsSessions[0] as Session;
      expect(second.tunnel.version).toBe(3);
      // The v3 ICRQ asked for a PPP pseudowire and carried the relayed Called Number.
      const icrq = icrqs[0] as RawAvp[];
      const pw = avpOf(icrq, AvpType.PseudowireType)?.value as Uint8Array;
      expect((pw[0] as number) * 256 + (pw[1] as number)).toBe(7);
      expect(new TextDecoder().decode(avpOf(icrq, AvpType.CalledNumber)?.value)).toBe('v3-user');
      await net.run(10);
      const atV3: Uint8Array[] = [];
      const atV2: Uint8Array[] = [];
      second.on('frame', (f) => atV3.push(f.slice()));
      first.on('frame', (f) => atV2.push(f.slice()));
      const lcp = Uint8Array.from([0xc0, 0x21, 1, 7, 0, 8, 1, 4, 5, 0xdc]);
      const echo = Uint8Array.from([0xc0, 0x21, 9, 1, 0, 8, 0, 0, 0, 0]);
      first.send(lcp);
      second.send(echo);
      await net.run(20);
      expect(atV3).toEqual([lcp]);
      expect(atV2).toEqual([echo]);
      expect(sw.stats()).toMatchObject({ framesToSecond: 1, framesToFirst: 1 });
      // A v3 CDN (with a v3-only result code) reaches the v2 side translated (draft §3.1).
      second.close({ resultCode: CdnResult.UnsupportedPwType, message: 'pw gone' });
      expect(await net.until(() => first.downReason !== undefined)).toBe(true);
      expect(first.downReason).toMatchObject({
        by: 'peer',
        resultCode: 2,
        errorCode: 0,
        message: 'pw gone',
      });
    });
  }
});

describe('outgoing calls (OCRQ → OCRQ)', () => {
  test('an LNS’s outgoing call is re-originated towards a LAC', async () => {
    const net = new VirtualNet(31);
    // Upstream LNS dials the TSA; the TSA accepts its tunnel as LAC and places its OCRQ onwards.
    const lns = endpoint(net, LNS);
    const sw = tsa(
      net,
      TSA,
      (info) =>
        info.call === 'outgoing' && info.calledNumber === '5550100'
          ? { peer: LAC, tunnel: { version: 2, hostName: 'tsa-out' } }
          : { refuse: 'unreachable' },
      { accept: { version: 2, mode: 'lac', hostName: 'tsa' } },
    );
    const lac = endpoint(net, LAC, { version: 2, mode: 'lac', hostName: 'lac', callAvps: true });
    const lacSessions: Session[] = [];
    const ocrqs: RawAvp[][] = [];
    lac.on('tunnel', (t) => {
      t.on('session-up', (s) => lacSessions.push(s));
      t.on('incoming-session', (e) => ocrqs.push([...(e.avps ?? [])]));
    });
    const first = await net.settle(
      lns
        .tunnel(TSA, { version: 2, mode: 'lns', hostName: 'lns' })
        .openSession({ calledNumber: '5550100' }),
    );
    expect(await net.until(() => lacSessions.length === 1)).toBe(true);
    expect(sw.stats().callsUp).toBe(1);
    const ocrq = ocrqs[0] as RawAvp[];
    expect(avpOf(ocrq, AvpType.MessageType)?.value).toEqual(Uint8Array.from([0, 7]));
    expect(new TextDecoder().decode(avpOf(ocrq, AvpType.CalledNumber)?.value)).toBe('5550100');
    const got: Uint8Array[] = [];
    (lacSessions[0] as Session).on('frame', (f) => got.push(f.slice()));
    const frame = Uint8Array.from([0xc0, 0x21, 1, 1, 0, 4]);
    first.send(frame);
    await net.run(20);
    expect(got).toEqual([frame]);
  });
});

describe('WEN and SLI are relayed (draft §3.1 "Call Errors", "ACCM")', () => {
  test('a WEN from the LAC reaches the LNS and an SLI from the LNS reaches the LAC, values intact', async () => {
    const c = await chain();
    const lacSession = await c.net.settle(c.lacTunnel.openSession({ calledNumber: 'n' }));
    expect(await c.net.until(() => c.sw.stats().callsUp === 1)).toBe(true);
    const lnsSession = c.lnsSessions[0] as Session;
    const wens: { crcErrors: number; alignmentErrors: number }[] = [];
    const slis: { sendAccm: number; receiveAccm: number }[] = [];
    lnsSession.tunnel.on('wen', (e) => wens.push(e.callErrors));
    c.lacTunnel.on('sli', (e) => slis.push(e.accm));
    const callErrors = new Uint8Array(26);
    new DataView(callErrors.buffer).setUint32(2, 17); // CRC errors
    new DataView(callErrors.buffer).setUint32(22, 3); // alignment errors
    const accm = Uint8Array.from([0, 0, 0, 0, 0, 0, 0xff, 0xff, 0xff, 0xff]);
    c.lacTunnel.notifyPeer(lacSession.id, 'WEN', [
      {
        mandatory: true,
        hidden: false,
        vendorId: 0,
        attributeType: AvpType.CallErrors,
        value: callErrors,
      },
    ]);
    lnsSession.tunnel.notifyPeer(lnsSession.id, 'SLI', [
      { mandatory: true, hidden: false, vendorId: 0, attributeType: AvpType.Accm, value: accm },
    ]);
    expect(await c.net.until(() => wens.length === 1 && slis.length === 1)).toBe(true);
    expect(wens[0]).toMatchObject({ crcErrors: 17, alignmentErrors: 3 });
    expect(slis[0]).toMatchObject({ sendAccm: 0, receiveAccm: 0xffffffff });
  });
});

describe('sequencing is regenerated (draft §3.1 "Sequencing Required")', () => {
  test('a First ICCN with Sequencing Required gives a Second ICCN with it, and sequenced data', async () => {
    const net = new VirtualNet(41);
    const lac = endpoint(net, LAC);
    tsa(net, TSA, toLns);
    const lns = endpoint(net, LNS, { version: 2, mode: 'lns', hostName: 'lns', callAvps: true });
    const ups: { avps: readonly RawAvp[]; session: Session }[] = [];
    lns.on('tunnel', (t) =>
      t.on('incoming-session', (e) => {
        const s = t.sessions.get(e.sessionId);
        s?.once('up', (info) => ups.push({ avps: [...(info.avps ?? [])], session: s }));
      }),
    );
    await net.settle(
      lac
        .tunnel(TSA, { version: 2, mode: 'lac', hostName: 'lac' })
        .openSession({ requireSequenceNumbers: true }),
    );
    expect(await net.until(() => ups.length === 1)).toBe(true);
    const up = ups[0] as { avps: readonly RawAvp[]; session: Session };
    expect(avpOf(up.avps, AvpType.SequencingRequired)).toBeDefined();
    expect(up.session.options?.sendSeq).toBe(true); // RFC 2661 §4.4.6: the LNS now sends Ns
  });
});

describe('calls the next hop opens on a Second tunnel', () => {
  test('are First calls too: routed (here refused with 2/10), never left hanging', async () => {
    const seen: string[] = [];
    const c = await chain((info) => {
      seen.push(`${info.call} ${info.calledNumber ?? ''}`);
      return info.call === 'incoming'
        ? { peer: LNS, tunnel: { version: 2, hostName: 'tsa-out' } }
        : { refuse: 'unreachable' };
    });
    await c.net.settle(c.lacTunnel.openSession({ calledNumber: 'in' }));
    expect(await c.net.until(() => c.lnsSessions.length === 1)).toBe(true);
    // The LNS places an outgoing call (OCRQ) back through the tunnel the TSA opened to it.
    const lnsTunnel = [...c.lns.tunnels.values()][0] as Tunnel;
    const out = lnsTunnel.beginSession({ calledNumber: '5550199' });
    expect(await c.net.until(() => out.downReason !== undefined, 60_000)).toBe(true);
    expect(seen).toEqual(['incoming in', 'outgoing 5550199']);
    expect(out.downReason).toMatchObject({
      by: 'peer',
      resultCode: 2,
      errorCode: GeneralError.NextHopUnreachable,
    });
  });
});
