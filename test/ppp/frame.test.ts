// src/ppp/frame.ts: golden frames written from the RFC 1661 §5–§6 and RFC 1332 packet formats,
// with and without FF 03 and Protocol-Field-Compression (§6.5), Length rules of §5 (padding
// ignored, Length beyond the frame or below 4 refused), and totality on arbitrary bytes.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { DecodeError } from '../../src/errors.js';
import {
  controlFrame,
  decodeControl,
  decodeFrame,
  decodeOptions,
  defaultFraming,
  encodeControl,
  encodeFrame,
  encodeOptions,
  frameHeaderLength,
  PppCode,
  PppProtocol,
  u16Option,
  u32Option,
  writeOptions,
} from '../../src/ppp/frame.js';
import { hex } from '../helpers/hex.js';

// RFC 1661 §5.1 Configure-Request with §6.1 MRU 1500 and §6.4 Magic-Number 0x01020304.
const LCP_CONFREQ = hex`
  ff 03        // address, control (RFC 1662 §3.1)
  c0 21        // Protocol: LCP
  01 07 00 0e  // Code 1 Configure-Request, Identifier 7, Length 14
  01 04 05 dc  // MRU (1), Length 4, 1500
  05 06 01 02 03 04  // Magic-Number (5), Length 6, 0x01020304
`;

describe('golden frames', () => {
  test('LCP Configure-Request, MRU 1500 + magic, built from options', () => {
    const options = [u16Option(1, 1500), u32Option(5, 0x01020304)];
    const len = 10;
    const frame = controlFrame(PppProtocol.Lcp, defaultFraming(true), 1, 7, len);
    writeOptions(frame, frame.length - len, options);
    expect(frame).toEqual(LCP_CONFREQ);
  });

  test('the same frame decodes field by field', () => {
    const f = decodeFrame(LCP_CONFREQ);
    expect(f).toMatchObject({ addressControl: true, protocol: 0xc021, protocolLength: 2 });
    const p = decodeControl(f.information);
    expect([p.code, p.id, p.data.length]).toEqual([PppCode.ConfigureRequest, 7, 10]);
    const opts = decodeOptions(p.data);
    expect(opts.map((o) => [o.type, Array.from(o.data)])).toEqual([
      [1, [0x05, 0xdc]],
      [5, [1, 2, 3, 4]],
    ]);
  });

  test('without FF 03 (as Linux pppol2tp passes frames): same packet', () => {
    const f = decodeFrame(LCP_CONFREQ.subarray(2));
    expect(f.addressControl).toBe(false);
    expect(f.protocol).toBe(0xc021);
    expect(f.information).toEqual(LCP_CONFREQ.subarray(4));
  });

  test('RFC 1332 IPCP Configure-Nak suggesting IP-Address 10.0.0.2', () => {
    const info = encodeControl(3, 0x2a, encodeOptions([u32Option(3, 0x0a000002)]));
    expect(encodeFrame(PppProtocol.Ipcp, info, defaultFraming())).toEqual(
      hex`80 21  03 2a 00 0a  03 06 0a 00 00 02`,
    );
  });

  test('RFC 1661 §6.5 PFC: 0x0021 goes out as one octet once negotiated, never LCP', () => {
    const f = { addressControl: true, acfc: false, pfc: true, mtu: 1500 };
    expect(encodeFrame(PppProtocol.Ipv4, hex`45`, f)).toEqual(hex`ff 03 21 45`);
    expect(encodeFrame(PppProtocol.Lcp, hex`09`, f)).toEqual(hex`ff 03 c0 21 09`);
    const d = decodeFrame(hex`21 45 00`);
    expect([d.protocol, d.protocolLength, d.addressControl]).toEqual([0x21, 1, false]);
    expect(decodeFrame(hex`ff 03 21 45`).protocol).toBe(0x21);
  });

  test('RFC 1661 §6.6 ACFC: FF 03 dropped for NCPs, kept for LCP', () => {
    const f = { addressControl: true, acfc: true, pfc: false, mtu: 1500 };
    expect(frameHeaderLength(PppProtocol.Ipcp, f)).toBe(2);
    expect(frameHeaderLength(PppProtocol.Lcp, f)).toBe(4);
    expect(frameHeaderLength(PppProtocol.Ipv4, { ...f, pfc: true })).toBe(1);
    expect(frameHeaderLength(PppProtocol.Ipv4, { ...f, acfc: false, pfc: true })).toBe(3);
  });
});

describe('RFC 1661 §5 Length', () => {
  test('octets beyond Length are padding and ignored', () => {
    const p = decodeControl(hex`09 01 00 08  00 00 00 00  aa bb cc dd`);
    expect(p.data).toEqual(hex`00 00 00 00`);
    expect(p.packet).toEqual(hex`09 01 00 08 00 00 00 00`);
  });

  test('Length beyond the frame: refused (the engines discard silently)', () => {
    expect(() => decodeControl(hex`01 01 00 09 01 04 05 dc`)).toThrow(DecodeError);
    try {
      decodeControl(hex`01 01 00 09 01 04 05 dc`);
    } catch (e) {
      expect((e as DecodeError).code).toBe('L2TP_ERR_BAD_LENGTH');
    }
  });

  test('Length below 4, or fewer than 4 octets: refused', () => {
    expect(() => decodeControl(hex`01 01 00 03`)).toThrow(DecodeError);
    expect(() => decodeControl(hex`01 01 00`)).toThrow(DecodeError);
  });

  test('§6: an option running past the packet, or shorter than 2, refuses the packet', () => {
    expect(() => decodeOptions(hex`01 05 05 dc`)).toThrow(DecodeError);
    expect(() => decodeOptions(hex`07 01`)).toThrow(DecodeError);
    expect(() => decodeOptions(hex`07`)).toThrow(DecodeError);
    expect(decodeOptions(hex`07 02 08 02`).map((o) => o.type)).toEqual([7, 8]);
  });

  test('frames: no protocol field, or one not ending in an odd octet', () => {
    expect(() => decodeFrame(hex`ff 03`)).toThrow(DecodeError);
    expect(() => decodeFrame(hex`c0 20 01`)).toThrow(DecodeError);
    expect(() => decodeFrame(new Uint8Array(0))).toThrow(DecodeError);
  });
});

describe('totality: any bytes give a value or a DecodeError', () => {
  const decoders = [decodeFrame, decodeControl, decodeOptions];
  test('arbitrary bytes', () => {
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 80 }), (bytes) => {
        for (const d of decoders) {
          try {
            d(bytes);
          } catch (e) {
            if (!(e instanceof DecodeError)) throw e;
          }
        }
      }),
      { numRuns: 2000 },
    );
  });

  test('the golden frame with octets changed or cut', () => {
    fc.assert(
      fc.property(
        fc.array(fc.tuple(fc.nat(LCP_CONFREQ.length - 1), fc.integer({ min: 0, max: 255 })), {
          maxLength: 4,
        }),
        fc.nat(LCP_CONFREQ.length),
        (edits, cut) => {
          const b = LCP_CONFREQ.slice(0, cut);
          for (const [i, v] of edits) if (i < b.length) b[i] = v;
          try {
            const f = decodeFrame(b);
            const p = decodeControl(f.information);
            decodeOptions(p.data);
          } catch (e) {
            if (!(e instanceof DecodeError)) throw e;
          }
        },
      ),
      { numRuns: 1000 },
    );
  });
});
