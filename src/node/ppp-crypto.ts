/**
 * Node adapter for PppAuthCrypto: MD5 and SHA-1 from node:crypto, MD4 and DES from
 * {@link legacyCrypto} (OpenSSL 3 no longer offers them by default).
 *
 * A Node adapter, like crypto.ts beside it: no protocol logic lives here, and the protocol
 * modules never import it (so `l2tp-core/ppp` reaches no `node:` module).
 */
import { createHash } from 'node:crypto';
import { type PppAuthCrypto, pppAuthCrypto } from '../ppp/auth/crypto.js';

function digest(alg: 'md5' | 'sha1', parts: readonly Uint8Array[]): Uint8Array {
  const h = createHash(alg);
  for (const p of parts) h.update(p);
  const buf = h.digest();
  return new Uint8Array(buf.buffer, buf.byteOffset, buf.length);
}

/** PppAuthCrypto on Node: node:crypto MD5 and SHA-1, js-md4 and des.js. Stateless. */
export const nodePppAuthCrypto: PppAuthCrypto = pppAuthCrypto({
  md5: (...parts) => digest('md5', parts),
  sha1: (...parts) => digest('sha1', parts),
});
