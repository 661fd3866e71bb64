// Control-connection behaviour of TunnelEngine over the simulated network, one test per RFC 2661
// clause (names are listed in docs/rfc-coverage.md): the three-way handshake, loss during
// setup, tunnel authentication, hidden AVPs, HELLO and dead-peer detection, StopCCN and the
// post-close hold, the tie breaker, and the answers to protocol violations.

import { describe, expect, test } from 'vitest';
import { stringValue } from '../../src/avp/values.js';
import { StopCcnResult } from '../../src/constants.js';
import { compareTieBreakers, TunnelEngine } from '../../src/engine/index.js';
import { UsageError } from '../../src/errors.js';
import { nodeCrypto } from '../../src/node/crypto.js';
import { SeededRandom } from '../../src/testing/index.js';
import { EnginePair, SECRET, sideOptions } from './pair.js';
import {
  build,
  headerOf,
  isControl,
  nameOf,
  rawAvps,
  sentOf,
  sentTimes,
  timeline,
  typed,
  UNKNOWN_MANDATORY,
} from './wire.js';

const sccrqFields = {
  type: 'SCCRQ',
  version: 2,
  protocolVersion: { version: 1, revision: 0 },
  hostName: stringValue('peer'),
  framingCapabilities: 3,
  assignedTunnelId: 777,
} as const;

describe('control connection establishment', () => {
  test('RFC 2661 §5.1: three-way handshake SCCRQ → SCCRP → SCCCN, acknowledged by a ZLB', () => {
    const p = new EnginePair();
    p.establish();
    p.drive(1000);
    expect(timeline(p.a)).toEqual([
      [0, 'SCCRQ'],
      [20, 'SCCCN'],
    ]);
    expect(timeline(p.b)).toEqual([
      [10, 'SCCRP'],
      [130, 'ZLB'], // ack delay 100 ms: nothing else to piggyback on
    ]);
    const up = p.a.eventsOf('tunnel-up')[0]?.value;
    expect(up).toMatchObject({
      peerHostName: 'lns.example',
      peerTunnelId: p.b.engine.localTunnelId,
      initiator: true,
      peerReceiveWindow: 8,
      peerAuthenticated: false,
    });
    expect(p.b.eventsOf('tunnel-up')[0]?.value).toMatchObject({
      peerHostName: 'lac.example',
      initiator: false,
      peerBearerCapabilities: 3,
    });
    // Header ids: SCCRQ to Tunnel 0, then each side addresses the other's Assigned Tunnel ID.
    expect(headerOf(p.a.sent[0]?.bytes as Uint8Array).tunnelId).toBe(0);
    expect(headerOf(p.b.sent[0]?.bytes as Uint8Array).tunnelId).toBe(p.a.engine.localTunnelId);
    expect(headerOf(p.a.sent[1]?.bytes as Uint8Array)).toMatchObject({ ns: 1, nr: 1 });
    expect(p.a.engine.localTunnelId).not.toBe(0);
  });

  test('RFC 2661 §5.8: a lost SCCRQ is retransmitted after 1 s and the tunnel still comes up', () => {
    const p = new EnginePair();
    let dropped = 0;
    p.a.outFilter = (bytes) => !(nameOf(bytes) === 'SCCRQ' && dropped++ === 0);
    p.connect();
    expect(p.a.engine.nextDeadline()).toBe(1000);
    p.driveBounded(() => p.established());
    expect(sentTimes(p.a, 'SCCRQ')).toEqual([0, 1000]);
    expect(p.a.eventsOf('tunnel-up')[0]?.at).toBe(1020);
    expect(p.a.engine.stats().channel.retransmissions).toBe(1);
  });

  test('RFC 2661 §5.8: a peer silent during setup is declared dead after the retry budget (31 s)', () => {
    const p = new EnginePair();
    p.b.acceptTunnels = false;
    p.connect();
    const deadlines: number[] = [];
    p.driveBounded(() => {
      const d = p.a.engine.nextDeadline();
      if (d !== undefined && deadlines.at(-1) !== d) deadlines.push(d);
      return p.a.engine.state === 'closed';
    }, 1000);
    expect(sentTimes(p.a, 'SCCRQ')).toEqual([0, 1000, 3000, 7000, 15000, 23000]);
    expect(deadlines).toEqual([1000, 3000, 7000, 15000, 23000, 31000]);
    expect(p.a.eventsOf('tunnel-down').map((e) => [e.at, e.value.reason])).toEqual([
      [31000, { by: 'timeout' }],
    ]);
    expect(p.a.eventsOf('tunnel-closed').map((e) => e.at)).toEqual([31000]);
    expect(p.a.engine.nextDeadline()).toBeUndefined();
  });

  test('RFC 2661 §7.2.1: an unacceptable protocol version in SCCRQ is refused with StopCCN Result 5', () => {
    const random = new SeededRandom(3);
    const bytes = build({ tunnelId: 0, sessionId: 0, ns: 0, nr: 0 }, {
      ...sccrqFields,
      protocolVersion: { version: 2, revision: 0 },
    } as never);
    const { engine, outputs } = TunnelEngine.accept(bytes, 0, sideOptions('lns', random));
    expect(engine.state).toBe('closing');
    const stop = outputs.find((o) => o.type === 'transmit');
    const m = typed(stop?.type === 'transmit' ? (stop.packet as Uint8Array) : new Uint8Array());
    expect(m).toMatchObject({ type: 'StopCCN', resultCode: { resultCode: 5, errorCode: 0x0100 } });
    expect(
      headerOf(stop?.type === 'transmit' ? (stop.packet as Uint8Array) : new Uint8Array()),
    ).toMatchObject({ tunnelId: 777, ns: 0, nr: 1 });
  });
});

describe('tunnel authentication (RFC 2661 §5.1.1, §4.4.3 Challenge / Challenge Response)', () => {
  test('RFC 2661 §5.1.1: challenges in both directions with the same secret authenticate both peers', () => {
    const p = new EnginePair({ a: { secret: SECRET }, b: { secret: SECRET } });
    p.establish();
    const [sccrq] = sentOf(p.a, 'SCCRQ');
    const [sccrp] = sentOf(p.b, 'SCCRP');
    const [scccn] = sentOf(p.a, 'SCCCN');
    expect(sccrq?.challenge).toHaveLength(16);
    expect(sccrp?.challenge).toHaveLength(16);
    expect(sccrp?.challengeResponse).toHaveLength(16);
    expect(scccn?.challengeResponse).toHaveLength(16);
    expect(p.a.eventsOf('tunnel-up')[0]?.value.peerAuthenticated).toBe(true);
    expect(p.b.eventsOf('tunnel-up')[0]?.value.peerAuthenticated).toBe(true);
  });

  test('RFC 2661 §5.1.1: a wrong secret is refused with StopCCN Result 4 (SCCRP checked by the initiator)', () => {
    const p = new EnginePair({ a: { secret: SECRET }, b: { secret: 'another secret' } });
    p.connect();
    p.drive(40_000);
    const [stop] = sentOf(p.a, 'StopCCN');
    expect(stop?.resultCode).toMatchObject({ resultCode: StopCcnResult.NotAuthorized });
    expect(p.a.eventsOf('tunnel-up')).toEqual([]);
    expect(p.a.eventsOf('tunnel-down')[0]?.value.reason).toMatchObject({
      by: 'error',
      resultCode: 4,
    });
    expect(p.b.eventsOf('tunnel-down')[0]?.value.reason).toMatchObject({
      by: 'peer',
      resultCode: 4,
    });
    expect(p.b.eventsOf('tunnel-up')).toEqual([]);
  });

  test('RFC 2661 §5.1.1: a wrong response in SCCCN is refused with StopCCN Result 4 (checked by the responder)', () => {
    const p = new EnginePair({
      a: { secret: 'another secret', authenticatePeer: false },
      b: { secret: SECRET },
    });
    p.connect();
    p.drive(2000);
    expect(p.a.eventsOf('tunnel-up')).toHaveLength(1); // a did not check b
    expect(sentOf(p.b, 'StopCCN')[0]?.resultCode.resultCode).toBe(StopCcnResult.NotAuthorized);
    expect(p.b.eventsOf('tunnel-up')).toEqual([]);
    expect(p.a.eventsOf('tunnel-down')[0]?.value.reason).toMatchObject({
      by: 'peer',
      resultCode: 4,
    });
  });

  test('RFC 2661 §5.1.1: a missing Challenge Response is refused with StopCCN Result 4', () => {
    const p = new EnginePair({ a: { secret: SECRET }, b: {} });
    p.connect();
    p.drive(2000);
    // b has no secret: it cannot answer the challenge and refuses; a never sees a response.
    expect(sentOf(p.b, 'StopCCN')[0]?.resultCode.resultCode).toBe(StopCcnResult.NotAuthorized);
    const q = new EnginePair({ a: { secret: SECRET }, b: {} });
    const e = q.a.create();
    const sccrp = build({ tunnelId: e.localTunnelId, sessionId: 0, ns: 0, nr: 1 }, {
      ...sccrqFields,
      type: 'SCCRP',
    } as never);
    e.connect(0);
    const out = e.handleDatagram(sccrp, 5);
    const stop = out.find(
      (o) => o.type === 'transmit' && nameOf(o.packet as Uint8Array) === 'StopCCN',
    );
    expect(
      typed(stop?.type === 'transmit' ? (stop.packet as Uint8Array) : new Uint8Array()),
    ).toMatchObject({ resultCode: { resultCode: 4 } });
  });
});

describe('hidden AVPs (RFC 2661 §4.3)', () => {
  test('RFC 2661 §4.3: configured fields go out with the H bit set after a Random Vector and are unhidden by the peer', () => {
    const p = new EnginePair({
      a: {
        secret: SECRET,
        hiddenFields: ['assignedTunnelId', 'assignedSessionId', 'callSerialNumber'],
      },
      b: { secret: SECRET },
    });
    p.establish();
    const sessionId = p.openSession(p.a);
    p.driveBounded(() => p.b.eventsOf('session-up').length === 1);
    const sccrq = p.a.sent[0]?.bytes as Uint8Array;
    const avps = rawAvps(sccrq);
    const at = avps.findIndex((a) => a.attributeType === 9);
    expect(avps[at]?.hidden).toBe(true);
    expect(avps.slice(0, at).some((a) => a.attributeType === 36 && !a.hidden)).toBe(true);
    expect(avps.filter((a) => a.hidden).map((a) => a.attributeType)).toEqual([9]);
    const icrq = p.a.sent.find((s) => nameOf(s.bytes, SECRET) === 'ICRQ')?.bytes as Uint8Array;
    expect(
      rawAvps(icrq)
        .filter((a) => a.hidden)
        .map((a) => a.attributeType),
    ).toEqual([14, 15]);
    // Unhidden by the peer: b knows a's tunnel and session ids.
    expect(p.b.engine.peerTunnelId).toBe(p.a.engine.localTunnelId);
    expect(p.b.eventsOf('session-up')[0]?.value.peerSessionId).toBe(sessionId);
  });

  test('RFC 2661 §4.3: hidden AVPs without a configured secret are answered with StopCCN Result 2', () => {
    const p = new EnginePair({
      a: { secret: SECRET, authenticatePeer: false, hiddenFields: ['assignedTunnelId'] },
    });
    p.connect();
    p.drive(2000);
    expect(sentOf(p.b, 'StopCCN')[0]?.resultCode).toMatchObject({ resultCode: 2, errorCode: 3 });
  });
});

describe('keepalive and dead-peer detection (RFC 2661 §5.5, §5.8)', () => {
  test('RFC 2661 §5.5: HELLO after 60 s without receiving anything; a partitioned peer is declared dead after the retry budget', () => {
    const p = new EnginePair();
    p.establish();
    p.drive(1000);
    // a last heard from b at 140 (ZLB for SCCCN); b last heard from a at 30 (SCCCN).
    expect(p.a.engine.nextDeadline()).toBe(60_140);
    expect(p.b.engine.nextDeadline()).toBe(60_030);
    p.net.connectBoth('a', 'b', { latencyMs: 10, lossRate: 1 });
    p.drive(100_000);
    expect(sentTimes(p.a, 'HELLO')).toEqual([60_140, 61_140, 63_140, 67_140, 75_140, 83_140]);
    expect(sentTimes(p.b, 'HELLO')).toEqual([60_030, 61_030, 63_030, 67_030, 75_030, 83_030]);
    expect(p.a.eventsOf('tunnel-down').map((e) => [e.at, e.value.reason])).toEqual([
      [91_140, { by: 'timeout' }],
    ]);
    expect(p.b.eventsOf('tunnel-down').map((e) => [e.at, e.value.reason])).toEqual([
      [91_030, { by: 'timeout' }],
    ]);
  });

  test('RFC 2661 §5.5: received data and HELLOs postpone our HELLO; a peer that never sends HELLO is fine', () => {
    const p = new EnginePair({ a: { helloIntervalMs: 0 } });
    p.establish();
    const sid = p.openSession(p.a);
    p.driveBounded(() => p.a.eventsOf('session-up').length === 1);
    p.drive(50_000);
    const sentAt = p.now;
    p.run(p.a, (e, now) => e.sendFrame(sid, Uint8Array.of(1), now));
    p.drive(200_000);
    // a never sends HELLO; b's first comes 60 s after the data frame reached it (10 ms link),
    // not 60 s after the last control message; then every 60 s after a's ZLB (110 ms later).
    expect(sentTimes(p.a, 'HELLO')).toEqual([]);
    expect(sentTimes(p.b, 'HELLO')).toEqual([
      sentAt + 10 + 60_000,
      sentAt + 10 + 60_000 + 120 + 60_000,
      sentAt + 10 + 60_000 + 2 * (120 + 60_000),
    ]);
    expect(p.b.engine.state).toBe('established');
  });
});

describe('teardown (RFC 2661 §5.7)', () => {
  test('RFC 2661 §5.7: the receiver of StopCCN holds a full cycle and answers a lost ZLB again; the sender ends once acknowledged', () => {
    const p = new EnginePair();
    p.establish();
    p.drive(1000);
    const t = p.now;
    let zlbs = 0;
    p.b.outFilter = (bytes) => !(nameOf(bytes) === 'ZLB' && zlbs++ === 0);
    p.run(p.a, (e, now) => e.close(now, { message: 'bye' }));
    p.drive(40_000);
    expect(sentTimes(p.a, 'StopCCN')).toEqual([t, t + 1000]);
    expect(sentTimes(p.b, 'ZLB').slice(-2)).toEqual([t + 10 + 100, t + 1010 + 100]);
    const [stop] = sentOf(p.a, 'StopCCN');
    expect(stop).toMatchObject({
      assignedTunnelId: p.a.engine.localTunnelId,
      resultCode: { resultCode: 1, errorCode: 0, errorMessage: { text: 'bye' } },
    });
    expect(p.b.eventsOf('tunnel-down')[0]?.value.reason).toEqual({
      by: 'peer',
      resultCode: 1,
      errorCode: 0,
      message: 'bye',
    });
    // The receiver of the StopCCN holds a full retransmission cycle (31 s) in case its ZLB is
    // lost; the sender cleans up once the (retransmitted) StopCCN is acknowledged (§5.7).
    expect(p.a.eventsOf('tunnel-closed').map((e) => e.at)).toEqual([t + 1000 + 10 + 100 + 10]);
    expect(p.a.eventsOf('tunnel-closed')[0]?.value.stopCcn).toBe('acknowledged');
    expect(p.b.eventsOf('tunnel-closed').map((e) => e.at)).toEqual([t + 10 + 31_000]);
    expect(p.a.engine.state).toBe('closed');
    expect(p.a.engine.nextDeadline()).toBeUndefined();
  });

  test('RFC 2661 §5.7: closing twice, or commands after close, are harmless or refused', () => {
    const p = new EnginePair();
    p.establish();
    p.run(p.a, (e, now) => e.close(now));
    expect(p.run(p.a, (e, now) => e.close(now))).toEqual([]);
    expect(() => p.a.engine.openSession(p.now)).toThrow(UsageError);
    expect(() => p.a.engine.connect(p.now)).toThrow(UsageError);
    expect(p.a.eventsOf('tunnel-down')).toHaveLength(1);
  });
});

describe('tie breaker (RFC 2661 §4.4.3)', () => {
  test('compareTieBreakers: lower wins, equal both lose, one-sided wins, none is no tie', () => {
    expect(compareTieBreakers(1n, 2n)).toBe('local-wins');
    expect(compareTieBreakers(3n, 2n)).toBe('peer-wins');
    expect(compareTieBreakers(2n, 2n)).toBe('both-lose');
    expect(compareTieBreakers(2n, undefined)).toBe('local-wins');
    expect(compareTieBreakers(undefined, 2n)).toBe('peer-wins');
    expect(compareTieBreakers(undefined, undefined)).toBe('no-tie');
  });

  test('RFC 2661 §4.4.3: crossing SCCRQs: the lower Tie Breaker wins and the loser silently discards its tunnel', () => {
    const p = new EnginePair({ a: { tieBreaker: 5n }, b: { tieBreaker: 9n } });
    p.connect();
    const bLoser = p.b.create();
    p.b.perform(bLoser, bLoser.connect(p.now), p.now);
    p.drive(2000);
    expect(p.a.collisions).toEqual(['local-wins']);
    expect(p.b.collisions).toEqual(['peer-wins']);
    expect(bLoser.state).toBe('closed');
    expect(p.b.eventsOf('tunnel-down').map((e) => e.value.reason)).toEqual([{ by: 'tie-breaker' }]);
    // The loser sent no StopCCN; exactly one tunnel is up on each side, a's.
    expect(sentOf(p.b, 'StopCCN')).toEqual([]);
    expect(p.established()).toBe(true);
    expect(p.b.engine.peerTunnelId).toBe(p.a.engine.localTunnelId);
    expect(p.a.eventsOf('tunnel-up')).toHaveLength(1);
    expect(p.b.eventsOf('tunnel-up')).toHaveLength(1);
    expect(typed(p.a.sent[0]?.bytes as Uint8Array)).toMatchObject({ tieBreaker: 5n });
  });

  test('RFC 2661 §4.4.3: equal Tie Breakers make both sides discard their tunnels', () => {
    const p = new EnginePair({ a: { tieBreaker: 7n }, b: { tieBreaker: 7n } });
    p.connect();
    const other = p.b.create();
    p.b.perform(other, other.connect(p.now), p.now);
    p.drive(2000);
    expect(p.a.collisions).toEqual(['both-lose']);
    expect(p.b.collisions).toEqual(['both-lose']);
    expect(p.a.engine.state).toBe('closed');
    expect(other.state).toBe('closed');
    expect(p.a.eventsOf('tunnel-up')).toEqual([]);
  });
});

describe('protocol violations (RFC 2661 §4.2, §7.1)', () => {
  test('RFC 2661 §4.2: an unknown AVP with the M bit in SCCRQ is answered with StopCCN Result 2 Error 8', () => {
    const bytes = build({ tunnelId: 0, sessionId: 0, ns: 0, nr: 0 }, sccrqFields as never, [
      UNKNOWN_MANDATORY,
    ]);
    const { engine, outputs } = TunnelEngine.accept(
      bytes,
      0,
      sideOptions('lns', new SeededRandom(1)),
    );
    const events = outputs.flatMap((o) => (o.type === 'event' ? [o.event] : []));
    const sent = outputs.flatMap((o) => (o.type === 'transmit' ? [o.packet as Uint8Array] : []));
    expect(sent.map((b) => typed(b))).toMatchObject([
      { type: 'StopCCN', resultCode: { resultCode: 2, errorCode: 8 } },
    ]);
    expect(headerOf(sent[0] as Uint8Array).tunnelId).toBe(777); // read from the raw AVPs
    expect(events).toMatchObject([
      { type: 'tunnel-down', reason: { by: 'error', resultCode: 2, errorCode: 8 } },
    ]);
    expect(engine.state).toBe('closing');
    expect(engine.stats().protocolErrors).toBe(1);
  });

  test('tolerance.acceptUnknownMandatoryAvps: the same SCCRQ is accepted', () => {
    const bytes = build({ tunnelId: 0, sessionId: 0, ns: 0, nr: 0 }, sccrqFields as never, [
      UNKNOWN_MANDATORY,
    ]);
    const { engine } = TunnelEngine.accept(bytes, 0, {
      ...sideOptions('lns', new SeededRandom(1)),
      tolerance: { acceptUnknownMandatoryAvps: true },
    });
    expect(engine.state).toBe('wait-ctl-conn');
  });

  test('RFC 2661 §7.2.1: an SCCRQ-answering message out of sequence (SCCRP in established) clears the tunnel with StopCCN Result 7', () => {
    const p = new EnginePair();
    p.establish();
    p.drive(1000);
    const s = p.a.engine.stats().channel;
    const sccrp = build(
      { tunnelId: p.b.engine.localTunnelId, sessionId: 0, ns: s.nextNs, nr: s.nr },
      { ...sccrqFields, type: 'SCCRP' } as never,
    );
    p.b.perform(p.b.engine, p.b.engine.handleDatagram(sccrp, p.now), p.now);
    expect(sentOf(p.b, 'StopCCN')[0]?.resultCode.resultCode).toBe(StopCcnResult.FsmError);
    expect(p.b.eventsOf('tunnel-down')[0]?.value.reason).toMatchObject({
      by: 'error',
      resultCode: 7,
    });
  });

  test('RFC 2661 §4.4.2: a StopCCN whose Result Code has no Error Code (MikroTik, Android) is accepted', () => {
    const p = new EnginePair();
    p.establish();
    p.drive(1000);
    const s = p.a.engine.stats().channel;
    const stop = build(
      { tunnelId: p.b.engine.localTunnelId, sessionId: 0, ns: s.nextNs, nr: s.nr },
      { type: 'StopCCN', version: 2, assignedTunnelId: 1, resultCode: { resultCode: 6 } } as never,
    );
    p.b.perform(p.b.engine, p.b.engine.handleDatagram(stop, p.now), p.now);
    expect(p.b.eventsOf('tunnel-down')[0]?.value.reason).toEqual({ by: 'peer', resultCode: 6 });
  });

  test('RFC 2661 §3.1: unreadable datagrams are dropped and counted, never thrown', () => {
    const p = new EnginePair();
    p.establish();
    const e = p.b.engine;
    for (const junk of [new Uint8Array(0), Uint8Array.of(0xc8), Uint8Array.of(0xc8, 0x01, 0, 12)]) {
      expect(e.handleDatagram(junk, p.now)).toEqual([]);
    }
    expect(e.stats().datagramsDropped + e.stats().framesDropped).toBe(3);
    expect(e.state).toBe('established');
    expect(isControl(Uint8Array.of(0xc8))).toBe(true);
  });

  test('accept() with bytes that are not an SCCRQ leaves a closed engine and sends nothing', () => {
    const { engine, outputs } = TunnelEngine.accept(
      Uint8Array.of(1, 2, 3),
      0,
      sideOptions('lns', new SeededRandom(1)),
    );
    expect(outputs).toEqual([]);
    expect(engine.state).toBe('closed');
    expect(engine.nextDeadline()).toBeUndefined();
  });

  test('options are validated with UsageError naming the option', () => {
    const base = sideOptions('lac', new SeededRandom(1));
    expect(() => new TunnelEngine({ ...base, hostName: '' })).toThrow(/hostName/);
    expect(() => new TunnelEngine({ ...base, secret: 'x', crypto: undefined } as never)).toThrow(
      /crypto/,
    );
    expect(() => new TunnelEngine({ ...base, hiddenFields: ['assignedTunnelId'] })).toThrow(
      /hiddenFields/,
    );
    expect(
      () =>
        new TunnelEngine({
          ...base,
          secret: 's',
          crypto: nodeCrypto,
          hiddenFields: ['tieBreaker'],
        }),
    ).toThrow(/cannot be hidden/);
    expect(() => new TunnelEngine({ ...base, version: 3 } as never)).toThrow(/version/);
    expect(() => new TunnelEngine({ ...base, mode: 'x' } as never)).toThrow(/mode/);
    expect(() => new TunnelEngine({ ...base, helloIntervalMs: -1 })).toThrow(/helloIntervalMs/);
    expect(() => new TunnelEngine({ ...base, localTunnelId: 0 })).toThrow(/localTunnelId/);
  });
});
