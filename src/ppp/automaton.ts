/**
 * The option negotiation automaton of RFC 1661 §4, shared by LCP and the NCPs: the state
 * transition table of §4.1 as data (one row per state × event, `PPP_TRANSITIONS`), and
 * `PppAutomaton`, which runs it with the Restart timer and counters of §4.6 and the packet rules
 * of §5.1–§5.7 for codes 1–7. It is generic over an `OptionNegotiator`, the plug-in that knows a
 * protocol's Configuration Options: what we ask for, how we judge the peer's request option by
 * option, and what the peer's Ack/Nak/Reject does to our wishes (lcp.ts, ipcp.ts, ipv6cp.ts).
 *
 * Sans-I/O like the rest of the repository: inputs take `now` (monotonic ms), outputs come back
 * as `PppOutput[]` to perform in order, `nextDeadline()` says when to call `handleTimeout(now)`
 * (early or repeated calls are harmless). Packets from the peer never make it throw: what RFC 1661
 * calls invalid is silently discarded and counted (`stats().discarded`).
 *
 * Rules the table alone does not say (each is cited where it is applied):
 * - irc sets Max-Terminate when the same row sends a Terminate-Request, else Max-Configure (§4.4);
 * - scr from a state where the Restart timer is not running starts a negotiation afresh: our
 *   wishes reset, Nak counts cleared, and (for the rows leaving Opened, which have no irc) the
 *   counter set to Max-Configure; a TO+ scr resends the same request with the same Identifier;
 * - a reply to a Configure-Request counts only if its Identifier is the last request's and no
 *   reply to this transmission of it was taken yet, so a duplicated Ack cannot restart an Opened
 *   link (§5.2–§5.4), while a request resent after TO+ in Ack-Rcvd can be acknowledged again;
 * - in Opened, a retransmission of the Configure-Request we last acknowledged (same Identifier,
 *   same options) gets the same Configure-Ack again instead of RCR's tld/scr/sca: it crossed our
 *   Ack (a Restart timer shorter than the round trip, or a duplicate), and renegotiating on it
 *   would repeat for ever. A peer that restarts negotiation sends a new Identifier (§5.1), so
 *   it still renegotiates (§4.5 asks for such loop avoidance);
 * - Max-Failure (§4.6): once that many Configure-Naks were sent without an Ack, further Naks
 *   become Rejects and nothing is appended; symmetrically, once that many Naks were received,
 *   the peer's suggestions are treated as Rejects (as pppd does), so two engines converge;
 * - a negotiator may give up (auth refused, loopback, no address): the automaton then takes the
 *   Close event with that reason.
 * Not implemented: the [r] restart option (Open in Opened/Stopped/Closing/Stopping does nothing);
 * Restart timer backoff. The [p] passive option is `passive`.
 */

import { DecodeError, UsageError } from '../errors.js';
import type { Transition, TransitionTable } from '../fsm/types.js';
import {
  type ControlPacket,
  controlFrame,
  decodeControl,
  decodeOptions,
  optionsLength,
  PppCode,
  type PppFraming,
  type PppOption,
  sameBytes,
  writeOptions,
} from './frame.js';
import type { PppEvent, PppOutput, PppProtocolName, PppReason, PppValues } from './types.js';

/** The automaton's states (RFC 1661 §4.2), numbered 0–9 in this order. */
export const PPP_STATES = [
  'initial',
  'starting',
  'closed',
  'stopped',
  'closing',
  'stopping',
  'req-sent',
  'ack-rcvd',
  'ack-sent',
  'opened',
] as const;
/** An automaton state. */
export type PppState = (typeof PPP_STATES)[number];

/** The automaton's events (RFC 1661 §4.3). */
export const PPP_FSM_EVENTS = [
  'up',
  'down',
  'open',
  'close',
  'to+',
  'to-',
  'rcr+',
  'rcr-',
  'rca',
  'rcn',
  'rtr',
  'rta',
  'ruc',
  'rxj+',
  'rxj-',
  'rxr',
] as const;
/** An automaton event. */
export type PppFsmEvent = (typeof PPP_FSM_EVENTS)[number];

/** The automaton's actions (RFC 1661 §4.4). */
export const PPP_FSM_ACTIONS = [
  'tlu',
  'tld',
  'tls',
  'tlf',
  'irc',
  'zrc',
  'scr',
  'sca',
  'scn',
  'str',
  'sta',
  'scj',
  'ser',
] as const;
/** An automaton action. */
export type PppFsmAction = (typeof PPP_FSM_ACTIONS)[number];

/**
 * One row of {@link PPP_TRANSITIONS}: the next state and the actions (RFC 1661 §4.4) in order.
 * `down` is never set in this table.
 */
export type PppTransitionRow = Transition<PppState, PppFsmAction>;
const to = (next: PppState, ...actions: PppFsmAction[]): PppTransitionRow => ({ next, actions });

/**
 * RFC 1661 §4.1, column by column. A missing row is the table's '-' (an illegal event: no
 * transition, counted). Footnotes: [p] is `passive`, [r] is not implemented, [x] is the plain row.
 */
export const PPP_TRANSITIONS: TransitionTable<PppState, PppFsmEvent, PppFsmAction> = {
  initial: {
    up: to('closed'),
    open: to('starting', 'tls'),
    close: to('initial'),
  },
  starting: {
    up: to('req-sent', 'irc', 'scr'),
    open: to('starting'),
    close: to('initial', 'tlf'),
  },
  closed: {
    down: to('initial'),
    open: to('req-sent', 'irc', 'scr'),
    close: to('closed'),
    'rcr+': to('closed', 'sta'),
    'rcr-': to('closed', 'sta'),
    rca: to('closed', 'sta'),
    rcn: to('closed', 'sta'),
    rtr: to('closed', 'sta'),
    rta: to('closed'),
    ruc: to('closed', 'scj'),
    'rxj+': to('closed'),
    'rxj-': to('closed', 'tlf'),
    rxr: to('closed'),
  },
  stopped: {
    down: to('starting', 'tls'),
    open: to('stopped'),
    close: to('closed'),
    'rcr+': to('ack-sent', 'irc', 'scr', 'sca'),
    'rcr-': to('req-sent', 'irc', 'scr', 'scn'),
    rca: to('stopped', 'sta'),
    rcn: to('stopped', 'sta'),
    rtr: to('stopped', 'sta'),
    rta: to('stopped'),
    ruc: to('stopped', 'scj'),
    'rxj+': to('stopped'),
    'rxj-': to('stopped', 'tlf'),
    rxr: to('stopped'),
  },
  closing: {
    down: to('initial'),
    open: to('stopping'),
    close: to('closing'),
    'to+': to('closing', 'str'),
    'to-': to('closed', 'tlf'),
    'rcr+': to('closing'),
    'rcr-': to('closing'),
    rca: to('closing'),
    rcn: to('closing'),
    rtr: to('closing', 'sta'),
    rta: to('closed', 'tlf'),
    ruc: to('closing', 'scj'),
    'rxj+': to('closing'),
    'rxj-': to('closed', 'tlf'),
    rxr: to('closing'),
  },
  stopping: {
    down: to('starting'),
    open: to('stopping'),
    close: to('closing'),
    'to+': to('stopping', 'str'),
    'to-': to('stopped', 'tlf'),
    'rcr+': to('stopping'),
    'rcr-': to('stopping'),
    rca: to('stopping'),
    rcn: to('stopping'),
    rtr: to('stopping', 'sta'),
    rta: to('stopped', 'tlf'),
    ruc: to('stopping', 'scj'),
    'rxj+': to('stopping'),
    'rxj-': to('stopped', 'tlf'),
    rxr: to('stopping'),
  },
  'req-sent': {
    down: to('starting'),
    open: to('req-sent'),
    close: to('closing', 'irc', 'str'),
    'to+': to('req-sent', 'scr'),
    'to-': to('stopped', 'tlf'),
    'rcr+': to('ack-sent', 'sca'),
    'rcr-': to('req-sent', 'scn'),
    rca: to('ack-rcvd', 'irc'),
    rcn: to('req-sent', 'irc', 'scr'),
    rtr: to('req-sent', 'sta'),
    rta: to('req-sent'),
    ruc: to('req-sent', 'scj'),
    'rxj+': to('req-sent'),
    'rxj-': to('stopped', 'tlf'),
    rxr: to('req-sent'),
  },
  'ack-rcvd': {
    down: to('starting'),
    open: to('ack-rcvd'),
    close: to('closing', 'irc', 'str'),
    'to+': to('req-sent', 'scr'),
    'to-': to('stopped', 'tlf'),
    'rcr+': to('opened', 'sca', 'tlu'),
    'rcr-': to('ack-rcvd', 'scn'),
    rca: to('req-sent', 'scr'),
    rcn: to('req-sent', 'scr'),
    rtr: to('req-sent', 'sta'),
    rta: to('req-sent'),
    ruc: to('ack-rcvd', 'scj'),
    'rxj+': to('req-sent'),
    'rxj-': to('stopped', 'tlf'),
    rxr: to('ack-rcvd'),
  },
  'ack-sent': {
    down: to('starting'),
    open: to('ack-sent'),
    close: to('closing', 'irc', 'str'),
    'to+': to('ack-sent', 'scr'),
    'to-': to('stopped', 'tlf'),
    'rcr+': to('ack-sent', 'sca'),
    'rcr-': to('req-sent', 'scn'),
    rca: to('opened', 'irc', 'tlu'),
    rcn: to('ack-sent', 'irc', 'scr'),
    rtr: to('req-sent', 'sta'),
    rta: to('ack-sent'),
    ruc: to('ack-sent', 'scj'),
    'rxj+': to('ack-sent'),
    'rxj-': to('stopped', 'tlf'),
    rxr: to('ack-sent'),
  },
  opened: {
    down: to('starting', 'tld'),
    open: to('opened'),
    close: to('closing', 'tld', 'irc', 'str'),
    'rcr+': to('ack-sent', 'tld', 'scr', 'sca'),
    'rcr-': to('req-sent', 'tld', 'scr', 'scn'),
    rca: to('req-sent', 'tld', 'scr'),
    rcn: to('req-sent', 'tld', 'scr'),
    rtr: to('stopping', 'tld', 'zrc', 'sta'),
    rta: to('req-sent', 'tld', 'scr'),
    ruc: to('opened', 'scj'),
    'rxj+': to('opened'),
    'rxj-': to('stopping', 'tld', 'irc', 'str'),
    rxr: to('opened', 'ser'),
  },
};

/** The next state and actions for (state, event), or undefined for the table's '-'. */
export function pppTransition(state: PppState, event: PppFsmEvent): PppTransitionRow | undefined {
  return PPP_TRANSITIONS[state][event];
}

// §4.1: "The states in which the Restart timer is running are identifiable by the presence of
// TO events."
const TIMER_STATES: ReadonlySet<PppState> = new Set([
  'closing',
  'stopping',
  'req-sent',
  'ack-rcvd',
  'ack-sent',
]);
const NEGOTIATING: ReadonlySet<PppState> = new Set(['req-sent', 'ack-rcvd', 'ack-sent']);

/** How we answer one option of the peer's Configure-Request. */
export type OptionVerdict =
  | { readonly verdict: 'ack' }
  | { readonly verdict: 'reject' }
  /**
   * Nak with `option` as our suggestion. `keep`: stay a Nak after Max-Failure (a Magic-Number
   * loop must be Nak'd, never Rejected, RFC 1661 §6.4).
   */
  | { readonly verdict: 'nak'; readonly option: PppOption; readonly keep?: boolean | undefined };

/** The 'ack' verdict. */
export const ACK: OptionVerdict = { verdict: 'ack' };
/** The 'reject' verdict. */
export const REJECT: OptionVerdict = { verdict: 'reject' };
/** A 'nak' verdict suggesting `option`. */
export function nak(option: PppOption, keep = false): OptionVerdict {
  return keep ? { verdict: 'nak', option, keep } : { verdict: 'nak', option };
}

/** How a code other than 1–7 drives the automaton (undefined: silently discard). */
export type ExtraCodeEvent = 'rxr' | 'rxj+' | 'rxj-' | 'ruc';

/**
 * The plug-in that knows one protocol's Configuration Options. The automaton calls it; it never
 * sends anything itself. Option `data` it is handed are views of received frames: copy what it
 * keeps.
 */
export interface OptionNegotiator<N extends PppProtocolName> {
  readonly name: N;
  /** PPP protocol number (0xc021, 0x8021, 0x8057). */
  readonly protocol: number;
  /** A negotiation starts afresh: our wishes back to the configured ones, per-negotiation state cleared. */
  reset(): void;
  /** The options of our next Configure-Request, from our current wishes. */
  request(): readonly PppOption[];
  /** Judges one option of the peer's Configure-Request (duplicates are rejected before this). */
  judge(option: PppOption): OptionVerdict;
  /**
   * Options to append to a Configure-Nak because the peer left out something we want it to send
   * (RFC 1661 §5.3 last paragraph); usually none. Not asked once Max-Failure is reached.
   */
  missing(request: readonly PppOption[]): readonly PppOption[];
  /** We sent Configure-Ack for these options: they are the peer's values now. */
  peerAcked(options: readonly PppOption[]): void;
  /** The peer acknowledged our last Configure-Request, `options`. */
  acked(options: readonly PppOption[]): void;
  /**
   * A Configure-Nak suggested `option`. `requested`: its type was in our request (otherwise the
   * peer appended it). `failing`: Max-Failure Naks were received: treat it as a Reject if giving
   * in could loop.
   */
  nakked(option: PppOption, requested: boolean, failing: boolean): void;
  /** A Configure-Reject listed `option`: never send it again in this negotiation (§5.4). */
  rejected(option: PppOption): void;
  /** A reason to give up, once (read and cleared by the automaton after each packet). */
  failure(): PppReason | undefined;
  /** The values for the `up` event. */
  values(): PppValues[N];
  /** Codes beyond 1–7 (LCP's 8–13); may push events to `out`. Default: every one is RUC. */
  extraCode?(packet: ControlPacket, state: PppState, out: PppOutput[]): ExtraCodeEvent | undefined;
  /** The Data of the Echo-Reply to send for `packet` (the `ser` action), if it is an Echo-Request. */
  echoReply?(packet: ControlPacket): Uint8Array | undefined;
  /** The peer Code-Rejected `code`, a code outside 1–7: stop sending it (RXJ+). */
  codeRejected?(code: number): void;
}

/** Timers and counters (RFC 1661 §4.6). */
export interface AutomatonOptions {
  /** Restart timer, ms. Default 3000. */
  readonly restartMs?: number | undefined;
  /** Terminate-Requests sent before giving up. Default 2. */
  readonly maxTerminate?: number | undefined;
  /** Configure-Requests sent without a valid reply before giving up. Default 10. */
  readonly maxConfigure?: number | undefined;
  /** Configure-Naks sent without an Ack before Naks turn into Rejects. Default 5. */
  readonly maxFailure?: number | undefined;
  /**
   * [p] passive option (§4.2 Stopped): after Max-Configure unanswered requests, wait in Stopped
   * for the peer without This-Layer-Finished. Default false.
   */
  readonly passive?: boolean | undefined;
}

/** The defaults of {@link AutomatonOptions} (RFC 1661 §4.6). */
export const AUTOMATON_DEFAULTS = {
  restartMs: 3000,
  maxTerminate: 2,
  maxConfigure: 10,
  maxFailure: 5,
  passive: false,
} as const;

/** {@link AutomatonOptions} checked, with every default filled in. */
export interface ResolvedAutomatonOptions {
  /** The Restart timer, ms. */
  readonly restartMs: number;
  /** Max-Terminate: Terminate-Requests sent before giving up. */
  readonly maxTerminate: number;
  /** Max-Configure: Configure-Requests sent without a valid reply before giving up. */
  readonly maxConfigure: number;
  /** Max-Failure: Configure-Naks sent without an Ack before Naks turn into Rejects. */
  readonly maxFailure: number;
  /** The [p] passive option: after Max-Configure, wait in Stopped for the peer. */
  readonly passive: boolean;
}

function count(name: string, v: number | undefined, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < min) {
    throw new UsageError(`${name} must be an integer ≥ ${min}, got ${v}`);
  }
  return v;
}

/** Checks `options` and fills in the defaults. @throws UsageError on a bad value. */
export function resolveAutomatonOptions(options: AutomatonOptions = {}): ResolvedAutomatonOptions {
  const restartMs = options.restartMs ?? AUTOMATON_DEFAULTS.restartMs;
  if (!(Number.isFinite(restartMs) && restartMs > 0)) {
    throw new UsageError(`restartMs must be a positive number, got ${restartMs}`);
  }
  return {
    restartMs,
    maxTerminate: count('maxTerminate', options.maxTerminate, AUTOMATON_DEFAULTS.maxTerminate, 1),
    maxConfigure: count('maxConfigure', options.maxConfigure, AUTOMATON_DEFAULTS.maxConfigure, 1),
    maxFailure: count('maxFailure', options.maxFailure, AUTOMATON_DEFAULTS.maxFailure, 0),
    passive: options.passive ?? false,
  };
}

/** Counters of an automaton. */
export interface AutomatonStats {
  /** Packets dropped as invalid (RFC 1661 "silently discarded"). */
  readonly discarded: number;
  /** Events with no row (the table's '-'). */
  readonly illegal: number;
}

/** A reply to a Configure-Request, worked out before the table row runs. */
interface Reply {
  readonly code: 2 | 3 | 4;
  readonly options: readonly PppOption[];
}

const ADMIN: PppReason = { by: 'local', code: 'admin-close' };
const LOWER_DOWN: PppReason = { by: 'lower-layer', code: 'lower-down' };
const RENEGOTIATE: PppReason = { by: 'peer', code: 'renegotiate' };
const NO_RESPONSE: PppReason = { by: 'timeout', code: 'no-response' };
const EMPTY = new Uint8Array(0);
const textDecoder = new TextDecoder('utf-8', { fatal: false });
const textEncoder = new TextEncoder();

/** The `up` event of protocol `name`. */
function upEvent<N extends PppProtocolName>(name: N, values: PppValues[N]): PppEvent {
  return { type: 'up', protocol: name, values } as PppEvent;
}

/** Text of a Terminate-Request's Data, for people (undefined when empty). */
function dataText(data: Uint8Array): string | undefined {
  return data.length === 0 ? undefined : textDecoder.decode(data.subarray(0, 255));
}

/**
 * One protocol's automaton: the table, the Restart timer and counters, and the packet rules for
 * codes 1–7, over an {@link OptionNegotiator}. Frames are built with the shared `framing`.
 */
export class PppAutomaton<N extends PppProtocolName> {
  readonly name: N;
  readonly protocol: number;
  readonly #neg: OptionNegotiator<N>;
  readonly #framing: PppFraming;
  readonly #o: ResolvedAutomatonOptions;
  #state: PppState = 'initial';
  #counter = 0;
  #deadline: number | undefined;
  #id = 0;
  // Our last Configure-Request: its id, frame (resent as is on TO+), Data view and options.
  #reqId = -1;
  #reqFrame: Uint8Array | undefined;
  #reqData: Uint8Array = EMPTY;
  #reqOptions: readonly PppOption[] = [];
  #answered = true;
  #termFrame: Uint8Array | undefined;
  // The last Configure-Ack we sent: its frame, the Identifier and options it acknowledged.
  #ackFrame: Uint8Array | undefined;
  #ackId = -1;
  #ackData: Uint8Array = EMPTY;
  #naksSent = 0;
  #naksReceived = 0;
  #reason: PppReason = ADMIN;
  #values: PppValues[N] | undefined;
  readonly #seen = new Uint32Array(8);
  #discarded = 0;
  #illegal = 0;

  constructor(negotiator: OptionNegotiator<N>, framing: PppFraming, options?: AutomatonOptions) {
    this.#neg = negotiator;
    this.name = negotiator.name;
    this.protocol = negotiator.protocol;
    this.#framing = framing;
    this.#o = resolveAutomatonOptions(options);
  }

  /** Current state. */
  get state(): PppState {
    return this.#state;
  }

  /** The negotiated values while Opened, else undefined. */
  get values(): PppValues[N] | undefined {
    return this.#values;
  }

  /** The reason of the last close, down or failure. */
  get reason(): PppReason {
    return this.#reason;
  }

  /** Counters. */
  stats(): AutomatonStats {
    return { discarded: this.#discarded, illegal: this.#illegal };
  }

  /** When the Restart timer expires, or undefined when it is not running. */
  nextDeadline(): number | undefined {
    return this.#deadline;
  }

  /** Administrative Open. */
  open(now: number): PppOutput[] {
    const out: PppOutput[] = [];
    this.#step('open', now, out);
    return out;
  }

  /** Administrative Close; `reason` defaults to `admin-close` by `local`. */
  close(now: number, reason: PppReason = ADMIN): PppOutput[] {
    const out: PppOutput[] = [];
    this.#close(reason, now, out);
    return out;
  }

  /** The lower layer is up. */
  up(now: number): PppOutput[] {
    const out: PppOutput[] = [];
    this.#step('up', now, out);
    return out;
  }

  /** The lower layer is down. */
  down(now: number, reason: PppReason = LOWER_DOWN): PppOutput[] {
    const out: PppOutput[] = [];
    if (this.#state === 'opened' || NEGOTIATING.has(this.#state)) this.#reason = reason;
    this.#step('down', now, out);
    return out;
  }

  /**
   * The peer Protocol-Rejected this protocol (LCP saw it, RFC 1661 §5.7): RXJ-, catastrophic for
   * this protocol.
   */
  rejectedByPeer(now: number): PppOutput[] {
    const out: PppOutput[] = [];
    this.#rxjMinus({ by: 'peer', code: 'protocol-rejected' }, now, out);
    return out;
  }

  /** The Restart timer: TO+ or TO- when `now` has reached the deadline; otherwise nothing. */
  handleTimeout(now: number): PppOutput[] {
    const out: PppOutput[] = [];
    if (this.#deadline === undefined || now < this.#deadline) return out;
    if (this.#counter > 0) {
      this.#step('to+', now, out);
    } else {
      if (NEGOTIATING.has(this.#state)) this.#reason = NO_RESPONSE;
      this.#step('to-', now, out);
    }
    return out;
  }

  /** A packet of this protocol: the Information field of a received frame. */
  handlePacket(information: Uint8Array, now: number): PppOutput[] {
    const out: PppOutput[] = [];
    let rx: ControlPacket;
    try {
      rx = decodeControl(information);
    } catch (e) {
      this.#drop(e);
      return out;
    }
    switch (rx.code) {
      case PppCode.ConfigureRequest:
        this.#receiveRequest(rx, now, out);
        break;
      case PppCode.ConfigureAck:
        this.#receiveAck(rx, now, out);
        break;
      case PppCode.ConfigureNak:
      case PppCode.ConfigureReject:
        this.#receiveNakOrReject(rx, now, out);
        break;
      case PppCode.TerminateRequest:
        if (this.#state === 'opened' || NEGOTIATING.has(this.#state)) {
          this.#reason = { by: 'peer', code: 'peer-terminate', message: dataText(rx.data) };
        }
        this.#step('rtr', now, out, rx);
        break;
      case PppCode.TerminateAck:
        if (this.#state === 'opened') this.#reason = RENEGOTIATE;
        this.#step('rta', now, out, rx);
        break;
      case PppCode.CodeReject: {
        if (rx.data.length === 0) {
          this.#discarded++;
          break;
        }
        const code = rx.data[0] as number;
        // §5.6 / §4.3: a Code-Reject of a code this protocol cannot do without is catastrophic.
        if (code >= PppCode.ConfigureRequest && code <= PppCode.CodeReject) {
          this.#rxjMinus({ by: 'peer', code: 'code-rejected' }, now, out, rx);
        } else {
          this.#neg.codeRejected?.(code);
          this.#step('rxj+', now, out, rx);
        }
        break;
      }
      default: {
        const ev = this.#neg.extraCode ? this.#neg.extraCode(rx, this.#state, out) : 'ruc';
        if (ev === undefined) this.#discarded++;
        else if (ev === 'rxj-')
          this.#rxjMinus({ by: 'peer', code: 'protocol-rejected' }, now, out, rx);
        else this.#step(ev, now, out, rx);
      }
    }
    return out;
  }

  /**
   * @internal A fresh Identifier for a packet this protocol originates (§5: Code-Reject,
   * Protocol-Reject, Echo-Request need one each).
   */
  nextId(): number {
    this.#id = (this.#id + 1) & 0xff;
    return this.#id;
  }

  /** @internal Sends a control packet of this protocol with `data` as its Data field. */
  sendPacket(out: PppOutput[], code: number, id: number, data: Uint8Array): void {
    const frame = controlFrame(this.protocol, this.#framing, code, id, data.length);
    frame.set(data, frame.length - data.length);
    out.push({ type: 'transmit', protocol: this.protocol, frame });
  }

  #drop(e: unknown): void {
    if (!(e instanceof DecodeError)) throw e;
    this.#discarded++;
  }

  #close(reason: PppReason, now: number, out: PppOutput[]): void {
    const s = this.#state;
    // A close while already terminating keeps the reason that started it.
    if (s !== 'closing' && s !== 'stopping' && s !== 'closed' && s !== 'initial') {
      this.#reason = reason;
    }
    this.#step('close', now, out);
  }

  #rxjMinus(reason: PppReason, now: number, out: PppOutput[], rx?: ControlPacket): void {
    if (this.#state !== 'closing' && this.#state !== 'stopping') this.#reason = reason;
    this.#step('rxj-', now, out, rx);
  }

  /** Gives up with the negotiator's reason, if it has one: the Close event. */
  #gaveUp(now: number, out: PppOutput[]): boolean {
    const f = this.#neg.failure();
    if (f === undefined) return false;
    this.#close(f, now, out);
    return true;
  }

  #receiveRequest(rx: ControlPacket, now: number, out: PppOutput[]): void {
    const s = this.#state;
    if (s === 'initial' || s === 'starting') {
      this.#illegal++;
      return;
    }
    let options: PppOption[];
    try {
      options = decodeOptions(rx.data);
    } catch (e) {
      this.#drop(e);
      return;
    }
    // Closed, Closing, Stopping: RCR+ and RCR- have the same row and the request is not judged.
    if (s === 'closed' || s === 'closing' || s === 'stopping') {
      this.#step('rcr+', now, out, rx);
      return;
    }
    if (
      s === 'opened' &&
      this.#ackFrame !== undefined &&
      rx.id === this.#ackId &&
      sameBytes(rx.data, this.#ackData)
    ) {
      out.push({ type: 'transmit', protocol: this.protocol, frame: this.#ackFrame });
      return;
    }
    const reply = this.#judge(options);
    if (this.#gaveUp(now, out)) return;
    if (s === 'opened') this.#reason = RENEGOTIATE;
    this.#step(reply.code === PppCode.ConfigureAck ? 'rcr+' : 'rcr-', now, out, rx, reply);
  }

  /** RFC 1661 §5.2–§5.4: Reject wins over Nak, Nak over Ack; Max-Failure turns Naks into Rejects. */
  #judge(options: readonly PppOption[]): Reply {
    const failing = this.#naksSent >= this.#o.maxFailure;
    const seen = this.#seen;
    seen.fill(0);
    const rejects: PppOption[] = [];
    const naks: PppOption[] = [];
    for (const o of options) {
      const w = o.type >>> 5;
      const bit = 1 << (o.type & 31);
      // None of the options here may be listed twice (RFC 1661 §6): reject the repeat.
      if (((seen[w] as number) & bit) !== 0) {
        rejects.push(o);
        continue;
      }
      seen[w] = (seen[w] as number) | bit;
      const v = this.#neg.judge(o);
      if (v.verdict === 'ack') continue;
      if (v.verdict === 'reject' || (failing && v.keep !== true)) rejects.push(o);
      else naks.push(v.option);
    }
    if (rejects.length > 0) return { code: PppCode.ConfigureReject, options: rejects };
    if (!failing) naks.push(...this.#neg.missing(options));
    if (naks.length > 0) return { code: PppCode.ConfigureNak, options: naks };
    return { code: PppCode.ConfigureAck, options };
  }

  /** Is `rx` the first reply to our last Configure-Request? (§5.2–§5.4: else discarded.) */
  #isReplyToRequest(rx: ControlPacket): boolean {
    return !this.#answered && rx.id === this.#reqId && this.#reqFrame !== undefined;
  }

  #receiveAck(rx: ControlPacket, now: number, out: PppOutput[]): void {
    const s = this.#state;
    if (s === 'closed' || s === 'stopped') {
      this.#step('rca', now, out, rx); // Terminate-Ack to resynchronise
      return;
    }
    if (s !== 'opened' && !NEGOTIATING.has(s)) return; // Closing, Stopping: no action
    // §5.2: the options MUST exactly match those of the last transmitted Configure-Request.
    if (!this.#isReplyToRequest(rx) || !sameBytes(rx.data, this.#reqData)) {
      this.#discarded++;
      return;
    }
    this.#answered = true;
    this.#naksReceived = 0;
    this.#neg.acked(this.#reqOptions);
    if (this.#gaveUp(now, out)) return;
    if (s === 'opened') this.#reason = RENEGOTIATE;
    this.#step('rca', now, out, rx);
  }

  #receiveNakOrReject(rx: ControlPacket, now: number, out: PppOutput[]): void {
    const s = this.#state;
    if (s === 'closed' || s === 'stopped') {
      this.#step('rcn', now, out, rx);
      return;
    }
    if (s !== 'opened' && !NEGOTIATING.has(s)) return;
    if (!this.#isReplyToRequest(rx)) {
      this.#discarded++;
      return;
    }
    let options: PppOption[];
    try {
      options = decodeOptions(rx.data);
    } catch (e) {
      this.#drop(e);
      return;
    }
    const reject = rx.code === PppCode.ConfigureReject;
    // §5.4: a Reject's options are a subset of our request's, in order and unmodified.
    if (reject && !this.#isSubsetOfRequest(options)) {
      this.#discarded++;
      return;
    }
    this.#answered = true;
    if (reject) {
      for (const o of options) this.#neg.rejected(o);
    } else {
      const failing = ++this.#naksReceived >= this.#o.maxFailure;
      for (const o of options) {
        let requested = false;
        for (const r of this.#reqOptions) if (r.type === o.type) requested = true;
        this.#neg.nakked(o, requested, failing);
      }
    }
    if (this.#gaveUp(now, out)) return;
    if (s === 'opened') this.#reason = RENEGOTIATE;
    this.#step('rcn', now, out, rx);
  }

  #isSubsetOfRequest(options: readonly PppOption[]): boolean {
    const req = this.#reqOptions;
    let j = 0;
    for (const o of options) {
      let found = false;
      while (j < req.length && !found) {
        const r = req[j++] as PppOption;
        found = r.type === o.type && sameBytes(r.data, o.data);
      }
      if (!found) return false;
    }
    return true;
  }

  #step(
    event: PppFsmEvent,
    now: number,
    out: PppOutput[],
    rx?: ControlPacket,
    reply?: Reply,
  ): void {
    const from = this.#state;
    const row = PPP_TRANSITIONS[from][event];
    if (row === undefined) {
      this.#illegal++;
      return;
    }
    for (const a of row.actions) {
      switch (a) {
        case 'tlu': {
          const values = this.#neg.values();
          this.#values = values;
          out.push({ type: 'event', event: upEvent(this.name, values) });
          break;
        }
        case 'tld':
          this.#values = undefined;
          out.push({
            type: 'event',
            event: { type: 'down', protocol: this.name, reason: this.#reason },
          });
          break;
        case 'tls':
          out.push({ type: 'event', event: { type: 'started', protocol: this.name } });
          break;
        case 'tlf':
          // [p]: a passive implementation skips tlf after unanswered Configure-Requests.
          if (this.#o.passive && event === 'to-' && NEGOTIATING.has(from)) break;
          out.push({
            type: 'event',
            event: { type: 'finished', protocol: this.name, reason: this.#reason },
          });
          break;
        case 'irc':
          // §4.4 irc: "the appropriate value (Max-Terminate or Max-Configure)".
          this.#counter = row.actions.includes('str') ? this.#o.maxTerminate : this.#o.maxConfigure;
          break;
        case 'zrc':
          this.#counter = 0;
          this.#deadline = now + this.#o.restartMs;
          break;
        case 'scr':
          this.#sendRequest(now, out, event === 'to+', from);
          break;
        case 'sca':
        case 'scn':
          if (rx !== undefined && reply !== undefined) this.#sendReply(out, rx, reply);
          break;
        case 'str':
          this.#sendTerminate(now, out, event === 'to+');
          break;
        case 'sta':
          this.sendPacket(out, PppCode.TerminateAck, rx?.id ?? this.nextId(), EMPTY);
          break;
        case 'scj':
          if (rx !== undefined) this.#sendCodeReject(out, rx);
          break;
        case 'ser': {
          const data = rx === undefined ? undefined : this.#neg.echoReply?.(rx);
          if (rx !== undefined && data !== undefined)
            this.sendPacket(out, PppCode.EchoReply, rx.id, data);
          break;
        }
      }
    }
    this.#state = row.next;
    if (!TIMER_STATES.has(row.next)) this.#deadline = undefined;
  }

  #sendRequest(now: number, out: PppOutput[], retransmit: boolean, from: PppState): void {
    if (!retransmit || this.#reqFrame === undefined) {
      if (!TIMER_STATES.has(from)) {
        // A negotiation starts afresh (as pppd's fsm_sconfreq): reset our wishes. The rows that
        // leave Opened have no irc; the counter starts full all the same.
        this.#neg.reset();
        this.#naksSent = 0;
        this.#naksReceived = 0;
        if (from === 'opened') this.#counter = this.#o.maxConfigure;
      }
      const options = this.#neg.request();
      const len = optionsLength(options);
      const id = this.nextId();
      const frame = controlFrame(this.protocol, this.#framing, PppCode.ConfigureRequest, id, len);
      const at = frame.length - len;
      writeOptions(frame, at, options);
      this.#reqFrame = frame;
      this.#reqId = id;
      this.#reqData = frame.subarray(at);
      this.#reqOptions = options;
    }
    // Every transmission awaits a reply, a retransmission too: after TO+ in Ack-Rcvd the peer's
    // next Ack of the same request is what gets us out of Req-Sent again.
    this.#answered = false;
    // §4.4 scr: the counter is decremented for each transmission, the timer (re)started.
    this.#counter--;
    this.#deadline = now + this.#o.restartMs;
    out.push({ type: 'transmit', protocol: this.protocol, frame: this.#reqFrame });
  }

  #sendReply(out: PppOutput[], rx: ControlPacket, reply: Reply): void {
    if (reply.code === PppCode.ConfigureAck) {
      // §5.2: the acknowledged options are not reordered or modified: the request's Data as is.
      const frame = controlFrame(this.protocol, this.#framing, reply.code, rx.id, rx.data.length);
      const at = frame.length - rx.data.length;
      frame.set(rx.data, at);
      out.push({ type: 'transmit', protocol: this.protocol, frame });
      this.#ackFrame = frame;
      this.#ackId = rx.id;
      this.#ackData = frame.subarray(at);
      this.#naksSent = 0;
      this.#neg.peerAcked(reply.options);
      return;
    }
    if (reply.code === PppCode.ConfigureNak) this.#naksSent++;
    const len = optionsLength(reply.options);
    const frame = controlFrame(this.protocol, this.#framing, reply.code, rx.id, len);
    writeOptions(frame, frame.length - len, reply.options);
    out.push({ type: 'transmit', protocol: this.protocol, frame });
  }

  #sendTerminate(now: number, out: PppOutput[], retransmit: boolean): void {
    if (!retransmit || this.#termFrame === undefined) {
      const r = this.#reason;
      const text = r.by === 'local' && r.message !== undefined ? r.message : '';
      const data = textEncoder.encode(text).subarray(0, 255);
      const frame = controlFrame(
        this.protocol,
        this.#framing,
        PppCode.TerminateRequest,
        this.nextId(),
        data.length,
      );
      frame.set(data, frame.length - data.length);
      this.#termFrame = frame;
    }
    this.#counter--;
    this.#deadline = now + this.#o.restartMs;
    out.push({ type: 'transmit', protocol: this.protocol, frame: this.#termFrame });
  }

  /** §5.6: a copy of the rejected packet, truncated to the peer's MRU. */
  #sendCodeReject(out: PppOutput[], rx: ControlPacket): void {
    const room = Math.max(0, this.#framing.mtu - 4);
    const data = rx.packet.length > room ? rx.packet.subarray(0, room) : rx.packet;
    this.sendPacket(out, PppCode.CodeReject, this.nextId(), data);
  }
}
