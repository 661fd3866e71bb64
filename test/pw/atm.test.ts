// ATM pseudowires (src/pw/atm.ts, RFC 4454): sublayer flag meaning (§4.1), AAL5 SDU mode (§5.1)
// with and without an admin cell, cell relay mode (§5.2, Figure 4) with concatenation limits (§6),
// golden cells bit by bit, the full v3 data packet through src/codec/header.ts, and properties.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { decodeDataV3, encodeData } from '../../src/codec/header.js';
import { DecodeError, UsageError } from '../../src/errors.js';
import {
  ATM_CELL_LENGTH,
  type AtmCellInput,
  decodeAtmAal5,
  decodeAtmCells,
  decodeAtmSublayerFlags,
  encodeAtmAal5,
  encodeAtmAal5AdminCell,
  encodeAtmCells,
  encodeAtmSublayerFlags,
  isIdleOrUnassignedCell,
} from '../../src/pw/atm.js';
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

const PAYLOAD48 = Uint8Array.from({ length: 48 }, (_, i) => i);
// VPI 0xabc, VCI 0x1234, PTI 0b101 (F5 end-to-end OAM), CLP 1:
// 1010 1011 | 1100 0001 | 0010 0011 | 0100 101 1
const OAM_CELL = hex`ab c1 23 4b ${Array.from(PAYLOAD48, (b) => b.toString(16).padStart(2, '0')).join('')}`;

describe('ATM-Specific Sublayer flags', () => {
  test('bit positions of RFC 4454 Figure 2 (x S B E T G C U)', () => {
    expect(encodeAtmSublayerFlags({ b: true })).toBe(0x20);
    expect(encodeAtmSublayerFlags({ e: true })).toBe(0x10);
    expect(encodeAtmSublayerFlags({ t: true })).toBe(0x08);
    expect(encodeAtmSublayerFlags({ g: true })).toBe(0x04);
    expect(encodeAtmSublayerFlags({ c: true })).toBe(0x02);
    expect(encodeAtmSublayerFlags({ u: true })).toBe(0x01);
    expect(decodeAtmSublayerFlags(0x0d)).toEqual({
      b: false,
      e: false,
      t: true,
      g: true,
      c: false,
      u: true,
    });
  });
});

describe('cell relay mode', () => {
  test('golden cell header', () => {
    const [cell] = decodeAtmCells(OAM_CELL);
    expect(cell).toMatchObject({ vpi: 0xabc, vci: 0x1234, pti: 5, clp: true });
    expect(cell?.payload).toEqual(PAYLOAD48);
    expect(cell?.payload.byteOffset).toBe(4);
    expect(concat(encodeAtmCells([cell as AtmCellInput]))).toEqual(OAM_CELL);
  });

  test('concatenated cells: views, gather chunks and the maximum', () => {
    const two = concat([OAM_CELL, OAM_CELL]);
    two[ATM_CELL_LENGTH + 3] = 0x40; // second cell: VCI 0x1234, PTI 0, CLP 0
    const cells = decodeAtmCells(two, { maxCells: 2 });
    expect(cells.map((c) => [c.pti, c.clp, c.cell.byteOffset])).toEqual([
      [5, true, 0],
      [0, false, 52],
    ]);
    expect(() => decodeAtmCells(two, { maxCells: 1 })).toThrow(
      expect.objectContaining({ code: 'L2TP_ERR_BAD_LENGTH' }),
    );
    const chunks = encodeAtmCells(cells, { maxCells: 2 });
    expect(chunks).toHaveLength(4);
    expect(chunks[1]).toBe(cells[0]?.payload);
    expect(concat(chunks)).toEqual(two);
    expect(() => encodeAtmCells(cells, { maxCells: 1 })).toThrow(UsageError);
  });

  test('errors', () => {
    const trunc = expect.objectContaining({ code: 'L2TP_ERR_TRUNCATED' });
    expect(() => decodeAtmCells(new Uint8Array(0))).toThrow(trunc);
    expect(() => decodeAtmCells(OAM_CELL.subarray(0, 51))).toThrow(trunc);
    expect(() => decodeAtmCells(concat([OAM_CELL, hex`00`]))).toThrow(trunc);
    const h = { vpi: 0, vci: 0, pti: 0, clp: false };
    expect(() => encodeAtmCells([])).toThrow(UsageError);
    expect(() => encodeAtmCells([{ ...h, payload: new Uint8Array(47) }])).toThrow(UsageError);
    expect(() => encodeAtmCells([{ ...h, vpi: 4096, payload: PAYLOAD48 }])).toThrow(UsageError);
    expect(() => encodeAtmCells([{ ...h, pti: 8, payload: PAYLOAD48 }])).toThrow(UsageError);
  });

  test('idle/unassigned cells (port mode discards them, §5.2.3)', () => {
    expect(isIdleOrUnassignedCell({ vpi: 0, vci: 0, pti: 0, clp: true })).toBe(true);
    expect(isIdleOrUnassignedCell({ vpi: 0, vci: 5, pti: 0, clp: false })).toBe(false);
  });
});

describe('AAL5 SDU mode', () => {
  test('SDU with EFCI and C/R through a full v3 data packet (ATM sublayer, sequenced)', () => {
    const sdu = hex`aa aa 03 00 00 00 08 00 45`; // LLC/SNAP IPv4, truncated
    const { atmFlags, chunks } = encodeAtmAal5(sdu, { efci: true, cr: true });
    expect(atmFlags).toBe(0x05);
    expect(chunks[0]).toBe(sdu);
    const packet = concat(
      encodeData(
        { version: 3, encap: 'ip', sessionId: 0x11223344, sublayer: 'atm', ns: 7, atmFlags },
        chunks[0] as Uint8Array,
      ),
    );
    expect(packet.subarray(0, 8)).toEqual(hex`
      11 22 33 44  // Session ID
      45 00 00 07  // x=0 S=1 B=0 E=0 T=0 G=1 C=0 U=1, sequence 7`);
    const msg = decodeDataV3(packet, { version: 3, encap: 'ip', cookieLength: 0, sublayer: 'atm' });
    const got = decodeAtmAal5(msg.payload, msg.atmFlags);
    expect(got.kind).toBe('sdu');
    expect(got.flags).toMatchObject({ t: false, g: true, c: false, u: true });
    if (got.kind === 'sdu') expect(got.sdu).toEqual(sdu);
  });

  test('admin cell (T = 1) carries one cell; G/C follow the cell', () => {
    const { atmFlags, chunks } = encodeAtmAal5AdminCell({
      vpi: 0xabc,
      vci: 0x1234,
      pti: 5,
      clp: true,
      payload: PAYLOAD48,
    });
    expect(atmFlags).toBe(0x0a); // T, C; no G: PTI 5 is OAM, not a user cell with EFCI
    expect(concat(chunks)).toEqual(OAM_CELL);
    const got = decodeAtmAal5(OAM_CELL, atmFlags);
    expect(got.kind).toBe('admin-cell');
    if (got.kind === 'admin-cell')
      expect(got.cell).toMatchObject({ vpi: 0xabc, vci: 0x1234, pti: 5 });
    expect(() => decodeAtmAal5(OAM_CELL.subarray(0, 51), atmFlags)).toThrow(
      expect.objectContaining({ code: 'L2TP_ERR_BAD_LENGTH' }),
    );
    const efci = encodeAtmAal5AdminCell({ vpi: 0, vci: 3, pti: 2, clp: false, payload: PAYLOAD48 });
    expect(efci.atmFlags).toBe(0x0c); // T, G
  });

  test('SDU size limit', () => {
    expect(() => encodeAtmAal5(new Uint8Array(65536))).toThrow(UsageError);
    expect(() => decodeAtmAal5(new Uint8Array(65536), 0)).toThrow(DecodeError);
    expect(decodeAtmAal5(new Uint8Array(0), 0).kind).toBe('sdu');
  });
});

describe('properties', () => {
  const cellInput: fc.Arbitrary<AtmCellInput> = fc.record({
    vpi: fc.integer({ min: 0, max: 0xfff }),
    vci: fc.integer({ min: 0, max: 0xffff }),
    pti: fc.integer({ min: 0, max: 7 }),
    clp: fc.boolean(),
    payload: fc.uint8Array({ minLength: 48, maxLength: 48 }),
  });

  test('cell round trip', () => {
    fc.assert(
      fc.property(fc.array(cellInput, { minLength: 1, maxLength: 4 }), (cells) => {
        const back = decodeAtmCells(concat(encodeAtmCells(cells, { maxCells: 4 })), {
          maxCells: 4,
        });
        expect(
          back.map(({ vpi, vci, pti, clp, payload }) => ({ vpi, vci, pti, clp, payload })),
        ).toEqual(cells);
      }),
      { numRuns: 200 },
    );
  });

  test('sublayer flags round trip', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: 0x3f }), (bits) => {
        expect(encodeAtmSublayerFlags(decodeAtmSublayerFlags(bits))).toBe(bits);
      }),
    );
  });

  test('totality', () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 4 }),
        fc.integer({ min: -2, max: 2 }),
        fc.nat(0xff),
        fc.option(fc.integer({ min: 0, max: 3 }), { nil: undefined }),
        (n, delta, flags, maxCells) => {
          const bytes = new Uint8Array(Math.max(0, n * ATM_CELL_LENGTH + delta)).fill(flags);
          for (const attempt of [
            () => decodeAtmCells(bytes, maxCells === undefined ? {} : { maxCells }),
            () => decodeAtmAal5(bytes, flags),
          ]) {
            try {
              attempt();
            } catch (e) {
              expect(e).toBeInstanceOf(DecodeError);
            }
          }
        },
      ),
      { numRuns: 300 },
    );
  });
});
