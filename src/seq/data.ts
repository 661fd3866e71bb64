/**
 * DataSequencer: the per-session data-sequencing policy, i.e. the kernel's SENDSEQ / RECVSEQ /
 * LNSMODE / REORDERTO knobs as one small object: which Ns to stamp on outgoing frames, whether an
 * unsequenced frame is accepted, and (v2, RFC 2661 §5.4) the LAC following the LNS's S bit.
 * Received sequenced frames go through a ReorderBuffer (reorder.ts). No bytes, no clock: the
 * host reads the S bit / L2SS and passes `ns` (or undefined) with `now`.
 */

import { UsageError } from '../errors.js';
import {
  type ExpiryPolicy,
  ReorderBuffer,
  type ReorderBufferOptions,
  type ReorderStats,
} from './reorder.js';

/** Options of {@link DataSequencer}. */
export interface DataSequencingOptions {
  /** 2 → 16-bit Ns in the L2TP header; 3 → 24-bit Ns in the Default L2-Specific Sublayer. */
  readonly version: 2 | 3;
  /**
   * LNSMODE. v2 only: as LAC (false) we follow the peer: a sequenced frame switches our sending
   * on, an unsequenced one switches it off (RFC 2661 §5.4). As LNS (true) we decide. Default false.
   */
  readonly lnsMode?: boolean;
  /** SENDSEQ: stamp Ns on outgoing frames from the start. Default false. */
  readonly sendSeq?: boolean;
  /** RECVSEQ: drop received frames without Ns (Sequencing Required / Data Sequencing AVP). Default false. */
  readonly recvSeq?: boolean;
  /** REORDERTO in ms (0 = drop out-of-sequence frames). Default 0. */
  readonly reorderTimeoutMs?: number;
  /** Reorder buffer bound. Default 64. */
  readonly maxHeld?: number;
  /** Fate of expired held frames. Default 'drop' (Linux). */
  readonly expiryPolicy?: ExpiryPolicy;
  /** See {@link ReorderBufferOptions.oosResyncThreshold}. Default 4. */
  readonly oosResyncThreshold?: number;
  /** See {@link ReorderBufferOptions.initialNr}. Default undefined (first frame sets it). */
  readonly initialNr?: number | undefined;
  /** Ns of our first sequenced frame (RFC 3931 Appendix C: 0). Default 0. */
  readonly initialNs?: number;
}

/** Reorder counters plus the policy's own; rxSeqDiscards/rxErrors include policy drops. */
export interface DataSequencerStats extends ReorderStats {
  /** Frames dropped for lacking an Ns under RECVSEQ, or sent unsequenced to a sequencing v2 LNS. */
  readonly rxMissingSeq: number;
  /** Unsequenced frames accepted (delivered at once; also counted in rxPackets). */
  readonly rxUnsequenced: number;
  /** Whether outgoing frames currently carry Ns. */
  readonly sendSeq: boolean;
  /** Ns the next sequenced frame will carry. */
  readonly nextNs: number;
  /** Times a v2 LAC switched its sending on or off because of the LNS's S bit. */
  readonly sendSeqChanges: number;
}

const NONE: readonly never[] = Object.freeze([]);

// Options of reorder buffers made later (see DataSequencer), one per sequence width and REORDERTO
// when the rest are defaults: validated once, shared by every sequencer.
const SHARED_OPTIONS = new Map<string, ReorderBufferOptions>();

// The counters of a reorder buffer that never saw a frame (initialNr undefined: expected 0).
const FRESH_STATS: ReorderStats = Object.freeze({
  rxPackets: 0,
  rxSeqDiscards: 0,
  rxOosPackets: 0,
  rxErrors: 0,
  rxOutsideWindow: 0,
  rxExpired: 0,
  rxDuplicates: 0,
  rxOverflowSkips: 0,
  rxResyncs: 0,
  held: 0,
  heldHighWater: 0,
  expectedNs: 0,
});

/** Data sequencing for one session: send-side Ns and the receive-side policy plus reorder buffer. */
export class DataSequencer<T> {
  readonly #version: 2 | 3;
  readonly #lnsMode: boolean;
  readonly #recvSeq: boolean;
  readonly #mask: number;
  // Made when the first sequenced frame arrives (most sessions of a setup never see one):
  // until then #options says how, and an absent buffer answers as an empty fresh one would.
  #buffer: ReorderBuffer<T> | undefined;
  readonly #options: ReorderBufferOptions;
  #sendSeq: boolean;
  #nextNs: number;
  #missing = 0;
  #unsequenced = 0;
  #changes = 0;

  /** @throws UsageError on a bad option. */
  constructor(options: DataSequencingOptions) {
    if (options.version !== 2 && options.version !== 3) {
      throw new UsageError(`version must be 2 or 3, got ${String(options.version)}`);
    }
    this.#version = options.version;
    this.#lnsMode = options.lnsMode ?? false;
    this.#sendSeq = options.sendSeq ?? false;
    this.#recvSeq = options.recvSeq ?? false;
    this.#mask = options.version === 2 ? 0xffff : 0xffffff;
    const initialNs = options.initialNs ?? 0;
    if (!Number.isInteger(initialNs) || initialNs < 0 || initialNs > this.#mask) {
      throw new UsageError(`initialNs must be an integer in 0…${this.#mask}, got ${initialNs}`);
    }
    this.#nextNs = initialNs;
    const bits = options.version === 2 ? 16 : 24;
    const { reorderTimeoutMs, maxHeld, expiryPolicy, oosResyncThreshold, initialNr } = options;
    if (
      maxHeld === undefined &&
      expiryPolicy === undefined &&
      oosResyncThreshold === undefined &&
      initialNr === undefined
    ) {
      const key = `${bits} ${reorderTimeoutMs}`;
      let shared = SHARED_OPTIONS.get(key);
      if (shared === undefined) {
        shared = Object.freeze({ bits, reorderTimeoutMs });
        new ReorderBuffer<T>(shared); // throws for a bad REORDERTO, and then nothing is kept
        SHARED_OPTIONS.set(key, shared);
      }
      this.#options = shared;
      this.#buffer = undefined;
    } else {
      // One plain object (undefined means the default); the buffer at once (validation).
      const ro: ReorderBufferOptions = {
        bits,
        reorderTimeoutMs,
        maxHeld,
        expiryPolicy,
        oosResyncThreshold,
        initialNr,
      };
      this.#options = ro;
      this.#buffer = new ReorderBuffer<T>(ro);
    }
  }

  #made(): ReorderBuffer<T> {
    this.#buffer ??= new ReorderBuffer<T>(this.#options);
    return this.#buffer;
  }

  /** Whether outgoing frames currently carry Ns (v2 S bit / v3 L2SS S bit). */
  get sendSeq(): boolean {
    return this.#sendSeq;
  }

  /**
   * Ns to stamp on the next outgoing frame, or undefined when sending unsequenced. Consumes a
   * number. When sequencing is switched back on, numbering resumes where it stopped (RFC 2661 §5.4).
   */
  nextSendNs(): number | undefined {
    if (!this.#sendSeq) return undefined;
    const ns = this.#nextNs;
    this.#nextNs = (ns + 1) & this.#mask;
    return ns;
  }

  /**
   * @internal Gives back the Ns `nextSendNs` just returned, for a frame refused before it was
   * sent (the next frame takes it). No-op for undefined.
   */
  rewindSendNs(ns: number | undefined): void {
    if (ns !== undefined) this.#nextNs = ns;
  }

  /**
   * Switches sending of sequence numbers (an LNS deciding, or the Data Sequencing AVP in v3).
   */
  setSendSeq(on: boolean): void {
    this.#sendSeq = on;
  }

  /**
   * A data frame arrived: `ns` is its sequence number, or undefined when the S bit was clear.
   * Returns the frames now deliverable, in order (shared empty array when none).
   */
  receive(frame: T, ns: number | undefined, now: number): readonly T[] {
    if (ns !== undefined) {
      // RFC 2661 §5.4: "If the LAC receives a data message with sequence numbers present, it MUST
      // begin sending sequence numbers".
      if (this.#version === 2 && !this.#lnsMode && !this.#sendSeq) {
        this.#sendSeq = true;
        this.#changes++;
      }
      return this.#made().push(ns, frame, now);
    }
    if (this.#recvSeq) {
      this.#missing++;
      return this.handleTimeout(now);
    }
    if (this.#version === 2 && this.#sendSeq) {
      if (!this.#lnsMode) {
        // RFC 2661 §5.4: the LNS turned sequencing off; the LAC MUST stop sending Ns.
        this.#sendSeq = false;
        this.#changes++;
      } else {
        // We are the LNS and sequence: a LAC sending without Ns is broken (Linux drops these).
        this.#missing++;
        return this.handleTimeout(now);
      }
    }
    // No order information: deliver now rather than behind held frames (see docs).
    this.#unsequenced++;
    const released = this.handleTimeout(now);
    return released.length === 0 ? [frame] : [...released, frame];
  }

  /**
   * The common case of `receive` without arrays, for per-packet paths: when the frame with `ns`
   * (undefined: none) would be released at once, alone (in order or unsequenced, nothing held),
   * counts it as receive would and returns true. Else false and nothing changed: call receive.
   */
  acceptNow(ns: number | undefined): boolean {
    if (ns !== undefined) {
      // A v2 LAC that does not sequence yet must switch on first (receive does that).
      if (this.#version === 2 && !this.#lnsMode && !this.#sendSeq) return false;
      return this.#made().acceptInOrder(ns);
    }
    if (this.#recvSeq || (this.#version === 2 && this.#sendSeq)) return false;
    if (this.heldCount !== 0) return false;
    this.#unsequenced++;
    return true;
  }

  /** Runs reorder-buffer expiry due at `now`. */
  handleTimeout(now: number): readonly T[] {
    const buffer = this.#buffer;
    return buffer === undefined ? NONE : buffer.handleTimeout(now);
  }

  /** Frames the reorder buffer holds. */
  get heldCount(): number {
    const buffer = this.#buffer;
    return buffer === undefined ? 0 : buffer.heldCount;
  }

  /** When {@link DataSequencer.handleTimeout} next has work, or undefined. */
  nextDeadline(): number | undefined {
    const buffer = this.#buffer;
    return buffer === undefined ? undefined : buffer.nextDeadline();
  }

  /** Delivers every held frame in order, skipping gaps (session teardown). */
  flush(): readonly T[] {
    const buffer = this.#buffer;
    return buffer === undefined ? NONE : buffer.flush();
  }

  /** Counter snapshot, kernel names in camelCase (docs/sequencing.md has the mapping). */
  stats(): DataSequencerStats {
    const buffer = this.#buffer;
    const b = buffer === undefined ? FRESH_STATS : buffer.stats();
    return {
      ...b,
      rxPackets: b.rxPackets + this.#unsequenced,
      rxSeqDiscards: b.rxSeqDiscards + this.#missing,
      rxErrors: b.rxErrors + this.#missing,
      rxMissingSeq: this.#missing,
      rxUnsequenced: this.#unsequenced,
      sendSeq: this.#sendSeq,
      nextNs: this.#nextNs,
      sendSeqChanges: this.#changes,
    };
  }
}
