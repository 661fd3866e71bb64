/**
 * PppLink: one PPP link over one L2TP call, composing LCP, an optional authentication phase and
 * the NCPs (IPCP, IPv6CP) through the phases of RFC 1661 §3.2: Dead → Establish (LCP) →
 * Authenticate (when LCP agreed on a protocol, either way) → Network (NCPs get Up) → Terminate.
 * Minimal on purpose: the host owns the L2TP call and hands frames in and out.
 *
 * Contract, as the other engines: `handleFrame(bytes, now)` for every PPP frame of the call,
 * `handleTimeout(now)` when the clock reaches `nextDeadline()`; commands `open`, `close`,
 * `lowerDown`; every method returns `PppOutput[]` to perform in order (`transmit`: send the frame
 * on the call; `data`: an IPv4/IPv6 packet arrived; `event`). `encapsulate` frames outgoing
 * network-layer packets. LCP `finished` means the link is over: end the L2TP call.
 *
 * Dispatch (RFC 1661 §3.4–§3.7, §5.7): LCP always; other protocols only while LCP is Opened
 * (else silently discarded); authentication protocols go to the AuthPhase in the Authenticate
 * and Network phases; NCP packets only in the Network phase; IPv4/IPv6 packets while their NCP
 * is Opened. Unknown protocols are Protocol-Rejected in the Network phase and dropped before it.
 * A Protocol-Reject of an NCP (or of its data protocol) is that NCP's RXJ-. When every NCP has
 * finished, LCP closes with `no-network`, as pppd does.
 *
 * ## The AuthPhase interface (implemented in src/ppp/auth/)
 * When LCP opens with an Authentication-Protocol agreed in either direction, the link calls
 * `start(now, { authenticatePeer, authenticateSelf, lcp })` once; until the phase reports
 * `success` or `failure` it passes every frame of `protocols` as `handle(protocol, packet, now)`
 * (`packet` is the Information field: Code, Identifier, Length, Data; a view of the received
 * frame) and drives `handleTimeout(now)` at `nextDeadline()`. Frames keep flowing to it in the
 * Network phase (CHAP may re-challenge, RFC 1994 §3). `stop(now)` is called when LCP leaves
 * Opened: forget the round and its timers. LCP may open again (renegotiation, `lowerUp`): `start`
 * then comes again and begins a fresh round (src/ppp/auth's machines are one-shot: make new ones). Outputs (`AuthPhaseOutput`), in order:
 * - `transmit`: a packet (Information field) of `protocol` for the link to frame and send (the
 *   shape of src/ppp/auth's TransmitOutput);
 * - `success`: authentication is complete in every direction required; the Network phase starts
 *   (`peerName`: the identity the peer proved, if any, for the host);
 * - `failure`: the link closes with `auth-failed` (`message` for people; `by` defaults to local);
 * - `notify`: anything for the host (a `verify` request of src/ppp/auth's authenticators, say),
 *   reported as the event `auth-notify`. Work the host does later (`resolveVerify`) returns
 *   outputs the link did not ask for: hand them to `handleAuthOutputs(outputs, now)`.
 * No clock, randomness or I/O inside: an implementation takes `randomBytes` in its constructor.
 */

import { headroomOf, withHeadroom } from '../codec/view.js';
import { DecodeError, UsageError } from '../errors.js';
import type { PppAutomaton } from './automaton.js';
import {
  decodeFrame,
  defaultFraming,
  encodeFrame,
  frameHeaderLength,
  type PppFraming,
  PppProtocol,
  writeFrameHeader,
} from './frame.js';
import { createIpcp, type IpcpOptions } from './ipcp.js';
import { createIpv6cp, type Ipv6cpOptions } from './ipv6cp.js';
import { LcpEngine, type LcpOptions } from './lcp.js';
import type {
  AuthProtocol,
  LcpValues,
  PppOutput,
  PppPhase,
  PppReason,
  PppReasonBy,
} from './types.js';

/** What the authentication phase is told when it starts. */
export interface AuthStart {
  /** The peer must prove itself to us with this protocol; undefined: we don't authenticate it. */
  readonly authenticatePeer: AuthProtocol | undefined;
  /** We must prove ourselves to the peer with this protocol; undefined: it did not ask. */
  readonly authenticateSelf: AuthProtocol | undefined;
  /** The LCP values (the peer's MRU bounds what may be sent; magic numbers). */
  readonly lcp: LcpValues;
}

/**
 * What an authentication phase asks the link to do. `transmit` has the shape of src/ppp/auth's
 * TransmitOutput, so a machine's transmits pass through unchanged.
 */
export type AuthPhaseOutput =
  /** Send `packet` (Information field) as a frame of `protocol`. */
  | { readonly type: 'transmit'; readonly protocol: number; readonly packet: Uint8Array }
  /** Authentication is complete in every direction required: the Network phase starts. */
  | { readonly type: 'success'; readonly peerName?: string | undefined }
  /** Authentication failed: LCP closes with `auth-failed`. */
  | {
      readonly type: 'failure';
      readonly message: string;
      readonly by?: PppReasonBy | undefined;
    }
  /**
   * Something for the host (e.g. a `verify` request, or one direction's result), passed on as
   * the event `{ type: 'auth-notify', detail }`. The host answers through its own reference to
   * the phase and hands what that returns to `PppLink.handleAuthOutputs`.
   */
  | { readonly type: 'notify'; readonly detail: unknown };

/** The authentication phase (PAP/CHAP/MS-CHAPv2), plugged into the link. See the file header. */
export interface AuthPhase {
  /** PPP protocols this phase takes (e.g. 0xc023, 0xc223). */
  readonly protocols: readonly number[];
  /** LCP opened with authentication agreed: begin (e.g. send a Challenge). */
  start(now: number, params: AuthStart): AuthPhaseOutput[];
  /** A packet of one of `protocols` (its Information field, a view). */
  handle(protocol: number, packet: Uint8Array, now: number): AuthPhaseOutput[];
  /** The clock reached `nextDeadline()`. */
  handleTimeout(now: number): AuthPhaseOutput[];
  /** When `handleTimeout` is next due; undefined when idle. */
  nextDeadline(): number | undefined;
  /** LCP left Opened: drop the round and its timers. */
  stop(now: number): void;
}

/** Options of a {@link PppLink}. */
export interface PppLinkOptions {
  /** Random bytes for Magic-Numbers and interface identifiers (injected). */
  readonly randomBytes: (n: number) => Uint8Array;
  /** LCP options (timers, MRU, magic, compression, authentication, keepalive). */
  readonly lcp?: Omit<LcpOptions, 'randomBytes'> | undefined;
  /** IPCP options, or false for no IPCP. Default: IPCP as a client (ask for an address). */
  readonly ipcp?: IpcpOptions | false | undefined;
  /** IPv6CP options, or false. Default false. */
  readonly ipv6cp?: Omit<Ipv6cpOptions, 'randomBytes'> | false | undefined;
  /** The authentication phase; required when `lcp.authenticate` or `lcp.authSupported` is set. */
  readonly auth?: AuthPhase | undefined;
  /** Send FF 03 before frames (LCP always keeps them, §6.6). Default false (L2TP adds them). */
  readonly addressControl?: boolean | undefined;
}

type Ncp = PppAutomaton<'ipcp'> | PppAutomaton<'ipv6cp'>;

/** One PPP link: LCP, authentication, NCPs. */
export class PppLink {
  readonly #framing: PppFraming;
  readonly #lcp: LcpEngine;
  readonly #ipcp: PppAutomaton<'ipcp'> | undefined;
  readonly #ipv6cp: PppAutomaton<'ipv6cp'> | undefined;
  readonly #ncps: Ncp[] = [];
  readonly #auth: AuthPhase | undefined;
  readonly #finished = new Set<string>();
  #phase: PppPhase = 'dead';
  #discarded = 0;

  constructor(options: PppLinkOptions) {
    const lcp = options.lcp ?? {};
    const wantsAuth = (lcp.authenticate?.length ?? 0) > 0 || (lcp.authSupported?.length ?? 0) > 0;
    if (wantsAuth && options.auth === undefined) {
      throw new UsageError('lcp.authenticate / lcp.authSupported need an auth phase');
    }
    this.#framing = defaultFraming(options.addressControl ?? false);
    this.#lcp = new LcpEngine({ ...lcp, randomBytes: options.randomBytes }, this.#framing);
    if (options.ipcp !== false) {
      this.#ipcp = createIpcp(options.ipcp ?? {}, this.#framing);
      this.#ncps.push(this.#ipcp);
    }
    if (options.ipv6cp !== undefined && options.ipv6cp !== false) {
      this.#ipv6cp = createIpv6cp(
        { ...options.ipv6cp, randomBytes: options.randomBytes },
        this.#framing,
      );
      this.#ncps.push(this.#ipv6cp);
    }
    this.#auth = options.auth;
  }

  /** The link phase. */
  get phase(): PppPhase {
    return this.#phase;
  }

  /** The LCP engine (state, values). */
  get lcp(): LcpEngine {
    return this.#lcp;
  }

  /** The IPCP automaton, when enabled. */
  get ipcp(): PppAutomaton<'ipcp'> | undefined {
    return this.#ipcp;
  }

  /** The IPv6CP automaton, when enabled. */
  get ipv6cp(): PppAutomaton<'ipv6cp'> | undefined {
    return this.#ipv6cp;
  }

  /** The framing in use (LCP keeps it up to date). */
  get framing(): Readonly<PppFraming> {
    return this.#framing;
  }

  /** Frames dropped: unreadable, or not acceptable in the current phase. */
  get discarded(): number {
    return this.#discarded;
  }

  /** The earliest deadline of LCP, the NCPs and the authentication phase. */
  nextDeadline(): number | undefined {
    let d = this.#lcp.nextDeadline();
    const take = (x: number | undefined) => {
      if (x !== undefined && (d === undefined || x < d)) d = x;
    };
    for (const n of this.#ncps) take(n.nextDeadline());
    if (this.#auth !== undefined && this.#authActive()) take(this.#auth.nextDeadline());
    return d;
  }

  /** Opens the link on a lower layer that is up (the L2TP call): LCP Open and Up, NCPs Open. */
  open(now: number): PppOutput[] {
    const out: PppOutput[] = [];
    for (const n of this.#ncps) out.push(...n.open(now));
    out.push(...this.#lcp.open(now));
    this.#setPhase('establish', out);
    out.push(...this.#lcp.up(now));
    return this.#react(out, 0, now);
  }

  /** Administrative close: LCP terminates the link (`message` goes in the Terminate-Request). */
  close(now: number, message?: string): PppOutput[] {
    return this.#react(this.#lcp.close(now, { by: 'local', code: 'admin-close', message }), 0, now);
  }

  /** The lower layer (the L2TP call) went down. */
  lowerDown(now: number): PppOutput[] {
    return this.#react(this.#lcp.down(now), 0, now);
  }

  /** The lower layer is up again (after `lowerDown`). */
  lowerUp(now: number): PppOutput[] {
    return this.#react(this.#lcp.up(now), 0, now);
  }

  /** Timers of every part. */
  handleTimeout(now: number): PppOutput[] {
    const out = this.#lcp.handleTimeout(now);
    for (const n of this.#ncps) out.push(...n.handleTimeout(now));
    if (this.#auth !== undefined && this.#authActive()) {
      this.#authOutputs(this.#auth.handleTimeout(now), now, out);
    }
    return this.#react(out, 0, now);
  }

  /**
   * Outputs of the authentication phase from a call the link did not make (the host answering a
   * `verify` request, say): framed, followed through, and returned as link outputs.
   */
  handleAuthOutputs(outputs: readonly AuthPhaseOutput[], now: number): PppOutput[] {
    const out: PppOutput[] = [];
    if (!this.#authActive()) return out;
    this.#authOutputs(outputs, now, out);
    return this.#react(out, 0, now);
  }

  /** A PPP frame of the call (with or without FF 03, compressed protocol or not). */
  handleFrame(frame: Uint8Array, now: number): PppOutput[] {
    const out: PppOutput[] = [];
    let protocol: number;
    let info: Uint8Array;
    try {
      const f = decodeFrame(frame);
      protocol = f.protocol;
      info = f.information;
    } catch (e) {
      if (!(e instanceof DecodeError)) throw e;
      this.#discarded++;
      return out;
    }
    if (protocol === PppProtocol.Lcp) return this.#react(this.#lcp.handlePacket(info, now), 0, now);
    // §3.5, §3.7: nothing but LCP before LCP is Opened or while it terminates.
    if (this.#lcp.state !== 'opened') return this.#drop(out);
    if (this.#auth?.protocols.includes(protocol)) {
      if (!this.#authActive()) return this.#drop(out);
      this.#authOutputs(this.#auth.handle(protocol, info, now), now, out);
      return this.#react(out, 0, now);
    }
    const ncp = this.#ncpFor(protocol);
    if (ncp === undefined) {
      // §3.4: only LCP and authentication packets while authenticating; then Protocol-Reject.
      if (this.#phase !== 'network') return this.#drop(out);
      return this.#react(this.#lcp.protocolReject(protocol, info, now), 0, now);
    }
    if (ncp === 'disabled') {
      return this.#react(this.#lcp.protocolReject(protocol, info, now), 0, now);
    }
    if (protocol === ncp.protocol) {
      // RFC 1332 §2, RFC 5072 §3: NCP packets before the Network phase are discarded.
      if (this.#phase !== 'network') return this.#drop(out);
      return this.#react(ncp.handlePacket(info, now), 0, now);
    }
    // A network-layer packet: only while its NCP is Opened (§3.6: else silently discarded).
    if (ncp.state !== 'opened') return this.#drop(out);
    out.push({ type: 'data', protocol, data: info });
    return out;
  }

  /**
   * Frames an IPv4 (0x0021) or IPv6 (0x0057) packet for sending (PFC/ACFC as negotiated).
   * @throws UsageError when that protocol's NCP is not Opened.
   */
  encapsulate(protocol: number, packet: Uint8Array): Uint8Array {
    const ncp = this.#ncpFor(protocol);
    if (ncp === undefined || ncp === 'disabled' || ncp.protocol === protocol) {
      throw new UsageError(`cannot send protocol 0x${protocol.toString(16)} on this link`);
    }
    if (ncp.state !== 'opened') throw new UsageError(`${ncp.name} is not opened`);
    return encodeFrame(protocol, packet, this.#framing);
  }

  /**
   * {@link encapsulate} without a copy: writes the frame header (FF 03 when the link adds it,
   * the Protocol field, 1 octet with PFC) into the octets just before `packet` in its buffer and
   * returns the frame, a view from the header to the packet's end. Undefined when fewer octets
   * than the header precede `packet` (`encapsulate` then). The caller must own those octets:
   * never a pooled Node Buffer or a view into someone else's data.
   * @throws UsageError when that protocol's NCP is not Opened.
   */
  encapsulateInPlace(protocol: number, packet: Uint8Array): Uint8Array | undefined {
    const ncp = this.#ncpFor(protocol);
    if (ncp === undefined || ncp === 'disabled' || ncp.protocol === protocol) {
      throw new UsageError(`cannot send protocol 0x${protocol.toString(16)} on this link`);
    }
    if (ncp.state !== 'opened') throw new UsageError(`${ncp.name} is not opened`);
    const h = frameHeaderLength(protocol, this.#framing);
    const room = headroomOf(packet);
    if (room < h) return undefined;
    const frame = withHeadroom(packet, h, room);
    writeFrameHeader(frame, protocol, this.#framing);
    return frame;
  }

  /**
   * The fast path of {@link handleFrame} for network-layer data: when `frame` is an IPv4
   * (0x0021) or IPv6 (0x0057) frame (with or without FF 03, PFC or not) and LCP and that
   * protocol's NCP are Opened, the offset of its Information field in `frame` (the protocol is
   * then `frame[offset - 1]`); handleFrame would return exactly one `data` output for it and
   * change nothing. Else -1: hand the frame to handleFrame.
   */
  dataOffset(frame: Uint8Array): number {
    let at = 0;
    if (frame[0] === 0xff && frame[1] === 0x03) at = 2;
    let p = frame[at];
    if (p === 0 && frame.length > at + 1) p = frame[++at];
    if (p !== PppProtocol.Ipv4 && p !== PppProtocol.Ipv6) return -1;
    const ncp = p === PppProtocol.Ipv4 ? this.#ipcp : this.#ipv6cp;
    if (ncp === undefined || ncp.state !== 'opened' || this.#lcp.state !== 'opened') return -1;
    return at + 1;
  }

  #drop(out: PppOutput[]): PppOutput[] {
    this.#discarded++;
    return out;
  }

  #authActive(): boolean {
    return this.#phase === 'authenticate' || this.#phase === 'network';
  }

  /** The NCP owning `protocol` (its control protocol or its data), 'disabled', or undefined. */
  #ncpFor(protocol: number): Ncp | 'disabled' | undefined {
    if (protocol === PppProtocol.Ipcp || protocol === PppProtocol.Ipv4) {
      return this.#ipcp ?? 'disabled';
    }
    if (protocol === PppProtocol.Ipv6cp || protocol === PppProtocol.Ipv6) {
      return this.#ipv6cp ?? 'disabled';
    }
    return undefined;
  }

  #setPhase(phase: PppPhase, out: PppOutput[]): void {
    if (this.#phase === phase) return;
    this.#phase = phase;
    out.push({ type: 'event', event: { type: 'phase', phase } });
  }

  /** Turns the authentication phase's outputs into link outputs (appended to `out`). */
  #authOutputs(list: readonly AuthPhaseOutput[], now: number, out: PppOutput[]): void {
    for (const a of list) {
      if (a.type === 'transmit') {
        out.push({
          type: 'transmit',
          protocol: a.protocol,
          frame: encodeFrame(a.protocol, a.packet, this.#framing),
        });
      } else if (a.type === 'notify') {
        out.push({ type: 'event', event: { type: 'auth-notify', detail: a.detail } });
      } else if (a.type === 'success') {
        out.push({ type: 'event', event: { type: 'auth', ok: true, peerName: a.peerName } });
        if (this.#phase === 'authenticate') this.#network(now, out);
      } else {
        out.push({ type: 'event', event: { type: 'auth', ok: false, message: a.message } });
        const reason: PppReason = { by: a.by ?? 'local', code: 'auth-failed', message: a.message };
        out.push(...this.#lcp.close(now, reason));
      }
    }
  }

  #network(now: number, out: PppOutput[]): void {
    this.#setPhase('network', out);
    this.#finished.clear();
    for (const n of this.#ncps) out.push(...n.up(now));
  }

  /**
   * Follows the events in `out` from index `from` on, appending what they cause (LCP up starts
   * authentication or the NCPs, LCP down takes them down, ...). One flat loop, so every event is
   * seen once, in order.
   */
  #react(out: PppOutput[], from: number, now: number): PppOutput[] {
    for (let i = from; i < out.length; i++) {
      const o = out[i] as PppOutput;
      if (o.type !== 'event') continue;
      const e = o.event;
      if (e.type === 'up' && e.protocol === 'lcp') {
        const v = e.values;
        if (v.authenticatePeer !== undefined || v.authenticateSelf !== undefined) {
          this.#setPhase('authenticate', out);
          const auth = this.#auth as AuthPhase; // the constructor insists on one
          this.#authOutputs(
            auth.start(now, {
              authenticatePeer: v.authenticatePeer,
              authenticateSelf: v.authenticateSelf,
              lcp: v,
            }),
            now,
            out,
          );
        } else {
          this.#network(now, out);
        }
      } else if (e.type === 'down' && e.protocol === 'lcp') {
        const was = this.#phase;
        if (was === 'authenticate' || was === 'network') this.#auth?.stop(now);
        if (was === 'network') for (const n of this.#ncps) out.push(...n.down(now));
        const s = this.#lcp.state;
        this.#setPhase(s === 'closing' || s === 'stopping' ? 'terminate' : 'establish', out);
      } else if (e.type === 'finished') {
        if (e.protocol === 'lcp') {
          this.#setPhase('dead', out);
        } else {
          this.#finished.add(e.protocol);
          if (this.#finished.size === this.#ncps.length && this.#lcp.state === 'opened') {
            const reason: PppReason = {
              by: e.reason.by,
              code: 'no-network',
              message: `no network protocol left (${e.protocol}: ${e.reason.code})`,
            };
            out.push(...this.#lcp.close(now, reason));
          }
        }
      } else if (e.type === 'up') {
        this.#finished.delete(e.protocol);
      } else if (e.type === 'protocol-rejected') {
        const ncp = this.#ncpFor(e.protocol);
        if (ncp !== undefined && ncp !== 'disabled') out.push(...ncp.rejectedByPeer(now));
      }
    }
    return out;
  }
}
