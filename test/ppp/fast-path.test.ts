// The PPP data path's shortcuts (issue #16 speed): PppLink.encapsulateInPlace writes the same
// octets as encapsulate, before the packet in its own buffer (FF 03, PFC, ACFC as negotiated),
// and gives up without headroom; PppLink.dataOffset agrees with handleFrame on every frame in
// every state; PppSession's fast receive path and `send(packet, { inPlace: true })` leave the
// events and the frames on the wire exactly as the slow path does.

import { EventEmitter } from 'eventemitter3';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { nodePppAuthCrypto } from '../../src/node/ppp-crypto.js';
import type { VerifyRequest } from '../../src/ppp/auth/types.js';
import { PppLink, type PppLinkOptions } from '../../src/ppp/link.js';
import { PppSession } from '../../src/ppp/session.js';
import type { TimerHandle } from '../../src/transport.js';
import type { Session } from '../../src/tunnel.js';
import { hex } from '../helpers/hex.js';
import { linkStation, seededBytes, Wire } from './helpers.js';

const SERVER: Omit<PppLinkOptions, 'randomBytes'> = {
  ipcp: { localAddress: '10.0.0.1', peerAddress: '10.0.0.2' },
};
const CLIENT: Omit<PppLinkOptions, 'randomBytes'> = { ipcp: { requestDns: false } };

function linkPair(a: Omit<PppLinkOptions, 'randomBytes'>, b: Omit<PppLinkOptions, 'randomBytes'>) {
  const A = new PppLink({ randomBytes: seededBytes(11), ...a });
  const B = new PppLink({ randomBytes: seededBytes(12), ...b });
  const w = new Wire([linkStation(A), linkStation(B)]);
  w.deliver(0, A.open(0));
  w.deliver(1, B.open(0));
  w.pump();
  return { A, B, w };
}

const PACKET = hex`45 00 00 18 00 00 00 00 40 11 00 00 0a 00 00 01 0a 00 00 02 01 02 03 04`;

/** `packet` at offset `room` of a fresh buffer (the octets before it ours to overwrite). */
function withRoom(packet: Uint8Array, room: number): Uint8Array {
  const b = new Uint8Array(room + packet.length).fill(0xee);
  b.set(packet, room);
  return b.subarray(room);
}

describe('PppLink.encapsulateInPlace', () => {
  for (const addressControl of [false, true]) {
    for (const compress of [false, true]) {
      test(`the octets of encapsulate (FF 03 by the link ${addressControl}, PFC/ACFC ${compress})`, () => {
        const { A } = linkPair(
          { ...SERVER, addressControl },
          { ...CLIENT, addressControl, lcp: { pfc: compress, acfc: compress } },
        );
        const expected = A.encapsulate(0x21, PACKET);
        const h = expected.length - PACKET.length;
        expect(h).toBe((addressControl && !compress ? 2 : 0) + (compress ? 1 : 2));
        for (const room of [h, h + 1, 288]) {
          const packet = withRoom(PACKET, room);
          const frame = A.encapsulateInPlace(0x21, packet);
          expect(frame).toEqual(expected);
          expect(frame?.buffer).toBe(packet.buffer); // no copy
          expect(frame?.byteOffset).toBe(room - h);
          expect(frame?.subarray(h)).toEqual(PACKET);
        }
        // Without enough headroom: undefined, and the packet's buffer untouched.
        for (const room of [0, h - 1]) {
          const packet = withRoom(PACKET, room);
          expect(A.encapsulateInPlace(0x21, packet)).toBeUndefined();
          expect(Array.from(new Uint8Array(packet.buffer, 0, room)).every((b) => b === 0xee)).toBe(
            true,
          );
        }
      });
    }
  }

  test('the same refusals as encapsulate', () => {
    const { A } = linkPair(SERVER, CLIENT);
    const packet = withRoom(PACKET, 8);
    expect(() => A.encapsulateInPlace(0x57, packet)).toThrow(UsageError); // no IPv6CP
    expect(() => A.encapsulateInPlace(0x8021, packet)).toThrow(UsageError);
    const closed = new PppLink({ randomBytes: seededBytes(1), ...SERVER });
    closed.open(0);
    expect(() => closed.encapsulateInPlace(0x21, packet)).toThrow(/not opened/);
  });
});

describe('PppLink.dataOffset agrees with handleFrame', () => {
  const protocols = [0x21, 0x57, 0x8021, 0x8057, 0xc021, 0xc023, 0x0031, 0x002b];
  const frameArb = fc
    .tuple(
      fc.boolean(), // FF 03
      fc.constantFrom(...protocols),
      fc.boolean(), // 1-octet protocol when it fits
      fc.uint8Array({ maxLength: 24 }),
      fc.integer({ min: 0, max: 3 }), // cut short to this many octets (0: whole)
    )
    .map(([ac, protocol, pfc, info, cut]) => {
      const head = [...(ac ? [0xff, 0x03] : [])];
      if (pfc && protocol < 0x100) head.push(protocol);
      else head.push(protocol >> 8, protocol & 0xff);
      const f = Uint8Array.from([...head, ...info]);
      return cut === 0 ? f : f.subarray(0, cut);
    });

  test('on any sequence of frames, in every state (before Opened, after, LCP interleaved)', () => {
    fc.assert(
      fc.property(
        fc.array(frameArb, { maxLength: 30 }),
        fc.constantFrom('closed', 'opening', 'network', 'network-v6'),
        (frames, state) => {
          const v6 = state === 'network-v6';
          const A = new PppLink({
            randomBytes: seededBytes(3),
            ...SERVER,
            ...(v6 ? { ipv6cp: {} } : {}),
          });
          if (state === 'opening') A.open(0);
          if (state === 'network' || v6) {
            const B = new PppLink({
              randomBytes: seededBytes(4),
              ...CLIENT,
              ...(v6 ? { ipv6cp: {} } : {}),
            });
            const w = new Wire([linkStation(A), linkStation(B)]);
            w.deliver(0, A.open(0));
            w.deliver(1, B.open(0));
            w.pump();
            expect(A.ipcp?.state).toBe('opened');
          }
          for (const frame of frames) {
            const at = A.dataOffset(frame);
            const discarded = A.discarded;
            const out = A.handleFrame(frame, 1);
            if (at >= 0) {
              expect(out).toEqual([
                { type: 'data', protocol: frame[at - 1], data: frame.subarray(at) },
              ]);
              expect(A.discarded).toBe(discarded);
            } else {
              expect(out.some((o) => o.type === 'data')).toBe(false);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });

  test('the forms of one IPv4 packet once IPCP is Opened; none before', () => {
    const before = new PppLink({ randomBytes: seededBytes(1), ...SERVER });
    before.open(0);
    const { A } = linkPair(SERVER, CLIENT);
    for (const [frame, at] of [
      [hex`00 21 45`, 2],
      [hex`21 45`, 1],
      [hex`ff 03 00 21 45`, 4],
      [hex`ff 03 21 45`, 3],
      [hex`ff 03 00 57 60`, -1], // IPv6CP disabled: Protocol-Reject
      [hex`c0 21 01 01 00 04`, -1],
      [hex`00`, -1],
      [hex`ff 03`, -1],
    ] as const) {
      expect(A.dataOffset(frame)).toBe(at);
      expect(before.dataOffset(frame)).toBe(-1);
    }
  });
});

// --- PppSession over a stand-in L2TP session ------------------------------------------------------

interface Sent {
  readonly frame: Uint8Array;
  readonly options: unknown;
}

class FakeSession extends EventEmitter {
  readonly id: number;
  readonly isUp = true;
  readonly downReason = undefined;
  readonly sent: Sent[] = [];
  peer: FakeSession | undefined;
  readonly queue: Uint8Array[];
  constructor(id: number, queue: Uint8Array[]) {
    super();
    this.id = id;
    this.queue = queue;
  }
  send(frame: Uint8Array, options?: unknown): void {
    // What goes on the wire: the octets, whether or not they were written in place.
    this.sent.push({ frame: frame.slice(), options });
    this.peer?.queue.push(frame.slice());
  }
  close(): void {}
}

const timers = {
  set: (): TimerHandle => ({}) as TimerHandle,
  clear: () => {},
};

function pair(fast: boolean) {
  const cq: Uint8Array[] = [];
  const sq: Uint8Array[] = [];
  const cs = new FakeSession(1, cq);
  const ss = new FakeSession(2, sq);
  cs.peer = ss;
  ss.peer = cs;
  const common = { clock: { now: () => 0 }, timers, crypto: nodePppAuthCrypto };
  const server = new PppSession(ss as unknown as Session, {
    ...common,
    role: 'server',
    randomBytes: seededBytes(21),
    authenticate: ['pap'],
    verify: (r: VerifyRequest) => ({ ok: r.peerName === 'alice', message: 'hi' }),
    localAddress: '10.0.0.1',
    peerAddress: '10.0.0.2',
  });
  const client = new PppSession(cs as unknown as Session, {
    ...common,
    role: 'client',
    randomBytes: seededBytes(22),
    credentials: { name: 'alice', password: 'x' },
    authSupported: ['pap'],
  });
  if (!fast) {
    // The slow path only: every frame through handleFrame, as before the fast path.
    for (const p of [server, client]) p.link.dataOffset = () => -1;
  }
  const log: unknown[] = [];
  for (const [name, p] of [
    ['server', server],
    ['client', client],
  ] as const) {
    p.on('packet', (data, protocol) => log.push([name, 'packet', protocol, Array.from(data)]));
    p.on('up', (info) => log.push([name, 'up', info.ipcp]));
    p.on('auth', (ok, message) => log.push([name, 'auth', ok, message]));
    p.on('down', (reason) => log.push([name, 'down', reason]));
  }
  const pump = () => {
    for (let i = 0; i < 1000 && (cq.length > 0 || sq.length > 0); i++) {
      const c = cq.shift();
      if (c !== undefined) cs.emit('frame', c);
      const s = sq.shift();
      if (s !== undefined) ss.emit('frame', s);
    }
  };
  return { server, client, cs, ss, log, pump };
}

describe('PppSession: the fast receive path changes nothing', () => {
  const frames = [
    hex`00 21 45 00 00 14`,
    hex`21 45 01`,
    hex`ff 03 00 21 45 02`,
    hex`ff 03 21 45 03`,
    hex`00 57 60 00`, // IPv6CP not running: Protocol-Reject
    hex`c0 21 09 07 00 08 00 00 00 00`, // LCP Echo-Request
    hex`00 21`,
    hex`ff`,
  ];

  test('the same events and frames with and without it, before and after Opened', () => {
    const runs = [true, false].map((fast) => {
      const s = pair(fast);
      // Before anything is open: data is discarded.
      for (const f of frames) s.ss.emit('frame', f);
      s.pump();
      expect(s.server.isUp && s.client.isUp).toBe(true);
      // Open: data, LCP, junk, interleaved, on both sides.
      for (const f of frames) {
        s.ss.emit('frame', f);
        s.cs.emit('frame', f);
      }
      s.pump();
      s.client.close('bye');
      s.pump();
      for (const f of frames) s.ss.emit('frame', f);
      s.pump();
      return {
        log: s.log,
        wire: [s.cs.sent, s.ss.sent].map((l) => l.map((x) => Array.from(x.frame))),
        discarded: [s.server.link.discarded, s.client.link.discarded],
      };
    });
    expect(runs[0]).toEqual(runs[1]);
    const packets = runs[0]?.log.filter((e) => (e as unknown[])[1] === 'packet') ?? [];
    expect(packets).toHaveLength(10); // 5 IPv4 frames on each side, only while open
  });
});

describe('PppSession.send inPlace', () => {
  test('the octets of the copying send; the L2TP header goes in place when there is room', () => {
    const s = pair(true);
    s.pump();
    const packet = withRoom(PACKET, 288);
    expect(s.client.send(PACKET)).toBe(true);
    expect(s.client.send(packet, { inPlace: true })).toBe(true);
    expect(s.client.send(withRoom(PACKET, 1), { inPlace: true })).toBe(true);
    const [copied, inPlace, noRoom] = s.cs.sent.slice(-3) as [Sent, Sent, Sent];
    expect(inPlace.frame).toEqual(copied.frame);
    expect(noRoom.frame).toEqual(copied.frame);
    expect(copied.frame).toEqual(Uint8Array.from([0x00, 0x21, ...PACKET]));
    expect(inPlace.options).toEqual({ inPlace: 'if-room' });
    expect(copied.options).toBeUndefined();
    expect(noRoom.options).toBeUndefined();
    // The header was written into the packet's own buffer.
    expect(Array.from(new Uint8Array(packet.buffer, 286, 2))).toEqual([0x00, 0x21]);
    // Still refused when the NCP is not open.
    expect(s.client.send(withRoom(hex`60 00 00 00`, 8), { inPlace: true })).toBe(false);
  });

  test('encapsulateInPlace writes the FF 03 and PFC the link negotiated', () => {
    const { A } = linkPair(
      { ...SERVER, addressControl: true },
      { ...CLIENT, addressControl: true },
    );
    const frame = A.encapsulateInPlace(0x21, withRoom(PACKET, 4));
    expect(Array.from(frame?.subarray(0, 4) ?? [])).toEqual([0xff, 0x03, 0x00, 0x21]);
  });
});
