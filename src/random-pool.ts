/**
 * A pool in front of a RandomBytes source: one call for 4 KiB instead of one per id, nonce or
 * random vector (setting up a tunnel or call asks for a few octets several times). Returned
 * views are never overwritten: an exhausted chunk is dropped, not refilled, so a caller that
 * keeps a view keeps its bytes. The randomness is the source's; only the calls are batched.
 */
import { UsageError } from './errors.js';
import type { RandomBytes } from './transport.js';

/** Octets fetched from the source at once. */
export const RANDOM_POOL_CHUNK = 4096;

/** Wraps `source` so requests of up to RANDOM_POOL_CHUNK octets are served from a pool. */
export function pooledRandomBytes(source: RandomBytes, chunk = RANDOM_POOL_CHUNK): RandomBytes {
  let pool: Uint8Array = new Uint8Array(0);
  let at = 0;
  return (n: number): Uint8Array => {
    if (n > chunk) return source(n);
    if (at + n > pool.length) {
      const fresh = source(chunk);
      if (!(fresh instanceof Uint8Array) || fresh.length < chunk) {
        throw new UsageError(`randomBytes(${chunk}) returned ${fresh?.length} bytes`);
      }
      pool = fresh;
      at = 0;
    }
    const view = pool.subarray(at, at + n);
    at += n;
    return view;
  };
}
