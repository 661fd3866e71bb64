// Pseudowire framers (src/pw/framer.ts): factory by name and PW Type, sublayer facts (RFC 4454 §4),
// golden frames per type (PPP with and without FF 03, VLAN, IP trimming, FR EA bits, ATM cells and
// admin cells), and properties: decode agrees with the sibling codecs on arbitrary bytes (accepts
// exactly what they accept, returns their view), decode is total, and checkTx ⇒ decode round trip.

import fc from 'fast-check';
import { describe, expect, test } from 'vitest';
import { SUBLAYER_BITS } from '../../src/codec/header.js';
import { L2SpecificSublayer, PseudowireType } from '../../src/constants.js';
import { DecodeError, UsageError } from '../../src/errors.js';
import { decodeAtmAal5, decodeAtmCells } from '../../src/pw/atm.js';
import { decodeEthernet } from '../../src/pw/ethernet.js';
import { decodeFrameRelay } from '../../src/pw/frame-relay.js';
import {
  PSEUDOWIRE_TYPES,
  type PseudowireFramer,
  type PseudowireFramerOptions,
  type PseudowireName,
  pseudowireFramer,
} from '../../src/pw/framer.js';
import { decodeHdlc } from '../../src/pw/hdlc.js';
import { decodeIp } from '../../src/pw/ip.js';
import { decodePpp } from '../../src/pw/ppp.js';
import { hex } from '../helpers/hex.js';

const NAMES = Object.keys(PSEUDOWIRE_TYPES) as PseudowireName[];
const MAC2 = '02 00 00 00 00 01  02 00 00 00 00 02';

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

function decodeError(f: () => unknown): DecodeError {
  try {
    f();
  } catch (error) {
    if (error instanceof DecodeError) return error;
    throw error;
  }
  throw new Error('expected a DecodeError');
}

describe('pseudowireFramer factory', () => {
  test('by name and by PW Type value give the same framer', () => {
    for (const name of NAMES) {
      const byName = pseudowireFramer(name);
      const byType = pseudowireFramer(PSEUDOWIRE_TYPES[name]);
      expect(byName.name).toBe(name);
      expect(byType.name).toBe(name);
      expect(byName.pwType).toBe(PSEUDOWIRE_TYPES[name]);
    }
    expect(pseudowireFramer(5).name).toBe('ethernet');
    expect(pseudowireFramer(4).name).toBe('ethernet-vlan');
    expect(pseudowireFramer(7).name).toBe('ppp');
    expect(pseudowireFramer('ethernet', { vlan: true }).name).toBe('ethernet-vlan');
  });

  test('unknown types and bad options are UsageErrors', () => {
    expect(() => pseudowireFramer(PseudowireType.DocsisMpt)).toThrow(UsageError);
    expect(() => pseudowireFramer(0)).toThrow(UsageError);
    expect(() => pseudowireFramer('tdm' as PseudowireName)).toThrow(/no framer/);
    expect(() =>
      pseudowireFramer('frame-relay', { frHeaderLength: 3 } as unknown as PseudowireFramerOptions),
    ).toThrow(/frHeaderLength/);
    expect(() => pseudowireFramer('atm-cell-vcc', { maxCells: 0 })).toThrow(/maxCells/);
    expect(() => pseudowireFramer('atm-cell-vcc', { peerMaxCells: 1.5 })).toThrow(/peerMaxCells/);
  });

  test('sublayers: AAL5 needs the ATM sublayer, cells may use any, the rest none/default', () => {
    const aal5 = pseudowireFramer('atm-aal5');
    expect(aal5.sublayers).toEqual(['atm']);
    expect(aal5.defaultSublayer).toBe('atm');
    expect(aal5.l2SpecificSublayer).toBe(L2SpecificSublayer.Atm);
    expect(pseudowireFramer('atm-cell-port').sublayers).toEqual(['none', 'default', 'atm']);
    for (const name of ['ethernet', 'ethernet-vlan', 'ppp', 'ip', 'hdlc', 'frame-relay'] as const) {
      const f = pseudowireFramer(name);
      expect(f.sublayers).toEqual(['none', 'default']);
      expect(f.defaultSublayer).toBe('default');
      expect(f.l2SpecificSublayer).toBe(L2SpecificSublayer.Default);
    }
  });
});

describe('Ethernet', () => {
  const eth = pseudowireFramer('ethernet');
  const vlan = pseudowireFramer('ethernet-vlan');

  test('an untagged frame passes as the payload itself (no copy)', () => {
    const frame = hex`${MAC2}  08 00  // IPv4
      45`;
    expect(eth.txPrefix.length).toBe(0);
    expect(eth.checkTx(frame)).toBeUndefined();
    expect(eth.decode(frame, 0)).toBe(frame);
  });

  test('minimum lengths: 14 untagged, 18 with one tag, 22 with two', () => {
    expect(eth.checkTx(new Uint8Array(13))).toMatch(/shorter than 14/);
    expect(decodeError(() => eth.decode(new Uint8Array(13), 0)).code).toBe('L2TP_ERR_TRUNCATED');
    const oneTag = hex`${MAC2}  81 00 00 64`;
    expect(eth.checkTx(oneTag)).toMatch(/shorter than 18/);
    const qinq = hex`${MAC2}  88 a8 00 0a  81 00 00 64`;
    expect(eth.checkTx(qinq)).toMatch(/shorter than 22/);
    const qinqOk = hex`${MAC2}  88 a8 00 0a  81 00 00 64  08 00`;
    expect(eth.checkTx(qinqOk)).toBeUndefined();
    expect(vlan.decode(qinqOk, 0)).toBe(qinqOk);
  });

  test('Ethernet-VLAN refuses untagged frames (RFC 4719 §4)', () => {
    const untagged = hex`${MAC2}  08 00  45 00 00 00`;
    expect(vlan.checkTx(untagged)).toMatch(/untagged/);
    expect(decodeError(() => vlan.decode(untagged, 0)).code).toBe('L2TP_ERR_BAD_HEADER');
    const tagged = hex`${MAC2}  81 00  20 64  08 00`;
    expect(vlan.checkTx(tagged)).toBeUndefined();
    expect(vlan.decode(tagged, 0)).toBe(tagged);
  });
});

describe('PPP', () => {
  const plain = pseudowireFramer('ppp');
  const ac = pseudowireFramer('ppp', { addressControl: true });
  const lcp = hex`c0 21  01 01 00 04  // LCP Configure-Request, id 1, length 4`;

  test('txPrefix is FF 03 only with addressControl', () => {
    expect(Array.from(plain.txPrefix)).toEqual([]);
    expect(Array.from(ac.txPrefix)).toEqual([0xff, 0x03]);
    expect(ac.checkTx(lcp)).toBeUndefined();
    expect(ac.checkTx(hex`ff 03 c0 21`)).toMatch(/already starts with FF 03/);
  });

  test('received with or without FF 03, the frame is handed on without it', () => {
    expect(plain.decode(lcp, 0)).toBe(lcp);
    const withAc = hex`ff 03  c0 21 01 01 00 04`;
    const out = ac.decode(withAc, 0);
    expect(Array.from(out)).toEqual(Array.from(lcp));
    expect(out.buffer).toBe(withAc.buffer);
    expect(out.byteOffset).toBe(2);
    // Both framers accept both forms: peers differ.
    expect(Array.from(plain.decode(withAc, 0))).toEqual(Array.from(lcp));
    expect(ac.decode(lcp, 0)).toBe(lcp);
  });

  test('Protocol field: compressed (odd first octet) or two octets ending odd', () => {
    expect(plain.decode(hex`21 45`, 0).length).toBe(2); // PFC IPv4
    expect(plain.checkTx(hex`21`)).toBeUndefined();
    expect(plain.checkTx(hex`c0 20`)).toMatch(/Protocol/);
    expect(plain.checkTx(new Uint8Array(0))).toMatch(/Protocol/);
    expect(decodeError(() => plain.decode(hex`c0 20 00`, 0)).code).toBe('L2TP_ERR_BAD_HEADER');
    expect(decodeError(() => plain.decode(hex`ff 03 c0`, 0)).code).toBe('L2TP_ERR_TRUNCATED');
    expect(decodeError(() => plain.decode(hex`ff 03`, 0)).code).toBe('L2TP_ERR_TRUNCATED');
  });
});

describe('IP', () => {
  const ip = pseudowireFramer('ip');
  const v4 = hex`45 00 00 14  00 00 00 00  40 11 00 00  0a 00 00 01  0a 00 00 02  // 20-octet header`;

  test('valid packets pass; link padding is trimmed on receive', () => {
    expect(ip.checkTx(v4)).toBeUndefined();
    expect(ip.decode(v4, 0)).toBe(v4);
    const padded = concat(v4, hex`00 00 00 00`);
    const out = ip.decode(padded, 0);
    expect(out.length).toBe(20);
    expect(out.buffer).toBe(padded.buffer);
  });

  test('version nibble and length fields are checked', () => {
    expect(ip.checkTx(hex`55 00`)).toMatch(/version/);
    expect(decodeError(() => ip.decode(hex`55 00`, 0)).code).toBe('L2TP_ERR_BAD_VERSION');
    expect(decodeError(() => ip.decode(v4.subarray(0, 19), 0)).code).toBe('L2TP_ERR_TRUNCATED');
    const tooLong = v4.slice();
    tooLong[3] = 0x15; // Total Length 21 > 20 octets present
    expect(ip.checkTx(tooLong)).toMatch(/declared length/);
    expect(decodeError(() => ip.decode(tooLong, 0)).code).toBe('L2TP_ERR_BAD_LENGTH');
    expect(decodeError(() => ip.decode(new Uint8Array(0), 0)).code).toBe('L2TP_ERR_TRUNCATED');
  });
});

describe('HDLC and Frame Relay', () => {
  test('HDLC needs address and control', () => {
    const hdlc = pseudowireFramer('hdlc');
    expect(hdlc.checkTx(hex`0f`)).toMatch(/address/);
    expect(hdlc.decode(hex`0f 00 08 00`, 0).length).toBe(4);
    expect(decodeError(() => hdlc.decode(hex`ff`, 0)).code).toBe('L2TP_ERR_TRUNCATED');
  });

  test('Frame Relay checks the EA bits of a 2- or 4-octet address (RFC 4591 §4.1)', () => {
    const fr2 = pseudowireFramer('frame-relay');
    const frame = hex`18 41  03 cc  // DLCI 100, EA 0 then 1; UI, NLPID IP`;
    expect(fr2.checkTx(frame)).toBeUndefined();
    expect(fr2.decode(frame, 0)).toBe(frame);
    expect(fr2.checkTx(hex`18 40 03`)).toMatch(/octet 1/);
    expect(decodeError(() => fr2.decode(hex`19 41`, 0)).offset).toBe(0);
    expect(decodeError(() => fr2.decode(hex`18`, 0)).code).toBe('L2TP_ERR_TRUNCATED');
    const fr4 = pseudowireFramer('frame-relay', { frHeaderLength: 4 });
    expect(fr4.checkTx(hex`18 40 00 01  03`)).toBeUndefined();
    expect(fr4.checkTx(hex`18 40 00 03  03`)).toMatch(/D\/C/); // D/C bit set
    expect(fr4.checkTx(hex`18 41 00`)).toMatch(/shorter/);
  });
});

describe('ATM', () => {
  const cell = new Uint8Array(52).fill(0x6a);
  cell.set(hex`00 00 10 00`, 0); // VPI 0, VCI 1

  test('cell modes: whole cells, at most maxCells in and peerMaxCells out', () => {
    const vcc = pseudowireFramer('atm-cell-vcc', { maxCells: 2, peerMaxCells: 1 });
    const two = concat(cell, cell);
    expect(vcc.checkTx(cell)).toBeUndefined();
    expect(vcc.checkTx(two)).toMatch(/peer's maximum/);
    expect(vcc.checkTx(cell.subarray(0, 51))).toMatch(/52-octet/);
    expect(vcc.checkTx(new Uint8Array(0))).toMatch(/52-octet/);
    expect(vcc.decode(two, 0)).toBe(two);
    expect(decodeError(() => vcc.decode(concat(two, cell), 0)).code).toBe('L2TP_ERR_BAD_LENGTH');
    expect(decodeError(() => vcc.decode(cell.subarray(1), 0)).code).toBe('L2TP_ERR_TRUNCATED');
  });

  test('AAL5: any SDU up to 65535 octets; with T = 1 exactly one 52-octet admin cell', () => {
    const aal5 = pseudowireFramer('atm-aal5');
    const sdu = new Uint8Array(100);
    expect(aal5.decode(sdu, 0)).toBe(sdu);
    expect(aal5.decode(new Uint8Array(0), SUBLAYER_BITS.G)).toHaveLength(0);
    expect(aal5.decode(cell, SUBLAYER_BITS.T)).toBe(cell);
    expect(decodeError(() => aal5.decode(sdu, SUBLAYER_BITS.T)).code).toBe('L2TP_ERR_BAD_LENGTH');
    expect(aal5.checkTx(new Uint8Array(65536))).toMatch(/65535/);
    expect(decodeError(() => aal5.decode(new Uint8Array(65536), 0)).code).toBe(
      'L2TP_ERR_BAD_LENGTH',
    );
  });
});

// The sibling codec each framer must agree with: what it accepts and the frame view it hands on.
function oracle(name: PseudowireName, bytes: Uint8Array, atmFlags: number): Uint8Array {
  switch (name) {
    case 'ethernet':
      return decodeEthernet(bytes).frame;
    case 'ethernet-vlan':
      return decodeEthernet(bytes, { mode: 'vlan' }).frame;
    case 'ppp':
      return decodePpp(bytes).packet;
    case 'ip':
      return decodeIp(bytes).packet;
    case 'hdlc':
      return decodeHdlc(bytes).frame;
    case 'frame-relay':
      decodeFrameRelay(bytes, 4);
      return bytes;
    case 'atm-aal5': {
      const p = decodeAtmAal5(bytes, atmFlags);
      return p.kind === 'sdu' ? p.sdu : p.cell.cell;
    }
    default:
      decodeAtmCells(bytes, { maxCells: 3 });
      return bytes;
  }
}

function outcome(f: () => Uint8Array): string {
  try {
    const v = f();
    return `ok ${v.byteOffset} ${v.length}`;
  } catch (error) {
    if (error instanceof DecodeError) return 'DecodeError';
    throw error;
  }
}

// Bytes that often look like the real thing: tagged Ethernet, IP version nibbles, FF 03, EA bits.
const nearValid = fc.oneof(
  fc.uint8Array({ maxLength: 80 }),
  fc
    .tuple(
      fc.constantFrom(hex`ff 03`, hex`81 00`, hex`88 a8`, hex`45 00`, hex`60 00`, hex`18 41`),
      fc.uint8Array({ maxLength: 60 }),
    )
    .map(([a, b]) => concat(a, b)),
  fc
    .tuple(fc.integer({ min: 0, max: 4 }), fc.uint8Array({ minLength: 52, maxLength: 52 }))
    .map(([n, c]) => {
      const out = new Uint8Array(n * 52);
      for (let i = 0; i < n; i++) out.set(c, i * 52);
      return out;
    }),
  fc
    .tuple(fc.uint8Array({ minLength: 12, maxLength: 12 }), fc.uint8Array({ maxLength: 40 }))
    .map(([mac, rest]) => concat(concat(mac, hex`81 00 00 01`), rest)),
);

function framerFor(name: PseudowireName): PseudowireFramer {
  return pseudowireFramer(name, { frHeaderLength: 4, maxCells: 3 });
}

describe('properties', () => {
  test('decode is total and agrees with the sibling codecs on arbitrary bytes', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...NAMES),
        nearValid,
        fc.integer({ min: 0, max: 0x3f }),
        (name, bytes, atmFlags) => {
          const framer = framerFor(name);
          expect(outcome(() => framer.decode(bytes, atmFlags))).toBe(
            outcome(() => oracle(name, bytes, atmFlags)),
          );
        },
      ),
      { numRuns: 3000 },
    );
  });

  test('checkTx never throws; an accepted frame decodes back to itself after txPrefix', () => {
    fc.assert(
      fc.property(
        fc.constantFrom(...NAMES),
        fc.boolean(),
        nearValid,
        (name, addressControl, frame) => {
          const framer = pseudowireFramer(name, { addressControl, frHeaderLength: 4 });
          if (framer.checkTx(frame) !== undefined) return;
          const out = framer.decode(concat(framer.txPrefix, frame), 0);
          // IP may trim link padding after the declared length; a PPP frame the host sent with
          // its own FF 03 (addressControl off) arrives without it; everything else is exact.
          const want =
            name === 'ip'
              ? decodeIp(frame).packet
              : name === 'ppp'
                ? decodePpp(frame).packet
                : frame;
          expect(Array.from(out)).toEqual(Array.from(want));
        },
      ),
      { numRuns: 3000 },
    );
  });
});
