// Tests for src/seq/reorder.ts. First the Linux kernel's data-sequencing test cases
// (katalix/l2tp-ktest seqnum.c, as described in STYLE.md §2.6) as named table rows with their
// counters, on an explicit clock instead of real sleeps; then the receive window, the expiry
// policies, the maxHeld bound, wrap-around at 65535 → 0 and 2^24 − 1 → 0, and properties.

import fc from 'fast-check';
import { afterAll, describe, expect, test } from 'vitest';
import { UsageError } from '../../src/errors.js';
import {
  type ExpiryPolicy,
  ReorderBuffer,
  type ReorderBufferOptions,
  type ReorderStats,
} from '../../src/seq/reorder.js';
import { type SerialBits, serialDistance, serialHalf } from '../../src/seq/serial.js';
import { SeededRandom, SimNetwork, type SimNode } from '../../src/testing/index.js';

/** A step: push `ns` at `at` ms, or run the host timer at `at` ms. */
type Step = { at: number; ns: number } | { at: number; tick: true };

interface KernelCase {
  readonly name: string;
  readonly options: ReorderBufferOptions;
  readonly steps: readonly Step[];
  readonly delivered: readonly number[];
  readonly counters: Partial<ReorderStats>;
}

function play(options: ReorderBufferOptions, steps: readonly Step[]) {
  const buf = new ReorderBuffer<number>(options);
  const delivered: number[] = [];
  for (const s of steps) {
    const out = 'ns' in s ? buf.push(s.ns, s.ns, s.at) : buf.handleTimeout(s.at);
    delivered.push(...out);
  }
  return { buf, delivered };
}

const pushes = (at: number, ...ns: number[]): Step[] => ns.map((n) => ({ at, ns: n }));

// Kernel defaults: window 32767 (v2), first packet sets the sequence, REORDERTO in ms.
const KERNEL_CASES: readonly KernelCase[] = [
  {
    name: 'queue mode: 0, 2, 1 → all three delivered, one out of sequence',
    options: { reorderTimeoutMs: 100 },
    steps: pushes(0, 0, 2, 1),
    delivered: [0, 1, 2],
    counters: { rxPackets: 3, rxOosPackets: 1, rxSeqDiscards: 0, rxErrors: 0 },
  },
  {
    name: 'queue mode: 0, 2, pause > REORDERTO, 3 → 2 expires and is discarded, 3 delivered',
    options: { reorderTimeoutMs: 100 },
    steps: [...pushes(0, 0, 2), { at: 110, ns: 3 }],
    delivered: [0, 3],
    counters: { rxPackets: 2, rxSeqDiscards: 1, rxErrors: 1, rxOosPackets: 0, rxExpired: 1 },
  },
  {
    name: 'queue mode, same with the host timer firing at the deadline (eager expiry)',
    options: { reorderTimeoutMs: 100 },
    steps: [...pushes(0, 0, 2), { at: 100, tick: true }, { at: 110, ns: 3 }],
    delivered: [0, 3],
    counters: { rxPackets: 2, rxSeqDiscards: 1, rxErrors: 1, rxExpired: 1 },
  },
  {
    name: 'no-queue mode: 0, 2, 1 → 0 and 1 delivered, 2 discarded',
    options: { reorderTimeoutMs: 0 },
    steps: pushes(0, 0, 2, 1),
    delivered: [0, 1],
    counters: { rxPackets: 2, rxSeqDiscards: 1, rxErrors: 1, rxOosPackets: 0 },
  },
  {
    name: 'no-queue mode: 0, 2 … 8 → five discards, then resync: 7 and 8 delivered',
    options: { reorderTimeoutMs: 0 },
    steps: pushes(0, 0, 2, 3, 4, 5, 6, 7, 8),
    delivered: [0, 7, 8],
    counters: { rxPackets: 3, rxSeqDiscards: 5, rxErrors: 5, rxResyncs: 1, expectedNs: 9 },
  },
];

describe('Linux kernel sequencing cases (l2tp-ktest seqnum.c)', () => {
  test.for(KERNEL_CASES)('$name', (c) => {
    const { buf, delivered } = play(c.options, c.steps);
    expect(delivered).toEqual(c.delivered);
    expect(buf.stats()).toMatchObject(c.counters);
  });
});

describe('receive window (kernel nr_window_size = half the space)', () => {
  // With expected Ns 0: v2 accepts 0…32766 and rejects 32767…65535; v3 accepts 0…8388606.
  test.for([
    { bits: 16, ns: 0, ok: true },
    { bits: 16, ns: 32766, ok: true },
    { bits: 16, ns: 32767, ok: false },
    { bits: 16, ns: 40000, ok: false },
    { bits: 16, ns: 65535, ok: false },
    { bits: 24, ns: 8388606, ok: true },
    { bits: 24, ns: 8388607, ok: false },
    { bits: 24, ns: 0xffffff, ok: false },
  ] as const)('$bits-bit, first Ns $ns accepted: $ok', ({ bits, ns, ok }) => {
    for (const reorderTimeoutMs of [0, 100]) {
      const buf = new ReorderBuffer<number>({ bits, reorderTimeoutMs });
      expect(buf.push(ns, ns, 0)).toEqual(ok ? [ns] : []);
      expect(buf.stats()).toMatchObject(
        ok ? { rxPackets: 1, rxErrors: 0 } : { rxPackets: 0, rxErrors: 1, rxOutsideWindow: 1 },
      );
    }
  });

  test('packets behind the expected Ns are discarded (late or duplicate)', () => {
    const { buf, delivered } = play({ reorderTimeoutMs: 100 }, pushes(0, 5, 6, 5, 4));
    expect(delivered).toEqual([5, 6]);
    expect(buf.stats()).toMatchObject({ rxOutsideWindow: 2, rxErrors: 2, rxSeqDiscards: 0 });
  });

  test('a custom window narrows acceptance', () => {
    const buf = new ReorderBuffer<number>({ reorderTimeoutMs: 100, windowSize: 4, initialNr: 0 });
    expect(buf.push(4, 4, 0)).toEqual([]);
    expect(buf.push(3, 3, 0)).toEqual([]);
    expect(buf.stats()).toMatchObject({ rxOutsideWindow: 1, held: 1 });
  });
});

describe('expiry policy', () => {
  test("'drop' (default): expired packets are discarded, the rest resynchronise", () => {
    // 2 waits for 1 and expires at 100; 4 (arrived at 50) is still fresh: the gap before it is
    // skipped and it is delivered. 3 then arrives behind the new sequence and is discarded.
    const { buf, delivered } = play({ reorderTimeoutMs: 100 }, [
      ...pushes(0, 0, 2),
      { at: 50, ns: 4 },
      { at: 100, tick: true },
      { at: 120, ns: 3 },
    ]);
    expect(delivered).toEqual([0, 4]);
    expect(buf.stats()).toMatchObject({ rxSeqDiscards: 1, rxExpired: 1, rxOutsideWindow: 1 });
  });

  test("'deliver': expired packets are delivered late, in order, skipping the gap", () => {
    const { buf, delivered } = play({ reorderTimeoutMs: 100, expiryPolicy: 'deliver' }, [
      ...pushes(0, 0, 2, 3),
      { at: 50, ns: 5 },
      { at: 100, tick: true },
    ]);
    expect(delivered).toEqual([0, 2, 3]);
    expect(buf.nextDeadline()).toBe(150); // 5 still waits for 4
    expect(buf.handleTimeout(150)).toEqual([5]);
    expect(buf.stats()).toMatchObject({ rxPackets: 4, rxExpired: 2, rxSeqDiscards: 0, held: 0 });
  });

  test('a gap filled at the very instant of expiry is delivered, not dropped', () => {
    const { delivered } = play({ reorderTimeoutMs: 100 }, [...pushes(0, 0, 2), { at: 100, ns: 1 }]);
    expect(delivered).toEqual([0, 1, 2]);
  });

  test('deadlines: arrival + REORDERTO, earliest first; early or repeated timers are harmless', () => {
    const buf = new ReorderBuffer<number>({ reorderTimeoutMs: 100, initialNr: 0 });
    buf.push(3, 3, 10);
    buf.push(2, 2, 20);
    expect(buf.nextDeadline()).toBe(110);
    expect(buf.handleTimeout(109)).toEqual([]);
    expect(buf.handleTimeout(110)).toEqual([2]); // 3 dropped; resync to 2 (still fresh)
    expect(buf.handleTimeout(110)).toEqual([]);
    expect(buf.nextDeadline()).toBeUndefined();
  });
});

describe('bounds', () => {
  test('at maxHeld the first gap is skipped early: held never exceeds the bound', () => {
    const buf = new ReorderBuffer<number>({ reorderTimeoutMs: 1000, maxHeld: 3, initialNr: 0 });
    const got: number[] = [];
    for (const ns of [0, 2, 3, 4]) got.push(...buf.push(ns, ns, 0));
    expect(got).toEqual([0]);
    expect(buf.heldCount).toBe(3);
    got.push(...buf.push(6, 6, 1)); // a 4th held packet: skip the gap at 1
    expect(got).toEqual([0, 2, 3, 4]);
    expect(buf.stats()).toMatchObject({ held: 1, heldHighWater: 3, rxOverflowSkips: 1 });
    expect(buf.push(1, 1, 2)).toEqual([]); // the skipped packet, late: discarded
    expect(buf.push(5, 5, 3)).toEqual([5, 6]);
  });

  test('duplicates of a held packet are discarded and counted', () => {
    const { buf } = play({ reorderTimeoutMs: 100, initialNr: 0 }, pushes(0, 2, 2));
    expect(buf.stats()).toMatchObject({ held: 1, rxDuplicates: 1, rxSeqDiscards: 1 });
  });

  test('flush delivers everything held in order and empties the buffer', () => {
    const { buf } = play({ reorderTimeoutMs: 100, initialNr: 0 }, pushes(0, 5, 2, 9));
    expect(buf.flush()).toEqual([2, 5, 9]);
    expect(buf.heldCount).toBe(0);
    expect(buf.nextDeadline()).toBeUndefined();
  });
});

describe('wrap-around (the kernel compares Ns numerically here; we do not)', () => {
  test.for([
    { bits: 16 as SerialBits, start: 65534 },
    { bits: 24 as SerialBits, start: 0xfffffe },
  ])('$bits-bit: reordered packets across the wrap are delivered in order', ({ bits, start }) => {
    const max = bits === 16 ? 0xffff : 0xffffff;
    const seq = [start, (start + 2) & max, (start + 1) & max, (start + 3) & max];
    // initialNr: with the kernel default (expected 0) a first Ns just below the wrap would be
    // outside the window, as the window table above shows.
    const opts = { bits, reorderTimeoutMs: 100, initialNr: start };
    const { buf, delivered } = play(opts, pushes(0, ...seq));
    expect(delivered).toEqual([start, max, 0, 1]);
    // max arrived after 0 was held: one out-of-sequence packet (numerically it is larger).
    expect(buf.stats()).toMatchObject({ rxOosPackets: 1, expectedNs: 2, held: 0 });
  });

  test('no-queue mode across the wrap', () => {
    const { delivered } = play(
      { reorderTimeoutMs: 0, initialNr: 65535 },
      pushes(0, 65535, 0, 2, 1),
    );
    expect(delivered).toEqual([65535, 0, 1]);
  });
});

describe('options', () => {
  test.for<[string, ReorderBufferOptions]>([
    ['bits', { bits: 32 as SerialBits }],
    ['negative timeout', { reorderTimeoutMs: -1 }],
    ['zero maxHeld', { maxHeld: 0 }],
    ['window beyond half', { windowSize: 32768 }],
    ['policy', { expiryPolicy: 'later' as ExpiryPolicy }],
    ['initialNr', { initialNr: 65536 }],
  ])('%s → UsageError', ([, o]) => {
    expect(() => new ReorderBuffer(o)).toThrow(UsageError);
  });
  test('bad ns is a host error', () => {
    const buf = new ReorderBuffer<number>({ bits: 16 });
    expect(() => buf.push(65536, 0, 0)).toThrow(UsageError);
    expect(() => buf.push(1.5, 0, 0)).toThrow(UsageError);
  });
});

// ---------------------------------------------------------------------------------------------

const worst = { permutationRuns: 0, hostileRuns: 0, maxHeld: 0, maxWaitMs: 0 };
afterAll(() => {
  console.log(`reorder-buffer property worst case: ${JSON.stringify(worst)}`);
});

describe('properties', () => {
  test('any permutation within the window, no loss: every frame exactly once, in order', () => {
    fc.assert(
      fc.property(
        fc.constantFrom<SerialBits>(16, 24),
        fc.oneof(fc.nat(), fc.integer({ min: -8, max: -1 })),
        fc.integer({ min: 1, max: 200 }),
        fc.integer({ min: 1, max: 16 }),
        fc.constantFrom<ExpiryPolicy>('drop', 'deliver'),
        fc.integer(),
        (bits, startRaw, n, maxHeld, expiryPolicy, seed) => {
          const max = bits === 16 ? 0xffff : 0xffffff;
          const start = startRaw & max; // negative → just below the wrap
          const order = chunkShuffle(n, maxHeld + 1, new SeededRandom(seed));
          const buf = new ReorderBuffer<number>({
            bits,
            reorderTimeoutMs: 1000,
            maxHeld,
            expiryPolicy,
            initialNr: start,
          });
          const got: number[] = [];
          order.forEach((i, t) => {
            got.push(...buf.push((start + i) & max, i, t));
          });
          expect(got).toEqual(Array.from({ length: n }, (_, i) => i));
          expect(buf.stats()).toMatchObject({ held: 0, rxErrors: 0, rxOverflowSkips: 0 });
          worst.permutationRuns++;
          worst.maxHeld = Math.max(worst.maxHeld, buf.stats().heldHighWater);
        },
      ),
      { seed: 42, numRuns: 1000 },
    );
  });

  test('hostile link: at most once, increasing, nothing held past arrival + REORDERTO', () => {
    fc.assert(
      fc.property(
        fc.record({
          seed: fc.integer(),
          bits: fc.constantFrom<SerialBits>(16, 24),
          startRaw: fc.oneof(fc.nat(), fc.integer({ min: -40, max: -1 })),
          knownStart: fc.boolean(),
          n: fc.integer({ min: 1, max: 150 }),
          intervalMs: fc.integer({ min: 0, max: 20 }),
          reorderTimeoutMs: fc.oneof(fc.constant(0), fc.integer({ min: 1, max: 300 })),
          maxHeld: fc.integer({ min: 1, max: 32 }),
          expiryPolicy: fc.constantFrom<ExpiryPolicy>('drop', 'deliver'),
          lossRate: fc.double({ min: 0, max: 0.3, noNaN: true }),
          duplicateRate: fc.double({ min: 0, max: 0.1, noNaN: true }),
          reorderRate: fc.double({ min: 0, max: 0.5, noNaN: true }),
          jitterMs: fc.integer({ min: 0, max: 100 }),
        }),
        (p) => {
          const max = p.bits === 16 ? 0xffff : 0xffffff;
          const start = p.startRaw & max;
          const net = new SimNetwork<Frame>({ seed: p.seed });
          const rx = new ReorderNode(
            new ReorderBuffer<Frame>({
              bits: p.bits,
              reorderTimeoutMs: p.reorderTimeoutMs,
              maxHeld: p.maxHeld,
              expiryPolicy: p.expiryPolicy,
              initialNr: p.knownStart ? start : undefined,
            }),
            p.reorderTimeoutMs,
          );
          net.addNode(rx);
          net.connect('tx', 'rx', {
            latencyMs: 5,
            jitterMs: p.jitterMs,
            lossRate: p.lossRate,
            duplicateRate: p.duplicateRate,
            reorderRate: p.reorderRate,
            reorderDelayMs: 200,
          });
          for (let i = 0; i < p.n; i++) {
            net.schedule(i * p.intervalMs, () =>
              net.transmit('tx', 'rx', { ns: (start + i) & max, id: i, arrivedAt: -1 }),
            );
          }
          expect(net.run({ maxSteps: 10_000 }).reason).toBe('idle');
          // At most once, and strictly increasing in sequence space.
          const ids = rx.delivered.map((f) => f.id);
          expect(new Set(ids).size).toBe(ids.length);
          for (let i = 1; i < ids.length; i++) {
            const d = serialDistance(
              rx.delivered[i - 1]?.ns ?? 0,
              rx.delivered[i]?.ns ?? 0,
              p.bits,
            );
            expect(d).toBeGreaterThanOrEqual(1);
            expect(d).toBeLessThanOrEqual(serialHalf(p.bits));
          }
          // Every frame accounted for, nothing left held.
          const st = rx.buffer.stats();
          expect(st.held).toBe(0);
          expect(st.rxPackets + st.rxErrors).toBe(rx.pushed);
          expect(st.heldHighWater).toBeLessThanOrEqual(p.maxHeld);
          worst.hostileRuns++;
          worst.maxHeld = Math.max(worst.maxHeld, st.heldHighWater);
          worst.maxWaitMs = Math.max(worst.maxWaitMs, rx.maxWaitMs);
        },
      ),
      { seed: 7, numRuns: 1500 },
    );
  });
});

interface Frame {
  readonly ns: number;
  readonly id: number;
  arrivedAt: number;
}

/** Receiver node: pushes arrivals into the buffer and runs its timer; checks the hold bound. */
class ReorderNode implements SimNode<Frame> {
  readonly id = 'rx';
  readonly delivered: Frame[] = [];
  pushed = 0;
  maxWaitMs = 0;
  readonly buffer: ReorderBuffer<Frame>;
  readonly #timeoutMs: number;
  constructor(buffer: ReorderBuffer<Frame>, timeoutMs: number) {
    this.buffer = buffer;
    this.#timeoutMs = timeoutMs;
  }
  nextDeadline(): number | undefined {
    return this.buffer.nextDeadline();
  }
  handleTimeout(now: number): void {
    this.#take(this.buffer.handleTimeout(now), now);
    // After the timer ran, nothing held is due: no frame is held past arrival + REORDERTO.
    const next = this.buffer.nextDeadline();
    if (next !== undefined) expect(next).toBeGreaterThan(now);
  }
  receive(_from: string, packet: Frame, now: number): void {
    this.pushed++;
    // Duplicated packets share one object; record a per-arrival copy.
    const f: Frame = { ns: packet.ns, id: packet.id, arrivedAt: now };
    this.#take(this.buffer.push(f.ns, f, now), now);
  }
  #take(frames: readonly Frame[], now: number): void {
    for (const f of frames) {
      const wait = now - f.arrivedAt;
      expect(wait).toBeLessThanOrEqual(this.#timeoutMs);
      this.maxWaitMs = Math.max(this.maxWaitMs, wait);
      this.delivered.push(f);
    }
  }
}

/** 0…n−1 shuffled within consecutive chunks of `size`: displacement stays below `size`. */
function chunkShuffle(n: number, size: number, r: SeededRandom): number[] {
  const out: number[] = [];
  for (let base = 0; base < n; base += size) {
    const chunk: number[] = [];
    for (let i = base; i < Math.min(base + size, n); i++) chunk.push(i);
    for (let i = chunk.length - 1; i > 0; i--) {
      const j = r.int(i + 1);
      [chunk[i], chunk[j]] = [chunk[j] as number, chunk[i] as number];
    }
    out.push(...chunk);
  }
  return out;
}
