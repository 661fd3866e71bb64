/**
 * Raw AVP layer (src/avp/raw.ts): golden bytes from the RFC 2661 §4.1 layout, error offsets,
 * lossless round trips and totality properties, and a differential check against the
 * binary-parser oracle in test/oracle.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  AVP_MAX_VALUE_LENGTH,
  avpsLength,
  decodeAvps,
  encodeAvps,
  findAvp,
  messageTypeOf,
  type RawAvp,
} from '../../src/avp/raw.js';
import { DecodeError, L2tpError, UsageError } from '../../src/errors.js';
import { hex } from '../helpers/hex.js';
import { type OracleAvp, oracleAvpHeader, oracleAvps } from '../oracle/binary-parser.js';

// Hand-built from the RFC 2661 §4.1 layout: |M|H|rsvd(4)|Length(10)|Vendor ID|Attribute Type|value
const GOLDEN = hex`
  8008 0000 0000 0001              // M=1 len=8  IETF  type 0 Message Type = 1 (SCCRQ)
  8008 0000 0002 0100              // M=1 len=8  IETF  type 2 Protocol Version 1.0
  c00c 0000 000b 5a5a5a5a5a5a      // M=1 H=1 len=12 IETF type 11 Challenge (6 bytes ciphertext)
  1408 0009 0001 beef              // M=0 rsvd=0101 len=8 Cisco(9) type 1
  0006 0de9 0002                   // M=0 len=6 BBF(3561) type 2, empty value
  800a 118b 0102 01020304          // M=1 len=10 CableLabs(4491) type 258
`;

function withHeaderBytes(): Uint8Array {
  // The same AVPs preceded by a 12-byte control header and followed by 3 trailing bytes, to
  // check that start/end and offsets are absolute indexes into the buffer.
  const buf = new Uint8Array(12 + GOLDEN.length + 3).fill(0xee);
  buf.set(GOLDEN, 12);
  return buf;
}

describe('decodeAvps golden', () => {
  it('reads every header field and keeps value views', () => {
    const avps = decodeAvps(GOLDEN);
    expect(avps).toEqual([
      { mandatory: true, hidden: false, vendorId: 0, attributeType: 0, value: hex`0001` },
      { mandatory: true, hidden: false, vendorId: 0, attributeType: 2, value: hex`0100` },
      {
        mandatory: true,
        hidden: true,
        vendorId: 0,
        attributeType: 11,
        value: hex`5a5a5a5a5a5a`,
      },
      {
        mandatory: false,
        hidden: false,
        vendorId: 9,
        attributeType: 1,
        value: hex`beef`,
        reserved: 0b0101,
      },
      { mandatory: false, hidden: false, vendorId: 3561, attributeType: 2, value: hex`` },
      {
        mandatory: true,
        hidden: false,
        vendorId: 4491,
        attributeType: 258,
        value: hex`01020304`,
      },
    ]);
    // Zero-copy: the value is a view into the input.
    const first = avps[0] as RawAvp;
    expect(first.value.buffer).toBe(GOLDEN.buffer);
    expect(first.value.byteOffset).toBe(GOLDEN.byteOffset + 6);
    expect(encodeAvps(avps)).toEqual(GOLDEN);
  });

  it('honours start and end inside a larger buffer', () => {
    const buf = withHeaderBytes();
    const avps = decodeAvps(buf, 12, 12 + GOLDEN.length);
    expect(avps).toHaveLength(6);
    expect(encodeAvps(avps)).toEqual(GOLDEN);
    expect(decodeAvps(buf, 12, 12)).toEqual([]);
  });

  it('reads the two high Length bits (Length 0x105 = 261)', () => {
    const bytes = new Uint8Array(261);
    bytes.set(hex`8105 0000 0020`);
    for (let i = 6; i < 261; i++) bytes[i] = i & 0xff;
    const [avp] = decodeAvps(bytes);
    expect(avp?.value.length).toBe(255);
    expect(avp?.attributeType).toBe(32);
    expect(encodeAvps(decodeAvps(bytes))).toEqual(bytes);
  });
});

describe('decodeAvps errors', () => {
  const codeOf = (f: () => unknown): L2tpError => {
    try {
      f();
    } catch (e) {
      if (e instanceof L2tpError) return e;
      throw e;
    }
    throw new Error('did not throw');
  };

  it('Length below 6 is L2TP_ERR_BAD_AVP_LENGTH at the AVP offset', () => {
    const buf = withHeaderBytes();
    // Second AVP (at 12 + 8 = 20): Length 8 -> 5.
    buf[21] = 5;
    const e = codeOf(() => decodeAvps(buf, 12, 12 + GOLDEN.length));
    expect(e).toBeInstanceOf(DecodeError);
    expect(e.code).toBe('L2TP_ERR_BAD_AVP_LENGTH');
    expect(e.offset).toBe(20);
    expect(e.attributeType).toBe(2);
    expect(e.vendorId).toBe(0);
  });

  it('Length 0 does not loop', () => {
    const e = codeOf(() => decodeAvps(hex`0000 0000 0000`));
    expect(e.code).toBe('L2TP_ERR_BAD_AVP_LENGTH');
    expect(e.offset).toBe(0);
  });

  it('Length past end is L2TP_ERR_BAD_AVP_LENGTH, even when bytes follow end', () => {
    const buf = withHeaderBytes();
    const lastAt = 12 + GOLDEN.length - 10;
    buf[lastAt + 1] = 11; // 1 byte too long: would read a trailing 0xee
    const e = codeOf(() => decodeAvps(buf, 12, 12 + GOLDEN.length));
    expect(e).toBeInstanceOf(DecodeError);
    expect(e.code).toBe('L2TP_ERR_BAD_AVP_LENGTH');
    expect(e.offset).toBe(lastAt);
    expect(e.vendorId).toBe(4491);
  });

  it('fewer than 6 trailing bytes are L2TP_ERR_TRUNCATED', () => {
    for (let cut = 1; cut < 6; cut++) {
      const e = codeOf(() => decodeAvps(GOLDEN.subarray(0, 8 + cut)));
      expect(e).toBeInstanceOf(DecodeError);
      expect(e.code).toBe('L2TP_ERR_TRUNCATED');
      expect(e.offset).toBe(8);
    }
  });

  it('a bad range is a UsageError', () => {
    expect(() => decodeAvps(GOLDEN, 5, 4)).toThrow(UsageError);
    expect(() => decodeAvps(GOLDEN, 0, GOLDEN.length + 1)).toThrow(UsageError);
    expect(() => decodeAvps(GOLDEN, -1)).toThrow(UsageError);
  });
});

describe('encodeAvps', () => {
  const avp = (value: Uint8Array, extra: Partial<RawAvp> = {}): RawAvp => ({
    mandatory: false,
    hidden: false,
    vendorId: 0,
    attributeType: 8,
    value,
    ...extra,
  });

  it('writes into a target at an offset and leaves the rest untouched', () => {
    const avps = decodeAvps(GOLDEN);
    const target = new Uint8Array(GOLDEN.length + 20).fill(0xa5);
    const written = encodeAvps(avps, target, 7);
    expect(written.buffer).toBe(target.buffer);
    expect(written.byteOffset).toBe(7);
    expect(written).toEqual(GOLDEN);
    expect(target.subarray(0, 7).every((b) => b === 0xa5)).toBe(true);
    expect(target.subarray(7 + GOLDEN.length).every((b) => b === 0xa5)).toBe(true);
    expect(avpsLength(avps)).toBe(GOLDEN.length);
  });

  it('accepts a 1017-byte value (Length 1023) and refuses 1018', () => {
    const max = encodeAvps([avp(new Uint8Array(AVP_MAX_VALUE_LENGTH))]);
    expect(Array.from(max.subarray(0, 2))).toEqual([0x03, 0xff]);
    expect(() => encodeAvps([avp(new Uint8Array(AVP_MAX_VALUE_LENGTH + 1))])).toThrow(UsageError);
  });

  it('refuses out-of-range fields and a small target', () => {
    expect(() => encodeAvps([avp(hex`00`, { vendorId: 0x10000 })])).toThrow(UsageError);
    expect(() => encodeAvps([avp(hex`00`, { attributeType: -1 })])).toThrow(UsageError);
    expect(() => encodeAvps([avp(hex`00`, { attributeType: 1.5 })])).toThrow(UsageError);
    expect(() => encodeAvps([avp(hex`00`, { reserved: 16 })])).toThrow(UsageError);
    expect(() => encodeAvps([avp(hex`0000`)], new Uint8Array(8), 1)).toThrow(UsageError);
  });
});

describe('findAvp', () => {
  it('matches type and vendor, IETF by default', () => {
    const avps = decodeAvps(GOLDEN);
    expect(findAvp(avps, 2)?.value).toEqual(hex`0100`);
    expect(findAvp(avps, 1)).toBeUndefined(); // type 1 exists only under Cisco
    expect(findAvp(avps, 1, 9)?.value).toEqual(hex`beef`);
    expect(findAvp(avps, 2, 3561)?.value.length).toBe(0);
  });
});

// Raw arbitraries: IETF, unknown IETF, the vendors seen in the field, hidden, reserved bits.
const vendorArb = fc.oneof(
  fc.constantFrom(0, 9, 3561, 193, 4491),
  fc.integer({ min: 0, max: 0xffff }),
);
const rawAvpArb: fc.Arbitrary<RawAvp> = fc
  .record({
    mandatory: fc.boolean(),
    hidden: fc.boolean(),
    vendorId: vendorArb,
    attributeType: fc.oneof(fc.integer({ min: 0, max: 101 }), fc.integer({ min: 0, max: 0xffff })),
    value: fc.oneof(
      { weight: 9, arbitrary: fc.uint8Array({ maxLength: 40 }) },
      { weight: 1, arbitrary: fc.uint8Array({ maxLength: AVP_MAX_VALUE_LENGTH }) },
    ),
    reserved: fc.oneof(
      { weight: 4, arbitrary: fc.constant(0) },
      { weight: 1, arbitrary: fc.integer({ min: 1, max: 15 }) },
    ),
  })
  .map(({ reserved, ...rest }) => (reserved === 0 ? rest : { ...rest, reserved }));

describe('raw properties', () => {
  test.prop([fc.array(rawAvpArb, { maxLength: 12 })])(
    'encode then decode gives the same AVPs, and re-encode the same bytes',
    (avps) => {
      const bytes = encodeAvps(avps);
      expect(bytes.length).toBe(avpsLength(avps));
      const decoded = decodeAvps(bytes);
      expect(decoded).toEqual(avps);
      expect(encodeAvps(decoded)).toEqual(bytes);
    },
  );

  test.prop([fc.uint8Array({ maxLength: 400 })], { numRuns: 2000 })(
    'any bytes: DecodeError, or a lossless, bounded decode',
    (bytes) => {
      let avps: RawAvp[];
      try {
        avps = decodeAvps(bytes);
      } catch (e) {
        expect(e).toBeInstanceOf(DecodeError);
        return;
      }
      expect(avps.length).toBeLessThanOrEqual(Math.floor(bytes.length / 6));
      expect(encodeAvps(avps)).toEqual(bytes);
    },
  );

  test.prop([
    fc.array(rawAvpArb, { minLength: 1, maxLength: 8 }),
    fc.nat(),
    fc.integer({ min: 0, max: 7 }),
  ])('bit flips and truncation only ever throw DecodeError', (avps, at, bit) => {
    const bytes = encodeAvps(avps);
    const flipped = bytes.slice();
    const i = at % bytes.length;
    flipped[i] = (flipped[i] as number) ^ (1 << bit);
    for (const input of [flipped, bytes.subarray(0, i)]) {
      try {
        expect(encodeAvps(decodeAvps(input))).toEqual(input);
      } catch (e) {
        expect(e).toBeInstanceOf(DecodeError);
      }
    }
  });
});

// Differential check against the declarative binary-parser description of RFC 2661 §4.1.
function sameAsOracle(avps: readonly RawAvp[], oracle: readonly OracleAvp[]): void {
  expect(avps.length).toBe(oracle.length);
  avps.forEach((a, i) => {
    const o = oracle[i] as OracleAvp;
    expect({
      mandatory: a.mandatory,
      hidden: a.hidden,
      reserved: a.reserved ?? 0,
      length: 6 + a.value.length,
      vendorId: a.vendorId,
      attributeType: a.attributeType,
    }).toEqual({
      mandatory: o.mandatory,
      hidden: o.hidden,
      reserved: o.reserved,
      length: o.length,
      vendorId: o.vendorId,
      attributeType: o.attributeType,
    });
    expect(a.value).toEqual(o.value);
  });
}

function checkAgainstOracle(bytes: Uint8Array, start: number, end: number): void {
  const oracle = oracleAvps(bytes, start, end);
  let avps: RawAvp[] | undefined;
  try {
    avps = decodeAvps(bytes, start, end);
  } catch (e) {
    expect(e).toBeInstanceOf(DecodeError);
  }
  expect(avps === undefined).toBe(oracle === undefined);
  if (avps !== undefined && oracle !== undefined) sameAsOracle(avps, oracle);
}

describe('binary-parser oracle (test/oracle/binary-parser.ts)', () => {
  it('agrees on the golden list', () => {
    checkAgainstOracle(GOLDEN, 0, GOLDEN.length);
    checkAgainstOracle(withHeaderBytes(), 12, 12 + GOLDEN.length);
  });

  test.prop([fc.array(rawAvpArb, { maxLength: 8 })])(
    'reads every header the encoder writes the same way',
    (avps) => {
      const bytes = encodeAvps(avps);
      let off = 0;
      for (const a of avps) {
        expect(oracleAvpHeader(bytes, off)).toEqual({
          mandatory: a.mandatory,
          hidden: a.hidden,
          reserved: a.reserved ?? 0,
          length: 6 + a.value.length,
          vendorId: a.vendorId,
          attributeType: a.attributeType,
        });
        off += 6 + a.value.length;
      }
      checkAgainstOracle(bytes, 0, bytes.length);
    },
  );

  test.prop([
    fc.array(rawAvpArb, { minLength: 1, maxLength: 6 }),
    fc.nat(),
    fc.integer({ min: 0, max: 7 }),
    fc.nat(),
  ])('agrees on mutated lists (bit flips, cut ends)', (avps, at, bit, cut) => {
    const bytes = encodeAvps(avps);
    const i = at % bytes.length;
    bytes[i] = (bytes[i] as number) ^ (1 << bit);
    checkAgainstOracle(bytes, 0, bytes.length);
    checkAgainstOracle(bytes, 0, cut % (bytes.length + 1));
  });

  test.prop([fc.uint8Array({ maxLength: 200 })])('agrees on arbitrary bytes', (bytes) => {
    checkAgainstOracle(bytes, 0, bytes.length);
  });
});

describe('messageTypeOf', () => {
  const avp = (over: Partial<RawAvp>): RawAvp => ({
    mandatory: true,
    hidden: false,
    vendorId: 0,
    attributeType: 0,
    value: Uint8Array.of(0, 10),
    ...over,
  });
  it('reads a well-formed first Message Type AVP (RFC 2661 §4.4.1) and nothing else', () => {
    expect(messageTypeOf([avp({}), avp({ attributeType: 14 })])).toBe(10);
    expect(messageTypeOf([])).toBeUndefined(); // ZLB
    expect(messageTypeOf([avp({ hidden: true })])).toBeUndefined();
    expect(messageTypeOf([avp({ vendorId: 9 })])).toBeUndefined();
    expect(messageTypeOf([avp({ value: Uint8Array.of(10) })])).toBeUndefined();
    expect(messageTypeOf([avp({ attributeType: 14 }), avp({})])).toBeUndefined();
  });
});
