/**
 * TunnelEngine: the sans-I/O core of one control connection and its sessions, L2TPv2 (RFC 2661)
 * or L2TPv3 (RFC 3931, over UDP or IP). Composes the codec (src/codec, src/avp), the reliable
 * channel (src/seq/reliable.ts), the state machines (src/fsm) and per-session data sequencing
 * (src/seq/data.ts). No sockets, timers, clocks or Math.random: time comes in as `now`
 * (monotonic ms), randomness and hashing are injected.
 *
 * Contract (quinn/h11 style). Four families of methods:
 * - getters: `state`, `localTunnelId`, `peerTunnelId`, `stats()`, `sessionState(id)`;
 * - inputs: `handleDatagram(bytes, now)` for every datagram routed to this tunnel, and
 *   `handleTimeout(now)` whenever the clock reaches `nextDeadline()` (early or repeated calls are
 *   harmless no-ops);
 * - commands: `connect`, `openSession`, `closeSession`, `sendFrame`, `close`, `handleCollision`;
 * - outputs: every input and command returns `EngineOutput[]`, to be performed in order:
 *   `transmit` (send the bytes, or the `[header, payload]` pair, to the peer), `frame` (a data
 *   payload for the host; a view into the received datagram) and `event`.
 * After every call, re-arm the host's one timer from `nextDeadline()`. `now` must never go back.
 * Inputs never throw because of peer bytes: unreadable datagrams are counted and dropped, rule
 * violations are answered on the wire (StopCCN / CDN). Any other exception is a bug. Commands
 * throw UsageError on host misuse (unknown session, closed tunnel, bad options).
 *
 * A responder engine is made with `TunnelEngine.accept(sccrqBytes, now, options)`; an endpoint
 * demultiplexes datagrams by Tunnel ID and, on an SCCRQ while one of its initiators waits for an
 * SCCRP from the same peer, asks that initiator's `handleCollision` (RFC 2661 §4.4.3).
 * L2TPv3 routing: control messages by the header's 32-bit Control Connection ID (0 = SCCRQ);
 * data by the 32-bit Session ID alone (RFC 3931 §4.1), which is unique across the endpoint
 * (the engine allocates session ids through `isIdInUse('session', …)`); `sessionIds()` lists
 * them. Over IP, datagrams start at the L2TPv3 header (the IP header stripped).
 * Received datagrams held for reordering are kept by reference until delivered: don't reuse them.
 *
 * Data plane of each session: the kernel's ten counters (`sessionStats`, totals in `stats()`),
 * runtime options like the kernel's session socket options (`setSessionOptions`: SENDSEQ,
 * RECVSEQ, LNSMODE, REORDERTO, DEBUG, MTU/MRU), v2 PPP with FF 03 added on send and removed on
 * receive, P-bit frames without Ns delivered at once (RFC 2661 §3.1), v3 frames through the
 * pseudowire framer of the call's PW type (src/pw/framer.ts). ATM pseudowires (RFC 4454): the
 * ATM-Specific Sublayer negotiated like the Default one (AVP 69 value 2, §4.1), per-frame
 * T/G/C/U flags on AAL5 SDU sessions both ways (`atmFlags`), ATM Maximum Concatenated Cells
 * (AVP 86, §6) bounding cell-mode packets, OAM Emulation Required (AVP 87, §7).
 *
 * This file: the control connection (setup, authentication, the send queue, HELLO, StopCCN).
 * The calls' control side is in calls.ts, the data plane in data-path.ts.
 */

import createDebug from 'debug';
import {
  challengeResponse,
  verifyChallengeResponse,
  verifyMessageDigest,
  writeMessageDigest,
} from '../avp/auth.js';
import { padHiddenValuesTo } from '../avp/hidden.js';
import {
  type ControlMessage,
  encodeTypedAvps,
  type FieldName,
  fromTyped,
  type MessageFields,
  type TypedMessage,
  toTyped,
} from '../avp/messages.js';
import { avpsLength, encodeAvps, type RawAvp } from '../avp/raw.js';
import { stringValue } from '../avp/values.js';
import { readU16, readU32 } from '../codec/bytes.js';
import { parseControl, parseControlBody } from '../codec/control.js';
import { controlHeaderEnd } from '../codec/control-check.js';
import {
  CONTROL_HEADER_LENGTH,
  controlHeaderLength,
  decodeControlHeader,
  encodeControlHeader,
  HEADER_BITS,
} from '../codec/header.js';
import {
  AvpType,
  DEFAULT_RECEIVE_WINDOW_SIZE,
  GeneralError,
  MessageType,
  StopCcnResult,
} from '../constants.js';
import { ChannelError, DecodeError, ProtocolError, UsageError } from '../errors.js';
import type { SessionState } from '../fsm/session.js';
import {
  stepTunnel,
  type TunnelAction,
  type TunnelEvent,
  type TunnelState,
} from '../fsm/tunnel.js';
import type { ResultCodes } from '../fsm/types.js';
import {
  checkRuntimeSessionOptions,
  type ResolvedTunnelEngineOptions,
  type RuntimeSessionOptions,
  resolveOptions,
  type SessionDataOptions,
  type TunnelEngineOptions,
} from '../options.js';
import { Fifo } from '../seq/fifo.js';
import { type ChannelOutput, ReliableChannel } from '../seq/reliable.js';
import { addStats, ZERO_SESSION_STATS } from '../stats.js';
import {
  announce,
  closeCall,
  downAllCalls,
  openCall,
  openWaitingCalls,
  routeSession,
  sendCircuitStatus,
  sessionError,
} from './calls.js';
import { DataPath } from './data-path.js';
import {
  clean,
  codesOf,
  messageTypeAt,
  rawAvpOf,
  rawU16,
  remoteSessionOf,
  resultValue,
  withExtraAvps,
} from './messages.js';
import {
  type Body,
  checkNow,
  DIGEST_AVP_OFFSET,
  EMPTY,
  type Inbound,
  type Outbound,
  PENDING_PER_SESSION,
  PENDING_TUNNEL_ALLOWANCE,
  type PeerInfo,
  readBigU64,
  SESSION_MESSAGES,
  type SessionRecord,
  statsOf,
  u32,
} from './records.js';
import {
  type CloseReason,
  compareTieBreakers,
  type EngineEvent,
  type EngineOutput,
  type OpenSessionOptions,
  type SendFrameOptions,
  type SessionStats,
  type SessionWire,
  type StopCcnOutcome,
  type TieBreakOutcome,
  type TunnelEngineStats,
} from './types.js';

// ---------------------------------------------------------------------------------------------

// Control-connection lines (messages in and out, retransmissions, state changes, drops), by
// namespace only: `DEBUG=l2tp:control` shows every tunnel's, with its peer when known.
const controlLog = createDebug('l2tp:control');
const NO_FIELDS: FieldName[] = [];
const NO_RECORDS: ReadonlyMap<number, SessionRecord> = new Map();
const RESOLVED = new WeakMap<TunnelEngineOptions, ResolvedTunnelEngineOptions>();
type ParseOptions = NonNullable<Parameters<typeof parseControl>[1]>;
const PARSE_OPTIONS = new WeakMap<ResolvedTunnelEngineOptions, ParseOptions>();

/** The sans-I/O engine of one control connection. See the file header for the contract. */
export class TunnelEngine {
  readonly #o: ResolvedTunnelEngineOptions;
  readonly #v3: boolean;
  /** v3 control message authentication is on (RFC 3931 §4.3). */
  readonly #auth: boolean;
  /** v3: our Control Message Authentication Nonce, when authenticating. */
  readonly #ourNonce: Uint8Array | undefined;
  #peerNonce: Uint8Array | undefined;
  /**
   * v3: our explicit ACK (Message Type 20, plus a zeroed digest when authenticating) after room
   * for the header; every transmission sends a copy.
   */
  readonly #ackPacket: Uint8Array | undefined;
  /** Octets of our control header (12; 16 for L2TPv3 over IP, with the zero Session ID). */
  readonly #controlHeaderLength: number;
  readonly #channel: ReliableChannel<Body>;
  // A shared empty map until the first call (see addSession); the data path reads the same.
  #sessions: Map<number, SessionRecord> = NO_RECORDS as Map<number, SessionRecord>;
  readonly #localTunnelId: number;
  #peerTunnelId = 0;
  #state: TunnelState = 'idle';
  #initiator = false;
  #dead = false;
  /** When the HELLO clock last restarted (activity, tunnel-up, a HELLO sent); §5.5. */
  #helloBase = 0;
  #ourChallenge: Uint8Array | undefined;
  #peerChallenge: Uint8Array | undefined;
  #peerAuthenticated = false;
  readonly #tieBreaker: bigint | undefined;
  #peer: PeerInfo | undefined;
  /** @internal The last Call Serial Number sent (calls.ts). */
  callSerial: number;
  // the inbound message being processed (for session routing and WEN/SLI)
  #current: Inbound | undefined;
  #out: EngineOutput[] = [];
  #pending = new Fifo<Outbound>();
  readonly #maxPending: number;
  /** The data plane of every session, their counters and reorder deadlines. */
  readonly #data: DataPath;
  /** Our StopCCN: whether it was transmitted, and whether the peer acknowledged it. */
  #stopSent = false;
  #stopAcked = false;
  // The peer as l2tp:control lines name it: a label, or an address formatted when a line is
  // written (no string per tunnel kept for logs that may never be on).
  #logLabel: string | { readonly address: string; readonly port: number };
  /** The peer overflowed the control queue during this input (see #send). */
  #overflow = false;
  /** We decided to send a StopCCN (it may still wait for the window). */
  #stopWanted = false;
  // counters
  #datagrams = 0;
  #dropped = 0;
  #protocolErrors = 0;
  #ignored = 0;
  #controlDropped = 0;
  #hellos = 0;
  #digestFailures = 0;
  /** Counters of the sessions that ended (sessionTotals). */
  #retired: SessionStats = ZERO_SESSION_STATS;

  /**
   * Creates an engine in the idle state. Call `connect` to send an SCCRQ, or use
   * `TunnelEngine.accept` for a tunnel the peer opens.
   * @throws UsageError on bad options.
   */
  constructor(options: TunnelEngineOptions) {
    // Tunnels made from one options object (an Endpoint's acceptTunnel) share one resolution.
    let resolved = RESOLVED.get(options);
    if (resolved === undefined) {
      resolved = resolveOptions(options);
      RESOLVED.set(options, resolved);
    }
    this.#o = resolved;
    this.#logLabel = resolved.logLabel;
    this.#v3 = this.#o.version === 3;
    this.#auth = this.#v3 && this.#o.authenticatePeer;
    this.#channel = new ReliableChannel<Body>(this.#o.channel);
    this.#maxPending = PENDING_PER_SESSION * this.#o.maxSessions + PENDING_TUNNEL_ALLOWANCE;
    this.#localTunnelId = this.#o.localTunnelId ?? this.#allocateId('tunnel');
    this.#data = new DataPath(this.#sessions, this.#localTunnelId, this.#o.version, this.#o.encap);
    this.#data.out = this.#out;
    // RFC 3931 §5.4.1: a cryptographically random nonce; at least 16 octets recommended.
    this.#ourNonce = this.#auth ? this.#random(16).slice(0, 16) : undefined;
    this.#controlHeaderLength = controlHeaderLength(this.#o.version, this.#o.encap);
    this.#ackPacket = this.#v3
      ? encodeTypedAvps(
          this.#withDigest({ type: 'ACK', version: 3 } as ControlMessage),
          this.#controlHeaderLength,
        )
      : undefined;
    const tb = this.#o.tieBreaker;
    this.#tieBreaker = tb === 'random' ? readBigU64(this.#random(8)) : tb;
    const serial = this.#random(4);
    this.callSerial = ((serial[0] as number) << 8) | (serial[1] as number);
  }

  /**
   * Creates a responder engine from a received SCCRQ and processes it (RFC 2661 §7.2.1:
   * idle + Receive SCCRQ). Never throws for bad bytes: an unusable first datagram leaves the
   * engine `closing` (StopCCN sent) or `closed`; the outputs say which.
   * @throws UsageError on bad options or `now`.
   */
  static accept(
    sccrq: Uint8Array,
    now: number,
    options: TunnelEngineOptions,
    logLabel?: string | { readonly address: string; readonly port: number },
  ): { engine: TunnelEngine; outputs: EngineOutput[] } {
    const engine = new TunnelEngine(options);
    if (logLabel !== undefined) engine.#logLabel = logLabel;
    const outputs = engine.handleDatagram(sccrq, now);
    if (engine.#state === 'idle') {
      // Not an SCCRQ at all (unreadable, a ZLB, ignorable): there never was a tunnel.
      engine.#state = 'closed';
      engine.#dead = true;
    }
    return { engine, outputs };
  }

  /** Protocol version of this control connection (2: RFC 2661, 3: RFC 3931). */
  get version(): 2 | 3 {
    return this.#o.version;
  }

  /** 'udp', or 'ip' for L2TPv3 over IP protocol 115 (RFC 3931 §4.1.1). */
  get encap(): 'udp' | 'ip' {
    return this.#o.encap;
  }

  /** Current control-connection state. */
  get state(): TunnelState {
    return this.#state;
  }

  /** Our Tunnel ID (non-zero). */
  get localTunnelId(): number {
    return this.#localTunnelId;
  }

  /** The peer's Tunnel ID, 0 until known. */
  get peerTunnelId(): number {
    return this.#peerTunnelId;
  }

  /**
   * @internal How `l2tp:control` lines name the peer (the Endpoint sets it after construction,
   * so that tunnels made from one options object share their resolved options).
   */
  set logLabel(label: string | { readonly address: string; readonly port: number }) {
    this.#logLabel = label;
  }

  /** What became of our StopCCN so far (final in the `tunnel-closed` event). */
  get stopCcnOutcome(): StopCcnOutcome {
    return this.#stopOutcome();
  }

  /** The Tie Breaker value we send in SCCRQ, if any. */
  get tieBreaker(): bigint | undefined {
    return this.#tieBreaker;
  }

  /**
   * Call state of one of our sessions (RFC 2661 §7.4, §7.5), or undefined when it does not exist
   * (any more). A LAC's call is `established` once it queued its ICCN/OCCN; frames may flow only
   * after `session-up`, when that message has left ({@link TunnelEngine.isSessionUp}).
   */
  sessionState(sessionId: number): SessionState | undefined {
    return this.#sessions.get(sessionId)?.state;
  }

  /**
   * @internal Test hook: throws unless every session's reorder deadline is filed in the heap
   * under its current value and the heap's earliest equals a scan of every session.
   */
  auditDeadlines(): void {
    this.#data.audit();
  }

  /** True between a session's `session-up` and its end: `sendFrame` accepts frames for it. */
  isSessionUp(sessionId: number): boolean {
    const rec = this.#sessions.get(sessionId);
    return rec?.announced === true && this.#state === 'established';
  }

  /** Our Session IDs of the live sessions. */
  sessionIds(): number[] {
    return [...this.#sessions.keys()];
  }

  /**
   * Earliest time (ms) at which `handleTimeout` has work: retransmission, delayed ack, HELLO,
   * end of the post-close hold, reorder expiry. Undefined when nothing is pending.
   */
  nextDeadline(): number | undefined {
    if (this.#dead) return undefined;
    let d = this.#channel.nextDeadline();
    const hello = this.#helloDue();
    if (hello !== undefined && (d === undefined || hello < d)) d = hello;
    // O(1) whatever the number of sessions: their reorder timers live in a heap.
    const sd = this.#data.nextDeadline();
    if (sd !== undefined && (d === undefined || sd < d)) d = sd;
    return d;
  }

  // RFC 2661 §5.5: a HELLO is due an interval after anything was last received (or sent as
  // HELLO). Activity only moves #helloBase, so a datagram costs no timer work.
  #helloDue(): number | undefined {
    const interval = this.#o.helloIntervalMs;
    if (this.#state !== 'established' || interval <= 0) return undefined;
    return Math.max(this.#helloBase, this.#data.lastActivity) + interval;
  }

  /** Runs everything due at `now`. Idempotent; harmless when early. */
  handleTimeout(now: number): EngineOutput[] {
    checkNow(now);
    if (this.#dead) return [];
    this.#perform(this.#channel.handleTimeout(now), now);
    const hello = this.#dead ? undefined : this.#helloDue();
    if (hello !== undefined && hello <= now) {
      // RFC 2661 §5.5: a HELLO after a period with nothing received; its loss is detected by
      // the reliable channel's retry budget.
      this.#helloBase = now;
      this.#hellos++;
      this.#send({ type: 'HELLO', version: this.#o.version } as ControlMessage, 0, now);
    }
    // Only the sessions whose reorder timer is due, earliest first.
    this.#data.handleTimeout(now);
    this.#flush(now, false);
    this.#afterOverflow(now);
    return this.#drain();
  }

  /**
   * Processes one datagram routed to this tunnel (control or data). Never throws for its
   * content: unreadable datagrams are counted and dropped (RFC 2661 §3.1).
   * @throws UsageError only for a non-finite `now` or a non-Uint8Array.
   */
  handleDatagram(bytes: Uint8Array, now: number): EngineOutput[] {
    checkNow(now);
    if (!(bytes instanceof Uint8Array)) throw new UsageError('datagram must be a Uint8Array');
    if (this.#dead) return [];
    this.#datagrams++;
    const encap = this.#o.encap;
    // Over IP a control message starts with the all-zero Session ID (RFC 3931 §4.1.1.2).
    const control =
      encap === 'ip'
        ? bytes.length >= 4 && readU32(bytes, 0) === 0
        : bytes.length >= 2 && ((bytes[0] as number) & 0x80) !== 0;
    if (!control) {
      this.#data.receive(bytes, now);
      return this.#drain();
    }
    // The header's fields are read in place once controlHeaderEnd has checked it (no objects).
    const start = encap === 'ip' ? 4 : 0;
    let end: number;
    try {
      end = controlHeaderEnd(bytes, encap);
      if (((bytes[start + 1] as number) & HEADER_BITS.VERSION) !== this.#o.version) {
        throw new DecodeError('L2TP_ERR_BAD_VERSION', `not L2TPv${this.#o.version}`);
      }
    } catch (err) {
      if (!(err instanceof DecodeError)) throw err;
      this.#dropped++;
      this.log('drop: %s', err.message);
      return [];
    }
    const v3 = this.#v3;
    const to = v3 ? readU32(bytes, start + 4) : readU16(bytes, 4);
    const ns = readU16(bytes, start + 8);
    const nr = readU16(bytes, start + 10);
    // 0, or (v2) 65535 from xl2tpd: a peer answering an SCCRQ it could not take (see Endpoint).
    const unnamed = to === 0 || (to === 0xffff && !v3 && this.#state === 'wait-ctl-reply');
    if (to !== this.#localTunnelId && !unnamed) {
      this.#dropped++;
      this.log('drop: addressed to tunnel %d', to);
      return [];
    }
    // RFC 3931 §5.4.1: check the digest before using anything in the message; drop on failure.
    if (this.#auth && !this.#digestValid(bytes.subarray(start, end))) {
      this.#digestFailures++;
      this.log('drop: Message Digest missing or wrong (RFC 3931 §5.4.1)');
      return [];
    }
    let message: ControlMessage | undefined;
    let error: ProtocolError | undefined;
    try {
      const avpStart = start + CONTROL_HEADER_LENGTH;
      message = parseControlBody(bytes, avpStart, end, this.#o.version, this.#parseOptions());
    } catch (err) {
      if (err instanceof ProtocolError) error = err;
      else if (err instanceof DecodeError) {
        this.#dropped++;
        this.log('drop: %s', err.message);
        return [];
      } else throw err;
    }
    this.log(
      'rx %s Ns %d Nr %d%s',
      message?.type ?? 'unreadable message',
      ns,
      nr,
      error === undefined ? '' : ` (${error.message})`,
    );
    if (message?.type === 'SCCRQ' && this.#initiator) {
      // An SCCRQ never belongs to our own sequence: it is a collision (RFC 2661 §4.4.3).
      this.#collision(message as TypedMessage<'SCCRQ', 2>, now);
      return this.#drain();
    }
    this.#touch(now);
    // RFC 3931 §4.2, §6.15: an ACK takes no sequence slot; a ZLB may serve as one.
    const bare = message?.type === 'ZLB' || (v3 && message?.type === 'ACK');
    const sid = v3 ? remoteSessionOf(message, bytes, encap) : readU16(bytes, 6);
    const body: Body | undefined = bare ? undefined : { dir: 'in', sid, message, error, bytes };
    this.#perform(this.#channel.receive({ ns, nr, body }, now), now);
    this.#flush(now, false); // acknowledgements may have opened the window
    this.#afterOverflow(now);
    return this.#drain();
  }

  /**
   * Initiator: sends the SCCRQ (RFC 2661 §5.1, §7.2.1 idle + Local Open request).
   * @throws UsageError unless the engine is idle.
   */
  connect(now: number): EngineOutput[] {
    checkNow(now);
    if (this.#state !== 'idle') throw new UsageError(`connect() in state ${this.#state}`);
    this.#initiator = true;
    this.#tunnel({ event: 'open' }, now);
    return this.#drain();
  }

  /**
   * An SCCRQ from the peer we are connecting to crossed ours. Decides the tie (RFC 2661
   * §4.4.3); when we lose, this tunnel is silently discarded (tunnel-down `tie-breaker`, and
   * session-down for calls waiting on it, which the host re-opens on the winner's tunnel).
   * `peer-wins`: accept the SCCRQ with `TunnelEngine.accept`. `local-wins` and `both-lose`:
   * drop it. `no-tie` (no SCCRQ outstanding, or no Tie Breaker anywhere): treat it as a new
   * tunnel. Never throws for the bytes (unreadable → `no-tie`).
   */
  handleCollision(
    sccrq: Uint8Array,
    now: number,
  ): { outcome: TieBreakOutcome; outputs: EngineOutput[] } {
    checkNow(now);
    let message: ControlMessage | undefined;
    try {
      // v3 with authentication: an SCCRQ without a valid digest is no SCCRQ at all (§5.4.1).
      if (this.#auth) {
        const { end } = decodeControlHeader(sccrq, this.#o.encap);
        const start = this.#o.encap === 'ip' ? 4 : 0;
        if (!this.#digestValid(sccrq.subarray(start, end))) throw new Error('bad digest');
      }
      message = parseControl(sccrq, this.#parseOptions()).message;
    } catch {
      message = undefined;
    }
    if (message?.type !== 'SCCRQ' || message.version !== this.#o.version) {
      return { outcome: 'no-tie', outputs: [] };
    }
    const outcome = this.#collision(message as TypedMessage<'SCCRQ', 2>, now);
    return { outcome, outputs: this.#drain() };
  }

  /**
   * Opens a call: as LAC an incoming call (ICRQ/ICRP/ICCN, RFC 2661 §5.2.1), as LNS an outgoing
   * call (OCRQ/OCRP/OCCN, §5.2.2). Before the tunnel is up the call waits for it (and an idle
   * initiator connects). Returns our Session ID; `session-up` follows when established.
   * @throws UsageError when the tunnel is closing/closed, at maxSessions, or on bad options.
   */
  openSession(
    now: number,
    options?: OpenSessionOptions,
  ): { sessionId: number; outputs: EngineOutput[] } {
    checkNow(now);
    const rec = openCall(this, now, options);
    if (this.#state === 'idle') {
      this.#initiator = true;
      this.#tunnel({ event: 'open' }, now); // the call waits for tunnel-up
    }
    return { sessionId: rec.id, outputs: this.#drain() };
  }

  /**
   * Closes a call: CDN with `reason` (default Result 3, administrative; RFC 2661 §5.6), or just
   * forgets it while it still waits for the tunnel.
   * @throws UsageError for an unknown session.
   */
  closeSession(sessionId: number, now: number, reason?: CloseReason): EngineOutput[] {
    checkNow(now);
    closeCall(this, sessionId, now, reason);
    return this.#drain();
  }

  /**
   * Sends one data frame on an established session. Returns one `transmit` whose packet is
   * `[header, frame]` (the frame is not copied; the header is fresh and owned by the host); Ns is
   * stamped when the session sequences. v2: the header ends with the PPP address/control octets
   * FF 03 unless `pppAddressControl` is off or the frame starts with them. v3: the frame must
   * pass the pseudowire framer's check, and the framer's `txPrefix` ends the header. Returns no
   * output when the frame is dropped: longer than the MTU or refused by the framer (tx_errors),
   * or the v3 peer's circuit is down (framesSuppressed). AAL5 SDU sessions: `atmFlags` fills
   * the ATM-Specific Sublayer (RFC 4454 §4.1); a T = 1 frame other than 52 octets is dropped.
   * @throws UsageError when the session is unknown or not established, `priority` on v3, or
   *   `atmFlags` outside 0x3f or on a session that is not AAL5 SDU mode.
   */
  sendFrame(
    sessionId: number,
    frame: Uint8Array,
    now: number,
    options?: SendFrameOptions,
  ): EngineOutput[] {
    checkNow(now);
    const rec = this.#sessions.get(sessionId);
    if (rec === undefined || !rec.announced || this.#state !== 'established') {
      // Before session-up the peer may not know the call yet (our ICCN still waits): refused.
      throw new UsageError(`session ${sessionId} is not established`);
    }
    return this.#data.sendFrame(rec, frame, options);
  }

  /**
   * @internal `handleDatagram`'s common case for L2TPv2 data, without output arrays or objects
   * (the shell calls it per datagram): returns the frame to deliver, a view into `bytes` whose
   * session `rxSessionId` names; undefined when the datagram was taken with nothing to deliver
   * (a frame over the MRU, counted); null when `handleDatagram` must take it instead — anything
   * but an L2TPv2 data message without L, O or P bits, in order (or unsequenced with nothing
   * held) for an established session with debug output off. Counts as `handleDatagram` would.
   */
  receiveDataOne(bytes: Uint8Array, now: number): Uint8Array | undefined | null {
    const frame = this.#data.receiveOne(bytes, now);
    if (frame !== null) this.#datagrams++;
    return frame;
  }

  /** @internal The Session ID of the frame `receiveDataOne` returned last. */
  get rxSessionId(): number {
    return this.#data.rxSessionId;
  }

  /**
   * @internal `sendFrame`'s common case for L2TPv2 without output arrays: the packet to send
   * (`[header, frame]`, or one array with the header written before the frame when `inPlace`),
   * or null when `sendFrame` must handle the call (v3, P bit, over the MTU, debug output on,
   * not established — it then counts, logs or throws as documented).
   * @throws UsageError when `inPlace` and fewer octets than the header precede the frame.
   */
  sendDataOne(
    sessionId: number,
    frame: Uint8Array,
    inPlace: boolean | 'if-room',
  ): Uint8Array | readonly [Uint8Array, Uint8Array] | null {
    return this.#data.sendOne(sessionId, frame, inPlace);
  }

  /**
   * Counts a failed transmission of a data frame in the session's tx_errors (the host's socket
   * refused what `sendFrame` returned). Unknown sessions are ignored.
   */
  countTxError(sessionId: number): void {
    const rec = this.#sessions.get(sessionId);
    if (rec !== undefined) rec.d.txErrors++;
  }

  /** The counters of a live session (see SessionStats), or undefined when there is none. */
  sessionStats(sessionId: number): SessionStats | undefined {
    const rec = this.#sessions.get(sessionId);
    return rec === undefined ? undefined : statsOf(rec);
  }

  /** The current data-plane options of a live session, or undefined when there is none. */
  sessionOptions(sessionId: number): SessionDataOptions | undefined {
    const rec = this.#sessions.get(sessionId);
    return rec === undefined ? undefined : this.#data.options(rec);
  }

  /**
   * What a session puts on the wire, as `ip l2tp show session` reports it: the pseudowire type,
   * the sublayers each way and the cookies (v3; a v2 session is PPP without sublayer or cookie).
   * `cookie` is what we send (the peer's Assigned Cookie), `peerCookie` what received data must
   * carry (ours) — the kernel's `cookie` / `peer_cookie`. Undefined for an unknown session.
   */
  sessionWire(sessionId: number): SessionWire | undefined {
    const rec = this.#sessions.get(sessionId);
    return rec === undefined ? undefined : this.#data.wire(rec);
  }

  /**
   * Changes a live session's data-plane options at runtime, like the kernel's session socket
   * options (SENDSEQ, RECVSEQ, LNSMODE, REORDERTO, DEBUG) and MTU/MRU. Omitted options keep their
   * value; all are validated before any takes effect. Sequencing state carries over: Ns numbering
   * resumes where it stopped and the expected Ns is kept. Changing RECVSEQ, LNSMODE or REORDERTO
   * releases the frames held for reordering (returned as `frame` outputs, in order, gaps
   * skipped). v3: SENDSEQ needs the peer's Default L2-Specific Sublayer, RECVSEQ ours (the Ns
   * lives there); LNSMODE is stored but has no effect; `pppAddressControl` applies to PPP
   * pseudowires (type 7).
   * @throws UsageError for an unknown session, an unknown or out-of-range option.
   */
  setSessionOptions(
    sessionId: number,
    options: RuntimeSessionOptions,
    now: number,
  ): EngineOutput[] {
    checkNow(now);
    const rec = this.#sessions.get(sessionId);
    if (rec === undefined) throw new UsageError(`no session ${sessionId}`);
    checkRuntimeSessionOptions(options);
    this.#data.configure(rec, options, now);
    return this.#drain();
  }

  /**
   * v3: advertises a new Circuit Status for a session with SLI (RFC 3931 §5.4.5, §6.14).
   * @throws UsageError on v2, or when the session is not established.
   */
  setCircuitStatus(sessionId: number, active: boolean, now: number): EngineOutput[] {
    checkNow(now);
    sendCircuitStatus(this, sessionId, active, now);
    return this.#drain();
  }

  /**
   * Sends a WAN-Error-Notify or Set-Link-Info for an established session carrying `avps` (e.g.
   * the Call Errors or ACCM of the same message on another call, relayed by a tunnel switch;
   * RFC 2661 §6.13, §6.14). The engine adds Message Type and, on L2TPv3, the session ids.
   * @throws UsageError when the session is not established; ChannelError L2TP_ERR_QUEUE_FULL.
   */
  notifyPeer(
    sessionId: number,
    type: 'WEN' | 'SLI',
    avps: readonly RawAvp[],
    now: number,
  ): EngineOutput[] {
    checkNow(now);
    const rec = this.#sessions.get(sessionId);
    if (rec === undefined || rec.state !== 'established' || this.#state !== 'established') {
      throw new UsageError(`session ${sessionId} is not established`);
    }
    this.#checkRoom('notifyPeer()');
    // Read as a typed message first: what the message requires must be among `avps`.
    const typeAvp: RawAvp = {
      mandatory: true,
      hidden: false,
      vendorId: 0,
      attributeType: AvpType.MessageType,
      value: Uint8Array.of(0, type === 'WEN' ? MessageType.WEN : MessageType.SLI),
    };
    let fields: ControlMessage;
    try {
      fields = toTyped([typeAvp, ...avps], this.#o.version, { acceptUnknownMandatoryAvps: true });
    } catch (err) {
      throw new UsageError(`notifyPeer(${type}): ${(err as Error).message}`);
    }
    const m = this.#v3
      ? { ...fields, localSessionId: rec.id, remoteSessionId: rec.peerId }
      : fields;
    this.#send(m as ControlMessage, this.#v3 ? 0 : rec.peerId, now, false, undefined, avps);
    return this.#drain();
  }

  /**
   * Closes the tunnel: StopCCN with `reason` (default Result 1, General request to clear) and
   * the post-close hold (RFC 2661 §5.7); all sessions go down. No-op when already closing.
   */
  close(now: number, reason?: Partial<ResultCodes>): EngineOutput[] {
    checkNow(now);
    const codes: ResultCodes = {
      resultCode: reason?.resultCode ?? StopCcnResult.GeneralClear,
      errorCode: reason?.errorCode,
      message: reason?.message,
    };
    // Before the peer ever answered (no SCCRP, so no Tunnel ID of its own): the StopCCN goes
    // once and the engine ends now, without the RFC 2661 §5.7 hold nobody would answer.
    const unanswered = this.#state === 'wait-ctl-reply' && this.#peerTunnelId === 0;
    this.#tunnel({ event: unanswered ? 'close-unanswered' : 'close', codes: clean(codes) }, now);
    return this.#drain();
  }

  /** A snapshot of counters. */
  stats(): TunnelEngineStats {
    const totals = this.#sessionTotals();
    return {
      state: this.#state,
      localTunnelId: this.#localTunnelId,
      peerTunnelId: this.#peerTunnelId,
      sessions: this.#sessions.size,
      datagramsReceived: this.#datagrams,
      datagramsDropped: this.#dropped,
      protocolErrors: this.#protocolErrors,
      messagesIgnored: this.#ignored,
      controlDropped: this.#controlDropped,
      hellosSent: this.#hellos,
      framesSent: this.#data.framesSent,
      framesReceived: this.#data.framesReceived,
      // Tunnel-level drops plus every session's (sequencing, cookie, MRU, invalid).
      framesDropped: this.#data.framesDropped + totals.rxErrors + totals.rxInvalid,
      cookieMismatches: totals.rxCookieDiscards,
      digestFailures: this.#digestFailures,
      framesSuppressed: this.#data.framesSuppressed,
      sessionTotals: totals,
      channel: this.#channel.stats(),
    };
  }

  #sessionTotals(): SessionStats {
    let t: SessionStats = { ...this.#retired }; // a snapshot the caller owns
    for (const rec of this.#sessions.values()) t = addStats(t, statsOf(rec));
    return t;
  }

  // -------------------------------------------------------------------------------------------
  // The calls' view of this engine (CallHost, calls.ts). @internal, not API: getters and thin
  // methods over the fields, so that a tunnel keeps nothing more for its calls.

  /** @internal */
  get resolvedOptions(): ResolvedTunnelEngineOptions {
    return this.#o;
  }

  /** @internal */
  get sessionRecords(): ReadonlyMap<number, SessionRecord> {
    return this.#sessions;
  }

  /** @internal */
  get peerInfo(): PeerInfo | undefined {
    return this.#peer;
  }

  /** @internal */
  get inbound(): Inbound | undefined {
    return this.#current;
  }

  /** @internal */
  random(n: number): Uint8Array {
    return this.#random(n);
  }

  /** @internal */
  allocateSessionId(): number {
    return this.#allocateId('session');
  }

  /**
   * One l2tp:control line, prefixed with the tunnel and its peer (the calls log through it too).
   * Up to four arguments and no rest parameter: this runs several times per message, and an
   * array per call is garbage (and TurboFan work) when the namespace is off, which it nearly
   * always is.
   * @internal
   */
  log(format: string, a?: unknown, b?: unknown, c?: unknown, d?: unknown): void {
    // biome-ignore lint/complexity/noArguments: the count only, without a rest array
    if (controlLog.enabled) this.#logN(arguments.length - 1, format, a, b, c, d);
  }

  /** @internal */
  pushEvent(event: EngineEvent): void {
    this.#event(event);
  }

  /** @internal */
  queueControl(
    m: ControlMessage,
    sessionId: number,
    now: number,
    essential?: boolean,
    announces?: SessionRecord,
    extra?: readonly RawAvp[],
  ): void {
    this.#send(m, sessionId, now, essential, announces, extra);
  }

  /** @internal */
  checkRoom(what: string): void {
    this.#checkRoom(what);
  }

  /** @internal */
  countIgnored(): void {
    this.#ignored++;
  }

  /** @internal */
  addSession(rec: SessionRecord): void {
    if (this.#sessions === NO_RECORDS) {
      this.#sessions = new Map();
      this.#data.sessions = this.#sessions;
    }
    this.#sessions.set(rec.id, rec);
  }

  /** @internal */
  endSession(rec: SessionRecord): void {
    this.#sessions.delete(rec.id);
    this.#data.forget(rec);
    if (!rec.d.retired) {
      rec.d.retired = true;
      this.#retired = addStats(this.#retired, statsOf(rec));
    }
  }

  // -------------------------------------------------------------------------------------------
  // Plumbing

  // Built once per resolved options (shared by the tunnels made from them): they never change,
  // and every control message is parsed with them.
  #parseOptions(): ParseOptions {
    const o = this.#o;
    let p = PARSE_OPTIONS.get(o);
    if (p === undefined) {
      p = {
        encap: o.encap,
        ...(o.secret === undefined ? {} : { secret: o.secret }),
        ...(o.crypto === undefined ? {} : { crypto: o.crypto }),
        acceptUnknownMandatoryAvps: o.tolerance.acceptUnknownMandatoryAvps,
      };
      PARSE_OPTIONS.set(o, p);
    }
    return p;
  }

  #drain(): EngineOutput[] {
    const out = this.#out;
    this.#out = [];
    this.#data.out = this.#out;
    return out;
  }

  #event(event: EngineEvent): void {
    this.#out.push({ type: 'event', event });
  }

  #random(n: number): Uint8Array {
    const r = this.#o.randomBytes(n);
    if (!(r instanceof Uint8Array) || r.length < n) {
      throw new UsageError(`randomBytes(${n}) returned ${r?.length} bytes`);
    }
    return r;
  }

  // Random non-zero id not in use here or elsewhere (isIdInUse): 16 bits on v2, 32 on v3
  // (RFC 3931 §5.4.3, §5.4.4); linear scan of the 16-bit space as fallback.
  #allocateId(kind: 'tunnel' | 'session'): number {
    // The common path (the first draw is free) runs the same code as a retry, so a rare
    // collision does not meet code without type feedback (a deoptimization of the caller).
    if (this.#v3) {
      let id = 0;
      for (let tries = 0; this.#idTaken(kind, id); tries++) {
        if (tries === 16) break;
        id = readU32(this.#random(4), 0);
      }
      if (!this.#idTaken(kind, id)) return id;
    }
    let id = 0;
    for (let tries = 0; this.#idTaken(kind, id); tries++) {
      if (tries === 16) break;
      id = readU16(this.#random(2), 0);
    }
    if (!this.#idTaken(kind, id)) return id;
    const start = readU16(this.#random(2), 0);
    for (let k = 0; k < 0x10000; k++) {
      const id = (start + k) & 0xffff;
      if (!this.#idTaken(kind, id)) return id;
    }
    throw new UsageError(`no free ${kind} id`);
  }

  // No closures per id: this runs for every call (issue #13, cheaper setup).
  #idTaken(kind: 'tunnel' | 'session', id: number): boolean {
    return (
      id === 0 || (kind === 'session' && this.#sessions.has(id)) || this.#o.isIdInUse(kind, id)
    );
  }

  // `n` arguments are given: debug would print a missing one as "undefined".
  #logN(n: number, format: string, a: unknown, b: unknown, c: unknown, d: unknown): void {
    const l = this.#logLabel;
    const label = typeof l === 'string' ? l : `${l.address}:${l.port}`;
    const prefix = `tunnel %d%s: ${format}`;
    const id = this.#localTunnelId;
    const peer = label === '' ? '' : ` ${label}`;
    if (n === 0) controlLog(prefix, id, peer);
    else if (n === 1) controlLog(prefix, id, peer, a);
    else if (n === 2) controlLog(prefix, id, peer, a, b);
    else if (n === 3) controlLog(prefix, id, peer, a, b, c);
    else controlLog(prefix, id, peer, a, b, c, d);
  }

  #touch(now: number): void {
    this.#helloBase = now;
  }

  // RFC 3931 §5.4.1: with authentication every message carries a Message Digest AVP right
  // after the Message Type; its digest octets are zeros here and filled in per transmission.
  #withDigest(message: ControlMessage): ControlMessage {
    if (!this.#auth) return message;
    const digestType = this.#o.digestType;
    const digest = new Uint8Array(digestType === 0 ? 16 : 20);
    return { ...message, messageDigest: { digestType, digest } } as ControlMessage;
  }

  // Builds and queues a control message on the reliable channel. `essential`: a CDN of one of
  // our calls or our StopCCN, which the bound never refuses (each exists at most once per call
  // or tunnel). `announces`: the call whose session-up waits for this message to leave.
  #send(
    m: ControlMessage,
    sessionId: number,
    now: number,
    essential = false,
    announces?: SessionRecord,
    extra?: readonly RawAvp[],
  ): void {
    if (!essential && this.#pending.length >= this.#maxPending) {
      // Only the peer can get us here (host commands check #hasRoom first): it makes us answer
      // and acknowledges nothing. Counted, and the tunnel is cleared once this input is done.
      this.#controlDropped++;
      this.#overflow = true;
      return;
    }
    const body: Outbound = {
      dir: 'out',
      sessionId,
      packet: this.#encodePacket(m, extra),
      sent: false,
      name: m.type,
      announces,
    };
    if (announces !== undefined) announces.connectPending = true;
    this.#pending.push(body);
    this.#flush(now, false);
  }

  // A message we send, with room for its control header (see Outbound.packet): the AVPs with
  // a digest placeholder (v3) and hidden fields (RFC 2661 §4.3). Plain messages, nearly all of
  // them, are encoded in one pass into the packet's array (encodeTypedAvps).
  #encodePacket(m: ControlMessage, extra?: readonly RawAvp[]): Uint8Array {
    const o = this.#o;
    const room = this.#controlHeaderLength;
    const message = this.#withDigest(m);
    const fields = message as MessageFields;
    const hide: FieldName[] =
      o.hiddenFields.length === 0
        ? NO_FIELDS
        : o.hiddenFields.filter((f) => fields[f] !== undefined);
    const plain = hide.length === 0 || o.secret === undefined || o.crypto === undefined;
    if (plain && extra === undefined) return encodeTypedAvps(message, room);
    const avps = plain
      ? fromTyped(message)
      : fromTyped(message, {
          hide,
          secret: o.secret,
          crypto: o.crypto,
          randomVector: this.#random(16).slice(0, 16),
          // RFC 2661 §4.3: random padding hides the value's length (l2tpns wants ≥ 8 octets).
          ...(o.hiddenValueMinLength === 0
            ? {}
            : { padding: padHiddenValuesTo(o.hiddenValueMinLength, (n) => this.#random(n)) }),
        });
    const all = extra === undefined ? avps : withExtraAvps(avps, extra);
    const packet = new Uint8Array(room + avpsLength(all));
    encodeAvps(all, packet, room);
    return packet;
  }

  // Host commands that queue a message refuse at the bound instead of queueing it.
  #checkRoom(what: string): void {
    if (this.#pending.length < this.#maxPending) return;
    throw new ChannelError(
      'L2TP_ERR_QUEUE_FULL',
      `${what}: ${this.#pending.length} control messages already wait for the peer's window`,
    );
  }

  // A peer that overflowed the queue (see #send) loses the tunnel: StopCCN Result 2, which the
  // bound always admits, and the RFC 2661 §5.7 hold.
  #afterOverflow(now: number): void {
    if (!this.#overflow) return;
    this.#overflow = false;
    if (this.#state === 'closing' || this.#state === 'closed') return;
    this.#tunnel(
      {
        event: 'protocol-error',
        codes: {
          resultCode: StopCcnResult.GeneralError,
          errorCode: GeneralError.InsufficientResources,
          message: `peer acknowledges nothing: ${this.#pending.length} control messages wait`,
        },
      },
      now,
    );
  }

  // Messages wait here, not in the channel, until the send window has room: a StopCCN can
  // then drop what was never transmitted, so nothing new follows it (RFC 2661 §5.7).
  #flush(now: number, force: boolean): void {
    const channel = this.#channel;
    while (this.#pending.length > 0 && !this.#dead) {
      if (force ? channel.state !== 'open' : !channel.windowOpen()) break;
      const body = this.#pending.shift() as Outbound;
      let outputs: ChannelOutput<Body>[];
      try {
        outputs = this.#channel.send(body, now);
      } catch (err) {
        if (!(err instanceof ChannelError)) throw err;
        this.#controlDropped++; // channel queue full: nothing to transmit
        continue;
      }
      this.#perform(outputs, now);
    }
  }

  // Not counted as drops: the tunnel is ending, and every call they belonged to goes down.
  #dropPending(): void {
    this.#pending.clear();
  }

  // A message sent beside the reliable channel (ZLB, v3 ACK, a last StopCCN); `shared`: the
  // packet is a template kept by the engine, sent as a copy.
  #oneOff(packet: Uint8Array, name: string, shared: boolean): Outbound {
    return { dir: 'out', sessionId: 0, packet, sent: shared, name, announces: undefined };
  }

  // Sends one transmission of `body` with the header for (Ns, Nr) written into its room.
  #transmitControl(body: Outbound, ns: number, nr: number): void {
    const packet = body.sent ? body.packet.slice() : body.packet;
    body.sent = true;
    if (this.#v3) {
      this.#transmitControlV3(packet, ns, nr, body.name);
      return;
    }
    const header = {
      version: 2,
      tunnelId: this.#peerTunnelId,
      sessionId: body.sessionId,
      ns,
      nr,
      length: packet.length,
    } as const;
    encodeControlHeader(header, packet, 0, 'udp');
    this.#out.push({ type: 'transmit', packet });
  }

  // RFC 3931 §3.2.1: the peer's Control Connection ID (0 until known); over IP the header is
  // preceded by the zero Session ID, which neither Length nor the digest covers (§4.1.1.2).
  #transmitControlV3(packet: Uint8Array, ns: number, nr: number, name: string): void {
    const encap = this.#o.encap;
    const start = encap === 'ip' ? 4 : 0;
    const length = packet.length - start;
    encodeControlHeader(
      { version: 3, connectionId: this.#peerTunnelId, ns, nr, length },
      packet,
      0,
      encap,
    );
    const { secret, crypto } = this.#o;
    if (this.#auth && secret !== undefined && crypto !== undefined) {
      // The digest covers the header too (Nr changes on retransmission): computed per send.
      // RFC 3931 §5.4.1: the SCCRQ digest uses no nonces.
      const nonces =
        name === 'SCCRQ'
          ? undefined
          : { local: this.#ourNonce ?? EMPTY, remote: this.#peerNonce ?? EMPTY };
      writeMessageDigest(packet.subarray(start), DIGEST_AVP_OFFSET, secret, nonces, crypto);
    }
    this.#out.push({ type: 'transmit', packet });
  }

  // RFC 3931 §5.4.1: verifies the digest of a received control message (`message` starts at
  // the T bit). The SCCRQ uses no nonces; an SCCRP brings the peer's nonce with it.
  #digestValid(message: Uint8Array): boolean {
    const { secret, crypto } = this.#o;
    if (secret === undefined || crypto === undefined || message.length < DIGEST_AVP_OFFSET) {
      return false; // a ZLB carries no digest: not allowed with authentication
    }
    const type = messageTypeAt(message);
    if (type === MessageType.SCCRQ) {
      return verifyMessageDigest(message, DIGEST_AVP_OFFSET, secret, undefined, crypto);
    }
    let remote = this.#peerNonce;
    if (remote === undefined && type === MessageType.SCCRP) {
      remote = rawAvpOf(message, AvpType.ControlMessageAuthenticationNonce, 'udp');
    }
    if (remote === undefined || this.#ourNonce === undefined) return false;
    const nonces = { local: this.#ourNonce, remote };
    return verifyMessageDigest(message, DIGEST_AVP_OFFSET, secret, nonces, crypto);
  }

  #perform(outputs: readonly ChannelOutput<Body>[], now: number): void {
    // Indexed loops on the per-message path: no iterator objects while cold, less to compile.
    for (let i = 0; i < outputs.length; i++) {
      const o = outputs[i] as ChannelOutput<Body>;
      if (this.#dead) return;
      switch (o.type) {
        case 'transmit': {
          const body = o.body;
          if (body.dir !== 'out') break;
          this.#transmitControl(body, o.ns, o.nr);
          this.log(
            '%s %s Ns %d Nr %d',
            o.retransmission ? 'retransmit' : 'tx',
            body.name,
            o.ns,
            o.nr,
          );
          if (o.retransmission) break;
          if (body.name === 'StopCCN') this.#stopSent = true;
          const rec = body.announces;
          if (rec?.connectPending) {
            rec.connectPending = false;
            if (rec.state === 'established') announce(this, rec);
          }
          break;
        }
        case 'ack':
          // ZLB (RFC 2661 §5.8), or an explicit ACK on v3 (RFC 3931 §4.2, §6.15).
          if (this.#ackPacket !== undefined) {
            this.#transmitControl(this.#oneOff(this.#ackPacket, 'ACK', true), o.ns, o.nr);
          } else {
            const zlb = new Uint8Array(this.#controlHeaderLength);
            this.#transmitControl(this.#oneOff(zlb, 'ZLB', false), o.ns, o.nr);
          }
          break;
        case 'deliver':
          if (o.body.dir === 'in') this.#onControl(o.body, now);
          break;
        case 'failed':
          this.log('gave up: %s', o.error.message);
          this.#tunnel({ event: 'channel-failed' }, now);
          break;
        case 'closed':
          // The hold ends quiet: everything we sent, the StopCCN included, was acknowledged.
          this.#stopAcked = this.#stopSent;
          this.#tunnel({ event: 'channel-closed' }, now);
          break;
      }
    }
  }

  // -------------------------------------------------------------------------------------------
  // Tunnel level

  #tunnel(input: { event: TunnelEvent; codes?: ResultCodes | undefined }, now: number): void {
    const step = stepTunnel(this.#state, input);
    if (step.state !== this.#state) this.log('%s → %s on %s', this.#state, step.state, input.event);
    this.#state = step.state;
    this.#data.established = step.state === 'established';
    const actions = step.actions;
    for (let i = 0; i < actions.length; i++) this.#tunnelAction(actions[i] as TunnelAction, now);
  }

  #tunnelAction(a: TunnelAction, now: number): void {
    switch (a.type) {
      case 'send':
        if (a.message === 'StopCCN') {
          this.#stopWanted = true;
          this.#dropPending(); // calls in the queue need no CDN: StopCCN clears them all
          // RFC 3931 §5.4.3: v3 names our id in Assigned Control Connection ID.
          const ours = this.#v3
            ? { assignedControlConnectionId: this.#localTunnelId }
            : { assignedTunnelId: this.#localTunnelId };
          const stop = {
            type: 'StopCCN',
            version: this.#o.version,
            ...ours,
            resultCode: resultValue(a.codes),
          } as ControlMessage;
          if (this.#state === 'closed') {
            // close-unanswered: sent once beside the channel (its window holds the SCCRQ), with
            // the next Ns; the engine ends at once, nothing will be retransmitted.
            const st = this.#channel.stats();
            const once = this.#oneOff(this.#encodePacket(stop), 'StopCCN', false);
            this.#transmitControl(once, st.nextNs, st.nr);
            this.#stopSent = true;
          } else this.#send(stop, 0, now, true);
        } else this.#send(this.#setupMessage(a.message), 0, now);
        break;
      case 'tunnel-up': {
        const p = this.#peer as PeerInfo;
        this.#helloBase = now;
        this.#event({
          type: 'tunnel-up',
          localTunnelId: this.#localTunnelId,
          peerTunnelId: this.#peerTunnelId,
          peerHostName: p.hostName,
          peerVendorName: p.vendorName,
          peerFirmwareRevision: p.firmwareRevision,
          peerFramingCapabilities: p.framingCapabilities,
          peerBearerCapabilities: p.bearerCapabilities,
          peerReceiveWindow: p.receiveWindow,
          // v3: every message that got us here carried a valid digest (RFC 3931 §4.3).
          peerAuthenticated: this.#peerAuthenticated || this.#auth,
          initiator: this.#initiator,
          version: this.#o.version,
          peerRouterId: p.routerId,
          peerPseudowireCapabilities: p.pseudowireCapabilities,
        });
        openWaitingCalls(this, p, now);
        break;
      }
      case 'tunnel-down':
        if (a.reason.by !== 'local' && a.reason.by !== 'error') this.#dropPending();
        downAllCalls(this, a.reason.by, now);
        this.#sessions.clear();
        this.#data.clear();
        this.#event({ type: 'tunnel-down', reason: a.reason });
        break;
      case 'hold':
        this.#flush(now, true); // the StopCCN joins the channel's queue before it closes
        // RFC 2661 §5.7: the receiver of a StopCCN holds state a full retransmission cycle (its
        // ZLB may be lost); the sender cleans up once its StopCCN is acknowledged.
        this.#perform(this.#channel.close(now, this.#stopWanted ? 0 : undefined), now);
        break;
      case 'discard':
      case 'release':
        this.#dead = true;
        this.#event({ type: 'tunnel-closed', stopCcn: this.#stopOutcome() });
        break;
      case 'route-session':
        if (this.#current !== undefined) routeSession(this, this.#current, now);
        break;
    }
  }

  #stopOutcome(): StopCcnOutcome {
    if (this.#stopAcked) return 'acknowledged';
    if (this.#stopSent) return 'unacknowledged';
    return this.#stopWanted ? 'not-sent' : 'none';
  }

  #setupMessage(type: 'SCCRQ' | 'SCCRP' | 'SCCCN'): ControlMessage {
    const o = this.#o;
    if (this.#v3) {
      if (type === 'SCCCN') return { type, version: 3 } as ControlMessage;
      // RFC 3931 §6.1, §6.2 (no Protocol Version, Framing or Challenge AVPs in v3).
      const m: Record<string, unknown> = {
        type,
        version: 3,
        hostName: stringValue(o.hostName),
        routerId: o.routerId,
        assignedControlConnectionId: this.#localTunnelId,
        pseudowireCapabilitiesList: o.pseudowireCapabilities,
        receiveWindowSize: o.channel.receiveWindow,
      };
      if (o.vendorName !== undefined) m.vendorName = stringValue(o.vendorName);
      if (type === 'SCCRQ' && this.#tieBreaker !== undefined) m.tieBreaker = this.#tieBreaker;
      // RFC 3931 §4.3: the nonce in SCCRQ/SCCRP announces control message authentication.
      if (this.#ourNonce !== undefined) m.controlMessageAuthenticationNonce = this.#ourNonce;
      return m as unknown as ControlMessage;
    }
    const secret = o.secret;
    const crypto = o.crypto;
    if (type === 'SCCCN') {
      const m: Record<string, unknown> = { type, version: 2 };
      if (this.#peerChallenge !== undefined && secret !== undefined && crypto !== undefined) {
        m.challengeResponse = challengeResponse(3, secret, this.#peerChallenge, crypto);
      }
      return m as unknown as ControlMessage;
    }
    const m: Record<string, unknown> = {
      type,
      version: 2,
      protocolVersion: { version: 1, revision: 0 },
      hostName: stringValue(o.hostName),
      framingCapabilities: o.framingCapabilities,
      assignedTunnelId: this.#localTunnelId,
      receiveWindowSize: o.channel.receiveWindow,
    };
    if (o.bearerCapabilities !== undefined) m.bearerCapabilities = o.bearerCapabilities;
    if (o.firmwareRevision !== undefined) m.firmwareRevision = o.firmwareRevision;
    if (o.vendorName !== undefined) m.vendorName = stringValue(o.vendorName);
    if (o.authenticatePeer) {
      this.#ourChallenge ??= this.#random(16).slice(0, 16);
      m.challenge = this.#ourChallenge;
    }
    if (type === 'SCCRQ' && this.#tieBreaker !== undefined) m.tieBreaker = this.#tieBreaker;
    if (type === 'SCCRP' && this.#peerChallenge !== undefined && secret && crypto) {
      m.challengeResponse = challengeResponse(2, secret, this.#peerChallenge, crypto);
    }
    return m as unknown as ControlMessage;
  }

  #collision(sccrq: TypedMessage<'SCCRQ', 2>, now: number): TieBreakOutcome {
    if (this.#state !== 'wait-ctl-reply') {
      this.#ignored++;
      return 'no-tie';
    }
    const outcome = compareTieBreakers(this.#tieBreaker, sccrq.tieBreaker);
    if (outcome === 'peer-wins' || outcome === 'both-lose')
      this.#tunnel({ event: 'lose-tie' }, now);
    return outcome;
  }

  #onControl(inb: Inbound, now: number): void {
    if (this.#state === 'closing' || this.#state === 'closed') return; // hold: ack only
    if (inb.error !== undefined) {
      this.#protocolErrors++;
      const err = inb.error;
      const codes = clean({
        resultCode: err.resultCode,
        errorCode: err.errorCode,
        message: err.message,
      });
      if (err.scope === 'session' && this.#state === 'established') {
        sessionError(this, inb, codes, now);
      } else {
        if (this.#peerTunnelId === 0) {
          this.#peerTunnelId = this.#v3
            ? u32(rawAvpOf(inb.bytes, AvpType.AssignedControlConnectionId, this.#o.encap) ?? EMPTY)
            : rawU16(inb.bytes, AvpType.AssignedTunnelId);
          this.#data.peerTunnelId = this.#peerTunnelId;
        }
        this.#tunnel({ event: 'protocol-error', codes }, now);
      }
      return;
    }
    const m = inb.message as ControlMessage;
    switch (m.type) {
      case 'SCCRQ':
        if (m.version === 3) this.#onSetupV3(m, now);
        else this.#onSccrq(m as TypedMessage<'SCCRQ', 2>, now);
        return;
      case 'SCCRP':
        if (m.version === 3) this.#onSetupV3(m, now);
        else this.#onSccrp(m as TypedMessage<'SCCRP', 2>, now);
        return;
      case 'SCCCN':
        if (m.version === 3)
          this.#tunnel({ event: 'recv-SCCCN-ok' }, now); // digest checked
        else this.#onScccn(m as TypedMessage<'SCCCN', 2>, now);
        return;
      case 'StopCCN':
        this.#tunnel(
          { event: 'recv-StopCCN', codes: codesOf((m as TypedMessage<'StopCCN', 2>).resultCode) },
          now,
        );
        return;
      case 'HELLO':
        this.#tunnel({ event: 'recv-HELLO' }, now);
        return;
      default:
        if (SESSION_MESSAGES.has(m.type)) {
          this.#current = inb;
          try {
            this.#tunnel({ event: 'recv-session' }, now);
          } finally {
            this.#current = undefined;
          }
          return;
        }
        this.#ignored++; // UNKNOWN (M=0) or an extension message we do not implement
    }
  }

  // RFC 3931 §7.2: SCCRQ in idle and SCCRP in wait-ctl-reply; other states: the table answers.
  #onSetupV3(m: TypedMessage<'SCCRQ', 3> | TypedMessage<'SCCRP', 3>, now: number): void {
    const fresh = m.type === 'SCCRQ' ? this.#state === 'idle' : this.#state === 'wait-ctl-reply';
    let bad: ResultCodes | undefined;
    if (fresh) {
      this.#peerTunnelId = m.assignedControlConnectionId;
      this.#data.peerTunnelId = this.#peerTunnelId;
      this.#peer = {
        hostName: m.hostName.text,
        vendorName: m.vendorName?.text,
        firmwareRevision: undefined,
        framingCapabilities: 0,
        bearerCapabilities: undefined,
        receiveWindow: m.receiveWindowSize ?? DEFAULT_RECEIVE_WINDOW_SIZE,
        routerId: m.routerId,
        pseudowireCapabilities: [...m.pseudowireCapabilitiesList],
      };
      if (m.receiveWindowSize !== undefined) {
        this.#perform(this.#channel.setPeerReceiveWindow(m.receiveWindowSize, now), now);
      }
      const nonce = m.controlMessageAuthenticationNonce;
      this.#peerNonce = nonce?.slice();
      // RFC 3931 §4.3: authentication is bidirectional, both sides or neither.
      if (this.#auth && nonce === undefined) {
        bad = {
          resultCode: StopCcnResult.NotAuthorized,
          message: 'no Control Message Authentication Nonce',
        };
      } else if (!this.#auth && nonce !== undefined) {
        bad = {
          resultCode: StopCcnResult.NotAuthorized,
          message: 'control message authentication asked, but no shared secret is configured',
        };
      }
    }
    const ok = bad === undefined;
    const event =
      m.type === 'SCCRQ'
        ? ok
          ? 'recv-SCCRQ-ok'
          : 'recv-SCCRQ-bad'
        : ok
          ? 'recv-SCCRP-ok'
          : 'recv-SCCRP-bad';
    this.#tunnel({ event, codes: bad }, now);
  }

  #learnPeer(m: TypedMessage<'SCCRQ', 2> | TypedMessage<'SCCRP', 2>, now: number): void {
    this.#peerTunnelId = m.assignedTunnelId;
    this.#data.peerTunnelId = this.#peerTunnelId;
    this.#peer = {
      hostName: m.hostName.text,
      vendorName: m.vendorName?.text,
      firmwareRevision: m.firmwareRevision,
      framingCapabilities: m.framingCapabilities,
      bearerCapabilities: m.bearerCapabilities,
      receiveWindow: m.receiveWindowSize ?? DEFAULT_RECEIVE_WINDOW_SIZE,
      routerId: undefined,
      pseudowireCapabilities: undefined,
    };
    if (m.receiveWindowSize !== undefined) {
      this.#perform(this.#channel.setPeerReceiveWindow(m.receiveWindowSize, now), now);
    }
    this.#peerChallenge = m.challenge === undefined ? undefined : m.challenge.slice();
  }

  // Version and challenge checks shared by SCCRQ and SCCRP; undefined when acceptable.
  #setupVerdict(m: TypedMessage<'SCCRQ', 2> | TypedMessage<'SCCRP', 2>): ResultCodes | undefined {
    const v = m.protocolVersion;
    if (v.version !== 1 || v.revision !== 0) {
      // Result 5: the Error Code carries the highest version we support (1.0).
      return {
        resultCode: StopCcnResult.UnsupportedVersion,
        errorCode: 0x0100,
        message: `protocol version ${v.version}.${v.revision} not supported`,
      };
    }
    if (m.challenge !== undefined && this.#o.secret === undefined) {
      return {
        resultCode: StopCcnResult.NotAuthorized,
        message: 'challenged, but no shared secret is configured',
      };
    }
    return undefined;
  }

  #onSccrq(m: TypedMessage<'SCCRQ', 2>, now: number): void {
    if (this.#state === 'idle') this.#learnPeer(m, now);
    const bad = this.#state === 'idle' ? this.#setupVerdict(m) : undefined;
    this.#tunnel(
      { event: bad === undefined ? 'recv-SCCRQ-ok' : 'recv-SCCRQ-bad', codes: bad },
      now,
    );
  }

  #onSccrp(m: TypedMessage<'SCCRP', 2>, now: number): void {
    if (this.#state !== 'wait-ctl-reply') {
      this.#tunnel({ event: 'recv-SCCRP-ok' }, now); // out of place: the table answers
      return;
    }
    this.#learnPeer(m, now);
    let bad = this.#setupVerdict(m);
    if (bad === undefined && this.#ourChallenge !== undefined) {
      bad = this.#checkResponse(2, m.challengeResponse);
    }
    this.#tunnel(
      { event: bad === undefined ? 'recv-SCCRP-ok' : 'recv-SCCRP-bad', codes: bad },
      now,
    );
  }

  #onScccn(m: TypedMessage<'SCCCN', 2>, now: number): void {
    let bad: ResultCodes | undefined;
    if (this.#state === 'wait-ctl-conn' && this.#ourChallenge !== undefined) {
      bad = this.#checkResponse(3, m.challengeResponse);
    }
    this.#tunnel(
      { event: bad === undefined ? 'recv-SCCCN-ok' : 'recv-SCCCN-bad', codes: bad },
      now,
    );
  }

  // RFC 2661 §5.1.1: a missing or wrong response disallows the tunnel (StopCCN Result 4).
  #checkResponse(type: 2 | 3, response: Uint8Array | undefined): ResultCodes | undefined {
    const { secret, crypto } = this.#o;
    const challenge = this.#ourChallenge;
    if (secret === undefined || crypto === undefined || challenge === undefined) return undefined;
    if (response === undefined) {
      return { resultCode: StopCcnResult.NotAuthorized, message: 'no Challenge Response' };
    }
    if (!verifyChallengeResponse(type, secret, challenge, response, crypto)) {
      return { resultCode: StopCcnResult.NotAuthorized, message: 'wrong Challenge Response' };
    }
    this.#peerAuthenticated = true;
    return undefined;
  }
}
