/**
 * Node adapter for the L2tpCrypto interface, built on node:crypto.
 *
 * This is the only file in l2tp-core that imports node:crypto; everything under src/avp
 * receives an L2tpCrypto argument instead. No protocol logic lives here.
 */
import { createHash, createHmac } from 'node:crypto';
import { plainView } from '../codec/view.js';
import type { HmacAlgorithm, L2tpCrypto } from '../crypto.js';

// Node returns a Buffer; hand out a plain Uint8Array view of it so results compare equal to
// Uint8Array values everywhere (no copy).
function plain(buf: Buffer): Uint8Array {
  return plainView(buf, 0, buf.length);
}

/** L2tpCrypto backed by node:crypto `createHash('md5')` and `createHmac`. Stateless. */
export const nodeCrypto: L2tpCrypto = {
  md5(...parts: readonly Uint8Array[]): Uint8Array {
    const h = createHash('md5');
    for (const p of parts) h.update(p);
    return plain(h.digest());
  },
  hmac(alg: HmacAlgorithm, key: Uint8Array, ...parts: readonly Uint8Array[]): Uint8Array {
    const h = createHmac(alg, key);
    for (const p of parts) h.update(p);
    return plain(h.digest());
  },
};
