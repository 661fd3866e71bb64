/**
 * Sample messages for the Wireshark cross-check (test/interop/tshark-crosscheck.test.ts): one
 * typed message per message type and version, built with `buildControl`, which together carry
 * every IETF AVP the typed level can encode (RFC 2661 §4.4, RFC 3931 §5.4 and the extension RFCs)
 * plus a few vendor and unknown raw AVPs; a small L2TPv3 handshake signed with Message Digests
 * (RFC 3931 §4.3, §5.4.1); and data packets (RFC 2661 §3.1, RFC 3931 §4.1, §4.6).
 * Values are fixed and distinctive (high bits set on 32- and 64-bit numbers) so a sign or width
 * bug shows up as a different number in tshark's display. Not here: the tshark comparison.
 */

import {
  AVP_CATALOGUE,
  buildControl,
  type ControlHeaderInit,
  type ControlMessage,
  type DataHeaderV2,
  type DataHeaderV3,
  DIGEST_LENGTH,
  type DigestNonces,
  encodeData,
  FIELD_ATTRIBUTE_TYPE,
  FIELD_KINDS,
  type FieldName,
  type FromTypedOptions,
  fromTyped,
  type KnownMessageName,
  MESSAGE_SPEC,
  type MessageFields,
  type RawAvp,
  stringValue,
  writeMessageDigest,
} from '../../src/index.js';
import { nodeCrypto } from '../../src/node/index.js';

/** A message to cross-check: what we asked for, and the bytes `buildControl` made of it. */
export interface ControlSample {
  /** e.g. `v3 ICRQ`, `v2 ZLB`, `v2 SCCRQ (hidden)`. */
  readonly label: string;
  readonly version: 2 | 3;
  readonly encap: 'udp' | 'ip';
  readonly header: ControlHeaderInit;
  readonly message: ControlMessage;
  /** The raw AVP list that was encoded (Message Type first), as `fromTyped` made it. */
  readonly avps: readonly RawAvp[];
  /** The UDP payload, or for `encap: 'ip'` the IP payload starting with the zero Session ID. */
  readonly bytes: Uint8Array;
}

const bytesFrom = (...b: number[]) => Uint8Array.from(b);
const seq = (n: number, start: number) =>
  Uint8Array.from({ length: n }, (_, i) => (start + i) & 0xff);
const text = (s: string) => stringValue(s);

/**
 * One distinctive value for every typed field (every IETF AVP 1–101 but the reserved 20).
 * `connectSpeedUpdate` is version-specific and filled in by {@link fieldValue}.
 */
export const SAMPLE_VALUES: MessageFields = {
  resultCode: { resultCode: 2, errorCode: 6, errorMessage: text('vendor says no') },
  protocolVersion: { version: 1, revision: 0 },
  framingCapabilities: 3,
  bearerCapabilities: 3,
  tieBreaker: 0x8123_4567_89ab_cdefn,
  firmwareRevision: 0x0690,
  hostName: text('lac.example'),
  vendorName: text('l2tp-core'),
  assignedTunnelId: 0xbeef,
  receiveWindowSize: 16,
  challenge: seq(16, 0xa0),
  q931CauseCode: { causeCode: 16, causeMessage: 0x5a, advisory: text('normal clearing') },
  challengeResponse: seq(16, 0x30),
  assignedSessionId: 0xcafe,
  callSerialNumber: 0xdead_beef,
  minimumBps: 9600,
  maximumBps: 0xffff_fffe,
  bearerType: 2,
  framingType: 1,
  calledNumber: text('5551234'),
  callingNumber: text('5556789'),
  subAddress: text('42'),
  txConnectSpeed: 100_000_000,
  physicalChannelId: 0x8000_0001,
  // PPP LCP options (RFC 1661 §6): MRU 1500, Magic-Number; tshark dissects them with its LCP code.
  initialReceivedLcpConfreq: bytesFrom(0x01, 0x04, 0x05, 0xdc, 0x05, 0x06, 0x11, 0x22, 0x33, 0x44),
  lastSentLcpConfreq: bytesFrom(0x01, 0x04, 0x05, 0xd4),
  lastReceivedLcpConfreq: bytesFrom(0x05, 0x06, 0xa1, 0xb2, 0xc3, 0xd4),
  proxyAuthenType: 2,
  proxyAuthenName: text('alice'),
  proxyAuthenChallenge: seq(16, 0x10),
  proxyAuthenId: { reserved: 0, id: 7 },
  proxyAuthenResponse: seq(16, 0x50),
  callErrors: {
    reserved: 0,
    crcErrors: 1,
    framingErrors: 2,
    hardwareOverruns: 3,
    bufferOverruns: 0x8000_0004,
    timeoutErrors: 5,
    alignmentErrors: 6,
  },
  accm: { reserved: 0, sendAccm: 0xffff_ffff, receiveAccm: 0x000a_0000 },
  randomVector: seq(16, 0xe0),
  privateGroupId: text('group-7'),
  rxConnectSpeed: 2_500_000_000,
  sequencingRequired: null,
  rxMinimumBps: 56_000,
  rxMaximumBps: 0x8000_0000,
  serviceCategory: bytesFrom(0x00, 0x01),
  serviceName: bytesFrom(0x61, 0x74, 0x6d),
  callingSubAddress: bytesFrom(0x31, 0x32),
  vpiVciIdentifier: bytesFrom(0x00, 0x01, 0x00, 0x20),
  pppDisconnectCauseCode: {
    disconnectCode: 5,
    controlProtocol: 0xc021,
    direction: 1,
    message: text('peer refused'),
  },
  ccds: bytesFrom(0x00, 0x00, 0x00, 0x01),
  sds: bytesFrom(0x00, 0x02),
  lcpWantOptions: bytesFrom(0x01, 0x04, 0x05, 0xdc),
  lcpAllowOptions: bytesFrom(0x03, 0x04, 0xc0, 0x23),
  lnsLastSentLcpConfreq: bytesFrom(0x01, 0x04, 0x05, 0xd0),
  lnsLastReceivedLcpConfreq: bytesFrom(0x01, 0x04, 0x05, 0xc8),
  modemOnHoldCapable: bytesFrom(0x00, 0x01),
  modemOnHoldStatus: bytesFrom(0x00, 0x02),
  pppoeRelay: bytesFrom(0x11, 0x09, 0x00, 0x00, 0x00, 0x00),
  pppoeRelayResponseCapability: bytesFrom(0x00, 0x01),
  pppoeRelayForwardCapability: bytesFrom(0x00, 0x01),
  extendedVendorId: { vendorId: 0x0001_0009, attributeType: 7, value: bytesFrom(1, 2, 3, 4) },
  messageDigest: { digestType: 0, digest: new Uint8Array(16) },
  routerId: 0xc000_0201,
  assignedControlConnectionId: 0x89ab_cdef,
  pseudowireCapabilitiesList: [5, 4, 7],
  localSessionId: 0xfedc_ba98,
  remoteSessionId: 0x8102_0304,
  assignedCookie: bytesFrom(0xc0, 0x0c, 0x1e, 0x00, 0x11, 0x22, 0x33, 0x44),
  remoteEndId: bytesFrom(0x70, 0x77, 0x2d, 0x31, 0x30, 0x30), // "pw-100"
  applicationCode: bytesFrom(0x00, 0x01),
  pseudowireType: 5,
  l2SpecificSublayer: 1,
  dataSequencing: 2,
  circuitStatus: {
    active: true,
    new: true,
    acRxFault: false,
    acTxFault: false,
    pwRxFault: false,
    pwTxFault: false,
    standby: false,
    reserved: 0,
  },
  preferredLanguage: text('en-GB'),
  controlMessageAuthenticationNonce: seq(16, 0x70),
  txConnectSpeedV3: 10_000_000_000n,
  rxConnectSpeedV3: 0x8000_0000_0000_0001n,
  failoverCapability: { control: true, data: true, reserved: 0, recoveryTime: 3000 },
  tunnelRecovery: { reserved: 0, recoverTunnelId: 0x1001, recoverRemoteTunnelId: 0x2002 },
  suggestedControlSequence: { reserved: 0, ns: 5, nr: 6 },
  failoverSessionState: { reserved: 0, sessionId: 0x3003, remoteSessionId: 0x4004 },
  multicastCapability: bytesFrom(0x80),
  newOutgoingSessions: bytesFrom(0x00, 0x01, 0x00, 0x02),
  newOutgoingSessionsAcknowledgement: bytesFrom(0x00, 0x01),
  withdrawOutgoingSessions: bytesFrom(0x00, 0x02),
  multicastPacketsPriority: bytesFrom(0x00, 0x01, 0x07),
  frameRelayHeaderLength: 4,
  atmMaximumConcatenatedCells: 28,
  oamEmulationRequired: null,
  atmAlarmStatus: { circuitStatusReason: 1, alarmType: 2 },
  attachmentGroupIdentifier: bytesFrom(0x61, 0x67, 0x69),
  localEndIdentifier: bytesFrom(0x6c, 0x65, 0x69),
  interfaceMtu: bytesFrom(0x05, 0xdc),
  fcsRetention: bytesFrom(0x00, 0x01),
  tunnelSwitchingAggregatorId: text('tsa-1'),
  maximumReceiveUnit: bytesFrom(0x05, 0xdc),
  maximumReassembledReceiveUnit: bytesFrom(0x05, 0xea),
  vccvCapability: bytesFrom(0x02, 0x02),
  connectSpeedUpdateEnable: null,
  tdmPseudowire: bytesFrom(0x00, 0x00, 0x00, 0x01),
  rtpAvp: bytesFrom(0x00, 0x00),
  pwSwitchingPoint: bytesFrom(0x00, 0x04, 0xc0, 0x00, 0x02, 0x01),
};

/** The value used for `field` in a message of `version`. */
export function fieldValue(field: FieldName, version: 2 | 3): unknown {
  if (field === 'connectSpeedUpdate') {
    // RFC 5515 §6.1: 16-bit session id and 32-bit speeds on v2, 32/64-bit on v3.
    return version === 2
      ? {
          format: 'v2',
          reserved: 0,
          remoteSessionId: 0xcafe,
          txConnectSpeed: 0x8000_0000,
          rxConnectSpeed: 64_000,
        }
      : {
          format: 'v3',
          remoteSessionId: 0xfedc_ba98,
          txConnectSpeed: 0x1_0000_0000n,
          rxConnectSpeed: 0x8000_0000_0000_0000n,
        };
  }
  return SAMPLE_VALUES[field];
}

/**
 * Fields sent on top of each message's required and optional AVPs, so that every AVP type appears
 * at least once per version it exists in. Placed where the defining RFC uses them where that is
 * clear (failover in SCCRQ/SCCRP and FSQ, PPPoE relay in SRRQ/SRRP, multicast in MSI…).
 */
export const EXTRA_FIELDS: {
  readonly [V in 2 | 3]: Partial<Readonly<Record<KnownMessageName, readonly FieldName[]>>>;
} = {
  2: {
    SCCRQ: ['randomVector', 'failoverCapability', 'tunnelRecovery', 'ccds', 'multicastCapability'],
    SCCRP: ['suggestedControlSequence'],
    ICRQ: [
      'rxMinimumBps',
      'rxMaximumBps',
      'serviceCategory',
      'serviceName',
      'callingSubAddress',
      'vpiVciIdentifier',
      'sds',
      'tunnelSwitchingAggregatorId',
      'connectSpeedUpdateEnable',
    ],
    ICRP: ['lcpWantOptions', 'lcpAllowOptions'],
    ICCN: ['lnsLastSentLcpConfreq', 'lnsLastReceivedLcpConfreq'],
    MDMST: ['modemOnHoldCapable', 'modemOnHoldStatus'],
    SRRQ: ['pppoeRelay', 'pppoeRelayResponseCapability'],
    SRRP: ['pppoeRelayForwardCapability'],
    FSQ: ['failoverSessionState'],
    FSR: ['failoverSessionState'],
    MSI: [
      'newOutgoingSessions',
      'newOutgoingSessionsAcknowledgement',
      'withdrawOutgoingSessions',
      'multicastPacketsPriority',
    ],
    CSUN: ['connectSpeedUpdate'],
  },
  3: {
    SCCRQ: ['failoverCapability', 'tunnelRecovery'],
    SCCRP: ['suggestedControlSequence'],
    ICRQ: [
      'frameRelayHeaderLength',
      'atmMaximumConcatenatedCells',
      'oamEmulationRequired',
      'attachmentGroupIdentifier',
      'localEndIdentifier',
      'interfaceMtu',
      'fcsRetention',
      'tunnelSwitchingAggregatorId',
      'maximumReceiveUnit',
      'maximumReassembledReceiveUnit',
      'vccvCapability',
      'connectSpeedUpdateEnable',
      'tdmPseudowire',
      'rtpAvp',
      'applicationCode',
    ],
    ICRP: ['pwSwitchingPoint'],
    SLI: ['atmAlarmStatus'],
    FSQ: ['failoverSessionState'],
    FSR: ['failoverSessionState'],
    CSUN: ['connectSpeedUpdate'],
  },
};

/**
 * Raw AVPs appended with `extraAvps` (RFC 2661 §4.1: Vendor ID ≠ 0, or an unknown IETF type):
 * Cisco's draft-era Draft AVP Version, two Broadband Forum access-line AVPs (RFC 5515 §5), an
 * Ericsson STN Name, and an AVP of an unknown vendor and of an unknown IETF type, both M=0.
 */
export const VENDOR_AVPS: readonly RawAvp[] = [
  { mandatory: false, hidden: false, vendorId: 9, attributeType: 10, value: bytesFrom(0, 1) },
  {
    mandatory: false,
    hidden: false,
    vendorId: 3561,
    attributeType: 1,
    value: stringValue('dslam1 atm 1/2:3.4').bytes,
  },
  {
    mandatory: false,
    hidden: false,
    vendorId: 3561,
    attributeType: 129,
    value: bytesFrom(0, 0, 0, 0, 0x80, 0, 0, 1),
  },
  {
    mandatory: false,
    hidden: false,
    vendorId: 193,
    attributeType: 6,
    value: stringValue('stn-1').bytes,
  },
  { mandatory: false, hidden: false, vendorId: 0x7ffe, attributeType: 3, value: seq(5, 1) },
  { mandatory: false, hidden: false, vendorId: 0, attributeType: 200, value: seq(3, 9) },
];

/** Messages that carry {@link VENDOR_AVPS} (after their typed AVPs). */
export const VENDOR_AVP_MESSAGES: readonly KnownMessageName[] = ['ICRQ'];

/** Every typed message name defined for `version`, in MessageType order. */
export function messageNames(version: 2 | 3): KnownMessageName[] {
  return (Object.keys(MESSAGE_SPEC) as KnownMessageName[]).filter(
    (k) => MESSAGE_SPEC[k][version === 2 ? 'v2' : 'v3'] !== null,
  );
}

/** Session-scoped messages travel with a session id in the v2 header. */
function isSessionMessage(name: KnownMessageName): boolean {
  return MESSAGE_SPEC[name].scope === 'session';
}

/** The typed fields of the sample `name` for `version`: its spec's AVPs plus EXTRA_FIELDS. */
export function sampleFields(name: KnownMessageName, version: 2 | 3): FieldName[] {
  const row = MESSAGE_SPEC[name];
  const spec = version === 2 ? row.v2 : row.v3;
  const listed: readonly FieldName[] =
    spec === null ? [] : [...(spec.required as readonly FieldName[]), ...spec.optional];
  const fields = [...listed, ...(EXTRA_FIELDS[version][name] ?? [])].filter(
    // Only the SCCRQ carries a nonce: with both nonces in the capture, tshark would key every
    // later digest with them, and these samples carry integrity-only digests (RFC 3931 §4.3).
    (f) => f !== 'controlMessageAuthenticationNonce' || name === 'SCCRQ',
  );
  return fields.filter((f, i) => fields.indexOf(f) === i);
}

function typedMessage(
  name: KnownMessageName,
  version: 2 | 3,
  fields: readonly FieldName[],
): ControlMessage {
  const message: Record<string, unknown> = { type: name, version };
  for (const f of fields) message[f] = fieldValue(f, version);
  return message as unknown as ControlMessage;
}

function headerFor(name: KnownMessageName | 'ZLB', version: 2 | 3, i: number): ControlHeaderInit {
  if (version === 2) {
    const session = name !== 'ZLB' && isSessionMessage(name) ? 0x8000 + i : 0;
    return { version: 2, tunnelId: 0x9000 + i, sessionId: session, ns: i, nr: 0x8000 + i };
  }
  return { version: 3, connectionId: 0xf000_0000 + i, ns: i, nr: 0x8000 + i };
}

const EMPTY_SECRET = new Uint8Array(0);

/**
 * Fills the Message Digest AVP (placed right after the Message Type AVP, RFC 3931 §5.4.1) with
 * an integrity-only digest: empty secret, no nonces (§4.3). Over IP the digest covers the
 * message after the zero Session ID (§4.1.1.2). A no-op for messages without the AVP.
 */
export function withIntegrityDigest(bytes: Uint8Array, encap: 'udp' | 'ip'): Uint8Array {
  const message = encap === 'ip' ? bytes.subarray(4) : bytes;
  const at = 12 + 8; // control header, then the 8-octet Message Type AVP
  if (message.length <= at + 6 || message[at + 5] !== 59 || message[at + 3] !== 0) return bytes;
  writeMessageDigest(message, at, EMPTY_SECRET, undefined, nodeCrypto);
  return bytes;
}

function sample(
  label: string,
  header: ControlHeaderInit,
  message: ControlMessage,
  encap: 'udp' | 'ip',
  options: FromTypedOptions = {},
): ControlSample {
  const avps = fromTyped(message, options);
  const bytes = withIntegrityDigest(buildControl(header, message, { ...options, encap }), encap);
  return { label, version: header.version, encap, header, message, avps, bytes };
}

/**
 * One sample per typed message of `version` (ZLB first), over UDP, or for v3 over IP when
 * `encap` is 'ip'. v3 messages whose spec allows a Message Digest carry a valid integrity-only
 * digest (HMAC-MD5; HMAC-SHA-1 on SCCRP and ACK).
 */
export function controlSamples(version: 2 | 3, encap: 'udp' | 'ip' = 'udp'): ControlSample[] {
  const suffix = encap === 'ip' ? ' over IP' : '';
  const out: ControlSample[] = [
    sample(
      `v${version} ZLB${suffix}`,
      headerFor('ZLB', version, 0),
      { type: 'ZLB', version },
      encap,
    ),
  ];
  messageNames(version).forEach((name, k) => {
    const i = k + 1;
    const message = typedMessage(name, version, sampleFields(name, version));
    if (version === 3 && (name === 'SCCRP' || name === 'ACK')) {
      (message as Record<string, unknown>).messageDigest = {
        digestType: 1,
        digest: new Uint8Array(DIGEST_LENGTH[1]),
      };
    }
    const extraAvps = VENDOR_AVP_MESSAGES.includes(name) ? VENDOR_AVPS : undefined;
    out.push(
      sample(
        `v${version} ${name}${suffix}`,
        headerFor(name, version, i),
        message,
        encap,
        extraAvps === undefined ? {} : { extraAvps },
      ),
    );
  });
  return out;
}

/**
 * A v3 HELLO whose last AVP is an Extended Vendor ID AVP (RFC 3931 §5.1, Figure 5.2). Kept apart
 * from {@link controlSamples}: tshark 4.0.17 mis-dissects this AVP (docs/fixtures.md).
 */
export function extendedVendorSample(): ControlSample {
  const message = typedMessage('HELLO', 3, ['extendedVendorId']);
  return sample('v3 HELLO (Extended Vendor ID)', headerFor('HELLO', 3, 50), message, 'udp');
}

/** The test secret of the hidden-AVP and Message Digest samples (published on purpose). */
export const SAMPLE_SECRET = 'l2tp-core-interop-secret';

/**
 * A v2 SCCRQ and ICCN with hidden AVPs (RFC 2661 §4.3; Random Vector before them, multi-block
 * values and padding included). tshark does not unhide: it shows the H bit and the length only.
 */
export function hiddenSamples(): ControlSample[] {
  const secret = new TextEncoder().encode(SAMPLE_SECRET);
  const randomVector = seq(16, 0x99);
  const sccrq = typedMessage(
    'SCCRQ',
    2,
    sampleFields('SCCRQ', 2).filter((f) => f !== 'randomVector'),
  );
  const iccn = typedMessage('ICCN', 2, sampleFields('ICCN', 2));
  const hideOptions = (hide: FieldName[]): FromTypedOptions => ({
    hide,
    secret,
    randomVector,
    crypto: nodeCrypto,
    padding: (type) => (type === 30 ? seq(7, 0x40) : undefined),
  });
  return [
    sample(
      'v2 SCCRQ (hidden)',
      headerFor('SCCRQ', 2, 40),
      sccrq,
      'udp',
      hideOptions(['assignedTunnelId', 'challenge', 'vendorName']),
    ),
    sample(
      'v2 ICCN (hidden)',
      headerFor('ICCN', 2, 41),
      iccn,
      'udp',
      hideOptions([
        'proxyAuthenName',
        'proxyAuthenChallenge',
        'proxyAuthenResponse',
        'txConnectSpeed',
      ]),
    ),
  ];
}

/** IETF attribute types the typed level can encode: every field's type (1–101 but 20). */
export function encodableAvpTypes(): number[] {
  return (Object.keys(FIELD_KINDS) as FieldName[])
    .map((f) => FIELD_ATTRIBUTE_TYPE[f])
    .sort((a, b) => a - b);
}

/** IETF attribute types whose value format is known to the catalogue (`formatKnown`). */
export function knownFormatAvpTypes(): number[] {
  return AVP_CATALOGUE.filter((a) => a.vendorId === 0 && a.formatKnown && a.attributeType > 0).map(
    (a) => a.attributeType,
  );
}

// ---------------------------------------------------------------------------------------------
// The signed L2TPv3 handshake

/** One message of the signed handshake, and who sent it. */
export interface SignedMessage {
  readonly label: string;
  readonly from: 'LCCE1' | 'LCCE2';
  readonly bytes: Uint8Array;
  readonly digestType: 0 | 1;
}

/** Addresses of the two ends of the signed handshake (RFC 5737 documentation range). */
export const LCCE_ADDRESS = { LCCE1: '192.0.2.1', LCCE2: '192.0.2.2' } as const;

/** The Control Message Authentication Nonces of the signed handshake (16 and 20 octets). */
export const HANDSHAKE_NONCES = { LCCE1: seq(16, 0x11), LCCE2: seq(20, 0x81) } as const;

/**
 * An L2TPv3 control connection and session set up with Control Message Authentication
 * (RFC 3931 §4.3, §5.4.1): both ends send a Control Message Authentication Nonce in SCCRQ/SCCRP,
 * every message carries a Message Digest keyed from `secret` — the SCCRQ's without nonces, the
 * others over sender nonce ‖ receiver nonce ‖ message. HMAC-MD5, with HMAC-SHA-1 on ICRP and
 * HELLO. Over IP when `encap` is 'ip' (bytes then start with the zero Session ID).
 */
export function signedHandshake(secret: string, encap: 'udp' | 'ip' = 'udp'): SignedMessage[] {
  const key = new TextEncoder().encode(secret);
  const nonce1 = HANDSHAKE_NONCES.LCCE1;
  const nonce2 = HANDSHAKE_NONCES.LCCE2;
  const ccid1 = 0x0a0b_0c0d;
  const ccid2 = 0x8a8b_8c8d;
  const sid1 = 0x0100_0001;
  const sid2 = 0x8200_0002;
  const digest = (t: 0 | 1) => ({ digestType: t, digest: new Uint8Array(DIGEST_LENGTH[t]) });
  const common = {
    routerId: 0xc000_0201,
    pseudowireCapabilitiesList: [5, 4],
  };
  const steps: {
    label: string;
    from: 'LCCE1' | 'LCCE2';
    type: KnownMessageName;
    t: 0 | 1;
    fields: Record<string, unknown>;
  }[] = [
    {
      label: 'SCCRQ',
      from: 'LCCE1',
      type: 'SCCRQ',
      t: 0,
      fields: {
        ...common,
        hostName: text('lcce1'),
        assignedControlConnectionId: ccid1,
        controlMessageAuthenticationNonce: nonce1,
      },
    },
    {
      label: 'SCCRP',
      from: 'LCCE2',
      type: 'SCCRP',
      t: 0,
      fields: {
        ...common,
        routerId: 0xc000_0202,
        hostName: text('lcce2'),
        assignedControlConnectionId: ccid2,
        controlMessageAuthenticationNonce: nonce2,
      },
    },
    { label: 'SCCCN', from: 'LCCE1', type: 'SCCCN', t: 0, fields: {} },
    {
      label: 'ICRQ',
      from: 'LCCE1',
      type: 'ICRQ',
      t: 0,
      fields: {
        localSessionId: sid1,
        remoteSessionId: 0,
        callSerialNumber: 1,
        pseudowireType: 5,
        remoteEndId: bytesFrom(0x70, 0x77, 0x31),
        circuitStatus: SAMPLE_VALUES.circuitStatus,
        assignedCookie: bytesFrom(1, 2, 3, 4),
        l2SpecificSublayer: 1,
      },
    },
    {
      label: 'ICRP',
      from: 'LCCE2',
      type: 'ICRP',
      t: 1,
      fields: {
        localSessionId: sid2,
        remoteSessionId: sid1,
        circuitStatus: SAMPLE_VALUES.circuitStatus,
        assignedCookie: bytesFrom(0x81, 0x82, 0x83, 0x84, 0x85, 0x86, 0x87, 0x88),
        l2SpecificSublayer: 1,
      },
    },
    {
      label: 'ICCN',
      from: 'LCCE1',
      type: 'ICCN',
      t: 0,
      fields: { localSessionId: sid1, remoteSessionId: sid2 },
    },
    { label: 'HELLO', from: 'LCCE2', type: 'HELLO', t: 1, fields: {} },
    { label: 'ACK', from: 'LCCE1', type: 'ACK', t: 0, fields: {} },
    {
      label: 'CDN',
      from: 'LCCE2',
      type: 'CDN',
      t: 0,
      fields: { resultCode: { resultCode: 3 }, localSessionId: sid2, remoteSessionId: sid1 },
    },
    {
      label: 'StopCCN',
      from: 'LCCE1',
      type: 'StopCCN',
      t: 0,
      fields: { resultCode: { resultCode: 1, errorCode: 0 }, assignedControlConnectionId: ccid1 },
    },
  ];
  const sent = { LCCE1: 0, LCCE2: 0 };
  return steps.map((s) => {
    const message = {
      type: s.type,
      version: 3,
      messageDigest: digest(s.t),
      ...s.fields,
    } as unknown as ControlMessage;
    // An ACK, like a ZLB, does not take a sequence number (RFC 3931 §6.15, RFC 2661 §5.8).
    const ns = s.type === 'ACK' ? sent[s.from] : sent[s.from]++;
    const peer = s.from === 'LCCE1' ? 'LCCE2' : 'LCCE1';
    const header: ControlHeaderInit = {
      version: 3,
      connectionId: s.type === 'SCCRQ' ? 0 : s.from === 'LCCE1' ? ccid2 : ccid1,
      ns,
      nr: sent[peer],
    };
    const bytes = buildControl(header, message, { encap });
    const body = encap === 'ip' ? bytes.subarray(4) : bytes;
    // RFC 3931 §5.4.1: the SCCRQ digest has no nonces; later ones put the sender's nonce first.
    const nonces: DigestNonces | undefined =
      s.type === 'SCCRQ'
        ? undefined
        : s.from === 'LCCE1'
          ? { local: nonce1, remote: nonce2 }
          : { local: nonce2, remote: nonce1 };
    writeMessageDigest(body, 20, key, nonces, nodeCrypto);
    return { label: s.label, from: s.from, bytes, digestType: s.t };
  });
}

// ---------------------------------------------------------------------------------------------
// Data packets

/** A data packet sample with the fields tshark should show. */
export interface DataSample {
  readonly label: string;
  /** The whole UDP or IP payload: header then payload. */
  readonly bytes: Uint8Array;
  readonly header: DataHeaderV2 | DataHeaderV3;
  readonly payload: Uint8Array;
}

/** A PPP LCP Echo-Request in HDLC-like framing (RFC 1662 §3.1, RFC 1661 §5.8). */
export const PPP_LCP_ECHO = bytesFrom(
  0xff,
  0x03,
  0xc0,
  0x21,
  0x09,
  0x2a,
  0x00,
  0x08,
  0x12,
  0x34,
  0x56,
  0x78,
);

/** An Ethernet frame for the v3 data samples (broadcast ARP-looking, padded to 60 octets). */
export const ETHERNET_FRAME = Uint8Array.from({ length: 60 }, (_, i) =>
  i < 6 ? 0xff : i < 12 ? 0x02 : i === 12 ? 0x88 : i === 13 ? 0xb5 : i & 0xff,
);

function dataSample(label: string, header: DataHeaderV2 | DataHeaderV3, payload: Uint8Array) {
  const [head, body] = encodeData(header, payload);
  const bytes = new Uint8Array(head.length + body.length);
  bytes.set(head);
  bytes.set(body, head.length);
  return { label, bytes, header, payload };
}

/** L2TPv2 data packets with the L, S, O and P bits in several combinations (RFC 2661 §3.1). */
export function v2DataSamples(): DataSample[] {
  const h = (extra: Partial<DataHeaderV2>): DataHeaderV2 => ({
    version: 2,
    tunnelId: 0x8001,
    sessionId: 0xfffe,
    ...extra,
  });
  return [
    dataSample('v2 data, no optional fields', h({}), PPP_LCP_ECHO),
    dataSample('v2 data, L', h({ length: 0 }), PPP_LCP_ECHO),
    dataSample('v2 data, S', h({ ns: 0xfff0, nr: 0 }), PPP_LCP_ECHO),
    dataSample('v2 data, L S', h({ length: 0, ns: 7, nr: 0 }), PPP_LCP_ECHO),
    dataSample('v2 data, O (4 octets of padding)', h({ offsetSize: 4 }), PPP_LCP_ECHO),
    dataSample(
      'v2 data, L S O P',
      h({ length: 0, ns: 9, nr: 0, offsetSize: 2, priority: true }),
      PPP_LCP_ECHO,
    ),
    dataSample('v2 data, O with offset 0', h({ length: 0, offsetSize: 0 }), PPP_LCP_ECHO),
  ];
}

/** The cookie lengths of the v3 data samples (RFC 3931 §4.1: 0, 4 or 8 octets). */
export const COOKIE_LENGTHS = [0, 4, 8] as const;

/**
 * L2TPv3 data packets for one cookie length: with the default L2-Specific Sublayer (with and
 * without the S bit, RFC 3931 §4.6) and without a sublayer, over `encap`.
 */
export function v3DataSamples(cookieLength: 0 | 4 | 8, encap: 'udp' | 'ip'): DataSample[] {
  const cookie = cookieLength === 0 ? undefined : seq(cookieLength, 0xc1);
  const h = (sessionId: number, sublayer: 'none' | 'default', ns?: number): DataHeaderV3 => ({
    version: 3,
    encap,
    sessionId,
    cookie,
    sublayer,
    ...(ns === undefined ? {} : { ns }),
  });
  return [
    dataSample(
      `v3 data ${encap} cookie ${cookieLength}, default sublayer, S`,
      h(0x8765_4321, 'default', 0xabcdef),
      ETHERNET_FRAME,
    ),
    dataSample(
      `v3 data ${encap} cookie ${cookieLength}, default sublayer, no S`,
      h(0x0000_0042, 'default'),
      ETHERNET_FRAME,
    ),
    dataSample(
      `v3 data ${encap} cookie ${cookieLength}, no sublayer`,
      h(0xffff_fffe, 'none'),
      ETHERNET_FRAME,
    ),
  ];
}
