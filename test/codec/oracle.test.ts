// Differential tests: src/codec/header.ts against the declarative binary-parser layouts in
// test/oracle/binary-parser.ts. On any input both accept with equal results, or both reject.
// Also checks the AVP-header oracle itself (M, H, 4 reserved bits, 10-bit Length, Vendor ID,
// Attribute Type) so the AVP codec's tests can rely on it.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  type DataParamsV3,
  decodeControlHeader,
  decodeDataV2,
  decodeDataV3,
  type Encapsulation,
} from '../../src/codec/header.js';
import { DecodeError } from '../../src/errors.js';
import { hex } from '../helpers/hex.js';
import {
  oracleAvpHeader,
  oracleAvps,
  oracleControlHeader,
  oracleDataV2,
  oracleDataV3,
} from '../oracle/binary-parser.js';
import { ALL_V3_PARAMS, datagram, FIRST_WORDS } from './arbitraries.js';
import { CONTROL_CASES, DATA_CASES } from './golden.js';

/** The decoder's value, or undefined when it throws DecodeError (anything else propagates). */
function attempt<T>(run: () => T): T | undefined {
  try {
    return run();
  } catch (e) {
    if (e instanceof DecodeError) return undefined;
    throw e;
  }
}

function expectAgreement(bytes: Uint8Array, offset = 0): void {
  for (const encap of ['udp', 'ip'] as Encapsulation[]) {
    expect(attempt(() => decodeControlHeader(bytes, encap, offset))).toEqual(
      oracleControlHeader(bytes, encap, offset),
    );
  }
  expect(attempt(() => decodeDataV2(bytes, offset))).toEqual(oracleDataV2(bytes, offset));
  for (const params of ALL_V3_PARAMS as DataParamsV3[]) {
    expect(attempt(() => decodeDataV3(bytes, params, offset))).toEqual(
      oracleDataV3(bytes, params, offset),
    );
  }
}

describe('header.ts agrees with the binary-parser oracle', () => {
  test('on every golden datagram (and the oracle accepts them)', () => {
    for (const c of CONTROL_CASES) {
      expect(oracleControlHeader(c.bytes, c.encap)?.header).toEqual(c.header);
      expectAgreement(c.bytes);
    }
    for (const c of DATA_CASES) {
      const o = c.params.version === 2 ? oracleDataV2(c.bytes) : oracleDataV3(c.bytes, c.params);
      expect(o).toEqual(c.message);
      expectAgreement(c.bytes);
    }
  });

  test('on arbitrary and near-valid datagrams', () => {
    fc.assert(
      fc.property(datagram, fc.nat(3), (bytes, pad) => {
        expectAgreement(bytes);
        const big = new Uint8Array(pad + bytes.length).fill(0x5a);
        big.set(bytes, pad);
        expectAgreement(big, pad);
      }),
      { numRuns: 600 },
    );
  });

  test('on every first word of a header, with a plausible rest', () => {
    // Word 0 sweeps the flag/version combinations; the rest is a v2/v3 header with Length 16.
    const bytes = hex`00 00  00 10  00 01  00 02  00 03  00 04  00 00  00 00`;
    for (const w of FIRST_WORDS) {
      bytes[0] = w >>> 8;
      bytes[1] = w & 0xff;
      expect(attempt(() => decodeControlHeader(bytes, 'udp'))).toEqual(
        oracleControlHeader(bytes, 'udp'),
      );
      expect(attempt(() => decodeDataV2(bytes))).toEqual(oracleDataV2(bytes));
    }
  });
});

describe('AVP-header oracle (RFC 2661 §4.1)', () => {
  test('golden: M=1 H=0 Length 8, Message Type SCCRQ', () => {
    expect(oracleAvpHeader(hex`80 08  00 00  00 00  00 01`)).toEqual({
      mandatory: true,
      hidden: false,
      reserved: 0,
      length: 8,
      vendorId: 0,
      attributeType: 0,
    });
  });

  test('golden: H=1, reserved bits 0b1010, Length 1023, vendor 9 (Cisco), type 0xfffe', () => {
    // 0 1 1010 1111111111 = 0x6bff
    expect(oracleAvpHeader(hex`6b ff  00 09  ff fe`)).toEqual({
      mandatory: false,
      hidden: true,
      reserved: 0b1010,
      length: 1023,
      vendorId: 9,
      attributeType: 0xfffe,
    });
  });

  test('every first word maps to the RFC bit positions', () => {
    const bytes = hex`00 00  0d f9  00 2a`; // vendor 3577, type 42
    for (let w = 0; w <= 0xffff; w++) {
      bytes[0] = w >>> 8;
      bytes[1] = w & 0xff;
      // Independent reading: M = bit 0, H = bit 1, rsvd = bits 2–5, Length = bits 6–15.
      const expected = {
        mandatory: w >= 0x8000,
        hidden: Math.floor(w / 0x4000) % 2 === 1,
        reserved: Math.floor(w / 0x400) % 16,
        length: w % 1024,
        vendorId: 3577,
        attributeType: 42,
      };
      const got = oracleAvpHeader(bytes);
      if (JSON.stringify(got) !== JSON.stringify(expected)) expect(got).toEqual(expected);
    }
  });

  test('fewer than 6 octets → undefined', () => {
    expect(oracleAvpHeader(hex`80 08 00 00 00`)).toBeUndefined();
  });

  test('AVP list: values are views; Length < 6, overrun and leftovers are rejected', () => {
    const body = hex`
      80 08 00 00 00 00  00 01        // Message Type = 1
      00 06 00 09 00 07               // empty vendor AVP (Cisco 9, type 7)
      c0 0a 00 00 00 0b  aa bb cc dd  // M H, type 11, 4 value octets
    `;
    const list = oracleAvps(body, 0, body.length);
    expect(list?.map((a) => [a.mandatory, a.hidden, a.vendorId, a.attributeType])).toEqual([
      [true, false, 0, 0],
      [false, false, 9, 7],
      [true, true, 0, 11],
    ]);
    expect(list?.[2]?.value).toEqual(hex`aa bb cc dd`);
    expect(list?.[2]?.value.buffer).toBe(body.buffer);
    expect(oracleAvps(hex`80 05 00 00 00 00`, 0, 6)).toBeUndefined(); // Length 5
    expect(oracleAvps(hex`80 09 00 00 00 00 00 01`, 0, 8)).toBeUndefined(); // overrun
    expect(oracleAvps(hex`80 06 00 00 00 00 80`, 0, 7)).toBeUndefined(); // partial header left
    expect(oracleAvps(body, 8, 8)).toEqual([]);
  });

  test('AVP list: any bytes give a list or undefined, never a hang or a throw', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (bytes) => {
        const list = oracleAvps(bytes, 0, bytes.length);
        if (list !== undefined) {
          expect(list.reduce((n, a) => n + a.length, 0)).toBe(bytes.length);
        }
      }),
      { numRuns: 500 },
    );
  });
});
