// Properties of src/codec/header.ts: encode → decode round trips for every layout, encoding into a
// caller buffer at an offset, and totality (any bytes, any golden mutated: value or DecodeError,
// never another exception).

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import {
  type DataParams,
  dataCookie,
  dataHeaderLength,
  decodeControlHeader,
  decodeData,
  encodeControlHeader,
  encodeDataHeader,
} from '../../src/codec/header.js';
import { DecodeError } from '../../src/errors.js';
import {
  ALL_V3_PARAMS,
  controlSample,
  datagram,
  dataSample,
  FIRST_WORDS,
  mutated,
} from './arbitraries.js';
import { CONTROL_CASES, DATA_CASES } from './golden.js';

const RUNS = { numRuns: 400 };

const ALL_PARAMS: DataParams[] = [{ version: 2 }, ...ALL_V3_PARAMS];

/** Runs every decoder on `bytes`; each must return or throw DecodeError. */
function decodeEverything(bytes: Uint8Array, offset = 0): void {
  const attempts: (() => unknown)[] = [
    () => decodeControlHeader(bytes, 'udp', offset),
    () => decodeControlHeader(bytes, 'ip', offset),
    ...ALL_PARAMS.map((p) => () => decodeData(bytes, p, offset)),
  ];
  for (const attempt of attempts) {
    try {
      attempt();
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
    }
  }
}

describe('round trip', () => {
  test('control header: encode → decode gives the header, AVP start and end', () => {
    fc.assert(
      fc.property(controlSample, ({ encap, header, bytes }) => {
        const prefix = encap === 'ip' ? 4 : 0;
        expect(decodeControlHeader(bytes, encap)).toEqual({
          header,
          avpStart: prefix + 12,
          end: prefix + header.length,
        });
      }),
      RUNS,
    );
  });

  test('data: encode → decode gives the fields back and the payload as a view', () => {
    fc.assert(
      fc.property(dataSample, ({ params, fields, message, bytes }) => {
        const decoded = decodeData(bytes, params);
        expect(decoded).toEqual(message);
        expect(decoded.payload.buffer).toBe(bytes.buffer);
        if (decoded.version === 3 && fields.version === 3) {
          expect(dataCookie(bytes, decoded)).toEqual(fields.cookie ?? new Uint8Array(0));
        }
      }),
      RUNS,
    );
  });

  test('data: encodeDataHeader at any offset writes exactly dataHeaderLength bytes', () => {
    fc.assert(
      fc.property(dataSample, fc.nat(9), ({ fields, bytes }, at) => {
        const n = dataHeaderLength(fields);
        const buf = new Uint8Array(at + n + 3).fill(0xa5);
        expect(encodeDataHeader(fields, buf, at)).toBe(at + n);
        expect(buf.subarray(at, at + n)).toEqual(bytes.subarray(0, n));
        expect(buf.subarray(0, at).every((b) => b === 0xa5)).toBe(true);
        expect(buf.subarray(at + n).every((b) => b === 0xa5)).toBe(true);
      }),
      RUNS,
    );
  });

  test('decode → encode reproduces a valid header byte for byte', () => {
    fc.assert(
      fc.property(controlSample, ({ encap, header, bytes }) => {
        const d = decodeControlHeader(bytes, encap);
        const out = new Uint8Array(d.avpStart);
        encodeControlHeader(d.header, out, 0, encap);
        expect(out).toEqual(bytes.subarray(0, d.avpStart));
        expect(d.header).toEqual(header);
      }),
      RUNS,
    );
  });
});

describe('totality: any bytes give a value or a DecodeError', () => {
  test('arbitrary and near-valid datagrams, at offset 0 and inside a larger buffer', () => {
    fc.assert(
      fc.property(datagram, fc.nat(4), (bytes, pad) => {
        decodeEverything(bytes);
        const big = new Uint8Array(pad + bytes.length);
        big.set(bytes, pad);
        decodeEverything(big, pad);
      }),
      { numRuns: 1500 },
    );
  });

  test('every golden datagram, mutated', () => {
    const goldens = [...CONTROL_CASES.map((c) => c.bytes), ...DATA_CASES.map((c) => c.bytes)];
    fc.assert(
      fc.property(
        fc.constantFrom(...goldens).chain((g) => mutated(g)),
        (bytes) => decodeEverything(bytes),
      ),
      { numRuns: 1500 },
    );
  });

  test('every truncation of every golden datagram', () => {
    for (const g of [...CONTROL_CASES.map((c) => c.bytes), ...DATA_CASES.map((c) => c.bytes)]) {
      for (let k = 0; k <= g.length; k++) decodeEverything(g.subarray(0, k));
    }
  });

  test('every flag/version combination of the first word, reserved bits clear or set', () => {
    const bytes = new Uint8Array(24);
    for (const w of FIRST_WORDS) {
      bytes[0] = w >>> 8;
      bytes[1] = w & 0xff;
      decodeEverything(bytes);
    }
  });
});
