// Call-level behaviour of TunnelEngine over the simulated network (RFC 2661 §5.2, §5.4, §5.6,
// §7.4, §7.5): incoming and outgoing calls in both roles, CDN in every state we can reach from
// the outside, data frames with and without sequencing, and tunnel teardown closing sessions.

import { describe, expect, test } from 'vitest';
import { CdnResult } from '../../src/constants.js';
import { TunnelEngine } from '../../src/engine/index.js';
import { UsageError } from '../../src/errors.js';
import { SeededRandom } from '../../src/testing/index.js';
import { EnginePair, sideOptions } from './pair.js';
import { build, headerOf, nameOf, sentOf, typed, UNKNOWN_MANDATORY } from './wire.js';

function up(p: EnginePair): boolean {
  return p.a.eventsOf('session-up').length > 0 && p.b.eventsOf('session-up').length > 0;
}

function names(node: EnginePair['a']): string[] {
  return node.sent.map((s) => nameOf(s.bytes)).filter((n) => n !== 'ZLB');
}

describe('incoming calls (RFC 2661 §5.2.1, §7.4)', () => {
  test('RFC 2661 §7.4.1/§7.4.2: LAC ICRQ → LNS ICRP → LAC ICCN, both sessions established', () => {
    const p = new EnginePair();
    p.establish();
    const sid = p.openSession(p.a, { callingNumber: '555-1234' });
    expect(p.a.engine.sessionState(sid)).toBe('wait-reply');
    p.driveBounded(() => up(p));
    expect(names(p.a)).toEqual(['SCCRQ', 'SCCCN', 'ICRQ', 'ICCN']);
    expect(names(p.b)).toEqual(['SCCRP', 'ICRP']);
    const [icrq] = sentOf(p.a, 'ICRQ');
    expect(icrq).toMatchObject({ assignedSessionId: sid, callingNumber: { text: '555-1234' } });
    const bSid = p.b.eventsOf('incoming-session')[0]?.value;
    expect(bSid).toMatchObject({ peerSessionId: sid, call: 'incoming', accepted: true });
    // ICRP, ICCN go to the peer's Session ID in the header.
    const icrp = p.b.sent.find((s) => nameOf(s.bytes) === 'ICRP')?.bytes as Uint8Array;
    expect(headerOf(icrp).sessionId).toBe(sid);
    const iccn = p.a.sent.find((s) => nameOf(s.bytes) === 'ICCN')?.bytes as Uint8Array;
    expect(headerOf(iccn).sessionId).toBe(bSid?.sessionId);
    expect(p.a.eventsOf('session-up')[0]?.value).toMatchObject({
      sessionId: sid,
      peerSessionId: bSid?.sessionId,
      call: 'incoming',
    });
  });

  test('RFC 2661 §7.4.1: a call opened before the tunnel waits in wait-tunnel and an idle LAC connects', () => {
    const p = new EnginePair();
    p.a.create();
    const sid = p.openSession(p.a);
    expect(p.a.engine.sessionState(sid)).toBe('wait-tunnel');
    expect(p.a.engine.state).toBe('wait-ctl-reply');
    p.driveBounded(() => up(p));
    expect(names(p.a)).toEqual(['SCCRQ', 'SCCCN', 'ICRQ', 'ICCN']);
  });

  test('RFC 2661 §7.4.2: the LNS refuses a call with CDN (acceptSession hook, maxSessions)', () => {
    const p = new EnginePair({
      b: { acceptSession: () => ({ resultCode: CdnResult.Busy, message: 'busy' }) },
    });
    p.establish();
    const sid = p.openSession(p.a);
    p.drive(1000);
    expect(sentOf(p.b, 'CDN')[0]).toMatchObject({ resultCode: { resultCode: 8 } });
    expect(p.b.eventsOf('incoming-session')[0]?.value.accepted).toBe(false);
    expect(p.b.eventsOf('session-down')).toEqual([]); // never known to b's host as a session
    expect(p.a.eventsOf('session-down')[0]?.value).toMatchObject({
      sessionId: sid,
      reason: { by: 'peer', resultCode: 8, message: 'busy' },
    });
    const q = new EnginePair({ b: { maxSessions: 1 } });
    q.establish();
    q.openSession(q.a);
    q.openSession(q.a);
    q.drive(1000);
    expect(q.b.eventsOf('session-up')).toHaveLength(1);
    expect(sentOf(q.b, 'CDN')[0]?.resultCode.resultCode).toBe(CdnResult.NoFacilitiesTemporary);
  });
});

describe('outgoing calls (RFC 2661 §5.2.2, §7.5)', () => {
  test('RFC 2661 §7.5.1/§7.5.2: LNS OCRQ → LAC OCRP → LAC OCCN, both sessions established', () => {
    const p = new EnginePair();
    p.establish();
    const sid = p.openSession(p.b, { calledNumber: '12345' });
    p.driveBounded(() => up(p));
    expect(names(p.b)).toEqual(['SCCRP', 'OCRQ']);
    expect(names(p.a)).toEqual(['SCCRQ', 'SCCCN', 'OCRP', 'OCCN']);
    expect(sentOf(p.b, 'OCRQ')[0]).toMatchObject({
      assignedSessionId: sid,
      calledNumber: { text: '12345' },
      bearerType: 1,
      framingType: 1,
    });
    expect(p.a.eventsOf('incoming-session')[0]?.value).toMatchObject({ call: 'outgoing' });
    expect(p.b.eventsOf('session-up')[0]?.value).toMatchObject({
      sessionId: sid,
      call: 'outgoing',
    });
  });

  test('RFC 2661 §5.2: without a hook a LAC refuses incoming calls and an LNS outgoing calls', () => {
    const p = new EnginePair({ a: { mode: 'lns' }, b: { mode: 'lns' } });
    p.establish();
    p.openSession(p.b); // an LNS asking an LNS to place a call
    p.drive(1000);
    expect(sentOf(p.a, 'CDN')[0]?.resultCode.resultCode).toBe(CdnResult.Administrative);
    expect(p.b.eventsOf('session-down')[0]?.value.reason.by).toBe('peer');
  });
});

describe('CDN in every session state (RFC 2661 §5.6, §7.4, §7.5)', () => {
  test('RFC 2661 §7.4.1: LAC wait-tunnel: a local close cleans up without CDN', () => {
    const p = new EnginePair();
    p.a.create();
    const sid = p.openSession(p.a);
    p.run(p.a, (e, now) => e.closeSession(sid, now));
    expect(p.a.eventsOf('session-down')[0]?.value).toEqual({
      type: 'session-down',
      sessionId: sid,
      reason: { by: 'local', resultCode: 3 },
      // Final counters: nothing flowed.
      stats: {
        txPackets: 0,
        txBytes: 0,
        txErrors: 0,
        rxPackets: 0,
        rxBytes: 0,
        rxSeqDiscards: 0,
        rxOosPackets: 0,
        rxErrors: 0,
        rxCookieDiscards: 0,
        rxInvalid: 0,
      },
    });
    p.drive(1000);
    expect(names(p.a)).toEqual(['SCCRQ', 'SCCCN']);
  });

  test('RFC 2661 §7.4.1: LAC wait-reply: close sends CDN Result 3; the LNS cleans up', () => {
    const p = new EnginePair();
    p.establish();
    const sid = p.openSession(p.a);
    p.run(p.a, (e, now) => e.closeSession(sid, now, { message: 'hung up' }));
    p.drive(1000);
    expect(names(p.a).slice(-2)).toEqual(['ICRQ', 'CDN']);
    const [cdn] = sentOf(p.a, 'CDN');
    expect(cdn).toMatchObject({ assignedSessionId: sid, resultCode: { resultCode: 3 } });
    expect(p.b.eventsOf('session-down')[0]?.value.reason).toMatchObject({
      by: 'peer',
      resultCode: 3,
    });
    expect(p.b.engine.sessionIds()).toEqual([]);
  });

  test('RFC 2661 §7.4.2: LNS wait-connect: close sends CDN; the LAC in wait-reply cleans up', () => {
    const p = new EnginePair();
    p.establish();
    let closed = false;
    p.b.outFilter = (bytes, now) => {
      // As soon as b answers the ICRQ (b now in wait-connect), b closes the call.
      if (!closed && nameOf(bytes) === 'ICRP') {
        closed = true;
        p.net.schedule(now, () => {
          const id = p.b.eventsOf('incoming-session')[0]?.value.sessionId as number;
          expect(p.b.engine.sessionState(id)).toBe('wait-connect');
          p.run(p.b, (e, t) => e.closeSession(id, t));
        });
      }
      return true;
    };
    const sid = p.openSession(p.a);
    p.drive(1000);
    expect(names(p.b)).toEqual(['SCCRP', 'ICRP', 'CDN']);
    expect(p.a.eventsOf('session-down').map((e) => e.value)).toMatchObject([
      { sessionId: sid, reason: { by: 'peer', resultCode: 3 } },
    ]);
  });

  test('RFC 2661 §7.4.1/§7.4.2: established: either side closes with CDN, the other cleans up', () => {
    for (const closer of ['a', 'b'] as const) {
      const p = new EnginePair();
      p.establish();
      p.openSession(p.a);
      p.driveBounded(() => up(p));
      const node = p[closer];
      const other = closer === 'a' ? p.b : p.a;
      const id = node.eventsOf('session-up')[0]?.value.sessionId as number;
      p.run(node, (e, now) => e.closeSession(id, now, { resultCode: 2, errorCode: 4 }));
      p.drive(1000);
      expect(sentOf(node, 'CDN')[0]?.resultCode).toMatchObject({ resultCode: 2, errorCode: 4 });
      expect(node.eventsOf('session-down')[0]?.value.reason).toEqual({
        by: 'local',
        resultCode: 2,
        errorCode: 4,
      });
      expect(other.eventsOf('session-down')[0]?.value.reason).toEqual({
        by: 'peer',
        resultCode: 2,
        errorCode: 4,
      });
      expect(p.a.engine.state).toBe('established');
    }
  });

  test('RFC 2661 §7.5.2: LNS wait-tunnel, wait-reply and wait-connect: close (with CDN once the OCRQ is out)', () => {
    const p = new EnginePair();
    p.b.acceptTunnels = true;
    p.establish();
    // wait-reply: OCRQ and CDN leave together.
    const s1 = p.openSession(p.b);
    expect(p.b.engine.sessionState(s1)).toBe('wait-reply');
    p.run(p.b, (e, now) => e.closeSession(s1, now));
    p.drive(1000);
    expect(names(p.b).slice(-2)).toEqual(['OCRQ', 'CDN']);
    // wait-connect: hold back the LAC's first OCCN, close while b waits for it.
    let held = 0;
    p.a.outFilter = (bytes) => !(nameOf(bytes) === 'OCCN' && held++ === 0);
    const s2 = p.openSession(p.b);
    p.driveBounded(() => p.b.engine.sessionState(s2) === 'wait-connect');
    p.run(p.b, (e, now) => e.closeSession(s2, now));
    expect(p.b.eventsOf('session-down').map((e) => e.value.sessionId)).toEqual([s1, s2]);
    p.drive(3000);
    expect(p.a.eventsOf('session-down').map((e) => e.value.reason.by)).toEqual(['peer', 'peer']);
    expect(p.a.engine.sessionIds()).toEqual([]);
  });

  test('RFC 2661 §7.5.1: LAC established (outgoing call): close sends CDN to the LNS', () => {
    const p = new EnginePair();
    p.establish();
    p.openSession(p.b);
    p.driveBounded(() => up(p));
    const id = p.a.eventsOf('session-up')[0]?.value.sessionId as number;
    p.run(p.a, (e, now) => e.closeSession(id, now));
    p.drive(1000);
    expect(p.b.eventsOf('session-down')[0]?.value.reason).toMatchObject({
      by: 'peer',
      resultCode: 3,
    });
  });

  test('RFC 2661 §5.7: closing the tunnel closes its sessions (session-down before tunnel-down)', () => {
    const p = new EnginePair();
    p.establish();
    p.openSession(p.a);
    p.openSession(p.a);
    p.driveBounded(() => p.b.eventsOf('session-up').length === 2);
    p.run(p.b, (e, now) => e.close(now));
    p.drive(1000);
    const order = p.b.events
      .map((e) => e.value.type)
      .filter((t) => t === 'session-down' || t === 'tunnel-down');
    expect(order.slice(-3)).toEqual(['session-down', 'session-down', 'tunnel-down']);
    expect(p.a.eventsOf('session-down').map((e) => e.value.reason.by)).toEqual(['peer', 'peer']);
    expect(sentOf(p.b, 'CDN')).toEqual([]); // StopCCN alone clears every session
  });

  test('RFC 2661 §4.2: an unknown M-bit AVP in ICRQ is answered with CDN Result 2 Error 8', () => {
    const p = new EnginePair();
    p.establish();
    p.drive(1000);
    const s = p.a.engine.stats().channel;
    const icrq = build(
      { tunnelId: p.b.engine.localTunnelId, sessionId: 0, ns: s.nextNs, nr: s.nr },
      { type: 'ICRQ', version: 2, assignedSessionId: 4242, callSerialNumber: 1 } as never,
      [UNKNOWN_MANDATORY],
    );
    const out = p.b.engine.handleDatagram(icrq, p.now);
    p.b.perform(p.b.engine, out, p.now);
    p.drive(500);
    const cdn = p.b.sent.find((x) => nameOf(x.bytes) === 'CDN')?.bytes as Uint8Array;
    expect(typed(cdn)).toMatchObject({ type: 'CDN', resultCode: { resultCode: 2, errorCode: 8 } });
    expect(headerOf(cdn).sessionId).toBe(4242);
    expect(p.b.engine.state).toBe('established'); // session scope: the tunnel stays
  });

  test('RFC 2661 §7.4.2: an ICRP for a call we do not know is answered with CDN (Error 5)', () => {
    const p = new EnginePair();
    p.establish();
    p.drive(1000);
    const s = p.a.engine.stats().channel;
    const icrp = build(
      { tunnelId: p.b.engine.localTunnelId, sessionId: 999, ns: s.nextNs, nr: s.nr },
      { type: 'ICRP', version: 2, assignedSessionId: 31 } as never,
    );
    p.b.perform(p.b.engine, p.b.engine.handleDatagram(icrp, p.now), p.now);
    p.drive(500);
    const cdn = p.b.sent.find((x) => nameOf(x.bytes) === 'CDN')?.bytes as Uint8Array;
    expect(typed(cdn)).toMatchObject({ resultCode: { resultCode: 2, errorCode: 5 } });
    expect(headerOf(cdn).sessionId).toBe(31);
  });
});

describe('data (RFC 2661 §5.4)', () => {
  test('RFC 2661 §5.4: frames both ways without sequencing; zero-copy payloads', () => {
    const p = new EnginePair();
    p.establish();
    const sid = p.openSession(p.a);
    p.driveBounded(() => up(p));
    const bid = p.b.eventsOf('session-up')[0]?.value.sessionId as number;
    const payload = Uint8Array.of(0xff, 0x03, 0xc0, 0x21);
    const [t] = p.run(p.a, (e, now) => e.sendFrame(sid, payload, now));
    expect(t?.type === 'transmit' && Array.isArray(t.packet) && t.packet[1]).toBe(payload);
    p.run(p.b, (e, now) => e.sendFrame(bid, Uint8Array.of(9), now));
    p.drive(100);
    // The host's FF 03 is not doubled on the wire and is removed on delivery.
    expect(p.b.frames.map((f) => [f.value.sessionId, [...f.value.frame]])).toEqual([
      [bid, [0xc0, 0x21]],
    ]);
    expect(p.a.frames.map((f) => [f.value.sessionId, [...f.value.frame]])).toEqual([[sid, [9]]]);
    const data = p.a.sent.find((s) => nameOf(s.bytes) === 'DATA')?.bytes as Uint8Array;
    expect((data[0] as number) & 0x08).toBe(0); // no S bit
    expect(() => p.a.engine.sendFrame(12345, payload, p.now)).toThrow(UsageError);
  });

  test('RFC 2661 §5.4: with sequencing, frames carry Ns; a LAC follows the LNS; Sequencing Required obliges the LNS', () => {
    const p = new EnginePair({ b: { session: { sendSequenceNumbers: true } } });
    p.establish();
    const sid = p.openSession(p.a);
    p.driveBounded(() => up(p));
    const bid = p.b.eventsOf('session-up')[0]?.value.sessionId as number;
    for (let i = 0; i < 3; i++) p.run(p.b, (e, now) => e.sendFrame(bid, Uint8Array.of(i), now));
    p.drive(100);
    p.run(p.a, (e, now) => e.sendFrame(sid, Uint8Array.of(7), now));
    p.drive(100);
    const bData = p.b.sent.filter((s) => nameOf(s.bytes) === 'DATA').map((s) => s.bytes);
    expect(bData.map((d) => [(d[0] as number) & 0x08, d[7]])).toEqual([
      [8, 0],
      [8, 1],
      [8, 2],
    ]);
    expect(p.a.frames.map((f) => f.value.frame[0])).toEqual([0, 1, 2]);
    const aData = p.a.sent.filter((s) => nameOf(s.bytes) === 'DATA').map((s) => s.bytes);
    expect((aData[0]?.[0] as number) & 0x08).toBe(8); // the LAC switched its Ns on
    expect(p.b.frames.map((f) => f.value.frame[0])).toEqual([7]);

    const q = new EnginePair({ a: { session: { requireSequenceNumbers: true } } });
    q.establish();
    q.openSession(q.a);
    q.driveBounded(() => up(q));
    expect(sentOf(q.a, 'ICCN')[0]?.sequencingRequired).toBe(null);
    expect(q.b.eventsOf('session-up')[0]?.value.sequencing).toBe(true);
  });

  test('RFC 2661 §5.4: data for an unknown session or before the tunnel is up is dropped and counted', () => {
    const random = new SeededRandom(5);
    const engine = new TunnelEngine(sideOptions('lns', random));
    expect(engine.handleDatagram(Uint8Array.of(0, 2, 0, 1, 0, 1, 9), 0)).toEqual([]);
    expect(engine.stats().framesDropped).toBe(1);
  });
});
