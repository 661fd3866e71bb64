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

/** Data sequencing for one session: send-side Ns and the receive-side policy plus reorder buffer. */
export class DataSequencer<T> {
  readonly #version: 2 | 3;
  readonly #lnsMode: boolean;
  readonly #recvSeq: boolean;
  readonly #mask: number;
  readonly #buffer: ReorderBuffer<T>;
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
    // One plain object (undefined means the default): a sequencer is made per session.
    const ro: ReorderBufferOptions = {
      bits: options.version === 2 ? 16 : 24,
      reorderTimeoutMs: options.reorderTimeoutMs,
      maxHeld: options.maxHeld,
      expiryPolicy: options.expiryPolicy,
      oosResyncThreshold: options.oosResyncThreshold,
      initialNr: options.initialNr,
    };
    this.#buffer = new ReorderBuffer<T>(ro);
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
      return this.#buffer.push(ns, frame, now);
    }
    if (this.#recvSeq) {
      this.#missing++;
      return this.#buffer.handleTimeout(now);
    }
    if (this.#version === 2 && this.#sendSeq) {
      if (!this.#lnsMode) {
        // RFC 2661 §5.4: the LNS turned sequencing off; the LAC MUST stop sending Ns.
        this.#sendSeq = false;
        this.#changes++;
      } else {
        // We are the LNS and sequence: a LAC sending without Ns is broken (Linux drops these).
        this.#missing++;
        return this.#buffer.handleTimeout(now);
      }
    }
    // No order information: deliver now rather than behind held frames (see docs).
    this.#unsequenced++;
    const released = this.#buffer.handleTimeout(now);
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
      return this.#buffer.acceptInOrder(ns);
    }
    if (this.#recvSeq || (this.#version === 2 && this.#sendSeq)) return false;
    if (this.#buffer.heldCount !== 0) return false;
    this.#unsequenced++;
    return true;
  }

  /** Runs reorder-buffer expiry due at `now`. */
  handleTimeout(now: number): readonly T[] {
    return this.#buffer.handleTimeout(now);
  }

  /** Frames the reorder buffer holds. */
  get heldCount(): number {
    return this.#buffer.heldCount;
  }

  /** When {@link DataSequencer.handleTimeout} next has work, or undefined. */
  nextDeadline(): number | undefined {
    return this.#buffer.nextDeadline();
  }

  /** Delivers every held frame in order, skipping gaps (session teardown). */
  flush(): readonly T[] {
    return this.#buffer.flush();
  }

  /** Counter snapshot, kernel names in camelCase (docs/sequencing.md has the mapping). */
  stats(): DataSequencerStats {
    const b = this.#buffer.stats();
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
