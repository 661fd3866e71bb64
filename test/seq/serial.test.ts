// Tests for src/seq/serial.ts: the RFC 2661 §5.8 example, the 32767/32768 boundary, 24-bit
// (RFC 3931 §4.6) boundaries, wrap-around, and properties against a naive model.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  isSerial,
  type SerialBits,
  serialAdd,
  serialCompare,
  serialDistance,
  serialGreaterThan,
  serialLessOrEqual,
  serialLessThan,
  serialNext,
} from '../../src/seq/serial.js';

describe('RFC 2661 §5.8 example: last received 15', () => {
  // "messages with sequence numbers 0 through 15, as well as 32784 through 65535, would be
  // considered less than or equal."
  test.for([
    [0, true],
    [15, true],
    [16, false],
    [32783, false],
    [32784, true],
    [65535, true],
  ] as const)('%i ≤ 15 is %s', ([a, want]) => {
    expect(serialLessOrEqual(a, 15, 16)).toBe(want);
  });
});

describe('16-bit boundary cases', () => {
  test.for([
    // a, b, a<b, a<=b, a>b
    { a: 0, b: 32767, lt: true, le: true, gt: false },
    // The antipode is never "preceding": 32768 away counts as ahead, in both directions.
    { a: 0, b: 32768, lt: false, le: false, gt: true },
    { a: 32768, b: 0, lt: false, le: false, gt: true },
    { a: 32769, b: 0, lt: true, le: true, gt: false },
    { a: 65535, b: 0, lt: true, le: true, gt: false }, // wrap
    { a: 0, b: 65535, lt: false, le: false, gt: true },
    { a: 7, b: 7, lt: false, le: true, gt: false },
  ])('$a vs $b', ({ a, b, lt, le, gt }) => {
    expect(serialLessThan(a, b, 16)).toBe(lt);
    expect(serialLessOrEqual(a, b, 16)).toBe(le);
    expect(serialGreaterThan(a, b, 16)).toBe(gt);
  });
});

describe('24-bit boundary cases (RFC 3931 §4.6: preceding 2^23 − 1 values)', () => {
  test.for([
    { a: 0, b: 0x7fffff, lt: true },
    { a: 0, b: 0x800000, lt: false },
    { a: 0xffffff, b: 0, lt: true },
    { a: 0, b: 0xffffff, lt: false },
  ])('$a < $b is $lt', ({ a, b, lt }) => {
    expect(serialLessThan(a, b, 24)).toBe(lt);
  });
});

describe('wrap-around', () => {
  test('next wraps 65535 → 0 and 2^24 − 1 → 0', () => {
    expect(serialNext(65535, 16)).toBe(0);
    expect(serialNext(0xffffff, 24)).toBe(0);
    expect(serialNext(41, 16)).toBe(42);
  });
  test('add and distance across the wrap', () => {
    expect(serialAdd(65530, 10, 16)).toBe(4);
    expect(serialAdd(3, -5, 16)).toBe(65534);
    expect(serialAdd(0xfffffe, 3, 24)).toBe(1);
    expect(serialDistance(65530, 4, 16)).toBe(10);
    expect(serialDistance(0xfffffe, 1, 24)).toBe(3);
  });
  test('isSerial', () => {
    expect(isSerial(65535, 16)).toBe(true);
    expect(isSerial(65536, 16)).toBe(false);
    expect(isSerial(0xffffff, 24)).toBe(true);
    expect(isSerial(-1, 24)).toBe(false);
    expect(isSerial(1.5, 16)).toBe(false);
  });
});

describe('properties against a naive model', () => {
  const bitsArb = fc.constantFrom<SerialBits>(16, 24);
  test('a < b exactly when b is 1…half ahead of a (counted by stepping)', () => {
    fc.assert(
      fc.property(bitsArb, fc.nat(), fc.integer({ min: 0, max: (1 << 24) - 1 }), (bits, x, k) => {
        const size = 2 ** bits;
        const a = x % size;
        const steps = k % size;
        const b = (a + steps) % size;
        const half = size / 2 - 1;
        expect(serialLessThan(a, b, bits)).toBe(steps >= 1 && steps <= half);
        expect(serialDistance(a, b, bits)).toBe(steps);
        expect(serialAdd(a, steps, bits)).toBe(b);
      }),
      { seed: 1, numRuns: 2000 },
    );
  });
  test('compare is antisymmetric within half a space', () => {
    fc.assert(
      fc.property(bitsArb, fc.nat(), fc.nat(), (bits, x, d) => {
        const size = 2 ** bits;
        const a = x % size;
        const b = serialAdd(a, d % (size / 2), bits);
        expect(serialCompare(a, b, bits)).toBe(-serialCompare(b, a, bits) || 0);
      }),
      { seed: 2, numRuns: 2000 },
    );
  });
});
