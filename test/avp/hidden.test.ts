/**
 * AVP hiding (src/avp/hidden.ts, RFC 2661 §4.3, RFC 3931 §5.3): golden vectors computed outside
 * this code base, an independent node:crypto transcription of the RFC as reference, the list-level
 * Random Vector rule and the typed errors.
 */
import { createHash, createHmac } from 'node:crypto';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  deriveV3HidingKey,
  hideAvps,
  hideAvpValue,
  unhideAvps,
  unhideAvpValue,
} from '../../src/avp/hidden.js';
import { decodeAvps, encodeAvps, type RawAvp } from '../../src/avp/raw.js';
import { DecodeError, L2tpError, ProtocolError, UsageError } from '../../src/errors.js';
import { nodeCrypto } from '../../src/node/crypto.js';
import { hex } from '../helpers/hex.js';

const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
const md5 = (...parts: Uint8Array[]): Uint8Array => {
  const h = createHash('md5');
  for (const p of parts) h.update(p);
  return Uint8Array.from(h.digest());
};

const SECRET = ascii('tunnelsecret');
const RV = hex`000102030405060708090a0b0c0d0e0f`;

// Independent, literal transcription of RFC 2661 §4.3 with node:crypto, block by block:
// b1 = MD5(type + S + RV), c1 = p1 xor b1, b(i) = MD5(S + c(i-1)), last block partial.
function referenceHide(type: number, secret: Uint8Array, rv: Uint8Array, sub: Uint8Array) {
  const c: number[] = [];
  for (let i = 0; i < sub.length; i += 16) {
    const b =
      i === 0
        ? md5(Uint8Array.of(type >> 8, type & 0xff), secret, rv)
        : md5(secret, Uint8Array.from(c.slice(i - 16, i)));
    sub.subarray(i, i + 16).forEach((p, j) => {
      c.push(p ^ (b[j] as number));
    });
  }
  return Uint8Array.from(c);
}

function codeOf(f: () => unknown): L2tpError {
  try {
    f();
  } catch (e) {
    if (e instanceof L2tpError) return e;
    throw e;
  }
  throw new Error('did not throw');
}

describe('hideAvpValue golden vectors', () => {
  // Computed separately with Python hashlib from the RFC 2661 §4.3 construction.
  it('single partial block: Challenge (type 11), 8-byte value, no padding', () => {
    const ct = hideAvpValue(hex`0102030405060708`, 11, SECRET, RV, nodeCrypto);
    expect(ct).toEqual(hex`3a06 20c76574b513e165`); // 2-byte length + 8 bytes, 10 in all
    expect(ct).toEqual(referenceHide(11, SECRET, RV, hex`0008 0102030405060708`));
    expect(unhideAvpValue(ct, 11, SECRET, RV, nodeCrypto)).toEqual(hex`0102030405060708`);
  });

  it('two blocks chained on the ciphertext: type 33, 16-byte value + 6 bytes padding', () => {
    const value = hex`a0a1a2a3a4a5a6a7a8a9aaabacadaeaf`;
    const padding = hex`eeeeeeeeeeee`;
    const ct = hideAvpValue(value, 33, SECRET, RV, nodeCrypto, padding);
    expect(ct).toEqual(
      hex`
        e592 927ef3e5e97e31a54afe51c93ea7   // c1 = (0010 a0..ad) xor MD5(0021 + S + RV)
        c9df fe328fc348e8                   // c2 = (aeaf eeeeeeeeeeee) xor MD5(S + c1)
      `,
    );
    const sub = new Uint8Array(24);
    sub.set([0, 16]);
    sub.set(value, 2);
    sub.set(padding, 18);
    expect(ct).toEqual(referenceHide(33, SECRET, RV, sub));
    expect(unhideAvpValue(ct, 33, SECRET, RV, nodeCrypto)).toEqual(value);
  });

  it('depends on the attribute type, the secret and the random vector', () => {
    const v = ascii('password');
    const base = hideAvpValue(v, 33, SECRET, RV, nodeCrypto);
    expect(hideAvpValue(v, 34, SECRET, RV, nodeCrypto)).not.toEqual(base);
    expect(hideAvpValue(v, 33, ascii('other'), RV, nodeCrypto)).not.toEqual(base);
    expect(hideAvpValue(v, 33, SECRET, RV.subarray(1), nodeCrypto)).not.toEqual(base);
  });

  it('L2TPv3 hiding key is HMAC_MD5(secret, 0x01) (RFC 3931 §5.3)', () => {
    const expected = Uint8Array.from(createHmac('md5', SECRET).update(Uint8Array.of(1)).digest());
    expect(deriveV3HidingKey(SECRET, nodeCrypto)).toEqual(expected);
  });
});

describe('hideAvpValue / unhideAvpValue errors', () => {
  it('ciphertext shorter than the length prefix is a DecodeError', () => {
    for (const ct of [hex``, hex`00`]) {
      const e = codeOf(() => unhideAvpValue(ct, 11, SECRET, RV, nodeCrypto));
      expect(e).toBeInstanceOf(DecodeError);
      expect(e.code).toBe('L2TP_ERR_HIDDEN_BAD_LENGTH');
    }
  });

  it('decrypted length larger than the value is L2TP_ERR_HIDDEN_BAD_LENGTH', () => {
    // Hide a subformat whose length field claims 9 bytes while only 8 follow.
    const forged = referenceHide(11, SECRET, RV, hex`0009 0102030405060708`);
    const e = codeOf(() => unhideAvpValue(forged, 11, SECRET, RV, nodeCrypto));
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.code).toBe('L2TP_ERR_HIDDEN_BAD_LENGTH');
    expect(e.attributeType).toBe(11);
    expect((e as ProtocolError).resultCode).toBe(2);
    expect((e as ProtocolError).errorCode).toBe(2);
  });

  it('a value that cannot fit an AVP is a UsageError', () => {
    expect(() => hideAvpValue(new Uint8Array(1015), 1, SECRET, RV, nodeCrypto)).not.toThrow();
    expect(() => hideAvpValue(new Uint8Array(1016), 1, SECRET, RV, nodeCrypto)).toThrow(UsageError);
    expect(() =>
      hideAvpValue(new Uint8Array(1000), 1, SECRET, RV, nodeCrypto, new Uint8Array(16)),
    ).toThrow(UsageError);
    expect(() => hideAvpValue(hex`00`, 0x10000, SECRET, RV, nodeCrypto)).toThrow(UsageError);
  });
});

describe('hide/unhide properties', () => {
  test.prop([
    fc.uint8Array({ maxLength: 300 }),
    fc.uint8Array({ maxLength: 40 }),
    fc.integer({ min: 0, max: 0xffff }),
    fc.uint8Array({ maxLength: 32 }),
    fc.uint8Array({ minLength: 1, maxLength: 32 }),
  ])(
    'unhide(hide(v)) = v for any padding, type, secret and RV',
    (value, padding, type, secret, rv) => {
      const ct = hideAvpValue(value, type, secret, rv, nodeCrypto, padding);
      expect(ct.length).toBe(2 + value.length + padding.length);
      const sub = new Uint8Array(ct.length);
      sub.set([value.length >> 8, value.length & 0xff]);
      sub.set(value, 2);
      sub.set(padding, 2 + value.length);
      expect(ct).toEqual(referenceHide(type, secret, rv, sub));
      expect(unhideAvpValue(ct, type, secret, rv, nodeCrypto)).toEqual(value);
    },
  );

  test.prop([fc.uint8Array({ maxLength: 100 }), fc.uint8Array({ minLength: 1, maxLength: 16 })])(
    'unhide of arbitrary ciphertext returns a value or throws a typed L2tpError',
    (ct, rv) => {
      try {
        const v = unhideAvpValue(ct, 7, SECRET, rv, nodeCrypto);
        expect(v.length).toBeLessThanOrEqual(ct.length - 2);
      } catch (e) {
        expect(e).toBeInstanceOf(L2tpError);
        expect((e as L2tpError).code).toBe('L2TP_ERR_HIDDEN_BAD_LENGTH');
      }
    },
  );
});

const avp = (attributeType: number, value: Uint8Array, extra: Partial<RawAvp> = {}): RawAvp => ({
  mandatory: true,
  hidden: false,
  vendorId: 0,
  attributeType,
  value,
  ...extra,
});

describe('unhideAvps: the most recent preceding Random Vector', () => {
  const RV2 = hex`ffeeddccbbaa99887766554433221100`;

  it('uses each hidden AVP’s closest preceding Random Vector AVP', () => {
    const list: RawAvp[] = [
      avp(0, hex`0001`),
      avp(36, RV),
      avp(11, hideAvpValue(ascii('challenge!'), 11, SECRET, RV, nodeCrypto), { hidden: true }),
      avp(36, RV2),
      avp(7, hideAvpValue(ascii('lns.example'), 7, SECRET, RV2, nodeCrypto), {
        hidden: true,
        mandatory: false,
        reserved: 3,
      }),
      avp(8, ascii('vendor'), { mandatory: false }),
    ];
    // Through the wire format, so the values are views of one datagram as in real use.
    const received = decodeAvps(encodeAvps(list));
    const out = unhideAvps(received, SECRET, nodeCrypto);
    expect(out).toEqual([
      avp(0, hex`0001`),
      avp(36, RV),
      avp(11, ascii('challenge!')),
      avp(36, RV2),
      avp(7, ascii('lns.example'), { mandatory: false, reserved: 3 }),
      avp(8, ascii('vendor'), { mandatory: false }),
    ]);
    expect(out[0]).toBe(received[0]); // untouched AVPs are the same objects
  });

  it('returns the input list itself when nothing is hidden', () => {
    const list = [avp(0, hex`0001`), avp(7, ascii('host'))];
    expect(unhideAvps(list, undefined, nodeCrypto)).toBe(list);
  });

  it('a hidden AVP without a secret is L2TP_ERR_HIDDEN_NO_SECRET', () => {
    const list = [avp(36, RV), avp(11, hex`0000`, { hidden: true })];
    const e = codeOf(() => unhideAvps(list, undefined, nodeCrypto));
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.code).toBe('L2TP_ERR_HIDDEN_NO_SECRET');
    expect(e.attributeType).toBe(11);
  });

  it('a hidden AVP before any Random Vector is L2TP_ERR_HIDDEN_NO_RANDOM_VECTOR', () => {
    const ct = hideAvpValue(ascii('x'), 11, SECRET, RV, nodeCrypto);
    const list = [avp(0, hex`0001`), avp(11, ct, { hidden: true }), avp(36, RV)];
    const e = codeOf(() => unhideAvps(list, SECRET, nodeCrypto));
    expect(e).toBeInstanceOf(ProtocolError);
    expect(e.code).toBe('L2TP_ERR_HIDDEN_NO_RANDOM_VECTOR');
    // A vendor Random-Vector-typed AVP (vendor 9, type 36) does not count.
    const vendorRv = [avp(36, RV, { vendorId: 9 }), avp(11, ct, { hidden: true })];
    expect(codeOf(() => unhideAvps(vendorRv, SECRET, nodeCrypto)).code).toBe(
      'L2TP_ERR_HIDDEN_NO_RANDOM_VECTOR',
    );
  });

  it('a wrong secret surfaces as L2TP_ERR_HIDDEN_BAD_LENGTH or garbage, never a crash', () => {
    const ct = hideAvpValue(ascii('secret name'), 7, SECRET, RV, nodeCrypto);
    const list = [avp(36, RV), avp(7, ct, { hidden: true })];
    try {
      const out = unhideAvps(list, ascii('wrong'), nodeCrypto);
      expect(out[1]?.value).not.toEqual(ascii('secret name'));
    } catch (e) {
      expect((e as L2tpError).code).toBe('L2TP_ERR_HIDDEN_BAD_LENGTH');
    }
  });
});

describe('hideAvps', () => {
  const list: RawAvp[] = [
    avp(0, hex`0001`),
    avp(2, hex`0100`),
    avp(11, ascii('a challenge of more than sixteen octets')),
    avp(7, ascii('lac')),
    avp(8, ascii('vendor'), { mandatory: false }),
  ];

  it('inserts the Random Vector right before the first hidden AVP and round-trips', () => {
    const hidden = hideAvps(
      list,
      (a) => a.attributeType === 11 || a.attributeType === 7,
      SECRET,
      RV,
      nodeCrypto,
      (_a, i) => new Uint8Array(i), // deterministic "random" padding of i bytes
    );
    expect(hidden.map((a) => [a.attributeType, a.hidden])).toEqual([
      [0, false],
      [2, false],
      [36, false],
      [11, true],
      [7, true],
      [8, false],
    ]);
    expect(hidden[2]).toEqual(avp(36, RV));
    expect(hidden[4]?.value.length).toBe(2 + 3 + 3);
    expect(list[2]?.hidden).toBe(false); // input untouched
    const wire = encodeAvps(hidden);
    expect(unhideAvps(decodeAvps(wire), SECRET, nodeCrypto)).toEqual([
      ...list.slice(0, 2),
      avp(36, RV),
      ...list.slice(2),
    ]);
  });

  it('refuses already-hidden input, an empty RV and a later Random Vector', () => {
    const pick = (a: RawAvp) => a.attributeType === 7;
    expect(() =>
      hideAvps([avp(7, hex`00`, { hidden: true })], pick, SECRET, RV, nodeCrypto),
    ).toThrow(UsageError);
    expect(() => hideAvps(list, pick, SECRET, new Uint8Array(0), nodeCrypto)).toThrow(UsageError);
    expect(() => hideAvps([...list, avp(36, RV)], pick, SECRET, RV, nodeCrypto)).toThrow(
      UsageError,
    );
    // A Random Vector before the insertion point is harmless: ours is closer.
    expect(hideAvps([avp(36, RV), ...list], pick, SECRET, RV, nodeCrypto)).toHaveLength(7);
  });
});
