/**
 * ReliableChannel: the reliable delivery layer under the control connection (RFC 2661 §5.8 and
 * Appendix A, RFC 3931 §4.2): Ns/Nr assignment, the peer's receive window, slow start and
 * congestion avoidance, retransmission with exponential backoff and a retry budget, delayed
 * acknowledgement (ZLB for v2, explicit ACK for v3), duplicate and out-of-order handling, and
 * the post-close hold (RFC 2661 §5.7). Sans-I/O and generic over the message body `T`: it never
 * encodes bytes, reads a clock or sets a timer. Every call takes `now` (monotonic ms) and returns
 * the outputs for the host to perform. Related: serial.ts (wrap-safe comparisons), docs/sequencing.md.
 */

import { ChannelError, UsageError } from '../errors.js';
import { Fifo } from './fifo.js';
import { isSerial, serialDistance, serialLessThan, serialNext } from './serial.js';

/** How a bare acknowledgement goes on the wire: a v2 ZLB, or a v3 explicit ACK (message type 20). */
export type AckStyle = 'zlb' | 'explicit-ack';

/** Options of {@link ReliableChannel}. Every field is optional; see {@link RELIABLE_CHANNEL_DEFAULTS}. */
export interface ReliableChannelOptions {
  /** First retransmission timeout in ms (RFC 2661 §5.8 recommends 1 s). Default 1000. */
  readonly retransmitTimeoutMs?: number;
  /**
   * Cap on the doubled timeout in ms. Default 8000. Must be ≥ 1000 and ≥ retransmitTimeoutMs.
   * RFC 2661 §5.8 requires a cap of at least 8 s (RFC 3931 §4.2: SHOULD); lower caps are for tests.
   */
  readonly maxRetransmitTimeoutMs?: number;
  /** Retransmissions of one message before the channel fails (RFC 2661 §5.8: 5). Default 5. */
  readonly maxRetransmits?: number;
  /** How long an acknowledgement waits for a message to ride on before a ZLB/ACK goes out, in ms. Default 100. */
  readonly ackDelayMs?: number;
  /** Our Receive Window Size: what we advertise and how many messages we accept ahead. Default 8. */
  readonly receiveWindow?: number;
  /** The peer's Receive Window Size until {@link ReliableChannel.setPeerReceiveWindow}; default 4 (RFC 2661 §5.8). */
  readonly peerReceiveWindow?: number;
  /** Bound on messages waiting for the send window; `send` throws L2TP_ERR_QUEUE_FULL beyond it. Default 64. */
  readonly maxQueuedMessages?: number;
  /** How bare acknowledgements are reported in `ack` outputs. Default 'zlb'. */
  readonly ackStyle?: AckStyle;
  /** Ns of the first message we send (RFC: 0). Tests set it near 65535 to exercise wrap-around. */
  readonly initialNs?: number;
  /** Ns we expect first from the peer (RFC: 0). */
  readonly initialNr?: number;
}

/** {@link ReliableChannelOptions} with every value present and validated. */
export type ResolvedReliableChannelOptions = Required<ReliableChannelOptions>;

/** Defaults for every option of {@link ReliableChannel}. */
export const RELIABLE_CHANNEL_DEFAULTS: ResolvedReliableChannelOptions = Object.freeze({
  retransmitTimeoutMs: 1000,
  maxRetransmitTimeoutMs: 8000,
  maxRetransmits: 5,
  ackDelayMs: 100,
  receiveWindow: 8,
  peerReceiveWindow: 4,
  maxQueuedMessages: 64,
  ackStyle: 'zlb',
  initialNs: 0,
  initialNr: 0,
});

/** Largest window we honour: beyond half the 16-bit space "ahead" and "behind" would overlap. */
const MAX_WINDOW = 0x7fff;

function checkInt(name: string, v: number, min: number, max: number): void {
  if (!Number.isInteger(v) || v < min || v > max) {
    throw new UsageError(`${name} must be an integer in ${min}…${max}, got ${String(v)}`);
  }
}

/**
 * Fills in defaults and validates. Throws UsageError naming the first bad option.
 * @param options - partial options; unknown keys are ignored.
 */
export function resolveReliableChannelOptions(
  options: ReliableChannelOptions = {},
): ResolvedReliableChannelOptions {
  const o: ResolvedReliableChannelOptions = { ...RELIABLE_CHANNEL_DEFAULTS, ...options };
  checkInt('retransmitTimeoutMs', o.retransmitTimeoutMs, 1, 3_600_000);
  checkInt('maxRetransmitTimeoutMs', o.maxRetransmitTimeoutMs, 1000, 3_600_000);
  if (o.maxRetransmitTimeoutMs < o.retransmitTimeoutMs) {
    throw new UsageError('maxRetransmitTimeoutMs must be ≥ retransmitTimeoutMs');
  }
  checkInt('maxRetransmits', o.maxRetransmits, 0, 1000);
  // Longer than a default peer's 1 s timeout would only cause spurious retransmissions.
  checkInt('ackDelayMs', o.ackDelayMs, 0, 999);
  checkInt('receiveWindow', o.receiveWindow, 1, MAX_WINDOW);
  checkInt('peerReceiveWindow', o.peerReceiveWindow, 1, MAX_WINDOW);
  checkInt('maxQueuedMessages', o.maxQueuedMessages, 0, 1_000_000);
  checkInt('initialNs', o.initialNs, 0, 0xffff);
  checkInt('initialNr', o.initialNr, 0, 0xffff);
  if (o.ackStyle !== 'zlb' && o.ackStyle !== 'explicit-ack') {
    throw new UsageError(`ackStyle must be 'zlb' or 'explicit-ack', got ${String(o.ackStyle)}`);
  }
  return o;
}

/**
 * Timeout in ms that follows a message's `retries`-th retransmission (0 = first transmission):
 * retransmitTimeoutMs · 2^retries, capped at maxRetransmitTimeoutMs (RFC 2661 §5.8).
 */
export function retransmitTimeoutFor(
  retries: number,
  options: Pick<ResolvedReliableChannelOptions, 'retransmitTimeoutMs' | 'maxRetransmitTimeoutMs'>,
): number {
  // 2^31 is far past any cap; avoid Infinity for large retry counts.
  const scaled = options.retransmitTimeoutMs * 2 ** Math.min(retries, 31);
  return Math.min(scaled, options.maxRetransmitTimeoutMs);
}

/**
 * One full retransmission cycle in ms: the sum of every timeout a message goes through before the
 * channel gives up (1+2+4+8+8+8 = 31 s with the defaults, RFC 2661 §5.7). It is also how long a
 * closed channel keeps answering.
 */
export function retransmissionCycleMs(options: ReliableChannelOptions = {}): number {
  const o = resolveReliableChannelOptions(options);
  let sum = 0;
  for (let i = 0; i <= o.maxRetransmits; i++) sum += retransmitTimeoutFor(i, o);
  return sum;
}

/** A control message as the host decoded it: header Ns/Nr and the body (undefined for ZLB/ACK). */
export interface ReceivedControl<T> {
  /** Ns from the header (ignored for ZLB/ACK: they take no slot, RFC 2661 §5.8). */
  readonly ns: number;
  /** Nr from the header: the next Ns the peer expects from us. */
  readonly nr: number;
  /** The message body, or undefined for a ZLB (v2) or explicit ACK (v3). */
  readonly body: T | undefined;
}

/** Transmit a message (new or retransmitted) with these header values. */
export interface TransmitOutput<T> {
  readonly type: 'transmit';
  readonly ns: number;
  /** Always the current expected Ns: refreshed on retransmission (RFC 2661 §5.8 MUST). */
  readonly nr: number;
  /** The body given to {@link ReliableChannel.send}, same reference. */
  readonly body: T;
  readonly retransmission: boolean;
}

/** Send a bare acknowledgement: ZLB (Ns = next Ns, not consumed) or explicit ACK per `ackStyle`. */
export interface AckOutput {
  readonly type: 'ack';
  readonly ns: number;
  readonly nr: number;
  readonly ackStyle: AckStyle;
}

/** Hand a message to the upper layer: in order, exactly once. */
export interface DeliverOutput<T> {
  readonly type: 'deliver';
  readonly ns: number;
  /** The body passed to {@link ReliableChannel.receive}, same reference. */
  readonly body: T;
}

/** The retry budget ran out: clear the tunnel (RFC 2661 §5.8). No output follows this one. */
export interface FailedOutput {
  readonly type: 'failed';
  readonly reason: 'retries-exhausted';
  /** Ns of the message that was never acknowledged. */
  readonly ns: number;
  /** A ChannelError with code L2TP_ERR_RETRIES_EXHAUSTED, for hosts that want to throw or log it. */
  readonly error: ChannelError;
}

/** The post-close hold ended: the host may drop the channel. No output follows this one. */
export interface ClosedOutput {
  readonly type: 'closed';
}

/** Everything a channel call can ask the host to do, in the order it must be done. */
export type ChannelOutput<T> =
  | TransmitOutput<T>
  | AckOutput
  | DeliverOutput<T>
  | FailedOutput
  | ClosedOutput;

/** Lifecycle: open → closing (after close(), RFC 2661 §5.7 hold) → closed; or → failed. */
export type ChannelState = 'open' | 'closing' | 'closed' | 'failed';

/** Snapshot of counters and current values; see docs/sequencing.md for definitions. */
export interface ReliableChannelStats {
  readonly state: ChannelState;
  /** Messages transmitted for the first time. */
  readonly messagesSent: number;
  /** Retransmissions (every transmit with retransmission = true). */
  readonly retransmissions: number;
  /** Messages delivered to the upper layer. */
  readonly messagesDelivered: number;
  /** Received messages whose Ns we had already accepted (acknowledged again, not delivered). */
  readonly duplicatesReceived: number;
  /** Messages received ahead of a gap and held for in-order delivery. */
  readonly outOfOrderHeld: number;
  /** Messages dropped because their Ns lay beyond our receive window. */
  readonly droppedOutsideWindow: number;
  /** Messages dropped because their Nr acknowledged something never sent (RFC 3931 §4.2). */
  readonly invalidNrDropped: number;
  /** Bare acknowledgements (ZLB or explicit ACK) we asked the host to send. */
  readonly acksSent: number;
  /** Acknowledgements that rode on an outgoing message instead of a ZLB/ACK. */
  readonly acksPiggybacked: number;
  /** ZLBs / explicit ACKs received. */
  readonly acksReceived: number;
  /** Congestion window (messages), Appendix A. */
  readonly cwnd: number;
  /** Slow-start threshold (messages), Appendix A. */
  readonly ssthresh: number;
  /** Smoothed RTT (ms) from messages acknowledged without retransmission (Karn); undefined before one. */
  readonly srttMs: number | undefined;
  readonly peerReceiveWindow: number;
  readonly receiveWindow: number;
  /** Sent and not yet acknowledged. */
  readonly inFlight: number;
  /** Waiting for the send window. */
  readonly queued: number;
  /** Held out of order, waiting for a gap to fill. */
  readonly held: number;
  /** Largest `held` seen (≤ receiveWindow − 1). */
  readonly heldHighWater: number;
  /** Largest number of retransmissions any one message needed (including a failed one). */
  readonly maxRetransmitsUsed: number;
  /** Ns the next new message will carry. */
  readonly nextNs: number;
  /** Nr we send: the next Ns we expect from the peer. */
  readonly nr: number;
}

interface InFlight<T> {
  readonly ns: number;
  readonly body: T;
  readonly firstSentAt: number;
  retries: number;
  deadline: number;
}

function checkNow(now: number): void {
  if (!Number.isFinite(now)) throw new UsageError(`now must be a finite number of ms, got ${now}`);
}

/**
 * The reliable control channel of one control connection. Generic over the message body `T`,
 * which it passes through untouched (same reference). Outputs are returned from every call, in
 * the order the host must act on them; nothing is queued in callbacks.
 *
 * Host loop: feed `send`, `receive`, `close`; after each call (and whenever the clock reaches
 * {@link ReliableChannel.nextDeadline}) call {@link ReliableChannel.handleTimeout}. Calling it
 * early or twice is harmless.
 */
export class ReliableChannel<T> {
  readonly #o: ResolvedReliableChannelOptions;
  #state: ChannelState = 'open';
  // send side
  #nextNs: number;
  readonly #inFlight = new Fifo<InFlight<T>>();
  readonly #queue = new Fifo<T>();
  #peerWindow: number;
  #cwnd = 1;
  #ssthresh: number;
  #caAcks = 0; // acks counted towards the next CWND increment in congestion avoidance
  #congested = false;
  #srtt: number | undefined;
  // receive side
  #expected: number;
  readonly #held = new Map<number, T>();
  #ackDue: number | undefined;
  #closeDeadline = 0;
  // counters
  #sent = 0;
  #retransmissions = 0;
  #delivered = 0;
  #duplicates = 0;
  #outOfOrder = 0;
  #outsideWindow = 0;
  #invalidNr = 0;
  #acksSent = 0;
  #acksPiggybacked = 0;
  #acksReceived = 0;
  #heldHighWater = 0;
  #maxRetriesUsed = 0;

  /** @throws UsageError when an option is out of range. */
  constructor(options: ReliableChannelOptions = {}) {
    this.#o = resolveReliableChannelOptions(options);
    this.#nextNs = this.#o.initialNs;
    this.#expected = this.#o.initialNr;
    this.#peerWindow = this.#o.peerReceiveWindow;
    this.#ssthresh = this.#peerWindow;
  }

  /** The resolved options (frozen copy). */
  get options(): ResolvedReliableChannelOptions {
    return Object.freeze({ ...this.#o });
  }

  /** Current lifecycle state. */
  get state(): ChannelState {
    return this.#state;
  }

  /**
   * Records the peer's Receive Window Size AVP (SCCRQ/SCCRP). Values above 32767 are clamped to
   * 32767 (wrap-safe comparisons need in-flight < half the space). Returns transmissions the larger
   * window now allows.
   * @throws UsageError for a non-integer or a value < 1 (0 is invalid on the wire, RFC 2661 §5.8;
   *   the caller must answer it as a protocol error).
   */
  setPeerReceiveWindow(size: number, now: number): ChannelOutput<T>[] {
    checkInt('peer receive window', size, 1, 0xffff);
    checkNow(now);
    this.#peerWindow = Math.min(size, MAX_WINDOW);
    // Appendix A: SSTHRESH starts at the advertised window; keep a congestion-lowered value.
    this.#ssthresh = this.#congested
      ? Math.min(this.#ssthresh, this.#peerWindow)
      : this.#peerWindow;
    this.#cwnd = Math.min(this.#cwnd, this.#peerWindow);
    const out: ChannelOutput<T>[] = [];
    if (this.#active()) this.#pump(now, out, false);
    return out;
  }

  /**
   * Queues `body` for reliable, in-order delivery and transmits it at once when the window allows.
   * @throws ChannelError L2TP_ERR_CLOSED after close() or failure; L2TP_ERR_QUEUE_FULL when
   *   maxQueuedMessages messages already wait for the window (the message is not queued).
   */
  send(body: T, now: number): ChannelOutput<T>[] {
    checkNow(now);
    if (this.#state !== 'open') {
      throw new ChannelError('L2TP_ERR_CLOSED', `cannot send on a ${this.#state} channel`);
    }
    if (this.#queue.length >= this.#o.maxQueuedMessages && !this.#canTransmitNew()) {
      throw new ChannelError(
        'L2TP_ERR_QUEUE_FULL',
        `send queue full (${this.#o.maxQueuedMessages} messages waiting for the peer's window)`,
      );
    }
    this.#queue.push(body);
    const out: ChannelOutput<T>[] = [];
    this.#pump(now, out, false);
    return out;
  }

  /**
   * Processes one received control message (or ZLB/ACK when `body` is undefined): acknowledges
   * our messages up to `nr`, delivers new messages in order, holds those ahead of a gap, answers
   * duplicates with an acknowledgement. Returns [] once closed or failed.
   * @throws UsageError when ns/nr are not 16-bit integers (a host decoding bug, not peer input).
   */
  receive(message: ReceivedControl<T>, now: number): ChannelOutput<T>[] {
    checkNow(now);
    if (!isSerial(message.ns, 16) || !isSerial(message.nr, 16)) {
      throw new UsageError(`ns/nr must be integers in 0…65535, got ${message.ns}/${message.nr}`);
    }
    const out: ChannelOutput<T>[] = [];
    if (!this.#active()) return out;
    if (!this.#acknowledge(message.nr, now)) {
      this.#invalidNr++;
      this.#pump(now, out, false);
      return out;
    }
    if (message.body === undefined) {
      this.#acksReceived++;
    } else {
      this.#accept(message.ns, message.body, now, out);
    }
    this.#pump(now, out, false);
    return out;
  }

  /** Runs every timer due at `now`: retransmission, delayed ack, end of the post-close hold. */
  handleTimeout(now: number): ChannelOutput<T>[] {
    checkNow(now);
    const out: ChannelOutput<T>[] = [];
    if (this.#active()) this.#pump(now, out, false);
    return out;
  }

  /**
   * Starts the RFC 2661 §5.7 hold: no new sends; queued and in-flight messages are still delivered,
   * duplicates still acknowledged, for `holdMs` (default one full retransmission cycle,
   * {@link retransmissionCycleMs}: what the receiver of a StopCCN owes) and until everything sent
   * is acknowledged. `holdMs` 0: as soon as everything sent is acknowledged (the sender of a
   * StopCCN). Ends with a `closed` output (or `failed`). Idempotent.
   */
  close(now: number, holdMs: number = retransmissionCycleMs(this.#o)): ChannelOutput<T>[] {
    checkNow(now);
    const out: ChannelOutput<T>[] = [];
    if (this.#state !== 'open') return out;
    this.#state = 'closing';
    this.#closeDeadline = now + holdMs;
    this.#pump(now, out, false);
    return out;
  }

  /**
   * Earliest time (ms, same clock as `now`) at which {@link ReliableChannel.handleTimeout} has
   * work, or undefined when nothing is pending (idle, closed or failed).
   */
  nextDeadline(): number | undefined {
    if (!this.#active()) return undefined;
    let d: number | undefined = this.#inFlight.peek()?.deadline;
    if (this.#ackDue !== undefined && (d === undefined || this.#ackDue < d)) d = this.#ackDue;
    if (this.#state === 'closing' && this.#quiet()) {
      if (d === undefined || this.#closeDeadline < d) d = this.#closeDeadline;
    }
    return d;
  }

  /**
   * True when a message given to `send` now would be transmitted at once: the channel is open,
   * nothing waits in its queue and the window (min of CWND and the peer's window) has room.
   * Cheaper than `stats()` for a sender that keeps its own queue.
   */
  windowOpen(): boolean {
    return this.#state === 'open' && this.#queue.length === 0 && this.#canTransmitNew();
  }

  /** A snapshot of counters and current values. */
  stats(): ReliableChannelStats {
    return {
      state: this.#state,
      messagesSent: this.#sent,
      retransmissions: this.#retransmissions,
      messagesDelivered: this.#delivered,
      duplicatesReceived: this.#duplicates,
      outOfOrderHeld: this.#outOfOrder,
      droppedOutsideWindow: this.#outsideWindow,
      invalidNrDropped: this.#invalidNr,
      acksSent: this.#acksSent,
      acksPiggybacked: this.#acksPiggybacked,
      acksReceived: this.#acksReceived,
      cwnd: this.#cwnd,
      ssthresh: this.#ssthresh,
      srttMs: this.#srtt,
      peerReceiveWindow: this.#peerWindow,
      receiveWindow: this.#o.receiveWindow,
      inFlight: this.#inFlight.length,
      queued: this.#queue.length,
      held: this.#held.size,
      heldHighWater: this.#heldHighWater,
      maxRetransmitsUsed: this.#maxRetriesUsed,
      nextNs: this.#nextNs,
      nr: this.#expected,
    };
  }

  #active(): boolean {
    return this.#state === 'open' || this.#state === 'closing';
  }

  #quiet(): boolean {
    return this.#inFlight.length === 0 && this.#queue.length === 0 && this.#ackDue === undefined;
  }

  #canTransmitNew(): boolean {
    return this.#inFlight.length < Math.min(this.#cwnd, this.#peerWindow);
  }

  /**
   * Flushes in-flight messages acknowledged by `nr`. Returns false when `nr` acknowledges a
   * message never sent (RFC 3931 §4.2: "clearly invalid"); a stale Nr is fine and ignored.
   */
  #acknowledge(nr: number, now: number): boolean {
    const inFlight = this.#inFlight.length;
    const una = (this.#nextNs - inFlight) & 0xffff;
    const acked = serialDistance(una, nr, 16);
    if (acked > inFlight) return serialLessThan(nr, una, 16);
    if (acked === 0) return true;
    for (let i = 0; i < acked; i++) {
      const m = this.#inFlight.shift() as InFlight<T>;
      if (m.retries > this.#maxRetriesUsed) this.#maxRetriesUsed = m.retries;
      if (m.retries === 0) this.#rttSample(now - m.firstSentAt); // Karn: unambiguous samples only
    }
    // Appendix A: one increment per ACK that acknowledges new messages.
    if (this.#cwnd < this.#ssthresh) {
      this.#cwnd++;
    } else if (++this.#caAcks >= this.#cwnd) {
      this.#cwnd++;
      this.#caAcks = 0;
    }
    if (this.#cwnd > this.#peerWindow) this.#cwnd = this.#peerWindow;
    return true;
  }

  #rttSample(ms: number): void {
    this.#srtt = this.#srtt === undefined ? ms : this.#srtt + (ms - this.#srtt) / 8;
  }

  #accept(ns: number, body: T, now: number, out: ChannelOutput<T>[]): void {
    if (ns === this.#expected) {
      this.#deliver(ns, body, out);
      // Bodies are never undefined (undefined means ZLB), so get() doubles as has().
      let held = this.#held.get(this.#expected);
      while (held !== undefined) {
        this.#held.delete(this.#expected);
        this.#deliver(this.#expected, held, out);
        held = this.#held.get(this.#expected);
      }
      this.#scheduleAck(now);
    } else if (serialLessThan(ns, this.#expected, 16)) {
      // RFC 2661 §5.8: a duplicate MUST be acknowledged (our earlier ack may have been lost).
      this.#duplicates++;
      this.#scheduleAck(now);
    } else if (serialDistance(this.#expected, ns, 16) < this.#o.receiveWindow) {
      if (this.#held.has(ns)) {
        this.#duplicates++;
      } else {
        this.#held.set(ns, body);
        this.#outOfOrder++;
        if (this.#held.size > this.#heldHighWater) this.#heldHighWater = this.#held.size;
      }
      this.#scheduleAck(now); // tells the peer which Ns we still miss
    } else {
      this.#outsideWindow++;
    }
  }

  #deliver(ns: number, body: T, out: ChannelOutput<T>[]): void {
    out.push({ type: 'deliver', ns, body });
    this.#delivered++;
    this.#expected = serialNext(this.#expected, 16);
  }

  #scheduleAck(now: number): void {
    if (this.#ackDue === undefined) this.#ackDue = now + this.#o.ackDelayMs;
  }

  /** Runs the send side and timers. `transmitted` is true when a message already carried our Nr. */
  #pump(now: number, out: ChannelOutput<T>[], transmitted: boolean): void {
    const front = this.#inFlight.peek();
    if (front !== undefined && front.deadline <= now) {
      if (front.retries >= this.#o.maxRetransmits) {
        this.#fail(front, out);
        return;
      }
      // Appendix A: a retransmission timeout halves SSTHRESH and restarts slow start.
      this.#ssthresh = Math.max(Math.floor(this.#cwnd / 2), 1);
      this.#cwnd = 1;
      this.#caAcks = 0;
      this.#congested = true;
      front.retries++;
      front.deadline = now + retransmitTimeoutFor(front.retries, this.#o);
      this.#retransmissions++;
      out.push({
        type: 'transmit',
        ns: front.ns,
        nr: this.#expected,
        body: front.body,
        retransmission: true,
      });
      transmitted = true;
    }
    while (this.#queue.length > 0 && this.#canTransmitNew()) {
      const body = this.#queue.shift() as T;
      const ns = this.#nextNs;
      this.#nextNs = serialNext(ns, 16);
      this.#inFlight.push({
        ns,
        body,
        firstSentAt: now,
        retries: 0,
        deadline: now + this.#o.retransmitTimeoutMs,
      });
      this.#sent++;
      out.push({ type: 'transmit', ns, nr: this.#expected, body, retransmission: false });
      transmitted = true;
    }
    if (this.#ackDue !== undefined) {
      if (transmitted) {
        this.#acksPiggybacked++;
        this.#ackDue = undefined;
      } else if (this.#ackDue <= now) {
        out.push({ type: 'ack', ns: this.#nextNs, nr: this.#expected, ackStyle: this.#o.ackStyle });
        this.#acksSent++;
        this.#ackDue = undefined;
      }
    }
    if (this.#state === 'closing' && now >= this.#closeDeadline && this.#quiet()) {
      this.#state = 'closed';
      this.#held.clear();
      out.push({ type: 'closed' });
    }
  }

  #fail(front: InFlight<T>, out: ChannelOutput<T>[]): void {
    this.#state = 'failed';
    if (front.retries > this.#maxRetriesUsed) this.#maxRetriesUsed = front.retries;
    const error = new ChannelError(
      'L2TP_ERR_RETRIES_EXHAUSTED',
      `message Ns=${front.ns} unacknowledged after ${front.retries} retransmissions`,
    );
    out.push({ type: 'failed', reason: 'retries-exhausted', ns: front.ns, error });
    this.#inFlight.clear();
    this.#queue.clear();
    this.#held.clear();
    this.#ackDue = undefined;
  }
}
