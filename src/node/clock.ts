/**
 * Node defaults for the shell's time and randomness ports (src/transport.ts): a monotonic
 * `performance.now()` clock, a `setTimeout` timer host and `crypto.getRandomValues` random bytes.
 *
 * Platform glue only; no protocol logic. Date.now is never used (it is not monotonic).
 */
import { performance } from 'node:perf_hooks';
import { UsageError } from '../errors.js';
import type { Clock, RandomBytes, TimerHandle, TimerHost } from '../transport.js';

/** `performance.now()`: monotonic milliseconds since process start, sub-millisecond precision. */
export const nodeClock: Clock = {
  now: () => performance.now(),
};

// setTimeout fires at once for delays above 2^31 − 1 ms (with a warning); clamp instead.
const MAX_TIMEOUT_MS = 0x7fffffff;

/** Options of {@link createNodeTimerHost}. */
export interface NodeTimerHostOptions {
  /**
   * When true, pending timers do not keep the Node event loop alive (`timeout.unref()`).
   * Default false: a retransmission or HELLO due is work the process still has to do.
   */
  readonly unref?: boolean;
}

/** A TimerHost over `setTimeout` / `clearTimeout`. Delays are clamped to 0…2^31 − 1 ms. */
export function createNodeTimerHost(options: NodeTimerHostOptions = {}): TimerHost {
  const unref = options.unref ?? false;
  return {
    set(delayMs: number, fire: () => void): TimerHandle {
      const ms = Number.isNaN(delayMs) ? 0 : Math.min(Math.max(delayMs, 0), MAX_TIMEOUT_MS);
      const t = setTimeout(fire, ms);
      if (unref) t.unref();
      return t;
    },
    clear(handle: TimerHandle): void {
      clearTimeout(handle as ReturnType<typeof setTimeout>);
    },
  };
}

/** The default TimerHost: `setTimeout`, timers keep the process alive. */
export const nodeTimers: TimerHost = createNodeTimerHost();

// Web Crypto fills at most 65536 bytes per call (QuotaExceededError beyond).
const MAX_RANDOM_CHUNK = 65536;
const MAX_RANDOM_LENGTH = 0x7fffffff;

/**
 * `crypto.getRandomValues` (the CSPRNG of Node's Web Crypto): a fresh array of `length` random
 * bytes; lengths above 65536 are filled in chunks.
 * @throws UsageError when `length` is not an integer in 0…2^31 − 1.
 */
export const nodeRandomBytes: RandomBytes = (length: number): Uint8Array => {
  if (!Number.isInteger(length) || length < 0 || length > MAX_RANDOM_LENGTH) {
    throw new UsageError(`random byte count must be an integer in 0…2^31 − 1, got ${length}`);
  }
  const out = new Uint8Array(length);
  for (let i = 0; i < length; i += MAX_RANDOM_CHUNK) {
    globalThis.crypto.getRandomValues(out.subarray(i, i + MAX_RANDOM_CHUNK));
  }
  return out;
};
