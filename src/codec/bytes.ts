/**
 * Big-endian integer reads and writes on plain Uint8Arrays, for the wire codecs.
 *
 * The hot paths (header, AVP walk) index Uint8Arrays directly: TOOLCHAIN.md measured that as
 * ~5× cheaper than building a DataView per datagram. These helpers do NOT bounds-check; callers
 * check the length first and throw DecodeError (see `need`), because an out-of-range index on a
 * Uint8Array reads `undefined` (→ 0 after `|`) and a write is silently dropped.
 * 32-bit reads use `* 0x1000000`, never `<< 24`, so ids ≥ 2^31 stay positive.
 */

import { DecodeError, UsageError } from '../errors.js';

/** Reads the octet at `i` (0 when out of range; check bounds first). */
export function readU8(bytes: Uint8Array, i: number): number {
  return (bytes[i] as number) | 0;
}

/** Reads a big-endian unsigned 16-bit value at `i`. */
export function readU16(bytes: Uint8Array, i: number): number {
  return ((bytes[i] as number) << 8) | (bytes[i + 1] as number);
}

/** Reads a big-endian unsigned 24-bit value at `i`. */
export function readU24(bytes: Uint8Array, i: number): number {
  return ((bytes[i] as number) << 16) | ((bytes[i + 1] as number) << 8) | (bytes[i + 2] as number);
}

/** Reads a big-endian unsigned 32-bit value at `i` (0 … 2^32 − 1, never negative). */
export function readU32(bytes: Uint8Array, i: number): number {
  return (
    (bytes[i] as number) * 0x1000000 +
    (((bytes[i + 1] as number) << 16) | ((bytes[i + 2] as number) << 8) | (bytes[i + 3] as number))
  );
}

/** Writes the low 16 bits of `value` big-endian at `i`. */
export function writeU16(target: Uint8Array, i: number, value: number): void {
  target[i] = value >>> 8;
  target[i + 1] = value;
}

/** Writes the low 24 bits of `value` big-endian at `i`. */
export function writeU24(target: Uint8Array, i: number, value: number): void {
  target[i] = value >>> 16;
  target[i + 1] = value >>> 8;
  target[i + 2] = value;
}

/** Writes `value` (0 … 2^32 − 1) big-endian at `i`. */
export function writeU32(target: Uint8Array, i: number, value: number): void {
  target[i] = value >>> 24;
  target[i + 1] = value >>> 16;
  target[i + 2] = value >>> 8;
  target[i + 3] = value;
}

/**
 * Throws DecodeError `L2TP_ERR_TRUNCATED` unless `bytes` holds at least `end` octets.
 * `what` names the field for the message; `offset` is where the missing field starts.
 */
export function need(bytes: Uint8Array, end: number, offset: number, what: string): void {
  if (end > bytes.length) {
    throw new DecodeError(
      'L2TP_ERR_TRUNCATED',
      `truncated ${what}: needs ${end} bytes, got ${bytes.length}`,
      { offset },
    );
  }
}

/**
 * Throws UsageError unless `target` has room for `length` octets at `offset`.
 * Encoders call it once up front: a Uint8Array silently drops out-of-range writes.
 */
export function needRoom(target: Uint8Array, offset: number, length: number, what: string): void {
  if (offset >>> 0 !== offset || offset + length > target.length) {
    throw new UsageError(
      `${what} needs ${length} bytes at offset ${offset}, buffer has ${target.length}`,
    );
  }
}

/** True when `value` is an integer in 0 … 65535 (false for fractions, NaN, negatives). */
export function isU16(value: number): boolean {
  return (value & 0xffff) === value;
}

/** True when `value` is an integer in 0 … 2^24 − 1. */
export function isU24(value: number): boolean {
  return (value & 0xffffff) === value;
}

/** True when `value` is an integer in 0 … 2^32 − 1. */
export function isU32(value: number): boolean {
  return value >>> 0 === value;
}
