/**
 * The engine's internal records: what it keeps per call (SessionRecord: call state, data-plane
 * options and counters, L2TPv3 parameters), the control messages in and out of its queue, and
 * the small helpers that build and read them. Nothing here is exported from the package.
 */

import type { ControlMessage } from '../avp/messages.js';
import type { RawAvp } from '../avp/raw.js';
import { readU32 } from '../codec/bytes.js';
import { ATM_FLAGS_MASK, HEADER_BITS, type SublayerKind } from '../codec/header.js';
import { L2SpecificSublayer, PseudowireType } from '../constants.js';
import { DebugLog } from '../debug.js';
import { type ProtocolError, UsageError } from '../errors.js';
import type { SessionKind, SessionState } from '../fsm/session.js';
import { type ResolvedTunnelEngineOptions, sessionSublayer } from '../options.js';
import { type PseudowireFramer, pseudowireFramer } from '../pw/framer.js';
import type { DataSequencer } from '../seq/data.js';
import type { HeapEntry } from './deadlines.js';
import type { SessionStats } from './types.js';
// ---------------------------------------------------------------------------------------------
// Internals

/** A control message we send: AVP octets and the header Session ID. */
export interface Outbound {
  readonly dir: 'out';
  readonly sessionId: number;
  /**
   * The message as sent: room for the control header (written per transmission: Ns and Nr
   * change), then the AVPs. Its first transmission sends this array itself; later ones a copy,
   * as the transport may still hold the first.
   */
  readonly packet: Uint8Array;
  /** Transmitted once already (retransmissions copy `packet`). */
  sent: boolean;
  readonly name: string;
  /**
   * The call this message establishes (our ICCN / OCCN): its session-up is reported when the
   * message first leaves, not when it is queued (RFC 2661 §7.4.1, §7.5.1).
   */
  readonly announces: SessionRecord | undefined;
}

/** A control message we received, parsed or refused by the decoder. */
export interface Inbound {
  readonly dir: 'in';
  /** Our Session ID it addresses: v2 header Session ID, v3 Remote Session ID AVP (0 = none). */
  readonly sid: number;
  readonly message: ControlMessage | undefined;
  readonly error: ProtocolError | undefined;
  readonly bytes: Uint8Array;
}

export type Body = Outbound | Inbound;

export interface SessionRecord extends HeapEntry {
  readonly id: number;
  /** session-up was reported (the ICCN/OCCN left, or the peer's arrived); frames may flow. */
  announced: boolean;
  /** Our ICCN/OCCN is queued and has not left yet: session-up waits for it. */
  connectPending: boolean;
  peerId: number;
  readonly kind: SessionKind;
  state: SessionState;
  readonly options: ResolvedTunnelEngineOptions['session'];
  /** Replaced (state carried over) when RECVSEQ, LNSMODE or REORDERTO change. */
  seq: DataSequencer<Uint8Array>;
  /** v3 only (see V3Session); undefined on v2. */
  readonly v3: V3Session | undefined;
  readonly d: DataPlane;
  /** AVPs relayed through this call (OpenSessionOptions.extraAvps, callAvps); mostly none. */
  extra: CallExtras | undefined;
}

/** What a call relays: AVPs to add to our messages, and the peer's reply kept for session-up. */
export interface CallExtras {
  request?: readonly RawAvp[] | undefined;
  connect?: readonly RawAvp[] | undefined;
  cdn?: readonly RawAvp[] | undefined;
  /** The peer's ICRP / OCRP (callAvps), reported with session-up once our ICCN / OCCN left. */
  reply?: readonly RawAvp[] | undefined;
}

/** Receive counters of the sequencers a session retired (they restart at 0 in a new one). */
export interface RxBase {
  rxPackets: number;
  rxSeqDiscards: number;
  rxOosPackets: number;
  rxErrors: number;
}

/** Runtime data-plane options and the counters of one session. */
export interface DataPlane {
  recvSeq: boolean;
  lnsMode: boolean;
  reorderTimeoutMs: number;
  mtu: number;
  mru: number;
  pppAddressControl: boolean;
  /**
   * The session's debug mask: SILENT_SESSION_LOG (shared) while it is 0, as most sessions'
   * stays; a DebugLog of the session's own once a mask is set (see sessionLog).
   */
  log: DebugLog;
  /** A sequenced frame was received: a new sequencer starts at the expected Ns. */
  seenSeq: boolean;
  /** Made when a sequencer is first retired (most sessions never retire one). */
  base: RxBase | undefined;
  txPackets: number;
  txBytes: number;
  txErrors: number;
  rxBytes: number;
  /** P-bit frames without Ns, delivered at once (rx_packets). */
  rxPriority: number;
  /** Released in order but refused by the framer or the MRU (rx_errors, not rx_packets). */
  rxDropped: number;
  rxCookie: number;
  rxInvalid: number;
  /** Added to the tunnel's totals already. */
  retired: boolean;
}

/** L2TPv3 data-plane parameters of a session (RFC 3931 §4.1, §4.6, §5.4.4). */
export interface V3Session {
  /** Our cookie: received data must carry it (empty = none). */
  readonly cookie: Uint8Array;
  /** The sublayer we require on received data (set from the PW type of a call the peer opens). */
  rxSublayer: SublayerKind;
  /** The peer's Assigned Cookie: we put it on our data (empty = none). */
  peerCookie: Uint8Array;
  /** The sublayer the peer requires on our data (its L2-Specific Sublayer AVP). */
  txSublayer: SublayerKind;
  /** The peer asked for sequenced data (Data Sequencing AVP level 1 or 2). */
  peerWantsSeq: boolean;
  /** The peer's Circuit Status Active bit. */
  peerCircuitActive: boolean;
  /** Pseudowire Type of the call (ours in ICRQ/OCRQ, or the peer's request). */
  pwType: number;
  /** Framing of `pwType`; undefined when src/pw has none (frames then pass unchecked). */
  framer: PseudowireFramer | undefined;
  /** ATM cell modes: our ATM Maximum Concatenated Cells (AVP 86), the framer's receive limit. */
  maxCells: number | undefined;
  /** ATM cell modes: the peer's AVP 86, the framer's send limit (RFC 4454 §6). */
  peerMaxCells: number | undefined;
  /**
   * AAL5 SDU mode: the sublayer flags of received frames not yet delivered, by frame view (they
   * travel through the reorder buffer with it). Undefined on every other pseudowire.
   */
  rxAtmFlags: WeakMap<Uint8Array, number> | undefined;
}

export interface PeerInfo {
  hostName: string;
  vendorName: string | undefined;
  firmwareRevision: number | undefined;
  framingCapabilities: number;
  bearerCapabilities: number | undefined;
  receiveWindow: number;
  routerId: number | undefined;
  pseudowireCapabilities: readonly number[] | undefined;
}

/**
 * Control messages that may wait for the peer's window, per session the tunnel may hold, plus
 * a fixed allowance for tunnel-level messages. A call needs at most three (request, connect,
 * CDN); the rest is room for SLI/WEN. Beyond the bound a host command is refused at once
 * (ChannelError L2TP_ERR_QUEUE_FULL) and a peer that makes us answer without acknowledging
 * anything loses the tunnel (StopCCN Result 2 is queued as the last message).
 */
export const PENDING_PER_SESSION = 4;
export const PENDING_TUNNEL_ALLOWANCE = 64;

/**
 * The debug log of every session whose mask is 0: shared, so that a session costs no DebugLog
 * until a mask is set. Never given a mask itself (see setSessionLogMask).
 */
export const SILENT_SESSION_LOG = DebugLog.forSession(0, 0, 0);

/** A session's debug log for `mask`: the shared silent one for 0, else a log of its own. */
export function sessionLog(tunnelId: number, sessionId: number, mask: number): DebugLog {
  return mask === 0 ? SILENT_SESSION_LOG : DebugLog.forSession(tunnelId, sessionId, mask);
}

/**
 * Sets a session's debug mask (as DebugLog.setMask, the same UsageError for a bad mask),
 * giving it a log of its own when it had the shared silent one.
 */
export function setSessionLogMask(
  d: DataPlane,
  tunnelId: number,
  sessionId: number,
  mask: number,
): void {
  if (d.log === SILENT_SESSION_LOG) d.log = DebugLog.forSession(tunnelId, sessionId, mask);
  else d.log.setMask(mask);
}

/** A new SessionRecord, outside any heap and not yet announced (one shape for all records). */
export function sessionRecord(
  id: number,
  peerId: number,
  kind: SessionKind,
  options: ResolvedTunnelEngineOptions['session'],
  seq: DataSequencer<Uint8Array>,
  v3: V3Session | undefined,
  d: DataPlane,
): SessionRecord {
  return {
    id,
    peerId,
    kind,
    state: 'idle',
    options,
    seq,
    v3,
    d,
    announced: false,
    connectPending: false,
    heapIndex: -1,
    heapDeadline: 0,
    extra: undefined,
  };
}

export const SESSION_MESSAGES = new Set([
  'ICRQ',
  'ICRP',
  'ICCN',
  'OCRQ',
  'OCRP',
  'OCCN',
  'CDN',
  'WEN',
  'SLI',
]);

export function checkNow(now: number): void {
  if (typeof now !== 'number' || !Number.isFinite(now)) {
    throw new UsageError(`now must be a finite number of ms, got ${String(now)}`);
  }
}

export function u16(bytes: Uint8Array): number {
  return bytes.length === 2 ? ((bytes[0] as number) << 8) | (bytes[1] as number) : 0;
}

// Unsigned 32-bit (never `<< 24`: the result would be negative for ids ≥ 2^31).
export function u32(bytes: Uint8Array): number {
  return bytes.length === 4 ? readU32(bytes, 0) : 0;
}

export const EMPTY = new Uint8Array(0);
/** T, L, O, P and the version bits of a v2 data header; the fast path takes `=== 2` only. */
export const FAST_RX_MASK =
  HEADER_BITS.T | HEADER_BITS.L | HEADER_BITS.O | HEADER_BITS.P | HEADER_BITS.VERSION;
export const PPP_AC_0 = 0xff; // HDLC all-stations address
export const PPP_AC_1 = 0x03; // HDLC unnumbered information

/** The framer of a PW type, or undefined when src/pw has none for it. */
export function framerFor(
  pwType: number,
  addressControl: boolean,
  maxCells?: number,
  peerMaxCells?: number,
): PseudowireFramer | undefined {
  try {
    return pseudowireFramer(pwType, { addressControl, maxCells, peerMaxCells });
  } catch (err) {
    if (err instanceof UsageError) return undefined;
    throw err;
  }
}

export const ATM_CELL_MODES: readonly number[] = [
  PseudowireType.AtmCellPort,
  PseudowireType.AtmCellVcc,
  PseudowireType.AtmCellVpc,
];

/** Rebuilds a v3 session's framer after its PW type or ATM cell limits changed. */
export function reframe(p: V3Session, addressControl: boolean): void {
  p.framer = framerFor(p.pwType, addressControl, p.maxCells, p.peerMaxCells);
  p.rxAtmFlags = p.pwType === PseudowireType.AtmAal5Sdu ? new WeakMap() : undefined;
}

// L2-Specific Sublayer AVP values (RFC 3931 §5.4.4, RFC 4454 §4.1) and back.
export const SUBLAYER_KINDS: readonly (SublayerKind | undefined)[] = ['none', 'default', 'atm'];
export const SUBLAYER_VALUES = {
  none: L2SpecificSublayer.None,
  default: L2SpecificSublayer.Default,
  atm: L2SpecificSublayer.Atm,
} as const;

// The Session ID of a v2 data datagram the decoder refused, when the fixed fields are there
// (so the failure counts against that session's rx_invalid); -1 otherwise.
export function peekSessionV2(bytes: Uint8Array, tunnelId: number): number {
  if (bytes.length < 2) return -1;
  const word = ((bytes[0] as number) << 8) | (bytes[1] as number);
  if ((word & (HEADER_BITS.T | HEADER_BITS.VERSION)) !== 2) return -1;
  const at = word & HEADER_BITS.L ? 4 : 2;
  if (bytes.length < at + 4) return -1;
  const tid = ((bytes[at] as number) << 8) | (bytes[at + 1] as number);
  return tid === tunnelId ? ((bytes[at + 2] as number) << 8) | (bytes[at + 3] as number) : -1;
}

// RFC 3931 §5.4.1: the Message Digest AVP follows the Message Type AVP, so it starts at a
// fixed offset from the control header: 12-octet header + 8-octet Message Type AVP.
export const DIGEST_AVP_OFFSET = 20;

export function readBigU64(bytes: Uint8Array): bigint {
  let v = 0n;
  for (const b of bytes.subarray(0, 8)) v = (v << 8n) | BigInt(b);
  return v;
}

const NO_BASE: RxBase = Object.freeze({
  rxPackets: 0,
  rxSeqDiscards: 0,
  rxOosPackets: 0,
  rxErrors: 0,
});

/** The counters of a session (see SessionStats). */
export function statsOf(rec: SessionRecord): SessionStats {
  const s = rec.seq.stats();
  const d = rec.d;
  const b = d.base ?? NO_BASE;
  return {
    txPackets: d.txPackets,
    txBytes: d.txBytes,
    txErrors: d.txErrors,
    rxPackets: b.rxPackets + s.rxPackets + d.rxPriority - d.rxDropped,
    rxBytes: d.rxBytes,
    rxSeqDiscards: b.rxSeqDiscards + s.rxSeqDiscards,
    rxOosPackets: b.rxOosPackets + s.rxOosPackets,
    rxErrors: b.rxErrors + s.rxErrors + d.rxCookie + d.rxDropped,
    rxCookieDiscards: d.rxCookie,
    rxInvalid: d.rxInvalid,
  };
}

/**
 * Sets a v3 session's pseudowire: PW type, the sublayer we require on received data (the
 * option, or the PW type's own choice when the option does not suit it: calls the peer opens),
 * our ATM cell limit, the framer.
 */
export function choosePseudowire(
  p: V3Session,
  options: ResolvedTunnelEngineOptions['session'],
  pwType: number,
  addressControl: boolean,
): void {
  const seq = options.requireSequenceNumbers;
  let sublayer =
    sessionSublayer(options.l2SpecificSublayer, pwType, seq) ??
    (sessionSublayer('auto', pwType, seq) as SublayerKind);
  // Never ask for sequencing without a sublayer to carry it (RFC 3931 §5.4.4, Result 15).
  if (seq && sublayer === 'none') sublayer = 'default';
  p.pwType = pwType;
  p.rxSublayer = sublayer;
  p.maxCells = ATM_CELL_MODES.includes(pwType) ? options.atmMaxCells : undefined;
  p.peerMaxCells = undefined;
  reframe(p, addressControl);
}

/** Validates `sendFrame`'s `atmFlags` (non-zero) for a session. @throws UsageError. */
export function checkAtmFlags(rec: SessionRecord, atmFlags: number): void {
  if ((atmFlags & ATM_FLAGS_MASK) !== atmFlags) {
    throw new UsageError(`atmFlags must be an integer within 0x3f, got ${String(atmFlags)}`);
  }
  // RFC 4454 §5.2: on cell modes these bits are reserved (x); only AAL5 SDU mode has them.
  if (rec.v3 === undefined || rec.v3.pwType !== PseudowireType.AtmAal5Sdu) {
    throw new UsageError('atmFlags exist on L2TPv3 ATM AAL5 SDU pseudowires (type 2) only');
  }
}
