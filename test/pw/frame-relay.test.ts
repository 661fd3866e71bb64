// Frame Relay framing (src/pw/frame-relay.ts): the Q.922 address field of RFC 4591 §4.1 carried
// in the payload, 2- and 4-octet forms, bit by bit from the RFC figures; errors; properties.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DecodeError, UsageError } from '../../src/errors.js';
import { decodeFrameRelay, encodeFrameRelay, type FrAddress } from '../../src/pw/frame-relay.js';
import { hex } from '../helpers/hex.js';

function concat(chunks: readonly Uint8Array[]): Uint8Array {
  const out = new Uint8Array(chunks.reduce((n, c) => n + c.length, 0));
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

describe('two-octet header', () => {
  // DLCI 1000 = 0b111110_1000: hi dlci 111110, lo dlci 1000.
  test('golden: DLCI 1000, C/R, BECN', () => {
    const bytes = hex`
      fa     // 111110 C=1 EA=0
      85     // 1000 F=0 B=1 D=0 EA=1
      03 cc  // Q.933 UI + NLPID (payload)`;
    const f = decodeFrameRelay(bytes);
    expect(f).toMatchObject({ dlci: 1000, cr: true, fecn: false, becn: true, de: false });
    expect(f.headerLength).toBe(2);
    expect(Array.from(f.payload)).toEqual([0x03, 0xcc]);
    expect(f.payload.byteOffset).toBe(2);
    const chunks = encodeFrameRelay(f, f.payload);
    expect(concat(chunks)).toEqual(bytes);
    expect(chunks[1]).toBe(f.payload);
  });

  test('golden: DLCI 16, FECN and DE', () => {
    const f = decodeFrameRelay(hex`04 0b`); // 000001 0 0 | 0000 1 0 1 1
    expect(f).toMatchObject({ dlci: 16, cr: false, fecn: true, becn: false, de: true });
    expect(f.payload.length).toBe(0);
  });
});

describe('four-octet header', () => {
  // DLCI 0x5a5a5a & 0x7fffff = 0b101101_0010_1101001_011010 (6+4+7+6 bits).
  test('golden: 23-bit DLCI with every flag', () => {
    const bytes = hex`
      b6   // 101101 C=1 EA=0
      2e   // 0010 F=1 B=1 D=1 EA=0
      d2   // 1101001 EA=0
      69   // 011010 D/C=0 EA=1
      99`;
    const f = decodeFrameRelay(bytes, 4);
    expect(f).toMatchObject({
      dlci: 0b10110100101101001011010,
      cr: true,
      fecn: true,
      becn: true,
      de: true,
    });
    expect(Array.from(f.header)).toEqual([0xb6, 0x2e, 0xd2, 0x69]);
    expect(concat(encodeFrameRelay(f, f.payload, 4))).toEqual(bytes);
  });
});

describe('errors', () => {
  const code = (c: string, offset?: number) =>
    expect.objectContaining(offset === undefined ? { code: c } : { code: c, offset });
  test('truncated and bad EA / D/C bits', () => {
    expect(() => decodeFrameRelay(hex`04`)).toThrow(code('L2TP_ERR_TRUNCATED'));
    expect(() => decodeFrameRelay(hex`04 01 00`, 4)).toThrow(code('L2TP_ERR_TRUNCATED'));
    expect(() => decodeFrameRelay(hex`05 01`)).toThrow(code('L2TP_ERR_BAD_HEADER', 0));
    expect(() => decodeFrameRelay(hex`04 00`)).toThrow(code('L2TP_ERR_BAD_HEADER', 1));
    // a 4-octet header read as 2 octets: second octet has EA=0
    expect(() => decodeFrameRelay(hex`b6 2e d2 69`)).toThrow(code('L2TP_ERR_BAD_HEADER', 1));
    expect(() => decodeFrameRelay(hex`04 01 00 01`, 4)).toThrow(code('L2TP_ERR_BAD_HEADER', 1));
    expect(() => decodeFrameRelay(hex`04 00 01 01`, 4)).toThrow(code('L2TP_ERR_BAD_HEADER', 2));
    expect(() => decodeFrameRelay(hex`04 00 00 00`, 4)).toThrow(code('L2TP_ERR_BAD_HEADER', 3));
    expect(() => decodeFrameRelay(hex`04 00 00 03`, 4)).toThrow(code('L2TP_ERR_BAD_HEADER', 3));
  });
  test('encode refuses DLCIs that do not fit', () => {
    const a = { cr: false, fecn: false, becn: false, de: false };
    expect(() => encodeFrameRelay({ ...a, dlci: 1024 }, new Uint8Array(0))).toThrow(UsageError);
    expect(() => encodeFrameRelay({ ...a, dlci: 2 ** 23 }, new Uint8Array(0), 4)).toThrow(
      UsageError,
    );
    expect(() => encodeFrameRelay({ ...a, dlci: -1 }, new Uint8Array(0))).toThrow(UsageError);
  });
});

describe('properties', () => {
  const address = (bits: number): fc.Arbitrary<FrAddress> =>
    fc.record({
      dlci: fc.integer({ min: 0, max: 2 ** bits - 1 }),
      cr: fc.boolean(),
      fecn: fc.boolean(),
      becn: fc.boolean(),
      de: fc.boolean(),
    });
  test('round trip, both header lengths', () => {
    for (const [len, bits] of [
      [2, 10],
      [4, 23],
    ] as const) {
      fc.assert(
        fc.property(address(bits), fc.uint8Array({ maxLength: 16 }), (a, body) => {
          const f = decodeFrameRelay(concat(encodeFrameRelay(a, body, len)), len);
          expect({ dlci: f.dlci, cr: f.cr, fecn: f.fecn, becn: f.becn, de: f.de }).toEqual(a);
          expect(f.payload).toEqual(body);
        }),
        { numRuns: 200 },
      );
    }
  });
  test('totality', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 6 }),
        fc.constantFrom(2 as const, 4 as const),
        (b, len) => {
          try {
            decodeFrameRelay(b, len);
          } catch (e) {
            expect(e).toBeInstanceOf(DecodeError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
