// The managed sessions' data plane in TunnelEngine: PPP address/control octets both ways, the
// v2 L/S/O/P header bits on receive (golden bytes), runtime options (SENDSEQ, RECVSEQ, LNSMODE,
// REORDERTO, MTU/MRU, debug mask), the kernel's per-session counters and the tunnel's totals
// (exact under loss, duplication and reordering), and L2TPv3 pseudowire framing and cookies.

import { format } from 'node:util';
import createDebug from 'debug';
import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DebugCategory } from '../../src/debug.js';
import type { EngineOutput, SessionStats } from '../../src/engine/index.js';
import { UsageError } from '../../src/errors.js';
import { EnginePair, type PairOptions } from './pair.js';
import { sentOf } from './wire.js';

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');
const unhex = (s: string) => Uint8Array.from(Buffer.from(s.replace(/\s+/g, ''), 'hex'));
const h16 = (n: number) => n.toString(16).padStart(4, '0');
const h32 = (n: number) => n.toString(16).padStart(8, '0');

interface Up {
  readonly p: EnginePair;
  readonly aSid: number;
  readonly bSid: number;
}

/** A LAC ("a") and an LNS ("b") with one established session. */
function sessionUp(options: PairOptions = {}): Up {
  const p = new EnginePair(options);
  p.establish();
  const aSid = p.openSession(p.a);
  p.driveBounded(
    () => p.a.eventsOf('session-up').length > 0 && p.b.eventsOf('session-up').length > 0,
  );
  const bSid = p.b.eventsOf('session-up')[0]?.value.sessionId as number;
  return { p, aSid, bSid };
}

/** Runs `body` with the `debug` output captured into `lines` and every namespace off at first. */
function withDebugCapture(body: (lines: string[]) => void): void {
  const lines: string[] = [];
  const saved = createDebug.log;
  const namespaces = createDebug.disable();
  createDebug.log = (...args: unknown[]) => {
    lines.push(format(...args));
  };
  try {
    body(lines);
  } finally {
    createDebug.log = saved;
    createDebug.disable();
    if (namespaces !== '') createDebug.enable(namespaces);
  }
}

/** Feeds a datagram to a node's engine now; returns the outputs. */
function inject(p: EnginePair, node: 'a' | 'b', bytes: Uint8Array): EngineOutput[] {
  const n = node === 'a' ? p.a : p.b;
  const out = n.engine.handleDatagram(bytes, p.now);
  n.perform(n.engine, out, p.now);
  return out;
}

function headerOf(out: readonly EngineOutput[]): Uint8Array {
  const t = out[0];
  if (t?.type !== 'transmit' || t.packet instanceof Uint8Array) throw new Error('no data pair');
  return t.packet[0];
}

function framesOf(p: EnginePair, node: 'a' | 'b'): string[] {
  return (node === 'a' ? p.a : p.b).frames.map((f) => hex(f.value.frame));
}

describe('L2TPv2 PPP framing (Linux pppol2tp: FF 03 on send, accepted with or without on receive)', () => {
  test('sendFrame: FF 03 ends the header (golden), the frame is the second chunk, never doubled; option off', () => {
    const { p, aSid, bSid } = sessionUp();
    const lcp = unhex('c021 0901 0004');
    const out = p.run(p.a, (e, now) => e.sendFrame(aSid, lcp, now));
    const t = out[0];
    expect(t?.type === 'transmit' && Array.isArray(t.packet) && t.packet[1]).toBe(lcp);
    const tid = p.b.engine.localTunnelId;
    // flags 0002 (T=0, no L/S/O/P, Ver 2) · Tunnel ID · Session ID · FF 03
    expect(hex(headerOf(out))).toBe(`0002${h16(tid)}${h16(bSid)}ff03`);
    // A host that already added FF 03 does not get it twice.
    const withAc = unhex('ff03 c021 0902 0004');
    expect(hex(headerOf(p.run(p.a, (e, now) => e.sendFrame(aSid, withAc, now))))).toBe(
      `0002${h16(tid)}${h16(bSid)}`,
    );
    p.run(p.a, (e, now) => e.setSessionOptions(aSid, { pppAddressControl: false }, now));
    expect(hex(headerOf(p.run(p.a, (e, now) => e.sendFrame(aSid, lcp, now))))).toBe(
      `0002${h16(tid)}${h16(bSid)}`,
    );
    p.drive(100);
    // The LNS delivers all three without FF 03.
    expect(framesOf(p, 'b')).toEqual(['c02109010004', 'c02109020004', 'c02109010004']);
    // Counters: octets as the host handed them over / as delivered (FF 03 not counted).
    expect(p.a.engine.sessionStats(aSid)).toMatchObject({ txPackets: 3, txBytes: 6 + 8 + 6 });
    expect(p.b.engine.sessionStats(bSid)).toMatchObject({ rxPackets: 3, rxBytes: 18 });
  });

  test('RFC 2661 §3.1: L (trailing octets ignored), O (padding skipped), S and both PPP forms, golden bytes', () => {
    const { p, bSid } = sessionUp();
    const ids = `${h16(p.b.engine.localTunnelId)}${h16(bSid)}`;
    const datagrams = [
      `0002 ${ids} c021 01`, // plain, no FF 03
      `0002 ${ids} ff03 c021 02`, // FF 03 present
      `4002 000d ${ids} ff03 c021 03 eeee`, // L: Length 13, two octets after it ignored
      `0202 ${ids} 0003 000000 c021 04`, // O: Offset Size 3, padding skipped
      `4a02 0015 ${ids} 0007 0000 0002 0000 ff03 c021 05`, // L+S+O: Ns 7, Offset Size 2
    ];
    for (const d of datagrams) inject(p, 'b', unhex(d));
    expect(framesOf(p, 'b')).toEqual(['c02101', 'c02102', 'c02103', 'c02104', 'c02105']);
    // Length beyond the datagram: invalid, counted against the session it names.
    inject(p, 'b', unhex(`4002 00ff ${ids} c021 06`));
    expect(p.b.engine.sessionStats(bSid)).toMatchObject({
      rxPackets: 5,
      rxBytes: 15,
      rxInvalid: 1,
      rxErrors: 0,
    });
    expect(p.b.engine.stats().framesDropped).toBe(1);
  });

  test('RFC 2661 §3.1, §5.4: a P frame without Ns passes held frames, keeps the LAC sequencing, survives RECVSEQ', () => {
    const { p, aSid } = sessionUp({ a: { session: { reorderTimeoutMs: 500 } } });
    const ids = `${h16(p.a.engine.localTunnelId)}${h16(aSid)}`;
    const seq = (ns: number, b: string, flags = '0802') =>
      unhex(`${flags} ${ids} ${h16(ns)} 0000 ${b}`);
    inject(p, 'a', seq(0, 'c021 00')); // the LNS sequences: the LAC follows (§5.4)
    expect(p.a.engine.sessionOptions(aSid)?.sendSeq).toBe(true);
    inject(p, 'a', seq(2, 'c021 02')); // gap at 1: held
    inject(p, 'a', unhex(`0102 ${ids} c021 ee`)); // P, no Ns: delivered now
    expect(framesOf(p, 'a')).toEqual(['c02100', 'c021ee']);
    expect(p.a.engine.sessionOptions(aSid)?.sendSeq).toBe(true); // not "sequencing off"
    inject(p, 'a', seq(1, 'c021 01'));
    expect(framesOf(p, 'a')).toEqual(['c02100', 'c021ee', 'c02101', 'c02102']);
    // A P frame with Ns takes its place in the numbered stream: held behind the gap at 3.
    inject(p, 'a', seq(4, 'c021 04', '0902'));
    expect(framesOf(p, 'a')).toHaveLength(4);
    // RECVSEQ: an unsequenced frame is dropped, an unsequenced P frame is not.
    p.run(p.a, (e, now) => e.setSessionOptions(aSid, { recvSeq: true }, now));
    expect(framesOf(p, 'a').at(-1)).toBe('c02104'); // renewing the sequencer released it
    inject(p, 'a', unhex(`0002 ${ids} c021 aa`));
    inject(p, 'a', unhex(`0102 ${ids} c021 bb`));
    expect(framesOf(p, 'a').slice(5)).toEqual(['c021bb']);
    expect(p.a.engine.sessionStats(aSid)).toMatchObject({
      rxPackets: 6,
      rxSeqDiscards: 1,
      rxErrors: 1,
    });
    // Sending with priority: P bit, and Ns still there (S) as the session sequences.
    const h = headerOf(
      p.run(p.a, (e, now) => e.sendFrame(aSid, unhex('c021'), now, { priority: true })),
    );
    expect(hex(h).slice(0, 4)).toBe('0902');
  });

  test('MTU / MRU: longer frames are dropped and counted (tx_errors / rx_errors)', () => {
    const { p, aSid, bSid } = sessionUp({ a: { session: { mtu: 4 } }, b: { session: { mru: 3 } } });
    expect(p.run(p.a, (e, now) => e.sendFrame(aSid, unhex('c0210102 03'), now))).toEqual([]);
    expect(p.run(p.a, (e, now) => e.sendFrame(aSid, unhex('c0210102'), now))).toHaveLength(1);
    expect(p.run(p.a, (e, now) => e.sendFrame(aSid, unhex('c02101'), now))).toHaveLength(1);
    p.drive(100);
    expect(framesOf(p, 'b')).toEqual(['c02101']);
    expect(p.a.engine.sessionStats(aSid)).toMatchObject({ txPackets: 2, txBytes: 7, txErrors: 1 });
    expect(p.b.engine.sessionStats(bSid)).toMatchObject({ rxPackets: 1, rxBytes: 3, rxErrors: 1 });
    p.a.engine.countTxError(aSid); // the host's socket refused a send
    expect(p.a.engine.sessionStats(aSid)?.txErrors).toBe(2);
    p.run(p.b, (e, now) => e.setSessionOptions(bSid, { mru: 0 }, now));
    p.run(p.a, (e, now) => e.sendFrame(aSid, unhex('c0210102'), now));
    p.drive(100);
    expect(framesOf(p, 'b')).toEqual(['c02101', 'c0210102']);
  });
});

describe('refused frames on a sequenced session (the kernel checks after sequencing)', () => {
  test('an oversized frame uses up its Ns: the frames after it are all delivered (REORDERTO 0)', () => {
    const seq = { sendSequenceNumbers: true, requireSequenceNumbers: true };
    const { p, aSid, bSid } = sessionUp({
      a: { session: seq },
      b: { session: { ...seq, mru: 3 } },
    });
    const send = (f: Uint8Array) => p.run(p.a, (e, now) => e.sendFrame(aSid, f, now));
    for (let n = 0; n < 9; n++) send(n === 2 ? unhex('c0210102 03') : Uint8Array.of(0x21, n)); // Ns 2: 5 > mru 3
    p.drive(100);
    expect(framesOf(p, 'b')).toEqual([0, 1, 3, 4, 5, 6, 7, 8].map((n) => `210${n}`));
    expect(p.b.engine.sessionStats(bSid)).toMatchObject({
      rxPackets: 8,
      rxBytes: 16,
      rxErrors: 1,
      rxSeqDiscards: 0,
      rxInvalid: 0,
    });
  });
});

describe('runtime session options (kernel SENDSEQ, RECVSEQ, LNSMODE, REORDERTO, DEBUG)', () => {
  test('SENDSEQ mid-stream: Ns starts at 0, stops, and resumes where it stopped (RFC 2661 §5.4)', () => {
    const { p, aSid } = sessionUp({ a: { session: { lnsMode: true } } });
    const nsOf = () => {
      const h = headerOf(p.run(p.a, (e, now) => e.sendFrame(aSid, unhex('0021'), now)));
      return (h[1] as number) === 2 && ((h[0] as number) & 0x08) !== 0
        ? ((h[6] as number) << 8) | (h[7] as number)
        : undefined;
    };
    const set = (o: Parameters<typeof p.a.engine.setSessionOptions>[1]) =>
      p.run(p.a, (e, now) => e.setSessionOptions(aSid, o, now));
    expect(nsOf()).toBeUndefined();
    set({ sendSeq: true });
    expect([nsOf(), nsOf()]).toEqual([0, 1]);
    set({ sendSeq: false });
    expect(nsOf()).toBeUndefined();
    set({ sendSeq: true });
    expect(nsOf()).toBe(2);
    expect(p.a.engine.sessionOptions(aSid)).toEqual({
      sendSeq: true,
      recvSeq: false,
      lnsMode: true,
      reorderTimeoutMs: 0,
      debugMask: 0,
      mtu: 0,
      mru: 0,
      pppAddressControl: true,
    });
  });

  test('LNSMODE switchable: as LNS an unsequenced frame does not turn our sequencing off; as LAC it does', () => {
    const { p, aSid } = sessionUp({ a: { session: { sendSequenceNumbers: true } } });
    const ids = `${h16(p.a.engine.localTunnelId)}${h16(aSid)}`;
    p.run(p.a, (e, now) => e.setSessionOptions(aSid, { lnsMode: true }, now));
    inject(p, 'a', unhex(`0002 ${ids} c021 01`));
    // LNS sequencing and a peer sending without Ns: dropped, we keep sequencing (Linux).
    expect(p.a.engine.sessionOptions(aSid)).toMatchObject({ sendSeq: true, lnsMode: true });
    expect(framesOf(p, 'a')).toEqual([]);
    p.run(p.a, (e, now) => e.setSessionOptions(aSid, { lnsMode: false }, now));
    inject(p, 'a', unhex(`0002 ${ids} c021 02`));
    expect(p.a.engine.sessionOptions(aSid)).toMatchObject({ sendSeq: false, lnsMode: false });
    expect(framesOf(p, 'a')).toEqual(['c02102']);
  });

  test('REORDERTO change releases held frames; the expected Ns carries over; counters keep accumulating', () => {
    const { p, bSid } = sessionUp();
    const ids = `${h16(p.b.engine.localTunnelId)}${h16(bSid)}`;
    const seq = (ns: number) => unhex(`0802 ${ids} ${h16(ns)} 0000 0021 ${h16(ns)}`);
    const set = (ms: number) =>
      p.run(p.b, (e, now) => e.setSessionOptions(bSid, { reorderTimeoutMs: ms }, now));
    expect(set(1000)).toEqual([]);
    inject(p, 'b', seq(0));
    inject(p, 'b', seq(2)); // held
    expect(framesOf(p, 'b')).toEqual(['00210000']);
    const released = set(0);
    expect(released.map((o) => o.type === 'frame' && hex(o.frame))).toEqual(['00210002']);
    inject(p, 'b', seq(3)); // next in order after the released 2
    inject(p, 'b', seq(1)); // behind the window: discarded (kernel: rx_errors only)
    expect(framesOf(p, 'b')).toEqual(['00210000', '00210002', '00210003']);
    expect(p.b.engine.sessionStats(bSid)).toMatchObject({
      rxPackets: 3,
      rxBytes: 12,
      rxSeqDiscards: 0,
      rxErrors: 1,
    });
    expect(p.b.engine.nextDeadline()).toBeGreaterThan(p.now); // only HELLO etc., no reorder timer
  });

  test('validation: bad values, unknown options and unknown sessions throw UsageError and change nothing', () => {
    const { p, aSid } = sessionUp();
    const before = p.a.engine.sessionOptions(aSid);
    const e = p.a.engine;
    for (const bad of [
      { reorderTimeoutMs: -1 },
      { reorderTimeoutMs: 3_600_001 },
      { mtu: 70_000 },
      { mru: 1.5 },
      { debugMask: -1 },
      { sendSeq: 'yes' },
      { mtu: 100, bogus: 1 },
    ]) {
      expect(() => e.setSessionOptions(aSid, bad as never, p.now)).toThrow(UsageError);
    }
    expect(() => e.setSessionOptions(9999, {}, p.now)).toThrow(UsageError);
    expect(e.sessionOptions(aSid)).toEqual(before);
    expect(e.sessionOptions(9999)).toBeUndefined();
    expect(e.sessionStats(9999)).toBeUndefined();
  });

  test('debugMask gates the per-packet logs of l2tp:data and l2tp:seq (namespace and bit both needed)', () => {
    const { p, aSid } = sessionUp();
    withDebugCapture((lines) => {
      const send = () => p.run(p.a, (e, now) => e.sendFrame(aSid, unhex('0021'), now));
      createDebug.enable('l2tp:data,l2tp:seq');
      send();
      expect(lines).toEqual([]); // mask 0
      p.run(p.a, (e, now) => e.setSessionOptions(aSid, { debugMask: DebugCategory.Data }, now));
      send();
      expect(lines).toHaveLength(1);
      expect(lines[0]).toMatch(/l2tp:data.*session \d+: tx 2 octets ns -/);
      createDebug.disable();
      send();
      expect(lines).toHaveLength(1); // namespace off
      createDebug.enable('l2tp:seq');
      p.run(p.a, (e, now) =>
        e.setSessionOptions(aSid, { debugMask: DebugCategory.Seq, reorderTimeoutMs: 10 }, now),
      );
      expect(lines.at(-1)).toMatch(/l2tp:seq.*sequencer renewed: recvseq false/);
      expect(p.a.engine.sessionOptions(aSid)?.debugMask).toBe(DebugCategory.Seq);
    });
  });

  test('a mask set on one session leaves the other sessions of its tunnel silent, and a bad mask changes nothing', () => {
    const { p, aSid } = sessionUp();
    const other = p.openSession(p.a);
    p.driveBounded(() => p.a.eventsOf('session-up').length > 1);
    withDebugCapture((lines) => {
      createDebug.enable('l2tp:data');
      const send = (sid: number) => p.run(p.a, (e, now) => e.sendFrame(sid, unhex('0021'), now));
      expect(() =>
        p.run(p.a, (e, now) => e.setSessionOptions(aSid, { debugMask: -1 }, now)),
      ).toThrow(UsageError);
      expect(p.a.engine.sessionOptions(aSid)?.debugMask).toBe(0);
      p.run(p.a, (e, now) => e.setSessionOptions(aSid, { debugMask: DebugCategory.Data }, now));
      send(other);
      expect(lines).toEqual([]);
      expect(p.a.engine.sessionOptions(other)?.debugMask).toBe(0);
      send(aSid);
      expect(lines).toHaveLength(1);
      expect(lines[0]).toContain(`session ${aSid}: tx 2 octets`);
      // Back to 0 and up again: the session keeps a log of its own, the others stay silent.
      p.run(p.a, (e, now) => e.setSessionOptions(aSid, { debugMask: 0 }, now));
      send(aSid);
      p.run(p.a, (e, now) => e.setSessionOptions(other, { debugMask: DebugCategory.Data }, now));
      send(other);
      send(aSid);
      expect(lines).toHaveLength(2);
      expect(lines[1]).toContain(`session ${other}: tx 2 octets`);
    });
  });
});

describe('counters (the kernel ten) and tunnel totals', () => {
  test('property: exact under loss, duplication and reordering, sequenced or not, any REORDERTO', () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer({ min: 1, max: 1_000_000 }),
          lossRate: fc.constantFrom(0, 0.1, 0.3),
          duplicateRate: fc.constantFrom(0, 0.1),
          reorderRate: fc.constantFrom(0, 0.2, 0.5),
          sequencing: fc.boolean(),
          reorderTimeoutMs: fc.constantFrom(0, 30, 200),
          lengths: fc.array(fc.integer({ min: 2, max: 40 }), { minLength: 1, maxLength: 40 }),
        }),
        (c) => {
          const { p, aSid, bSid } = sessionUp({
            seed: c.seed,
            a: { session: { sendSequenceNumbers: c.sequencing } },
            b: { session: { reorderTimeoutMs: c.reorderTimeoutMs } },
          });
          let arrived = 0;
          const receive = p.b.receive.bind(p.b);
          p.b.receive = (from, packet, now) => {
            if (((packet[0] as number) & 0x80) === 0) arrived++;
            receive(from, packet, now);
          };
          p.net.connectBoth('a', 'b', {
            latencyMs: 5,
            jitterMs: c.reorderRate > 0 ? 3 : 0, // jitter reorders too
            lossRate: c.lossRate,
            duplicateRate: c.duplicateRate,
            reorderRate: c.reorderRate,
            reorderDelayMs: 50,
          });
          const before = p.b.frames.length;
          c.lengths.forEach((n, i) => {
            // PPP protocol 0x0021, then the index: order is visible on delivery.
            const frame = new Uint8Array(n);
            frame[1] = 0x21;
            frame[n - 1] = i;
            p.run(p.a, (e, now) => e.sendFrame(aSid, frame, now));
            p.drive(1);
          });
          p.drive(1000); // past every reorder timeout
          const delivered = p.b.frames.slice(before).map((f) => f.value.frame);
          const a = p.a.engine.sessionStats(aSid) as SessionStats;
          const b = p.b.engine.sessionStats(bSid) as SessionStats;
          expect(a.txPackets).toBe(c.lengths.length);
          expect(a.txBytes).toBe(c.lengths.reduce((x, y) => x + y, 0));
          expect(b.rxPackets).toBe(delivered.length);
          expect(b.rxBytes).toBe(delivered.reduce((x, f) => x + f.length, 0));
          // Every data datagram that arrived was delivered or counted as an error: none held.
          expect(b.rxPackets + b.rxErrors + b.rxInvalid).toBe(arrived);
          expect(b.rxSeqDiscards).toBeLessThanOrEqual(b.rxErrors);
          if (c.sequencing) {
            const order = delivered.map((f) => f[f.length - 1] as number);
            for (let i = 1; i < order.length; i++) {
              expect(order[i] as number).toBeGreaterThan(order[i - 1] as number);
            }
          }
          if (c.lossRate === 0 && c.duplicateRate === 0 && c.reorderRate === 0) {
            expect(b.rxPackets).toBe(c.lengths.length);
          }
          // One session: the tunnel's totals are its counters; framesReceived agrees.
          const t = p.b.engine.stats();
          expect(t.sessionTotals).toEqual(b);
          expect(t.framesReceived).toBe(b.rxPackets);
        },
      ),
      { numRuns: 40 },
    );
  });

  test('totals keep the counters of ended sessions; session-down carries the final ones', () => {
    const { p, aSid } = sessionUp();
    const sid2 = p.openSession(p.a);
    p.driveBounded(() => p.a.eventsOf('session-up').length === 2);
    for (const [sid, n] of [
      [aSid, 3],
      [sid2, 5],
    ] as const) {
      p.run(p.a, (e, now) => e.sendFrame(sid, new Uint8Array(n).fill(0x21), now));
    }
    p.run(p.a, (e, now) => e.closeSession(aSid, now));
    p.drive(200);
    const down = p.a.eventsOf('session-down')[0]?.value;
    expect(down?.stats).toMatchObject({ txPackets: 1, txBytes: 3 });
    expect(p.a.engine.sessionStats(aSid)).toBeUndefined();
    expect(p.a.engine.stats().sessionTotals).toMatchObject({ txPackets: 2, txBytes: 8 });
    expect(p.b.engine.stats().sessionTotals).toMatchObject({ rxPackets: 2, rxBytes: 8 });
  });
});

// ---------------------------------------------------------------------------------------------

const DST_SRC = 'ffffffffffff 020000000001';

function v3Up(a: PairOptions['a'] = {}, b: PairOptions['b'] = {}): Up {
  return sessionUp({
    a: { version: 3, routerId: 1, ...a },
    b: { version: 3, routerId: 2, ...b },
  });
}

describe('L2TPv3 managed sessions: pseudowire framing (RFC 3931 §4.1, §4.5, §5.4.4)', () => {
  test("sequencing on an Ethernet call: 'auto' asks for the Default L2-Specific Sublayer, Ns flow", () => {
    const seq = { requireSequenceNumbers: true };
    const { p, aSid, bSid } = v3Up({ session: seq }, { session: seq });
    expect(sentOf(p.a, 'ICRQ')[0]).toMatchObject({ pseudowireType: 5, l2SpecificSublayer: 1 });
    const frame = unhex(`${DST_SRC} 0800 01`);
    const out = p.run(p.a, (e, now) => e.sendFrame(aSid, frame, now));
    expect(hex(headerOf(out)).slice(-8)).toBe('40000000'); // S, Ns 0
    p.drive(100);
    expect(framesOf(p, 'b')).toEqual([hex(frame)]);
    expect(p.b.engine.sessionStats(bSid)).toMatchObject({ rxPackets: 1, rxErrors: 0 });
  });

  test('PPP pseudowire (type 7): ICRQ names it; FF 03 follows the sublayer; the responder frames by the ICRQ', () => {
    const caps = { pseudowireCapabilities: [5, 7] };
    const { p, aSid, bSid } = v3Up(
      { ...caps, session: { pseudowireType: 7, l2SpecificSublayer: 'default' } },
      caps, // b's default pseudowire stays Ethernet: the call's type comes from the ICRQ
    );
    expect(sentOf(p.a, 'ICRQ')[0]).toMatchObject({ pseudowireType: 7, l2SpecificSublayer: 1 });
    const out = p.run(p.b, (e, now) => e.sendFrame(bSid, unhex('c021 0101 0004'), now));
    // a asked for the Default sublayer (S = 0, Ns 0 here); FF 03 is the framer's txPrefix.
    expect(hex(headerOf(out))).toBe(`00030000${h32(aSid)}00000000ff03`);
    // A PPP frame with an even last Protocol octet is refused by the framer: tx_errors.
    expect(p.run(p.b, (e, now) => e.sendFrame(bSid, unhex('c020 01'), now))).toEqual([]);
    p.drive(100);
    expect(framesOf(p, 'a')).toEqual(['c02101010004']);
    expect(p.b.engine.sessionStats(bSid)).toMatchObject({ txPackets: 1, txErrors: 1 });
    // Received both ways: with and without FF 03.
    inject(p, 'a', unhex(`00030000 ${h32(aSid)} 00000000 c021 09`));
    expect(framesOf(p, 'a').at(-1)).toBe('c02109');
  });

  test('Ethernet: short frames are refused on send (tx_errors) and on receive (rx_errors, after sequencing, like the kernel)', () => {
    const { p, aSid, bSid } = v3Up();
    expect(p.run(p.a, (e, now) => e.sendFrame(aSid, unhex('0800 01'), now))).toEqual([]);
    inject(p, 'b', unhex(`00030000 ${h32(bSid)} 0800 01`));
    inject(p, 'b', unhex(`00030000 ${h32(bSid)} ${DST_SRC} 0800 01`));
    expect(framesOf(p, 'b')).toEqual([hex(unhex(`${DST_SRC} 0800 01`))]);
    expect(p.a.engine.sessionStats(aSid)).toMatchObject({ txPackets: 0, txErrors: 1 });
    expect(p.b.engine.sessionStats(bSid)).toMatchObject({
      rxPackets: 1,
      rxErrors: 1,
      rxInvalid: 0,
    });
    expect(() => p.a.engine.sendFrame(aSid, unhex(DST_SRC), p.now, { priority: true })).toThrow(
      UsageError,
    );
  });

  test('RFC 3931 §4.5: a cookie mismatch counts in rx_cookie_discards and rx_errors', () => {
    const { p, bSid } = v3Up({}, { session: { cookieLength: 4 } });
    const cookie = sentOf(p.b, 'ICRP')[0]?.assignedCookie as Uint8Array;
    const frame = `${DST_SRC} 0800 07`;
    inject(p, 'b', unhex(`00030000 ${h32(bSid)} ${hex(cookie.map((x) => x ^ 1))} ${frame}`));
    inject(p, 'b', unhex(`00030000 ${h32(bSid)} ${hex(cookie)} ${frame}`));
    expect(framesOf(p, 'b')).toEqual([hex(unhex(frame))]);
    expect(p.b.engine.sessionStats(bSid)).toMatchObject({
      rxPackets: 1,
      rxCookieDiscards: 1,
      rxErrors: 1,
    });
    expect(p.b.engine.stats()).toMatchObject({ cookieMismatches: 1, framesDropped: 1 });
  });

  test('v3 SENDSEQ needs the peer’s sublayer, RECVSEQ ours; with them, Ns flows and is honoured', () => {
    const { p, aSid, bSid } = v3Up(
      { session: { l2SpecificSublayer: 'default' } },
      { session: { l2SpecificSublayer: 'default' } },
    );
    const { p: q, aSid: qa } = v3Up();
    expect(() => q.a.engine.setSessionOptions(qa, { sendSeq: true }, q.now)).toThrow(UsageError);
    expect(() => q.a.engine.setSessionOptions(qa, { recvSeq: true }, q.now)).toThrow(UsageError);
    p.run(p.a, (e, now) => e.setSessionOptions(aSid, { sendSeq: true }, now));
    p.run(p.b, (e, now) => e.setSessionOptions(bSid, { recvSeq: true }, now));
    const frame = unhex(`${DST_SRC} 0800 01`);
    const h = headerOf(p.run(p.a, (e, now) => e.sendFrame(aSid, frame, now)));
    expect(hex(h)).toBe(`00030000${h32(bSid)}40000000`); // S bit, Ns 0
    p.drive(100);
    inject(p, 'b', unhex(`00030000 ${h32(bSid)} 00000000 ${hex(frame)}`)); // no Ns: RECVSEQ drops
    expect(p.b.engine.sessionStats(bSid)).toMatchObject({ rxPackets: 1, rxSeqDiscards: 1 });
  });
});
