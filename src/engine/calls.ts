/**
 * The calls of one control connection: the control side of its sessions (RFC 2661 §5.2, §7.4,
 * §7.5; RFC 3931 §5.4.4, §5.4.5, §6.6–§6.14). Session records made, the call state machine
 * stepped and its actions performed (ICRQ … CDN, session-up/down, WEN, SLI), session messages
 * routed, the peer's calls accepted or refused.
 * Functions over their TunnelEngine (CallHost), not an object per tunnel: 100,000 tunnels.
 * Not here: the control connection and its queue (engine.ts), the data plane (data-path.ts).
 */

import type { ControlMessage, MessageFields, TypedMessage } from '../avp/messages.js';
import type { RawAvp } from '../avp/raw.js';
import { stringValue } from '../avp/values.js';
import { AvpType, CdnResult, DataSequencing, GeneralError, PseudowireType } from '../constants.js';
import { UsageError } from '../errors.js';
import {
  type SessionAction,
  type SessionEvent,
  type SessionKind,
  stepSession,
} from '../fsm/session.js';
import type { TunnelState } from '../fsm/tunnel.js';
import type { DownBy, ResultCodes } from '../fsm/types.js';
import {
  checkSessionOptionsV3,
  type IncomingSessionInfo,
  type ResolvedTunnelEngineOptions,
  resolveSessionOptions,
  sublayersOf,
} from '../options.js';
import { DataSequencer } from '../seq/data.js';
import {
  callMessageV3,
  circuitStatus,
  clean,
  codesOf,
  rawAvpOf,
  rawU16,
  resultValue,
  revealedAvps,
} from './messages.js';
import {
  ATM_CELL_MODES,
  choosePseudowire,
  type DataPlane,
  EMPTY,
  framerFor,
  type Inbound,
  type PeerInfo,
  type SessionRecord,
  SUBLAYER_KINDS,
  SUBLAYER_VALUES,
  sessionLog,
  sessionRecord,
  statsOf,
  u32,
  type V3Session,
} from './records.js';
import type { CloseReason, EngineEvent, OpenSessionOptions } from './types.js';

// The state machines' context, one per version (not an object per step).
const V2_CONTEXT = { version: 2 } as const;
const V3_CONTEXT = { version: 3 } as const;

/**
 * What the calls need of their TunnelEngine, which is the host (its members are internal):
 * getters over its fields and thin methods, so a tunnel carries nothing more for its calls.
 */
export interface CallHost {
  readonly version: 2 | 3;
  readonly encap: 'udp' | 'ip';
  readonly state: TunnelState;
  readonly localTunnelId: number;
  readonly resolvedOptions: ResolvedTunnelEngineOptions;
  /** Every live call by our Session ID (a shared empty map until the first: see addSession). */
  readonly sessionRecords: ReadonlyMap<number, SessionRecord>;
  readonly peerInfo: PeerInfo | undefined;
  /** The control message being processed (routing, WEN / SLI contents). */
  readonly inbound: Inbound | undefined;
  /** The last Call Serial Number sent. */
  callSerial: number;
  random(n: number): Uint8Array;
  allocateSessionId(): number;
  log(format: string, a?: unknown, b?: unknown, c?: unknown, d?: unknown): void;
  pushEvent(event: EngineEvent): void;
  /** Queues a control message (see TunnelEngine #send for `essential` and `announces`). */
  queueControl(
    m: ControlMessage,
    sessionId: number,
    now: number,
    essential?: boolean,
    announces?: SessionRecord,
    extra?: readonly RawAvp[],
  ): void;
  checkRoom(what: string): void;
  addSession(rec: SessionRecord): void;
  /** A call closed: out of the map and the data path, its counters into the totals. */
  endSession(rec: SessionRecord): void;
  countIgnored(): void;
}

type CallInput = { event: SessionEvent; codes?: ResultCodes | undefined; by?: DownBy };

const NO_EXTRA = {};

// callAvps: the AVPs of a received message, hidden values revealed.
function revealed(h: CallHost, inb: Inbound): readonly RawAvp[] {
  const o = h.resolvedOptions;
  return revealedAvps(inb.bytes, o.encap, o.version, o.secret, o.crypto);
}

// ---------------------------------------------------------------------------------------------
// Commands (TunnelEngine's openSession, closeSession, setCircuitStatus after checkNow)

/**
 * Our call (a LAC's incoming, an LNS's outgoing): made, and started when the tunnel is up. The
 * engine connects an idle initiator afterwards.
 */
export function openCall(
  h: CallHost,
  now: number,
  options: OpenSessionOptions | undefined,
): SessionRecord {
  const o = h.resolvedOptions;
  const state = h.state;
  if (state === 'closing' || state === 'closed') {
    throw new UsageError(`openSession() on a ${state} tunnel`);
  }
  if (h.sessionRecords.size >= o.maxSessions) {
    throw new UsageError(`maxSessions (${o.maxSessions}) reached`);
  }
  h.checkRoom('openSession()');
  const resolved = resolveSessionOptions(options, o.session);
  if (h.version === 3) {
    checkSessionOptionsV3(resolved);
    const caps = h.peerInfo?.pseudowireCapabilities;
    if (state === 'established' && !caps?.includes(resolved.pseudowireType)) {
      // RFC 3931 §5.4.4: never request a PW type the peer did not advertise.
      throw new UsageError(`the peer does not support pseudowire type ${resolved.pseudowireType}`);
    }
  }
  const rec = newSession(h, o.mode === 'lac' ? 'lac-ic' : 'lns-oc', 0, resolved);
  const extra = options?.extraAvps;
  if (extra !== undefined) rec.extra = { request: extra.request, connect: extra.connect };
  h.addSession(rec);
  stepCall(h, rec, { event: 'open' }, now);
  if (h.state === 'established') stepCall(h, rec, { event: 'tunnel-open' }, now);
  return rec;
}

/** `TunnelEngine.closeSession`: see there. */
export function closeCall(
  h: CallHost,
  sessionId: number,
  now: number,
  reason: CloseReason | undefined,
): void {
  const rec = h.sessionRecords.get(sessionId);
  if (rec === undefined) throw new UsageError(`no session ${sessionId}`);
  if (reason?.avps !== undefined && reason.avps.length > 0) {
    rec.extra ??= {};
    rec.extra.cdn = reason.avps;
  }
  const codes: ResultCodes = {
    resultCode: reason?.resultCode ?? CdnResult.Administrative,
    errorCode: reason?.errorCode,
    message: reason?.message,
  };
  stepCall(h, rec, { event: 'close', codes: clean(codes) }, now);
}

/** `TunnelEngine.setCircuitStatus`: see there. */
export function sendCircuitStatus(
  h: CallHost,
  sessionId: number,
  active: boolean,
  now: number,
): void {
  const rec = h.sessionRecords.get(sessionId);
  if (h.version !== 3) throw new UsageError('setCircuitStatus is L2TPv3 only');
  if (rec === undefined || rec.state !== 'established' || h.state !== 'established') {
    throw new UsageError(`session ${sessionId} is not established`);
  }
  h.checkRoom('setCircuitStatus()');
  h.queueControl(
    {
      type: 'SLI',
      version: 3,
      localSessionId: rec.id,
      remoteSessionId: rec.peerId,
      circuitStatus: circuitStatus(active),
    } as ControlMessage,
    0,
    now,
  );
}

// ---------------------------------------------------------------------------------------------
// The tunnel's events, as the calls see them

/** "Send tunnel-open event to waiting sessions" (RFC 2661 §7.2.1). */
export function openWaitingCalls(h: CallHost, peer: PeerInfo, now: number): void {
  const v3 = h.version === 3;
  for (const s of [...h.sessionRecords.values()]) {
    if (s.state !== 'wait-tunnel') continue;
    const type = s.options.pseudowireType;
    if (v3 && !peer.pseudowireCapabilities?.includes(type)) {
      // RFC 3931 §5.4.4: never request a PW type the peer did not advertise.
      const codes = {
        resultCode: CdnResult.UnsupportedPwType,
        message: `the peer does not support pseudowire type ${type}`,
      };
      stepCall(h, s, { event: 'close', codes }, now);
    } else stepCall(h, s, { event: 'tunnel-open' }, now);
  }
}

/** The tunnel went down: so does every call (the engine then clears the map). */
export function downAllCalls(h: CallHost, by: DownBy, now: number): void {
  for (const s of [...h.sessionRecords.values()]) {
    stepCall(h, s, { event: 'tunnel-down', by }, now);
  }
}

// ---------------------------------------------------------------------------------------------
// Records and the call state machine

function newSession(
  h: CallHost,
  kind: SessionKind,
  peerId: number,
  options: ResolvedTunnelEngineOptions['session'],
): SessionRecord {
  const id = h.allocateSessionId();
  const d: DataPlane = {
    recvSeq: options.requireSequenceNumbers,
    lnsMode: options.lnsMode ?? h.resolvedOptions.mode === 'lns',
    reorderTimeoutMs: options.reorderTimeoutMs,
    mtu: options.mtu,
    mru: options.mru,
    pppAddressControl: options.pppAddressControl,
    log: sessionLog(h.localTunnelId, id, options.debugMask),
    seenSeq: false,
    base: undefined,
    txPackets: 0,
    txBytes: 0,
    txErrors: 0,
    rxBytes: 0,
    rxPriority: 0,
    rxDropped: 0,
    rxCookie: 0,
    rxInvalid: 0,
    retired: false,
  };
  if (h.version === 3) {
    // v3: we send Ns only once the peer's sublayer can carry them (learnSessionV3).
    const seq = new DataSequencer<Uint8Array>({
      version: 3,
      sendSeq: false,
      recvSeq: d.recvSeq,
      reorderTimeoutMs: d.reorderTimeoutMs,
    });
    const n = options.cookieLength;
    const v3: V3Session = {
      cookie: n === 0 ? EMPTY : h.random(n).slice(0, n),
      rxSublayer: 'none',
      peerCookie: EMPTY,
      txSublayer: 'none',
      peerWantsSeq: false,
      peerCircuitActive: true,
      pwType: options.pseudowireType,
      framer: undefined,
      maxCells: undefined,
      peerMaxCells: undefined,
      rxAtmFlags: undefined,
    };
    // Our calls: checkSessionOptionsV3 vouched for the sublayer; the peer's get it set again.
    choosePseudowire(v3, options, options.pseudowireType, d.pppAddressControl);
    return sessionRecord(id, peerId, kind, options, seq, v3, d);
  }
  const seq = new DataSequencer<Uint8Array>({
    version: 2,
    lnsMode: d.lnsMode,
    sendSeq: options.sendSequenceNumbers || options.requireSequenceNumbers,
    recvSeq: d.recvSeq,
    reorderTimeoutMs: d.reorderTimeoutMs,
  });
  return sessionRecord(id, peerId, kind, options, seq, undefined, d);
}

/** One input to a call's state machine, its actions performed; a closed call is let go. */
export function stepCall(h: CallHost, rec: SessionRecord, input: CallInput, now: number): void {
  const step = stepSession(rec.kind, rec.state, input, h.version === 3 ? V3_CONTEXT : V2_CONTEXT);
  if (step.state !== rec.state) {
    h.log('session %d: %s → %s on %s', rec.id, rec.state, step.state, input.event);
  }
  rec.state = step.state;
  const actions = step.actions;
  for (let i = 0; i < actions.length; i++) sessionAction(h, rec, actions[i] as SessionAction, now);
  if (rec.state === 'closed') h.endSession(rec);
}

function sessionAction(h: CallHost, rec: SessionRecord, a: SessionAction, now: number): void {
  switch (a.type) {
    case 'send': {
      const cdn = a.message === 'CDN';
      const codes = cdn ? a.codes : undefined;
      // A request goes to session 0; everything else to the peer's id (0 if still unknown).
      const to = a.message === 'ICRQ' || a.message === 'OCRQ' ? 0 : rec.peerId;
      // Our ICCN / OCCN establishes the call at the peer: up is reported once it has left.
      const connect = a.message === 'ICCN' || a.message === 'OCCN';
      // AVPs the host relays through this call (extraAvps, CloseReason.avps).
      const x = rec.extra;
      const extra =
        x === undefined
          ? undefined
          : cdn
            ? x.cdn
            : connect
              ? x.connect
              : to === 0
                ? x.request
                : undefined;
      h.queueControl(
        callMessage(h, rec, a.message, codes),
        to,
        now,
        cdn,
        connect ? rec : undefined,
        extra !== undefined && extra.length > 0 ? extra : undefined,
      );
      break;
    }
    case 'session-up':
      // Up when the establishing message arrived (peer's ICCN/OCCN), or when ours has left:
      // the engine announces it when it transmits; if it already left (this very step), now.
      if (!rec.connectPending) announce(h, rec);
      break;
    case 'session-down': {
      // callAvps: the peer's CDN travels with the reason (a switch relays its causes).
      const inb = h.inbound;
      const reason =
        h.resolvedOptions.callAvps && a.reason.by === 'peer' && inb?.message?.type === 'CDN'
          ? { ...a.reason, avps: revealed(h, inb) }
          : a.reason;
      h.pushEvent({ type: 'session-down', sessionId: rec.id, reason, stats: statsOf(rec) });
      break;
    }
    case 'notify': {
      const m = h.inbound?.message;
      // callAvps: the message's AVPs travel with the event (a switch relays them).
      const avps = h.resolvedOptions.callAvps ? revealed(h, h.inbound as Inbound) : undefined;
      const x = avps === undefined ? NO_EXTRA : { avps };
      if (m?.type === 'SLI' && m.version === 3) {
        // RFC 3931 §5.4.5: a Circuit Status change (data towards an inactive peer stops).
        const status = m.circuitStatus;
        if (rec.v3 !== undefined) learnMaxCells(rec, rec.v3, m);
        if (status !== undefined && rec.v3 !== undefined) {
          rec.v3.peerCircuitActive = status.active;
          h.pushEvent({
            type: 'circuit-status',
            sessionId: rec.id,
            active: status.active,
            status,
            ...x,
          });
        }
      } else if (m?.type === 'WEN' && m.version === 3) {
        h.pushEvent({ type: 'wen', sessionId: rec.id, callErrors: m.callErrors, ...x });
      } else if (m?.type === 'SLI') {
        const accm = (m as TypedMessage<'SLI', 2>).accm;
        h.pushEvent({ type: 'sli', sessionId: rec.id, accm, ...x });
      } else if (m?.type === 'WEN') {
        const callErrors = (m as TypedMessage<'WEN', 2>).callErrors;
        h.pushEvent({ type: 'wen', sessionId: rec.id, callErrors, ...x });
      }
      break;
    }
  }
}

/** Reports session-up once per call. */
export function announce(h: CallHost, rec: SessionRecord): void {
  if (rec.announced) return;
  rec.announced = true;
  const call = rec.kind === 'lac-ic' || rec.kind === 'lns-ic' ? 'incoming' : 'outgoing';
  // callAvps: the peer's establishing message (ICCN/OCCN, being handled now), or its reply to
  // our request, kept until our ICCN/OCCN left.
  let avps: readonly RawAvp[] | undefined;
  if (h.resolvedOptions.callAvps) {
    const inb = h.inbound;
    const m = inb?.message?.type;
    avps =
      inb !== undefined && (m === 'ICCN' || m === 'OCCN')
        ? revealed(h, inb)
        : (rec.extra?.reply ?? []);
    if (rec.extra !== undefined) rec.extra.reply = undefined;
  }
  const event: Extract<EngineEvent, { type: 'session-up' }> = {
    type: 'session-up',
    sessionId: rec.id,
    peerSessionId: rec.peerId,
    call,
    sequencing: rec.seq.sendSeq,
  };
  if (avps !== undefined) (event as { avps?: readonly RawAvp[] }).avps = avps;
  h.pushEvent(event);
}

function callMessage(
  h: CallHost,
  rec: SessionRecord,
  type: string,
  codes: ResultCodes | undefined,
): ControlMessage {
  const s = rec.options;
  if (rec.v3 !== undefined) return callMessageV3(rec, rec.v3, type, codes, () => nextSerial(h));
  const m: Record<string, unknown> = { type, version: 2 };
  switch (type) {
    case 'ICRQ':
      m.assignedSessionId = rec.id;
      m.callSerialNumber = nextSerial(h);
      if (s.bearerType !== 0) m.bearerType = s.bearerType;
      if (s.callingNumber !== undefined) m.callingNumber = stringValue(s.callingNumber);
      if (s.calledNumber.length > 0) m.calledNumber = stringValue(s.calledNumber);
      break;
    case 'OCRQ':
      m.assignedSessionId = rec.id;
      m.callSerialNumber = nextSerial(h);
      m.minimumBps = s.minimumBps;
      m.maximumBps = s.maximumBps;
      m.bearerType = s.bearerType;
      m.framingType = s.framingType;
      m.calledNumber = stringValue(s.calledNumber);
      break;
    case 'ICRP':
    case 'OCRP':
      m.assignedSessionId = rec.id;
      break;
    case 'ICCN':
    case 'OCCN':
      m.txConnectSpeed = s.connectSpeedBps;
      m.framingType = s.framingType;
      if (s.requireSequenceNumbers) m.sequencingRequired = null;
      break;
    case 'CDN':
      m.assignedSessionId = rec.id;
      m.resultCode = resultValue(codes ?? { resultCode: CdnResult.Administrative });
      break;
  }
  return m as unknown as ControlMessage;
}

function nextSerial(h: CallHost): number {
  h.callSerial = (h.callSerial + 1) >>> 0;
  return h.callSerial;
}

// ---------------------------------------------------------------------------------------------
// Session messages in

/** A session-scoped ProtocolError: CDN for a known call, or a bare CDN for a new one. */
export function sessionError(h: CallHost, inb: Inbound, codes: ResultCodes, now: number): void {
  const rec = inb.sid === 0 ? undefined : h.sessionRecords.get(inb.sid);
  if (rec !== undefined) {
    stepCall(h, rec, { event: 'protocol-error', codes }, now);
    return;
  }
  const peerId =
    h.version === 3
      ? u32(rawAvpOf(inb.bytes, AvpType.LocalSessionId, h.encap) ?? EMPTY)
      : rawU16(inb.bytes, AvpType.AssignedSessionId);
  if (peerId === 0 && inb.sid !== 0) {
    h.countIgnored(); // a message for a call we do not know; nobody to answer
    return;
  }
  bareCdn(h, peerId, codes, now);
}

function bareCdn(h: CallHost, peerSessionId: number, codes: ResultCodes, now: number): void {
  if (h.version === 3) {
    // RFC 3931 §6.12: both ids; ours is 0 when we never allocated one.
    const cdn = {
      type: 'CDN',
      version: 3,
      localSessionId: 0,
      remoteSessionId: peerSessionId,
      resultCode: resultValue(codes),
    };
    h.queueControl(cdn as ControlMessage, 0, now);
    return;
  }
  h.queueControl(
    {
      type: 'CDN',
      version: 2,
      assignedSessionId: 0,
      resultCode: resultValue(codes),
    } as ControlMessage,
    peerSessionId,
    now,
  );
}

/** A session message the tunnel's state machine let through: to its call, or a new call. */
export function routeSession(h: CallHost, inb: Inbound, now: number): void {
  const m = inb.message as ControlMessage;
  if (m.type === 'ICRQ' || m.type === 'OCRQ') {
    incomingCall(h, m as IncomingSessionInfo['request'], now);
    return;
  }
  const sessions = h.sessionRecords;
  let rec = inb.sid === 0 ? undefined : sessions.get(inb.sid);
  if (rec === undefined && m.version === 3 && inb.sid === 0) {
    // RFC 3931 §5.4.4: Remote Session ID 0 → reverse lookup by the sender's Local Session ID.
    const peer = (m as { localSessionId?: number }).localSessionId;
    for (const s of sessions.values()) if (peer !== 0 && s.peerId === peer) rec = s;
  } else if (rec === undefined && m.type === 'CDN') {
    const peer = (m as TypedMessage<'CDN', 2>).assignedSessionId;
    for (const s of sessions.values()) if (peer !== 0 && s.peerId === peer) rec = s;
  }
  if (rec === undefined) {
    // Idle rows: an LNS answers a stray ICRP with CDN (§7.4.2), a LAC a stray OCRP (§7.5.1),
    // so the peer frees its side; a reply to a call we gave up on (the LAC's ICRP, §7.4.1;
    // the LNS's OCRP, §7.5.2), ICCN, OCCN, CDN, WEN and SLI are just cleaned up.
    const lns = h.resolvedOptions.mode === 'lns';
    if ((m.type === 'ICRP' && lns) || (m.type === 'OCRP' && !lns)) {
      const peerId =
        m.version === 3 ? m.localSessionId : (m as TypedMessage<'ICRP', 2>).assignedSessionId;
      bareCdn(
        h,
        peerId,
        {
          resultCode: CdnResult.GeneralError,
          errorCode: GeneralError.InvalidSessionId,
          message: `no session ${inb.sid}`,
        },
        now,
      );
    } else h.countIgnored();
    return;
  }
  switch (m.type) {
    case 'ICRP':
    case 'OCRP': {
      const expected = m.type === 'ICRP' ? 'lac-ic' : 'lns-oc';
      let bad: ResultCodes | undefined;
      if (rec.kind === expected && rec.state === 'wait-reply') {
        if (h.resolvedOptions.callAvps) {
          rec.extra ??= {};
          rec.extra.reply = revealed(h, inb);
        }
        if (m.version === 3) {
          rec.peerId = m.localSessionId;
          bad = learnSessionV3(rec, m);
        } else rec.peerId = (m as TypedMessage<'ICRP', 2>).assignedSessionId;
      }
      const event = `recv-${m.type}-${bad === undefined ? 'ok' : 'bad'}` as const;
      stepCall(h, rec, { event, codes: bad }, now);
      break;
    }
    case 'ICCN':
    case 'OCCN': {
      let bad: ResultCodes | undefined;
      if (m.version === 3) {
        if (rec.state === 'wait-connect') bad = learnSessionV3(rec, m);
      } else if ((m as TypedMessage<'ICCN', 2>).sequencingRequired !== undefined) {
        // RFC 2661 §4.4.6: Sequencing Required obliges us to send Ns for the whole session.
        rec.seq.setSendSeq(true);
      }
      const event = `recv-${m.type}-${bad === undefined ? 'ok' : 'bad'}` as const;
      stepCall(h, rec, { event, codes: bad }, now);
      break;
    }
    case 'CDN':
      stepCall(h, rec, { event: 'recv-CDN', codes: codesOf(m.resultCode) }, now);
      break;
    case 'WEN':
    case 'SLI':
      stepCall(h, rec, { event: `recv-${m.type}` }, now);
      break;
    default:
      h.countIgnored();
  }
}

function incomingCall(h: CallHost, m: IncomingSessionInfo['request'], now: number): void {
  const o = h.resolvedOptions;
  const call = m.type === 'ICRQ' ? 'incoming' : 'outgoing';
  const kind: SessionKind = m.type === 'ICRQ' ? 'lns-ic' : 'lac-oc';
  const peerSessionId = m.version === 3 ? m.localSessionId : m.assignedSessionId;
  if (h.sessionRecords.size >= o.maxSessions) {
    bareCdn(
      h,
      peerSessionId,
      { resultCode: CdnResult.NoFacilitiesTemporary, message: 'session limit reached' },
      now,
    );
    return;
  }
  const rec = newSession(h, kind, peerSessionId, o.session);
  const avps = o.callAvps ? revealed(h, h.inbound as Inbound) : undefined;
  let refusal: ResultCodes | undefined;
  if (m.version === 3) {
    // The call's pseudowire is the one the peer asks for (ours is only a default).
    const p = rec.v3 as V3Session;
    choosePseudowire(p, rec.options, m.pseudowireType, rec.d.pppAddressControl);
    // RFC 3931 §5.4.4: a PW type we did not advertise is refused with Result 14.
    if (!o.pseudowireCapabilities.includes(m.pseudowireType)) {
      refusal = {
        resultCode: CdnResult.UnsupportedPwType,
        message: `pseudowire type ${m.pseudowireType} not supported`,
      };
    } else refusal = learnSessionV3(rec, m);
  }
  // Without a hook: an LNS takes incoming calls, a LAC places outgoing ones (RFC 2661 §5.2).
  const hook = o.acceptSession;
  const verdict =
    refusal !== undefined
      ? refusal
      : hook === undefined
        ? (call === 'incoming') === (o.mode === 'lns')
        : hook(incomingInfo(rec, call, m, avps));
  const accepted = verdict === true;
  const codes: ResultCodes | undefined =
    verdict === true
      ? undefined
      : verdict === false
        ? { resultCode: CdnResult.Administrative, message: 'call refused' }
        : verdict;
  const event: Extract<EngineEvent, { type: 'incoming-session' }> = {
    type: 'incoming-session',
    sessionId: rec.id,
    peerSessionId: rec.peerId,
    call,
    accepted,
  };
  if (avps !== undefined) (event as { avps?: readonly RawAvp[] }).avps = avps;
  h.pushEvent(event);
  if (accepted) h.addSession(rec);
  const input =
    m.type === 'ICRQ'
      ? accepted
        ? 'recv-ICRQ-ok'
        : 'recv-ICRQ-bad'
      : accepted
        ? 'recv-OCRQ-ok'
        : 'recv-OCRQ-bad';
  stepCall(h, rec, { event: input, codes: accepted ? undefined : codes }, now);
  // The LAC's bearer is virtual: the outgoing call is "answered" at once (RFC 2661 §7.5.1).
  if (accepted && kind === 'lac-oc' && rec.state === 'wait-cs-answer') {
    stepCall(h, rec, { event: 'answer' }, now);
  }
}

// What the acceptSession hook is shown (made only when there is a hook).
function incomingInfo(
  rec: SessionRecord,
  call: IncomingSessionInfo['call'],
  request: IncomingSessionInfo['request'],
  avps: readonly RawAvp[] | undefined,
): IncomingSessionInfo {
  const info: IncomingSessionInfo = { sessionId: rec.id, peerSessionId: rec.peerId, call, request };
  return avps === undefined ? info : { ...info, avps };
}

// RFC 3931 §5.4.4, §5.4.5: the peer's cookie, sublayer, sequencing wish and circuit status
// from ICRQ/ICRP/ICCN (OCRQ/OCRP/OCCN). Returns CDN codes when they cannot be honoured.
function learnSessionV3(rec: SessionRecord, m: MessageFields): ResultCodes | undefined {
  const p = rec.v3 as V3Session;
  if (m.assignedCookie !== undefined) p.peerCookie = m.assignedCookie.slice();
  if (m.l2SpecificSublayer !== undefined) {
    const t = m.l2SpecificSublayer;
    const kind = SUBLAYER_KINDS[t];
    if (kind === undefined) {
      return {
        resultCode: CdnResult.GeneralError,
        errorCode: GeneralError.OutOfRange,
        message: `L2-Specific Sublayer ${t} not supported`,
      };
    }
    p.txSublayer = kind;
  }
  // RFC 4454 §4: AAL5 SDU mode needs the ATM sublayer (so an absent AVP, meaning none, fails
  // too); pseudowires other than ATM cannot carry it.
  const allowed = sublayersOf(p.pwType);
  if (!allowed.includes(p.txSublayer)) {
    return {
      resultCode: CdnResult.GeneralError,
      errorCode: GeneralError.OutOfRange,
      message:
        `L2-Specific Sublayer ${SUBLAYER_VALUES[p.txSublayer]} cannot carry pseudowire type ` +
        `${p.pwType} (RFC 4454 §4)`,
    };
  }
  // RFC 4454 §7: a peer that requires OAM emulation needs us to do it too, else Result 22.
  if (
    m.oamEmulationRequired !== undefined &&
    p.pwType === PseudowireType.AtmAal5Sdu &&
    !rec.options.atmOamEmulation
  ) {
    return {
      resultCode: CdnResult.OamEmulationUnsupported,
      message: 'OAM emulation required by the peer is not configured here',
    };
  }
  learnMaxCells(rec, p, m);
  if (m.dataSequencing !== undefined) p.peerWantsSeq = m.dataSequencing !== DataSequencing.None;
  if (m.circuitStatus !== undefined) p.peerCircuitActive = m.circuitStatus.active;
  if (p.peerWantsSeq && p.txSublayer === 'none') {
    return {
      resultCode: CdnResult.SequencingWithoutSublayer,
      message: 'Data Sequencing without an L2-Specific Sublayer',
    };
  }
  // Level 1 (non-IP only) is served as level 2: we do not classify frames (§5.4.4 allows it).
  rec.seq.setSendSeq(
    p.txSublayer !== 'none' && (p.peerWantsSeq || rec.options.sendSequenceNumbers),
  );
  return undefined;
}

// RFC 4454 §6: the peer's ATM Maximum Concatenated Cells bounds the cells we put in one
// packet (cell modes only; 0 makes no sense as a limit and is ignored).
function learnMaxCells(rec: SessionRecord, p: V3Session, m: MessageFields): void {
  const n = m.atmMaximumConcatenatedCells;
  if (n === undefined || n === 0 || n === p.peerMaxCells || !ATM_CELL_MODES.includes(p.pwType)) {
    return;
  }
  p.peerMaxCells = n;
  p.framer = framerFor(p.pwType, rec.d.pppAddressControl, p.maxCells, n);
}
