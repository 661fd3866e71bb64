// Tests for src/codec/classify.ts: golden datagrams, garbage, and consistency with the decoders
// ('control' exactly when decodeControlHeader succeeds; data that decodes is classified as data
// with the same ids).

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { type Classification, classify } from '../../src/codec/classify.js';
import { v2ControlTunnelId } from '../../src/codec/control-check.js';
import {
  decodeControlHeader,
  decodeData,
  decodeDataV2,
  type Encapsulation,
} from '../../src/codec/header.js';
import { DecodeError } from '../../src/errors.js';
import { hex } from '../helpers/hex.js';
import { ALL_V3_PARAMS, datagram, dataSample } from './arbitraries.js';
import { CONTROL_CASES, DATA_CASES } from './golden.js';

function attempt<T>(run: () => T): T | undefined {
  try {
    return run();
  } catch (e) {
    if (e instanceof DecodeError) return undefined;
    throw e;
  }
}

describe('golden datagrams', () => {
  const expected: Classification[] = [
    { kind: 'control', version: 2, tunnelId: 0x1234, sessionId: 0xabcd },
    { kind: 'control', version: 2, tunnelId: 0xffff, sessionId: 0 },
    { kind: 'control', version: 3, connectionId: 0xdeadbeef, sessionId: 0 },
    { kind: 'control', version: 3, connectionId: 0xffffffff, sessionId: 0 },
  ];
  test.each(CONTROL_CASES.map((c, k) => ({ ...c, want: expected[k] })))('$name', (c) => {
    expect(classify(c.bytes, c.encap)).toEqual(c.want);
  });

  test.each(DATA_CASES)('$name', (c) => {
    const encap: Encapsulation = c.params.version === 3 ? c.params.encap : 'udp';
    expect(classify(c.bytes, encap)).toEqual(
      c.message.version === 2
        ? { kind: 'data', version: 2, tunnelId: c.message.tunnelId, sessionId: c.message.sessionId }
        : { kind: 'data', version: 3, sessionId: c.message.sessionId },
    );
  });

  test('at an offset inside a larger buffer', () => {
    const c = CONTROL_CASES[2];
    if (c === undefined) throw new Error('fixture');
    const big = new Uint8Array(c.bytes.length + 5);
    big.set(c.bytes, 5);
    expect(classify(big, 'udp', 5)).toEqual(classify(c.bytes, 'udp'));
  });
});

describe('invalid input is reported, never thrown', () => {
  const cases: { name: string; bytes: Uint8Array; encap: Encapsulation; code: string }[] = [
    { name: 'empty (udp)', bytes: hex``, encap: 'udp', code: 'L2TP_ERR_TRUNCATED' },
    { name: 'empty (ip)', bytes: hex``, encap: 'ip', code: 'L2TP_ERR_TRUNCATED' },
    { name: 'L2F (Ver 1)', bytes: hex`c8 01 00 0c`, encap: 'udp', code: 'L2TP_ERR_BAD_VERSION' },
    {
      name: 'v2 data cut before Session ID',
      bytes: hex`40 02 00 0a 00 01`,
      encap: 'udp',
      code: 'L2TP_ERR_TRUNCATED',
    },
    {
      name: 'v3 UDP data with Session ID 0',
      bytes: hex`00 03 00 00 00 00 00 00`,
      encap: 'udp',
      code: 'L2TP_ERR_BAD_HEADER',
    },
    {
      name: 'v3 UDP data cut short',
      bytes: hex`00 03 00 00 00 00 01`,
      encap: 'udp',
      code: 'L2TP_ERR_TRUNCATED',
    },
    {
      name: 'control without S',
      bytes: hex`c0 02 00 0c 00 00 00 00 00 00 00 00`,
      encap: 'udp',
      code: 'L2TP_ERR_BAD_HEADER',
    },
    {
      name: 'v2 control with O',
      bytes: hex`ca 02 00 0c 00 00 00 00 00 00 00 00`,
      encap: 'udp',
      code: 'L2TP_ERR_BAD_HEADER',
    },
    {
      name: 'control Length past the input',
      bytes: hex`c8 02 00 0d 00 00 00 00 00 00 00 00`,
      encap: 'udp',
      code: 'L2TP_ERR_BAD_LENGTH',
    },
    {
      name: 'control header cut short',
      bytes: hex`c8 02 00 0c 00 00`,
      encap: 'udp',
      code: 'L2TP_ERR_TRUNCATED',
    },
    {
      name: 'v2 over IP',
      bytes: hex`00 00 00 00 c8 02 00 0c 00 00 00 00 00 00 00 00`,
      encap: 'ip',
      code: 'L2TP_ERR_BAD_VERSION',
    },
    {
      name: 'IP control word with T=0',
      bytes: hex`00 00 00 00 08 03 00 0c 00 00 00 00 00 00 00 00`,
      encap: 'ip',
      code: 'L2TP_ERR_BAD_HEADER',
    },
  ];
  test.each(cases)('$name → $code', ({ bytes, encap, code }) => {
    const c = classify(bytes, encap);
    expect(c.kind).toBe('invalid');
    if (c.kind === 'invalid') {
      expect(c.code).toBe(code);
      expect(c.reason.length).toBeGreaterThan(0);
    }
  });

  test('any bytes: classify returns, with a known kind', () => {
    fc.assert(
      fc.property(datagram, fc.constantFrom<Encapsulation>('udp', 'ip'), (bytes, encap) => {
        expect(['control', 'data', 'invalid']).toContain(classify(bytes, encap).kind);
      }),
      { numRuns: 500 },
    );
  });
});

describe('v2ControlTunnelId (the Endpoint fast path)', () => {
  test('the Tunnel ID exactly when classify says L2TPv2 control over UDP, else -1', () => {
    const check = (bytes: Uint8Array) => {
      const c = classify(bytes, 'udp');
      const id = v2ControlTunnelId(bytes);
      if (c.kind === 'control' && c.version === 2) expect(id).toBe(c.tunnelId);
      else expect(id).toBe(-1);
    };
    for (const { bytes } of CONTROL_CASES) check(bytes);
    for (const { bytes } of DATA_CASES) check(bytes);
    fc.assert(fc.property(datagram, check), { numRuns: 1000 });
    // Control words with every flag combination on a well-formed v2 header.
    for (let word = 0; word < 0x10000; word += 0x11) {
      check(hex`${word.toString(16).padStart(4, '0')} 00 0c 12 34 00 00 00 00 00 00`);
    }
  });
});

describe('consistency with the decoders', () => {
  test("'control' exactly when decodeControlHeader succeeds, with the same ids", () => {
    fc.assert(
      fc.property(datagram, fc.constantFrom<Encapsulation>('udp', 'ip'), (bytes, encap) => {
        const c = classify(bytes, encap);
        const d = attempt(() => decodeControlHeader(bytes, encap));
        expect(c.kind === 'control').toBe(d !== undefined);
        if (d !== undefined && c.kind === 'control') {
          if (d.header.version === 2) {
            expect(c).toEqual({
              kind: 'control',
              version: 2,
              tunnelId: d.header.tunnelId,
              sessionId: d.header.sessionId,
            });
          } else {
            expect(c).toEqual({
              kind: 'control',
              version: 3,
              connectionId: d.header.connectionId,
              sessionId: 0,
            });
          }
        }
      }),
      { numRuns: 800 },
    );
  });

  test('data that decodes is classified as data with the same ids', () => {
    fc.assert(
      fc.property(datagram, (bytes) => {
        const v2 = attempt(() => decodeDataV2(bytes));
        if (v2 !== undefined) {
          expect(classify(bytes, 'udp')).toEqual({
            kind: 'data',
            version: 2,
            tunnelId: v2.tunnelId,
            sessionId: v2.sessionId,
          });
        }
        for (const p of ALL_V3_PARAMS) {
          const v3 = attempt(() => decodeData(bytes, p));
          if (v3 !== undefined) {
            expect(classify(bytes, p.encap)).toEqual({
              kind: 'data',
              version: 3,
              sessionId: v3.sessionId,
            });
          }
        }
      }),
      { numRuns: 800 },
    );
  });

  test('every valid data encoding is classified as data', () => {
    fc.assert(
      fc.property(dataSample, ({ params, bytes }) => {
        expect(classify(bytes, params.version === 3 ? params.encap : 'udp').kind).toBe('data');
      }),
      { numRuns: 300 },
    );
  });
});
