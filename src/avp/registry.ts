/**
 * The AVP catalogue: one table row per attribute — every IETF type 0–101 plus a few verified
 * vendor AVPs — with name, value kind, protocol versions, the M bit to send, whether it may be
 * hidden, value length bounds and the defining RFC section. Lookup by (vendorId, attributeType).
 *
 * Not here: value encodings (values.ts), which AVPs a message needs (the message spec table),
 * the AVP header walk (raw.ts). Sources: RFC 2661 §4.4, RFC 3931 §5.1 and §5.4, and the
 * extension RFCs cited per row. Rows with `formatKnown: false` have only a verified number and
 * name (IANA registry via Wireshark's avp_type_vals); their value is kept as bytes, M=0 is sent
 * and hiding is tolerated.
 */
import type { L2tpVersion } from '../constants.js';
import { DecodeError, UsageError } from '../errors.js';
import { AVP_MAX_VALUE_LENGTH } from './raw.js';
import {
  decodeValue,
  encodeValue,
  type TypedValue,
  type ValueContext,
  type ValueKind,
} from './values.js';

/** Which protocol versions define an attribute; 'none' for reserved numbers. */
export type AvpVersions = 'v2' | 'v3' | 'both' | 'none';

/** One row of the AVP catalogue. */
export interface AvpInfo {
  /** 0 for IETF AVPs. */
  readonly vendorId: number;
  readonly attributeType: number;
  /** Name as in the defining RFC (RFC 2661's name when L2TPv3 renamed it). */
  readonly name: string;
  /** L2TPv3 name when RFC 3931 renamed the attribute (5, 15, 34). */
  readonly v3Name?: string;
  /** How the value is encoded (values.ts). */
  readonly kind: ValueKind;
  /** 'reserved' rows exist so every number 0–101 has a row; nothing should send them. */
  readonly status: 'assigned' | 'reserved';
  readonly versions: AvpVersions;
  /** M bit to set when sending, per version (RFC 2661 "MUST", RFC 3931 "SHOULD … MAY vary"). */
  readonly mandatory: { readonly v2: boolean; readonly v3: boolean };
  /** Whether the H bit may be set (RFC 2661 §4.3: otherwise "the H-bit MUST be 0"). */
  readonly hideable: boolean;
  /** Smallest valid value length in bytes (before hiding). */
  readonly minLength: number;
  /** Largest valid value length in bytes (before hiding); 1017 when only the AVP header limits it. */
  readonly maxLength: number;
  /** Defining text, e.g. 'RFC 2661 §4.4.3; RFC 3931 §5.4.3'. */
  readonly reference: string;
  /** False when only number and name are verified; the value is then kept as raw bytes. */
  readonly formatKnown: boolean;
}

const MAX = AVP_MAX_VALUE_LENGTH;
type Bit = 0 | 1;

// Compact row builder: m is the M bit to send (one value, or [v2, v3] when the RFCs differ).
function ietf(
  attributeType: number,
  name: string,
  kind: ValueKind,
  versions: AvpVersions,
  m: Bit | readonly [Bit, Bit],
  hideable: boolean,
  length: readonly [number, number],
  reference: string,
  v3Name?: string,
): AvpInfo {
  return row(0, attributeType, name, kind, versions, m, hideable, length, reference, true, v3Name);
}

function row(
  vendorId: number,
  attributeType: number,
  name: string,
  kind: ValueKind,
  versions: AvpVersions,
  m: Bit | readonly [Bit, Bit],
  hideable: boolean,
  [minLength, maxLength]: readonly [number, number],
  reference: string,
  formatKnown: boolean,
  v3Name?: string,
): AvpInfo {
  const [v2, v3] = typeof m === 'number' ? [m, m] : m;
  const info: AvpInfo = {
    vendorId,
    attributeType,
    name,
    kind,
    status: versions === 'none' ? 'reserved' : 'assigned',
    versions,
    mandatory: { v2: v2 === 1, v3: v3 === 1 },
    hideable,
    minLength,
    maxLength,
    reference,
    formatKnown,
  };
  return v3Name === undefined ? info : { ...info, v3Name };
}

// Number and name verified, value layout not in the local RFC corpus: raw bytes, M=0, H tolerated.
function opaque(
  vendorId: number,
  attributeType: number,
  name: string,
  versions: AvpVersions,
  reference: string,
  kind: ValueKind = 'bytes',
  length: readonly [number, number] = [0, MAX],
): AvpInfo {
  return row(vendorId, attributeType, name, kind, versions, 0, true, length, reference, false);
}

const R2661 = 'RFC 2661';
const R3931 = 'RFC 3931';
const H = true;
const NO_H = false;

/** Every IETF attribute type 0–101, indexed by type. */
const IETF_ROWS: readonly AvpInfo[] = [
  ietf(
    0,
    'Message Type',
    'messageType',
    'both',
    1,
    NO_H,
    [2, 2],
    `${R2661} §4.4.1; ${R3931} §5.4.1`,
  ),
  ietf(
    1,
    'Result Code',
    'resultCode',
    'both',
    1,
    NO_H,
    [2, MAX],
    `${R2661} §4.4.2; ${R3931} §5.4.2`,
  ),
  ietf(2, 'Protocol Version', 'protocolVersion', 'v2', 1, NO_H, [2, 2], `${R2661} §4.4.3`),
  ietf(3, 'Framing Capabilities', 'bitset32', 'v2', 1, H, [4, 4], `${R2661} §4.4.3`),
  ietf(4, 'Bearer Capabilities', 'bitset32', 'v2', 1, H, [4, 4], `${R2661} §4.4.3`),
  // RFC 2661 says M MUST be 0; RFC 3931 says SHOULD be 1 (control connection and session use).
  ietf(
    5,
    'Tie Breaker',
    'u64',
    'both',
    [0, 1],
    NO_H,
    [8, 8],
    `${R2661} §4.4.3; ${R3931} §5.4.3, §5.4.4`,
    'Control Connection Tie Breaker / Session Tie Breaker',
  ),
  ietf(6, 'Firmware Revision', 'u16', 'v2', 0, H, [2, 2], `${R2661} §4.4.3`),
  // "MUST be at least 1 octet".
  ietf(7, 'Host Name', 'string', 'both', 1, NO_H, [1, MAX], `${R2661} §4.4.3; ${R3931} §5.4.3`),
  ietf(8, 'Vendor Name', 'string', 'both', 0, H, [0, MAX], `${R2661} §4.4.3; ${R3931} §5.4.3`),
  ietf(9, 'Assigned Tunnel ID', 'u16', 'v2', 1, H, [2, 2], `${R2661} §4.4.3`),
  ietf(
    10,
    'Receive Window Size',
    'u16',
    'both',
    1,
    NO_H,
    [2, 2],
    `${R2661} §4.4.3; ${R3931} §5.4.3`,
  ),
  ietf(11, 'Challenge', 'bytes', 'v2', 1, H, [1, MAX], `${R2661} §4.4.3`),
  ietf(12, 'Q.931 Cause Code', 'q931Cause', 'v2', 1, NO_H, [3, MAX], `${R2661} §4.4.4`),
  ietf(13, 'Challenge Response', 'bytes', 'v2', 1, H, [16, 16], `${R2661} §4.4.3`),
  ietf(14, 'Assigned Session ID', 'u16', 'v2', 1, H, [2, 2], `${R2661} §4.4.4`),
  ietf(
    15,
    'Call Serial Number',
    'u32',
    'both',
    [1, 0],
    H,
    [4, 4],
    `${R2661} §4.4.4; ${R3931} §5.4.4`,
    'Serial Number',
  ),
  ietf(16, 'Minimum BPS', 'u32', 'v2', 1, H, [4, 4], `${R2661} §4.4.4`),
  ietf(17, 'Maximum BPS', 'u32', 'v2', 1, H, [4, 4], `${R2661} §4.4.4`),
  ietf(18, 'Bearer Type', 'bitset32', 'v2', 1, H, [4, 4], `${R2661} §4.4.4`),
  ietf(19, 'Framing Type', 'bitset32', 'v2', 1, H, [4, 4], `${R2661} §4.4.4`),
  row(
    0,
    20,
    'Reserved',
    'bytes',
    'none',
    0,
    NO_H,
    [0, MAX],
    'IANA l2tp-parameters (reserved)',
    false,
  ),
  ietf(21, 'Called Number', 'string', 'v2', 1, H, [0, MAX], `${R2661} §4.4.4`),
  ietf(22, 'Calling Number', 'string', 'v2', 1, H, [0, MAX], `${R2661} §4.4.4`),
  ietf(23, 'Sub-Address', 'string', 'v2', 1, H, [0, MAX], `${R2661} §4.4.4`),
  ietf(24, '(Tx) Connect Speed', 'u32', 'v2', 1, H, [4, 4], `${R2661} §4.4.4`),
  ietf(25, 'Physical Channel ID', 'u32', 'both', 0, H, [4, 4], `${R2661} §4.4.4; ${R3931} §5.4.4`),
  ietf(26, 'Initial Received LCP CONFREQ', 'bytes', 'v2', 0, H, [0, MAX], `${R2661} §4.4.5`),
  ietf(27, 'Last Sent LCP CONFREQ', 'bytes', 'v2', 0, H, [0, MAX], `${R2661} §4.4.5`),
  ietf(28, 'Last Received LCP CONFREQ', 'bytes', 'v2', 0, H, [0, MAX], `${R2661} §4.4.5`),
  ietf(29, 'Proxy Authen Type', 'u16', 'v2', 0, H, [2, 2], `${R2661} §4.4.5`),
  ietf(30, 'Proxy Authen Name', 'string', 'v2', 0, H, [0, MAX], `${R2661} §4.4.5`),
  // "The Challenge is a string of one or more octets."
  ietf(31, 'Proxy Authen Challenge', 'bytes', 'v2', 0, H, [1, MAX], `${R2661} §4.4.5`),
  ietf(32, 'Proxy Authen ID', 'proxyAuthenId', 'v2', 0, H, [2, 2], `${R2661} §4.4.5`),
  ietf(33, 'Proxy Authen Response', 'bytes', 'v2', 0, H, [0, MAX], `${R2661} §4.4.5`),
  ietf(
    34,
    'Call Errors',
    'callErrors',
    'both',
    [1, 0],
    H,
    [26, 26],
    `${R2661} §4.4.6; ${R3931} §5.4.5`,
    'Circuit Errors',
  ),
  ietf(35, 'ACCM', 'accm', 'v2', 1, H, [10, 10], `${R2661} §4.4.6`),
  ietf(36, 'Random Vector', 'bytes', 'both', 1, NO_H, [0, MAX], `${R2661} §4.4.1; ${R3931} §5.4.1`),
  ietf(37, 'Private Group ID', 'string', 'v2', 0, H, [0, MAX], `${R2661} §4.4.4`),
  ietf(38, 'Rx Connect Speed', 'u32', 'v2', 0, H, [4, 4], `${R2661} §4.4.4`),
  ietf(39, 'Sequencing Required', 'empty', 'v2', 1, NO_H, [0, 0], `${R2661} §4.4.4`),
  // 40/41: 4-octet speeds (tunnel-switching draft §3, "If value is greater than 4 octets").
  opaque(0, 40, 'Rx Minimum BPS', 'v2', 'RFC 3301', 'u32', [4, 4]),
  opaque(0, 41, 'Rx Maximum BPS', 'v2', 'RFC 3301', 'u32', [4, 4]),
  opaque(0, 42, 'Service Category', 'v2', 'RFC 3301'),
  opaque(0, 43, 'Service Name', 'v2', 'RFC 3301'),
  opaque(0, 44, 'Calling Sub-Address', 'v2', 'RFC 3301'),
  opaque(0, 45, 'VPI/VCI Identifier', 'v2', 'RFC 3301'),
  // "it MUST NOT be marked Mandatory"; Length ≥ 11 means value ≥ 5.
  ietf(46, 'PPP Disconnect Cause Code', 'pppDisconnectCause', 'v2', 0, H, [5, MAX], 'RFC 3145 §2'),
  opaque(0, 47, 'CCDS', 'v2', 'RFC 3308'),
  opaque(0, 48, 'SDS', 'v2', 'RFC 3308'),
  opaque(0, 49, 'LCP Want Options', 'v2', 'RFC 3437'),
  opaque(0, 50, 'LCP Allow Options', 'v2', 'RFC 3437'),
  opaque(0, 51, 'LNS Last Sent LCP Confreq', 'v2', 'RFC 3437'),
  opaque(0, 52, 'LNS Last Received LCP Confreq', 'v2', 'RFC 3437'),
  opaque(0, 53, 'Modem On-Hold Capable', 'v2', 'RFC 3573'),
  opaque(0, 54, 'Modem On-Hold Status', 'v2', 'RFC 3573'),
  opaque(0, 55, 'PPPoE Relay', 'v2', 'RFC 3817'),
  opaque(0, 56, 'PPPoE Relay Response Capability', 'v2', 'RFC 3817'),
  opaque(0, 57, 'PPPoE Relay Forward Capability', 'v2', 'RFC 3817'),
  ietf(58, 'Extended Vendor ID', 'extendedVendor', 'v3', 0, H, [6, MAX], `${R3931} §5.1`),
  // Digest lengths per Digest Type are checked by the codec (16 or 20 bytes + 1).
  ietf(59, 'Message Digest', 'messageDigest', 'v3', 1, NO_H, [1, MAX], `${R3931} §5.4.1`),
  ietf(60, 'Router ID', 'u32', 'v3', 1, NO_H, [4, 4], `${R3931} §5.4.3`),
  ietf(61, 'Assigned Control Connection ID', 'u32', 'v3', 1, H, [4, 4], `${R3931} §5.4.3`),
  ietf(62, 'Pseudowire Capabilities List', 'pwCapList', 'v3', 1, H, [2, MAX], `${R3931} §5.4.3`),
  ietf(63, 'Local Session ID', 'u32', 'v3', 1, H, [4, 4], `${R3931} §5.4.4`),
  ietf(64, 'Remote Session ID', 'u32', 'v3', 1, H, [4, 4], `${R3931} §5.4.4`),
  ietf(65, 'Assigned Cookie', 'cookie', 'v3', 1, H, [0, 8], `${R3931} §5.4.4`),
  ietf(66, 'Remote End ID', 'bytes', 'v3', 1, H, [0, MAX], `${R3931} §5.4.4`),
  opaque(0, 67, 'Application Code', 'v3', 'IANA l2tp-parameters'),
  ietf(68, 'Pseudowire Type', 'u16', 'v3', 1, H, [2, 2], `${R3931} §5.4.4`),
  ietf(69, 'L2-Specific Sublayer', 'l2SpecificSublayer', 'v3', 1, H, [2, 2], `${R3931} §5.4.4`),
  ietf(70, 'Data Sequencing', 'dataSequencing', 'v3', 1, H, [2, 2], `${R3931} §5.4.4`),
  ietf(71, 'Circuit Status', 'circuitStatus', 'v3', 1, H, [2, 2], `${R3931} §5.4.5; RFC 5641 §2`),
  ietf(72, 'Preferred Language', 'string', 'v3', 0, H, [0, MAX], `${R3931} §5.4.3`),
  ietf(
    73,
    'Control Message Authentication Nonce',
    'bytes',
    'v3',
    1,
    NO_H,
    [0, MAX],
    `${R3931} §5.4.1`,
  ),
  ietf(74, 'Tx Connect Speed (v3)', 'u64', 'v3', 0, H, [8, 8], `${R3931} §5.4.4`),
  ietf(75, 'Rx Connect Speed (v3)', 'u64', 'v3', 0, H, [8, 8], `${R3931} §5.4.4`),
  ietf(76, 'Failover Capability', 'failoverCapability', 'both', 0, H, [6, 6], 'RFC 4951 §5.1'),
  ietf(77, 'Tunnel Recovery', 'tunnelRecovery', 'both', 1, NO_H, [10, 10], 'RFC 4951 §5.2'),
  ietf(
    78,
    'Suggested Control Sequence',
    'suggestedControlSequence',
    'both',
    0,
    H,
    [6, 6],
    'RFC 4951 §5.3',
  ),
  ietf(
    79,
    'Failover Session State',
    'failoverSessionState',
    'both',
    1,
    H,
    [10, 10],
    'RFC 4951 §5.4',
  ),
  opaque(0, 80, 'Multicast Capability', 'v2', 'RFC 4045'),
  opaque(0, 81, 'New Outgoing Sessions', 'v2', 'RFC 4045'),
  opaque(0, 82, 'New Outgoing Sessions Acknowledgement', 'v2', 'RFC 4045'),
  opaque(0, 83, 'Withdraw Outgoing Sessions', 'v2', 'RFC 4045'),
  opaque(0, 84, 'Multicast Packets Priority', 'v2', 'RFC 4045'),
  ietf(85, 'Frame-Relay Header Length', 'u16', 'v3', 0, H, [2, 2], 'RFC 4591 §3.5'),
  ietf(86, 'ATM Maximum Concatenated Cells', 'u16', 'v3', 0, H, [2, 2], 'RFC 4454 §6'),
  ietf(87, 'OAM Emulation Required', 'empty', 'v3', 0, H, [0, 0], 'RFC 4454 §7'),
  ietf(88, 'ATM Alarm Status', 'atmAlarmStatus', 'v3', 0, H, [4, 4], 'RFC 4454 §8.1'),
  opaque(0, 89, 'Attachment Group Identifier', 'v3', 'RFC 4667'),
  opaque(0, 90, 'Local End Identifier', 'v3', 'RFC 4667'),
  opaque(0, 91, 'Interface Maximum Transmission Unit', 'v3', 'RFC 4667'),
  opaque(0, 92, 'FCS Retention', 'v3', 'RFC 4720'),
  // "TSA ID … maximum length of 64 octets … If no value is configured … length 0."
  ietf(
    93,
    'Tunnel Switching Aggregator ID',
    'string',
    'both',
    0,
    H,
    [0, 64],
    'draft-ietf-l2tpext-tunnel-switching-08 §4',
  ),
  opaque(0, 94, 'Maximum Receive Unit (MRU)', 'v3', 'RFC 4623'),
  opaque(0, 95, 'Maximum Reassembled Receive Unit (MRRU)', 'v3', 'RFC 4623'),
  opaque(0, 96, 'VCCV Capability', 'v3', 'RFC 5085'),
  ietf(97, 'Connect Speed Update', 'connectSpeedUpdate', 'both', 0, H, [12, 20], 'RFC 5515 §6.1'),
  ietf(98, 'Connect Speed Update Enable', 'empty', 'both', 0, H, [0, 0], 'RFC 5515 §6.2'),
  opaque(0, 99, 'TDM Pseudowire', 'v3', 'RFC 5611'),
  opaque(0, 100, 'RTP', 'v3', 'RFC 5611'),
  opaque(0, 101, 'PW Switching Point', 'v3', 'RFC 6073'),
];

const CISCO = 9;
const CISCO_REF = "Cisco pre-RFC L2TPv3 (Wireshark's cisco_avp_type_vals)";
const BBF = 3561;

/**
 * Vendor AVPs with verified numbers: Cisco's draft-era L2TPv3 AVPs (still sent by IOS in
 * compatibility mode) and the Broadband Forum access-line AVPs of RFC 5515 §5 (M SHOULD be 0,
 * all MAY be hidden).
 */
const VENDOR_ROWS: readonly AvpInfo[] = [
  opaque(CISCO, 1, 'Assigned Connection ID', 'v3', CISCO_REF, 'u32', [4, 4]),
  opaque(CISCO, 2, 'Pseudowire Capabilities List', 'v3', CISCO_REF, 'pwCapList', [2, MAX]),
  opaque(CISCO, 3, 'Local Session ID', 'v3', CISCO_REF, 'u32', [4, 4]),
  opaque(CISCO, 4, 'Remote Session ID', 'v3', CISCO_REF, 'u32', [4, 4]),
  opaque(CISCO, 5, 'Assigned Cookie', 'v3', CISCO_REF),
  opaque(CISCO, 6, 'Remote End ID', 'v3', CISCO_REF),
  opaque(CISCO, 7, 'Pseudowire Type', 'v3', CISCO_REF, 'u16', [2, 2]),
  opaque(CISCO, 8, 'Circuit Status', 'v3', CISCO_REF, 'u16', [2, 2]),
  opaque(CISCO, 9, 'Session Tie Breaker', 'v3', CISCO_REF, 'u64', [8, 8]),
  opaque(CISCO, 10, 'Draft AVP Version', 'v3', CISCO_REF, 'u16', [2, 2]),
  opaque(CISCO, 12, 'Message Digest', 'v3', CISCO_REF),
  opaque(CISCO, 13, 'Control Message Authentication Nonce', 'v3', CISCO_REF),
  opaque(CISCO, 14, 'Interface MTU', 'v3', CISCO_REF, 'u16', [2, 2]),
  row(BBF, 1, 'Agent-Circuit-Id', 'string', 'both', 0, H, [1, 63], 'RFC 5515 §5.1', true),
  row(BBF, 2, 'Agent-Remote-Id', 'string', 'both', 0, H, [1, 63], 'RFC 5515 §5.2', true),
  ...[
    'Actual-Data-Rate-Upstream',
    'Actual-Data-Rate-Downstream',
    'Minimum-Data-Rate-Upstream',
    'Minimum-Data-Rate-Downstream',
    'Attainable-Data-Rate-Upstream',
    'Attainable-Data-Rate-Downstream',
    'Maximum-Data-Rate-Upstream',
    'Maximum-Data-Rate-Downstream',
    'Minimum-Data-Rate-Upstream-Low-Power',
    'Minimum-Data-Rate-Downstream-Low-Power',
  ].map((name, i) =>
    row(BBF, 129 + i, name, 'u64', 'both', 0, H, [8, 8], `RFC 5515 §5.${3 + i}`, true),
  ),
  ...[
    'Maximum-Interleaving-Delay-Upstream',
    'Actual-Interleaving-Delay-Upstream',
    'Maximum-Interleaving-Delay-Downstream',
    'Actual-Interleaving-Delay-Downstream',
  ].map((name, i) =>
    row(BBF, 139 + i, name, 'u32', 'both', 0, H, [4, 4], `RFC 5515 §5.${13 + i}`, true),
  ),
  row(BBF, 144, 'Access-Loop-Encapsulation', 'bytes', 'both', 0, H, [3, 3], 'RFC 5515 §5.17', true),
  row(BBF, 145, 'ANCP Access Line Type', 'u32', 'both', 0, H, [4, 4], 'RFC 5515 §5.18', true),
  row(BBF, 254, 'IWF-Session', 'u32', 'both', 0, H, [4, 4], 'RFC 5515 §5.19', true),
];

/** The whole catalogue: IETF rows 0–101 in order, then vendor rows. */
export const AVP_CATALOGUE: readonly AvpInfo[] = [...IETF_ROWS, ...VENDOR_ROWS];

/** Highest IETF attribute type with a row. */
export const LAST_IETF_AVP_TYPE = IETF_ROWS.length - 1;

const vendorIndex = new Map<number, AvpInfo>(
  VENDOR_ROWS.map((info) => [info.vendorId * 0x10000 + info.attributeType, info]),
);

/** The catalogue row for (vendorId, attributeType), or undefined when the pair is unknown. */
export function lookupAvp(vendorId: number, attributeType: number): AvpInfo | undefined {
  if (vendorId === 0) return IETF_ROWS[attributeType];
  return vendorIndex.get(vendorId * 0x10000 + attributeType);
}

/** The M bit to send for this attribute on the given protocol version. */
export function mandatoryBitFor(info: AvpInfo, version: L2tpVersion): boolean {
  return version === 2 ? info.mandatory.v2 : info.mandatory.v3;
}

/**
 * Decodes a (cleartext) AVP value using the row's kind after checking the row's length bounds.
 * Throws DecodeError `L2TP_ERR_BAD_AVP_VALUE` with the attribute type and vendor set; the typed
 * layer turns that into a ProtocolError when the AVP is mandatory. Views alias `value`.
 */
export function decodeAvpValue(info: AvpInfo, value: Uint8Array, offset?: number): TypedValue {
  const ctx: ValueContext =
    offset === undefined
      ? { attributeType: info.attributeType, vendorId: info.vendorId }
      : { attributeType: info.attributeType, vendorId: info.vendorId, offset };
  if (value.length < info.minLength || value.length > info.maxLength) {
    const range =
      info.minLength === info.maxLength
        ? `${info.minLength}`
        : `${info.minLength}…${info.maxLength}`;
    throw new DecodeError(
      'L2TP_ERR_BAD_AVP_VALUE',
      `${info.name}: value must be ${range} bytes, got ${value.length}`,
      ctx,
    );
  }
  return { kind: info.kind, value: decodeValue(info.kind, value, ctx) } as TypedValue;
}

/**
 * Encodes a value for this row; UsageError when the kind does not match the row or the result
 * falls outside the row's length bounds.
 */
export function encodeAvpValue(info: AvpInfo, typed: TypedValue): Uint8Array {
  if (typed.kind !== info.kind) {
    throw new UsageError(`${info.name} takes a '${info.kind}' value, got '${typed.kind}'`, {
      attributeType: info.attributeType,
      vendorId: info.vendorId,
    });
  }
  const bytes = encodeValue(typed.kind, typed.value as never);
  if (bytes.length < info.minLength || bytes.length > info.maxLength) {
    throw new UsageError(
      `${info.name}: encoded value is ${bytes.length} bytes, allowed ${info.minLength}…${info.maxLength}`,
      { attributeType: info.attributeType, vendorId: info.vendorId },
    );
  }
  return bytes;
}
