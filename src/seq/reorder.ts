/**
 * ReorderBuffer: the receive side of data-channel sequencing for one session (RFC 2661 §5.4,
 * RFC 3931 §4.6.1 and Appendix C), with the Linux kernel's REORDERTO semantics made wrap-safe:
 * 0 = drop out-of-sequence packets (with the kernel's resynchronisation after a run of them),
 * > 0 = hold them up to the timeout, deliver in order, skip the gap on expiry. Generic over the
 * frame type; 16-bit (v2 Ns) or 24-bit (v3 Default L2-Specific Sublayer) sequence numbers.
 * No policy about who sends sequence numbers lives here (see data.ts); no bytes, no clock.
 * Design and the expiry decision: docs/sequencing.md.
 */

import { UsageError } from '../errors.js';
import { Fifo } from './fifo.js';
import { type SerialBits, serialDistance, serialHalf, serialMax } from './serial.js';

/**
 * What happens to a held packet whose timeout expires while it still waits for a gap:
 * - 'drop' (default, like Linux): it is discarded (rx_seq_discards) and the receiver resynchronises
 *   to the lowest packet still held, or to the next one that arrives.
 * - 'deliver': the gap before it is skipped and it is delivered late, in order, with every held
 *   packet below it.
 */
export type ExpiryPolicy = 'drop' | 'deliver';

/** Options of {@link ReorderBuffer}; see {@link REORDER_BUFFER_DEFAULTS}. */
export interface ReorderBufferOptions {
  /** Sequence space: 16 (v2 Ns) or 24 (v3 L2-Specific Sublayer). Default 16. */
  readonly bits?: SerialBits;
  /** REORDERTO in ms. 0 = never hold: out-of-sequence packets are dropped. Default 0 (kernel). */
  readonly reorderTimeoutMs?: number | undefined;
  /** Bound on held packets; at the bound the first gap is skipped early (see docs). Default 64. */
  readonly maxHeld?: number | undefined;
  /** Fate of a held packet whose timeout expires. Default 'drop' (kernel). */
  readonly expiryPolicy?: ExpiryPolicy | undefined;
  /**
   * No-queue mode: after more than this many consecutive-among-themselves out-of-sequence
   * packets, accept the next one as the new sequence (kernel nr_oos_count_max). Default 4.
   */
  readonly oosResyncThreshold?: number | undefined;
  /**
   * How far ahead of the expected Ns a packet is accepted (exclusive). Default 2^(bits-1) − 1:
   * 32767 / 8388607, the kernel's nr_window_size. Packets outside are discarded.
   */
  readonly windowSize?: number;
  /**
   * The Ns expected first. Undefined (default, like Linux): expected starts at 0 for the window
   * check and the first packet received sets the sequence. A number: start there, no resync.
   */
  readonly initialNr?: number | undefined;
}

/** Defaults of {@link ReorderBuffer} (windowSize and initialNr depend on `bits`; see above). */
export const REORDER_BUFFER_DEFAULTS = Object.freeze({
  bits: 16 as SerialBits,
  reorderTimeoutMs: 0,
  maxHeld: 64,
  expiryPolicy: 'drop' as ExpiryPolicy,
  oosResyncThreshold: 4,
});

/**
 * Counters. The first four carry the Linux names (rx_packets, rx_seq_discards, rx_oos_packets,
 * rx_errors) in camelCase and count the same events; the rest are l2tp-core additions.
 * Every pushed sequenced frame ends up in exactly one of: rxPackets, rxErrors, `held`.
 */
export interface ReorderStats {
  /** rx_packets: frames delivered. */
  readonly rxPackets: number;
  /** rx_seq_discards: dropped out of sequence (no-queue mode), expired, or duplicate of a held one. */
  readonly rxSeqDiscards: number;
  /** rx_oos_packets: frames that arrived after a frame with a higher Ns was already held. */
  readonly rxOosPackets: number;
  /** rx_errors: every discarded frame (rxSeqDiscards plus those outside the window). */
  readonly rxErrors: number;
  /** Discarded because the Ns lay outside the window (kernel counts these in rx_errors only). */
  readonly rxOutsideWindow: number;
  /** Held frames whose timeout expired (dropped or, with 'deliver', delivered late). */
  readonly rxExpired: number;
  /** Frames whose Ns was already held. */
  readonly rxDuplicates: number;
  /** Gaps skipped early because maxHeld was reached. */
  readonly rxOverflowSkips: number;
  /** Times the expected Ns jumped (gap skipped or sequence reset). */
  readonly rxResyncs: number;
  /** Frames currently held. */
  readonly held: number;
  /** Largest `held` seen (≤ maxHeld). */
  readonly heldHighWater: number;
  /** The Ns expected next (kernel session->nr). */
  readonly expectedNs: number;
}

interface Held<T> {
  readonly ns: number;
  readonly frame: T;
  readonly deadline: number;
}

const NONE: readonly never[] = Object.freeze([]);
const NO_HELD: ReadonlyMap<number, unknown> = new Map();
const NO_ARRIVALS = new Fifo<unknown>();

/**
 * Reorder buffer for one session's sequenced data frames. `push` returns the frames now
 * deliverable, in order (a shared empty array when none; never mutate it). Frames are passed
 * through by reference. When `reorderTimeoutMs` > 0 the host calls
 * {@link ReorderBuffer.handleTimeout} at {@link ReorderBuffer.nextDeadline}; early calls are harmless.
 */
export class ReorderBuffer<T> {
  readonly #mask: number;
  readonly #timeoutMs: number;
  readonly #maxHeld: number;
  readonly #policy: ExpiryPolicy;
  readonly #oosMax: number;
  readonly #window: number;
  readonly #bits: SerialBits;
  #expected: number;
  #resync: boolean; // kernel reorder_skip: the next packet (or lowest held) sets #expected
  // Shared empty instances until the first frame is held: most sessions never hold one, and
  // 100,000 sessions should not carry 100,000 empty maps (issue #13). Written only after #hold
  // swapped in instances of their own.
  #held: Map<number, Held<T>> = NO_HELD as Map<number, Held<T>>;
  #arrivals: Fifo<Held<T>> = NO_ARRIVALS as Fifo<Held<T>>; // arrival order = deadline order
  #highest: number | undefined; // highest held Ns, for rxOosPackets
  #oosNs = 0; // kernel nr_oos / nr_oos_count
  #oosCount = 0;
  #rxPackets = 0;
  #rxSeqDiscards = 0;
  #rxOos = 0;
  #rxErrors = 0;
  #rxOutside = 0;
  #rxExpired = 0;
  #rxDup = 0;
  #rxOverflow = 0;
  #rxResyncs = 0;
  #highWater = 0;

  /** @throws UsageError when an option is out of range. */
  constructor(options: ReorderBufferOptions = {}) {
    const bits = options.bits ?? REORDER_BUFFER_DEFAULTS.bits;
    if (bits !== 16 && bits !== 24) throw new UsageError(`bits must be 16 or 24, got ${bits}`);
    this.#bits = bits;
    this.#mask = serialMax(bits);
    const half = serialHalf(bits);
    this.#timeoutMs = options.reorderTimeoutMs ?? REORDER_BUFFER_DEFAULTS.reorderTimeoutMs;
    this.#maxHeld = options.maxHeld ?? REORDER_BUFFER_DEFAULTS.maxHeld;
    this.#policy = options.expiryPolicy ?? REORDER_BUFFER_DEFAULTS.expiryPolicy;
    this.#oosMax = options.oosResyncThreshold ?? REORDER_BUFFER_DEFAULTS.oosResyncThreshold;
    this.#window = options.windowSize ?? half;
    checkInt('reorderTimeoutMs', this.#timeoutMs, 0, 3_600_000);
    checkInt('maxHeld', this.#maxHeld, 1, 1_000_000);
    checkInt('oosResyncThreshold', this.#oosMax, 0, 1_000_000);
    checkInt('windowSize', this.#window, 1, half);
    if (this.#policy !== 'drop' && this.#policy !== 'deliver') {
      throw new UsageError(`expiryPolicy must be 'drop' or 'deliver', got ${String(this.#policy)}`);
    }
    if (options.initialNr === undefined) {
      this.#expected = 0;
      this.#resync = true;
    } else {
      checkInt('initialNr', options.initialNr, 0, this.#mask);
      this.#expected = options.initialNr;
      this.#resync = false;
    }
  }

  /** The Ns expected next. */
  get expectedNs(): number {
    return this.#expected;
  }

  /** Frames currently held. */
  get heldCount(): number {
    return this.#held.size;
  }

  /**
   * Accepts a sequenced frame received at `now` and returns the frames now deliverable, in order.
   * Runs any expiry due at `now` too, so a late host loses nothing by calling push first.
   * @throws UsageError when `ns` is not an integer of the configured width (a host bug).
   */
  push(ns: number, frame: T, now: number): readonly T[] {
    if ((ns & this.#mask) !== ns) {
      throw new UsageError(`ns must be an integer in 0…${this.#mask}, got ${ns}`);
    }
    if (this.acceptInOrder(ns)) return [frame];
    if (serialDistance(this.#expected, ns, this.#bits) >= this.#window) {
      // Kernel l2tp_seq_check_rx_window: behind us or too far ahead.
      this.#rxOutside++;
      this.#rxErrors++;
      return this.#timeoutMs > 0 ? this.handleTimeout(now) : NONE;
    }
    return this.#timeoutMs === 0 ? this.#pushNoQueue(ns, frame) : this.#pushQueue(ns, frame, now);
  }

  /**
   * The common case of `push` without an array: when `ns` is the expected Ns and nothing is held
   * or awaiting a resync (so nothing can expire either), accepts it (counted, the expected Ns
   * advances) and returns true; the frame may go out at once. Else false, nothing changed: push.
   */
  acceptInOrder(ns: number): boolean {
    if (ns !== this.#expected || this.#resync || this.#held.size !== 0) return false;
    this.#expected = (ns + 1) & this.#mask;
    this.#rxPackets++;
    return true;
  }

  /** Runs expiry due at `now`; returns frames released by it (policy 'deliver' or a resync). */
  handleTimeout(now: number): readonly T[] {
    if (this.#held.size === 0) return NONE;
    const out: T[] = [];
    this.#expire(now, out);
    return out.length === 0 ? NONE : out;
  }

  /**
   * When {@link ReorderBuffer.handleTimeout} next has work: the earliest held frame's arrival +
   * reorderTimeoutMs. Undefined when nothing is held.
   */
  nextDeadline(): number | undefined {
    return this.#liveHead()?.deadline;
  }

  /**
   * Delivers every held frame in Ns order, skipping gaps, and leaves the buffer empty (for example
   * when sequencing is switched off or the session closes).
   */
  flush(): readonly T[] {
    if (this.#held.size === 0) return NONE;
    const out: T[] = [];
    while (this.#held.size > 0) this.#skipTo(this.#lowestHeld(), out);
    return out;
  }

  /** Counter snapshot. */
  stats(): ReorderStats {
    return {
      rxPackets: this.#rxPackets,
      rxSeqDiscards: this.#rxSeqDiscards,
      rxOosPackets: this.#rxOos,
      rxErrors: this.#rxErrors,
      rxOutsideWindow: this.#rxOutside,
      rxExpired: this.#rxExpired,
      rxDuplicates: this.#rxDup,
      rxOverflowSkips: this.#rxOverflow,
      rxResyncs: this.#rxResyncs,
      held: this.#held.size,
      heldHighWater: this.#highWater,
      expectedNs: this.#expected,
    };
  }

  // REORDERTO = 0: kernel l2tp_recv_data_seq without a queue.
  #pushNoQueue(ns: number, frame: T): readonly T[] {
    if (ns !== this.#expected) {
      // Count a run of out-of-sequence packets that are in sequence among themselves; after
      // more than oosResyncThreshold of them the sender has clearly moved on: follow it.
      this.#oosCount = ns === ((this.#oosNs + 1) & this.#mask) ? this.#oosCount + 1 : 0;
      this.#oosNs = ns;
      if (this.#oosCount > this.#oosMax) this.#resync = true;
      if (!this.#resync) {
        this.#rxSeqDiscards++;
        this.#rxErrors++;
        return NONE;
      }
      if (this.#rxPackets > 0) this.#rxResyncs++;
      this.#oosCount = 0;
    }
    this.#resync = false;
    this.#expected = (ns + 1) & this.#mask;
    this.#rxPackets++;
    return [frame];
  }

  #pushQueue(ns: number, frame: T, now: number): readonly T[] {
    if (this.#held.has(ns)) {
      this.#rxDup++;
      this.#rxSeqDiscards++;
      this.#rxErrors++;
      return this.handleTimeout(now);
    }
    const out: T[] = [];
    const highest = this.#highest;
    if (highest !== undefined && this.#before(ns, highest)) this.#rxOos++;
    if (ns === this.#expected && !this.#resync) {
      this.#expected = (ns + 1) & this.#mask;
      this.#rxPackets++;
      out.push(frame);
    } else {
      const entry: Held<T> = { ns, frame, deadline: now + this.#timeoutMs };
      if (this.#held === NO_HELD) {
        this.#held = new Map();
        this.#arrivals = new Fifo();
      }
      this.#held.set(ns, entry);
      this.#arrivals.push(entry);
      if (highest === undefined || this.#before(highest, ns)) this.#highest = ns;
      this.#compactArrivals();
    }
    this.#drain(out);
    // At the bound: give up on the first gap now rather than drop new traffic.
    while (this.#held.size > this.#maxHeld) {
      this.#rxOverflow++;
      this.#skipTo(this.#lowestHeld(), out);
    }
    if (this.#held.size > this.#highWater) this.#highWater = this.#held.size;
    this.#expire(now, out);
    return out.length === 0 ? NONE : out;
  }

  /** a before b, both within the window ahead of #expected. */
  #before(a: number, b: number): boolean {
    return (
      serialDistance(this.#expected, a, this.#bits) < serialDistance(this.#expected, b, this.#bits)
    );
  }

  /** Delivers the run starting at #expected; first resolves a pending resync to the lowest held. */
  #drain(out: T[]): void {
    if (this.#resync && this.#held.size > 0) {
      const lowest = this.#lowestHeld();
      this.#resync = false;
      // The very first packet setting the sequence is not a resynchronisation.
      if (lowest !== this.#expected && this.#rxPackets > 0) this.#rxResyncs++;
      this.#expected = lowest;
    }
    let e = this.#held.get(this.#expected);
    while (e !== undefined) {
      this.#remove(e);
      out.push(e.frame);
      this.#rxPackets++;
      this.#expected = (this.#expected + 1) & this.#mask;
      e = this.#held.get(this.#expected);
    }
  }

  /** Skips the gap before `ns` (a held Ns) and delivers from there. */
  #skipTo(ns: number, out: T[]): void {
    if (ns !== this.#expected) this.#rxResyncs++;
    this.#expected = ns;
    this.#resync = false;
    this.#drain(out);
  }

  #expire(now: number, out: T[]): void {
    let dropped = false;
    for (let head = this.#liveHead(); head !== undefined && head.deadline <= now; ) {
      this.#rxExpired++;
      if (this.#policy === 'drop') {
        // Linux l2tp_recv_dequeue: a packet that waited too long is discarded, then reorder_skip.
        this.#remove(head);
        this.#rxSeqDiscards++;
        this.#rxErrors++;
        dropped = true;
      } else {
        // Deliver late: everything held below it goes first, gaps skipped.
        while (this.#held.get(head.ns) === head) this.#skipTo(this.#lowestHeld(), out);
      }
      head = this.#liveHead();
    }
    if (dropped) {
      this.#resync = true;
      this.#drain(out);
    }
  }

  #remove(e: Held<T>): void {
    this.#held.delete(e.ns);
    if (this.#held.size === 0) {
      this.#highest = undefined;
      this.#arrivals.clear();
    } else if (e.ns === this.#highest) {
      let best = this.#expected;
      let bestD = -1;
      for (const ns of this.#held.keys()) {
        const d = serialDistance(this.#expected, ns, this.#bits);
        if (d > bestD) {
          bestD = d;
          best = ns;
        }
      }
      this.#highest = best;
    }
  }

  /** Held Ns nearest ahead of #expected. Only called with something held. O(held). */
  #lowestHeld(): number {
    let best = this.#expected;
    let bestD = Number.POSITIVE_INFINITY;
    for (const ns of this.#held.keys()) {
      const d = serialDistance(this.#expected, ns, this.#bits);
      if (d < bestD) {
        bestD = d;
        best = ns;
      }
    }
    return best;
  }

  /** Oldest entry still held; pops entries already delivered or dropped. */
  #liveHead(): Held<T> | undefined {
    let head = this.#arrivals.peek();
    while (head !== undefined && this.#held.get(head.ns) !== head) {
      this.#arrivals.shift();
      head = this.#arrivals.peek();
    }
    return head;
  }

  /** Keeps the arrival list O(maxHeld) when delivered entries pile up behind a live head. */
  #compactArrivals(): void {
    if (this.#arrivals.length > 2 * this.#maxHeld + 16) {
      this.#arrivals.filter((e) => this.#held.get(e.ns) === e);
    }
  }
}

function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new UsageError(`${name} must be an integer in ${min}…${max}, got ${String(v)}`);
  }
}
