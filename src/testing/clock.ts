/**
 * VirtualClock: a monotonic millisecond clock that only moves when a test (or the simulator's
 * driver) moves it. Engine calls take `now` as an argument; pass `clock.now()`. Real time, timers
 * and Date are never read here. Part of the `l2tp-core/testing` kit.
 */

import { UsageError } from '../errors.js';

/** A manual monotonic clock in milliseconds. */
export class VirtualClock {
  #now: number;

  /** @param startMs - initial time (default 0). */
  constructor(startMs = 0) {
    if (!Number.isFinite(startMs)) throw new UsageError('startMs must be finite');
    this.#now = startMs;
  }

  /** Current time in ms. */
  now(): number {
    return this.#now;
  }

  /**
   * Jumps to `timeMs`. Moving to the current time is a no-op.
   * @throws UsageError when `timeMs` is earlier than now (the clock is monotonic) or not finite.
   */
  advanceTo(timeMs: number): number {
    if (!Number.isFinite(timeMs) || timeMs < this.#now) {
      throw new UsageError(`clock cannot move back from ${this.#now} to ${timeMs}`);
    }
    this.#now = timeMs;
    return this.#now;
  }

  /** Moves forward by `ms` (≥ 0) and returns the new time. */
  advanceBy(ms: number): number {
    if (!Number.isFinite(ms) || ms < 0) throw new UsageError(`cannot advance by ${ms} ms`);
    this.#now += ms;
    return this.#now;
  }
}
