/**
 * The PPP authentication primitives: MD4 (js-md4) against the RFC 1320 §A.5 test suite, DES
 * (des.js) against published single-block vectors, both against OpenSSL's legacy provider where
 * this Node can load it (a differential run over random inputs), and the Node adapter's MD5 and
 * SHA-1 against their RFC 1321 / FIPS 180 examples.
 */
import { spawnSync } from 'node:child_process';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { UsageError } from '../../../src/errors.js';
import { nodePppAuthCrypto } from '../../../src/node/ppp-crypto.js';
import { legacyCrypto, pppAuthCrypto } from '../../../src/ppp/auth/crypto.js';
import { hex } from '../../helpers/hex.js';

const ascii = (s: string): Uint8Array => Uint8Array.from(Buffer.from(s, 'latin1'));
const toHex = (b: Uint8Array): string => Buffer.from(b).toString('hex');

describe('MD4 (RFC 1320 §A.5 test suite)', () => {
  const suite: [string, string][] = [
    ['', '31d6cfe0d16ae931b73c59d7e0c089c0'],
    ['a', 'bde52cb31de33e46245e05fbdbd6fb24'],
    ['abc', 'a448017aaf21d8525fc10ae87aa6729d'],
    ['message digest', 'd9130a8164549fe818874806e1c7014b'],
    ['abcdefghijklmnopqrstuvwxyz', 'd79e1c308aa5bbcdeea8ed63df412da9'],
    [
      'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789',
      '043f8582f241db351ce627e153e7f0e4',
    ],
    [
      '12345678901234567890123456789012345678901234567890123456789012345678901234567890',
      'e33b4ddc9c38f2199c3e7b164fcc0536',
    ],
  ];
  for (const [input, digest] of suite) {
    it(`MD4("${input.length > 20 ? `${input.slice(0, 20)}…` : input}")`, () => {
      expect(toHex(legacyCrypto.md4(ascii(input)))).toBe(digest);
    });
  }

  it('hashes the concatenation of its parts, from views at any offset', () => {
    const whole = ascii('message digest');
    const backing = new Uint8Array(40);
    backing.set(whole, 17);
    const view = backing.subarray(17, 17 + whole.length);
    expect(legacyCrypto.md4(view.subarray(0, 7), view.subarray(7))).toEqual(
      legacyCrypto.md4(whole),
    );
    expect(legacyCrypto.md4()).toEqual(hex`31d6cfe0d16ae931b73c59d7e0c089c0`);
  });
});

describe('DES (FIPS 46) single blocks', () => {
  it('encrypts the published examples', () => {
    // The worked example in J. Orlin Grabbe's "The DES Algorithm Illustrated".
    expect(legacyCrypto.desEncrypt(hex`133457799BBCDFF1`, hex`0123456789ABCDEF`)).toEqual(
      hex`85E813540F0AB405`,
    );
    // FIPS 81 Appendix B: "Now is t" under 0123456789abcdef.
    expect(legacyCrypto.desEncrypt(hex`0123456789ABCDEF`, hex`4E6F772069732074`)).toEqual(
      hex`3FA40E8A984D4815`,
    );
  });

  it('ignores the parity bit of each key octet', () => {
    const key = hex`133457799BBCDFF1`;
    const flipped = key.map((b) => b ^ 1);
    expect(legacyCrypto.desEncrypt(flipped, hex`0123456789ABCDEF`)).toEqual(hex`85E813540F0AB405`);
  });

  it('refuses keys and blocks that are not 8 octets', () => {
    expect(() => legacyCrypto.desEncrypt(new Uint8Array(7), new Uint8Array(8))).toThrow(UsageError);
    expect(() => legacyCrypto.desEncrypt(new Uint8Array(8), new Uint8Array(9))).toThrow(UsageError);
  });
});

describe('Node adapter', () => {
  it('MD5 (RFC 1321 §A.5) and SHA-1 (FIPS 180 "abc")', () => {
    expect(toHex(nodePppAuthCrypto.md5(ascii('abc')))).toBe('900150983cd24fb0d6963f7d28e17f72');
    expect(toHex(nodePppAuthCrypto.md5(ascii('a'), ascii('bc')))).toBe(
      '900150983cd24fb0d6963f7d28e17f72',
    );
    expect(toHex(nodePppAuthCrypto.sha1(ascii('abc')))).toBe(
      'a9993e364706816aba3e25717850c26c9cd0d89d',
    );
    const md5 = nodePppAuthCrypto.md5(ascii('x'));
    expect(Object.getPrototypeOf(md5)).toBe(Uint8Array.prototype);
  });

  it('pppAuthCrypto takes MD5 and SHA-1 from the host, MD4 and DES from legacyCrypto', () => {
    const calls: string[] = [];
    const c = pppAuthCrypto({
      md5: () => {
        calls.push('md5');
        return new Uint8Array(16);
      },
      sha1: () => {
        calls.push('sha1');
        return new Uint8Array(20);
      },
    });
    c.md5();
    c.sha1();
    expect(calls).toEqual(['md5', 'sha1']);
    expect(c.md4).toBe(legacyCrypto.md4);
    expect(c.desEncrypt).toBe(legacyCrypto.desEncrypt);
  });
});

// OpenSSL 3 keeps MD4 and DES in its legacy provider; a Node started with
// --openssl-legacy-provider can reach them where the provider module is installed.
const LEGACY_SCRIPT = `
const c = require('node:crypto');
const cases = JSON.parse(require('node:fs').readFileSync(0, 'utf8'));
const out = cases.map(([data, key, block]) => {
  const d = c.createCipheriv('des-ecb', Buffer.from(key, 'hex'), null);
  d.setAutoPadding(false);
  return [
    c.createHash('md4').update(Buffer.from(data, 'hex')).digest('hex'),
    Buffer.concat([d.update(Buffer.from(block, 'hex')), d.final()]).toString('hex'),
  ];
});
process.stdout.write(JSON.stringify(out));`;

function legacyOpenSsl(cases: [string, string, string][]): [string, string][] | undefined {
  const r = spawnSync(process.execPath, ['--openssl-legacy-provider', '-e', LEGACY_SCRIPT], {
    input: JSON.stringify(cases),
    encoding: 'utf8',
  });
  if (r.status !== 0) return undefined;
  return JSON.parse(r.stdout) as [string, string][];
}

const haveLegacy = legacyOpenSsl([['', '0000000000000000', '0000000000000000']]) !== undefined;

describe.skipIf(!haveLegacy)('against OpenSSL legacy MD4 and DES (differential)', () => {
  it('agrees on 300 random inputs, keys and blocks', () => {
    const cases = fc.sample(
      fc.tuple(
        fc.uint8Array({ maxLength: 200 }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
        fc.uint8Array({ minLength: 8, maxLength: 8 }),
      ),
      { numRuns: 300, seed: 16 },
    );
    const asHex = cases.map(
      ([d, k, b]) => [toHex(d), toHex(k), toHex(b)] as [string, string, string],
    );
    const theirs = legacyOpenSsl(asHex) ?? [];
    expect(theirs).toHaveLength(cases.length);
    // And NtPasswordHash("clientPass") of RFC 2759 §9.2, through OpenSSL's MD4.
    const clientPass = toHex(Buffer.from('clientPass', 'utf16le'));
    expect(legacyOpenSsl([[clientPass, '00'.repeat(8), '00'.repeat(8)]])?.[0]?.[0]).toBe(
      '44ebba8d5312b8d611474411f56989ae',
    );
    cases.forEach(([data, key, block], i) => {
      expect(toHex(legacyCrypto.md4(data)), `md4 #${i}`).toBe(theirs[i]?.[0]);
      expect(toHex(legacyCrypto.desEncrypt(key, block)), `des #${i}`).toBe(theirs[i]?.[1]);
    });
  });
});

test.prop([fc.uint8Array({ maxLength: 64 }), fc.uint8Array({ maxLength: 64 })])(
  'md4 of parts equals md4 of their concatenation',
  (a, b) => {
    const ab = new Uint8Array(a.length + b.length);
    ab.set(a);
    ab.set(b, a.length);
    expect(legacyCrypto.md4(a, b)).toEqual(legacyCrypto.md4(ab));
  },
);
