// L2TPv3 behaviour of TunnelEngine over the simulated network (RFC 3931 §3.3, §4.1, §4.2, §4.3,
// §5.4, §6, §7), one test per clause (names are listed in docs/rfc-coverage.md): the handshake
// over UDP and over IP with 32-bit ids and explicit ACKs, control message authentication with
// Message Digest and nonces (and what a wrong secret does), sessions with cookies, the default
// L2-Specific Sublayer and data sequencing, circuit status, CDN and StopCCN.

import { describe, expect, test } from 'vitest';
import { verifyMessageDigest } from '../../src/avp/auth.js';
import type { ControlMessage } from '../../src/avp/messages.js';
import type { RawAvp } from '../../src/avp/raw.js';
import type { CircuitStatusValue } from '../../src/avp/values.js';
import {
  buildControl,
  decodeControl,
  encodeControl,
  parseControl,
} from '../../src/codec/control.js';
import type { ControlHeaderV3 } from '../../src/codec/header.js';
import { CdnResult, StopCcnResult } from '../../src/constants.js';
import { TunnelEngine } from '../../src/engine/index.js';
import { UsageError } from '../../src/errors.js';
import { nodeCrypto } from '../../src/node/crypto.js';
import { SeededRandom } from '../../src/testing/index.js';
import {
  type EngineNode,
  EnginePair,
  type PairOptions,
  type SideOptions,
  sideOptions,
} from './pair.js';

const ROUTER_A = 0x0a000001;
const ROUTER_B = 0xc0a80102; // ≥ 2^31: read back unsigned
const SECRET3 = 'v3-shared-secret';
const ACTIVE: CircuitStatusValue = {
  active: true,
  new: false,
  acRxFault: false,
  acTxFault: false,
  pwRxFault: false,
  pwTxFault: false,
  standby: false,
  reserved: 0,
};

type Encap = 'udp' | 'ip';

// Frames pass the session's pseudowire framer (default Ethernet, RFC 4719): a 14-octet header
// (broadcast destination, a source, EtherType IPv4) before `payload`; VLAN: one 802.1Q tag (VID 100).
const DST_SRC = [0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0x02, 0, 0, 0, 0, 0x01];
const eth = (...payload: number[]) => Uint8Array.of(...DST_SRC, 0x08, 0x00, ...payload);
const vlanEth = (...payload: number[]) =>
  Uint8Array.of(...DST_SRC, 0x81, 0x00, 0x00, 0x64, 0x08, 0x00, ...payload);

function v3Pair(
  encap: Encap = 'udp',
  a: Partial<SideOptions> = {},
  b: Partial<SideOptions> = {},
  extra: Omit<PairOptions, 'a' | 'b'> = {},
): EnginePair {
  return new EnginePair({
    ...extra,
    a: { version: 3, encap, routerId: ROUTER_A, ...a },
    b: { version: 3, encap, routerId: ROUTER_B, ...b },
  });
}

const hex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const u32hex = (n: number) => n.toString(16).padStart(8, '0');

function encapOf(node: EngineNode): Encap {
  return node.options.encap ?? 'udp';
}

function isControl3(bytes: Uint8Array, encap: Encap): boolean {
  return encap === 'ip'
    ? bytes[0] === 0 && bytes[1] === 0 && bytes[2] === 0 && bytes[3] === 0
    : ((bytes[0] as number) & 0x80) !== 0;
}

function msg(bytes: Uint8Array, encap: Encap): ControlMessage {
  return parseControl(bytes, { encap }).message;
}

function names(node: EngineNode): string[] {
  const encap = encapOf(node);
  return node.sent.map((s) => (isControl3(s.bytes, encap) ? msg(s.bytes, encap).type : 'DATA'));
}

function sent<T extends ControlMessage['type']>(node: EngineNode, type: T) {
  const encap = encapOf(node);
  return node.sent
    .filter((s) => isControl3(s.bytes, encap) && msg(s.bytes, encap).type === type)
    .map((s) => ({
      bytes: s.bytes,
      at: s.at,
      message: msg(s.bytes, encap) as Extract<ControlMessage, { type: T }>,
      header: decodeControl(s.bytes, { encap }).header as ControlHeaderV3,
    }));
}

function sessionsUp(p: EnginePair): boolean {
  return p.a.eventsOf('session-up').length > 0 && p.b.eventsOf('session-up').length > 0;
}

// A control message injected as if the peer had sent it next: Ns/Nr from the peer's channel.
function inject(p: EnginePair, message: ControlMessage): Uint8Array {
  const ch = p.a.engine.stats().channel;
  const encap = encapOf(p.a);
  const header = {
    version: 3,
    connectionId: p.b.engine.localTunnelId,
    ns: ch.nextNs,
    nr: ch.nr,
  } as const;
  return buildControl(header, message, { encap });
}

describe('control connection (RFC 3931 §3.3, §4.2, §7.2)', () => {
  for (const encap of ['udp', 'ip'] as const) {
    test(`RFC 3931 §3.3.1, §4.1.${encap === 'ip' ? '1.2' : '2.1'}: SCCRQ → SCCRP → SCCCN over ${encap.toUpperCase()}, then an explicit ACK (type 20)`, () => {
      const p = v3Pair(encap);
      p.establish();
      p.drive(1000);
      expect(names(p.a)).toEqual(['SCCRQ', 'SCCCN']);
      expect(names(p.b)).toEqual(['SCCRP', 'ACK']);
      const aId = p.a.engine.localTunnelId;
      const bId = p.b.engine.localTunnelId;
      const [sccrq] = sent(p.a, 'SCCRQ');
      // RFC 3931 §6.1: Host Name, Router ID, Assigned Control Connection ID, PW Capabilities.
      expect(sccrq?.header.connectionId).toBe(0);
      expect(sccrq?.message).toMatchObject({
        version: 3,
        hostName: { text: 'lac.example' },
        routerId: ROUTER_A,
        assignedControlConnectionId: aId,
        pseudowireCapabilitiesList: [5, 4],
        receiveWindowSize: 8,
      });
      expect(sccrq?.message).not.toHaveProperty('protocolVersion');
      expect(sccrq?.message).not.toHaveProperty('controlMessageAuthenticationNonce');
      const [sccrp] = sent(p.b, 'SCCRP');
      expect(sccrp?.header.connectionId).toBe(aId);
      expect(sccrp?.message).toMatchObject({
        routerId: ROUTER_B,
        assignedControlConnectionId: bId,
      });
      expect(sent(p.a, 'SCCCN')[0]?.header).toMatchObject({ connectionId: bId, ns: 1, nr: 1 });
      // The ACK on the wire: T L S Ver=3, Length 20, CCID, Ns 1 (not consumed), Nr 2, then a
      // mandatory Message Type AVP of type 20 (RFC 3931 §4.2, §6.15).
      const ack = sent(p.b, 'ACK')[0]?.bytes as Uint8Array;
      const zeroSid = encap === 'ip' ? '00000000' : '';
      const expected = [
        zeroSid, // over IP: the all-zero Session ID first (§4.1.1.2)
        'c803', // T L S, Ver 3
        '0014', // Length 20
        u32hex(aId), // Control Connection ID of the recipient
        '0001', // Ns 1: the next Ns, not consumed by the ACK
        '0002', // Nr 2: SCCRQ and SCCCN received
        '8008', // M bit, AVP Length 8
        '0000', // Vendor ID 0
        '0000', // Attribute Type 0: Message Type
        '0014', // ACK (20)
      ];
      expect(hex(ack)).toBe(expected.join(''));
      expect(p.b.sent.at(-1)?.at).toBe(130); // after the 100 ms ack delay
      expect(p.a.engine.stats().channel.inFlight).toBe(0);
      const up = p.a.eventsOf('tunnel-up')[0]?.value;
      expect(up).toMatchObject({
        version: 3,
        peerTunnelId: bId,
        peerRouterId: ROUTER_B,
        peerPseudowireCapabilities: [5, 4],
        peerHostName: 'lns.example',
        peerAuthenticated: false,
        initiator: true,
      });
      expect(p.b.eventsOf('tunnel-up')[0]?.value).toMatchObject({ peerRouterId: ROUTER_A });
    });
  }

  test('RFC 3931 §6.15: a ZLB from the peer acknowledges like an ACK', () => {
    const p = v3Pair();
    p.b.outFilter = (bytes) => msg(bytes, 'udp').type !== 'ACK'; // b's ACK is lost
    p.establish();
    p.drive(500);
    expect(p.a.engine.stats().channel.inFlight).toBe(1); // the SCCCN
    const b = p.b.engine.stats().channel;
    const zlb = encodeControl({
      header: { version: 3, connectionId: p.a.engine.localTunnelId, ns: b.nextNs, nr: b.nr },
      avps: [],
    });
    p.a.perform(p.a.engine, p.a.engine.handleDatagram(zlb, p.now), p.now);
    expect(p.a.engine.stats().channel).toMatchObject({ inFlight: 0, acksReceived: 1 });
  });

  test('RFC 3931 §6.5, §4.2: HELLO after the idle interval, acknowledged with an ACK', () => {
    const p = v3Pair('udp', { helloIntervalMs: 5000 }, { helloIntervalMs: 0 });
    p.establish();
    p.drive(7000);
    const [hello] = sent(p.a, 'HELLO');
    expect(hello?.at).toBe(5140); // 5 s after the last thing received: b's ACK at 140 ms
    expect(sent(p.b, 'ACK').map((s) => s.at)).toContain(5250); // 10 ms latency + ack delay
    expect(p.a.engine.stats().channel.inFlight).toBe(0);
  });

  test('RFC 3931 §3.3.2, §5.4.3: StopCCN names our Assigned Control Connection ID; the peer ACKs it', () => {
    const p = v3Pair();
    p.establish();
    p.drive(500);
    p.run(p.a, (e, now) => e.close(now, { resultCode: StopCcnResult.ShuttingDown }));
    p.drive(40_000);
    const [stop] = sent(p.a, 'StopCCN');
    expect(stop?.message).toMatchObject({
      assignedControlConnectionId: p.a.engine.localTunnelId,
      resultCode: { resultCode: 6 },
    });
    expect(names(p.b).at(-1)).toBe('ACK');
    expect(p.b.eventsOf('tunnel-down')[0]?.value.reason).toEqual({ by: 'peer', resultCode: 6 });
    // Both sides hold the connection for a retransmission cycle, then release it.
    expect(p.a.eventsOf('tunnel-closed')).toHaveLength(1);
    expect(p.b.eventsOf('tunnel-closed')).toHaveLength(1);
    expect(p.a.engine.state).toBe('closed');
  });

  test('RFC 3931 §5.4.3: 32-bit Control Connection and Session IDs ≥ 2^31 stay unsigned', () => {
    const high = (seed: number) => {
      const r = new SeededRandom(seed);
      return (n: number) => r.bytes(n).map((x) => x | 0x80);
    };
    const p = v3Pair(
      'udp',
      { randomBytes: high(3), session: { cookieLength: 4 } },
      { randomBytes: high(4), localTunnelId: 0xffffffff, session: { cookieLength: 4 } },
    );
    p.establish();
    expect(p.a.engine.localTunnelId).toBeGreaterThan(0x7fffffff);
    expect(p.b.engine.localTunnelId).toBe(0xffffffff);
    expect(p.a.engine.peerTunnelId).toBe(0xffffffff);
    expect(sent(p.a, 'SCCCN')[0]?.header.connectionId).toBe(0xffffffff);
    const sid = p.openSession(p.a);
    p.driveBounded(() => sessionsUp(p));
    const bSid = p.b.engine.sessionIds()[0] as number;
    expect(sid).toBeGreaterThan(0x7fffffff);
    expect(bSid).toBeGreaterThan(0x7fffffff);
    expect(sent(p.a, 'ICRQ')[0]?.message).toMatchObject({ localSessionId: sid });
    p.run(p.a, (e, now) => e.sendFrame(sid, eth(1, 2, 3), now));
    p.run(p.b, (e, now) => e.sendFrame(bSid, eth(4, 5), now));
    p.drive(100);
    expect(p.b.frames.map((f) => [f.value.sessionId, [...f.value.frame]])).toEqual([
      [bSid, [...eth(1, 2, 3)]],
    ]);
    expect(p.a.frames.map((f) => [f.value.sessionId, [...f.value.frame]])).toEqual([
      [sid, [...eth(4, 5)]],
    ]);
  });

  test('RFC 3931 §5.4.3: v3 options are validated (routerId, encap, PW types, sequencing needs a sublayer)', () => {
    const base = sideOptions('lac', new SeededRandom(1), { version: 3, routerId: 1 });
    expect(() => new TunnelEngine(base)).not.toThrow();
    expect(() => new TunnelEngine({ ...base, routerId: undefined } as never)).toThrow(/routerId/);
    expect(() => new TunnelEngine({ ...base, encap: 'tcp' } as never)).toThrow(/encap/);
    expect(() => new TunnelEngine({ ...base, version: 2, encap: 'ip' })).toThrow(/encap/);
    expect(() => new TunnelEngine({ ...base, pseudowireCapabilities: [] })).toThrow(/pseudowire/);
    expect(() => new TunnelEngine({ ...base, localTunnelId: 2 ** 32 })).toThrow(/localTunnelId/);
    // Sequencing with 'auto' picks the Default L2-Specific Sublayer; with 'none' it cannot work.
    expect(
      () => new TunnelEngine({ ...base, session: { requireSequenceNumbers: true } }),
    ).not.toThrow();
    expect(
      () =>
        new TunnelEngine({
          ...base,
          session: { requireSequenceNumbers: true, l2SpecificSublayer: 'none' },
        }),
    ).toThrow(UsageError);
    expect(() => new TunnelEngine({ ...base, session: { cookieLength: 2 as never } })).toThrow(
      /cookieLength/,
    );
    expect(() => new TunnelEngine({ ...base, version: 4 as never })).toThrow(/version/);
  });
});

describe('control message authentication (RFC 3931 §4.3, §5.4.1)', () => {
  test('RFC 3931 §5.4.1: nonces in SCCRQ/SCCRP, a Message Digest right after the Message Type in every message', () => {
    const p = v3Pair('ip', { secret: SECRET3 }, { secret: SECRET3 });
    p.establish();
    const sid = p.openSession(p.a);
    p.driveBounded(() => sessionsUp(p));
    p.drive(1000);
    expect(names(p.a)).toEqual(['SCCRQ', 'SCCCN', 'ICRQ', 'ICCN']);
    expect(names(p.b)).toEqual(['SCCRP', 'ICRP', 'ACK']);
    for (const node of [p.a, p.b]) {
      for (const s of node.sent) {
        const avps = decodeControl(s.bytes, { encap: 'ip' }).avps;
        expect(avps[1]).toMatchObject({ attributeType: 59, hidden: false });
        expect(avps[1]?.value.length).toBe(17); // Digest Type 0 (HMAC-MD5) + 16 octets
      }
    }
    const aNonce = sent(p.a, 'SCCRQ')[0]?.message.controlMessageAuthenticationNonce as Uint8Array;
    const bNonce = sent(p.b, 'SCCRP')[0]?.message.controlMessageAuthenticationNonce as Uint8Array;
    expect(aNonce.length).toBe(16);
    expect(bNonce.length).toBe(16);
    // Recomputed independently (RFC 3931 §5.4.1), over the message after the zero Session ID:
    // the SCCRQ without nonces, later messages with the sender's nonce first.
    const secret = new TextEncoder().encode(SECRET3);
    const body = (b: Uint8Array) => b.subarray(4);
    const sccrq = sent(p.a, 'SCCRQ')[0]?.bytes as Uint8Array;
    expect(verifyMessageDigest(body(sccrq), 20, secret, undefined, nodeCrypto)).toBe(true);
    const iccn = sent(p.a, 'ICCN')[0]?.bytes as Uint8Array;
    const atB = { local: bNonce, remote: aNonce }; // the receiver's point of view
    expect(verifyMessageDigest(body(iccn), 20, secret, atB, nodeCrypto)).toBe(true);
    expect(
      verifyMessageDigest(body(iccn), 20, secret, { local: aNonce, remote: bNonce }, nodeCrypto),
    ).toBe(false);
    const ack = sent(p.b, 'ACK')[0]?.bytes as Uint8Array;
    expect(
      verifyMessageDigest(body(ack), 20, secret, { local: aNonce, remote: bNonce }, nodeCrypto),
    ).toBe(true);
    expect(p.a.eventsOf('tunnel-up')[0]?.value.peerAuthenticated).toBe(true);
    expect(p.b.eventsOf('tunnel-up')[0]?.value.peerAuthenticated).toBe(true);
    expect(p.a.engine.sessionState(sid)).toBe('established');
  });

  test('RFC 3931 §5.4.1: a wrong secret makes every SCCRQ fail its digest; dropped unanswered, setup times out', () => {
    const p = v3Pair('udp', { secret: SECRET3 }, { secret: 'another-secret' });
    p.connect();
    p.drive(60_000);
    expect(names(p.a)).toEqual(Array(6).fill('SCCRQ')); // first send + 5 retransmissions
    expect(p.b.sent).toHaveLength(0); // MUST be dropped: no StopCCN, no ACK
    const responder = [...p.b.engines.values()][0] as TunnelEngine;
    expect(responder.stats().digestFailures).toBe(1);
    expect(responder.state).toBe('closed');
    const down = p.a.eventsOf('tunnel-down')[0];
    expect(down?.value.reason).toEqual({ by: 'timeout' });
    expect(down?.at).toBe(1000 + 2000 + 4000 + 8000 + 8000 + 8000);
  });

  test('RFC 3931 §5.4.1: a message altered in transit is dropped without an ACK and recovered by retransmission', () => {
    const p = v3Pair('udp', { secret: SECRET3 }, { secret: SECRET3 });
    p.establish();
    let tampered = 0;
    p.a.outFilter = (bytes) => {
      if (msg(bytes, 'udp').type === 'ICRQ' && tampered++ === 0) {
        bytes[bytes.length - 1] = (bytes[bytes.length - 1] as number) ^ 0x01; // flip a bit
      }
      return true;
    };
    const t0 = p.now;
    p.openSession(p.a);
    p.driveBounded(() => sessionsUp(p));
    expect(p.b.engine.stats().digestFailures).toBe(1);
    expect(sent(p.a, 'ICRQ').map((s) => s.at - t0)).toEqual([0, 1000]);
    expect(p.b.engine.stats().channel.duplicatesReceived).toBe(0); // the bad copy never counted
  });

  test('RFC 3931 §4.3: a peer asking for authentication without our secret is refused (StopCCN Result 4)', () => {
    const p = v3Pair('udp', { secret: SECRET3 }, {});
    p.connect();
    p.drive(2000);
    const [stop] = sent(p.b, 'StopCCN');
    expect(stop?.message.resultCode).toMatchObject({ resultCode: StopCcnResult.NotAuthorized });
    // Without b's nonce, a cannot verify that StopCCN and drops it (§5.4.1).
    expect(p.a.engine.stats().digestFailures).toBeGreaterThan(0);
  });

  test('RFC 3931 §5.3, §5.4.1: hidden session AVPs still leave the digest at its fixed offset', () => {
    const p = v3Pair(
      'udp',
      { secret: SECRET3, hiddenFields: ['localSessionId', 'assignedCookie'] },
      { secret: SECRET3 },
    );
    p.establish();
    const sid = p.openSession(p.a, { cookieLength: 8 });
    p.driveBounded(() => sessionsUp(p));
    const avps = p.a.sent
      .map((s) => decodeControl(s.bytes).avps)
      .find((list) => list[0]?.value[1] === 10) as RawAvp[]; // Message Type 10: ICRQ
    expect(avps[1]?.attributeType).toBe(59);
    expect(avps.filter((a) => a.hidden).map((a) => a.attributeType)).toEqual([63, 65]);
    expect(p.b.eventsOf('incoming-session')[0]?.value.peerSessionId).toBe(sid);
  });
});

describe('sessions (RFC 3931 §3.4, §4.1, §4.6, §5.4.4, §7.3)', () => {
  const seqOptions = {
    cookieLength: 8,
    l2SpecificSublayer: 'default',
    requireSequenceNumbers: true,
  } as const;

  test('RFC 3931 §4.1, §4.6, §5.4.4: 8-byte cookies both ways, default sublayer, sequenced data', () => {
    const p = v3Pair('udp', { session: seqOptions }, { session: seqOptions });
    p.establish();
    const sid = p.openSession(p.a);
    p.driveBounded(() => sessionsUp(p));
    const bSid = p.b.engine.sessionIds()[0] as number;
    const icrq = sent(p.a, 'ICRQ')[0]?.message;
    expect(icrq).toMatchObject({
      localSessionId: sid,
      remoteSessionId: 0,
      pseudowireType: 5,
      l2SpecificSublayer: 1,
      dataSequencing: 2,
      circuitStatus: { active: true },
    });
    const aCookie = icrq?.assignedCookie as Uint8Array;
    expect(aCookie.length).toBe(8);
    const icrp = sent(p.b, 'ICRP')[0]?.message;
    expect(icrp).toMatchObject({ localSessionId: bSid, remoteSessionId: sid, dataSequencing: 2 });
    const bCookie = icrp?.assignedCookie as Uint8Array;
    expect(sent(p.a, 'ICCN')[0]?.message).toMatchObject({
      localSessionId: sid,
      remoteSessionId: bSid,
    });
    expect(p.a.eventsOf('session-up')[0]?.value).toMatchObject({
      sessionId: sid,
      sequencing: true,
    });
    for (let i = 0; i < 3; i++) {
      p.run(p.a, (e, now) => e.sendFrame(sid, eth(0xa0 + i), now));
    }
    p.run(p.b, (e, now) => e.sendFrame(bSid, eth(0xbb), now));
    p.drive(100);
    const data = p.a.sent.filter((s) => !isControl3(s.bytes, 'udp'));
    // RFC 3931 §4.1.2.1 session header, the peer's cookie, §4.6 sublayer with S set and Ns.
    expect(data.map((d) => hex(d.bytes))).toEqual(
      [0, 1, 2].map(
        (i) =>
          `00030000${u32hex(bSid)}${hex(bCookie)}40${i.toString(16).padStart(6, '0')}` +
          hex(eth(0xa0 + i)),
      ),
    );
    const back = p.b.sent.filter((s) => !isControl3(s.bytes, 'udp'));
    expect(hex(back[0]?.bytes as Uint8Array)).toBe(
      `00030000${u32hex(sid)}${hex(aCookie)}40000000${hex(eth(0xbb))}`,
    );
    expect(p.b.frames.map((f) => f.value.frame[14])).toEqual([0xa0, 0xa1, 0xa2]);
    expect(p.a.frames.map((f) => f.value.frame[14])).toEqual([0xbb]);
  });

  test('RFC 3931 §4.1: a data packet with the wrong cookie is counted and dropped', () => {
    const p = v3Pair('ip', {}, { session: { cookieLength: 4 } });
    p.establish();
    p.openSession(p.a);
    p.driveBounded(() => sessionsUp(p));
    const bSid = p.b.engine.sessionIds()[0] as number;
    const cookie = sent(p.b, 'ICRP')[0]?.message.assignedCookie as Uint8Array;
    const packet = (c: Uint8Array) =>
      Uint8Array.from([...Buffer.from(u32hex(bSid), 'hex'), ...c, ...eth(7)]);
    const wrong = cookie.map((x) => x ^ 0xff);
    p.b.perform(p.b.engine, p.b.engine.handleDatagram(packet(wrong), p.now), p.now);
    expect(p.b.frames).toHaveLength(0);
    expect(p.b.engine.stats()).toMatchObject({ cookieMismatches: 1, framesDropped: 1 });
    p.b.perform(p.b.engine, p.b.engine.handleDatagram(packet(cookie), p.now), p.now);
    expect(p.b.frames.map((f) => [...f.value.frame])).toEqual([[...eth(7)]]);
  });

  test('RFC 3931 §5.4.2, §6.12: CDN carries both Session IDs; the peer goes down with its codes', () => {
    const p = v3Pair();
    p.establish();
    const sid = p.openSession(p.a);
    p.driveBounded(() => sessionsUp(p));
    const bSid = p.b.engine.sessionIds()[0] as number;
    p.run(p.a, (e, now) => e.closeSession(sid, now, { resultCode: CdnResult.Administrative }));
    p.drive(1000);
    expect(sent(p.a, 'CDN')[0]?.message).toMatchObject({
      localSessionId: sid,
      remoteSessionId: bSid,
      resultCode: { resultCode: 3 },
    });
    expect(p.b.eventsOf('session-down')[0]?.value).toMatchObject({
      type: 'session-down',
      sessionId: bSid,
      reason: { by: 'peer', resultCode: 3 },
      stats: { txPackets: 0, rxPackets: 0 },
    });
    expect(p.b.engine.sessionIds()).toEqual([]);
  });

  test('RFC 3931 §5.4.4: a PW type we did not advertise is refused with CDN Result 14', () => {
    const p = v3Pair('udp', {}, { pseudowireCapabilities: [5] });
    p.establish();
    // a would never ask for it (below); a peer that does is refused.
    const icrq = {
      type: 'ICRQ',
      version: 3,
      localSessionId: 0x87654321,
      remoteSessionId: 0,
      callSerialNumber: 1,
      pseudowireType: 4,
      remoteEndId: new Uint8Array(0),
      circuitStatus: ACTIVE,
    } as ControlMessage;
    p.b.perform(p.b.engine, p.b.engine.handleDatagram(inject(p, icrq), p.now), p.now);
    expect(sent(p.b, 'CDN')[0]?.message).toMatchObject({
      remoteSessionId: 0x87654321,
      resultCode: { resultCode: CdnResult.UnsupportedPwType },
    });
    expect(p.b.engine.sessionIds()).toEqual([]);
    expect(() => p.openSession(p.a, { pseudowireType: 4 })).toThrow(/pseudowire type 4/);
  });

  test('RFC 3931 §5.4.4: a call waiting for the tunnel with a PW type the peer lacks goes down (Result 14)', () => {
    const p = v3Pair('udp', {}, { pseudowireCapabilities: [5] });
    p.connect();
    const sid = p.openSession(p.a, { pseudowireType: 4 });
    p.driveBounded(() => p.established());
    expect(p.a.eventsOf('session-down')[0]?.value).toMatchObject({
      sessionId: sid,
      reason: { by: 'local', resultCode: CdnResult.UnsupportedPwType },
    });
    expect(names(p.a)).not.toContain('ICRQ');
  });

  test('RFC 3931 §5.4.4: Data Sequencing without an L2-Specific Sublayer is refused with CDN Result 15', () => {
    const p = v3Pair();
    p.establish();
    const icrq = {
      type: 'ICRQ',
      version: 3,
      localSessionId: 77,
      remoteSessionId: 0,
      callSerialNumber: 1,
      pseudowireType: 5,
      remoteEndId: new TextEncoder().encode('ge-0/0/1'),
      circuitStatus: ACTIVE,
      dataSequencing: 2,
    } as unknown as ControlMessage;
    p.b.perform(p.b.engine, p.b.engine.handleDatagram(inject(p, icrq), p.now), p.now);
    expect(sent(p.b, 'CDN')[0]?.message).toMatchObject({
      remoteSessionId: 77,
      resultCode: { resultCode: CdnResult.SequencingWithoutSublayer },
    });
    expect(p.b.eventsOf('incoming-session')[0]?.value.accepted).toBe(false);
  });

  test('RFC 3931 §5.4.5, §6.14: SLI with an inactive Circuit Status stops our data towards the peer', () => {
    const p = v3Pair();
    p.establish();
    const sid = p.openSession(p.a, { remoteEndId: 'eth0.100' });
    p.driveBounded(() => sessionsUp(p));
    expect(new TextDecoder().decode(sent(p.a, 'ICRQ')[0]?.message.remoteEndId)).toBe('eth0.100');
    const bSid = p.b.engine.sessionIds()[0] as number;
    p.run(p.b, (e, now) => e.setCircuitStatus(bSid, false, now));
    p.drive(100);
    expect(sent(p.b, 'SLI')[0]?.message).toMatchObject({
      localSessionId: bSid,
      remoteSessionId: sid,
      circuitStatus: { active: false },
    });
    expect(p.a.eventsOf('circuit-status')[0]?.value).toMatchObject({
      sessionId: sid,
      active: false,
    });
    expect(p.run(p.a, (e, now) => e.sendFrame(sid, eth(1), now))).toEqual([]);
    expect(p.a.engine.stats().framesSuppressed).toBe(1);
    p.run(p.b, (e, now) => e.setCircuitStatus(bSid, true, now));
    p.drive(100);
    expect(p.run(p.a, (e, now) => e.sendFrame(sid, eth(1), now))).toHaveLength(1);
  });
  test('RFC 3931 §3.4.2, §7.4: an outgoing call OCRQ → OCRP → OCCN with both Session IDs', () => {
    const p = v3Pair('ip', {}, { session: { pseudowireType: 4 } });
    p.establish();
    const bSid = p.openSession(p.b);
    p.driveBounded(() => sessionsUp(p));
    const aSid = p.a.engine.sessionIds()[0] as number;
    expect(names(p.b).filter((n) => n !== 'ACK')).toEqual(['SCCRP', 'OCRQ']);
    expect(names(p.a).filter((n) => n !== 'ACK')).toEqual(['SCCRQ', 'SCCCN', 'OCRP', 'OCCN']);
    expect(sent(p.b, 'OCRQ')[0]?.message).toMatchObject({
      localSessionId: bSid,
      pseudowireType: 4,
    });
    expect(sent(p.a, 'OCCN')[0]?.message).toMatchObject({
      localSessionId: aSid,
      remoteSessionId: bSid,
    });
    p.run(p.b, (e, now) => e.sendFrame(bSid, vlanEth(9), now));
    p.drive(50);
    expect(p.a.frames.map((f) => [f.value.sessionId, [...f.value.frame]])).toEqual([
      [aSid, [...vlanEth(9)]],
    ]);
  });

  test('RFC 3931 §5.4.4, §7.1: an ICRQ without its required Remote End ID is answered with CDN', () => {
    const p = v3Pair();
    p.establish();
    const icrq = {
      type: 'ICRQ',
      version: 3,
      localSessionId: 4242,
      remoteSessionId: 0,
      callSerialNumber: 1,
      pseudowireType: 5,
      remoteEndId: new Uint8Array(0),
      circuitStatus: ACTIVE,
    } as ControlMessage;
    const bytes = inject(p, icrq);
    // Drop the Remote End ID AVP (type 66, 6 octets when empty) and fix up the Length field.
    const avps = decodeControl(bytes).avps.filter((a) => a.attributeType !== 66);
    const header = decodeControl(bytes).header;
    const broken = encodeControl({ header, avps });
    p.b.perform(p.b.engine, p.b.engine.handleDatagram(broken, p.now), p.now);
    expect(sent(p.b, 'CDN')[0]?.message).toMatchObject({
      localSessionId: 0,
      remoteSessionId: 4242,
      resultCode: { resultCode: CdnResult.GeneralError },
    });
    expect(p.b.engine.state).toBe('established');
    expect(p.b.engine.stats().protocolErrors).toBe(1);
  });
});

describe('control connection tie breaker (RFC 3931 §5.4.3)', () => {
  test('RFC 3931 §5.4.3: crossing v3 SCCRQs: the lower Control Connection Tie Breaker wins, the loser is silently discarded', () => {
    const p = v3Pair('udp', { tieBreaker: 3n }, { tieBreaker: 0xffff_ffff_0000_0000n });
    p.connect();
    const loser = p.b.create();
    p.b.perform(loser, loser.connect(p.now), p.now);
    p.drive(2000);
    expect(p.a.collisions).toEqual(['local-wins']);
    expect(p.b.collisions).toEqual(['peer-wins']);
    expect(loser.state).toBe('closed');
    expect(p.b.eventsOf('tunnel-down').map((e) => e.value.reason)).toEqual([{ by: 'tie-breaker' }]);
    expect(p.established()).toBe(true);
    expect(p.b.engine.peerTunnelId).toBe(p.a.engine.localTunnelId);
  });
});
