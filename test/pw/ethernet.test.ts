// Ethernet / Ethernet-VLAN framing (src/pw/ethernet.ts, RFC 4719 §3.1, §4): golden untagged,
// 802.1Q and QinQ frames, VLAN-mode rules, tag rewrite, then round trip and totality properties.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DecodeError, UsageError } from '../../src/errors.js';
import {
  decodeEthernet,
  EtherType,
  encodeEthernet,
  MAX_VLAN_TAGS,
  setVlanId,
} from '../../src/pw/ethernet.js';
import { hex } from '../helpers/hex.js';

const DST = '02 00 00 00 00 01';
const SRC = '02 00 00 00 00 02';

describe('decodeEthernet', () => {
  test('untagged IPv4 frame', () => {
    const bytes = hex`${DST} ${SRC}  08 00  // IPv4
      45 00 00 14`;
    const f = decodeEthernet(bytes);
    expect(Array.from(f.destination)).toEqual([2, 0, 0, 0, 0, 1]);
    expect(Array.from(f.source)).toEqual([2, 0, 0, 0, 0, 2]);
    expect(f.tags).toEqual([]);
    expect(f.vlanId).toBeUndefined();
    expect(f.etherType).toBe(EtherType.Ipv4);
    expect(Array.from(f.payload)).toEqual([0x45, 0, 0, 0x14]);
    expect(f.payload.buffer).toBe(bytes.buffer);
    expect(f.payload.byteOffset).toBe(14);
  });

  test('802.1Q tag: PCP 5, DEI 1, VID 100', () => {
    const f = decodeEthernet(
      hex`${DST} ${SRC}  81 00  b0 64  // TPID, TCI = 101 1 000001100100
      86 dd  60`,
      { mode: 'vlan' },
    );
    expect(f.tags).toEqual([{ tpid: 0x8100, pcp: 5, dei: true, vid: 100, offset: 12 }]);
    expect(f.vlanId).toBe(100);
    expect(f.etherType).toBe(EtherType.Ipv6);
    expect(Array.from(f.payload)).toEqual([0x60]);
  });

  test('QinQ: S-tag 0x88a8 VID 10 then C-tag 0x8100 VID 4095; a third tag is left as payload', () => {
    const f = decodeEthernet(hex`${DST} ${SRC}
      88 a8 00 0a   // S-tag VID 10
      81 00 0f ff   // C-tag VID 4095
      81 00 00 01   // third TPID: not parsed (MAX_VLAN_TAGS = 2)`);
    expect(MAX_VLAN_TAGS).toBe(2);
    expect(f.tags.map((t) => [t.tpid, t.vid, t.offset])).toEqual([
      [0x88a8, 10, 12],
      [0x8100, 4095, 16],
    ]);
    expect(f.vlanId).toBe(10);
    expect(f.etherType).toBe(0x8100);
    expect(Array.from(f.payload)).toEqual([0, 1]);
  });

  test('errors', () => {
    const short = new Uint8Array(13);
    expect(() => decodeEthernet(short)).toThrow(
      expect.objectContaining({ code: 'L2TP_ERR_TRUNCATED' }),
    );
    // tag present but no room for the EtherType after it
    expect(() => decodeEthernet(hex`${DST} ${SRC} 81 00 00 05`)).toThrow(
      expect.objectContaining({ code: 'L2TP_ERR_TRUNCATED', offset: 12 }),
    );
    // RFC 4719 §4: a VLAN PW is homogeneous — tagged frames only
    expect(() => decodeEthernet(hex`${DST} ${SRC} 08 00`, { mode: 'vlan' })).toThrow(
      expect.objectContaining({ code: 'L2TP_ERR_BAD_HEADER' }),
    );
    expect(decodeEthernet(hex`${DST} ${SRC} 08 00`).etherType).toBe(0x0800); // port mode: fine
  });
});

describe('encodeEthernet / setVlanId', () => {
  test('passes the frame through without a copy', () => {
    const frame = hex`${DST} ${SRC} 81 00 00 05 08 00`;
    const chunks = encodeEthernet(frame, { mode: 'vlan' });
    expect(chunks).toHaveLength(1);
    expect(chunks[0]).toBe(frame);
  });

  test('refuses short frames and untagged frames in vlan mode', () => {
    expect(() => encodeEthernet(new Uint8Array(13))).toThrow(UsageError);
    expect(() => encodeEthernet(hex`${DST} ${SRC} 08 00`, { mode: 'vlan' })).toThrow(UsageError);
    expect(() => encodeEthernet(hex`${DST} ${SRC} 81 00`, { mode: 'vlan' })).toThrow(UsageError);
  });

  test('setVlanId keeps PCP/DEI', () => {
    const frame = hex`${DST} ${SRC} 81 00 b0 64 08 00`;
    setVlanId(frame, 0xabc);
    expect(Array.from(frame.subarray(14, 16))).toEqual([0xba, 0xbc]);
    expect(decodeEthernet(frame).tags[0]).toMatchObject({ pcp: 5, dei: true, vid: 0xabc });
    expect(() => setVlanId(frame, 4096)).toThrow(UsageError);
    expect(() => setVlanId(hex`${DST} ${SRC} 08 00 00 00`, 1)).toThrow(UsageError);
  });
});

describe('properties', () => {
  const tag = fc.record({
    tpid: fc.constantFrom(0x8100, 0x88a8),
    pcp: fc.integer({ min: 0, max: 7 }),
    dei: fc.boolean(),
    vid: fc.integer({ min: 0, max: 4095 }),
  });
  const innerType = fc.integer({ min: 0, max: 0xffff }).filter((t) => t !== 0x8100 && t !== 0x88a8);

  test('round trip of tags, EtherType and payload', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 12, maxLength: 12 }),
        fc.array(tag, { maxLength: 2 }),
        innerType,
        fc.uint8Array({ maxLength: 32 }),
        (macs, tags, type, body) => {
          const frame = new Uint8Array(12 + 4 * tags.length + 2 + body.length);
          frame.set(macs);
          tags.forEach((t, i) => {
            const tci = (t.pcp << 13) | (t.dei ? 0x1000 : 0) | t.vid;
            frame.set([t.tpid >>> 8, t.tpid & 0xff, tci >>> 8, tci & 0xff], 12 + 4 * i);
          });
          frame.set([type >>> 8, type & 0xff], 12 + 4 * tags.length);
          frame.set(body, 14 + 4 * tags.length);
          const mode = tags.length > 0 ? 'vlan' : 'port';
          const f = decodeEthernet(encodeEthernet(frame, { mode })[0] as Uint8Array, { mode });
          expect(f.tags.map(({ offset: _o, ...rest }) => rest)).toEqual(tags);
          expect(f.etherType).toBe(type);
          expect(f.payload).toEqual(body);
        },
      ),
      { numRuns: 300 },
    );
  });

  test('totality', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 30 }),
        fc.constantFrom('port' as const, 'vlan' as const),
        (bytes, mode) => {
          // Bias toward tags: overwrite the EtherType slot with a TPID half the time.
          if (bytes.length >= 14 && (bytes[0] as number) & 1) bytes.set([0x81, 0x00], 12);
          try {
            const f = decodeEthernet(bytes, { mode });
            expect(f.payload.byteOffset).toBe(14 + 4 * f.tags.length);
          } catch (e) {
            expect(e).toBeInstanceOf(DecodeError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});
