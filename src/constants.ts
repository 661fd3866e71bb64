/**
 * Protocol numbers of L2TPv2 (RFC 2661) and L2TPv3 (RFC 3931) and their extensions, as `as const`
 * objects with derived types, plus `…Name()` helpers that fall back to `UNKNOWN(n)`.
 *
 * Numbers only: what an AVP's value looks like lives in src/avp/registry.ts, how it is encoded in
 * src/avp/values.ts. Sources: RFC 2661 §3.2, §4.4, §10; RFC 3931 §5.4, §10; RFC 3145, 4349, 4454,
 * 4591, 4719, 4951, 5515, 5641; draft-ietf-l2tpext-tunnel-switching-08; numbers not in those texts
 * (extension message types, later result codes, PW types) were checked against Wireshark's
 * packet-l2tp.c / packet-l2tp.h, which track the IANA l2tp-parameters registry.
 */

/** Protocol version carried in the header's Ver field. */
export const L2tpVersion = { V2: 2, V3: 3 } as const;
/** 2 or 3. */
export type L2tpVersion = (typeof L2tpVersion)[keyof typeof L2tpVersion];

/** UDP port of L2TP (RFC 2661 §8.1, RFC 3931 §4.1.2). */
export const L2TP_UDP_PORT = 1701;
/** IP protocol number of L2TPv3 over IP (RFC 3931 §4.1.1). */
export const L2TP_IP_PROTOCOL = 115;

/**
 * Control message types: the value of the Message Type AVP (attribute 0).
 * 1–16 RFC 2661 §3.2 (0, 5, 13 reserved); 20 ACK RFC 3931 §3.1; 17 MDMST RFC 3573; 18–19 RFC 3817;
 * 21–22 RFC 4951 §4; 23–27 RFC 4045; 28–29 RFC 5515 §4. Names as in the RFCs.
 */
export const MessageType = {
  RESERVED_0: 0,
  SCCRQ: 1,
  SCCRP: 2,
  SCCCN: 3,
  StopCCN: 4,
  RESERVED_5: 5,
  HELLO: 6,
  OCRQ: 7,
  OCRP: 8,
  OCCN: 9,
  ICRQ: 10,
  ICRP: 11,
  ICCN: 12,
  RESERVED_13: 13,
  CDN: 14,
  WEN: 15,
  SLI: 16,
  MDMST: 17,
  SRRQ: 18,
  SRRP: 19,
  ACK: 20,
  FSQ: 21,
  FSR: 22,
  MSRQ: 23,
  MSRP: 24,
  MSE: 25,
  MSI: 26,
  MSEN: 27,
  CSUN: 28,
  CSURQ: 29,
} as const;
/** A known message type number. */
export type MessageType = (typeof MessageType)[keyof typeof MessageType];
/** A known message type name ('SCCRQ', 'StopCCN', …, or 'RESERVED_n'). */
export type MessageTypeName = keyof typeof MessageType;

/** Long names of the message types, as spelled in the defining RFCs (for logs and docs). */
export const MessageTypeLongName: Readonly<Record<MessageType, string>> = {
  0: 'Reserved',
  1: 'Start-Control-Connection-Request',
  2: 'Start-Control-Connection-Reply',
  3: 'Start-Control-Connection-Connected',
  4: 'Stop-Control-Connection-Notification',
  5: 'Reserved',
  6: 'Hello',
  7: 'Outgoing-Call-Request',
  8: 'Outgoing-Call-Reply',
  9: 'Outgoing-Call-Connected',
  10: 'Incoming-Call-Request',
  11: 'Incoming-Call-Reply',
  12: 'Incoming-Call-Connected',
  13: 'Reserved',
  14: 'Call-Disconnect-Notify',
  15: 'WAN-Error-Notify',
  16: 'Set-Link-Info',
  17: 'Modem-Status',
  18: 'Service-Relay-Request',
  19: 'Service-Relay-Reply',
  20: 'Explicit-Acknowledgement',
  21: 'Failover-Session-Query',
  22: 'Failover-Session-Response',
  23: 'Multicast-Session-Request',
  24: 'Multicast-Session-Response',
  25: 'Multicast-Session-Establishment',
  26: 'Multicast-Session-Information',
  27: 'Multicast-Session-End-Notify',
  28: 'Connect-Speed-Update-Notification',
  29: 'Connect-Speed-Update-Request',
};

/**
 * IETF AVP attribute types 0–101 (Vendor ID 0). 0–39 RFC 2661 §4.4 (20 reserved); 40–45 RFC 3301;
 * 46 RFC 3145; 47–48 RFC 3308; 49–52 RFC 3437; 53–54 RFC 3573; 55–57 RFC 3817; 58–75 RFC 3931
 * §5.4 / §10.1 (67 from the IANA registry); 76–79 RFC 4951; 80–84 RFC 4045; 85 RFC 4591;
 * 86–88 RFC 4454; 89–91 RFC 4667; 92 RFC 4720; 93 tunnel-switching draft; 94–95 RFC 4623;
 * 96 RFC 5085; 97–98 RFC 5515; 99–100 RFC 5611; 101 RFC 6073.
 * L2TPv3 renames 5 (Control Connection / Session Tie Breaker), 15 (Serial Number) and 34
 * (Circuit Errors); the numbers are the same.
 */
export const AvpType = {
  MessageType: 0,
  ResultCode: 1,
  ProtocolVersion: 2,
  FramingCapabilities: 3,
  BearerCapabilities: 4,
  TieBreaker: 5,
  FirmwareRevision: 6,
  HostName: 7,
  VendorName: 8,
  AssignedTunnelId: 9,
  ReceiveWindowSize: 10,
  Challenge: 11,
  Q931CauseCode: 12,
  ChallengeResponse: 13,
  AssignedSessionId: 14,
  CallSerialNumber: 15,
  MinimumBps: 16,
  MaximumBps: 17,
  BearerType: 18,
  FramingType: 19,
  Reserved20: 20,
  CalledNumber: 21,
  CallingNumber: 22,
  SubAddress: 23,
  TxConnectSpeed: 24,
  PhysicalChannelId: 25,
  InitialReceivedLcpConfreq: 26,
  LastSentLcpConfreq: 27,
  LastReceivedLcpConfreq: 28,
  ProxyAuthenType: 29,
  ProxyAuthenName: 30,
  ProxyAuthenChallenge: 31,
  ProxyAuthenId: 32,
  ProxyAuthenResponse: 33,
  CallErrors: 34,
  Accm: 35,
  RandomVector: 36,
  PrivateGroupId: 37,
  RxConnectSpeed: 38,
  SequencingRequired: 39,
  RxMinimumBps: 40,
  RxMaximumBps: 41,
  ServiceCategory: 42,
  ServiceName: 43,
  CallingSubAddress: 44,
  VpiVciIdentifier: 45,
  PppDisconnectCauseCode: 46,
  Ccds: 47,
  Sds: 48,
  LcpWantOptions: 49,
  LcpAllowOptions: 50,
  LnsLastSentLcpConfreq: 51,
  LnsLastReceivedLcpConfreq: 52,
  ModemOnHoldCapable: 53,
  ModemOnHoldStatus: 54,
  PppoeRelay: 55,
  PppoeRelayResponseCapability: 56,
  PppoeRelayForwardCapability: 57,
  ExtendedVendorId: 58,
  MessageDigest: 59,
  RouterId: 60,
  AssignedControlConnectionId: 61,
  PseudowireCapabilitiesList: 62,
  LocalSessionId: 63,
  RemoteSessionId: 64,
  AssignedCookie: 65,
  RemoteEndId: 66,
  ApplicationCode: 67,
  PseudowireType: 68,
  L2SpecificSublayer: 69,
  DataSequencing: 70,
  CircuitStatus: 71,
  PreferredLanguage: 72,
  ControlMessageAuthenticationNonce: 73,
  TxConnectSpeedV3: 74,
  RxConnectSpeedV3: 75,
  FailoverCapability: 76,
  TunnelRecovery: 77,
  SuggestedControlSequence: 78,
  FailoverSessionState: 79,
  MulticastCapability: 80,
  NewOutgoingSessions: 81,
  NewOutgoingSessionsAcknowledgement: 82,
  WithdrawOutgoingSessions: 83,
  MulticastPacketsPriority: 84,
  FrameRelayHeaderLength: 85,
  AtmMaximumConcatenatedCells: 86,
  OamEmulationRequired: 87,
  AtmAlarmStatus: 88,
  AttachmentGroupIdentifier: 89,
  LocalEndIdentifier: 90,
  InterfaceMtu: 91,
  FcsRetention: 92,
  TunnelSwitchingAggregatorId: 93,
  MaximumReceiveUnit: 94,
  MaximumReassembledReceiveUnit: 95,
  VccvCapability: 96,
  ConnectSpeedUpdate: 97,
  ConnectSpeedUpdateEnable: 98,
  TdmPseudowire: 99,
  RtpAvp: 100,
  PwSwitchingPoint: 101,
} as const;
/** A known IETF attribute type number. */
export type AvpType = (typeof AvpType)[keyof typeof AvpType];
/** A known IETF attribute type key ('HostName', …). */
export type AvpTypeName = keyof typeof AvpType;

/** Result Code values for StopCCN (RFC 2661 §4.4.2, RFC 3931 §5.4.2; 8 from RFC 3308). */
export const StopCcnResult = {
  Reserved: 0,
  GeneralClear: 1,
  GeneralError: 2,
  AlreadyExists: 3,
  NotAuthorized: 4,
  UnsupportedVersion: 5,
  ShuttingDown: 6,
  FsmError: 7,
  CcdsMismatch: 8,
} as const;
/** A known StopCCN Result Code. */
export type StopCcnResult = (typeof StopCcnResult)[keyof typeof StopCcnResult];

/**
 * Result Code values for CDN. 0–11 RFC 2661 §4.4.2; 12 RFC 3308; 13–16 RFC 3931 §5.4.2;
 * 17–19 RFC 4591 §7.2; 20–21 RFC 4349; 22 RFC 4454 §12.3; 23–25 RFC 4667; 26 tunnel-switching
 * draft §6.2; 27–28 RFC 6074; 30 RFC 5611; 31 RFC 6073 (29 is unassigned).
 */
export const CdnResult = {
  Reserved: 0,
  LossOfCarrier: 1,
  GeneralError: 2,
  Administrative: 3,
  NoFacilitiesTemporary: 4,
  NoFacilitiesPermanent: 5,
  InvalidDestination: 6,
  NoCarrier: 7,
  Busy: 8,
  NoDialTone: 9,
  NotEstablishedInTime: 10,
  NoFramingDetected: 11,
  SdsMismatch: 12,
  LostTieBreaker: 13,
  UnsupportedPwType: 14,
  SequencingWithoutSublayer: 15,
  FsmError: 16,
  FrPvcDeleted: 17,
  FrPvcInactive: 18,
  FrHeaderLengthMismatch: 19,
  HdlcLinkDeleted: 20,
  HdlcLinkInactive: 21,
  OamEmulationUnsupported: 22,
  InterfaceMtuMismatch: 23,
  NonExistentForwarder: 24,
  UnauthorizedForwarder: 25,
  LoopDetected: 26,
  AcBoundToDifferentPe: 27,
  AcBoundToDifferentRemoteAc: 28,
  TdmPwParameters: 30,
  SequencingNotSupported: 31,
} as const;
/** A known CDN Result Code. */
export type CdnResult = (typeof CdnResult)[keyof typeof CdnResult];

/**
 * General Error Codes, sent with Result Code 2 (RFC 2661 §4.4.2: 0–8; RFC 3931 §5.4.2: 9;
 * tunnel-switching draft §6.2: 10–12).
 */
export const GeneralError = {
  NoError: 0,
  NoControlConnection: 1,
  BadLength: 2,
  OutOfRange: 3,
  InsufficientResources: 4,
  InvalidSessionId: 5,
  VendorSpecific: 6,
  TryAnother: 7,
  UnknownMandatoryAvp: 8,
  TryAnotherDirected: 9,
  NextHopUnreachable: 10,
  NextHopBusy: 11,
  TsaBusy: 12,
} as const;
/** A known General Error Code. */
export type GeneralError = (typeof GeneralError)[keyof typeof GeneralError];

/**
 * L2TPv3 Pseudowire Types (RFC 3931 §10.6 registry). 1 RFC 4591; 2, 3, 9, 10 RFC 4454;
 * 4, 5 RFC 4719; 6 RFC 4349; 12, 13 DOCSIS DEPI; 17–21, 23 RFC 5611.
 * 7 (PPP) and 11 (IP) come from expired drafts and are not assigned by IANA, but peers use them.
 */
export const PseudowireType = {
  FrameRelayDlci: 0x0001,
  AtmAal5Sdu: 0x0002,
  AtmCellPort: 0x0003,
  EthernetVlan: 0x0004,
  Ethernet: 0x0005,
  Hdlc: 0x0006,
  Ppp: 0x0007,
  AtmCellVcc: 0x0009,
  AtmCellVpc: 0x000a,
  Ip: 0x000b,
  DocsisMpt: 0x000c,
  DocsisPsp: 0x000d,
  E1: 0x0011,
  T1: 0x0012,
  E3: 0x0013,
  T3: 0x0014,
  CesopsnBasic: 0x0015,
  CesopsnCas: 0x0017,
} as const;
/** A known pseudowire type. */
export type PseudowireType = (typeof PseudowireType)[keyof typeof PseudowireType];

/**
 * L2-Specific Sublayer types (RFC 3931 §10.9: 0, 1; RFC 4454 §12.1: 2 ATM;
 * 3 MPT and 4 PSP are the DOCSIS DEPI sublayers).
 */
export const L2SpecificSublayer = { None: 0, Default: 1, Atm: 2, Mpt: 3, Psp: 4 } as const;
/** A known L2-Specific Sublayer type. */
export type L2SpecificSublayer = (typeof L2SpecificSublayer)[keyof typeof L2SpecificSublayer];

/** Data Sequencing levels (RFC 3931 §5.4.4, §10.10). */
export const DataSequencing = { None: 0, NonIpOnly: 1, All: 2 } as const;
/** A known Data Sequencing level. */
export type DataSequencing = (typeof DataSequencing)[keyof typeof DataSequencing];

/**
 * Circuit Status bits (RFC 3931 §5.4.5 A and N; RFC 5641 §2 R, T, I, E, S; N is deprecated by
 * RFC 5641 and SHOULD be ignored on receipt).
 */
export const CircuitStatusBit = {
  Active: 0x0001,
  New: 0x0002,
  AcRxFault: 0x0004,
  AcTxFault: 0x0008,
  PwRxFault: 0x0010,
  PwTxFault: 0x0020,
  Standby: 0x0040,
} as const;
/** One Circuit Status bit. */
export type CircuitStatusBit = (typeof CircuitStatusBit)[keyof typeof CircuitStatusBit];

/** Framing Capabilities / Framing Type bits (RFC 2661 §4.4.3, §4.4.4). */
export const FramingBit = { Sync: 0x1, Async: 0x2 } as const;
/** One framing bit. */
export type FramingBit = (typeof FramingBit)[keyof typeof FramingBit];

/** Bearer Capabilities / Bearer Type bits (RFC 2661 §4.4.3, §4.4.4). */
export const BearerBit = { Digital: 0x1, Analog: 0x2 } as const;
/** One bearer bit. */
export type BearerBit = (typeof BearerBit)[keyof typeof BearerBit];

/**
 * Proxy Authen Type values (RFC 2661 §4.4.5: 0–5). 7 (EAP) is in the IANA registry as listed by
 * Wireshark's authen_type_vals; 6 is reserved.
 */
export const ProxyAuthenType = {
  Reserved: 0,
  Textual: 1,
  PppChap: 2,
  PppPap: 3,
  NoAuthentication: 4,
  MsChapV1: 5,
  Eap: 7,
} as const;
/** A known Proxy Authen Type. */
export type ProxyAuthenType = (typeof ProxyAuthenType)[keyof typeof ProxyAuthenType];

/**
 * Message Digest AVP digest types (RFC 3931 §5.4.1 list: 0 HMAC-MD5, 1 HMAC-SHA-1). The same
 * section's Length sentence says "Digest Type 1 (HMAC-MD5) … 2 (HMAC-SHA-1)"; that is a typo:
 * the normative list and Wireshark use 0 and 1.
 */
export const DigestType = { HmacMd5: 0, HmacSha1: 1 } as const;
/** A known digest type. */
export type DigestType = (typeof DigestType)[keyof typeof DigestType];

/** Digest length in bytes for each known digest type (RFC 3931 §5.4.1). */
export const DIGEST_LENGTH: Readonly<Record<DigestType, number>> = { 0: 16, 1: 20 };

/** Direction field of the PPP Disconnect Cause Code AVP (RFC 3145 §2). */
export const PppDisconnectDirection = { Global: 0, AtPeer: 1, AtLocal: 2 } as const;
/** A known direction. */
export type PppDisconnectDirection =
  (typeof PppDisconnectDirection)[keyof typeof PppDisconnectDirection];

/** Failover Capability AVP flags (RFC 4951 §5.1: C = control channel, D = data channel). */
export const FailoverCapabilityBit = { Control: 0x1, Data: 0x2 } as const;
/** One failover capability bit. */
export type FailoverCapabilityBit =
  (typeof FailoverCapabilityBit)[keyof typeof FailoverCapabilityBit];

/**
 * SMI private enterprise numbers seen as AVP Vendor IDs (IANA enterprise-numbers, as in
 * Wireshark's sminmpec.h). 3561 is the ADSL Forum, now Broadband Forum (RFC 5515 §5).
 */
export const VendorId = {
  Ietf: 0,
  Cisco: 9,
  Ericsson: 193,
  Microsoft: 311,
  BroadbandForum: 3561,
  CableLabs: 4491,
} as const;
/** A known vendor id. */
export type VendorId = (typeof VendorId)[keyof typeof VendorId];

/** Value of the Protocol Version AVP an L2TPv2 peer sends: Ver 1, Rev 0 (RFC 2661 §4.4.3). */
export const PROTOCOL_VERSION_V2 = { version: 1, revision: 0 } as const;

/** Receive window a peer assumes when no Receive Window Size AVP was sent (RFC 2661 §4.4.3). */
export const DEFAULT_RECEIVE_WINDOW_SIZE = 4;

// Reverse maps are built once per table, on first use.
const reverseCache = new WeakMap<object, Map<number, string>>();

/**
 * Name of `value` in a constants table, or `UNKNOWN(value)`. When two keys share a value, the
 * first key wins.
 */
export function nameOf<T extends Readonly<Record<string, number>>>(
  table: T,
  value: number,
): (keyof T & string) | `UNKNOWN(${number})` {
  let reverse = reverseCache.get(table);
  if (reverse === undefined) {
    reverse = new Map();
    for (const [key, v] of Object.entries(table)) if (!reverse.has(v)) reverse.set(v, key);
    reverseCache.set(table, reverse);
  }
  const name = reverse.get(value);
  return name === undefined ? `UNKNOWN(${value})` : (name as keyof T & string);
}

/** Name of a message type ('SCCRQ', 'StopCCN', 'RESERVED_5', …) or `UNKNOWN(n)`. */
export function messageTypeName(type: number): MessageTypeName | `UNKNOWN(${number})` {
  return nameOf(MessageType, type);
}

/** Key of an IETF attribute type ('HostName', …) or `UNKNOWN(n)`. */
export function avpTypeName(type: number): AvpTypeName | `UNKNOWN(${number})` {
  return nameOf(AvpType, type);
}

/** Name of a Result Code, read in the context of StopCCN or CDN, or `UNKNOWN(n)`. */
export function resultCodeName(message: 'StopCCN' | 'CDN', code: number): string {
  return message === 'StopCCN' ? nameOf(StopCcnResult, code) : nameOf(CdnResult, code);
}

/** Name of a General Error Code or `UNKNOWN(n)`. */
export function generalErrorName(code: number): string {
  return nameOf(GeneralError, code);
}

/** Name of a pseudowire type or `UNKNOWN(n)`. */
export function pseudowireTypeName(type: number): string {
  return nameOf(PseudowireType, type);
}

/** Name of a vendor id or `UNKNOWN(n)`. */
export function vendorIdName(id: number): string {
  return nameOf(VendorId, id);
}
