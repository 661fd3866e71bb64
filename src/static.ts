/**
 * Static (unmanaged) L2TPv3 sessions: the kernel's `ip l2tp add tunnel` / `add session` without any
 * control protocol. `StaticSession` is the sans-I/O data path of one session (header, cookie,
 * Default L2-Specific Sublayer sequencing, offset padding, pseudowire framing via src/pw/framer.ts,
 * runtime options, kernel counters); `StaticTunnelHost` is a thin shell that routes one tunnel's
 * datagrams (any DatagramTransport) to its sessions by Session ID and sums their counters.
 * RFC 3931 §4.1 (data header), §4.5 (cookie), §4.6 (Default L2SS), §4.6.1 (sequencing);
 * RFC 4454 §4.1 (ATM-Specific Sublayer: sequencing, and per-frame flags on AAL5 SDU sessions).
 * Not here: sockets (src/node/udp.ts), managed tunnels (src/tunnel.ts), keepalives.
 */

import { readU24, readU32 } from './codec/bytes.js';
import { classify } from './codec/classify.js';
import {
  ATM_FLAGS_MASK,
  type CookieLength,
  type DataHeaderV3,
  type DataMessageV3,
  type DataParamsV3,
  dataHeaderLength,
  decodeDataV3,
  type Encapsulation,
  encodeDataHeaderV3,
  SUBLAYER_BITS,
} from './codec/header.js';
import { copyInto, headroomOf, plainView, withHeadroom } from './codec/view.js';
import { DebugLog } from './debug.js';
import { DecodeError, type L2tpError, UsageError } from './errors.js';
import {
  type KeepaliveDownReason,
  StaticKeepalive,
  type StaticKeepaliveOptions,
  type StaticKeepaliveStats,
} from './keepalive.js';
import { ATM_CELL_LENGTH } from './pw/atm.js';
import {
  type PseudowireFramer,
  type PseudowireFramerOptions,
  type PseudowireName,
  pseudowireFramer,
} from './pw/framer.js';
import { DataSequencer } from './seq/data.js';
import { addStats, type StaticSessionStats, ZERO_SESSION_STATS } from './stats.js';

// The counters (their kernel names and arithmetic) are shared with managed sessions.
export {
  addStats,
  KERNEL_STAT_NAMES,
  type KernelStats,
  type StaticSessionStats,
  toKernelStats,
} from './stats.js';

import type { Clock, DatagramTransport, PeerAddress, TimerHandle, TimerHost } from './transport.js';

// ---------------------------------------------------------------------------------------------
// Configuration

/** `seq` of `ip l2tp add session`: which directions carry sequence numbers. */
export type StaticSeqMode = 'none' | 'send' | 'recv' | 'both';

/**
 * `l2spec_type` of `ip l2tp add session`. iproute2 offers none/default; 'atm' (RFC 4454 §4.1)
 * is accepted for the ATM pseudowire types only.
 */
export type StaticL2SpecType = 'none' | 'default' | 'atm';

/**
 * A cookie as `ip l2tp` takes it: 8 or 16 hex digits, or 4/8 raw octets. Empty (`''` or a
 * zero-length array) means no cookie.
 */
export type StaticCookie = string | Uint8Array;

/**
 * Configuration of one {@link StaticSession}, named after the `ip l2tp` parameters. The tunnel ids
 * are not on the wire in L2TPv3 data messages (RFC 3931 §4.1: "The Session ID alone provides the
 * necessary context"); they are validated and kept for the host.
 */
export interface StaticSessionConfig {
  /** Our tunnel id, 1 … 2^32 − 1. */
  readonly tunnel_id: number;
  /** The peer's tunnel id, 1 … 2^32 − 1. */
  readonly peer_tunnel_id: number;
  /** 'udp' (default) or 'ip' (IP protocol 115). */
  readonly encap?: Encapsulation | undefined;
  /** Our session id: what the peer writes in packets to us, 1 … 2^32 − 1. */
  readonly session_id: number;
  /** The peer's session id: written in every packet we send, 1 … 2^32 − 1. */
  readonly peer_session_id: number;
  /** Cookie written in every packet we send (kernel `cookie`). Default none. */
  readonly cookie?: StaticCookie | undefined;
  /** Cookie every received packet must carry (kernel `peer_cookie`), else dropped. Default none. */
  readonly peer_cookie?: StaticCookie | undefined;
  /**
   * Default 'default' (iproute2's default: the 4-octet Default L2-Specific Sublayer); 'atm' for
   * `pw_type` 'atm-aal5', which requires the ATM sublayer (RFC 4454 §4).
   */
  readonly l2spec_type?: StaticL2SpecType | undefined;
  /**
   * Pseudowire type, by name or PW Type value (AVP 68). Default 'ethernet' (iproute2 always
   * creates Ethernet pseudowires, the kernel's l2tp_eth). Selects the framer that checks sent
   * frames and validates received ones (docs/pseudowires.md, "Framers").
   */
  readonly pw_type?: PseudowireName | number | undefined;
  /** Framer options (PPP addressControl, Frame Relay header length, ATM max cells, VLAN). */
  readonly pw_options?: PseudowireFramerOptions | undefined;
  /**
   * `offset` of old iproute2/kernels: zero octets written after the sublayer of every sent packet,
   * 0 … 255 (old iproute2 parsed it as a u8). Default 0. Current kernels ignore it.
   */
  readonly offset?: number | undefined;
  /** `peer_offset`: octets skipped after the sublayer of every received packet, 0 … 255. Default 0. */
  readonly peer_offset?: number | undefined;
  /** Default 'none'. Anything else needs a sublayer, 'default' or 'atm' (Ns lives there). */
  readonly seq?: StaticSeqMode | undefined;
  /** REORDERTO in ms, 0 … 3,600,000; 0 (default) drops out-of-sequence frames at once. */
  readonly reorderTimeoutMs?: number | undefined;
  /** LNSMODE: stored and reported only (see {@link StaticSessionOptions.lnsMode}). Default false. */
  readonly lnsMode?: boolean | undefined;
  /** DEBUG mask ({@link DebugCategory} bits). Default 0. */
  readonly debug?: number | undefined;
  /** Largest frame `send` accepts, octets (0 = no limit, the default); see {@link StaticSessionOptions.mtu}. */
  readonly mtu?: number | undefined;
  /** Largest frame delivered, octets (0 = no limit, the default); see {@link StaticSessionOptions.mru}. */
  readonly mru?: number | undefined;
}

/**
 * The options of a session that can change at runtime, like the kernel's setsockopt / netlink
 * L2TP_CMD_SESSION_MODIFY. Read with `options()`, change with `configure()`.
 */
export interface StaticSessionOptions {
  /** SENDSEQ: sent packets carry Ns (needs a sublayer). */
  readonly sendSeq: boolean;
  /** RECVSEQ: received packets without Ns are dropped (needs a sublayer). */
  readonly recvSeq: boolean;
  /** REORDERTO, ms, 0 … 3,600,000. */
  readonly reorderTimeoutMs: number;
  /**
   * LNSMODE. Stored and reported; no effect on an L2TPv3 session (in the kernel it only decides
   * whether an L2TPv2 LAC follows the peer's S bit, RFC 2661 §5.4).
   */
  readonly lnsMode: boolean;
  /** DEBUG mask ({@link DebugCategory} bits, 0 … 15 kept). */
  readonly debug: number;
  /**
   * Largest frame `send` accepts, in octets of the frame as handed to `send` (L2 header such as
   * Ethernet's 14 octets included, L2TP header and `txPrefix` excluded); longer frames are
   * dropped and counted tx_errors. 0 = no limit. 0 … 65535.
   */
  readonly mtu: number;
  /**
   * Largest frame delivered, in octets of the frame handed to the host; longer ones are dropped
   * and counted rx_errors. 0 = no limit. 0 … 65535.
   */
  readonly mru: number;
}

/** Per-frame options of {@link StaticSession.send} and {@link StaticTunnelHost.send}. */
export interface StaticSendOptions {
  /**
   * `pw_type` 'atm-aal5' only: the ATM-Specific Sublayer bits of this frame (RFC 4454 §4.1),
   * `SUBLAYER_BITS` T, G (EFCI), C (CLP), U (C/R), B, E within 0x3f (`encodeAtmSublayerFlags`
   * builds them). T = 1: the frame is one 52-octet admin cell, others are refused (tx_errors).
   * B/E are RFC 4623 fragment marks, written as given (0/0: a whole SDU). Default 0.
   */
  readonly atmFlags?: number | undefined;
}

/** Options of {@link StaticTunnelHost.send}. */
export interface StaticHostSendOptions extends StaticSendOptions {
  /**
   * Write the L2TP header into the octets just before `frame` in its buffer and send one
   * contiguous array (see {@link StaticSession.sendInPlace}): no copy and no scatter/gather.
   * Those octets must be the caller's to overwrite — a frame read at an offset into a larger
   * buffer, or a received frame being forwarded (its own header precedes it). Default false.
   */
  readonly inPlace?: boolean | undefined;
}

const NONE: readonly never[] = Object.freeze([]);
interface RxCounters {
  readonly rxPackets: number;
  readonly rxSeqDiscards: number;
  readonly rxOosPackets: number;
  readonly rxErrors: number;
}
const ZERO_RX: RxCounters = Object.freeze({
  rxPackets: 0,
  rxSeqDiscards: 0,
  rxOosPackets: 0,
  rxErrors: 0,
});

function checkId(name: string, value: unknown): number {
  // Zero ids are never assigned (kernel l2tp.txt; RFC 3931 §4.1.1.1 reserves Session ID 0).
  if (typeof value !== 'number' || !Number.isInteger(value) || value < 1 || value > 0xffffffff) {
    throw new UsageError(`${name} must be an integer in 1…4294967295, got ${String(value)}`);
  }
  return value;
}

function parseCookie(name: string, value: StaticCookie | undefined): Uint8Array {
  if (value === undefined) return new Uint8Array(0);
  if (value instanceof Uint8Array) {
    if (value.length !== 0 && value.length !== 4 && value.length !== 8) {
      throw new UsageError(`${name} must be 0, 4 or 8 octets, got ${value.length}`);
    }
    return value.slice(); // ours now: later changes by the caller do not reach the wire
  }
  if (typeof value !== 'string' || !/^(?:[0-9a-fA-F]{8}){0,2}$/.test(value)) {
    throw new UsageError(`${name} must be 8 or 16 hex digits, got ${JSON.stringify(value)}`);
  }
  const out = new Uint8Array(value.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(value.slice(2 * i, 2 * i + 2), 16);
  return out;
}

function oneOf<T extends string>(name: string, value: unknown, allowed: readonly T[], dflt: T): T {
  if (value === undefined) return dflt;
  if (!allowed.includes(value as T)) {
    throw new UsageError(`${name} must be one of ${allowed.join('|')}, got ${String(value)}`);
  }
  return value as T;
}

// ---------------------------------------------------------------------------------------------
// StaticSession

const MAX_OFFSET = 255;
const MAX_REORDER_MS = 3_600_000;

function checkRange(name: string, value: unknown, min: number, max: number): number {
  if (typeof value !== 'number' || !Number.isInteger(value) || value < min || value > max) {
    throw new UsageError(`${name} must be an integer in ${min}…${max}, got ${String(value)}`);
  }
  return value;
}

function checkBoolean(name: string, value: unknown): boolean {
  if (typeof value !== 'boolean') {
    throw new UsageError(`${name} must be a boolean, got ${String(value)}`);
  }
  return value;
}

/**
 * One static L2TPv3 session, sans-I/O: `send` builds headers, `receive` checks and sequences
 * received datagrams and hands frames through the pseudowire framer, counters follow the
 * kernel. Time comes in as `now` (monotonic ms); when {@link StaticSession.nextDeadline} is
 * defined the host calls `handleTimeout` then.
 */
export class StaticSession {
  /** Our tunnel id. */
  readonly tunnelId: number;
  /** The peer's tunnel id. */
  readonly peerTunnelId: number;
  /** Our session id (received packets carry it). */
  readonly sessionId: number;
  /** The peer's session id (sent packets carry it). */
  readonly peerSessionId: number;
  /** 'udp' or 'ip'. */
  readonly encap: Encapsulation;
  /** The sublayer in use. */
  readonly l2specType: StaticL2SpecType;
  /** The pseudowire's framer (its `name` and `pwType` say which pseudowire this is). */
  readonly framer: PseudowireFramer;
  /** Zero octets written after the sublayer of sent packets (`offset`). */
  readonly offset: number;
  /** Octets skipped after the sublayer of received packets (`peer_offset`). */
  readonly peerOffset: number;
  readonly #cookie: Uint8Array;
  readonly #peerCookie: Uint8Array;
  /** peer_cookie as big-endian 32-bit words (the second is 0 for a 4-octet cookie). */
  readonly #peerCookieHi: number;
  readonly #peerCookieLo: number;
  readonly #params: DataParamsV3;
  /** Octets before the payload of a received packet (session header, peer cookie, sublayer). */
  readonly #rxHeaderLength: number;
  /** Received packets can take `receiveOne`'s path: no ATM sublayer, no peer_offset. */
  readonly #rxPlain: boolean;
  /** Header + offset padding + framer prefix; copied per send, Ns patched in at #nsAt. */
  readonly #template: Uint8Array;
  readonly #nsAt: number;
  readonly #log: DebugLog;
  #seq: DataSequencer<Uint8Array>;
  #recvSeq: boolean;
  #reorderTimeoutMs: number;
  #lnsMode: boolean;
  #mtu: number;
  #mru: number;
  #seenSeq = false;
  /** rx counters of sequencers retired by setReorderTimeout. */
  #base: RxCounters = ZERO_RX;
  #txPackets = 0;
  #txBytes = 0;
  #txErrors = 0;
  #rxBytes = 0;
  #rxMissing = 0;
  #rxCookie = 0;
  #rxInvalid = 0;
  /** Frames released by the sequencer, then refused by the framer or the mru. */
  #rxDropped = 0;
  /** AAL5 SDU mode: sublayer flags of received frames by frame view (see `atmFlagsOf`). */
  readonly #rxAtmFlags: WeakMap<Uint8Array, number> | undefined;

  /** @throws UsageError on any bad parameter (the message names it). */
  constructor(config: StaticSessionConfig) {
    this.tunnelId = checkId('tunnel_id', config.tunnel_id);
    this.peerTunnelId = checkId('peer_tunnel_id', config.peer_tunnel_id);
    this.sessionId = checkId('session_id', config.session_id);
    this.peerSessionId = checkId('peer_session_id', config.peer_session_id);
    this.encap = oneOf('encap', config.encap, ['udp', 'ip'], 'udp');
    this.framer = pseudowireFramer(config.pw_type ?? 'ethernet', config.pw_options);
    // RFC 4454 §4: AAL5 SDU mode requires the ATM sublayer, so it is that type's default.
    const dflt = this.framer.sublayers.includes('default') ? 'default' : 'atm';
    this.l2specType = oneOf('l2spec_type', config.l2spec_type, ['none', 'default', 'atm'], dflt);
    if (!this.framer.sublayers.includes(this.l2specType)) {
      throw new UsageError(
        `l2spec_type ${this.l2specType} is not allowed with pw_type ${this.framer.name} ` +
          `(allowed: ${this.framer.sublayers.join('|')})`,
      );
    }
    const seq = oneOf('seq', config.seq, ['none', 'send', 'recv', 'both'], 'none');
    // The kernel silently ignores seq without the Default L2SS; we refuse instead.
    if (seq !== 'none' && this.l2specType === 'none') {
      throw new UsageError(`seq ${seq} needs l2spec_type default (Ns lives in the sublayer)`);
    }
    this.#rxAtmFlags = this.framer.name === 'atm-aal5' ? new WeakMap() : undefined;
    this.offset = checkRange('offset', config.offset ?? 0, 0, MAX_OFFSET);
    this.peerOffset = checkRange('peer_offset', config.peer_offset ?? 0, 0, MAX_OFFSET);
    this.#reorderTimeoutMs = checkRange(
      'reorderTimeoutMs',
      config.reorderTimeoutMs ?? 0,
      0,
      MAX_REORDER_MS,
    );
    this.#lnsMode = checkBoolean('lnsMode', config.lnsMode ?? false);
    this.#mtu = checkRange('mtu', config.mtu ?? 0, 0, 0xffff);
    this.#mru = checkRange('mru', config.mru ?? 0, 0, 0xffff);
    this.#cookie = parseCookie('cookie', config.cookie);
    this.#peerCookie = parseCookie('peer_cookie', config.peer_cookie);
    this.#peerCookieHi = this.#peerCookie.length === 0 ? 0 : readU32(this.#peerCookie, 0);
    this.#peerCookieLo = this.#peerCookie.length === 8 ? readU32(this.#peerCookie, 4) : 0;
    this.#log = new DebugLog(`tunnel ${this.tunnelId} session ${this.sessionId}`, config.debug);
    this.#params = {
      version: 3,
      encap: this.encap,
      cookieLength: this.#peerCookie.length as CookieLength,
      sublayer: this.l2specType,
    };
    this.#rxHeaderLength = dataHeaderLength({
      version: 3,
      encap: this.encap,
      sessionId: this.sessionId,
      cookie: this.#peerCookie.length === 0 ? undefined : this.#peerCookie,
      sublayer: this.l2specType,
    });
    this.#rxPlain = this.l2specType !== 'atm' && this.peerOffset === 0;
    const header: DataHeaderV3 = {
      version: 3,
      encap: this.encap,
      sessionId: this.peerSessionId,
      cookie: this.#cookie.length === 0 ? undefined : this.#cookie,
      sublayer: this.l2specType,
    };
    const size = dataHeaderLength(header);
    const prefix = this.framer.txPrefix;
    // Offset padding follows the sublayer (old kernels' L2TPv3 `offset`); zeros, as allocated.
    this.#template = new Uint8Array(size + this.offset + prefix.length);
    encodeDataHeaderV3(header, this.#template);
    this.#template.set(prefix, size + this.offset);
    this.#nsAt = size - 4; // the sublayer ends the L2TP header (RFC 3931 §4.6, RFC 4454 §4.1)
    this.#recvSeq = seq === 'recv' || seq === 'both';
    this.#seq = new DataSequencer<Uint8Array>({
      version: 3,
      sendSeq: seq === 'send' || seq === 'both',
      reorderTimeoutMs: this.#reorderTimeoutMs,
    });
  }

  /** Whether sent packets carry Ns (SENDSEQ). */
  get sendSeq(): boolean {
    return this.#seq.sendSeq;
  }

  /** Whether received packets without Ns are dropped (RECVSEQ). */
  get recvSeq(): boolean {
    return this.#recvSeq;
  }

  /** REORDERTO in ms. */
  get reorderTimeoutMs(): number {
    return this.#reorderTimeoutMs;
  }

  /**
   * Frames `frame` for the peer: returns `[header, frame]` for a scatter/gather send. `header` is
   * a fresh array owned by the caller (L2TP header, offset padding, framer prefix); `frame` is
   * the argument itself, never copied. Counts tx_packets/tx_bytes. Returns undefined, and counts
   * tx_errors, when the framer refuses the frame or it is longer than `mtu` (nothing to send;
   * the reason is logged under `l2tp:data` when the DEBUG mask has the DATA bit). `now` is
   * reserved (sending has no timers). `options.atmFlags` fills the ATM sublayer of an AAL5 SDU
   * session (RFC 4454 §4.1); a T = 1 frame that is not one 52-octet cell is refused.
   * @throws UsageError for `atmFlags` outside 0x3f or on a session that is not 'atm-aal5'.
   */
  send(
    frame: Uint8Array,
    _now: number,
    options?: StaticSendOptions,
  ): [header: Uint8Array, payload: Uint8Array] | undefined {
    const flags = options?.atmFlags ?? 0;
    if (!this.#admit(frame, flags)) return undefined;
    const header = this.#template.slice();
    this.#stamp(header, flags);
    return [header, frame];
  }

  /**
   * Octets of the header `send` puts before each frame (session header, cookie, sublayer,
   * offset padding, the pseudowire's constant prefix): the headroom {@link sendInPlace} needs.
   */
  get headerLength(): number {
    return this.#template.length;
  }

  /**
   * Like `send`, but writes the header into the {@link headerLength} octets just before `frame`
   * in its buffer and returns one contiguous view over header and frame: no copy, and the
   * transport sends a single array (cheaper than scatter/gather on node:dgram). Those octets
   * must be the caller's to overwrite (a frame read at an offset, or a received frame being
   * forwarded: its own header precedes it). Undefined when the frame is refused, as for `send`.
   * Never pass a Node Buffer from `Buffer.from` / `Buffer.allocUnsafe`: those share a pool, and
   * the octets before one belong to another Buffer. (`StaticTunnelHost.send` forwarding, from
   * `onFrame`, the payload being delivered with a header as long as the one it arrived with sends
   * that datagram itself: no new view.)
   * @throws UsageError when fewer than `headerLength` octets precede the frame, or bad `atmFlags`.
   */
  sendInPlace(
    frame: Uint8Array,
    _now: number,
    options?: StaticSendOptions,
  ): Uint8Array | undefined {
    const template = this.#template;
    const n = template.length;
    // StaticTunnelHost.send forwarding, from onFrame, the payload of the datagram being
    // delivered with a header as long as the one it came with: that datagram is the packet (no
    // new view; its header room is the frame's headroom). Only there: the datagram may be a Buffer.
    const datagram = hostSending && frame === deliveringPayload ? deliveringDatagram : undefined;
    const own = datagram !== undefined && datagram.length - frame.length === n;
    const at = own ? n : headroomOf(frame);
    if (at < n) {
      throw new UsageError(`sendInPlace needs ${n} octets before the frame, it has ${at}`);
    }
    const flags = options?.atmFlags ?? 0;
    if (!this.#admit(frame, flags)) return undefined;
    const packet = own ? datagram : withHeadroom(frame, n, at);
    copyInto(packet, template);
    this.#stamp(packet, flags);
    return packet;
  }

  // Checks a frame about to be sent; counts it (tx_packets/tx_bytes, or tx_errors when refused).
  #admit(frame: Uint8Array, flags: number): boolean {
    let reason = this.framer.checkTx(frame);
    if (flags !== 0) {
      this.#checkAtmFlags(flags);
      // RFC 4454 §4.1: T = 1 carries one admin cell in VCC cell relay encapsulation.
      if ((flags & SUBLAYER_BITS.T) !== 0 && frame.length !== ATM_CELL_LENGTH) {
        reason = `ATM admin cell of ${frame.length} octets (must be 52)`;
      }
    }
    if (reason !== undefined || (this.#mtu !== 0 && frame.length > this.#mtu)) {
      this.#txErrors++;
      const log = this.#log.data;
      if (log) log('tx drop %d octets: %s', frame.length, reason ?? `longer than mtu ${this.#mtu}`);
      return false;
    }
    this.#txPackets++;
    this.#txBytes += frame.length;
    const log = this.#log.data;
    if (log) log('tx %d octets', frame.length);
    return true;
  }

  // Writes Ns (when sequencing) and the ATM flags into a copy of the template at `header[0]`.
  #stamp(header: Uint8Array, flags: number): void {
    const ns = this.#seq.nextSendNs();
    if (ns !== undefined) {
      // RFC 3931 §4.6, RFC 4454 §4.1: S bit (beside the ATM flags), the 24-bit Sequence Number.
      const at = this.#nsAt;
      header[at] = SUBLAYER_BITS.S | flags;
      header[at + 1] = ns >>> 16;
      header[at + 2] = ns >>> 8;
      header[at + 3] = ns;
      const log = this.#log.seq;
      if (log) log('tx Ns %d', ns);
    } else if (flags !== 0) header[this.#nsAt] = flags;
  }

  /**
   * A datagram arrived for this session (for 'ip' encap: starting at the Session ID, IP header
   * stripped). Returns the frames now deliverable, in order, after the framer's validation:
   * views into the received datagrams (zero-copy; copy to keep beyond their lifetime). A shared
   * empty array when none; never mutate it. Never throws on bad bytes: they are counted
   * (rx_invalid, rx_cookie_discards, rx_seq_discards, rx_errors).
   */
  receive(bytes: Uint8Array, now: number): readonly Uint8Array[] {
    const frame = this.receiveOne(bytes);
    if (frame !== null) return frame === undefined ? NONE : [frame];
    return this.receiveGeneral(bytes, now);
  }

  /**
   * @internal `receive` without trying `receiveOne` first: for a caller that just tried it and
   * got null (StaticTunnelHost), so the fast path's checks do not run twice.
   */
  receiveGeneral(bytes: Uint8Array, now: number): readonly Uint8Array[] {
    let msg: DataMessageV3;
    try {
      msg = decodeDataV3(bytes, this.#params);
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      return this.#invalid(error.message);
    }
    if (msg.sessionId !== this.sessionId) return this.#invalid(`session id ${msg.sessionId}`);
    // RFC 3931 §4.5: a packet whose cookie does not match MUST be discarded.
    if (this.#peerCookie.length !== 0 && !this.#cookieMatches(bytes, msg.cookieOffset)) {
      this.#rxCookie++;
      const log = this.#log.data;
      if (log) log('rx cookie mismatch');
      return this.#account(this.#seq.handleTimeout(now));
    }
    let payload = msg.payload;
    if (bytes === deliveringDatagram) deliveringPayload = payload;
    if (this.peerOffset !== 0) {
      if (payload.length < this.peerOffset) return this.#invalid('shorter than peer_offset');
      payload = payload.subarray(this.peerOffset);
    }
    // RFC 4454 §4.1: T = 1 marks one admin cell; a wrong one is rx_invalid, not a framing drop.
    if ((msg.atmFlags & SUBLAYER_BITS.T) !== 0) {
      try {
        this.framer.decode(payload, msg.atmFlags);
      } catch (error) {
        if (!(error instanceof DecodeError)) throw error;
        return this.#invalid(error.message);
      }
    }
    // AAL5 SDU mode: the flags travel with the frame view through reordering (cell modes: x bits).
    if (msg.atmFlags !== 0 && this.#rxAtmFlags !== undefined) {
      this.#rxAtmFlags.set(payload, msg.atmFlags);
    }
    if (msg.ns === undefined) {
      if (this.#recvSeq) {
        this.#rxMissing++;
        const log = this.#log.seq;
        if (log) log('rx without Ns under RECVSEQ: dropped');
        return this.#account(this.#seq.handleTimeout(now));
      }
    } else this.#rxNs(msg.ns);
    return this.#account(this.#seq.receive(payload, msg.ns, now));
  }

  /**
   * @internal `receive`'s common case, without arrays (StaticTunnelHost calls it per datagram): a
   * well-formed packet for this session with a matching cookie, in order or unsequenced with
   * nothing held, on a session without the ATM sublayer or peer_offset. Returns its frame after
   * the framer and mru (counted as `receive` counts), or undefined when they dropped it (counted).
   * Anything else returns null with nothing changed: then call `receive`, which sorts it out.
   */
  receiveOne(bytes: Uint8Array): Uint8Array | undefined | null {
    const length = this.#rxHeaderLength;
    if (!this.#rxPlain || bytes.length < length) return null;
    let at = 0;
    if (this.encap === 'udp') {
      // RFC 3931 §4.1.2.1: T = 0 and Ver = 3, the Session ID after the reserved octets.
      if ((bytes[0] as number) >= 0x80 || ((bytes[1] as number) & 0x0f) !== 3) return null;
      at = 4;
    }
    if (readU32(bytes, at) !== this.sessionId) return null;
    if (this.#peerCookie.length !== 0 && !this.#cookieMatches(bytes, at + 4)) return null;
    let ns: number | undefined;
    // RFC 3931 §4.6: the Default L2SS ends the header; with S = 0 there is no Sequence Number.
    if (this.l2specType === 'default' && ((bytes[length - 4] as number) & SUBLAYER_BITS.S) !== 0) {
      ns = readU24(bytes, length - 3);
    }
    if (ns === undefined && this.#recvSeq) return null; // RECVSEQ drops it: receive counts
    if (!this.#seq.acceptNow(ns)) return null;
    if (ns !== undefined) this.#rxNs(ns);
    const payload = plainView(bytes, length, bytes.length - length);
    if (bytes === deliveringDatagram) deliveringPayload = payload;
    return this.#pass(payload);
  }

  #rxNs(ns: number): void {
    this.#seenSeq = true;
    const log = this.#log.seq;
    if (log) log('rx Ns %d', ns);
  }

  // The cookie is 4 or 8 octets (checked present by the caller): two word compares instead of
  // eight octet compares.
  #cookieMatches(bytes: Uint8Array, at: number): boolean {
    if (readU32(bytes, at) !== this.#peerCookieHi) return false;
    return this.#peerCookie.length === 4 || readU32(bytes, at + 4) === this.#peerCookieLo;
  }

  /**
   * The ATM-Specific Sublayer bits B/E/T/G/C/U (RFC 4454 §4.1) a frame this session delivered
   * arrived with; 0 for frames without any and on sessions other than 'atm-aal5'. Works for as
   * long as the host holds the frame view `receive` (or `handleTimeout`…) returned.
   */
  atmFlagsOf(frame: Uint8Array): number {
    const map = this.#rxAtmFlags;
    return map === undefined ? 0 : (map.get(frame) ?? 0);
  }

  /** Runs reorder expiry due at `now`; returns the frames released (see `receive`). */
  handleTimeout(now: number): readonly Uint8Array[] {
    return this.#account(this.#seq.handleTimeout(now));
  }

  /** Frames the reorder buffer holds now (REORDERTO waits for a gap to fill). */
  get heldCount(): number {
    return this.#seq.heldCount;
  }

  /** When `handleTimeout` next has work (ms, same clock as `now`), or undefined. */
  nextDeadline(): number | undefined {
    return this.#seq.nextDeadline();
  }

  /** SENDSEQ at runtime: numbering resumes where it stopped. @throws UsageError without the L2SS. */
  setSendSeq(on: boolean): void {
    if (on) this.#needSublayer('SENDSEQ');
    this.#seq.setSendSeq(on);
  }

  /** RECVSEQ at runtime. @throws UsageError without the L2SS. */
  setRecvSeq(on: boolean): void {
    if (on) this.#needSublayer('RECVSEQ');
    this.#recvSeq = on;
  }

  /**
   * REORDERTO at runtime. Held frames are released first (returned, in order, gaps skipped);
   * Ns numbering and the expected Ns carry over, counters keep accumulating.
   * @throws UsageError for a value outside 0 … 3,600,000 (nothing changes then).
   */
  setReorderTimeout(ms: number, now: number): readonly Uint8Array[] {
    checkRange('reorderTimeoutMs', ms, 0, MAX_REORDER_MS);
    const old = this.#seq;
    const released = this.#account([...old.handleTimeout(now), ...old.flush()]);
    const f = old.stats();
    const next = new DataSequencer<Uint8Array>({
      version: 3,
      sendSeq: f.sendSeq,
      initialNs: f.nextNs,
      reorderTimeoutMs: ms,
      initialNr: this.#seenSeq ? f.expectedNs : undefined,
    });
    const b = this.#base;
    this.#base = {
      rxPackets: b.rxPackets + f.rxPackets,
      rxSeqDiscards: b.rxSeqDiscards + f.rxSeqDiscards,
      rxOosPackets: b.rxOosPackets + f.rxOosPackets,
      rxErrors: b.rxErrors + f.rxErrors,
    };
    this.#seq = next;
    this.#reorderTimeoutMs = ms;
    const log = this.#log.seq;
    if (log) log('reorder timeout %d ms, %d held frames released', ms, released.length);
    return released;
  }

  /** The runtime options now (a fresh object). */
  options(): StaticSessionOptions {
    return {
      sendSeq: this.#seq.sendSeq,
      recvSeq: this.#recvSeq,
      reorderTimeoutMs: this.#reorderTimeoutMs,
      lnsMode: this.#lnsMode,
      debug: this.#log.mask,
      mtu: this.#mtu,
      mru: this.#mru,
    };
  }

  /**
   * Changes any runtime options at once (the kernel's session modify). Everything is validated
   * before anything changes. Returns the frames a REORDERTO change released (see
   * `setReorderTimeout`; empty when REORDERTO is absent or unchanged).
   * @throws UsageError for any bad value, or SENDSEQ/RECVSEQ on without a sublayer.
   */
  configure(changes: Partial<StaticSessionOptions>, now: number): readonly Uint8Array[] {
    const c = changes;
    if (c.sendSeq !== undefined && checkBoolean('sendSeq', c.sendSeq)) {
      this.#needSublayer('SENDSEQ');
    }
    if (c.recvSeq !== undefined && checkBoolean('recvSeq', c.recvSeq)) {
      this.#needSublayer('RECVSEQ');
    }
    if (c.reorderTimeoutMs !== undefined) {
      checkRange('reorderTimeoutMs', c.reorderTimeoutMs, 0, MAX_REORDER_MS);
    }
    if (c.lnsMode !== undefined) checkBoolean('lnsMode', c.lnsMode);
    if (c.debug !== undefined) checkRange('debug', c.debug, 0, 0xffffffff);
    if (c.mtu !== undefined) checkRange('mtu', c.mtu, 0, 0xffff);
    if (c.mru !== undefined) checkRange('mru', c.mru, 0, 0xffff);
    if (c.debug !== undefined) this.#log.setMask(c.debug);
    if (c.sendSeq !== undefined) this.#seq.setSendSeq(c.sendSeq);
    if (c.recvSeq !== undefined) this.#recvSeq = c.recvSeq;
    if (c.lnsMode !== undefined) this.#lnsMode = c.lnsMode;
    if (c.mtu !== undefined) this.#mtu = c.mtu;
    if (c.mru !== undefined) this.#mru = c.mru;
    const log = this.#log.control;
    if (log) log('configure %o', c);
    if (c.reorderTimeoutMs === undefined || c.reorderTimeoutMs === this.#reorderTimeoutMs) {
      return NONE;
    }
    return this.setReorderTimeout(c.reorderTimeoutMs, now);
  }

  /** Counts one transmit failure reported by the host's socket (tx_errors). */
  countTxError(): void {
    this.#txErrors++;
  }

  /** A snapshot of the counters. */
  stats(): StaticSessionStats {
    const s = this.#seq.stats();
    const b = this.#base;
    const dropped = this.#rxDropped;
    return {
      txPackets: this.#txPackets,
      txBytes: this.#txBytes,
      txErrors: this.#txErrors,
      rxPackets: b.rxPackets + s.rxPackets - dropped,
      rxBytes: this.#rxBytes,
      rxSeqDiscards: b.rxSeqDiscards + s.rxSeqDiscards + this.#rxMissing,
      rxOosPackets: b.rxOosPackets + s.rxOosPackets,
      rxErrors: b.rxErrors + s.rxErrors + this.#rxMissing + this.#rxCookie + dropped,
      rxCookieDiscards: this.#rxCookie,
      rxInvalid: this.#rxInvalid,
    };
  }

  #invalid(why: string): readonly Uint8Array[] {
    this.#rxInvalid++;
    const log = this.#log.data;
    if (log) log('rx invalid: %s', why);
    return NONE;
  }

  /**
   * Frames leaving the sequencer: framer validation and mru, like the kernel's pseudowire
   * driver after the L2TP core has sequenced them (so a bad frame never disturbs the Ns
   * sequence). Returns `frames` itself when every frame passes unchanged (no allocation).
   */
  #account(frames: readonly Uint8Array[]): readonly Uint8Array[] {
    const n = frames.length;
    if (n === 0) return frames;
    let out: Uint8Array[] | undefined;
    for (let i = 0; i < n; i++) {
      const raw = frames[i] as Uint8Array;
      const frame = this.#pass(raw);
      if (frame === undefined) {
        out ??= frames.slice(0, i);
        continue;
      }
      if (out === undefined && frame !== raw) out = frames.slice(0, i);
      out?.push(frame);
    }
    if (out === undefined) return frames;
    return out.length === 0 ? NONE : out;
  }

  // One frame leaving the sequencer: the framer's check and the mru; counts rx_bytes, or the
  // drop (then undefined).
  #pass(raw: Uint8Array): Uint8Array | undefined {
    let frame: Uint8Array | undefined;
    try {
      frame = this.framer.decode(raw, this.atmFlagsOf(raw));
    } catch (error) {
      if (!(error instanceof DecodeError)) throw error;
      const log = this.#log.data;
      if (log) log('rx drop %d octets: %s', raw.length, error.message);
    }
    if (frame !== undefined && this.#mru !== 0 && frame.length > this.#mru) {
      const log = this.#log.data;
      if (log) log('rx drop %d octets: longer than mru %d', frame.length, this.#mru);
      frame = undefined;
    }
    if (frame === undefined) {
      this.#rxDropped++;
      return undefined;
    }
    this.#rxBytes += frame.length;
    const log = this.#log.data;
    if (log) log('rx %d octets', frame.length);
    return frame;
  }

  #needSublayer(what: string): void {
    if (this.l2specType === 'none') {
      throw new UsageError(`${what} needs l2spec_type default (Ns lives in the sublayer)`);
    }
  }

  #checkAtmFlags(flags: number): void {
    if ((flags & ATM_FLAGS_MASK) !== flags) {
      throw new UsageError(`atmFlags must be an integer within 0x3f, got ${String(flags)}`);
    }
    // RFC 4454 §5.2: on cell modes these bits are reserved (x); only AAL5 SDU mode has them.
    if (this.framer.name !== 'atm-aal5') {
      throw new UsageError(`atmFlags need pw_type atm-aal5 (this session: ${this.framer.name})`);
    }
  }
}

// ---------------------------------------------------------------------------------------------
// StaticTunnelHost

/** Tunnel parameters of `ip l2tp add tunnel` that the host needs (local/udp_sport bind the transport). */
export interface StaticTunnelConfig {
  readonly tunnel_id: number;
  readonly peer_tunnel_id: number;
  /** Default 'udp'. With 'ip' the transport delivers and accepts L2TP bytes without the IP header. */
  readonly encap?: Encapsulation | undefined;
  /** The peer's IP address (`remote`). */
  readonly remote: string;
  /** The peer's UDP port (`udp_dport`); required for 'udp'. */
  readonly udp_dport?: number | undefined;
}

/** Options of {@link StaticTunnelHost}. */
export interface StaticTunnelHostOptions {
  readonly tunnel: StaticTunnelConfig;
  /**
   * Bound to `local`:`udp_sport` and best connected to `remote`:`udp_dport` as the kernel does
   * (`UdpTransport.open({ address: local, port: udp_sport, connect: { address: remote, port:
   * udp_dport } })`: faster sends, other sources dropped by the kernel). A connected transport
   * must name that peer (the constructor throws UsageError otherwise). The host takes it over:
   * `close()` closes it.
   */
  readonly transport: DatagramTransport;
  readonly clock: Clock;
  /** Needed when a session has a REORDERTO, and for `keepalive`. */
  readonly timers?: TimerHost | undefined;
  /**
   * HELLO keepalive on the tunnel (go-l2tp's quiescent mode, see src/keepalive.ts); only when
   * the peer does the same. Off by default, like the kernel's static tunnels.
   */
  readonly keepalive?: StaticKeepaliveOptions | undefined;
  /**
   * The keepalive declared the tunnel down: every session has been removed (their counters
   * stay in the tunnel's), no HELLO follows. Frames are still sent if the host adds sessions.
   */
  readonly onDown?: ((reason: KeepaliveDownReason, error: L2tpError) => void) | undefined;
  /**
   * Called for every delivered frame; `frame` is a view into the received datagram. `atmFlags`
   * is passed on 'atm-aal5' sessions only: the frame's ATM sublayer bits (RFC 4454 §4.1).
   */
  readonly onFrame: (frame: Uint8Array, session: StaticSession, atmFlags?: number) => void;
}

/** Session parameters for {@link StaticTunnelHost.addSession} (tunnel ids and encap come from the tunnel). */
export type StaticTunnelSessionConfig = Omit<
  StaticSessionConfig,
  'tunnel_id' | 'peer_tunnel_id' | 'encap'
>;

/**
 * Tunnel-level counters of a {@link StaticTunnelHost}. The kernel's counters (the
 * {@link StaticSessionStats} fields) are summed over the tunnel's sessions, including deleted
 * ones, as the kernel counts each packet in both its session and its tunnel; `rxInvalid` also
 * counts the datagrams no session saw (`rxNoSession`).
 */
export interface StaticTunnelStats extends StaticSessionStats {
  /** Datagrams dropped before reaching a session: unparseable, unknown session id, or v2 data. */
  readonly rxNoSession: number;
  /** Control messages received and ignored (a static tunnel has no control connection). */
  readonly rxControlIgnored: number;
  /** Datagrams from a source other than remote/udp_dport (a kernel static tunnel connects its socket). */
  readonly rxForeign: number;
  /** Sessions configured. */
  readonly sessions: number;
}

interface Armed {
  deadline: number;
  handle: TimerHandle;
}

// While a StaticTunnelHost decodes and delivers a datagram: that datagram and its payload view,
// and whether StaticTunnelHost.send is running (see sendInPlace). Cleared afterwards, so nothing
// is retained and a direct sendInPlace never returns the host's datagram.
let deliveringDatagram: Uint8Array | undefined;
let deliveringPayload: Uint8Array | undefined;
let hostSending = false;

function plainAddress(address: string): string {
  return address.startsWith('::ffff:') ? address.slice(7) : address;
}

/**
 * One static tunnel over a DatagramTransport: routes received data by Session ID (O(1) per packet)
 * to its {@link StaticSession}s, arms one timer per session that has a reorder deadline.
 */
export class StaticTunnelHost {
  /** Our tunnel id. */
  readonly tunnelId: number;
  /** The peer's tunnel id. */
  readonly peerTunnelId: number;
  /** 'udp' or 'ip'. */
  readonly encap: Encapsulation;
  /** Where packets go. */
  readonly peer: PeerAddress;
  readonly #options: StaticTunnelHostOptions;
  readonly #sessions = new Map<number, StaticSession>();
  /** The session of the latest send, known to be in `#sessions` (cleared when removed). */
  #lastSender: StaticSession | undefined;
  /** The session of the latest received packet, likewise. */
  #lastReceiver: StaticSession | undefined;
  readonly #armed = new Map<StaticSession, Armed>();
  #keepalive: StaticKeepalive | undefined;
  #controlTimer: Armed | undefined;
  readonly #unsubscribe: () => void;
  readonly #remote: string;
  #invalid = 0;
  #control = 0;
  #foreign = 0;
  #closed = false;
  #retired: StaticSessionStats = ZERO_SESSION_STATS;

  /** @throws UsageError on bad tunnel parameters, or a transport connected to another peer. */
  constructor(options: StaticTunnelHostOptions) {
    const t = options.tunnel;
    this.tunnelId = checkId('tunnel_id', t.tunnel_id);
    this.peerTunnelId = checkId('peer_tunnel_id', t.peer_tunnel_id);
    this.encap = oneOf('encap', t.encap, ['udp', 'ip'], 'udp');
    const port = t.udp_dport ?? 0;
    if (this.encap === 'udp' && (!Number.isInteger(port) || port < 1 || port > 0xffff)) {
      throw new UsageError(`udp_dport must be an integer in 1…65535, got ${String(t.udp_dport)}`);
    }
    this.peer = { address: t.remote, port };
    // Node reports IPv6 sources in lower case (give `remote` in canonical form).
    this.#remote = plainAddress(t.remote.toLowerCase());
    const connected = options.transport.remote;
    if (
      connected !== undefined &&
      (plainAddress(connected.address.toLowerCase()) !== this.#remote ||
        (this.encap === 'udp' && connected.port !== port))
    ) {
      throw new UsageError(
        `the transport is connected to ${connected.address} port ${connected.port}, not to the tunnel's remote ${t.remote} port ${port}`,
      );
    }
    this.#options = options;
    if (options.keepalive !== undefined) {
      if (options.timers === undefined) throw new UsageError('keepalive needs timers');
      this.#keepalive = new StaticKeepalive(
        this,
        options.keepalive,
        options.clock.now(),
        (datagram) => options.transport.send(datagram, this.peer),
        (reason, error) => this.#down(reason, error),
      );
    }
    this.#unsubscribe = options.transport.onDatagram((bytes, from) => this.#receive(bytes, from), {
      // Only read here; the frames handed on are plain views (decodeDataV3).
      anySubclass: true,
    });
    this.#armControl();
  }

  /**
   * Creates a session in this tunnel (`ip l2tp add session`).
   * @throws UsageError on bad parameters or a session_id already in use here.
   */
  addSession(config: StaticTunnelSessionConfig): StaticSession {
    const session = new StaticSession({
      ...config,
      tunnel_id: this.tunnelId,
      peer_tunnel_id: this.peerTunnelId,
      encap: this.encap,
    });
    if (this.#sessions.has(session.sessionId | 0)) {
      throw new UsageError(
        `session_id ${session.sessionId} already exists in tunnel ${this.tunnelId}`,
      );
    }
    // Keyed by the id as an int32: a small-integer key even for ids ≥ 2^31 (cheaper lookups).
    this.#sessions.set(session.sessionId | 0, session);
    return session;
  }

  /** Deletes a session; held frames are dropped. Returns false when there was none. */
  removeSession(sessionId: number): boolean {
    const session = this.#sessions.get(sessionId | 0);
    if (session === undefined || session.sessionId !== sessionId) return false;
    this.#disarm(session);
    // The kernel's tunnel counters outlive the session.
    this.#retired = addStats(this.#retired, session.stats());
    if (this.#lastSender === session) this.#lastSender = undefined;
    if (this.#lastReceiver === session) this.#lastReceiver = undefined;
    return this.#sessions.delete(sessionId | 0);
  }

  /** The session with our `session_id`, or undefined. */
  session(sessionId: number): StaticSession | undefined {
    const session = this.#sessions.get(sessionId | 0); // keys are int32 (see addSession)
    return session?.sessionId === sessionId ? session : undefined;
  }

  /** All sessions, in creation order. */
  sessions(): StaticSession[] {
    return [...this.#sessions.values()];
  }

  /**
   * Sends `frame` on `session` (scatter/gather, or one contiguous array with `inPlace`; the frame
   * is not copied and must not be modified until the transport is done with it);
   * `options.atmFlags` as for `StaticSession.send`.
   * @throws UsageError for a session not in this tunnel, after close, bad `atmFlags`, or too
   * little headroom for `inPlace`.
   */
  send(session: StaticSession, frame: Uint8Array, options?: StaticHostSendOptions): void {
    if (this.#closed) throw new UsageError('send on a closed static tunnel');
    if (session !== this.#lastSender) {
      if (this.#sessions.get(session.sessionId | 0) !== session) {
        throw new UsageError(`session ${session.sessionId} is not in tunnel ${this.tunnelId}`);
      }
      this.#lastSender = session; // a stream of frames on one session skips the map lookup
    }
    // Sending has no timers (`now` is reserved): no clock read per frame.
    let packet: Uint8Array | readonly [Uint8Array, Uint8Array] | undefined;
    if (options?.inPlace === true) {
      const outer = hostSending;
      hostSending = true;
      try {
        packet = session.sendInPlace(frame, 0, options);
      } finally {
        hostSending = outer;
      }
    } else packet = session.send(frame, 0, options);
    // undefined: the framer or the mtu refused the frame (counted tx_errors by the session).
    if (packet !== undefined) this.#options.transport.send(packet, this.peer);
  }

  /**
   * Changes a session's runtime options (see `StaticSession.configure`); frames a REORDERTO
   * change releases go to `onFrame`, and the session's timer is re-armed.
   * @throws UsageError for a session not in this tunnel or a bad value (nothing changes then).
   */
  configure(session: StaticSession, changes: Partial<StaticSessionOptions>): void {
    if (this.#sessions.get(session.sessionId | 0) !== session) {
      throw new UsageError(`session ${session.sessionId} is not in tunnel ${this.tunnelId}`);
    }
    const released = session.configure(changes, this.#options.clock.now());
    try {
      this.#deliver(session, released);
    } finally {
      this.#rearm(session);
    }
  }

  /** Tunnel-level counters: the sessions' kernel counters summed, plus the host's own. */
  stats(): StaticTunnelStats {
    let sum = this.#retired;
    for (const session of this.#sessions.values()) sum = addStats(sum, session.stats());
    return {
      ...sum,
      rxInvalid: sum.rxInvalid + this.#invalid,
      rxNoSession: this.#invalid,
      rxControlIgnored: this.#control,
      rxForeign: this.#foreign,
      sessions: this.#sessions.size,
    };
  }

  /** Stops receiving, cancels timers and closes the transport. Idempotent. */
  close(): void {
    if (this.#closed) return;
    this.#closed = true;
    this.#unsubscribe();
    for (const session of this.#sessions.values()) this.#disarm(session);
    this.#armControl(); // closed: clears the keepalive's timer
    this.#options.transport.close();
  }

  #receive(bytes: Uint8Array, from: PeerAddress): void {
    const address = from.address;
    if (
      (address !== this.#remote && plainAddress(address) !== this.#remote) ||
      (this.encap === 'udp' && from.port !== this.peer.port)
    ) {
      this.#foreign++;
      return;
    }
    // Hot path: an L2TPv3 data message (RFC 3931 §4.1.2.1 over UDP: T = 0 and Ver = 3, Session ID
    // after 4 octets; §4.1.1.1 over IP: a non-zero Session ID first). Anything else is classified.
    let sessionId = 0;
    if (this.encap === 'udp') {
      if (
        bytes.length >= 8 &&
        ((bytes[0] as number) & 0x80) === 0 &&
        ((bytes[1] as number) & 0x0f) === 3
      ) {
        sessionId = readU32(bytes, 4);
      }
    } else if (bytes.length >= 4) sessionId = readU32(bytes, 0);
    if (sessionId === 0) {
      if (classify(bytes, this.encap).kind !== 'control') this.#invalid++;
      else if (this.#keepalive?.receive(bytes, this.#options.clock.now()) === true) {
        this.#armControl();
      } else this.#control++;
      return;
    }
    let session = this.#lastReceiver;
    if (session?.sessionId !== sessionId) {
      session = this.#sessions.get(sessionId | 0);
      if (session === undefined) {
        this.#invalid++;
        return;
      }
      this.#lastReceiver = session; // a stream of packets for one session skips the map lookup
    }
    const outer = deliveringDatagram; // a host receiving from inside another's onFrame
    const outerPayload = deliveringPayload;
    deliveringDatagram = bytes;
    deliveringPayload = undefined;
    try {
      const frame = session.receiveOne(bytes);
      if (frame === null) {
        // Without REORDERTO nothing is held, so time does not matter: no clock read.
        const now = session.reorderTimeoutMs === 0 ? 0 : this.#options.clock.now();
        const frames = session.receiveGeneral(bytes, now);
        if (frames.length !== 0) this.#deliver(session, frames);
      } else if (frame !== undefined) {
        this.#options.onFrame(frame, session); // not ATM AAL5 (receiveOne): no flags to pass
      }
    } finally {
      deliveringDatagram = outer;
      deliveringPayload = outerPayload;
      this.#rearm(session);
    }
  }

  // Every frame reaches onFrame even when an earlier call throws (they are counted delivered);
  // the first error is rethrown afterwards, for the transport to report.
  #deliver(session: StaticSession, frames: readonly Uint8Array[]): void {
    const onFrame = this.#options.onFrame;
    const atm = session.framer.name === 'atm-aal5';
    let failed = false;
    let failure: unknown;
    for (let i = 0; i < frames.length; i++) {
      const frame = frames[i] as Uint8Array;
      try {
        if (atm) onFrame(frame, session, session.atmFlagsOf(frame));
        else onFrame(frame, session);
      } catch (error) {
        if (!failed) failure = error;
        failed = true;
      }
    }
    if (failed) throw failure;
  }

  #rearm(session: StaticSession): void {
    // The common case (nothing armed, nothing held) asks neither the map nor the reorder buffer.
    if (this.#armed.size === 0 && session.heldCount === 0) return;
    const deadline = session.nextDeadline();
    const armed = this.#armed.get(session);
    if (armed?.deadline === deadline) return; // before the closure: no allocation per frame
    const next = this.#retime(armed, deadline, () => {
      this.#armed.delete(session);
      if (this.#closed || this.#sessions.get(session.sessionId | 0) !== session) return;
      try {
        this.#deliver(session, session.handleTimeout(this.#options.clock.now()));
      } finally {
        this.#rearm(session);
      }
    });
    if (next === undefined) this.#armed.delete(session);
    else this.#armed.set(session, next);
  }

  // Moves one timer to `deadline` (undefined: none): clears `armed` and, unless the host is
  // closed or has no timers, sets a new one that calls `fire`. Returns what is armed now.
  #retime(
    armed: Armed | undefined,
    deadline: number | undefined,
    fire: () => void,
  ): Armed | undefined {
    const timers = this.#options.timers;
    if (armed !== undefined) timers?.clear(armed.handle);
    if (deadline === undefined || timers === undefined || this.#closed) return undefined;
    return { deadline, handle: timers.set(deadline - this.#options.clock.now(), fire) };
  }

  /** State and counters of the keepalive; undefined without one. */
  keepalive(): StaticKeepaliveStats | undefined {
    return this.#keepalive?.stats();
  }

  // One timer for the keepalive: HELLO due, retransmission or delayed ACK, whichever is first.
  #armControl(): void {
    const keepalive = this.#keepalive;
    if (keepalive === undefined) return;
    const deadline = this.#closed ? undefined : keepalive.nextDeadline();
    if (this.#controlTimer?.deadline === deadline) return;
    this.#controlTimer = this.#retime(this.#controlTimer, deadline, () => {
      this.#controlTimer = undefined;
      if (this.#closed) return;
      try {
        keepalive.handleTimeout(this.#options.clock.now());
      } finally {
        this.#armControl();
      }
    });
  }

  // The keepalive gave up (or the peer sent StopCCN): tear the sessions down, as ql2tpd does.
  #down(reason: KeepaliveDownReason, error: L2tpError): void {
    for (const session of [...this.#sessions.values()]) this.removeSession(session.sessionId);
    this.#options.onDown?.(reason, error);
  }

  #disarm(session: StaticSession): void {
    const armed = this.#armed.get(session);
    if (armed === undefined) return;
    this.#armed.delete(session);
    this.#options.timers?.clear(armed.handle);
  }
}
