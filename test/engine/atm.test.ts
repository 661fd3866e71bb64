// ATM pseudowires on managed L2TPv3 sessions (RFC 4454): the ATM-Specific Sublayer negotiated
// with AVP 69 value 2 in ICRQ/ICRP (golden AVP octets), AAL5 SDU frames with T/G/C/U flags both
// ways (golden data headers after RFC 4454 Figure 3, with and without sequencing, through the
// reorder buffer), admin cells, refusals (sublayer the PW type cannot use, OAM emulation), ATM
// Maximum Concatenated Cells (AVP 86) in ICRQ/ICRP and SLI bounding cell-mode packets; the
// Tunnel/Session shell passing the flags both ways over loopback UDP.

import fc from 'fast-check';
import { afterEach, describe, expect, test } from 'vitest';
import type { RawAvp } from '../../src/avp/raw.js';
import { decodeControl, encodeControl } from '../../src/codec/control.js';
import { SUBLAYER_BITS } from '../../src/codec/header.js';
import { Endpoint } from '../../src/endpoint.js';
import type { EngineOutput, FrameOutput } from '../../src/engine/index.js';
import { UsageError } from '../../src/errors.js';
import { nodeClock, nodeRandomBytes, nodeTimers } from '../../src/node/clock.js';
import { UdpTransport } from '../../src/node/udp.js';
import { decodeAtmAal5, encodeAtmAal5AdminCell } from '../../src/pw/atm.js';
import type { Session, Tunnel } from '../../src/tunnel.js';
import { hex } from '../helpers/hex.js';
import { type EngineNode, EnginePair, type PairOptions } from './pair.js';
import { nameOf, rawAvps, sentOf } from './wire.js';

const toHex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const h32 = (n: number) => n.toString(16).padStart(8, '0');
const { T, G, C, U, B, E } = SUBLAYER_BITS;

const AAL5 = 2;
const CELL_VCC = 9;
const ETHERNET = 5;
const CAPS = [ETHERNET, AAL5, CELL_VCC];

/** Records every `frame` output of a node (the pair keeps only sessionId and bytes). */
function captureFrames(node: EngineNode): FrameOutput[] {
  const got: FrameOutput[] = [];
  const perform = node.perform.bind(node);
  node.perform = (engine, outputs, now) => {
    for (const o of outputs) if (o.type === 'frame') got.push(o);
    perform(engine, outputs, now);
  };
  return got;
}

/** Rewrites the AVPs of every control message named `type` that `node` sends. */
function rewrite(
  p: EnginePair,
  node: EngineNode,
  type: string,
  edit: (avps: RawAvp[]) => RawAvp[],
): void {
  node.outFilter = (bytes) => {
    if (nameOf(bytes) !== type) return true;
    const { header, avps } = decodeControl(bytes);
    p.net.transmit(node.id, node.peerId, encodeControl({ header, avps: edit([...avps]) }));
    return false;
  };
}

const avp = (attributeType: number, value: Uint8Array): RawAvp => ({
  mandatory: false,
  hidden: false,
  vendorId: 0,
  attributeType,
  value,
});

/** Replaces (or, with `value` undefined, removes) the AVP of type `type`. */
function setAvp(type: number, value: Uint8Array | undefined) {
  return (avps: RawAvp[]) =>
    avps.flatMap((a) =>
      a.attributeType !== type ? [a] : value === undefined ? [] : [{ ...a, value }],
    );
}

interface Up {
  readonly p: EnginePair;
  readonly aSid: number;
  readonly bSid: number;
}

function v3Pair(a: PairOptions['a'] = {}, b: PairOptions['b'] = {}): EnginePair {
  return new EnginePair({
    a: { version: 3, routerId: 1, pseudowireCapabilities: CAPS, ...a },
    b: { version: 3, routerId: 2, pseudowireCapabilities: CAPS, ...b },
  });
}

/** Opens a call from a; drives until both sides are up or one side saw it go down. */
function call(p: EnginePair, options: Parameters<EnginePair['openSession']>[1]): Up {
  if (!p.established()) p.establish();
  const aSid = p.openSession(p.a, options);
  p.driveBounded(
    () =>
      (p.a.eventsOf('session-up').length > 0 && p.b.eventsOf('session-up').length > 0) ||
      p.a.eventsOf('session-down').length > 0,
  );
  p.drive(100);
  const bSid = p.b.eventsOf('incoming-session')[0]?.value.sessionId ?? 0;
  return { p, aSid, bSid };
}

function headerOf(out: readonly EngineOutput[]): Uint8Array {
  const t = out[0];
  if (t?.type !== 'transmit' || t.packet instanceof Uint8Array) throw new Error('no data pair');
  return t.packet[0];
}

describe('RFC 4454 §4, RFC 3931 §5.4.4: negotiating the ATM-Specific Sublayer', () => {
  test('AAL5 SDU mode: ICRQ and ICRP both ask for sublayer 2 (AVP 69 on the wire)', () => {
    const { p } = call(v3Pair(), { pseudowireType: AAL5 });
    expect(p.a.eventsOf('session-up')).toHaveLength(1);
    expect(sentOf(p.a, 'ICRQ')[0]).toMatchObject({ pseudowireType: AAL5, l2SpecificSublayer: 2 });
    // b's session defaults say nothing about ATM: 'auto' follows the ICRQ's PW type.
    expect(sentOf(p.b, 'ICRP')[0]).toMatchObject({ l2SpecificSublayer: 2 });
    const raw = (node: EngineNode, name: string) =>
      rawAvps(node.sent.find((s) => nameOf(s.bytes) === name)?.bytes as Uint8Array).find(
        (a) => a.attributeType === 69,
      );
    for (const a of [raw(p.a, 'ICRQ'), raw(p.b, 'ICRP')]) {
      expect(a).toMatchObject({ vendorId: 0, hidden: false });
      expect(a?.value).toEqual(hex`0002 // L2-Specific Sublayer Type 2: ATM (RFC 4454 §4.1)`);
    }
  });

  test('cell modes: no sublayer unless sequencing, which asks for the ATM one (§4.2); explicit values', () => {
    const { p } = call(v3Pair(), { pseudowireType: CELL_VCC });
    expect(sentOf(p.a, 'ICRQ')[0]?.l2SpecificSublayer).toBeUndefined();
    expect(sentOf(p.b, 'ICRP')[0]?.l2SpecificSublayer).toBeUndefined();
    const { p: q } = call(v3Pair(), { pseudowireType: CELL_VCC, requireSequenceNumbers: true });
    expect(sentOf(q.a, 'ICRQ')[0]).toMatchObject({ l2SpecificSublayer: 2, dataSequencing: 2 });
    const { p: r } = call(v3Pair(), { pseudowireType: CELL_VCC, l2SpecificSublayer: 'default' });
    expect(sentOf(r.a, 'ICRQ')[0]?.l2SpecificSublayer).toBe(1);
    expect(r.b.eventsOf('session-up')).toHaveLength(1);
  });

  test("a responder's defaults yield to the peer's PW type: ATM for AAL5, never none when sequencing", () => {
    const { p } = call(v3Pair({}, { session: { l2SpecificSublayer: 'default' } }), {
      pseudowireType: AAL5,
    });
    expect(sentOf(p.b, 'ICRP')[0]).toMatchObject({ l2SpecificSublayer: 2 });
    expect(p.b.eventsOf('session-up')).toHaveLength(1);
    const seq = { pseudowireType: CELL_VCC, requireSequenceNumbers: true };
    const { p: q } = call(v3Pair({}, { session: seq }), { pseudowireType: ETHERNET });
    expect(sentOf(q.b, 'ICRP')[0]).toMatchObject({ l2SpecificSublayer: 1, dataSequencing: 2 });
    expect(q.a.eventsOf('session-up')[0]?.value.sequencing).toBe(true);
  });

  test('our own choices are checked against the PW type (UsageError)', () => {
    const p = v3Pair();
    p.establish();
    const open = (o: Parameters<EnginePair['openSession']>[1]) => () => p.openSession(p.a, o);
    expect(open({ pseudowireType: AAL5, l2SpecificSublayer: 'default' })).toThrow(UsageError);
    expect(open({ pseudowireType: AAL5, l2SpecificSublayer: 'none' })).toThrow(UsageError);
    expect(open({ l2SpecificSublayer: 'atm' })).toThrow(/cannot carry pseudowire type 5/);
    expect(open({ pseudowireType: CELL_VCC, atmMaxCells: 0 })).toThrow(/atmMaxCells/);
    expect(open({ l2SpecificSublayer: 'atm2' as 'atm' })).toThrow(/l2SpecificSublayer/);
    expect(() =>
      v3Pair({ session: { pseudowireType: AAL5, l2SpecificSublayer: 'default' } }).connect(),
    ).toThrow(UsageError);
    expect(open({ pseudowireType: AAL5, l2SpecificSublayer: 'atm' })).not.toThrow();
  });

  const refusals: [string, (p: EnginePair) => void, Parameters<EnginePair['openSession']>[1]][] = [
    [
      'AAL5 with the Default sublayer',
      (p) => rewrite(p, p.a, 'ICRQ', setAvp(69, hex`0001`)),
      { pseudowireType: AAL5 },
    ],
    [
      'AAL5 without a sublayer (value 0)',
      (p) => rewrite(p, p.a, 'ICRQ', setAvp(69, hex`0000`)),
      { pseudowireType: AAL5 },
    ],
    [
      'AAL5 without the AVP (none assumed)',
      (p) => rewrite(p, p.a, 'ICRQ', setAvp(69, undefined)),
      { pseudowireType: AAL5 },
    ],
    [
      'Ethernet with the ATM sublayer',
      (p) => rewrite(p, p.a, 'ICRQ', setAvp(69, hex`0002`)),
      { l2SpecificSublayer: 'default' },
    ],
  ];
  test.each(refusals)(
    'b refuses an ICRQ for %s: CDN Result 2, Error 3 (field out of range)',
    (_, setup, options) => {
      const p = v3Pair();
      setup(p);
      call(p, options);
      expect(p.b.eventsOf('incoming-session')[0]?.value.accepted).toBe(false);
      expect(sentOf(p.b, 'CDN')[0]?.resultCode).toMatchObject({ resultCode: 2, errorCode: 3 });
      expect(p.a.eventsOf('session-down')[0]?.value.reason).toMatchObject({
        by: 'peer',
        resultCode: 2,
        errorCode: 3,
      });
      expect(p.a.eventsOf('session-up')).toHaveLength(0);
    },
  );

  test('a refuses an ICRP whose sublayer cannot carry AAL5 (CDN 2/3 from the initiator)', () => {
    const p = v3Pair();
    rewrite(p, p.b, 'ICRP', setAvp(69, hex`0001`));
    call(p, { pseudowireType: AAL5 });
    expect(sentOf(p.a, 'ICCN')).toHaveLength(0);
    expect(sentOf(p.a, 'CDN')[0]?.resultCode).toMatchObject({ resultCode: 2, errorCode: 3 });
    expect(p.b.eventsOf('session-down')[0]?.value.reason).toMatchObject({ resultCode: 2 });
  });

  test('RFC 4454 §7: OAM Emulation Required (AVP 87) sent when configured; unconfigured peers refuse with Result 22', () => {
    const { p } = call(v3Pair(), { pseudowireType: AAL5, atmOamEmulation: true });
    expect(sentOf(p.a, 'ICRQ')[0]?.oamEmulationRequired).toBe(null);
    expect(sentOf(p.b, 'CDN')[0]?.resultCode).toMatchObject({ resultCode: 22 });
    expect(p.a.eventsOf('session-up')).toHaveLength(0);
    const { p: q } = call(v3Pair({}, { session: { atmOamEmulation: true } }), {
      pseudowireType: AAL5,
      atmOamEmulation: true,
    });
    expect(q.a.eventsOf('session-up')).toHaveLength(1);
    expect(sentOf(q.b, 'ICRP')[0]?.oamEmulationRequired).toBe(null);
    // Only AAL5 SDU mode knows the AVP: an Ethernet call neither sends nor refuses it.
    const { p: r } = call(v3Pair(), { atmOamEmulation: true });
    expect(sentOf(r.a, 'ICRQ')[0]?.oamEmulationRequired).toBeUndefined();
    expect(r.b.eventsOf('session-up')).toHaveLength(1);
  });
});

describe('RFC 4454 §4.1, §5.1: AAL5 SDU frames with ATM sublayer flags', () => {
  const SDU = hex`aaaa03 000000 0800 45000014`; // an RFC 2684 LLC/SNAP-routed IPv4 start

  test('golden header (Figure 3): G and C set, no sequencing; the flags reach the peer', () => {
    const { p, aSid, bSid } = call(v3Pair(), { pseudowireType: AAL5 });
    const frames = captureFrames(p.a);
    const out = p.run(p.b, (e, now) => e.sendFrame(bSid, SDU, now, { atmFlags: G | C }));
    expect(toHex(headerOf(out))).toBe(
      toHex(hex`0003 0000   // T=0, Ver 3, reserved (RFC 3931 §4.1.2.1)
                ${h32(aSid)} // a's Session ID, no cookie
                06 000000    // x S=0 x x T=0 G=1 C=1 U=0, Sequence Number 0`),
    );
    p.drive(100);
    expect(frames).toEqual([{ type: 'frame', sessionId: aSid, frame: SDU, atmFlags: G | C }]);
    // Plain SDUs still say so: atmFlags 0 on an AAL5 session.
    p.run(p.b, (e, now) => e.sendFrame(bSid, SDU, now));
    p.drive(100);
    expect(frames[1]?.atmFlags).toBe(0);
    expect(p.a.engine.sessionStats(aSid)).toMatchObject({ rxPackets: 2, rxBytes: 2 * SDU.length });
  });

  test('sequencing lives in the ATM sublayer (S beside the flags); flags survive reordering', () => {
    const { p, aSid, bSid } = call(v3Pair(), {
      pseudowireType: AAL5,
      requireSequenceNumbers: true,
      reorderTimeoutMs: 500,
    });
    expect(sentOf(p.a, 'ICRQ')[0]).toMatchObject({ l2SpecificSublayer: 2, dataSequencing: 2 });
    const frames = captureFrames(p.a);
    const d0 = p.run(p.b, (e, now) => e.sendFrame(bSid, SDU, now, { atmFlags: G | U }));
    expect(toHex(headerOf(d0))).toBe(
      toHex(hex`0003 0000 ${h32(aSid)} 45 000000 // S=1 G=1 U=1, Ns 0`),
    );
    p.drive(100);
    expect(frames.map((f) => f.atmFlags)).toEqual([G | U]);
    // Ns 1 and 2 kept off the link and delivered by hand in the wrong order: 2 waits for 1.
    p.b.outFilter = () => false;
    const short = SDU.subarray(0, 4);
    const d1 = p.run(p.b, (e, now) => e.sendFrame(bSid, short, now, { atmFlags: C }));
    expect(toHex(headerOf(d1))).toBe(toHex(hex`0003 0000 ${h32(aSid)} 42 000001 // S=1 C=1, Ns 1`));
    const d2 = p.run(p.b, (e, now) => e.sendFrame(bSid, SDU, now, { atmFlags: 0 }));
    expect(toHex(headerOf(d2))).toBe(toHex(hex`0003 0000 ${h32(aSid)} 40 000002 // S=1, Ns 2`));
    const datagram = (out: readonly EngineOutput[]) => {
      const t = out[0] as Extract<EngineOutput, { type: 'transmit' }>;
      const [h, f] = t.packet as readonly [Uint8Array, Uint8Array];
      return Uint8Array.from([...h, ...f]);
    };
    const a = p.a.engine;
    frames.length = 0;
    p.a.perform(a, a.handleDatagram(datagram(d2), p.now), p.now);
    expect(frames).toEqual([]);
    p.a.perform(a, a.handleDatagram(datagram(d1), p.now), p.now);
    expect(frames.map((f) => [toHex(f.frame), f.atmFlags])).toEqual([
      [toHex(short), C],
      [toHex(SDU), 0],
    ]);
    expect(a.sessionStats(aSid)).toMatchObject({ rxPackets: 3, rxOosPackets: 1 }); // Ns 1 came after Ns 2 was held;
  });

  test('T = 1: one 52-octet admin cell (golden); other lengths are dropped as tx_errors', () => {
    const { p, aSid, bSid } = call(v3Pair(), { pseudowireType: AAL5 });
    const frames = captureFrames(p.b);
    // An F5 end-to-end OAM cell (PTI 5) on VPI 1 / VCI 32, CLP 1.
    const cell = encodeAtmAal5AdminCell({
      vpi: 1,
      vci: 32,
      pti: 5,
      clp: true,
      payload: new Uint8Array(48).fill(0x6a),
    });
    const bytes = Uint8Array.from(cell.chunks.flatMap((c) => [...c]));
    expect(cell.atmFlags).toBe(T | C);
    const out = p.run(p.a, (e, now) => e.sendFrame(aSid, bytes, now, { atmFlags: cell.atmFlags }));
    expect(toHex(headerOf(out))).toBe(toHex(hex`0003 0000 ${h32(bSid)} 0a 000000 // T=1 C=1`));
    expect(toHex(bytes.subarray(0, 4))).toBe('0010020b'); // VPI 1, VCI 32, PTI 5, CLP 1
    expect(p.run(p.a, (e, now) => e.sendFrame(aSid, SDU, now, { atmFlags: T }))).toEqual([]);
    p.drive(100);
    expect(frames).toHaveLength(1);
    const got = frames[0] as FrameOutput;
    const packet = decodeAtmAal5(got.frame, got.atmFlags ?? 0);
    expect(packet.kind === 'admin-cell' && packet.cell).toMatchObject({
      vpi: 1,
      vci: 32,
      pti: 5,
      clp: true,
    });
    expect(p.a.engine.sessionStats(aSid)).toMatchObject({ txPackets: 1, txErrors: 1 });
    // A received T = 1 packet that is not one cell is refused by the framer: rx_errors.
    p.b.perform(
      p.b.engine,
      p.b.engine.handleDatagram(hex`0003 0000 ${h32(bSid)} 08 000000 ${toHex(SDU)}`, p.now),
      p.now,
    );
    expect(frames).toHaveLength(1);
    expect(p.b.engine.sessionStats(bSid)).toMatchObject({
      rxPackets: 1,
      rxErrors: 1,
      rxInvalid: 0,
    });
  });

  test('atmFlags misuse is a UsageError: outside 0x3f, non-AAL5 v3 sessions, v2', () => {
    const { p, aSid } = call(v3Pair(), { pseudowireType: AAL5 });
    const a = p.a.engine;
    expect(() => a.sendFrame(aSid, SDU, p.now, { atmFlags: 0x40 })).toThrow(/0x3f/);
    expect(() => a.sendFrame(aSid, SDU, p.now, { atmFlags: 1.5 })).toThrow(UsageError);
    expect(() => a.sendFrame(aSid, SDU, p.now, { atmFlags: B | E })).not.toThrow();
    const { p: q, aSid: qa } = call(v3Pair(), { pseudowireType: CELL_VCC });
    const cells = new Uint8Array(52);
    expect(() => q.a.engine.sendFrame(qa, cells, q.now, { atmFlags: G })).toThrow(/AAL5/);
    expect(q.a.engine.sendFrame(qa, cells, q.now, { atmFlags: 0 })).toHaveLength(1);
    const v2 = new EnginePair();
    v2.establish();
    const sid = v2.openSession(v2.a);
    v2.driveBounded(() => v2.a.eventsOf('session-up').length > 0);
    expect(() => v2.a.engine.sendFrame(sid, hex`c021`, v2.now, { atmFlags: G })).toThrow(
      UsageError,
    );
  });

  test('property: any flags (T with a 52-octet cell) round trip with the SDU, in order', () => {
    const { p, aSid, bSid } = call(v3Pair(), {
      pseudowireType: AAL5,
      requireSequenceNumbers: true,
    });
    const frames = captureFrames(p.b);
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 0x3f }),
        fc.uint8Array({ maxLength: 300 }),
        (flags, sdu) => {
          frames.length = 0;
          const frame = (flags & T) === 0 ? sdu : new Uint8Array(52).fill(sdu[0] ?? 0);
          p.run(p.a, (e, now) => e.sendFrame(aSid, frame, now, { atmFlags: flags }));
          p.drive(50);
          expect(frames.map((f) => [f.sessionId, toHex(f.frame), f.atmFlags])).toEqual([
            [bSid, toHex(frame), flags],
          ]);
        },
      ),
      { numRuns: 80 },
    );
  });
});

describe('RFC 4454 §6: ATM Maximum Concatenated Cells (AVP 86)', () => {
  const cells = (n: number) => new Uint8Array(52 * n).fill(0x11);

  test('signalled both ways in ICRQ/ICRP; each side sends at most the peer’s, accepts at most its own', () => {
    const { p, aSid, bSid } = call(v3Pair({}, { session: { atmMaxCells: 3 } }), {
      pseudowireType: CELL_VCC,
      atmMaxCells: 2,
    });
    const icrq = p.a.sent.find((s) => nameOf(s.bytes) === 'ICRQ')?.bytes as Uint8Array;
    expect(rawAvps(icrq).find((a) => a.attributeType === 86)?.value).toEqual(hex`0002`);
    expect(sentOf(p.b, 'ICRP')[0]?.atmMaximumConcatenatedCells).toBe(3);
    const send = (node: EngineNode, sid: number, n: number) =>
      p.run(node, (e, now) => e.sendFrame(sid, cells(n), now)).length;
    expect([send(p.a, aSid, 3), send(p.a, aSid, 4)]).toEqual([1, 0]);
    expect([send(p.b, bSid, 2), send(p.b, bSid, 3)]).toEqual([1, 0]);
    p.drive(100);
    expect(p.a.engine.sessionStats(aSid)).toMatchObject({
      txPackets: 1,
      txErrors: 1,
      rxPackets: 1,
    });
    expect(p.b.engine.sessionStats(bSid)).toMatchObject({
      txPackets: 1,
      txErrors: 1,
      rxPackets: 1,
    });
    // More cells than a signalled: refused by the framer (rx_errors).
    const a = p.a.engine;
    p.a.perform(a, a.handleDatagram(hex`0003 0000 ${h32(aSid)} ${toHex(cells(3))}`, p.now), p.now);
    expect(a.sessionStats(aSid)).toMatchObject({ rxPackets: 1, rxErrors: 1, rxInvalid: 0 });
    // Not an ATM cell pseudowire: no AVP 86 even when configured.
    const { p: q } = call(v3Pair(), { pseudowireType: AAL5, atmMaxCells: 2 });
    expect(sentOf(q.a, 'ICRQ')[0]?.atmMaximumConcatenatedCells).toBeUndefined();
  });

  test('a new value in SLI takes effect; 0 is ignored', () => {
    const { p, aSid, bSid } = call(v3Pair(), { pseudowireType: CELL_VCC });
    const send = (n: number) => p.run(p.a, (e, now) => e.sendFrame(aSid, cells(n), now)).length;
    expect(send(5)).toBe(1); // no limit signalled yet
    const sli = (value: Uint8Array) => {
      rewrite(p, p.b, 'SLI', (avps) => [...avps, avp(86, value)]);
      p.run(p.b, (e, now) => e.setCircuitStatus(bSid, true, now));
      p.drive(100);
    };
    sli(hex`0004`);
    expect([send(4), send(5)]).toEqual([1, 0]);
    sli(hex`0000`);
    expect(send(5)).toBe(0);
    expect(p.a.eventsOf('circuit-status')).toHaveLength(2);
  });
});

describe('Tunnel and Session (imperative shell) over loopback UDP', () => {
  const opened: { close(): unknown }[] = [];
  afterEach(async () => {
    for (const o of opened.splice(0)) await o.close();
  });

  async function endpoint(
    acceptTunnel?: ConstructorParameters<typeof Endpoint>[0]['acceptTunnel'],
  ) {
    const transport = await UdpTransport.open({ address: '127.0.0.1' });
    opened.push(transport);
    const ep = new Endpoint({
      transport,
      clock: nodeClock,
      timers: nodeTimers,
      randomBytes: nodeRandomBytes,
      ...(acceptTunnel ? { acceptTunnel } : {}),
    });
    return { ep, port: transport.local.port };
  }

  test("Session.send({ atmFlags }) reaches the peer's 'frame' listeners as a third argument", async () => {
    const v3 = { version: 3, pseudowireCapabilities: CAPS } as const;
    const lns = await endpoint({ ...v3, mode: 'lns', hostName: 'lns', routerId: 2 });
    const lac = await endpoint();
    const accepted = new Promise<Tunnel>((resolve) => lns.ep.once('tunnel', resolve));
    const tunnel = await lac.ep.connect(
      { address: '127.0.0.1', port: lns.port },
      { ...v3, mode: 'lac', hostName: 'lac', routerId: 1 },
    );
    const server = await accepted;
    const got = new Promise<unknown[]>((resolve) => {
      server.on('frame', (s: Session, frame, atmFlags) => {
        resolve([s.id, Buffer.from(frame).toString('hex'), atmFlags]);
        s.send(Uint8Array.from(frame), { atmFlags: C });
      });
    });
    const session = await tunnel.openSession({ pseudowireType: AAL5 });
    const echo = new Promise<unknown[]>((resolve) =>
      session.on('frame', (frame, atmFlags) => resolve([frame.length, atmFlags])),
    );
    session.send(hex`aaaa03 000000 0800`, { atmFlags: G | U });
    const [sid, bytes, flags] = await got;
    expect([bytes, flags]).toEqual(['aaaa030000000800', G | U]);
    expect(sid).toBe(session.peerId);
    expect(await echo).toEqual([8, C]);
    expect(() => session.send(hex`00`, { atmFlags: 0x80 })).toThrow(UsageError);
  });
});
