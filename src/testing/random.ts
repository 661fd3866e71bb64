/**
 * SeededRandom: a small deterministic pseudo-random source for simulations and tests. Same seed,
 * same sequence, on every platform (32-bit integer arithmetic only). Not cryptographic; never use
 * it for Challenge/Random Vector values in production. Part of the `l2tp-core/testing` kit.
 * Generator: a 32-bit counter stepped by a Weyl constant, then mixed (a mulberry32-style finaliser).
 */

import { UsageError } from '../errors.js';

/** Deterministic PRNG seeded with a 32-bit integer. */
export class SeededRandom {
  #state: number;

  /** @param seed - any integer; only its low 32 bits matter. */
  constructor(seed: number) {
    if (!Number.isInteger(seed)) throw new UsageError(`seed must be an integer, got ${seed}`);
    this.#state = seed | 0;
  }

  /** Next unsigned 32-bit integer. */
  nextUint32(): number {
    this.#state = (this.#state + 0x6d2b79f5) | 0;
    let z = this.#state;
    z = Math.imul(z ^ (z >>> 15), z | 1);
    z ^= z + Math.imul(z ^ (z >>> 7), z | 61);
    return (z ^ (z >>> 14)) >>> 0;
  }

  /** Uniform float in [0, 1). */
  next(): number {
    return this.nextUint32() / 0x100000000;
  }

  /** Uniform integer in [0, maxExclusive). */
  int(maxExclusive: number): number {
    if (!Number.isInteger(maxExclusive) || maxExclusive < 1) {
      throw new UsageError(`maxExclusive must be a positive integer, got ${maxExclusive}`);
    }
    return Math.floor(this.next() * maxExclusive);
  }

  /** True with probability `p` (p ≤ 0 never, p ≥ 1 always; no draw is spent on either). */
  chance(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.next() < p;
  }

  /** `length` random bytes (a fresh array). */
  bytes(length: number): Uint8Array {
    const out = new Uint8Array(length);
    for (let i = 0; i < length; i += 4) {
      let v = this.nextUint32();
      for (let j = i; j < Math.min(i + 4, length); j++) {
        out[j] = v & 0xff;
        v >>>= 8;
      }
    }
    return out;
  }

  /** An independent generator seeded from this one (for per-link streams). */
  fork(): SeededRandom {
    return new SeededRandom(this.nextUint32() | 0);
  }
}
