/**
 * LCP, the Link Control Protocol (0xc021, RFC 1661 §5–§6), on the automaton of automaton.ts.
 *
 * Options: Maximum-Receive-Unit (1), Async-Control-Character-Map (2, RFC 1662 §7.1: parsed and
 * acknowledged, meaningless on L2TP's synchronous channel), Authentication-Protocol (3: PAP, CHAP
 * MD5, MS-CHAPv2), Magic-Number (5, with loopback detection), Protocol-Field-Compression (7),
 * Address-and-Control-Field-Compression (8). Quality-Protocol (4) and everything else is rejected.
 * Codes beyond the automaton's 1–7: Protocol-Reject (8), Echo-Request/Reply (9, 10, with an
 * optional keepalive), Discard-Request (11), and RFC 1570's Identification (12) and
 * Time-Remaining (13), accepted and ignored (RXR, as §1.1/§1.2 allow). Any other code is
 * Code-Rejected.
 *
 * Authentication, both ways (§6.2): as authenticator we ask for `authenticate[0]`, and when the
 * peer Naks we try its suggestion if we allow it, else our next choice; when none is left, or the
 * peer Rejects the option, LCP closes with `auth-refused`. As the authenticated side we
 * acknowledge any protocol in `authSupported` and Nak with its first entry otherwise (Reject when
 * empty). Running the chosen protocol is src/ppp/auth/'s business (link.ts hands it over).
 *
 * Magic-Number (§6.4): ours is drawn from the injected `randomBytes` for each negotiation; a
 * Configure-Request carrying it is Nak'd with a fresh number (never Rejected, even past
 * Max-Failure), and after `loopbackLimit` such requests in a row LCP closes with `loopback`.
 * Echo-Requests carry our negotiated magic; Echo-Replies bearing it (our own, looped) don't count.
 */

import { readU16, writeU16, writeU32 } from '../codec/bytes.js';
import { UsageError } from '../errors.js';
import {
  ACK,
  type AutomatonOptions,
  type AutomatonStats,
  type ExtraCodeEvent,
  nak,
  type OptionNegotiator,
  type OptionVerdict,
  PppAutomaton,
  type PppState,
  REJECT,
} from './automaton.js';
import {
  type ControlPacket,
  defaultFraming,
  optionU16,
  optionU32,
  PppCode,
  type PppFraming,
  type PppOption,
  PppProtocol,
  u16Option,
  u32Option,
} from './frame.js';
import type { AuthProtocol, LcpValues, PppOutput, PppReason } from './types.js';

/** LCP Configuration Option types (RFC 1661 §6, RFC 1662 §7.1). */
export const LcpOption = {
  Mru: 1,
  Accm: 2,
  AuthenticationProtocol: 3,
  QualityProtocol: 4,
  MagicNumber: 5,
  Pfc: 7,
  Acfc: 8,
} as const;

/** The default MRU (RFC 1661 §6.1). */
export const DEFAULT_MRU = 1500;

/** Options of an LCP engine. The automaton's timers and counters are here too. */
export interface LcpOptions extends AutomatonOptions {
  /** Random bytes for the Magic-Number (injected: the engine has no randomness of its own). */
  readonly randomBytes: (n: number) => Uint8Array;
  /** Our MRU; asked for when it is not 1500 (§5.1: defaults are not sent). Default 1500. */
  readonly mru?: number | undefined;
  /** Smallest MRU we let the peer ask us to use, and Nak up to. Default 128. */
  readonly minMru?: number | undefined;
  /** Negotiate a Magic-Number. Default true. */
  readonly magic?: boolean | undefined;
  /** Ask for Protocol-Field-Compression. Default false. */
  readonly pfc?: boolean | undefined;
  /** Ask for Address-and-Control-Field-Compression. Default false. */
  readonly acfc?: boolean | undefined;
  /** Acknowledge the peer's PFC. Default true. */
  readonly acceptPfc?: boolean | undefined;
  /** Acknowledge the peer's ACFC. Default true. */
  readonly acceptAcfc?: boolean | undefined;
  /** Ask for this ACCM (RFC 1662 §7.1). Default: not asked. */
  readonly accm?: number | undefined;
  /** Require the peer to authenticate with one of these, by preference. Default none. */
  readonly authenticate?: readonly AuthProtocol[] | undefined;
  /** Protocols we can authenticate ourselves with, by preference. Default none (Reject). */
  readonly authSupported?: readonly AuthProtocol[] | undefined;
  /** Send an Echo-Request this often while Opened; 0 turns the keepalive off. Default 0. */
  readonly echoIntervalMs?: number | undefined;
  /** Close with `keepalive` when this many Echo-Requests in a row go unanswered. Default 3. */
  readonly echoMaxMissed?: number | undefined;
  /** Close with `loopback` after this many Configure-Requests bearing our magic in a row. Default 5. */
  readonly loopbackLimit?: number | undefined;
}

const AUTH_PROTOCOLS: readonly AuthProtocol[] = ['pap', 'chap-md5', 'mschapv2'];

/** The Authentication-Protocol option for `p` (RFC 1661 §6.2, RFC 1994 §3, RFC 2759). */
export function authOption(p: AuthProtocol): PppOption {
  const data =
    p === 'pap'
      ? Uint8Array.of(0xc0, 0x23)
      : Uint8Array.of(0xc2, 0x23, p === 'chap-md5' ? 0x05 : 0x81);
  return { type: LcpOption.AuthenticationProtocol, data };
}

/** The protocol an Authentication-Protocol option's data names, or undefined if not one of ours. */
export function decodeAuthOption(data: Uint8Array): AuthProtocol | undefined {
  if (data.length < 2) return undefined;
  const p = readU16(data, 0);
  if (p === PppProtocol.Pap) return data.length === 2 ? 'pap' : undefined;
  if (p !== PppProtocol.Chap || data.length !== 3) return undefined;
  return data[2] === 0x05 ? 'chap-md5' : data[2] === 0x81 ? 'mschapv2' : undefined;
}

function positiveInt(name: string, v: number | undefined, dflt: number, min: number): number {
  if (v === undefined) return dflt;
  if (!Number.isInteger(v) || v < min) throw new UsageError(`${name} must be an integer ≥ ${min}`);
  return v;
}

function authList(name: string, list: readonly AuthProtocol[] | undefined): AuthProtocol[] {
  const out: AuthProtocol[] = [];
  for (const p of list ?? []) {
    if (!AUTH_PROTOCOLS.includes(p)) throw new UsageError(`${name}: unknown protocol ${String(p)}`);
    if (!out.includes(p)) out.push(p);
  }
  return out;
}

/** A u32 from `randomBytes` that is neither 0 nor `avoid`. */
function drawMagic(randomBytes: (n: number) => Uint8Array, avoid: number): number {
  for (let k = 0; k < 16; k++) {
    const b = randomBytes(4);
    if (b.length < 4) throw new UsageError('randomBytes(4) returned fewer than 4 bytes');
    const v =
      (b[0] as number) * 0x1000000 +
      (((b[1] as number) << 16) | ((b[2] as number) << 8) | (b[3] as number));
    if (v !== 0 && v !== avoid) return v;
  }
  return (avoid + 1) >>> 0 || 1; // a stuck generator; any other non-zero number will do
}

/** The LCP plug-in of the automaton. Exported for tests and for hosts composing their own link. */
export class LcpNegotiator implements OptionNegotiator<'lcp'> {
  readonly name = 'lcp' as const;
  readonly protocol = PppProtocol.Lcp;
  readonly #random: (n: number) => Uint8Array;
  readonly #cfg: {
    mru: number;
    minMru: number;
    magic: boolean;
    pfc: boolean;
    acfc: boolean;
    acceptPfc: boolean;
    acceptAcfc: boolean;
    accm: number | undefined;
    authenticate: AuthProtocol[];
    authSupported: AuthProtocol[];
    loopbackLimit: number;
  };
  // Our wishes for the next Configure-Request.
  #mru: number | undefined;
  #accm: number | undefined;
  #auth: AuthProtocol | undefined;
  #authTried = new Set<AuthProtocol>();
  #magic = 0;
  #magicOn = false;
  #pfcOn = false;
  #acfcOn = false;
  // What the peer acknowledged of ours, and what we acknowledged of the peer's.
  #local = {
    mru: DEFAULT_MRU,
    magic: 0,
    pfc: false,
    acfc: false,
    auth: undefined as AuthProtocol | undefined,
  };
  #peer = {
    mru: DEFAULT_MRU,
    magic: 0,
    pfc: false,
    acfc: false,
    accm: undefined as number | undefined,
    auth: undefined as AuthProtocol | undefined,
  };
  #loops = 0;
  #failure: PppReason | undefined;
  /** @internal Echo-Requests sent and not answered (the keepalive). */
  echoPending = 0;
  /** @internal The peer Code-Rejected Echo-Request: the keepalive stops. */
  echoRejected = false;

  constructor(options: LcpOptions) {
    if (typeof options.randomBytes !== 'function') throw new UsageError('randomBytes is required');
    this.#random = options.randomBytes;
    const mru = positiveInt('mru', options.mru, DEFAULT_MRU, 1);
    const minMru = positiveInt('minMru', options.minMru, 128, 1);
    if (mru > 0xffff || minMru > 0xffff) throw new UsageError('mru and minMru must fit 16 bits');
    const accm = options.accm;
    if (accm !== undefined && !(Number.isInteger(accm) && accm >= 0 && accm <= 0xffffffff)) {
      throw new UsageError('accm must be a 32-bit unsigned integer');
    }
    this.#cfg = {
      mru,
      minMru,
      magic: options.magic ?? true,
      pfc: options.pfc ?? false,
      acfc: options.acfc ?? false,
      acceptPfc: options.acceptPfc ?? true,
      acceptAcfc: options.acceptAcfc ?? true,
      accm,
      authenticate: authList('authenticate', options.authenticate),
      authSupported: authList('authSupported', options.authSupported),
      loopbackLimit: positiveInt('loopbackLimit', options.loopbackLimit, 5, 1),
    };
    // Wishes are set by reset(), which the automaton calls before the first Configure-Request.
  }

  /** Our Magic-Number as negotiated (0 when not). */
  get localMagic(): number {
    return this.#local.magic;
  }

  reset(): void {
    const c = this.#cfg;
    this.#mru = c.mru === DEFAULT_MRU ? undefined : c.mru;
    this.#accm = c.accm;
    this.#authTried = new Set();
    this.#auth = c.authenticate[0];
    this.#magicOn = c.magic;
    this.#magic = c.magic ? drawMagic(this.#random, 0) : 0;
    this.#pfcOn = c.pfc;
    this.#acfcOn = c.acfc;
    this.#loops = 0;
    this.#local = { mru: DEFAULT_MRU, magic: 0, pfc: false, acfc: false, auth: undefined };
    this.#resetPeer();
  }

  #resetPeer(): void {
    this.#peer = {
      mru: DEFAULT_MRU,
      magic: 0,
      pfc: false,
      acfc: false,
      accm: undefined,
      auth: undefined,
    };
  }

  request(): readonly PppOption[] {
    const r: PppOption[] = [];
    if (this.#mru !== undefined) r.push(u16Option(LcpOption.Mru, this.#mru));
    if (this.#accm !== undefined) r.push(u32Option(LcpOption.Accm, this.#accm));
    if (this.#auth !== undefined) r.push(authOption(this.#auth));
    if (this.#magicOn) r.push(u32Option(LcpOption.MagicNumber, this.#magic));
    if (this.#pfcOn) r.push({ type: LcpOption.Pfc, data: new Uint8Array(0) });
    if (this.#acfcOn) r.push({ type: LcpOption.Acfc, data: new Uint8Array(0) });
    return r;
  }

  judge(o: PppOption): OptionVerdict {
    const c = this.#cfg;
    switch (o.type) {
      case LcpOption.Mru: {
        // §6: a negotiable option with a bad Length is Nak'd with a proper one.
        if (o.data.length !== 2) return nak(u16Option(LcpOption.Mru, DEFAULT_MRU));
        return optionU16(o) < c.minMru ? nak(u16Option(LcpOption.Mru, c.minMru)) : ACK;
      }
      case LcpOption.Accm:
        return o.data.length === 4 ? ACK : nak(u32Option(LcpOption.Accm, 0));
      case LcpOption.AuthenticationProtocol: {
        const p = decodeAuthOption(o.data);
        if (p !== undefined && c.authSupported.includes(p)) return ACK;
        const ours = c.authSupported[0];
        return ours === undefined ? REJECT : nak(authOption(ours));
      }
      case LcpOption.MagicNumber: {
        if (o.data.length !== 4) {
          return nak(u32Option(LcpOption.MagicNumber, drawMagic(this.#random, this.#magic)));
        }
        const v = optionU32(o);
        if (this.#magicOn && v === this.#magic) {
          // §6.4: maybe looped back: Nak with a different number (a Reject is not allowed).
          if (++this.#loops >= c.loopbackLimit) {
            this.#failure = {
              by: 'peer',
              code: 'loopback',
              message: `own Magic-Number received ${this.#loops} times`,
            };
          }
          return nak(u32Option(LcpOption.MagicNumber, drawMagic(this.#random, this.#magic)), true);
        }
        this.#loops = 0;
        // §6.4: "A Magic-Number of zero is illegal and MUST always be Nak'd".
        if (v === 0) {
          return nak(u32Option(LcpOption.MagicNumber, drawMagic(this.#random, this.#magic)), true);
        }
        return ACK;
      }
      case LcpOption.Pfc:
        // Boolean options are Rejected, never Nak'd (§5.3).
        return o.data.length === 0 && c.acceptPfc ? ACK : REJECT;
      case LcpOption.Acfc:
        return o.data.length === 0 && c.acceptAcfc ? ACK : REJECT;
      default:
        return REJECT;
    }
  }

  missing(): readonly PppOption[] {
    return [];
  }

  peerAcked(options: readonly PppOption[]): void {
    this.#resetPeer();
    const p = this.#peer;
    for (const o of options) {
      switch (o.type) {
        case LcpOption.Mru:
          p.mru = optionU16(o);
          break;
        case LcpOption.Accm:
          p.accm = optionU32(o);
          break;
        case LcpOption.AuthenticationProtocol:
          p.auth = decodeAuthOption(o.data);
          break;
        case LcpOption.MagicNumber:
          p.magic = optionU32(o);
          break;
        case LcpOption.Pfc:
          p.pfc = true;
          break;
        case LcpOption.Acfc:
          p.acfc = true;
          break;
      }
    }
  }

  acked(options: readonly PppOption[]): void {
    const l = {
      mru: DEFAULT_MRU,
      magic: 0,
      pfc: false,
      acfc: false,
      auth: undefined as AuthProtocol | undefined,
    };
    for (const o of options) {
      if (o.type === LcpOption.Mru) l.mru = optionU16(o);
      else if (o.type === LcpOption.MagicNumber) l.magic = optionU32(o);
      else if (o.type === LcpOption.Pfc) l.pfc = true;
      else if (o.type === LcpOption.Acfc) l.acfc = true;
      else if (o.type === LcpOption.AuthenticationProtocol) l.auth = decodeAuthOption(o.data);
    }
    this.#local = l;
  }

  nakked(o: PppOption, requested: boolean, failing: boolean): void {
    if (failing && o.type !== LcpOption.MagicNumber) {
      if (requested) this.rejected(o);
      return;
    }
    const c = this.#cfg;
    switch (o.type) {
      case LcpOption.Mru: {
        if (o.data.length !== 2) return;
        const v = optionU16(o);
        // Take the peer's value when we can live with it; else stop asking (1500 is the floor).
        this.#mru = v >= c.minMru && v <= Math.max(c.mru, DEFAULT_MRU) ? v : undefined;
        return;
      }
      case LcpOption.Accm:
        if (o.data.length === 4) this.#accm = ((this.#accm ?? 0) | optionU32(o)) >>> 0;
        return;
      case LcpOption.AuthenticationProtocol: {
        if (c.authenticate.length === 0) return; // we don't require authentication
        if (this.#auth !== undefined) this.#authTried.add(this.#auth);
        const s = decodeAuthOption(o.data);
        if (s !== undefined && c.authenticate.includes(s) && !this.#authTried.has(s)) {
          this.#auth = s;
          return;
        }
        this.#auth = c.authenticate.find((p) => !this.#authTried.has(p));
        if (this.#auth === undefined) {
          this.#failure = {
            by: 'peer',
            code: 'auth-refused',
            message: 'the peer Nak’d every authentication protocol we allow',
          };
        }
        return;
      }
      case LcpOption.MagicNumber:
        // §6.4: a new Magic-Number either way (pppd draws a fresh one, as here).
        if (requested) this.#magic = drawMagic(this.#random, this.#magic);
        return;
      case LcpOption.Pfc:
      case LcpOption.Acfc:
        if (requested) this.rejected(o); // a Nak of a boolean option can only mean "don't"
        return;
    }
  }

  rejected(o: PppOption): void {
    switch (o.type) {
      case LcpOption.Mru:
        this.#mru = undefined;
        return;
      case LcpOption.Accm:
        this.#accm = undefined;
        return;
      case LcpOption.AuthenticationProtocol:
        this.#auth = undefined;
        this.#failure = {
          by: 'peer',
          code: 'auth-refused',
          message: 'the peer rejected the Authentication-Protocol option',
        };
        return;
      case LcpOption.MagicNumber:
        // §6.4: not looped back; the peer just won't use magic numbers. Carry on without.
        this.#magicOn = false;
        return;
      case LcpOption.Pfc:
        this.#pfcOn = false;
        return;
      case LcpOption.Acfc:
        this.#acfcOn = false;
        return;
    }
  }

  failure(): PppReason | undefined {
    const f = this.#failure;
    this.#failure = undefined;
    return f;
  }

  values(): LcpValues {
    const l = this.#local;
    const p = this.#peer;
    return {
      mru: l.mru,
      mtu: p.mru,
      localMagic: l.magic,
      peerMagic: p.magic,
      txPfc: p.pfc,
      rxPfc: l.pfc,
      txAcfc: p.acfc,
      rxAcfc: l.acfc,
      peerAccm: p.accm,
      authenticatePeer: l.auth,
      authenticateSelf: p.auth,
    };
  }

  extraCode(packet: ControlPacket, state: PppState, out: PppOutput[]): ExtraCodeEvent | undefined {
    const d = packet.data;
    switch (packet.code) {
      case PppCode.ProtocolReject: {
        // §5.7: only meaningful in Opened; elsewhere silently discarded.
        if (state !== 'opened' || d.length < 2) return undefined;
        const rejected = readU16(d, 0);
        if (rejected === PppProtocol.Lcp) return 'rxj-';
        out.push({ type: 'event', event: { type: 'protocol-rejected', protocol: rejected } });
        return 'rxj+';
      }
      case PppCode.EchoRequest:
        return d.length < 4 ? undefined : 'rxr';
      case PppCode.EchoReply: {
        if (d.length < 4) return undefined;
        const m = readMagic(d);
        // §6.4: our own magic coming back means a loop, not a live peer.
        if (state === 'opened' && !(this.#local.magic !== 0 && m === this.#local.magic)) {
          this.echoPending = 0;
        }
        return 'rxr';
      }
      case PppCode.DiscardRequest:
      case PppCode.Identification:
      case PppCode.TimeRemaining:
        return 'rxr';
      default:
        return 'ruc';
    }
  }

  echoReply(packet: ControlPacket): Uint8Array | undefined {
    if (packet.code !== PppCode.EchoRequest) return undefined;
    const m = this.#local.magic;
    if (m !== 0 && readMagic(packet.data) === m) return undefined; // our own request, looped
    const room = Math.max(4, this.#peer.mru - 4);
    const len = Math.min(packet.data.length, room);
    const reply = new Uint8Array(len);
    reply.set(packet.data.subarray(4, len), 4);
    writeU32(reply, 0, m); // §5.8: our magic (zero when not negotiated)
    return reply;
  }

  codeRejected(code: number): void {
    if (code === PppCode.EchoRequest) this.echoRejected = true;
  }
}

function readMagic(d: Uint8Array): number {
  return (
    (d[0] as number) * 0x1000000 +
    (((d[1] as number) << 16) | ((d[2] as number) << 8) | (d[3] as number))
  );
}

/**
 * LCP: the automaton with the LCP negotiator, the Echo keepalive, Protocol-Reject, and the
 * framing it keeps up to date (PFC, ACFC and the peer's MRU apply while Opened).
 */
export class LcpEngine {
  readonly #neg: LcpNegotiator;
  readonly #fsm: PppAutomaton<'lcp'>;
  readonly #framing: PppFraming;
  readonly #echoIntervalMs: number;
  readonly #echoMaxMissed: number;
  #echoDeadline: number | undefined;

  /**
   * @param framing - the link's framing, shared with the NCPs; LCP updates it. A fresh one
   *   (no FF 03) by default.
   */
  constructor(options: LcpOptions, framing: PppFraming = defaultFraming()) {
    this.#neg = new LcpNegotiator(options);
    this.#framing = framing;
    this.#fsm = new PppAutomaton(this.#neg, framing, options);
    const interval = options.echoIntervalMs ?? 0;
    if (!(Number.isFinite(interval) && interval >= 0)) {
      throw new UsageError('echoIntervalMs must be a non-negative number');
    }
    this.#echoIntervalMs = interval;
    this.#echoMaxMissed = positiveInt('echoMaxMissed', options.echoMaxMissed, 3, 1);
  }

  /** Automaton state. */
  get state(): PppState {
    return this.#fsm.state;
  }

  /** Negotiated values while Opened. */
  get values(): LcpValues | undefined {
    return this.#fsm.values;
  }

  /** The framing this LCP maintains. */
  get framing(): PppFraming {
    return this.#framing;
  }

  /** The reason of the last close, down or failure. */
  get reason(): PppReason {
    return this.#fsm.reason;
  }

  /** Counters. */
  stats(): AutomatonStats {
    return this.#fsm.stats();
  }

  /** The earliest of the Restart timer and the next Echo-Request. */
  nextDeadline(): number | undefined {
    const a = this.#fsm.nextDeadline();
    const b = this.#echoDeadline;
    if (a === undefined) return b;
    return b === undefined ? a : Math.min(a, b);
  }

  /** Administrative Open. */
  open(now: number): PppOutput[] {
    return this.#sync(now, this.#fsm.open(now));
  }

  /** Administrative Close (Terminate-Request carries `reason.message` when given). */
  close(now: number, reason?: PppReason): PppOutput[] {
    return this.#sync(now, this.#fsm.close(now, reason));
  }

  /** The lower layer (the L2TP session) is up. */
  up(now: number): PppOutput[] {
    return this.#sync(now, this.#fsm.up(now));
  }

  /** The lower layer is down. */
  down(now: number): PppOutput[] {
    return this.#sync(now, this.#fsm.down(now));
  }

  /** An LCP packet (the Information field of a 0xc021 frame). */
  handlePacket(information: Uint8Array, now: number): PppOutput[] {
    return this.#sync(now, this.#fsm.handlePacket(information, now));
  }

  /** The Restart timer and the keepalive. */
  handleTimeout(now: number): PppOutput[] {
    const out = this.#fsm.handleTimeout(now);
    const due = this.#echoDeadline;
    if (due !== undefined && now >= due && this.#fsm.state === 'opened') {
      if (this.#neg.echoPending >= this.#echoMaxMissed) {
        this.#echoDeadline = undefined;
        const message = `${this.#neg.echoPending} Echo-Requests unanswered`;
        out.push(...this.#fsm.close(now, { by: 'timeout', code: 'keepalive', message }));
      } else {
        this.#neg.echoPending++;
        const data = new Uint8Array(4);
        writeU32(data, 0, this.#neg.localMagic);
        this.#fsm.sendPacket(out, PppCode.EchoRequest, this.#fsm.nextId(), data);
        this.#echoDeadline = now + this.#echoIntervalMs;
      }
    }
    return this.#sync(now, out);
  }

  /**
   * A Protocol-Reject (RFC 1661 §5.7) for a received frame of an unsupported `protocol`, whose
   * Information field is `information` (truncated to the peer's MRU). Only sent in Opened; in
   * any other state the frame is to be dropped and this returns nothing.
   */
  protocolReject(protocol: number, information: Uint8Array, now: number): PppOutput[] {
    const out: PppOutput[] = [];
    if (this.#fsm.state !== 'opened') return out;
    const room = Math.max(0, this.#framing.mtu - 6);
    const info = information.length > room ? information.subarray(0, room) : information;
    const data = new Uint8Array(2 + info.length);
    writeU16(data, 0, protocol);
    data.set(info, 2);
    this.#fsm.sendPacket(out, PppCode.ProtocolReject, this.#fsm.nextId(), data);
    return this.#sync(now, out);
  }

  /** Keeps the framing and the keepalive in step with the state after every input. */
  #sync(now: number, out: PppOutput[]): PppOutput[] {
    const f = this.#framing;
    const v = this.#fsm.state === 'opened' ? this.#fsm.values : undefined;
    if (v !== undefined) {
      f.pfc = v.txPfc;
      f.acfc = v.txAcfc;
      f.mtu = v.mtu;
      if (this.#echoIntervalMs > 0 && !this.#neg.echoRejected && this.#echoDeadline === undefined) {
        this.#neg.echoPending = 0;
        this.#echoDeadline = now + this.#echoIntervalMs;
      }
    } else {
      f.pfc = false;
      f.acfc = false;
      f.mtu = DEFAULT_MRU;
      this.#echoDeadline = undefined;
    }
    if (this.#neg.echoRejected) this.#echoDeadline = undefined;
    return out;
  }
}
