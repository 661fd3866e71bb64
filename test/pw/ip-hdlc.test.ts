// IP pseudowire (src/pw/ip.ts) and HDLC pseudowire (src/pw/hdlc.ts, RFC 4349 §4.1) framing:
// golden packets/frames, errors, round trip and totality.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DecodeError, UsageError } from '../../src/errors.js';
import { decodeHdlc, encodeHdlc } from '../../src/pw/hdlc.js';
import { decodeIp, encodeIp } from '../../src/pw/ip.js';
import { hex } from '../helpers/hex.js';

const IPV4_ICMP = hex`
  45 00 00 1c   // v4, IHL 5, total length 28
  00 01 00 00   // id, flags/fragment
  40 01 00 00   // TTL 64, protocol 1 (ICMP), checksum (not checked)
  0a 05 01 02   // 10.5.1.2
  0a 05 01 01   // 10.5.1.1
  08 00 f7 fe 00 01 00 00  // ICMP echo request`;

const IPV6_EMPTY_UDP = hex`
  60 00 00 00   // v6
  00 08 11 40   // payload length 8, next header 17 (UDP), hop limit 64
  ${'00'.repeat(15)} 01   // ::1
  ${'00'.repeat(15)} 01   // ::1
  13 88 13 89 00 08 00 00  // UDP 5000 → 5001`;

describe('decodeIp', () => {
  test('IPv4 with link padding trimmed', () => {
    const padded = new Uint8Array(IPV4_ICMP.length + 4);
    padded.set(IPV4_ICMP);
    const p = decodeIp(padded);
    expect(p).toMatchObject({ version: 4, headerLength: 20, protocol: 1, totalLength: 28 });
    expect(p.packet.length).toBe(28);
    expect(p.packet.buffer).toBe(padded.buffer);
  });

  test('IPv6', () => {
    const p = decodeIp(IPV6_EMPTY_UDP);
    expect(p).toMatchObject({ version: 6, headerLength: 40, protocol: 17, totalLength: 48 });
  });

  test('errors', () => {
    const code = (c: string) => expect.objectContaining({ code: c });
    expect(() => decodeIp(new Uint8Array(0))).toThrow(code('L2TP_ERR_TRUNCATED'));
    expect(() => decodeIp(IPV4_ICMP.subarray(0, 19))).toThrow(code('L2TP_ERR_TRUNCATED'));
    expect(() => decodeIp(IPV4_ICMP.subarray(0, 27))).toThrow(code('L2TP_ERR_BAD_LENGTH'));
    expect(() => decodeIp(IPV6_EMPTY_UDP.subarray(0, 39))).toThrow(code('L2TP_ERR_TRUNCATED'));
    expect(() => decodeIp(IPV6_EMPTY_UDP.subarray(0, 47))).toThrow(code('L2TP_ERR_BAD_LENGTH'));
    const ihl4 = IPV4_ICMP.slice();
    ihl4[0] = 0x44;
    expect(() => decodeIp(ihl4)).toThrow(code('L2TP_ERR_BAD_LENGTH'));
    const v5 = IPV4_ICMP.slice();
    v5[0] = 0x55;
    expect(() => decodeIp(v5)).toThrow(code('L2TP_ERR_BAD_VERSION'));
  });

  test('encodeIp validates and passes through', () => {
    expect(encodeIp(IPV4_ICMP)[0]).toBe(IPV4_ICMP);
    expect(() => encodeIp(hex`00 00`)).toThrow(UsageError);
  });

  test('totality', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ maxLength: 64 }),
        fc.constantFrom(0x45, 0x4f, 0x60, 0x00),
        (b, first) => {
          if (b.length > 0) b[0] = first;
          try {
            const p = decodeIp(b);
            expect(p.packet.length).toBe(p.totalLength);
            expect(p.totalLength).toBeLessThanOrEqual(b.length);
          } catch (e) {
            expect(e).toBeInstanceOf(DecodeError);
          }
        },
      ),
      { numRuns: 500 },
    );
  });
});

describe('HDLC', () => {
  test('golden: Cisco HDLC keepalive-style frame', () => {
    const frame = hex`8f 00  // address (broadcast), control
      80 35  00 00 00 02`;
    const f = decodeHdlc(frame);
    expect(f).toMatchObject({ address: 0x8f, control: 0x00 });
    expect(Array.from(f.information)).toEqual([0x80, 0x35, 0, 0, 0, 2]);
    expect(f.information.byteOffset).toBe(2);
    const [prefix, info] = encodeHdlc(0x8f, 0x00, f.information);
    expect(prefix).toEqual(hex`8f 00`);
    expect(info).toBe(f.information);
  });

  test('errors', () => {
    expect(() => decodeHdlc(hex`ff`)).toThrow(
      expect.objectContaining({ code: 'L2TP_ERR_TRUNCATED' }),
    );
    expect(() => encodeHdlc(256, 3, new Uint8Array(0))).toThrow(UsageError);
    expect(() => encodeHdlc(255, -1, new Uint8Array(0))).toThrow(UsageError);
  });

  test('round trip and totality', () => {
    fc.assert(
      fc.property(fc.nat(255), fc.nat(255), fc.uint8Array({ maxLength: 32 }), (a, c, info) => {
        const [prefix, body] = encodeHdlc(a, c, info) as [Uint8Array, Uint8Array];
        const bytes = new Uint8Array(prefix.length + body.length);
        bytes.set(prefix);
        bytes.set(body, prefix.length);
        const f = decodeHdlc(bytes);
        expect([f.address, f.control]).toEqual([a, c]);
        expect(f.information).toEqual(info);
      }),
      { numRuns: 200 },
    );
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 4 }), (b) => {
        try {
          expect(decodeHdlc(b).information.length).toBe(b.length - 2);
        } catch (e) {
          expect(e).toBeInstanceOf(DecodeError);
        }
      }),
    );
  });
});
