/**
 * The typed level of control messages: a discriminated union (`type: 'SCCRQ' | 'ICCN' | …`,
 * `version: 2 | 3`) built from the raw AVP list and turned back into one, validated against one
 * table of required and optional AVPs per message (RFC 2661 §6, RFC 3931 §6).
 *
 * Rules (RFC 2661 §4.1, §4.2, §4.4.1; RFC 3931 §5.1, §5.2):
 * - The Message Type AVP comes first. An unknown Message Type with M=1 clears the tunnel; with M=0
 *   the message is ignored (it comes back as `{ type: 'UNKNOWN' }`).
 * - An unknown AVP with M=1 tears down the session (session messages) or the tunnel; with M=0 it is
 *   skipped and never changes the typed result. Vendor and unknown AVPs stay at the raw level.
 * - An L2TPv2 AVP with a reserved header bit set counts as unknown; L2TPv3 ignores those bits.
 * - Violations are `ProtocolError`s carrying the Result and Error Codes for the StopCCN or CDN.
 * Not here: headers and Ns/Nr (src/codec), AVP header walking (raw.ts), value layouts (values.ts),
 * Message Digest verification (needs the nonces: the engine's job, with auth.ts).
 */

import { plainView } from '../codec/view.js';
import {
  AvpType,
  CdnResult,
  GeneralError,
  type L2tpVersion,
  MessageType,
  type MessageTypeName,
  StopCcnResult,
} from '../constants.js';
import type { L2tpCrypto } from '../crypto.js';
import { DecodeError, ProtocolError, type ProtocolErrorOptions, UsageError } from '../errors.js';
import { deriveV3HidingKey, hideAvps, unhideAvps } from './hidden.js';
import type { RawAvp } from './raw.js';
import { type AvpInfo, lookupAvp, mandatoryBitFor } from './registry.js';
import {
  decodeValue,
  encodeValue,
  stringValue,
  type ValueByKind,
  type ValueKind,
} from './values.js';

// ---------------------------------------------------------------------------------------------
// Fields: one typed property per IETF AVP, named after AvpType in camelCase.

/**
 * The value kind of every IETF AVP that can appear as a message field (all of 1–101 but the
 * reserved 20). Kept in sync with the catalogue by a test; it exists so field types are known
 * at compile time.
 */
export const FIELD_KINDS = {
  resultCode: 'resultCode',
  protocolVersion: 'protocolVersion',
  framingCapabilities: 'bitset32',
  bearerCapabilities: 'bitset32',
  tieBreaker: 'u64',
  firmwareRevision: 'u16',
  hostName: 'string',
  vendorName: 'string',
  assignedTunnelId: 'u16',
  receiveWindowSize: 'u16',
  challenge: 'bytes',
  q931CauseCode: 'q931Cause',
  challengeResponse: 'bytes',
  assignedSessionId: 'u16',
  callSerialNumber: 'u32',
  minimumBps: 'u32',
  maximumBps: 'u32',
  bearerType: 'bitset32',
  framingType: 'bitset32',
  calledNumber: 'string',
  callingNumber: 'string',
  subAddress: 'string',
  txConnectSpeed: 'u32',
  physicalChannelId: 'u32',
  initialReceivedLcpConfreq: 'bytes',
  lastSentLcpConfreq: 'bytes',
  lastReceivedLcpConfreq: 'bytes',
  proxyAuthenType: 'u16',
  proxyAuthenName: 'string',
  proxyAuthenChallenge: 'bytes',
  proxyAuthenId: 'proxyAuthenId',
  proxyAuthenResponse: 'bytes',
  callErrors: 'callErrors',
  accm: 'accm',
  randomVector: 'bytes',
  privateGroupId: 'string',
  rxConnectSpeed: 'u32',
  sequencingRequired: 'empty',
  rxMinimumBps: 'u32',
  rxMaximumBps: 'u32',
  serviceCategory: 'bytes',
  serviceName: 'bytes',
  callingSubAddress: 'bytes',
  vpiVciIdentifier: 'bytes',
  pppDisconnectCauseCode: 'pppDisconnectCause',
  ccds: 'bytes',
  sds: 'bytes',
  lcpWantOptions: 'bytes',
  lcpAllowOptions: 'bytes',
  lnsLastSentLcpConfreq: 'bytes',
  lnsLastReceivedLcpConfreq: 'bytes',
  modemOnHoldCapable: 'bytes',
  modemOnHoldStatus: 'bytes',
  pppoeRelay: 'bytes',
  pppoeRelayResponseCapability: 'bytes',
  pppoeRelayForwardCapability: 'bytes',
  extendedVendorId: 'extendedVendor',
  messageDigest: 'messageDigest',
  routerId: 'u32',
  assignedControlConnectionId: 'u32',
  pseudowireCapabilitiesList: 'pwCapList',
  localSessionId: 'u32',
  remoteSessionId: 'u32',
  assignedCookie: 'cookie',
  remoteEndId: 'bytes',
  applicationCode: 'bytes',
  pseudowireType: 'u16',
  l2SpecificSublayer: 'l2SpecificSublayer',
  dataSequencing: 'dataSequencing',
  circuitStatus: 'circuitStatus',
  preferredLanguage: 'string',
  controlMessageAuthenticationNonce: 'bytes',
  txConnectSpeedV3: 'u64',
  rxConnectSpeedV3: 'u64',
  failoverCapability: 'failoverCapability',
  tunnelRecovery: 'tunnelRecovery',
  suggestedControlSequence: 'suggestedControlSequence',
  failoverSessionState: 'failoverSessionState',
  multicastCapability: 'bytes',
  newOutgoingSessions: 'bytes',
  newOutgoingSessionsAcknowledgement: 'bytes',
  withdrawOutgoingSessions: 'bytes',
  multicastPacketsPriority: 'bytes',
  frameRelayHeaderLength: 'u16',
  atmMaximumConcatenatedCells: 'u16',
  oamEmulationRequired: 'empty',
  atmAlarmStatus: 'atmAlarmStatus',
  attachmentGroupIdentifier: 'bytes',
  localEndIdentifier: 'bytes',
  interfaceMtu: 'bytes',
  fcsRetention: 'bytes',
  tunnelSwitchingAggregatorId: 'string',
  maximumReceiveUnit: 'bytes',
  maximumReassembledReceiveUnit: 'bytes',
  vccvCapability: 'bytes',
  connectSpeedUpdate: 'connectSpeedUpdate',
  connectSpeedUpdateEnable: 'empty',
  tdmPseudowire: 'bytes',
  rtpAvp: 'bytes',
  pwSwitchingPoint: 'bytes',
} as const satisfies Record<string, ValueKind>;

/** Name of a typed message field (one per IETF AVP). */
export type FieldName = keyof typeof FIELD_KINDS;
/** The value type of a field. */
export type FieldValue<F extends FieldName> = ValueByKind[(typeof FIELD_KINDS)[F]];
/** Every field, optional. */
export type MessageFields = { readonly [F in FieldName]?: FieldValue<F> };

const FIELD_NAMES = Object.keys(FIELD_KINDS) as FieldName[];

const LAST_FIELD_TYPE = 101;

function fieldNameOf(attributeType: number): FieldName | undefined {
  return FIELD_BY_TYPE[attributeType];
}

const FIELD_BY_TYPE: (FieldName | undefined)[] = [];
/** The attribute type of each field. */
export const FIELD_ATTRIBUTE_TYPE = {} as Readonly<Record<FieldName, number>>;
for (const [key, type] of Object.entries(AvpType)) {
  const field = (key[0]?.toLowerCase() + key.slice(1)) as FieldName;
  if (field in FIELD_KINDS) {
    FIELD_BY_TYPE[type] = field;
    (FIELD_ATTRIBUTE_TYPE as Record<FieldName, number>)[field] = type;
  }
}

// ---------------------------------------------------------------------------------------------
// The message table: RFC 2661 §6 (v2) and RFC 3931 §6 (v3), in the RFCs' order.

interface VersionSpec {
  readonly required: readonly FieldName[];
  readonly optional: readonly FieldName[];
  readonly section: string;
}

interface MessageSpecRow {
  /** Session-scoped messages are answered with CDN, the others with StopCCN (RFC 2661 §4.2). */
  readonly scope: 'tunnel' | 'session';
  readonly v2: VersionSpec | null;
  readonly v3: VersionSpec | null;
}

const V3_AUTH = ['randomVector', 'messageDigest'] as const;

/**
 * Required and optional AVPs per message and version; `null` where a version does not define
 * the message. Extension messages (RFC 3573, 3817, 4045, 4951, 5515) are typed with their
 * Message Type only: their AVPs are decoded as fields when present, none is enforced.
 */
export const MESSAGE_SPEC = {
  SCCRQ: {
    scope: 'tunnel',
    v2: {
      required: ['protocolVersion', 'hostName', 'framingCapabilities', 'assignedTunnelId'],
      optional: [
        'bearerCapabilities',
        'receiveWindowSize',
        'challenge',
        'tieBreaker',
        'firmwareRevision',
        'vendorName',
      ],
      section: 'RFC 2661 §6.1',
    },
    v3: {
      required: [
        'hostName',
        'routerId',
        'assignedControlConnectionId',
        'pseudowireCapabilitiesList',
      ],
      optional: [
        'randomVector',
        'controlMessageAuthenticationNonce',
        'messageDigest',
        'tieBreaker',
        'vendorName',
        'receiveWindowSize',
        'preferredLanguage',
      ],
      section: 'RFC 3931 §6.1',
    },
  },
  SCCRP: {
    scope: 'tunnel',
    v2: {
      required: ['protocolVersion', 'framingCapabilities', 'hostName', 'assignedTunnelId'],
      optional: [
        'bearerCapabilities',
        'firmwareRevision',
        'vendorName',
        'receiveWindowSize',
        'challenge',
        'challengeResponse',
      ],
      section: 'RFC 2661 §6.2',
    },
    v3: {
      required: [
        'hostName',
        'routerId',
        'assignedControlConnectionId',
        'pseudowireCapabilitiesList',
      ],
      optional: [
        'randomVector',
        'controlMessageAuthenticationNonce',
        'messageDigest',
        'vendorName',
        'receiveWindowSize',
        'preferredLanguage',
      ],
      section: 'RFC 3931 §6.2',
    },
  },
  SCCCN: {
    scope: 'tunnel',
    v2: { required: [], optional: ['challengeResponse'], section: 'RFC 2661 §6.3' },
    v3: { required: [], optional: V3_AUTH, section: 'RFC 3931 §6.3' },
  },
  StopCCN: {
    scope: 'tunnel',
    v2: { required: ['assignedTunnelId', 'resultCode'], optional: [], section: 'RFC 2661 §6.4' },
    v3: {
      required: ['resultCode'],
      optional: [...V3_AUTH, 'assignedControlConnectionId'],
      section: 'RFC 3931 §6.4',
    },
  },
  HELLO: {
    scope: 'tunnel',
    v2: { required: [], optional: [], section: 'RFC 2661 §6.5' },
    v3: { required: [], optional: V3_AUTH, section: 'RFC 3931 §6.5' },
  },
  OCRQ: {
    scope: 'session',
    v2: {
      required: [
        'assignedSessionId',
        'callSerialNumber',
        'minimumBps',
        'maximumBps',
        'bearerType',
        'framingType',
        'calledNumber',
      ],
      optional: ['subAddress'],
      section: 'RFC 2661 §6.9',
    },
    v3: {
      required: [
        'localSessionId',
        'remoteSessionId',
        'callSerialNumber',
        'pseudowireType',
        'remoteEndId',
        'circuitStatus',
      ],
      optional: [
        ...V3_AUTH,
        'assignedCookie',
        'txConnectSpeedV3',
        'rxConnectSpeedV3',
        'tieBreaker',
        'l2SpecificSublayer',
        'dataSequencing',
      ],
      section: 'RFC 3931 §6.9',
    },
  },
  OCRP: {
    scope: 'session',
    v2: {
      required: ['assignedSessionId'],
      optional: ['physicalChannelId'],
      section: 'RFC 2661 §6.10',
    },
    v3: {
      required: ['localSessionId', 'remoteSessionId', 'circuitStatus'],
      optional: [
        ...V3_AUTH,
        'assignedCookie',
        'l2SpecificSublayer',
        'txConnectSpeedV3',
        'rxConnectSpeedV3',
        'dataSequencing',
        'physicalChannelId',
      ],
      section: 'RFC 3931 §6.10',
    },
  },
  OCCN: {
    scope: 'session',
    v2: {
      required: ['txConnectSpeed', 'framingType'],
      optional: ['rxConnectSpeed', 'sequencingRequired'],
      section: 'RFC 2661 §6.11',
    },
    v3: {
      required: ['localSessionId', 'remoteSessionId'],
      optional: [
        ...V3_AUTH,
        'l2SpecificSublayer',
        'txConnectSpeedV3',
        'rxConnectSpeedV3',
        'dataSequencing',
        'circuitStatus',
      ],
      section: 'RFC 3931 §6.11',
    },
  },
  ICRQ: {
    scope: 'session',
    v2: {
      required: ['assignedSessionId', 'callSerialNumber'],
      optional: ['bearerType', 'physicalChannelId', 'callingNumber', 'calledNumber', 'subAddress'],
      section: 'RFC 2661 §6.6',
    },
    v3: {
      required: [
        'localSessionId',
        'remoteSessionId',
        'callSerialNumber',
        'pseudowireType',
        'remoteEndId',
        'circuitStatus',
      ],
      optional: [
        ...V3_AUTH,
        'assignedCookie',
        'tieBreaker',
        'l2SpecificSublayer',
        'dataSequencing',
        'txConnectSpeedV3',
        'rxConnectSpeedV3',
        'physicalChannelId',
      ],
      section: 'RFC 3931 §6.6',
    },
  },
  ICRP: {
    scope: 'session',
    v2: { required: ['assignedSessionId'], optional: [], section: 'RFC 2661 §6.7' },
    v3: {
      required: ['localSessionId', 'remoteSessionId', 'circuitStatus'],
      optional: [
        ...V3_AUTH,
        'assignedCookie',
        'l2SpecificSublayer',
        'dataSequencing',
        'txConnectSpeedV3',
        'rxConnectSpeedV3',
        'physicalChannelId',
      ],
      section: 'RFC 3931 §6.7',
    },
  },
  ICCN: {
    scope: 'session',
    v2: {
      required: ['txConnectSpeed', 'framingType'],
      optional: [
        'initialReceivedLcpConfreq',
        'lastSentLcpConfreq',
        'lastReceivedLcpConfreq',
        'proxyAuthenType',
        'proxyAuthenName',
        'proxyAuthenChallenge',
        'proxyAuthenId',
        'proxyAuthenResponse',
        'privateGroupId',
        'rxConnectSpeed',
        'sequencingRequired',
      ],
      section: 'RFC 2661 §6.8',
    },
    v3: {
      required: ['localSessionId', 'remoteSessionId'],
      optional: [
        ...V3_AUTH,
        'l2SpecificSublayer',
        'dataSequencing',
        'txConnectSpeedV3',
        'rxConnectSpeedV3',
        'circuitStatus',
      ],
      section: 'RFC 3931 §6.8',
    },
  },
  CDN: {
    scope: 'session',
    v2: {
      required: ['resultCode', 'assignedSessionId'],
      // RFC 3145 §2 adds the PPP Disconnect Cause Code to CDN.
      optional: ['q931CauseCode', 'pppDisconnectCauseCode'],
      section: 'RFC 2661 §6.12',
    },
    v3: {
      required: ['resultCode', 'localSessionId', 'remoteSessionId'],
      optional: V3_AUTH,
      section: 'RFC 3931 §6.12',
    },
  },
  WEN: {
    scope: 'session',
    v2: { required: ['callErrors'], optional: [], section: 'RFC 2661 §6.13' },
    v3: {
      required: ['localSessionId', 'remoteSessionId', 'callErrors'],
      optional: V3_AUTH,
      section: 'RFC 3931 §6.13',
    },
  },
  SLI: {
    scope: 'session',
    v2: { required: ['accm'], optional: [], section: 'RFC 2661 §6.14' },
    v3: {
      required: ['localSessionId', 'remoteSessionId'],
      optional: [...V3_AUTH, 'circuitStatus'],
      section: 'RFC 3931 §6.14',
    },
  },
  ACK: {
    scope: 'tunnel',
    v2: null,
    v3: { required: [], optional: V3_AUTH, section: 'RFC 3931 §6.15' },
  },
  MDMST: extension('session', 'RFC 3573'),
  SRRQ: extension('session', 'RFC 3817'),
  SRRP: extension('session', 'RFC 3817'),
  FSQ: extension('tunnel', 'RFC 4951 §4.1'),
  FSR: extension('tunnel', 'RFC 4951 §4.2'),
  MSRQ: extension('session', 'RFC 4045'),
  MSRP: extension('session', 'RFC 4045'),
  MSE: extension('session', 'RFC 4045'),
  MSI: extension('tunnel', 'RFC 4045'),
  MSEN: extension('session', 'RFC 4045'),
  CSUN: extension('tunnel', 'RFC 5515 §4.1'),
  CSURQ: extension('tunnel', 'RFC 5515 §4.2'),
} as const satisfies Record<string, MessageSpecRow>;

function extension<S extends 'tunnel' | 'session'>(scope: S, section: string) {
  const spec = { required: [], optional: [], section } as const;
  return { scope, v2: spec, v3: spec } as const;
}

/** A message type name that has a typed form. */
export type KnownMessageName = keyof typeof MESSAGE_SPEC;
/** The MESSAGE_SPEC row of message type K in version V (null when the type does not exist there). */
export type SpecOf<
  K extends KnownMessageName,
  V extends L2tpVersion,
> = (typeof MESSAGE_SPEC)[K][V extends 2 ? 'v2' : 'v3'];
/** Fields a message type requires in version V (from MESSAGE_SPEC). */
export type RequiredOf<K extends KnownMessageName, V extends L2tpVersion> =
  SpecOf<K, V> extends { readonly required: readonly (infer F)[] } ? F & FieldName : never;
/** Message types that exist in version V. */
export type DefinedIn<V extends L2tpVersion> = {
  [K in KnownMessageName]: SpecOf<K, V> extends null ? never : K;
}[KnownMessageName];

/** One typed message of a given type and version: required AVPs as required properties. */
export type TypedMessage<K extends KnownMessageName, V extends L2tpVersion> = {
  readonly type: K;
  readonly version: V;
} & { readonly [F in RequiredOf<K, V>]: FieldValue<F> } & Omit<MessageFields, RequiredOf<K, V>>;

/** A Zero-Length Body acknowledgement (RFC 2661 §5.8): a header without AVPs. */
export interface ZlbMessage {
  readonly type: 'ZLB';
  readonly version: L2tpVersion;
}

/** A message whose Message Type is unknown and not mandatory (RFC 2661 §4.4.1: ignored). */
export interface UnknownMessage {
  readonly type: 'UNKNOWN';
  readonly version: L2tpVersion;
  readonly messageType: number;
}

/** Every typed L2TPv2 message. */
export type V2Message = { [K in DefinedIn<2>]: TypedMessage<K, 2> }[DefinedIn<2>];
/** Every typed L2TPv3 message. */
export type V3Message = { [K in DefinedIn<3>]: TypedMessage<K, 3> }[DefinedIn<3>];
/** Any typed control message, ZLB and ignorable unknown messages included. */
export type ControlMessage = V2Message | V3Message | ZlbMessage | UnknownMessage;

/** Narrowing helper: the message if it has type `K`, else undefined. */
export function messageOfType<K extends KnownMessageName>(
  message: ControlMessage,
  type: K,
): Extract<ControlMessage, { type: K }> | undefined {
  return message.type === type ? (message as Extract<ControlMessage, { type: K }>) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Raw → typed

/** Options for `toTyped`. */
export interface ToTypedOptions {
  /** Shared secret, needed when the message has hidden AVPs (RFC 2661 §4.3, RFC 3931 §5.3). */
  readonly secret?: Uint8Array;
  /** Hash functions for unhiding; required with `secret` when AVPs are hidden. */
  readonly crypto?: L2tpCrypto;
  /**
   * Tolerance: accept unknown AVPs with the M bit set instead of tearing down (some vendor
   * stacks set M on private AVPs). Default false, as RFC 2661 §4.2 requires.
   */
  readonly acceptUnknownMandatoryAvps?: boolean;
}

/** The Error Code table entry for a problem, with the scope of the message it was found in. */
function protocolFailure(
  scope: 'tunnel' | 'session',
  errorCode: number,
  extra: Partial<ProtocolErrorOptions> = {},
): ProtocolErrorOptions {
  return {
    ...extra,
    scope,
    resultCode: scope === 'session' ? CdnResult.GeneralError : StopCcnResult.GeneralError,
    errorCode,
  };
}

const MESSAGE_NAME_BY_CODE: (KnownMessageName | undefined)[] = [];
for (const [name, code] of Object.entries(MessageType)) {
  if (name in MESSAGE_SPEC) MESSAGE_NAME_BY_CODE[code] = name as KnownMessageName;
}

/** The typed name of a message type number, or undefined when there is no typed form. */
export function knownMessageName(messageType: number): KnownMessageName | undefined {
  return MESSAGE_NAME_BY_CODE[messageType];
}

/**
 * Builds the typed message from a raw AVP list, unhiding hidden AVPs and validating it against
 * MESSAGE_SPEC. An empty list is a ZLB. Values in the result may alias the input bytes.
 *
 * @throws ProtocolError for every rule the RFC answers with StopCCN or CDN: Message Type missing
 *   or not first, unknown mandatory Message Type, unknown AVP with M=1, required AVP missing, a
 *   malformed value in a mandatory or required AVP, an out-of-range identifier, hidden AVPs that
 *   cannot be unhidden. `scope` says which of StopCCN or CDN answers it.
 */
export function toTyped(
  avps: readonly RawAvp[],
  version: L2tpVersion,
  options: ToTypedOptions = {},
): ControlMessage {
  if (avps.length === 0) return { type: 'ZLB', version };
  const first = avps[0] as RawAvp;
  if (version === 2 && first.reserved) {
    // RFC 2661 §4.1: unrecognised, so either an unknown M=1 AVP or no Message Type at all.
    if (first.mandatory && !options.acceptUnknownMandatoryAvps) {
      throw unknownMandatoryAvp(first, 'the message', 'tunnel');
    }
    throw new ProtocolError(
      'L2TP_ERR_MISSING_MESSAGE_TYPE',
      'the first AVP has reserved bits set, so it is not a usable Message Type AVP (RFC 2661 §4.1)',
      protocolFailure('tunnel', GeneralError.VendorSpecific, {
        attributeType: first.attributeType,
      }),
    );
  }
  if (first.vendorId !== 0 || first.attributeType !== AvpType.MessageType) {
    // RFC 2661 §4.4.1: "The Message Type AVP MUST be the first AVP in a message".
    throw new ProtocolError(
      'L2TP_ERR_MISSING_MESSAGE_TYPE',
      'the first AVP is not a Message Type AVP',
      protocolFailure('tunnel', GeneralError.VendorSpecific, {
        attributeType: first.attributeType,
      }),
    );
  }
  if (first.hidden || first.value.length !== 2) {
    throw new ProtocolError(
      'L2TP_ERR_INVALID_AVP',
      `malformed Message Type AVP (${first.hidden ? 'hidden' : `${first.value.length} bytes`})`,
      protocolFailure('tunnel', GeneralError.BadLength, { attributeType: 0 }),
    );
  }
  const messageType = ((first.value[0] as number) << 8) | (first.value[1] as number);
  const name = knownMessageName(messageType);
  const row: MessageSpecRow | undefined = name === undefined ? undefined : MESSAGE_SPEC[name];
  const spec = row === undefined ? null : version === 2 ? row.v2 : row.v3;
  if (name === undefined || row === undefined || spec === null) {
    if (!first.mandatory) return { type: 'UNKNOWN', version, messageType };
    // RFC 2661 §4.4.1: an unknown Message Type with the M bit set clears the tunnel.
    throw new ProtocolError(
      'L2TP_ERR_UNKNOWN_MESSAGE_TYPE',
      `unknown mandatory Message Type ${messageType} for L2TPv${version}`,
      protocolFailure('tunnel', GeneralError.OutOfRange, { attributeType: 0 }),
    );
  }
  const scope = row.scope;
  // Before unhiding: an unrecognised hidden AVP is never decrypted.
  const recognised = version === 2 ? dropReservedBitAvps(avps, name, scope, options) : avps;
  const list = hasHidden(recognised) ? unhideAll(recognised, version, options, scope) : recognised;
  const fields: Record<string, unknown> = { type: name, version };
  for (let i = 1; i < list.length; i++) {
    const avp = list[i] as RawAvp;
    const info = avp.vendorId === 0 ? lookupAvp(0, avp.attributeType) : undefined;
    // Rows whose layout is not known are kept as bytes when M=0; with M=1 we cannot honour
    // them, so they count as unrecognised (RFC 2661 §4.2).
    const field =
      info !== undefined && (info.formatKnown || !avp.mandatory)
        ? fieldNameOf(avp.attributeType)
        : undefined;
    if (info === undefined || field === undefined) {
      if (avp.mandatory && !options.acceptUnknownMandatoryAvps) {
        throw unknownMandatoryAvp(avp, name, scope);
      }
      continue; // M=0: skipped, never changes the typed result.
    }
    if (fields[field] !== undefined) continue; // repeated AVP: the first one counts
    const value = decodeField(info, avp, field, spec, scope, name);
    if (value !== undefined) fields[field] = value;
  }
  for (const field of spec.required) {
    if (fields[field] === undefined) {
      throw new ProtocolError(
        'L2TP_ERR_MISSING_AVP',
        `${name} without its required ${lookupAvp(0, FIELD_ATTRIBUTE_TYPE[field])?.name} AVP (${spec.section})`,
        protocolFailure(scope, GeneralError.VendorSpecific, {
          attributeType: FIELD_ATTRIBUTE_TYPE[field],
        }),
      );
    }
  }
  checkRanges(fields, name, scope);
  return fields as unknown as ControlMessage;
}

/** RFC 2661 §4.2 / RFC 3931 §5.2: an unrecognised AVP with M=1 tears down, Error Code 8. */
function unknownMandatoryAvp(
  avp: RawAvp,
  where: string,
  scope: 'tunnel' | 'session',
): ProtocolError {
  const why = avp.reserved ? ` (reserved bits ${avp.reserved} set, RFC 2661 §4.1)` : '';
  return new ProtocolError(
    'L2TP_ERR_UNKNOWN_MANDATORY_AVP',
    `unknown mandatory AVP ${avp.vendorId}:${avp.attributeType} in ${where}${why}`,
    protocolFailure(scope, GeneralError.UnknownMandatoryAvp, {
      attributeType: avp.attributeType,
      vendorId: avp.vendorId,
    }),
  );
}

/**
 * RFC 2661 §4.1: an L2TPv2 AVP with a reserved bit set MUST be treated as unrecognised — M=1
 * tears down, M=0 is dropped as if absent (so a required one is then missing). L2TPv3 ignores
 * the bits instead (RFC 3931 §5.1). Returns `avps` itself when no AVP has them.
 */
function dropReservedBitAvps(
  avps: readonly RawAvp[],
  name: string,
  scope: 'tunnel' | 'session',
  options: ToTypedOptions,
): readonly RawAvp[] {
  let out: RawAvp[] | undefined;
  for (let i = 1; i < avps.length; i++) {
    const avp = avps[i] as RawAvp;
    if (!avp.reserved) {
      out?.push(avp);
      continue;
    }
    if (avp.mandatory && !options.acceptUnknownMandatoryAvps) {
      throw unknownMandatoryAvp(avp, name, scope);
    }
    out ??= avps.slice(0, i);
  }
  return out ?? avps;
}

/**
 * The common case of `toTyped(decodeAvps(bytes, start, end), version)` without building the raw
 * list: walks the AVP headers in the datagram and reads fixed-size numeric values in place.
 * Returns undefined, never throws, as soon as anything is unusual (hidden, unknown mandatory or
 * malformed AVPs, a missing required AVP, a zero identifier…); the caller then takes the general
 * path, which gives the exact error. A property test checks that both paths agree.
 */
export function toTypedFromWire(
  bytes: Uint8Array,
  start: number,
  end: number,
  version: L2tpVersion,
): ControlMessage | undefined {
  if (start === end) return { type: 'ZLB', version };
  // Message Type AVP: M=1 or 0, H=0, reserved 0, Length 8, IETF, type 0.
  if (end - start < 8 || (bytes[start] as number) & 0x7f || bytes[start + 1] !== 8)
    return undefined;
  if (bytes[start + 2] !== 0 || bytes[start + 3] !== 0 || bytes[start + 4] !== 0) return undefined;
  if (bytes[start + 5] !== 0) return undefined;
  const name = knownMessageName(((bytes[start + 6] as number) << 8) | (bytes[start + 7] as number));
  if (name === undefined) return undefined;
  const row: MessageSpecRow = MESSAGE_SPEC[name];
  const spec = version === 2 ? row.v2 : row.v3;
  if (spec === null) return undefined;
  // Only keyed stores on the result: keyed loads on a growing object are slow on V8, so
  // repeats and required AVPs are tracked by attribute type in SEEN, marked with this call's
  // stamp (no clearing per message: TurboFan compiles TypedArray#fill into a large graph).
  const stamp = nextSeenStamp();
  const zeroForbidden =
    name === 'StopCCN'
      ? NON_ZERO_SESSION_TYPE
      : name === 'CDN'
        ? NON_ZERO_TUNNEL_TYPE
        : NON_ZERO_TYPE;
  const fields: Record<string, unknown> = { type: name, version };
  let off = start + 8;
  while (off < end) {
    if (end - off < 6) return undefined;
    const b0 = bytes[off] as number;
    const length = ((b0 & 0x03) << 8) | (bytes[off + 1] as number);
    // Hidden or reserved bits (RFC 2661 §4.1 vs RFC 3931 §5.1): the general path decides.
    if (length < 6 || length > end - off || (b0 & 0x7c) !== 0) return undefined;
    const vendorId = ((bytes[off + 2] as number) << 8) | (bytes[off + 3] as number);
    const type = ((bytes[off + 4] as number) << 8) | (bytes[off + 5] as number);
    const valueStart = off + 6;
    const valueLength = length - 6;
    off += length;
    const info = vendorId === 0 ? lookupAvp(0, type) : undefined;
    const field =
      info !== undefined && (info.formatKnown || (b0 & 0x80) === 0) ? fieldNameOf(type) : undefined;
    if (info === undefined || field === undefined) {
      if ((b0 & 0x80) !== 0) return undefined; // unknown mandatory: the general path answers
      continue;
    }
    if (SEEN[type] === stamp) continue; // repeated AVP: the first one counts
    if (valueLength < info.minLength || valueLength > info.maxLength) return undefined;
    const value = readValue(bytes, valueStart, valueLength, info.kind);
    if (value === undefined || (value === 0 && zeroForbidden[type] === 1)) return undefined;
    SEEN[type] = stamp;
    fields[field] = value;
  }
  const required = requiredTypes(spec);
  for (let i = 0; i < required.length; i++) {
    if (SEEN[required[i] as number] !== stamp) return undefined;
  }
  return fields as unknown as ControlMessage;
}

const SEEN = new Uint32Array(LAST_FIELD_TYPE + 1);
let seenStamp = 0;

// A stamp no entry of SEEN holds: 1 … 2^32 − 1, SEEN cleared once when the stamps wrap.
function nextSeenStamp(): number {
  seenStamp = (seenStamp + 1) >>> 0;
  if (seenStamp === 0) clearSeen();
  return seenStamp;
}

function clearSeen(): void {
  SEEN.fill(0);
  seenStamp = 1;
}
const REQUIRED_TYPES = new Map<VersionSpec, readonly number[]>();

// The miss apart, so that toTypedFromWire inlines only the lookup (see fieldRank).
function requiredTypes(spec: VersionSpec): readonly number[] {
  const types = REQUIRED_TYPES.get(spec);
  return types === undefined ? makeRequiredTypes(spec) : types;
}

function makeRequiredTypes(spec: VersionSpec): readonly number[] {
  const types = spec.required.map((f) => FIELD_ATTRIBUTE_TYPE[f]);
  REQUIRED_TYPES.set(spec, types);
  return types;
}

function typeMask(fields: readonly FieldName[]): Uint8Array {
  const mask = new Uint8Array(LAST_FIELD_TYPE + 1);
  for (const f of fields) mask[FIELD_ATTRIBUTE_TYPE[f]] = 1;
  return mask;
}

// Fixed-size numbers are read in place; other kinds get a view and their codec.
function readValue(bytes: Uint8Array, at: number, length: number, kind: ValueKind): unknown {
  switch (kind) {
    case 'u16':
    case 'messageType':
    case 'l2SpecificSublayer':
    case 'dataSequencing':
      return length === 2 ? ((bytes[at] as number) << 8) | (bytes[at + 1] as number) : undefined;
    case 'u32':
    case 'bitset32':
      return length === 4
        ? (bytes[at] as number) * 0x1000000 +
            (((bytes[at + 1] as number) << 16) |
              ((bytes[at + 2] as number) << 8) |
              (bytes[at + 3] as number))
        : undefined;
    case 'protocolVersion':
      return length === 2 ? { version: bytes[at], revision: bytes[at + 1] } : undefined;
    case 'string':
      return stringValue(plainView(bytes, at, length));
    case 'bytes':
      return plainView(bytes, at, length);
    default:
      try {
        return decodeValue(kind, plainView(bytes, at, length));
      } catch (err) {
        if (err instanceof DecodeError) return undefined;
        throw err;
      }
  }
}

function hasHidden(avps: readonly RawAvp[]): boolean {
  for (const avp of avps) if (avp.hidden) return true;
  return false;
}

function unhideAll(
  avps: readonly RawAvp[],
  version: L2tpVersion,
  options: ToTypedOptions,
  scope: 'tunnel' | 'session',
): readonly RawAvp[] {
  const { secret, crypto } = options;
  if (secret !== undefined && crypto === undefined) {
    throw new UsageError('toTyped: a secret was given without a crypto implementation');
  }
  try {
    const key =
      secret === undefined || crypto === undefined
        ? undefined
        : version === 3
          ? deriveV3HidingKey(secret, crypto)
          : secret;
    return unhideAvps(avps, key, crypto as L2tpCrypto);
  } catch (err) {
    if (err instanceof ProtocolError && err.scope !== scope) {
      throw new ProtocolError(err.code, err.message, {
        ...protocolFailure(scope, err.errorCode ?? GeneralError.OutOfRange),
        ...(err.attributeType === undefined ? {} : { attributeType: err.attributeType }),
        ...(err.vendorId === undefined ? {} : { vendorId: err.vendorId }),
        cause: err,
      });
    }
    if (err instanceof DecodeError) {
      throw new ProtocolError(err.code, err.message, {
        ...protocolFailure(scope, GeneralError.BadLength),
        ...(err.attributeType === undefined ? {} : { attributeType: err.attributeType }),
        cause: err,
      });
    }
    throw err;
  }
}

function decodeField(
  info: AvpInfo,
  avp: RawAvp,
  field: FieldName,
  spec: VersionSpec,
  scope: 'tunnel' | 'session',
  name: string,
): unknown {
  try {
    const value = avp.value;
    if (value.length < info.minLength || value.length > info.maxLength) {
      throw new DecodeError(
        'L2TP_ERR_BAD_AVP_VALUE',
        `${info.name}: value of ${value.length} bytes outside ${info.minLength}…${info.maxLength}`,
        { attributeType: info.attributeType },
      );
    }
    // The catalogue's bounds are checked above; decodeValue checks the kind's own layout.
    return decodeValue(info.kind, value);
  } catch (err) {
    if (!(err instanceof DecodeError)) throw err;
    // A malformed value we must act on tears down; an optional, non-mandatory one is skipped.
    if (avp.mandatory || spec.required.includes(field)) {
      throw new ProtocolError(
        'L2TP_ERR_INVALID_AVP',
        `${name}: ${err.message}`,
        protocolFailure(scope, GeneralError.BadLength, {
          attributeType: avp.attributeType,
          cause: err,
        }),
      );
    }
    return undefined;
  }
}

// Identifiers that RFC 2661 §4.4.3/§4.4.4 and RFC 3931 §5.4.3/§5.4.4 say are non-zero, and the
// window size that RFC 2661 §5.8 says cannot be 0.
const NON_ZERO: readonly FieldName[] = [
  'assignedTunnelId',
  'receiveWindowSize',
  'assignedControlConnectionId',
];
const NON_ZERO_SESSION: readonly FieldName[] = ['assignedSessionId', 'localSessionId'];
// The same rules as masks by attribute type, for the fast path (toTypedFromWire).
const NON_ZERO_TYPE = typeMask([...NON_ZERO, ...NON_ZERO_SESSION]);
const NON_ZERO_TUNNEL_TYPE = typeMask(NON_ZERO); // CDN: session ids may be 0
const NON_ZERO_SESSION_TYPE = typeMask(NON_ZERO_SESSION); // StopCCN: tunnel ids may be 0

function checkRanges(fields: Record<string, unknown>, name: string, scope: 'tunnel' | 'session') {
  const check = (field: FieldName) => {
    if (fields[field] === 0) {
      throw new ProtocolError(
        'L2TP_ERR_INVALID_AVP',
        `${name}: ${lookupAvp(0, FIELD_ATTRIBUTE_TYPE[field])?.name} must not be 0`,
        protocolFailure(scope, GeneralError.OutOfRange, {
          attributeType: FIELD_ATTRIBUTE_TYPE[field],
        }),
      );
    }
  };
  // StopCCN and CDN may name id 0 when they answer a peer before anything was assigned.
  if (name !== 'StopCCN') for (const field of NON_ZERO) check(field);
  if (name !== 'CDN') for (const field of NON_ZERO_SESSION) check(field);
}

// ---------------------------------------------------------------------------------------------
// Typed → raw

/** Options for `fromTyped`. */
export interface FromTypedOptions {
  /**
   * Fields to send hidden (RFC 2661 §4.3). Needs `secret`, `randomVector` and `crypto`. Fields
   * whose AVP must not be hidden are refused with a UsageError.
   */
  readonly hide?: readonly FieldName[];
  readonly secret?: Uint8Array;
  /** Fresh random octets for the Random Vector AVP (16 recommended). */
  readonly randomVector?: Uint8Array;
  readonly crypto?: L2tpCrypto;
  /**
   * Random padding for each hidden value (RFC 2661 §4.3), given its Attribute Type and the
   * length of its plaintext value; undefined for none. `padHiddenValuesTo` (hidden.ts) makes
   * one that pads every hidden value to a minimum length.
   */
  readonly padding?: (attributeType: number, valueLength: number) => Uint8Array | undefined;
  /** Vendor or other raw AVPs appended after the typed fields. */
  readonly extraAvps?: readonly RawAvp[];
}

const NO_HIDE: readonly FieldName[] = [];

// sendOrder's scratch: the ranks of the fields collected so far (it never recurses).
const sendRanks: number[] = [];

// Checks that the message type exists in the message's version and that its required fields are
// set, then fills `present` (emptied first) with the fields the message sets, in send order:
// the spec's fields in RFC order, then the others by attribute type (fieldRank). It walks the
// message's own properties (a handful), not all 100 fields, and insertion-sorts them by rank
// (they mostly come in order already).
function sendOrder(message: ControlMessage, present: FieldName[]): void {
  const fields = message as MessageFields;
  const version = message.version;
  const row: MessageSpecRow | undefined =
    message.type === 'UNKNOWN' || message.type === 'ZLB' ? undefined : MESSAGE_SPEC[message.type];
  const spec = row === undefined ? null : version === 2 ? row.v2 : row.v3;
  if (row !== undefined && spec === null) {
    throw new UsageError(`${message.type} does not exist in L2TPv${version}`);
  }
  if (spec !== null) {
    const required = spec.required;
    for (let i = 0; i < required.length; i++) {
      const field = required[i] as FieldName;
      if (fields[field] === undefined) {
        throw new UsageError(`${message.type} needs ${field} (${spec.section})`);
      }
    }
  }
  const rank = fieldRank(spec);
  const ranks = sendRanks;
  present.length = 0;
  ranks.length = 0;
  for (const key in message) {
    const r = rank.get(key);
    if (r === undefined || fields[key as FieldName] === undefined) continue;
    let at = present.length;
    present.push(key as FieldName);
    ranks.push(r);
    while (at > 0 && (ranks[at - 1] as number) > r) {
      present[at] = present[at - 1] as FieldName;
      ranks[at] = ranks[at - 1] as number;
      at--;
    }
    present[at] = key as FieldName;
    ranks[at] = r;
  }
}

/**
 * Turns a typed message into its raw AVP list: Message Type first (M=1), then the spec's
 * required and optional fields in RFC order, then other fields in attribute order, then
 * `extraAvps`. M bits come from the catalogue for the message's version. A ZLB gives [].
 *
 * @throws UsageError when a value cannot be encoded, a required field is missing, or hiding is
 *   asked for without its inputs.
 */
export function fromTyped(message: ControlMessage, options: FromTypedOptions = {}): RawAvp[] {
  if (message.type === 'ZLB') return [];
  const version = message.version;
  const messageType =
    message.type === 'UNKNOWN' ? message.messageType : MessageType[message.type as MessageTypeName];
  // Plain loops, no closures, iterators or spreads: this runs for every message sent, and
  // TurboFan compiles such a function several times faster (issue #13, cheaper setup).
  const typeValue = new Uint8Array(2);
  typeValue[0] = messageType >> 8;
  typeValue[1] = messageType & 0xff;
  const avps: RawAvp[] = [
    {
      mandatory: true,
      hidden: false,
      vendorId: 0,
      attributeType: AvpType.MessageType,
      value: typeValue,
    },
  ];
  const fields = message as MessageFields;
  const present: FieldName[] = [];
  sendOrder(message, present);
  for (let i = 0; i < present.length; i++) {
    const field = present[i] as FieldName;
    const type = FIELD_ATTRIBUTE_TYPE[field];
    const info = lookupAvp(0, type) as AvpInfo;
    avps.push({
      mandatory: mandatoryBitFor(info, version),
      hidden: false,
      vendorId: 0,
      attributeType: type,
      value: encodeKindValue(info, FIELD_KINDS[field], fields[field]),
    });
  }
  const extra = options.extraAvps;
  if (extra !== undefined) for (let i = 0; i < extra.length; i++) avps.push(extra[i] as RawAvp);
  const hide = options.hide ?? NO_HIDE;
  if (hide.length === 0) return avps;
  return hideFields(avps, hide, version, options);
}

// Octets of the value kinds encodeTypedAvps writes itself (unsigned integers of a fixed size).
const UINT_OCTETS: { readonly [K in ValueKind]?: 1 | 2 | 4 } = {
  u8: 1,
  u16: 2,
  u32: 4,
  messageType: 2,
  bitset32: 4,
  l2SpecificSublayer: 2,
  dataSequencing: 2,
};

// encodeTypedAvps' scratch: the fields present and their encoded values (written only for
// kinds it does not write itself). Emptied by every call; the encoder never recurses.
const scratchFields: FieldName[] = [];
const scratchValues: (Uint8Array | undefined)[] = [];

/**
 * The AVP octets of a typed message, as `encodeAvps(fromTyped(message))` gives them, written
 * after `headroom` free octets of one new array (room for the control header). The same checks
 * and errors as fromTyped; no RawAvp objects and no array per integer value: this runs for
 * every control message an engine sends (issue #13, cheaper setup). Hidden AVPs and extra raw
 * AVPs go through fromTyped.
 * @throws UsageError as fromTyped.
 */
export function encodeTypedAvps(message: ControlMessage, headroom = 0): Uint8Array {
  if (message.type === 'ZLB') return new Uint8Array(headroom);
  if (message.type !== 'UNKNOWN') {
    const out = encodePlanned(message, headroom);
    if (out !== undefined) return out;
  }
  return encodeSorted(message, headroom);
}

// One row per field a message's spec lists, in send order (see fieldRank), with what encoding
// it takes worked out once: the common message, which sets only fields of its spec, is then
// encoded without sorting, maps or per-field table lookups (issue #13, cheaper setup).
interface PlannedField {
  readonly name: FieldName;
  readonly type: number;
  readonly info: AvpInfo;
  readonly kind: ValueKind;
  readonly mandatory: boolean;
  /** Octets of an unsigned integer written in place (0: encoded by its codec). */
  readonly octets: 0 | 1 | 2 | 4;
  readonly max: number;
}

const PLANS = new Map<VersionSpec, readonly PlannedField[]>();

function encodePlan(spec: VersionSpec, version: L2tpVersion): readonly PlannedField[] {
  return PLANS.get(spec) ?? makeEncodePlan(spec, version);
}

function makeEncodePlan(spec: VersionSpec, version: L2tpVersion): readonly PlannedField[] {
  const plan = specSendOrder(spec).map((name): PlannedField => {
    const type = FIELD_ATTRIBUTE_TYPE[name];
    const info = lookupAvp(0, type) as AvpInfo;
    const kind = FIELD_KINDS[name];
    const octets = uintOctetsInPlace(info, kind);
    const max = UINT_MAX[octets];
    return { name, type, info, kind, mandatory: mandatoryBitFor(info, version), octets, max };
  });
  PLANS.set(spec, plan);
  return plan;
}

// Octets of a field's unsigned integer value when the encoder writes it itself (its kind is a
// fixed-size integer the catalogue's bounds allow), 0 when its codec encodes it.
function uintOctetsInPlace(info: AvpInfo, kind: ValueKind): 0 | 1 | 2 | 4 {
  const octets = UINT_OCTETS[kind];
  return octets !== undefined &&
    kind === info.kind &&
    octets >= info.minLength &&
    octets <= info.maxLength
    ? octets
    : 0;
}

// An integer value that fits in place: the check its codec would make.
function isUintUpTo(value: unknown, max: number): value is number {
  return typeof value === 'number' && Number.isInteger(value) && value >= 0 && value <= max;
}

// encodePlanned's scratch, by plan row: 0 absent, 1 integer in place, 2 encoded in plannedBytes.
const plannedState = new Uint8Array(FIELD_NAMES.length + 1);
const plannedBytes: (Uint8Array | undefined)[] = [];

// encodeTypedAvps for a message that sets only fields its spec lists; undefined for anything
// else (a type not in its version, a required field missing, other keys), which encodeSorted
// takes with its exact errors.
function encodePlanned(message: ControlMessage, headroom: number): Uint8Array | undefined {
  const version = message.version;
  const row: MessageSpecRow | undefined = MESSAGE_SPEC[message.type as keyof typeof MESSAGE_SPEC];
  const spec = row === undefined ? null : version === 2 ? row.v2 : row.v3;
  if (spec === null) return undefined;
  const fields = message as MessageFields;
  const required = spec.required;
  for (let i = 0; i < required.length; i++) {
    if (fields[required[i] as FieldName] === undefined) return undefined;
  }
  const plan = encodePlan(spec, version);
  const state = plannedState;
  let total = headroom + AVP_HEADER_OCTETS + 2;
  let present = 0;
  for (let i = 0; i < plan.length; i++) {
    const p = plan[i] as PlannedField;
    const value = fields[p.name];
    if (value === undefined) {
      state[i] = 0;
      continue;
    }
    present++;
    if (p.octets !== 0 && isUintUpTo(value, p.max)) {
      state[i] = 1;
      total += AVP_HEADER_OCTETS + p.octets;
    } else {
      const bytes = encodeKindValue(p.info, p.kind, value);
      state[i] = 2;
      plannedBytes[i] = bytes;
      total += AVP_HEADER_OCTETS + bytes.length;
    }
  }
  // Own keys beyond type, version and the fields above: the sorted path places them.
  let keys = 0;
  for (const _ in message) keys++;
  if (keys !== present + 2) {
    plannedBytes.length = 0; // keeps no value of this message
    return undefined;
  }
  const out = new Uint8Array(total);
  let at = writeMessageTypeAvp(out, headroom, MessageType[message.type as MessageTypeName]);
  for (let i = 0; i < plan.length; i++) {
    const how = state[i];
    if (how === 0) continue;
    const p = plan[i] as PlannedField;
    if (how === 1) {
      at = writeUintAvp(out, at, p.mandatory, p.type, p.octets, fields[p.name] as number);
    } else {
      at = writeBytesAvp(out, at, p.mandatory, p.type, plannedBytes[i] as Uint8Array);
      plannedBytes[i] = undefined;
    }
  }
  return out;
}

// The Message Type AVP (M=1) at `start`; returns where the next AVP starts.
function writeMessageTypeAvp(out: Uint8Array, start: number, messageType: number): number {
  const at = writeAvpHeader(out, start, true, AvpType.MessageType, 2);
  out[at] = messageType >> 8;
  out[at + 1] = messageType & 0xff;
  return at + 2;
}

// An IETF AVP with an encoded value; returns where the next AVP starts.
function writeBytesAvp(
  out: Uint8Array,
  start: number,
  mandatory: boolean,
  type: number,
  value: Uint8Array,
): number {
  const at = writeAvpHeader(out, start, mandatory, type, value.length);
  out.set(value, at);
  return at + value.length;
}

// An IETF AVP with an unsigned integer value of `octets` octets; returns where the next starts.
function writeUintAvp(
  out: Uint8Array,
  start: number,
  mandatory: boolean,
  type: number,
  octets: number,
  value: number,
): number {
  const at = writeAvpHeader(out, start, mandatory, type, octets);
  if (octets === 4) {
    out[at] = value >>> 24;
    out[at + 1] = (value >>> 16) & 0xff;
    out[at + 2] = (value >>> 8) & 0xff;
    out[at + 3] = value & 0xff;
  } else if (octets === 2) {
    out[at] = value >>> 8;
    out[at + 1] = value & 0xff;
  } else out[at] = value;
  return at + octets;
}

// encodeTypedAvps for any message: fields in send order (sendOrder).
function encodeSorted(message: ControlMessage, headroom: number): Uint8Array {
  const version = message.version;
  const messageType =
    message.type === 'UNKNOWN' ? message.messageType : MessageType[message.type as MessageTypeName];
  const fields = message as MessageFields;
  const present = scratchFields;
  const values = scratchValues;
  sendOrder(message, present);
  // Sizes first (an integer is checked as its codec would; anything else is encoded now).
  let total = headroom + AVP_HEADER_OCTETS + 2;
  values.length = present.length;
  for (let i = 0; i < present.length; i++) {
    const field = present[i] as FieldName;
    const info = lookupAvp(0, FIELD_ATTRIBUTE_TYPE[field]) as AvpInfo;
    const kind = FIELD_KINDS[field];
    const octets = uintOctetsInPlace(info, kind);
    const value = fields[field];
    if (octets !== 0 && isUintUpTo(value, UINT_MAX[octets])) {
      values[i] = undefined;
      total += AVP_HEADER_OCTETS + octets;
    } else {
      const bytes = encodeKindValue(info, kind, value);
      values[i] = bytes;
      total += AVP_HEADER_OCTETS + bytes.length;
    }
  }
  const out = new Uint8Array(total);
  let at = writeMessageTypeAvp(out, headroom, messageType);
  for (let i = 0; i < present.length; i++) {
    const field = present[i] as FieldName;
    const type = FIELD_ATTRIBUTE_TYPE[field];
    const info = lookupAvp(0, type) as AvpInfo;
    const mandatory = mandatoryBitFor(info, version);
    const bytes = values[i];
    if (bytes === undefined) {
      const octets = UINT_OCTETS[FIELD_KINDS[field]] as 1 | 2 | 4;
      at = writeUintAvp(out, at, mandatory, type, octets, fields[field] as number);
    } else at = writeBytesAvp(out, at, mandatory, type, bytes);
  }
  values.length = 0;
  return out;
}

const AVP_HEADER_OCTETS = 6;
const UINT_MAX = [0, 0xff, 0xffff, 0, 0xffff_ffff] as const;

// An IETF AVP's header (M bit, length, vendor 0, type); returns where its value starts.
function writeAvpHeader(
  out: Uint8Array,
  at: number,
  mandatory: boolean,
  type: number,
  valueLength: number,
): number {
  const length = AVP_HEADER_OCTETS + valueLength;
  out[at] = (mandatory ? 0x80 : 0) | (length >> 8);
  out[at + 1] = length & 0xff;
  out[at + 2] = 0;
  out[at + 3] = 0;
  out[at + 4] = type >> 8;
  out[at + 5] = type & 0xff;
  return at + AVP_HEADER_OCTETS;
}

// encodeAvpValue (registry.ts) of `value` of kind `kind`, without the tagged object it takes:
// the same checks, in the same order, and the same errors.
function encodeKindValue(info: AvpInfo, kind: ValueKind, value: unknown): Uint8Array {
  if (kind !== info.kind) {
    throw new UsageError(`${info.name} takes a '${info.kind}' value, got '${kind}'`, {
      attributeType: info.attributeType,
      vendorId: info.vendorId,
    });
  }
  const bytes = encodeValue(kind, value as never);
  if (bytes.length < info.minLength || bytes.length > info.maxLength) {
    throw new UsageError(
      `${info.name}: encoded value is ${bytes.length} bytes, allowed ${info.minLength}…${info.maxLength}`,
      { attributeType: info.attributeType, vendorId: info.vendorId },
    );
  }
  return bytes;
}

const RANK_CACHE = new Map<VersionSpec | null, ReadonlyMap<string, number>>();

// Send order: the spec's fields in RFC order, then the others by attribute type. The miss is
// a function of its own: inlined into fromTyped, its spreads and closures cost TurboFan more
// than all of fromTyped's own work (issue #13, cheaper setup).
function fieldRank(spec: VersionSpec | null): ReadonlyMap<string, number> {
  const rank = RANK_CACHE.get(spec);
  return rank === undefined ? makeFieldRank(spec) : rank;
}

// The fields a spec lists, in send order: the digest first, then required and optional as the
// RFC lists them.
function specSendOrder(spec: VersionSpec | null): FieldName[] {
  // RFC 3931 §5.4.1: the Message Digest AVP MUST come immediately after the Message Type AVP.
  const listed = spec === null ? [] : [...spec.required, ...spec.optional];
  return ['messageDigest', ...listed.filter((f) => f !== 'messageDigest')];
}

function makeFieldRank(spec: VersionSpec | null): ReadonlyMap<string, number> {
  const first = specSendOrder(spec);
  const rest = FIELD_NAMES.filter((f) => !first.includes(f)).sort(
    (a, b) => FIELD_ATTRIBUTE_TYPE[a] - FIELD_ATTRIBUTE_TYPE[b],
  );
  const rank = new Map([...first, ...rest].map((f, i) => [f, i]));
  RANK_CACHE.set(spec, rank);
  return rank;
}

function hideFields(
  avps: RawAvp[],
  hide: readonly FieldName[],
  version: L2tpVersion,
  options: FromTypedOptions,
): RawAvp[] {
  const { secret, randomVector, crypto } = options;
  if (secret === undefined || randomVector === undefined || crypto === undefined) {
    throw new UsageError('fromTyped: hiding AVPs needs secret, randomVector and crypto');
  }
  const types = new Set<number>();
  for (const field of hide) {
    const type = FIELD_ATTRIBUTE_TYPE[field];
    if (!lookupAvp(0, type)?.hideable) {
      throw new UsageError(`fromTyped: ${field} must not be hidden (H bit MUST be 0)`, {
        attributeType: type,
      });
    }
    types.add(type);
  }
  const key = version === 3 ? deriveV3HidingKey(secret, crypto) : secret;
  const padding = options.padding;
  return hideAvps(
    avps,
    (avp, index) => index > 0 && avp.vendorId === 0 && types.has(avp.attributeType),
    key,
    randomVector,
    crypto,
    padding === undefined ? undefined : (avp) => padding(avp.attributeType, avp.value.length),
  );
}
