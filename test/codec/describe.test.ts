// Tests for src/codec/describe.ts (log/test-name formatting) and the test/helpers/hex.ts tag.

import { describe, expect, test } from 'vitest';
import { classify } from '../../src/codec/classify.js';
import {
  describeClassification,
  describeControlHeader,
  describeDataHeader,
  describeDataMessage,
} from '../../src/codec/describe.js';
import { decodeControlHeader, decodeData } from '../../src/codec/header.js';
import { hex, toHex } from '../helpers/hex.js';
import { CONTROL_CASES, DATA_CASES } from './golden.js';

describe('describe', () => {
  test('control headers', () => {
    expect(CONTROL_CASES.map((c) => describeControlHeader(c.header))).toEqual([
      'v2 control tunnel=4660 session=43981 Ns=258 Nr=772 len=20',
      'v2 control tunnel=65535 session=0 Ns=65535 Nr=0 len=12 (ZLB)',
      'v3 control ccid=0xdeadbeef Ns=5 Nr=6 len=20',
      'v3 control ccid=0xffffffff Ns=65535 Nr=0 len=20',
    ]);
    const c = CONTROL_CASES[0];
    if (c === undefined) throw new Error('fixture');
    expect(describeControlHeader(decodeControlHeader(c.bytes, c.encap).header)).toBe(
      describeControlHeader(c.header),
    );
  });

  test('decoded data messages', () => {
    expect(DATA_CASES.map((c) => describeDataMessage(decodeData(c.bytes, c.params)))).toEqual([
      'v2 data tunnel=7 session=65518 payload=12',
      'v2 data tunnel=1 session=2 len=29 Ns=3 Nr=0 offset=3 P payload=12',
      'v3 data session=0x80000001 cookie=8B Ns=42 payload=14',
      'v3 data session=0xfffffffe cookie=4B Ns=16777214 atm=0xa payload=12',
      'v3 data session=0x00000001 payload=14',
      'v3 data session=0x00000009 payload=12',
    ]);
  });

  test('data headers to send', () => {
    expect(DATA_CASES.map((c) => describeDataHeader(c.fields))).toEqual([
      'v2 data tunnel=7 session=65518',
      'v2 data tunnel=1 session=2 len=29 Ns=3 Nr=0 offset=3 P',
      'v3/udp data session=0x80000001 cookie=8B sublayer=default Ns=42',
      'v3/ip data session=0xfffffffe cookie=4B sublayer=atm Ns=16777214 atm=0xa',
      'v3/ip data session=0x00000001 sublayer=none',
      'v3/udp data session=0x00000009 sublayer=default',
    ]);
  });

  test('classifications', () => {
    expect(describeClassification(classify(CONTROL_CASES[0]?.bytes ?? hex``, 'udp'))).toBe(
      'control v2 tunnel=4660 session=43981',
    );
    expect(describeClassification(classify(CONTROL_CASES[3]?.bytes ?? hex``, 'ip'))).toBe(
      'control v3 ccid=0xffffffff',
    );
    expect(describeClassification(classify(hex`00 02 00 01 00 02`, 'udp'))).toBe(
      'data v2 tunnel=1 session=2',
    );
    expect(describeClassification(classify(hex`00 00 00 07`, 'ip'))).toBe(
      'data v3 session=0x00000007',
    );
    expect(describeClassification(classify(hex`c8 01`, 'udp'))).toBe(
      'invalid L2TP_ERR_BAD_VERSION: unsupported L2TP version 1',
    );
  });
});

describe('hex helper', () => {
  test('strips whitespace and // comments, pastes interpolations', () => {
    expect(hex`c8 02 // flags
               00${'0c'}  // length`).toEqual(new Uint8Array([0xc8, 0x02, 0x00, 0x0c]));
    expect(toHex(hex`DEADbeef`)).toBe('de ad be ef');
  });

  test('rejects odd digit counts and non-hex characters', () => {
    expect(() => hex`c8 0`).toThrow(/even run/);
    expect(() => hex`zz`).toThrow(/even run/);
  });
});
