// Tests for src/seq/data.ts: SENDSEQ / RECVSEQ / LNSMODE policy (RFC 2661 §5.4, Linux
// l2tp_recv_common), send-side Ns with wrap-around in both widths, and delegation to the
// reorder buffer with the right sequence space.

import { fc, it } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { UsageError } from '../../src/errors.js';
import { DataSequencer } from '../../src/seq/data.js';

function sendNs(seq: DataSequencer<string>, count: number): (number | undefined)[] {
  return Array.from({ length: count }, () => seq.nextSendNs());
}

describe('v2 LAC follows the LNS (RFC 2661 §5.4)', () => {
  test('sequenced data from the LNS turns our Ns on; unsequenced turns it off; numbering resumes', () => {
    const lac = new DataSequencer<string>({ version: 2 });
    expect(lac.sendSeq).toBe(false);
    expect(sendNs(lac, 1)).toEqual([undefined]);
    expect(lac.receive('p0', 0, 0)).toEqual(['p0']);
    expect(lac.sendSeq).toBe(true);
    expect(sendNs(lac, 2)).toEqual([0, 1]);
    expect(lac.receive('plain', undefined, 1)).toEqual(['plain']);
    expect(lac.sendSeq).toBe(false);
    expect(sendNs(lac, 1)).toEqual([undefined]);
    lac.receive('p1', 1, 2);
    // "the sequence number state picks up where it left off before"
    expect(sendNs(lac, 1)).toEqual([2]);
    expect(lac.stats()).toMatchObject({ sendSeqChanges: 3, rxPackets: 3, rxUnsequenced: 1 });
  });

  test('the LNS decides: peer S bits never change its sending', () => {
    const lns = new DataSequencer<string>({ version: 2, lnsMode: true });
    lns.receive('p0', 0, 0);
    expect(lns.sendSeq).toBe(false);
    lns.setSendSeq(true);
    expect(sendNs(lns, 2)).toEqual([0, 1]);
  });

  test('a sequencing LNS drops unsequenced data from a broken LAC', () => {
    const lns = new DataSequencer<string>({ version: 2, lnsMode: true, sendSeq: true });
    expect(lns.receive('bad', undefined, 0)).toEqual([]);
    expect(lns.sendSeq).toBe(true);
    expect(lns.stats()).toMatchObject({ rxMissingSeq: 1, rxSeqDiscards: 1, rxErrors: 1 });
  });
});

describe('RECVSEQ', () => {
  test.for([2, 3] as const)('v%i: frames without Ns are dropped and counted', (version) => {
    const s = new DataSequencer<string>({ version, recvSeq: true });
    expect(s.receive('x', undefined, 0)).toEqual([]);
    expect(s.receive('y', 0, 1)).toEqual(['y']);
    expect(s.stats()).toMatchObject({ rxSeqDiscards: 1, rxErrors: 1, rxPackets: 1 });
  });
  test('without RECVSEQ unsequenced frames are delivered at once, even with frames held', () => {
    const s = new DataSequencer<string>({ version: 3, reorderTimeoutMs: 100, initialNr: 0 });
    expect(s.receive('ns2', 2, 0)).toEqual([]);
    expect(s.receive('plain', undefined, 10)).toEqual(['plain']);
    expect(s.nextDeadline()).toBe(100);
    expect(s.flush()).toEqual(['ns2']);
  });
});

describe('v3 (Default L2-Specific Sublayer, RFC 3931 §4.6)', () => {
  test('no following: sending is configured (Data Sequencing AVP), not driven by the peer', () => {
    const s = new DataSequencer<string>({ version: 3, sendSeq: true });
    s.receive('plain', undefined, 0);
    expect(s.sendSeq).toBe(true);
    const t = new DataSequencer<string>({ version: 3 });
    t.receive('seq', 0, 0);
    expect(t.sendSeq).toBe(false);
  });
  test('24-bit receive window and send wrap 2^24 − 1 → 0', () => {
    const s = new DataSequencer<string>({ version: 3, sendSeq: true, initialNs: 0xffffff });
    expect(sendNs(s, 2)).toEqual([0xffffff, 0]);
    expect(s.receive('far', 8388607, 0)).toEqual([]); // outside the window from 0
    expect(s.receive('ok', 8388606, 0)).toEqual(['ok']);
  });
  test('v2 send wrap 65535 → 0', () => {
    const s = new DataSequencer<string>({ version: 2, sendSeq: true, initialNs: 65535 });
    expect(sendNs(s, 2)).toEqual([65535, 0]);
  });
});

describe('reorder timeout through the policy object', () => {
  test('REORDERTO > 0: held, delivered in order; expiry via handleTimeout', () => {
    const s = new DataSequencer<string>({ version: 2, reorderTimeoutMs: 50, lnsMode: true });
    expect(s.receive('a', 0, 0)).toEqual(['a']);
    expect(s.receive('c', 2, 1)).toEqual([]);
    expect(s.receive('b', 1, 2)).toEqual(['b', 'c']);
    s.receive('e', 4, 3);
    expect(s.nextDeadline()).toBe(53);
    expect(s.handleTimeout(53)).toEqual([]); // dropped (Linux policy)
    expect(s.stats()).toMatchObject({ rxOosPackets: 1, rxSeqDiscards: 1, rxExpired: 1 });
  });
  test('bad options', () => {
    expect(() => new DataSequencer({ version: 4 as 2 })).toThrow(UsageError);
    expect(() => new DataSequencer({ version: 2, initialNs: 65536 })).toThrow(UsageError);
    expect(() => new DataSequencer({ version: 2, reorderTimeoutMs: -5 })).toThrow(UsageError);
  });
});

describe('acceptNow (the per-packet shortcut) agrees with receive', () => {
  // Twin sequencers see the same packets: one tries acceptNow first and calls receive only when
  // it declines, the other always calls receive. Outputs, Ns state and every counter must agree.
  const op = fc.record({
    ns: fc.option(fc.integer({ min: 0, max: 8 }), { nil: undefined, freq: 3 }),
    dt: fc.integer({ min: 0, max: 40 }),
    sendSeqOn: fc.boolean(),
  });
  const options = fc.record({
    version: fc.constantFrom(2 as const, 3 as const),
    lnsMode: fc.boolean(),
    sendSeq: fc.boolean(),
    recvSeq: fc.boolean(),
    reorderTimeoutMs: fc.constantFrom(0, 25),
    initialNr: fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
  });

  it.prop([options, fc.array(op, { maxLength: 60 })], { numRuns: 400 })(
    'same frames, same stats, for any packet sequence',
    (opts, ops) => {
      const fast = new DataSequencer<number>(opts);
      const plain = new DataSequencer<number>(opts);
      let now = 0;
      ops.forEach(({ ns, dt, sendSeqOn }, frame) => {
        now += dt;
        if (sendSeqOn) {
          fast.setSendSeq(!fast.sendSeq);
          plain.setSendSeq(!plain.sendSeq);
        }
        let got: readonly number[];
        if (fast.acceptNow(ns)) got = [frame];
        else got = fast.receive(frame, ns, now);
        expect(got).toEqual(plain.receive(frame, ns, now));
        expect(fast.stats()).toEqual(plain.stats());
        expect(fast.heldCount).toBe(plain.heldCount);
        expect(fast.nextDeadline()).toBe(plain.nextDeadline());
      });
    },
  );

  test('it takes in-order and unsequenced packets, and declines what receive must sort out', () => {
    const v3 = new DataSequencer<string>({ version: 3, reorderTimeoutMs: 100, initialNr: 0 });
    expect(v3.acceptNow(0)).toBe(true);
    expect(v3.acceptNow(undefined)).toBe(true);
    expect(v3.acceptNow(2)).toBe(false); // a gap: receive holds it
    expect(v3.receive('p2', 2, 0)).toEqual([]);
    expect(v3.acceptNow(1)).toBe(false); // in order, but p2 is held behind it
    expect(v3.acceptNow(undefined)).toBe(false);
    expect(v3.receive('p1', 1, 1)).toEqual(['p1', 'p2']);
    expect(v3.acceptNow(3)).toBe(true);
    expect(v3.stats()).toMatchObject({ rxPackets: 5, rxUnsequenced: 1 });
    // RECVSEQ: a packet without Ns is receive's to drop and count.
    expect(new DataSequencer({ version: 3, recvSeq: true }).acceptNow(undefined)).toBe(false);
    // A v2 LAC that does not sequence yet switches on in receive.
    expect(new DataSequencer({ version: 2, initialNr: 0 }).acceptNow(0)).toBe(false);
    expect(new DataSequencer({ version: 2, initialNr: 0, sendSeq: true }).acceptNow(0)).toBe(true);
  });
});
