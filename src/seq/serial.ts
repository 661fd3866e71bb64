/**
 * Serial-number arithmetic for the two sequence spaces L2TP uses: 16-bit control Ns/Nr and v2 data
 * Ns (RFC 2661 §5.8, §5.4), and the 24-bit Sequence Number of the v3 Default L2-Specific Sublayer
 * (RFC 3931 §4.6). Every comparison is modular: "a ≤ b" means a lies in b and the 2^(bits-1) − 1
 * values before it (RFC 2661 §5.8 "the preceding 32767 values"; RFC 3931 §4.6 "(2^23-1)").
 * Pure functions of numbers; nothing here knows about messages, windows or time.
 */

/** Width of a sequence-number space in bits: 16 for control and v2 data, 24 for the v3 L2SS. */
export type SerialBits = 16 | 24;

/** Largest value of a space: 65535 for 16 bits, 16777215 for 24 bits. */
export function serialMax(bits: SerialBits): number {
  return bits === 16 ? 0xffff : 0xffffff;
}

/** Half the space minus one: how far back "preceding" reaches (32767 or 8388607). */
export function serialHalf(bits: SerialBits): number {
  return bits === 16 ? 0x7fff : 0x7fffff;
}

/** True when `n` is an integer in 0…2^bits − 1. */
export function isSerial(n: number, bits: SerialBits): boolean {
  return Number.isInteger(n) && n >= 0 && n <= serialMax(bits);
}

/** `a + n` modulo 2^bits. `n` may be negative; the result is always in 0…2^bits − 1. */
export function serialAdd(a: number, n: number, bits: SerialBits): number {
  const size = bits === 16 ? 0x10000 : 0x1000000;
  const r = (a + n) % size;
  return r < 0 ? r + size : r;
}

/** The value after `a`, wrapping 2^bits − 1 → 0. */
export function serialNext(a: number, bits: SerialBits): number {
  return (a + 1) & serialMax(bits);
}

/**
 * Forward distance from `from` to `to`: how many increments take `from` to `to`, in 0…2^bits − 1.
 * Exact for 24-bit values because the mask is applied to a value well below 2^31.
 */
export function serialDistance(from: number, to: number, bits: SerialBits): number {
  return (to - from) & serialMax(bits);
}

/**
 * RFC 2661 §5.8: `a` is "less than or equal to" `b` when it lies in `b` and the preceding
 * 2^(bits-1) − 1 values, inclusive (for 16 bits: b − 32767 … b).
 */
export function serialLessOrEqual(a: number, b: number, bits: SerialBits): boolean {
  return serialDistance(a, b, bits) <= serialHalf(bits);
}

/** Strictly before `b` in the sense of {@link serialLessOrEqual} (b − 32767 … b − 1 for 16 bits). */
export function serialLessThan(a: number, b: number, bits: SerialBits): boolean {
  const d = serialDistance(a, b, bits);
  return d !== 0 && d <= serialHalf(bits);
}

/** Strictly after `b`: the complement of {@link serialLessOrEqual} (b + 1 … b + 2^(bits-1)). */
export function serialGreaterThan(a: number, b: number, bits: SerialBits): boolean {
  return !serialLessOrEqual(a, b, bits);
}

/**
 * Three-way comparison consistent with {@link serialLessThan}: −1 when a is before b, 0 when equal,
 * 1 when after. Not a total order over the whole space (it cannot be); only use it on values known
 * to lie within half a space of each other.
 */
export function serialCompare(a: number, b: number, bits: SerialBits): -1 | 0 | 1 {
  if (a === b) return 0;
  return serialLessThan(a, b, bits) ? -1 : 1;
}
