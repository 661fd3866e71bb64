// The managed engine at size (issue #13): no control message dropped in silence, session-up only
// once the establishing message has left, close() telling whether the peer was told, the
// deadline heap agreeing with a scan of every session, and a peer that never acknowledges
// losing its tunnel instead of growing our queue.

import { fc, test as fcTest } from '@fast-check/vitest';
import { describe, expect, test } from 'vitest';
import { DeadlineHeap, type HeapEntry } from '../../src/engine/deadlines.js';
import { ChannelError } from '../../src/errors.js';
import { EnginePair } from './pair.js';
import { build, headerOf, isControl, nameOf } from './wire.js';

const ICCN_OR_OCCN = new Set(['ICCN', 'OCCN']);

describe('DeadlineHeap', () => {
  interface Item extends HeapEntry {
    readonly id: number;
  }
  fcTest.prop([
    fc.array(fc.tuple(fc.nat(19), fc.option(fc.integer({ min: 0, max: 50 }), { nil: undefined })), {
      maxLength: 300,
    }),
  ])('agrees with a brute-force scan after every set, remove and popDue', (ops) => {
    const items: Item[] = Array.from({ length: 20 }, (_, id) => ({
      id,
      heapIndex: -1,
      heapDeadline: 0,
    }));
    const model = new Map<number, number>();
    const heap = new DeadlineHeap<Item>();
    for (const [i, at] of ops) {
      const item = items[i] as Item;
      if (at === undefined && i % 3 === 0) {
        // popDue at a time between the ops' deadlines
        const now = i * 2;
        for (let x = heap.popDue(now); x !== undefined; x = heap.popDue(now)) {
          expect(model.get(x.id)).toBeLessThanOrEqual(now);
          model.delete(x.id);
        }
        expect([...model.values()].every((d) => d > now)).toBe(true);
      } else {
        heap.set(item, at);
        if (at === undefined) model.delete(i);
        else model.set(i, at);
      }
      const min = model.size === 0 ? undefined : Math.min(...model.values());
      expect(heap.peekDeadline()).toBe(min);
      expect(heap.size).toBe(model.size);
    }
  });
});

describe('no call lost at the send queue (issue #13)', () => {
  test('400 openSession() at once against a window of 4: every call comes up, nothing dropped', () => {
    const p = new EnginePair({ b: { maxSessions: 1000 }, a: { maxSessions: 1000 } });
    p.establish();
    const ids: number[] = [];
    for (let i = 0; i < 400; i++) ids.push(p.openSession(p.a));
    p.driveBounded(
      () => p.a.eventsOf('session-up').length === 400 && p.b.eventsOf('session-up').length === 400,
      20_000,
    );
    expect(p.a.engine.stats().controlDropped).toBe(0);
    expect(new Set(p.a.eventsOf('session-up').map((e) => e.value.sessionId))).toEqual(new Set(ids));
    expect(p.b.eventsOf('session-up')).toHaveLength(400);
  });

  test('v3: SLI beyond the bound throws QUEUE_FULL and queues nothing; CDN and StopCCN still go', () => {
    const p = new EnginePair({
      a: { version: 3, routerId: 1, maxSessions: 1 },
      b: { version: 3, routerId: 2 },
    });
    p.establish();
    const id = p.openSession(p.a, { pseudowireType: 5 });
    p.driveBounded(() => p.a.engine.isSessionUp(id));
    p.net.connect('b', 'a', { latencyMs: 10, lossRate: 1 }); // nothing from b arrives any more
    const inFlightBefore = p.a.engine.stats().channel.inFlight;
    let refused: unknown;
    let queued = 0;
    for (let i = 0; i < 200; i++) {
      try {
        p.run(p.a, (e, now) => e.setCircuitStatus(id, i % 2 === 0, now));
        queued++;
      } catch (err) {
        refused = err;
        break;
      }
    }
    expect(refused).toBeInstanceOf(ChannelError);
    expect((refused as ChannelError).code).toBe('L2TP_ERR_QUEUE_FULL');
    // The window took some; 4 × maxSessions + 64 wait for it.
    expect(queued).toBe(4 * 1 + 64 + p.a.engine.stats().channel.inFlight - inFlightBefore);
    expect(p.a.engine.stats().controlDropped).toBe(0);
    // The CDN of our call is never refused.
    expect(() => p.run(p.a, (e, now) => e.closeSession(id, now))).not.toThrow();
  });
});

describe('session-up tells the truth (issue #13, RFC 2661 §7.4.1)', () => {
  test('session-up waits while the ICCN is queued behind a full window, and never comes if it cannot leave', () => {
    // b's receive window 1: a has one message in flight at a time.
    const p = new EnginePair({ b: { receiveWindow: 1 } });
    p.establish();
    const s1 = p.openSession(p.a);
    const s2 = p.openSession(p.a); // ICRQ 2 waits for ICRQ 1's ack
    // ICRP 1 acks ICRQ 1: ICRQ 2 leaves first, then the ICCN of call 1 waits for ICRQ 2's ack.
    p.driveBounded(() => p.a.engine.sessionState(s1) === 'established', 200);
    expect(p.a.engine.isSessionUp(s1)).toBe(false);
    expect(p.a.eventsOf('session-up')).toHaveLength(0);
    expect(() => p.a.engine.sendFrame(s1, Uint8Array.of(0xc0, 0x21), p.now)).toThrow(
      /not established/,
    );
    // From now on nothing from b arrives: the ICCN never leaves, the tunnel times out.
    p.net.connect('b', 'a', { latencyMs: 10, lossRate: 1 });
    p.drive(120_000);
    expect(p.a.eventsOf('session-up')).toHaveLength(0);
    const downs = p.a.eventsOf('session-down').map((e) => e.value.sessionId);
    expect(downs.sort()).toEqual([s1, s2].sort());
    expect(p.a.eventsOf('tunnel-closed')[0]?.value.stopCcn).toBe('none');
  });

  fcTest.prop([fc.integer({ min: 1, max: 1000 }), fc.integer({ min: 1, max: 12 })], {
    numRuns: 25,
  })(
    'under loss and reordering, every session-up follows the first transmission of its ICCN/OCCN; every call ends up or down',
    (seed, calls) => {
      const p = new EnginePair({
        seed,
        b: { receiveWindow: 2 },
        a: { receiveWindow: 2 },
        link: { latencyMs: 10, jitterMs: 15, lossRate: 0.2, duplicateRate: 0.05 },
      });
      p.connect();
      const ids: number[] = [];
      for (let i = 0; i < calls; i++) ids.push(p.openSession(p.a));
      p.drive(200_000, 400_000);
      for (const node of [p.a]) {
        const firstConnect = new Map<number, number>(); // peer session id in header → seq
        for (const s of node.sent) {
          if (!isControl(s.bytes) || !ICCN_OR_OCCN.has(nameOf(s.bytes))) continue;
          const h = headerOf(s.bytes);
          if (!firstConnect.has(h.sessionId)) firstConnect.set(h.sessionId, s.seq);
        }
        for (const up of node.eventsOf('session-up')) {
          const at = firstConnect.get(up.value.peerSessionId);
          expect(at, `session ${up.value.sessionId} up before its ICCN left`).toBeDefined();
          expect(at as number).toBeLessThan(up.seq);
        }
      }
      // Every call ends up or down (down: the tunnel may have failed under this loss).
      const ended = new Set([
        ...p.a.eventsOf('session-up').map((e) => e.value.sessionId),
        ...p.a.eventsOf('session-down').map((e) => e.value.sessionId),
      ]);
      for (const id of ids) expect(ended.has(id), `call ${id} left hanging`).toBe(true);
      expect(p.a.engine.stats().controlDropped).toBe(0);
    },
  );
});

describe('close() says whether the peer was told (issue #13)', () => {
  test('acknowledged StopCCN', () => {
    const p = new EnginePair();
    p.establish();
    p.run(p.a, (e, now) => e.close(now));
    p.drive(60_000);
    expect(p.a.eventsOf('tunnel-closed')[0]?.value.stopCcn).toBe('acknowledged');
    expect(p.b.eventsOf('tunnel-closed')[0]?.value.stopCcn).toBe('none');
  });

  test('sent but never acknowledged', () => {
    const p = new EnginePair();
    p.establish();
    p.net.connect('b', 'a', { latencyMs: 10, lossRate: 1 });
    p.run(p.a, (e, now) => e.close(now));
    p.drive(60_000);
    expect(p.a.eventsOf('tunnel-closed')[0]?.value.stopCcn).toBe('unacknowledged');
  });

  test('never sent: the StopCCN waited behind an unacknowledged message until the hold gave up', () => {
    const p = new EnginePair({ b: { receiveWindow: 1 } });
    p.establish();
    p.net.connect('b', 'a', { latencyMs: 10, lossRate: 1 });
    p.openSession(p.a); // the ICRQ fills the window of 1 and is never acknowledged
    p.run(p.a, (e, now) => e.close(now));
    p.drive(60_000);
    expect(p.a.sent.filter((s) => isControl(s.bytes) && nameOf(s.bytes) === 'StopCCN')).toEqual([]);
    expect(p.a.eventsOf('tunnel-closed')[0]?.value.stopCcn).toBe('not-sent');
  });
});

describe('reorder deadlines in one heap (issue #13)', () => {
  fcTest.prop(
    [
      fc.integer({ min: 1, max: 10_000 }),
      fc.array(fc.tuple(fc.nat(9), fc.nat(3), fc.nat(120)), { minLength: 1, maxLength: 120 }),
    ],
    { numRuns: 40 },
  )('the heap agrees with a scan of every session after every step', (seed, steps) => {
    const p = new EnginePair({
      seed,
      a: { session: { sendSequenceNumbers: true } },
      b: { session: { requireSequenceNumbers: true, reorderTimeoutMs: 50 } },
      link: { latencyMs: 5, jitterMs: 40 },
    });
    p.establish();
    const ids: number[] = [];
    for (let i = 0; i < 10; i++) ids.push(p.openSession(p.a));
    p.driveBounded(() => p.b.eventsOf('session-up').length === 10, 2000);
    for (const [pick, burst, wait] of steps) {
      const id = ids[pick] as number;
      for (let k = 0; k <= burst; k++) {
        if (!p.a.engine.isSessionUp(id)) break;
        p.run(p.a, (e, now) => e.sendFrame(id, Uint8Array.of(0xc0, 0x21, k), now));
      }
      if (pick === 9 && p.b.engine.sessionIds().length > 1) {
        const victim = p.b.engine.sessionIds()[0] as number;
        p.run(p.b, (e, now) => e.closeSession(victim, now));
      }
      p.drive(wait, 10_000);
      p.b.engine.auditDeadlines();
      p.a.engine.auditDeadlines();
    }
  });
});

describe('a peer that makes us answer and acknowledges nothing (issue #13)', () => {
  test('loses the tunnel with StopCCN 2/4 once the queue bound is reached; memory stays bounded', () => {
    const p = new EnginePair({ b: { maxSessions: 2 } });
    p.establish();
    // From here a's engine is replaced by hand-made datagrams: stray ICRQs from "a" that b
    // must answer (ICRP, then CDN "session limit reached"), each acknowledging nothing of b's.
    p.b.outFilter = () => false;
    const tunnelId = p.b.engine.localTunnelId;
    const st = p.b.engine.stats().channel;
    let ns = st.nr;
    const nr = (st.nextNs - st.inFlight) & 0xffff; // acknowledges nothing new
    for (let i = 0; i < 200 && p.b.engine.state === 'established'; i++) {
      const icrq = build({ tunnelId, sessionId: 0, ns, nr }, {
        type: 'ICRQ',
        version: 2,
        assignedSessionId: 100 + i,
        callSerialNumber: i,
      } as never);
      p.b.perform(p.b.engine, p.b.engine.handleDatagram(icrq, p.now), p.now);
      ns = (ns + 1) & 0xffff;
    }
    expect(p.b.engine.state).toBe('closing');
    // Answers to 2 calls + 1 bare CDN in flight/queued up to the bound (4 × 2 + 64), then the
    // one that did not fit is counted and the tunnel cleared: StopCCN 2/4 is queued last.
    expect(p.b.engine.stats().controlDropped).toBe(1);
    const down = p.b.eventsOf('tunnel-down')[0]?.value.reason;
    expect(down).toMatchObject({ by: 'error', resultCode: 2, errorCode: 4 });
    // Whether the peer was told is reported at the end of the hold.
    p.drive(60_000);
    expect(p.b.eventsOf('tunnel-closed')[0]?.value.stopCcn).toBe('not-sent');
  });
});
