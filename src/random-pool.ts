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

// The first fill is small, so that the second one comes a few dozen calls later. V8 records
// nothing for a function's first calls (its feedback vector is made lazily): were the first
// fill the only one before the pool got inlined into optimized code (an engine making sessions),
// the next fill, thousands of ids later, would meet a call without feedback there and throw that
// code away (a deopt and a recompile of the caller, issue #13).
const FIRST_FILL = 64;

/** Wraps `source` so requests of up to RANDOM_POOL_CHUNK octets are served from a pool. */
export function pooledRandomBytes(source: RandomBytes, chunk = RANDOM_POOL_CHUNK): RandomBytes {
  let pool: Uint8Array = new Uint8Array(0);
  let at = 0;
  let fills = 0;
  return (n: number): Uint8Array => {
    if (n > chunk) return source(n);
    if (at + n > pool.length) {
      const size = fills++ === 0 && n <= FIRST_FILL ? Math.min(chunk, FIRST_FILL) : chunk;
      const fresh = source(size);
      if (!(fresh instanceof Uint8Array) || fresh.length < size) {
        throw new UsageError(`randomBytes(${size}) returned ${fresh?.length} bytes`);
      }
      pool = fresh;
      at = 0;
    }
    const view = pool.subarray(at, at + n);
    at += n;
    return view;
  };
}
