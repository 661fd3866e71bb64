/**
 * The hash and cipher primitives the PPP authentication protocols need, behind one injected
 * interface, in the manner of src/crypto.ts: CHAP-MD5 (RFC 1994 §4.1) needs MD5; MS-CHAPv2
 * (RFC 2759 §8) needs MD4, SHA-1 and single DES.
 *
 * The protocol modules (pap.ts, chap.ts, mschapv2.ts) only ever receive a PppAuthCrypto, so they
 * stay pure and run anywhere. MD5 and SHA-1 come from the host (on Node, node:crypto: see
 * src/node/ppp-crypto.ts). MD4 and DES are gone from OpenSSL 3's default provider, so node:crypto refuses
 * them (`createHash('md4')` and the 'des-ecb' cipher throw "unsupported"); `legacyCrypto` takes
 * them from two small pure-JavaScript libraries, js-md4 and des.js. No primitive is written here:
 * this file only adapts their calls to Uint8Arrays and checks lengths.
 */
import des from 'des.js';
import md4 from 'js-md4';
import { UsageError } from '../../errors.js';

/**
 * Everything PAP, CHAP-MD5 and MS-CHAPv2 compute with. Implementations must be synchronous, must
 * return fresh arrays and must not retain or mutate their inputs. `md5` has the signature of
 * `L2tpCrypto.md5` (src/crypto.ts), so an L2tpCrypto's md5 can be reused.
 */
export interface PppAuthCrypto {
  /** MD5 (RFC 1321) of the concatenation of `parts`: 16 octets. */
  md5(...parts: readonly Uint8Array[]): Uint8Array;
  /** SHA-1 (FIPS 180) of the concatenation of `parts`: 20 octets. */
  sha1(...parts: readonly Uint8Array[]): Uint8Array;
  /** MD4 (RFC 1320) of the concatenation of `parts`: 16 octets. */
  md4(...parts: readonly Uint8Array[]): Uint8Array;
  /**
   * DES (FIPS 46) encryption of one 8-octet `block` in ECB mode under the 8-octet `key`, whose
   * low (parity) bit in each octet is ignored. Returns 8 octets.
   */
  desEncrypt(key: Uint8Array, block: Uint8Array): Uint8Array;
}

/** The two primitives a host's own crypto usually lacks. */
export type LegacyPrimitives = Pick<PppAuthCrypto, 'md4' | 'desEncrypt'>;

/** MD4 from js-md4 and DES from des.js: pure JavaScript, no `node:` module, no OpenSSL. */
export const legacyCrypto: LegacyPrimitives = {
  md4(...parts: readonly Uint8Array[]): Uint8Array {
    const h = md4.create();
    for (const p of parts) h.update(p);
    return new Uint8Array(h.arrayBuffer());
  },
  desEncrypt(key: Uint8Array, block: Uint8Array): Uint8Array {
    if (key.length !== 8) throw new UsageError(`DES key must be 8 octets, got ${key.length}`);
    if (block.length !== 8) throw new UsageError(`DES block must be 8 octets, got ${block.length}`);
    const cipher = des.DES.create({ type: 'encrypt', key, padding: false });
    const out = Uint8Array.from(cipher.update(block));
    cipher.final();
    return out;
  },
};

/**
 * A PppAuthCrypto from a host's MD5 and SHA-1 (an L2tpCrypto's `md5` fits) with MD4 and
 * DES from {@link legacyCrypto}, unless `legacy` supplies others.
 */
export function pppAuthCrypto(
  hashes: Pick<PppAuthCrypto, 'md5' | 'sha1'>,
  legacy: LegacyPrimitives = legacyCrypto,
): PppAuthCrypto {
  return { md5: hashes.md5, sha1: hashes.sha1, md4: legacy.md4, desEncrypt: legacy.desEncrypt };
}
