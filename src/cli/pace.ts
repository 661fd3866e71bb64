/**
 * `lac --rate`: paces the test frames to a number per second, so that many sessions do not send
 * everything in one burst that overflows the LNS's socket buffer. Send k (0-based) is due at
 * start + k / rate; a sender awaits `due(k)` before it. Not here: what is sent (lac.ts).
 */

/** Clock and sleep of a {@link Pacer}; the wall clock and timers in the CLI, fakes in tests. */
export interface PacerClock {
  /** Milliseconds, monotonic. */
  readonly now: () => number;
  readonly sleep: (ms: number) => Promise<void>;
}

/** Spreads sends evenly at `rate` per second from the first `due` call on. */
export class Pacer {
  readonly #rate: number;
  readonly #clock: PacerClock;
  #start: number | undefined;

  constructor(rate: number, clock: PacerClock) {
    this.#rate = rate;
    this.#clock = clock;
  }

  /** Resolves when send number `k` (0-based) is due; at once when it already is. */
  async due(k: number): Promise<void> {
    const now = this.#clock.now();
    this.#start ??= now;
    const at = this.#start + (k * 1000) / this.#rate;
    if (at > now) await this.#clock.sleep(at - now);
  }
}
