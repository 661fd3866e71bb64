/**
 * Options of the sans-I/O TunnelEngine (src/engine.ts): the interface, DEFAULTS and
 * resolveOptions(), which fills defaults and throws UsageError naming the first bad option.
 * Units are in the names (…Ms, …Bps). Tolerance switches for real peers are grouped under
 * `tolerance`. L2TPv2 (RFC 2661) by default; `version: 3` selects L2TPv3 (RFC 3931) with its own
 * options (encap, routerId, pseudowire capabilities, per-session cookie / sublayer / PW type).
 * RuntimeSessionOptions: the data-plane options a live session may change (kernel setsockopt).
 */
import { FIELD_ATTRIBUTE_TYPE, type FieldName, type TypedMessage } from './avp/messages.js';
import { AVP_MAX_VALUE_LENGTH, type RawAvp } from './avp/raw.js';
import { lookupAvp } from './avp/registry.js';
import type { SublayerKind } from './codec/header.js';
import { BearerBit, FramingBit, PseudowireType } from './constants.js';
import type { L2tpCrypto } from './crypto.js';
import { UsageError } from './errors.js';
import type { ResultCodes } from './fsm/types.js';
import { pseudowireFramer } from './pw/framer.js';
import {
  type ReliableChannelOptions,
  type ResolvedReliableChannelOptions,
  resolveReliableChannelOptions,
} from './seq/reliable.js';
import type { RandomBytes } from './transport.js';

/** What the host learns about a call the peer opened, to accept or refuse it. */
export interface IncomingSessionInfo {
  /** Our Session ID for the call (already allocated). */
  readonly sessionId: number;
  /** The peer's Session ID (its Assigned Session ID AVP). */
  readonly peerSessionId: number;
  /** 'incoming' = the peer (a LAC) sent ICRQ; 'outgoing' = the peer (an LNS) sent OCRQ. */
  readonly call: 'incoming' | 'outgoing';
  /**
   * With the `callAvps` option: the request's AVPs as received, hidden ones revealed (views
   * into the datagram: copy to keep). Undefined otherwise.
   */
  readonly avps?: readonly RawAvp[] | undefined;
  /** The request as received (values may alias the datagram: copy to keep). */
  readonly request:
    | TypedMessage<'ICRQ', 2>
    | TypedMessage<'OCRQ', 2>
    | TypedMessage<'ICRQ', 3>
    | TypedMessage<'OCRQ', 3>;
}

/**
 * The host's answer to an incoming call: true accepts, false refuses with CDN Result 3
 * (administrative), or explicit CDN codes refuse with those.
 */
export type SessionVerdict = boolean | ResultCodes;

/** Per-session data-plane and call parameters (defaults for every session of the tunnel). */
export interface SessionOptions {
  /** SENDSEQ: put Ns on our data packets from the start (RFC 2661 §5.4). Default false. */
  readonly sendSequenceNumbers?: boolean;
  /**
   * RECVSEQ: drop data without Ns; as LAC also send the Sequencing Required AVP in ICCN/OCCN,
   * which obliges both sides to sequence (RFC 2661 §4.4.6). Default false.
   */
  readonly requireSequenceNumbers?: boolean;
  /** REORDERTO for sequenced data in ms; 0 = drop out-of-order frames. Default 0. */
  readonly reorderTimeoutMs?: number;
  /** (Tx) Connect Speed we report in ICCN/OCCN, bits per second. Default 100 000 000. */
  readonly connectSpeedBps?: number;
  /** Framing Type bits we report in ICCN/OCCN/OCRQ (FramingBit). Default Sync. */
  readonly framingType?: number;
  /** Bearer Type bits for ICRQ/OCRQ (BearerBit). Default Digital (ICRQ: omitted when 0). */
  readonly bearerType?: number;
  /** Called Number for OCRQ (required there) and ICRQ. Default '' (OCRQ). */
  readonly calledNumber?: string;
  /** Calling Number for ICRQ. */
  readonly callingNumber?: string;
  /** Minimum / Maximum BPS for OCRQ. Defaults 0 and 100 000 000. */
  readonly minimumBps?: number;
  readonly maximumBps?: number;
  /** v3: Pseudowire Type of the calls we open (RFC 3931 §5.4.4). Default Ethernet (5). */
  readonly pseudowireType?: number;
  /**
   * v3: length in octets of the cookie we draw at random and send in Assigned Cookie; the peer
   * must put it on every data packet to us (RFC 3931 §4.1, §5.4.4). 0, 4 or 8. Default 0.
   */
  readonly cookieLength?: 0 | 4 | 8;
  /**
   * v3: the L2-Specific Sublayer we require on received data (L2-Specific Sublayer AVP 69:
   * 'none' 0, 'default' 1, 'atm' 2; RFC 3931 §4.6, §5.4.4, RFC 4454 §4.1). Data sequencing
   * needs 'default' or 'atm'. 'auto' lets the call's PW type decide: 'atm' for AAL5 SDU mode
   * (type 2, which requires it, RFC 4454 §4), 'atm' for the cell modes (3, 9, 10) when
   * `requireSequenceNumbers` (RFC 4454 §4.2) and 'none' otherwise. An explicit value the PW
   * type cannot use ('atm' on Ethernet, anything but 'atm' on AAL5) is a UsageError for our
   * calls; on calls the peer opens, that PW type's 'auto' choice applies instead. Default 'auto'.
   */
  readonly l2SpecificSublayer?: 'auto' | 'none' | 'default' | 'atm';
  /**
   * v3, ATM cell modes (PW types 3, 9, 10): the most concatenated cells we accept per packet,
   * signalled in ATM Maximum Concatenated Cells (AVP 86) in ICRQ/ICRP/OCRQ/OCRP (RFC 4454 §6);
   * received packets with more are counted rx_invalid. 1 … 65535. Default none (no AVP, no limit).
   */
  readonly atmMaxCells?: number;
  /**
   * v3, AAL5 SDU mode (PW type 2): OAM emulation is configured here (RFC 4454 §7). True sends
   * the OAM Emulation Required AVP (87) in ICRQ/ICRP/OCRQ/OCRP and accepts the peer's; false
   * refuses a call whose peer requires it with CDN Result 22. The emulation itself (answering
   * loopback cells, generating AIS…) is the host's. Default false.
   */
  readonly atmOamEmulation?: boolean;
  /** v3: Remote End ID sent in ICRQ/OCRQ, binding the call to a circuit (RFC 3931 §5.4.4). Default empty. */
  readonly remoteEndId?: string | Uint8Array;
  /** v3: the Active bit of the Circuit Status we advertise (RFC 3931 §5.4.5). Default true. */
  readonly circuitActive?: boolean;
  /**
   * LNSMODE (v2): true = we decide whether data carries Ns; false = we follow the peer's S bit
   * as a LAC must (RFC 2661 §5.4). Default: true when the engine's `mode` is 'lns'. Stored but
   * without effect on v3. Changeable at runtime (`setSessionOptions`).
   */
  readonly lnsMode?: boolean;
  /** Per-session debug mask (DebugCategory bits, like the kernel's DEBUG option). Default 0. */
  readonly debugMask?: number;
  /**
   * Largest frame (octets, as given to `sendFrame`) we send; longer ones are dropped and counted
   * in tx_errors. 0 = no limit. Default 0.
   */
  readonly mtu?: number;
  /**
   * Largest received frame (octets, the L2TP payload) we deliver; longer ones are dropped and
   * counted in rx_errors. 0 = no limit. Default 0.
   */
  readonly mru?: number;
  /**
   * v2 (PPP): put the HDLC address/control octets 0xFF 0x03 in front of every frame we send, as
   * Linux pppol2tp does (not added when the frame already starts with them). Received frames
   * lose a leading FF 03 either way (peers differ). v3 PPP pseudowires: see the framer. Default true.
   */
  readonly pppAddressControl?: boolean;
}

/**
 * Data-plane options of a live session, changeable at runtime like the kernel's session socket
 * options (SENDSEQ, RECVSEQ, LNSMODE, REORDERTO, DEBUG) plus MTU/MRU; see `setSessionOptions`.
 */
export interface RuntimeSessionOptions {
  /** SENDSEQ: stamp Ns on our data (v3: needs the peer to ask for a Default or ATM sublayer). */
  readonly sendSeq?: boolean;
  /** RECVSEQ: drop received data without Ns (v3: needs our Default or ATM sublayer). */
  readonly recvSeq?: boolean;
  /** LNSMODE (see SessionOptions.lnsMode). */
  readonly lnsMode?: boolean;
  /** REORDERTO in ms, 0 … 3,600,000 (0 = drop out-of-order frames), as for static sessions. */
  readonly reorderTimeoutMs?: number;
  /** Debug mask (DebugCategory bits), 0 … 2^32 − 1. */
  readonly debugMask?: number;
  /** See SessionOptions.mtu: 0 … 65 535, 0 = no limit. */
  readonly mtu?: number;
  /** See SessionOptions.mru: 0 … 65 535, 0 = no limit. */
  readonly mru?: number;
  /** See SessionOptions.pppAddressControl (v2 only). */
  readonly pppAddressControl?: boolean;
}

/** The current data-plane options of a session (`engine.sessionOptions(id)`). */
export type SessionDataOptions = Required<RuntimeSessionOptions>;

const RUNTIME_KEYS: ReadonlySet<string> = new Set([
  'sendSeq',
  'recvSeq',
  'lnsMode',
  'reorderTimeoutMs',
  'debugMask',
  'mtu',
  'mru',
  'pppAddressControl',
]);

/**
 * Validates a runtime options change (unknown keys included) without applying it.
 * @throws UsageError naming the first bad option.
 */
export function checkRuntimeSessionOptions(options: RuntimeSessionOptions): void {
  if (options === null || typeof options !== 'object') {
    throw new UsageError('session options must be an object');
  }
  for (const key of Object.keys(options)) {
    if (!RUNTIME_KEYS.has(key)) throw new UsageError(`unknown session option ${key}`);
  }
  const o = options as Record<string, unknown>;
  for (const key of ['sendSeq', 'recvSeq', 'lnsMode', 'pppAddressControl']) {
    if (o[key] !== undefined && typeof o[key] !== 'boolean') {
      throw new UsageError(`${key} must be a boolean`);
    }
  }
  if (o.reorderTimeoutMs !== undefined) int('reorderTimeoutMs', o.reorderTimeoutMs, 0, 3_600_000); // as static sessions
  if (o.debugMask !== undefined) int('debugMask', o.debugMask, 0, U32);
  if (o.mtu !== undefined) int('mtu', o.mtu, 0, 0xffff);
  if (o.mru !== undefined) int('mru', o.mru, 0, 0xffff);
}

/** Named tolerances for real-world peers. Receiving a Result Code without an Error Code
 * (MikroTik, Android) and a peer that never sends HELLO are always accepted. */
export interface ToleranceOptions {
  /**
   * Accept unknown AVPs with the M bit set instead of tearing down with Result 2 / Error 8
   * (RFC 2661 §4.2 says tear down; some vendor stacks set M on private AVPs). Default false.
   */
  readonly acceptUnknownMandatoryAvps?: boolean;
}

/** Options of a TunnelEngine. */
export interface TunnelEngineOptions
  extends Pick<
    ReliableChannelOptions,
    'retransmitTimeoutMs' | 'maxRetransmitTimeoutMs' | 'maxRetransmits' | 'ackDelayMs'
  > {
  /** Protocol version: 2 (RFC 2661) or 3 (RFC 3931). Default 2. */
  readonly version?: 2 | 3;
  /** v3: 'udp' (RFC 3931 §4.1.2) or 'ip' (IP protocol 115, §4.1.1). v2 is UDP only. Default 'udp'. */
  readonly encap?: 'udp' | 'ip';
  /** v3: our Router ID AVP (RFC 3931 §5.4.3), an unsigned 32-bit value. Required for v3. */
  readonly routerId?: number;
  /** v3: Pseudowire Capabilities List we advertise. Default [Ethernet (5), Ethernet VLAN (4)]. */
  readonly pseudowireCapabilities?: readonly number[];
  /** v3: digest algorithm of our Message Digest AVPs (RFC 3931 §5.4.1). Default 'md5'. */
  readonly digestAlgorithm?: 'md5' | 'sha1';
  /**
   * Our role: 'lac' opens incoming calls (ICRQ) and places outgoing calls (accepts OCRQ);
   * 'lns' opens outgoing calls (OCRQ) and accepts incoming calls (ICRQ). Required.
   */
  readonly mode: 'lac' | 'lns';
  /** Host Name AVP we send (RFC 2661 §4.4.3). Required, non-empty. */
  readonly hostName: string;
  /** Random source (ids, challenges, random vectors, tie breakers). Required. */
  readonly randomBytes: RandomBytes;
  /**
   * Shared secret for tunnel authentication and hidden AVPs (RFC 2661 §4.3, §5.1.1); for v3 the
   * key of control message authentication (RFC 3931 §4.3, §5.4.1).
   */
  readonly secret?: string | Uint8Array;
  /** Hash functions; required with `secret`. */
  readonly crypto?: L2tpCrypto;
  /**
   * v2: send a Challenge and insist on the right Challenge Response (StopCCN Result 4 otherwise).
   * v3: control message authentication: a nonce in SCCRQ/SCCRP and a Message Digest in every
   * message; received messages without a valid digest are dropped (RFC 3931 §4.3, §5.4.1).
   * Default: true when a secret is set. Needs `secret`.
   */
  readonly authenticatePeer?: boolean;
  /** Fields sent hidden wherever they appear (RFC 2661 §4.3). Needs `secret`. Default none. */
  readonly hiddenFields?: readonly FieldName[];
  /**
   * Pad every hidden value (2-octet length, value, padding) with random octets to at least this
   * many octets (RFC 2661 §4.3 allows padding; l2tpns refuses hidden values shorter than 8).
   * 0…1017; default 0, no padding.
   */
  readonly hiddenValueMinLength?: number;
  /** Tie Breaker AVP value for our SCCRQ (RFC 2661 §4.4.3); 'random' draws 8 bytes. Default none. */
  readonly tieBreaker?: bigint | 'random';
  /** Send HELLO after this many ms without receiving anything (RFC 2661 §5.5). 0 = never. Default 60 000. */
  readonly helloIntervalMs?: number;
  /** Our Receive Window Size (advertised; RFC 2661 §5.8). Default 8. */
  readonly receiveWindow?: number;
  /** Most sessions at once on this tunnel; more are refused (CDN Result 4) or throw. Default 1024. */
  readonly maxSessions?: number;
  /** Framing Capabilities bits (FramingBit). Default Sync | Async. */
  readonly framingCapabilities?: number;
  /** Bearer Capabilities bits (BearerBit); omitted when undefined (an LNS). Default: LAC Digital | Analog. */
  readonly bearerCapabilities?: number;
  /** Firmware Revision AVP; omitted when undefined. */
  readonly firmwareRevision?: number;
  /** Vendor Name AVP; omitted when undefined. */
  readonly vendorName?: string;
  /**
   * Our Tunnel ID (v2, 16 bits) or Control Connection ID (v3, 32 bits); drawn at random
   * (non-zero, not in use) when undefined.
   */
  readonly localTunnelId?: number;
  /** Tells whether an id is taken elsewhere (an endpoint's other tunnels). Default: none is. */
  readonly isIdInUse?: (kind: 'tunnel' | 'session', id: number) => boolean;
  /**
   * How `l2tp:control` debug lines name this tunnel's peer, e.g. `192.0.2.1:1701`. An Endpoint
   * names each of its tunnels' peers itself. Default: none.
   */
  readonly logLabel?: string;
  /**
   * Decides on a call the peer opens (within maxSessions). Default: an LNS accepts incoming
   * calls (ICRQ) and a LAC outgoing calls (OCRQ); the other direction is refused (CDN Result 3).
   */
  readonly acceptSession?: (info: IncomingSessionInfo) => SessionVerdict;
  /**
   * Keep the peer's call AVPs for the host (e.g. to relay them, as a tunnel switch does): the
   * `acceptSession` info, 'incoming-session' and 'session-up' events and the down reason of a
   * call the peer cleared then carry the raw AVPs of the peer's request, establishing message
   * and CDN. Default false (no AVP list is built).
   */
  readonly callAvps?: boolean;
  /** Defaults for every session (openSession may override per call). */
  readonly session?: SessionOptions;
  readonly tolerance?: ToleranceOptions;
}

/** Every option resolved. */
export interface ResolvedTunnelEngineOptions {
  readonly version: 2 | 3;
  readonly encap: 'udp' | 'ip';
  readonly routerId: number | undefined;
  readonly pseudowireCapabilities: readonly number[];
  /** Digest Type octet: 0 HMAC-MD5, 1 HMAC-SHA-1. */
  readonly digestType: 0 | 1;
  readonly mode: 'lac' | 'lns';
  readonly hostName: string;
  readonly randomBytes: RandomBytes;
  readonly secret: Uint8Array | undefined;
  readonly crypto: L2tpCrypto | undefined;
  readonly authenticatePeer: boolean;
  readonly hiddenFields: readonly FieldName[];
  /** 0 = no padding of hidden values. */
  readonly hiddenValueMinLength: number;
  readonly tieBreaker: bigint | 'random' | undefined;
  readonly helloIntervalMs: number;
  readonly maxSessions: number;
  readonly framingCapabilities: number;
  readonly bearerCapabilities: number | undefined;
  readonly firmwareRevision: number | undefined;
  readonly vendorName: string | undefined;
  readonly localTunnelId: number | undefined;
  /** See {@link TunnelEngineOptions.isIdInUse}. */
  readonly isIdInUse: (kind: 'tunnel' | 'session', id: number) => boolean;
  /** See {@link TunnelEngineOptions.logLabel}; '' when none. */
  readonly logLabel: string;
  /** Undefined when the host gave no hook (the engine's default policy applies). */
  readonly acceptSession: ((info: IncomingSessionInfo) => SessionVerdict) | undefined;
  readonly callAvps: boolean;
  /** `lnsMode` undefined: follows the engine's `mode`; `atmMaxCells` undefined: no limit. */
  readonly session: Required<Omit<SessionOptions, 'callingNumber' | 'lnsMode' | 'atmMaxCells'>> &
    Pick<SessionOptions, 'callingNumber' | 'lnsMode' | 'atmMaxCells'>;
  readonly tolerance: Required<ToleranceOptions>;
  /** Options handed to the reliable control channel. */
  readonly channel: ResolvedReliableChannelOptions;
}

/** Defaults of the optional engine options. */
export const DEFAULTS = Object.freeze({
  version: 2,
  helloIntervalMs: 60_000,
  receiveWindow: 8,
  maxSessions: 1024,
  framingCapabilities: FramingBit.Sync | FramingBit.Async,
  lacBearerCapabilities: BearerBit.Digital | BearerBit.Analog,
  session: Object.freeze({
    sendSequenceNumbers: false,
    requireSequenceNumbers: false,
    reorderTimeoutMs: 0,
    connectSpeedBps: 100_000_000,
    framingType: FramingBit.Sync,
    bearerType: BearerBit.Digital,
    calledNumber: '',
    minimumBps: 0,
    maximumBps: 100_000_000,
    pseudowireType: PseudowireType.Ethernet,
    cookieLength: 0,
    l2SpecificSublayer: 'auto',
    atmOamEmulation: false,
    remoteEndId: '',
    circuitActive: true,
    debugMask: 0,
    mtu: 0,
    mru: 0,
    pppAddressControl: true,
  }),
  pseudowireCapabilities: Object.freeze([PseudowireType.Ethernet, PseudowireType.EthernetVlan]),
  tolerance: Object.freeze({ acceptUnknownMandatoryAvps: false }),
} as const);

function int(name: string, v: unknown, min: number, max: number): number {
  if (typeof v !== 'number' || !Number.isInteger(v) || v < min || v > max) {
    throw new UsageError(`${name} must be an integer in ${min}…${max}, got ${String(v)}`);
  }
  return v;
}

const U32 = 0xffffffff;
const encoder = new TextEncoder();

/** Resolves session options over `base`. @throws UsageError naming the first bad one. */
export function resolveSessionOptions(
  options: SessionOptions | undefined,
  base: ResolvedTunnelEngineOptions['session'] = DEFAULTS.session,
): ResolvedTunnelEngineOptions['session'] {
  const o = { ...base, ...options };
  if (typeof o.sendSequenceNumbers !== 'boolean') {
    throw new UsageError('session.sendSequenceNumbers must be a boolean');
  }
  if (typeof o.requireSequenceNumbers !== 'boolean') {
    throw new UsageError('session.requireSequenceNumbers must be a boolean');
  }
  int('session.reorderTimeoutMs', o.reorderTimeoutMs, 0, 3_600_000);
  int('session.connectSpeedBps', o.connectSpeedBps, 0, U32);
  int('session.framingType', o.framingType, 0, U32);
  int('session.bearerType', o.bearerType, 0, U32);
  int('session.minimumBps', o.minimumBps, 0, U32);
  int('session.maximumBps', o.maximumBps, 0, U32);
  if (typeof o.calledNumber !== 'string')
    throw new UsageError('session.calledNumber must be a string');
  if (o.callingNumber !== undefined && typeof o.callingNumber !== 'string') {
    throw new UsageError('session.callingNumber must be a string');
  }
  int('session.pseudowireType', o.pseudowireType, 0, 0xffff);
  if (o.cookieLength !== 0 && o.cookieLength !== 4 && o.cookieLength !== 8) {
    throw new UsageError(`session.cookieLength must be 0, 4 or 8, got ${String(o.cookieLength)}`);
  }
  if (!SUBLAYER_CHOICES.includes(o.l2SpecificSublayer)) {
    throw new UsageError("session.l2SpecificSublayer must be 'auto', 'none', 'default' or 'atm'");
  }
  if (o.atmMaxCells !== undefined) int('session.atmMaxCells', o.atmMaxCells, 1, 0xffff);
  if (typeof o.atmOamEmulation !== 'boolean') {
    throw new UsageError('session.atmOamEmulation must be a boolean');
  }
  if (typeof o.remoteEndId !== 'string' && !(o.remoteEndId instanceof Uint8Array)) {
    throw new UsageError('session.remoteEndId must be a string or a Uint8Array');
  }
  if (typeof o.circuitActive !== 'boolean') {
    throw new UsageError('session.circuitActive must be a boolean');
  }
  if (o.lnsMode !== undefined && typeof o.lnsMode !== 'boolean') {
    throw new UsageError('session.lnsMode must be a boolean');
  }
  int('session.debugMask', o.debugMask, 0, U32);
  int('session.mtu', o.mtu, 0, 0xffff);
  int('session.mru', o.mru, 0, 0xffff);
  if (typeof o.pppAddressControl !== 'boolean') {
    throw new UsageError('session.pppAddressControl must be a boolean');
  }
  return o;
}

const SUBLAYER_CHOICES: readonly unknown[] = ['auto', 'none', 'default', 'atm'];
const PLAIN_SUBLAYERS: readonly SublayerKind[] = ['none', 'default'];

/**
 * The L2-Specific Sublayers a pseudowire type can run with (its framer's `sublayers`: AAL5 SDU
 * mode 'atm' only, cell modes any, the others 'none'/'default'; types without a framer too).
 */
export function sublayersOf(pseudowireType: number): readonly SublayerKind[] {
  try {
    return pseudowireFramer(pseudowireType).sublayers;
  } catch (err) {
    if (err instanceof UsageError) return PLAIN_SUBLAYERS;
    throw err;
  }
}

/**
 * The sublayer a v3 session requires on received data for `pseudowireType`, resolving 'auto'
 * (see SessionOptions.l2SpecificSublayer). Undefined when an explicit choice does not suit the
 * PW type.
 */
export function sessionSublayer(
  choice: NonNullable<SessionOptions['l2SpecificSublayer']>,
  pseudowireType: number,
  requireSequenceNumbers: boolean,
): SublayerKind | undefined {
  const allowed = sublayersOf(pseudowireType);
  if (choice !== 'auto') return allowed.includes(choice) ? choice : undefined;
  // RFC 4454 §4: AAL5 SDU mode requires the ATM sublayer; §4.2: ATM PWs sequence with it.
  if (!allowed.includes('none')) return allowed[0];
  if (!requireSequenceNumbers) return 'none';
  // Sequencing needs a sublayer to carry Ns (RFC 3931 §5.4.4): the ATM one for ATM PWs, else the
  // Default L2-Specific Sublayer (§4.6), as the responder already picks for such calls.
  if (allowed.includes('atm')) return 'atm';
  return allowed.includes('default') ? 'default' : 'none';
}

/**
 * L2TPv3 consistency of resolved session options: the sublayer must suit the PW type (RFC 4454
 * §4) and data sequencing needs a sublayer that carries sequence numbers (RFC 3931 §5.4.4).
 * @throws UsageError.
 */
export function checkSessionOptionsV3(o: ResolvedTunnelEngineOptions['session']): void {
  const sublayer = sessionSublayer(
    o.l2SpecificSublayer,
    o.pseudowireType,
    o.requireSequenceNumbers,
  );
  if (sublayer === undefined) {
    throw new UsageError(
      `session.l2SpecificSublayer '${o.l2SpecificSublayer}' cannot carry pseudowire type ` +
        `${o.pseudowireType} (allowed: ${sublayersOf(o.pseudowireType).join(', ')}; RFC 4454 §4)`,
    );
  }
  if (o.requireSequenceNumbers && sublayer === 'none') {
    throw new UsageError(
      "session.requireSequenceNumbers needs l2SpecificSublayer 'default' in L2TPv3 (RFC 3931 §5.4.4)",
    );
  }
}

/**
 * Fills in defaults and validates.
 * @throws UsageError naming the first bad option.
 */
export function resolveOptions(options: TunnelEngineOptions): ResolvedTunnelEngineOptions {
  if (options === null || typeof options !== 'object') {
    throw new UsageError('engine options must be an object');
  }
  const version = options.version ?? DEFAULTS.version;
  if (version !== 2 && version !== 3) {
    throw new UsageError(`version must be 2 or 3, got ${String(version)}`);
  }
  const encap = options.encap ?? 'udp';
  if (encap !== 'udp' && (encap !== 'ip' || version !== 3)) {
    throw new UsageError(`encap must be 'udp'${version === 3 ? " or 'ip'" : ' for L2TPv2'}`);
  }
  const routerId =
    options.routerId === undefined ? undefined : int('routerId', options.routerId, 0, U32);
  if (version === 3 && routerId === undefined) {
    throw new UsageError('routerId is required with version 3 (L2TPv3, RFC 3931 §5.4.3)');
  }
  const pseudowireCapabilities = options.pseudowireCapabilities ?? DEFAULTS.pseudowireCapabilities;
  if (!Array.isArray(pseudowireCapabilities) || pseudowireCapabilities.length === 0) {
    throw new UsageError('pseudowireCapabilities must be a non-empty array');
  }
  for (const t of pseudowireCapabilities) int('pseudowireCapabilities[]', t, 0, 0xffff);
  const digestAlgorithm = options.digestAlgorithm ?? 'md5';
  if (digestAlgorithm !== 'md5' && digestAlgorithm !== 'sha1') {
    throw new UsageError("digestAlgorithm must be 'md5' or 'sha1'");
  }
  if (options.mode !== 'lac' && options.mode !== 'lns') {
    throw new UsageError(`mode must be 'lac' or 'lns', got ${String(options.mode)}`);
  }
  if (typeof options.hostName !== 'string' || options.hostName.length === 0) {
    throw new UsageError('hostName must be a non-empty string');
  }
  if (encoder.encode(options.hostName).length > 1017) {
    throw new UsageError('hostName is longer than 1017 octets');
  }
  if (typeof options.randomBytes !== 'function') {
    throw new UsageError('randomBytes must be a function (length) => Uint8Array');
  }
  const secret =
    options.secret === undefined
      ? undefined
      : typeof options.secret === 'string'
        ? encoder.encode(options.secret)
        : options.secret;
  if (secret !== undefined && !(secret instanceof Uint8Array)) {
    throw new UsageError('secret must be a string or a Uint8Array');
  }
  if (secret !== undefined && options.crypto === undefined) {
    throw new UsageError('crypto is required when a secret is set');
  }
  const authenticatePeer = options.authenticatePeer ?? secret !== undefined;
  if (authenticatePeer && secret === undefined) {
    throw new UsageError('authenticatePeer needs a secret');
  }
  const hiddenFields = options.hiddenFields ?? [];
  if (hiddenFields.length > 0 && secret === undefined) {
    throw new UsageError('hiddenFields needs a secret');
  }
  for (const f of hiddenFields) {
    const type = FIELD_ATTRIBUTE_TYPE[f];
    if (type === undefined || !lookupAvp(0, type)?.hideable) {
      throw new UsageError(`hiddenFields: ${String(f)} cannot be hidden (RFC 2661 §4.3)`);
    }
  }
  const hiddenValueMinLength = int(
    'hiddenValueMinLength',
    options.hiddenValueMinLength ?? 0,
    0,
    AVP_MAX_VALUE_LENGTH,
  );
  const tb = options.tieBreaker;
  if (
    tb !== undefined &&
    tb !== 'random' &&
    (typeof tb !== 'bigint' || tb < 0n || tb >= 1n << 64n)
  ) {
    throw new UsageError("tieBreaker must be a 64-bit unsigned bigint or 'random'");
  }
  const helloIntervalMs = int(
    'helloIntervalMs',
    options.helloIntervalMs ?? DEFAULTS.helloIntervalMs,
    0,
    86_400_000,
  );
  const maxSessions = int('maxSessions', options.maxSessions ?? DEFAULTS.maxSessions, 0, 65535);
  const framingCapabilities = int(
    'framingCapabilities',
    options.framingCapabilities ?? DEFAULTS.framingCapabilities,
    0,
    U32,
  );
  const bearerCapabilities =
    options.bearerCapabilities === undefined
      ? options.mode === 'lac'
        ? DEFAULTS.lacBearerCapabilities
        : undefined
      : int('bearerCapabilities', options.bearerCapabilities, 0, U32);
  const firmwareRevision =
    options.firmwareRevision === undefined
      ? undefined
      : int('firmwareRevision', options.firmwareRevision, 0, 0xffff);
  if (options.vendorName !== undefined && typeof options.vendorName !== 'string') {
    throw new UsageError('vendorName must be a string');
  }
  const localTunnelId =
    options.localTunnelId === undefined
      ? undefined
      : int('localTunnelId', options.localTunnelId, 1, version === 3 ? U32 : 0xffff);
  if (options.isIdInUse !== undefined && typeof options.isIdInUse !== 'function') {
    throw new UsageError('isIdInUse must be a function');
  }
  if (options.acceptSession !== undefined && typeof options.acceptSession !== 'function') {
    throw new UsageError('acceptSession must be a function');
  }
  const channel = resolveReliableChannelOptions({
    ...(options.retransmitTimeoutMs === undefined
      ? {}
      : { retransmitTimeoutMs: options.retransmitTimeoutMs }),
    ...(options.maxRetransmitTimeoutMs === undefined
      ? {}
      : { maxRetransmitTimeoutMs: options.maxRetransmitTimeoutMs }),
    ...(options.maxRetransmits === undefined ? {} : { maxRetransmits: options.maxRetransmits }),
    ...(options.ackDelayMs === undefined ? {} : { ackDelayMs: options.ackDelayMs }),
    receiveWindow: options.receiveWindow ?? DEFAULTS.receiveWindow,
    // RFC 3931 §4.2: v3 acknowledges with an explicit ACK message, v2 with a ZLB.
    ackStyle: version === 3 ? 'explicit-ack' : 'zlb',
  });
  const acceptUnknownMandatoryAvps = options.tolerance?.acceptUnknownMandatoryAvps ?? false;
  if (typeof acceptUnknownMandatoryAvps !== 'boolean') {
    throw new UsageError('tolerance.acceptUnknownMandatoryAvps must be a boolean');
  }
  const session = resolveSessionOptions(options.session);
  if (version === 3) checkSessionOptionsV3(session);
  return {
    version,
    encap,
    routerId,
    pseudowireCapabilities: [...pseudowireCapabilities],
    digestType: digestAlgorithm === 'md5' ? 0 : 1,
    mode: options.mode,
    hostName: options.hostName,
    randomBytes: options.randomBytes,
    secret,
    crypto: options.crypto,
    authenticatePeer,
    hiddenFields,
    hiddenValueMinLength,
    tieBreaker: tb,
    helloIntervalMs,
    maxSessions,
    framingCapabilities,
    bearerCapabilities,
    firmwareRevision,
    vendorName: options.vendorName,
    localTunnelId,
    isIdInUse: options.isIdInUse ?? (() => false),
    logLabel: typeof options.logLabel === 'string' ? options.logLabel : '',
    acceptSession: options.acceptSession,
    callAvps: options.callAvps === true,
    session,
    tolerance: { acceptUnknownMandatoryAvps },
    channel,
  };
}
