// Tests for src/seq/reliable.ts on an explicit clock: exact retransmission schedule (RFC 2661 §5.8),
// ack delay and piggy-backing, duplicates, out-of-order holding and its bound, window limits,
// CWND/SSTHRESH evolution (Appendix A), queue bound, invalid Nr (RFC 3931 §4.2), post-close hold
// (RFC 2661 §5.7), option validation and 65535 → 0 wrap-around.

import { describe, expect, test } from 'vitest';
import { ChannelError, UsageError } from '../../src/errors.js';
import {
  type ChannelOutput,
  RELIABLE_CHANNEL_DEFAULTS,
  ReliableChannel,
  type ReliableChannelOptions,
  resolveReliableChannelOptions,
  retransmissionCycleMs,
  retransmitTimeoutFor,
} from '../../src/seq/reliable.js';

type Out = ChannelOutput<string>;

function transmits(outs: readonly Out[]) {
  return outs.flatMap((o) =>
    o.type === 'transmit' ? [{ ns: o.ns, nr: o.nr, retx: o.retransmission, body: o.body }] : [],
  );
}
function delivered(outs: readonly Out[]): string[] {
  return outs.flatMap((o) => (o.type === 'deliver' ? [o.body] : []));
}
function kinds(outs: readonly Out[]): string[] {
  return outs.map((o) => o.type);
}
function zlb(nr: number, ns = 0) {
  return { ns, nr, body: undefined };
}

describe('retransmission schedule (RFC 2661 §5.8: 1 s, doubling, cap 8 s, 5 retries)', () => {
  test('deadlines 1 s, 3 s, 7 s, 15 s, 23 s, then failure at 31 s, step by step', () => {
    const ch = new ReliableChannel<string>();
    expect(transmits(ch.send('SCCRQ', 0))).toEqual([{ ns: 0, nr: 0, retx: false, body: 'SCCRQ' }]);
    // [time the host wakes, what happens, next deadline]: intervals 1, 2, 4, 8, 8, 8 s.
    const steps: [number, 'retransmit' | 'failed', number | undefined][] = [
      [1000, 'retransmit', 3000],
      [3000, 'retransmit', 7000],
      [7000, 'retransmit', 15000],
      [15000, 'retransmit', 23000],
      [23000, 'retransmit', 31000],
      [31000, 'failed', undefined],
    ];
    expect(ch.nextDeadline()).toBe(1000);
    for (const [at, what, next] of steps) {
      expect(ch.handleTimeout(at - 1)).toEqual([]); // early: harmless
      const outs = ch.handleTimeout(at);
      if (what === 'retransmit') {
        expect(transmits(outs)).toEqual([{ ns: 0, nr: 0, retx: true, body: 'SCCRQ' }]);
        expect(ch.handleTimeout(at)).toEqual([]); // idempotent
      } else {
        expect(outs).toHaveLength(1);
        const f = outs[0];
        expect(f?.type).toBe('failed');
        if (f?.type === 'failed') {
          expect(f.reason).toBe('retries-exhausted');
          expect(f.ns).toBe(0);
          expect(f.error).toBeInstanceOf(ChannelError);
          expect(f.error.code).toBe('L2TP_ERR_RETRIES_EXHAUSTED');
        }
      }
      expect(ch.nextDeadline()).toBe(next);
    }
    expect(ch.state).toBe('failed');
    expect(ch.stats().retransmissions).toBe(5);
    expect(ch.stats().maxRetransmitsUsed).toBe(5);
    expect(ch.receive(zlb(1), 31001)).toEqual([]);
    expect(() => ch.send('x', 31002)).toThrowError(
      expect.objectContaining({ code: 'L2TP_ERR_CLOSED' }),
    );
  });

  test('a late host: the next timeout counts from the actual retransmission', () => {
    const ch = new ReliableChannel<string>();
    ch.send('m', 0);
    expect(transmits(ch.handleTimeout(1500))).toHaveLength(1);
    expect(ch.nextDeadline()).toBe(3500);
  });

  test('timeout table and full cycle', () => {
    const o = resolveReliableChannelOptions();
    expect([0, 1, 2, 3, 4, 5, 40].map((r) => retransmitTimeoutFor(r, o))).toEqual([
      1000, 2000, 4000, 8000, 8000, 8000, 8000,
    ]);
    expect(retransmissionCycleMs()).toBe(31000); // RFC 2661 §5.7 "31 seconds"
    expect(retransmissionCycleMs({ maxRetransmits: 0 })).toBe(1000);
    expect(
      retransmissionCycleMs({
        retransmitTimeoutMs: 500,
        maxRetransmitTimeoutMs: 1000,
        maxRetransmits: 3,
      }),
    ).toBe(500 + 1000 + 1000 + 1000);
  });

  test('Nr is refreshed on every retransmission (RFC 2661 §5.8 MUST)', () => {
    const ch = new ReliableChannel<string>({ ackDelayMs: 500 });
    ch.send('ours', 0);
    expect(delivered(ch.receive({ ns: 0, nr: 0, body: 'theirs' }, 10))).toEqual(['theirs']);
    const outs = ch.handleTimeout(1000);
    expect(transmits(outs)).toEqual([{ ns: 0, nr: 1, retx: true, body: 'ours' }]);
    // That retransmission carried the ack, so no ZLB is due at 510.
    expect(kinds(ch.handleTimeout(510))).toEqual([]);
    expect(ch.stats().acksPiggybacked).toBe(1);
  });

  test('an acknowledgement stops retransmission and yields an RTT sample', () => {
    const ch = new ReliableChannel<string>();
    ch.send('m', 0);
    expect(ch.receive(zlb(1), 40)).toEqual([]);
    expect(ch.nextDeadline()).toBeUndefined();
    expect(ch.stats()).toMatchObject({ inFlight: 0, acksReceived: 1, srttMs: 40 });
  });

  test('Karn: no RTT sample from a retransmitted message', () => {
    const ch = new ReliableChannel<string>();
    ch.send('m', 0);
    ch.handleTimeout(1000);
    ch.receive(zlb(1), 1040);
    expect(ch.stats().srttMs).toBeUndefined();
    expect(ch.stats().maxRetransmitsUsed).toBe(1);
  });

  test('once the front is acknowledged, an overdue next message is retransmitted at once', () => {
    const ch = new ReliableChannel<string>({ peerReceiveWindow: 2 });
    ch.send('a', 0);
    ch.receive(zlb(1), 10); // cwnd 1 → 2
    expect(transmits([...ch.send('b', 20), ...ch.send('c', 20)]).map((t) => t.ns)).toEqual([1, 2]);
    expect(transmits(ch.handleTimeout(1020))).toEqual([{ ns: 1, nr: 0, retx: true, body: 'b' }]);
    // Ack of b at 1500: c (sent at 20) is long overdue and goes out in the same call.
    expect(transmits(ch.receive(zlb(2), 1500))).toEqual([{ ns: 2, nr: 0, retx: true, body: 'c' }]);
    expect(ch.nextDeadline()).toBe(3500);
  });
});

describe('acknowledgement (delayed ZLB / explicit ACK, piggy-backing)', () => {
  test('a ZLB goes out after ackDelayMs when nothing is sent meanwhile', () => {
    const ch = new ReliableChannel<string>({ ackDelayMs: 100, initialNs: 7 });
    expect(delivered(ch.receive({ ns: 0, nr: 7, body: 'SCCRP' }, 0))).toEqual(['SCCRP']);
    expect(ch.nextDeadline()).toBe(100);
    expect(ch.handleTimeout(99)).toEqual([]);
    // A ZLB carries the next Ns without consuming it (RFC 2661 §5.8).
    expect(ch.handleTimeout(100)).toEqual([{ type: 'ack', ns: 7, nr: 1, ackStyle: 'zlb' }]);
    expect(ch.handleTimeout(100)).toEqual([]);
    expect(ch.stats()).toMatchObject({ acksSent: 1, nextNs: 7 });
  });

  test('v3 reports explicit-ack', () => {
    const ch = new ReliableChannel<string>({ ackStyle: 'explicit-ack', ackDelayMs: 0 });
    expect(ch.receive({ ns: 0, nr: 0, body: 'HELLO' }, 5)).toEqual([
      { type: 'deliver', ns: 0, body: 'HELLO' },
      { type: 'ack', ns: 0, nr: 1, ackStyle: 'explicit-ack' },
    ]);
  });

  test('a message sent within the delay carries the ack instead', () => {
    const ch = new ReliableChannel<string>({ ackDelayMs: 100 });
    ch.receive({ ns: 0, nr: 0, body: 'ICRQ' }, 0);
    expect(transmits(ch.send('ICRP', 50))).toEqual([{ ns: 0, nr: 1, retx: false, body: 'ICRP' }]);
    expect(ch.nextDeadline()).toBe(1050); // only the retransmission timer remains
    expect(ch.stats()).toMatchObject({ acksSent: 0, acksPiggybacked: 1 });
  });

  test('duplicates are acknowledged again and not delivered twice', () => {
    const ch = new ReliableChannel<string>({ ackDelayMs: 0 });
    expect(kinds(ch.receive({ ns: 0, nr: 0, body: 'StopCCN' }, 0))).toEqual(['deliver', 'ack']);
    expect(ch.receive({ ns: 0, nr: 0, body: 'StopCCN' }, 1000)).toEqual([
      { type: 'ack', ns: 0, nr: 1, ackStyle: 'zlb' },
    ]);
    expect(ch.stats()).toMatchObject({ duplicatesReceived: 1, messagesDelivered: 1, acksSent: 2 });
  });

  test('a ZLB is not a message: it takes no slot and is never acknowledged', () => {
    const ch = new ReliableChannel<string>({ ackDelayMs: 0 });
    expect(ch.receive(zlb(0, 0), 0)).toEqual([]);
    expect(ch.nextDeadline()).toBeUndefined();
    expect(ch.stats().nr).toBe(0);
  });
});

describe('receive window', () => {
  test('out-of-order messages are held and delivered once the gap fills', () => {
    const ch = new ReliableChannel<string>({ receiveWindow: 4, ackDelayMs: 1000 - 1 });
    expect(delivered(ch.receive({ ns: 2, nr: 0, body: 'c' }, 0))).toEqual([]);
    expect(delivered(ch.receive({ ns: 1, nr: 0, body: 'b' }, 1))).toEqual([]);
    expect(delivered(ch.receive({ ns: 1, nr: 0, body: 'b' }, 2))).toEqual([]); // dup while held
    expect(delivered(ch.receive({ ns: 0, nr: 0, body: 'a' }, 3))).toEqual(['a', 'b', 'c']);
    expect(ch.stats()).toMatchObject({ outOfOrderHeld: 2, duplicatesReceived: 1, held: 0, nr: 3 });
  });

  test('held messages are bounded by the window: receiveWindow − 1 held, the next dropped', () => {
    const ch = new ReliableChannel<string>({ receiveWindow: 4 });
    for (const ns of [1, 2, 3]) ch.receive({ ns, nr: 0, body: `m${ns}` }, 0);
    ch.receive({ ns: 4, nr: 0, body: 'm4' }, 0); // 0 + 4 is outside [0, 4)
    ch.receive({ ns: 30000, nr: 0, body: 'far' }, 0); // ahead, far outside
    expect(ch.stats()).toMatchObject({ held: 3, heldHighWater: 3, droppedOutsideWindow: 2 });
    expect(delivered(ch.receive({ ns: 0, nr: 0, body: 'm0' }, 1))).toEqual([
      'm0',
      'm1',
      'm2',
      'm3',
    ]);
  });

  test('at most peerReceiveWindow messages in flight; slow start opens the window per ACK', () => {
    const ch = new ReliableChannel<number>({ peerReceiveWindow: 4 });
    let sent: number[] = [];
    for (let i = 0; i < 10; i++) {
      for (const o of ch.send(i, 0)) if (o.type === 'transmit') sent.push(o.ns);
    }
    expect(sent).toEqual([0]); // CWND starts at 1
    const rounds: number[][] = [];
    let acked = 0;
    for (let round = 0; round < 4; round++) {
      acked += sent.length;
      sent = [];
      for (const o of ch.receive({ ns: 0, nr: acked, body: undefined }, 10 + round)) {
        if (o.type === 'transmit') sent.push(o.ns);
      }
      rounds.push(sent);
      expect(ch.stats().inFlight).toBeLessThanOrEqual(4);
    }
    // One ACK per round: CWND 2, 3, 4, then capped at the peer's window of 4.
    expect(rounds).toEqual([[1, 2], [3, 4, 5], [6, 7, 8, 9], []]);
  });
});

describe('CWND / SSTHRESH evolution (RFC 2661 Appendix A)', () => {
  test('slow start, cap, timeout halving, congestion avoidance', () => {
    const ch = new ReliableChannel<number>({ peerReceiveWindow: 8 });
    for (let i = 0; i < 60; i++) ch.send(i, 0);
    let nr = 0;
    const trace: [number, number][] = [];
    const ackOne = (now: number) => {
      nr = (nr + 1) & 0xffff;
      ch.receive({ ns: 0, nr, body: undefined }, now);
      const s = ch.stats();
      trace.push([s.cwnd, s.ssthresh]);
    };
    expect(ch.stats()).toMatchObject({ cwnd: 1, ssthresh: 8 });
    for (let i = 0; i < 9; i++) ackOne(10);
    // Slow start 1→8 (+1 per ACK) then capped at the advertised window.
    expect(trace.map(([c]) => c)).toEqual([2, 3, 4, 5, 6, 7, 8, 8, 8]);
    // Retransmission timeout of the front: SSTHRESH = max(8/2, 1) = 4, CWND = 1.
    const front = ch.nextDeadline() as number;
    ch.handleTimeout(front);
    expect(ch.stats()).toMatchObject({ cwnd: 1, ssthresh: 4 });
    trace.length = 0;
    // One ACK covers all 8 in flight (before the others time out too), then one ACK per message.
    nr = (nr + 7) & 0xffff;
    ackOne(front + 10);
    for (let i = 0; i < 11; i++) ackOne(front + 20);
    // Slow start to 4, then congestion avoidance: +1 after CWND ACKs (4 ACKs, then 5).
    expect(trace.map(([c]) => c)).toEqual([2, 3, 4, 4, 4, 4, 5, 5, 5, 5, 5, 6]);
  });

  test('SSTHRESH never drops below 1', () => {
    const ch = new ReliableChannel<string>();
    ch.send('a', 0);
    ch.handleTimeout(1000);
    expect(ch.stats()).toMatchObject({ cwnd: 1, ssthresh: 1 });
    ch.handleTimeout(3000);
    expect(ch.stats()).toMatchObject({ cwnd: 1, ssthresh: 1 });
  });

  test('setPeerReceiveWindow: sets SSTHRESH before congestion, releases queued messages', () => {
    const ch = new ReliableChannel<string>({ peerReceiveWindow: 1 });
    ch.send('a', 0);
    ch.send('b', 0);
    ch.receive(zlb(1), 5); // window 1 → only b goes
    expect(ch.stats()).toMatchObject({ inFlight: 1, ssthresh: 1, cwnd: 1 });
    ch.send('c', 6);
    expect(ch.stats().queued).toBe(1);
    // SCCRP arrives advertising 6; cwnd is still 1 so c waits for the next ACK.
    expect(ch.setPeerReceiveWindow(6, 7)).toEqual([]);
    expect(ch.stats()).toMatchObject({ ssthresh: 6, peerReceiveWindow: 6 });
    expect(transmits(ch.receive(zlb(2), 8)).map((t) => t.body)).toEqual(['c']);
    expect(ch.setPeerReceiveWindow(65535, 9)).toEqual([]); // legal on the wire, clamped
    expect(ch.stats().peerReceiveWindow).toBe(32767);
    expect(() => ch.setPeerReceiveWindow(0, 9)).toThrow(UsageError);
    expect(() => ch.setPeerReceiveWindow(65536, 9)).toThrow(UsageError);
  });
});

describe('send queue bound', () => {
  test('at maxQueuedMessages, send throws L2TP_ERR_QUEUE_FULL and queues nothing', () => {
    const ch = new ReliableChannel<string>({ peerReceiveWindow: 1, maxQueuedMessages: 2 });
    ch.send('a', 0); // in flight
    ch.send('b', 0); // queued 1
    ch.send('c', 0); // queued 2
    let err: unknown;
    try {
      ch.send('d', 0);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ChannelError);
    expect((err as ChannelError).code).toBe('L2TP_ERR_QUEUE_FULL');
    expect(ch.stats()).toMatchObject({ queued: 2, inFlight: 1 });
    ch.receive(zlb(1), 1); // b goes, one slot frees
    expect(ch.send('d', 2)).toEqual([]);
    expect(ch.stats().queued).toBe(2);
  });

  test('maxQueuedMessages 0 still sends when the window is open', () => {
    const ch = new ReliableChannel<string>({ maxQueuedMessages: 0 });
    expect(transmits(ch.send('a', 0))).toHaveLength(1);
    expect(() => ch.send('b', 0)).toThrowError(
      expect.objectContaining({ code: 'L2TP_ERR_QUEUE_FULL' }),
    );
  });
});

describe('Nr sanity (RFC 3931 §4.2)', () => {
  test('an Nr acknowledging a message never sent drops the whole message', () => {
    const ch = new ReliableChannel<string>();
    ch.send('a', 0); // Ns 0 in flight; valid Nr are 0 and 1
    expect(ch.receive({ ns: 0, nr: 2, body: 'bogus' }, 1)).toEqual([]);
    expect(ch.stats()).toMatchObject({ invalidNrDropped: 1, messagesDelivered: 0, inFlight: 1 });
  });
  test('a stale Nr (behind what is acknowledged) is ignored, the message processed', () => {
    const ch = new ReliableChannel<string>({ initialNs: 10 });
    ch.send('a', 0);
    ch.receive(zlb(11), 1);
    expect(delivered(ch.receive({ ns: 0, nr: 10, body: 'late' }, 2))).toEqual(['late']);
    expect(ch.stats().invalidNrDropped).toBe(0);
  });
});

describe('close and the post-close hold (RFC 2661 §5.7)', () => {
  test('receiver of StopCCN keeps acknowledging retransmissions for a full cycle', () => {
    const ch = new ReliableChannel<string>({ ackDelayMs: 0 });
    expect(kinds(ch.receive({ ns: 0, nr: 0, body: 'StopCCN' }, 1000))).toEqual(['deliver', 'ack']);
    expect(ch.close(1000)).toEqual([]);
    expect(ch.state).toBe('closing');
    expect(ch.nextDeadline()).toBe(1000 + 31000);
    expect(() => ch.send('x', 1001)).toThrowError(
      expect.objectContaining({ code: 'L2TP_ERR_CLOSED' }),
    );
    // The ZLB was lost; the peer retransmits at +1 s, +3 s, … : each is answered.
    for (const t of [2000, 4000, 8000, 16000, 24000]) {
      expect(kinds(ch.receive({ ns: 0, nr: 0, body: 'StopCCN' }, t))).toEqual(['ack']);
    }
    expect(ch.handleTimeout(31999)).toEqual([]);
    expect(ch.handleTimeout(32000)).toEqual([{ type: 'closed' }]);
    expect(ch.state).toBe('closed');
    expect(ch.nextDeadline()).toBeUndefined();
    expect(ch.receive({ ns: 0, nr: 0, body: 'StopCCN' }, 32001)).toEqual([]);
    expect(ch.close(32002)).toEqual([]); // idempotent
  });

  test('sender of StopCCN: closed only after the cycle and once it is acknowledged', () => {
    const ch = new ReliableChannel<string>({ ackDelayMs: 0 });
    ch.send('StopCCN', 0);
    ch.close(0);
    for (const t of [1000, 3000, 7000, 15000, 23000])
      expect(transmits(ch.handleTimeout(t))).toHaveLength(1);
    expect(ch.receive(zlb(1), 30000)).toEqual([]);
    expect(ch.nextDeadline()).toBe(31000);
    expect(ch.handleTimeout(31000)).toEqual([{ type: 'closed' }]);
  });

  test('an unacknowledged StopCCN ends in failure, not closed', () => {
    const ch = new ReliableChannel<string>();
    ch.send('StopCCN', 0);
    ch.close(0);
    const all: Out[] = [];
    for (let t = 0; t <= 40000; t += 500) all.push(...ch.handleTimeout(t));
    expect(kinds(all).filter((k) => k !== 'transmit')).toEqual(['failed']);
  });
});

describe('wrap-around 65535 → 0', () => {
  test('Ns and Nr wrap; delivery, holding and acknowledgement stay correct', () => {
    const a = new ReliableChannel<string>({
      initialNs: 65534,
      peerReceiveWindow: 8,
      ackDelayMs: 0,
    });
    const b = new ReliableChannel<string>({ initialNr: 65534, receiveWindow: 8, ackDelayMs: 0 });
    // Open A's congestion window first so several messages are in flight across the wrap.
    a.setPeerReceiveWindow(8, 0);
    const wire: { ns: number; nr: number; body: string }[] = [];
    const got: string[] = [];
    const route = (outs: Out[]) => {
      for (const o of outs) if (o.type === 'transmit') wire.push(o);
    };
    for (let i = 0; i < 6; i++) route(a.send(`m${i}`, 0));
    // Deliver in a scrambled order; acks go straight back to A.
    let now = 1;
    while (wire.length > 0) {
      const m = wire.splice(wire.length > 1 ? 1 : 0, 1)[0] as (typeof wire)[0];
      for (const o of b.receive(m, now)) {
        if (o.type === 'deliver') got.push(o.body);
        if (o.type === 'ack') route(a.receive({ ns: o.ns, nr: o.nr, body: undefined }, now));
      }
      now++;
    }
    expect(got).toEqual(['m0', 'm1', 'm2', 'm3', 'm4', 'm5']);
    expect(a.stats()).toMatchObject({ inFlight: 0, queued: 0, nextNs: 4 });
    expect(b.stats()).toMatchObject({ nr: 4 });
  });
});

describe('option validation', () => {
  test('defaults', () => {
    expect(resolveReliableChannelOptions()).toEqual(RELIABLE_CHANNEL_DEFAULTS);
    expect(RELIABLE_CHANNEL_DEFAULTS).toMatchObject({
      retransmitTimeoutMs: 1000,
      maxRetransmitTimeoutMs: 8000,
      maxRetransmits: 5,
      peerReceiveWindow: 4,
    });
  });
  test.for<[string, ReliableChannelOptions]>([
    ['zero timeout', { retransmitTimeoutMs: 0 }],
    ['fractional timeout', { retransmitTimeoutMs: 1.5 }],
    ['cap below 1000', { maxRetransmitTimeoutMs: 999 }],
    ['cap below first timeout', { retransmitTimeoutMs: 4000, maxRetransmitTimeoutMs: 2000 }],
    ['negative retries', { maxRetransmits: -1 }],
    ['ack delay ≥ 1 s', { ackDelayMs: 1000 }],
    ['zero receive window', { receiveWindow: 0 }],
    ['huge receive window', { receiveWindow: 40000 }],
    ['zero peer window', { peerReceiveWindow: 0 }],
    ['negative queue bound', { maxQueuedMessages: -1 }],
    ['initialNs out of range', { initialNs: 65536 }],
    ['initialNr out of range', { initialNr: -1 }],
    ['ack style', { ackStyle: 'zlb-ish' as 'zlb' }],
  ])('%s → UsageError', ([, options]) => {
    expect(() => new ReliableChannel(options)).toThrow(UsageError);
  });
  test('bad now and bad ns are host errors', () => {
    const ch = new ReliableChannel<string>();
    expect(() => ch.handleTimeout(Number.NaN)).toThrow(UsageError);
    expect(() => ch.receive({ ns: 65536, nr: 0, body: 'x' }, 0)).toThrow(UsageError);
  });
});
