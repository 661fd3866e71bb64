/**
 * The engine's public vocabulary: the outputs and events a TunnelEngine returns, its counters and
 * per-call option types. No logic beyond the RFC 2661 §4.4.3 tie-breaker comparison.
 */
import type { RawAvp } from '../avp/raw.js';
import type { AccmValue, CallErrorsValue, CircuitStatusValue } from '../avp/values.js';
import type { SublayerKind } from '../codec/header.js';
import type { TunnelState } from '../fsm/tunnel.js';
import type { DownReason, ResultCodes } from '../fsm/types.js';
import type { SessionOptions } from '../options.js';
import type { ReliableChannelStats } from '../seq/reliable.js';
import type { StaticSessionStats } from '../stats.js';

/** See {@link TunnelEngine.sessionWire}. */
export interface SessionWire {
  /** PW Type (AVP 68) of the call; 7 (PPP) for L2TPv2. */
  readonly pseudowireType: number;
  /** L2-Specific Sublayer on data we send (the peer's request). */
  readonly txSublayer: SublayerKind;
  /** L2-Specific Sublayer we require on data we receive. */
  readonly rxSublayer: SublayerKind;
  /** Cookie on data we send (a copy; empty = none). */
  readonly cookie: Uint8Array;
  /** Cookie received data must carry (a copy; empty = none). */
  readonly peerCookie: Uint8Array;
}

export type { SessionState } from '../fsm/session.js';
export type { TunnelState } from '../fsm/tunnel.js';
export type { DownBy, DownReason, ResultCodes } from '../fsm/types.js';
export type {
  IncomingSessionInfo,
  RuntimeSessionOptions,
  SessionDataOptions,
  SessionOptions,
  SessionVerdict,
  ToleranceOptions,
  TunnelEngineOptions,
} from '../options.js';

/**
 * Counters of one managed session, the Linux kernel's ten (`KERNEL_STAT_NAMES`, `toKernelStats`
 * in static.ts) with the same meanings as for static sessions. Octets are those of the frames
 * as the host hands them to `sendFrame` (tx) and as delivered (rx): L2TP headers, the v2 PPP
 * FF 03 and a pseudowire's `txPrefix` are not counted. rx_errors covers sequencing drops,
 * RECVSEQ drops, cookie mismatches and frames over the MRU; tx_errors frames over the MTU,
 * frames the pseudowire framer refused and send failures the host reported (`countTxError`).
 * rx_invalid: datagrams for the session that are not a valid data message (or payload) for it.
 */
export type SessionStats = StaticSessionStats;

/** Options of one `sendFrame` call. */
export interface SendFrameOptions {
  /**
   * v2: set the P bit (RFC 2661 §3.1: preferential treatment, e.g. LCP echo keepalives). Ns is
   * still stamped when the session sequences (a peer may drop or stop sequencing on a data
   * message without Ns, §5.4). v3 has no such bit: UsageError.
   */
  readonly priority?: boolean;
  /**
   * v3 AAL5 SDU mode (PW type 2): the ATM-Specific Sublayer bits of this frame (RFC 4454 §4.1),
   * `SUBLAYER_BITS` T, G (EFCI), C (CLP), U (C/R), B, E within `ATM_FLAGS_MASK` (0x3f; build them
   * with `encodeAtmSublayerFlags`). T = 1: the frame is one 52-octet admin cell (others are
   * dropped and counted tx_errors). B/E are RFC 4623 fragment marks, written as given; 0/0 is
   * a whole SDU. Default 0. UsageError on any other session, v2 included, or outside the mask.
   */
  readonly atmFlags?: number;
  /**
   * Write the data header into the octets just before `frame` in its buffer and hand the
   * transport one contiguous array (no copy, no scatter/gather): for a frame read at an offset
   * into a larger buffer, or a received frame being echoed or forwarded (its own header precedes
   * it). Those octets must be the caller's to overwrite: never a pooled Node Buffer
   * (`Buffer.from` / `allocUnsafe`). UsageError when fewer octets than the header precede it;
   * `'if-room'` sends `[header, frame]` then instead (a forwarder whose received headers may be
   * shorter than the ones it writes).
   */
  readonly inPlace?: boolean | 'if-room';
}

// ---------------------------------------------------------------------------------------------
// Outputs and events

/** The control connection is up (SCCCN sent or accepted). */
export interface TunnelUpEvent {
  readonly type: 'tunnel-up';
  readonly localTunnelId: number;
  readonly peerTunnelId: number;
  /** Host Name AVP of the peer, read as UTF-8. */
  readonly peerHostName: string;
  readonly peerVendorName: string | undefined;
  readonly peerFirmwareRevision: number | undefined;
  readonly peerFramingCapabilities: number;
  readonly peerBearerCapabilities: number | undefined;
  /** The peer's Receive Window Size (4 when it sent none, RFC 2661 §4.4.3). */
  readonly peerReceiveWindow: number;
  /**
   * True when the peer proved the shared secret: v2 with a Challenge Response, v3 with valid
   * Message Digests (control message authentication, RFC 3931 §4.3).
   */
  readonly peerAuthenticated: boolean;
  /** True when we sent the SCCRQ. */
  readonly initiator: boolean;
  /** L2TP version of the control connection. */
  readonly version: 2 | 3;
  /** v3: the peer's Router ID AVP (RFC 3931 §5.4.3); undefined on v2. */
  readonly peerRouterId: number | undefined;
  /** v3: the peer's Pseudowire Capabilities List; undefined on v2. */
  readonly peerPseudowireCapabilities: readonly number[] | undefined;
}

/** The control connection is down (once per engine); its sessions went down just before. */
export interface TunnelDownEvent {
  readonly type: 'tunnel-down';
  readonly reason: DownReason;
}

/**
 * What became of our StopCCN: `acknowledged` by the peer; `unacknowledged` (sent, but the
 * peer never acknowledged it within the retransmission budget); `not-sent` (it waited behind
 * unacknowledged messages until the hold gave up, or the tunnel was dropped before one could
 * go); `none` (we sent none: the peer closed, the tie was lost, or it was discarded).
 */
export type StopCcnOutcome = 'acknowledged' | 'unacknowledged' | 'not-sent' | 'none';

/** The engine is finished (post-close hold over, or state discarded): forget it, free its id. */
export interface TunnelClosedEvent {
  readonly type: 'tunnel-closed';
  /** Whether the peer was told: see StopCcnOutcome. */
  readonly stopCcn: StopCcnOutcome;
}

/** A session reached the established state: frames may flow. */
export interface SessionUpEvent {
  readonly type: 'session-up';
  readonly sessionId: number;
  readonly peerSessionId: number;
  /** 'incoming' = ICRQ/ICRP/ICCN, 'outgoing' = OCRQ/OCRP/OCCN. */
  readonly call: 'incoming' | 'outgoing';
  /** Whether our data packets carry Ns now. */
  readonly sequencing: boolean;
  /**
   * With the `callAvps` option: the AVPs of the peer's message that completed the call (its
   * ICCN / OCCN, or its ICRP / OCRP for a call we opened), hidden ones revealed; views into the
   * datagram (copy to keep). Undefined otherwise.
   */
  readonly avps?: readonly RawAvp[] | undefined;
}

/** A session the host knew about ended (once per session). */
export interface SessionDownEvent {
  readonly type: 'session-down';
  readonly sessionId: number;
  readonly reason: DownReason;
  /** The session's final counters (the engine forgets it now). */
  readonly stats: SessionStats;
}

/** The peer opened a call; `accepted` is the verdict of the `acceptSession` option. */
export interface IncomingSessionEvent {
  readonly type: 'incoming-session';
  readonly sessionId: number;
  readonly peerSessionId: number;
  readonly call: 'incoming' | 'outgoing';
  readonly accepted: boolean;
  /** With the `callAvps` option: the request's AVPs (see IncomingSessionInfo.avps). */
  readonly avps?: readonly RawAvp[] | undefined;
}

/** Set-Link-Info received (RFC 2661 §6.14), passed to the host. */
export interface SetLinkInfoEvent {
  readonly type: 'sli';
  readonly sessionId: number;
  readonly accm: AccmValue;
  /** With the `callAvps` option: the message's AVPs (see SessionUpEvent.avps). */
  readonly avps?: readonly RawAvp[] | undefined;
}

/**
 * v3: the peer's Circuit Status for a session changed (SLI, RFC 3931 §5.4.5, §6.14). While it
 * is not active, `sendFrame` sends nothing to the peer for that session.
 */
export interface CircuitStatusEvent {
  readonly type: 'circuit-status';
  readonly sessionId: number;
  readonly active: boolean;
  readonly status: CircuitStatusValue;
  /** With the `callAvps` option: the message's AVPs (see SessionUpEvent.avps). */
  readonly avps?: readonly RawAvp[] | undefined;
}

/** WAN-Error-Notify received (RFC 2661 §6.13), passed to the host. */
export interface WanErrorNotifyEvent {
  readonly type: 'wen';
  readonly sessionId: number;
  readonly callErrors: CallErrorsValue;
  /** With the `callAvps` option: the message's AVPs (see SessionUpEvent.avps). */
  readonly avps?: readonly RawAvp[] | undefined;
}

/** Everything the engine reports to the host. */
export type EngineEvent =
  | TunnelUpEvent
  | TunnelDownEvent
  | TunnelClosedEvent
  | SessionUpEvent
  | SessionDownEvent
  | IncomingSessionEvent
  | SetLinkInfoEvent
  | CircuitStatusEvent
  | WanErrorNotifyEvent;

/** Send these bytes to the peer; a pair is header + payload for a vectored send (no copy). */
export interface TransmitOutput {
  readonly type: 'transmit';
  readonly packet: Uint8Array | readonly [Uint8Array, Uint8Array];
}

/** A data payload for session `sessionId`: a view into the received datagram (copy to keep). */
export interface FrameOutput {
  readonly type: 'frame';
  readonly sessionId: number;
  readonly frame: Uint8Array;
  /**
   * v3 AAL5 SDU mode only (present there, absent elsewhere): the frame's ATM-Specific Sublayer
   * bits B/E/T/G/C/U as received (RFC 4454 §4.1; `decodeAtmSublayerFlags` names them). T = 1:
   * `frame` is one 52-octet admin cell.
   */
  readonly atmFlags?: number;
}

/** An event for the host. */
export interface EventOutput {
  readonly type: 'event';
  readonly event: EngineEvent;
}

/** One thing the host must do; outputs are returned in the order they must be performed. */
export type EngineOutput = TransmitOutput | FrameOutput | EventOutput;

/** Who wins when our SCCRQ and the peer's cross (RFC 2661 §4.4.3). */
export type TieBreakOutcome = 'local-wins' | 'peer-wins' | 'both-lose' | 'no-tie';

/**
 * RFC 2661 §4.4.3: the lower Tie Breaker wins; equal values make both lose; a side that sent
 * one wins against a side that did not; with none on either side there is no tie (two tunnels).
 */
export function compareTieBreakers(
  local: bigint | undefined,
  peer: bigint | undefined,
): TieBreakOutcome {
  if (local === undefined) return peer === undefined ? 'no-tie' : 'peer-wins';
  if (peer === undefined) return 'local-wins';
  return local < peer ? 'local-wins' : local > peer ? 'peer-wins' : 'both-lose';
}

/** Counters and current values of one engine. */
export interface TunnelEngineStats {
  readonly state: TunnelState;
  readonly localTunnelId: number;
  readonly peerTunnelId: number;
  readonly sessions: number;
  readonly datagramsReceived: number;
  /** Datagrams dropped as unreadable (DecodeError) or not for this tunnel / version. */
  readonly datagramsDropped: number;
  /** Control messages that broke a rule (ProtocolError), answered with StopCCN/CDN. */
  readonly protocolErrors: number;
  /** Messages ignored: unknown M=0 types, unsupported extensions, calls we do not know. */
  readonly messagesIgnored: number;
  /**
   * Control messages not queued because the peer let the send queue reach its bound (4 per
   * `maxSessions` + 64) without acknowledging; the tunnel is then cleared (StopCCN 2/4).
   */
  readonly controlDropped: number;
  readonly hellosSent: number;
  readonly framesSent: number;
  readonly framesReceived: number;
  /**
   * Data packets dropped: unknown or not established session, decode errors, and every
   * session's rx_errors and rx_invalid (sequencing, cookie, MRU, pseudowire framing).
   */
  readonly framesDropped: number;
  /** v3: received data packets whose cookie did not match ours (dropped, RFC 3931 §4.5). */
  readonly cookieMismatches: number;
  /**
   * v3: received control messages dropped because their Message Digest was missing or wrong
   * (RFC 3931 §5.4.1: MUST be dropped; not acknowledged, not answered).
   */
  readonly digestFailures: number;
  /** v3: frames not sent because the peer's circuit is not active (RFC 3931 §5.4.5). */
  readonly framesSuppressed: number;
  /**
   * The session counters (SessionStats) summed over every session this tunnel has had, live
   * and ended: the kernel's per-tunnel statistics.
   */
  readonly sessionTotals: SessionStats;
  readonly channel: ReliableChannelStats;
}

/** Options of a call opened with `openSession` (override the tunnel's `session` defaults). */
export interface OpenSessionOptions extends SessionOptions {
  /**
   * AVPs added to our messages of this call, e.g. relayed from another call by a tunnel switch:
   * `request` to the ICRQ / OCRQ, `connect` to the ICCN / OCCN. An AVP of a type the engine
   * writes itself (Call Serial Number, Called Number, Framing Type, Tx Connect Speed …) replaces
   * the engine's; the ids, Message Type, cookies and sublayer stay the engine's.
   */
  readonly extraAvps?: {
    readonly request?: readonly RawAvp[];
    readonly connect?: readonly RawAvp[];
  };
}

/** Why we clear a call (CDN): Result/Error Code and message, and AVPs to add to the CDN. */
export interface CloseReason extends Partial<ResultCodes> {
  /** Added to the CDN, e.g. a relayed Q.931 Cause Code or PPP Disconnect Cause (RFC 3145). */
  readonly avps?: readonly RawAvp[] | undefined;
}
