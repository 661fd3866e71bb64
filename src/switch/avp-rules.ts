/**
 * What an L2TP tunnel switch (TSA) does with each AVP of the First session's messages when it
 * builds the Second session's (draft-ietf-l2tpext-tunnel-switching-08 §3, §3.1), as one table
 * and relayAvps() that applies it; the TSA ID stack and loop detection of §4; the Result and
 * Error Codes one session's CDN passes to the other (§3.1 "Result Code", §5).
 *
 * The draft allows four behaviours (§3): RELAYED (copied as is), DROPPED, REGENERATED (the TSA
 * writes its own, maybe from the received value) and STACKED (every hop's instance copied, ours
 * appended). §3.1 adds "RELAYED if negotiated by the First tunnel/session": copied only when the
 * First's message carries it — 'relay-if-negotiated' here; 'relay' is the draft's plain "MUST be
 * RELAYED". Both copy what is there; neither makes up an AVP the First did not send.
 *
 * Pure data and functions: no I/O, no engine. The rows follow the order of §3.1; numbers are the
 * `AvpType` constants (src/constants.ts), M bits of mapped AVPs come from the AVP catalogue
 * (src/avp/registry.ts).
 */
import type { RawAvp } from '../avp/raw.js';
import { lookupAvp, mandatoryBitFor } from '../avp/registry.js';
import { AvpType, CdnResult, GeneralError } from '../constants.js';
import { UsageError } from '../errors.js';
import type { ResultCodes } from '../fsm/types.js';

/** What the TSA does with an AVP of the First session's message (draft §3). */
export type AvpDisposition = 'relay' | 'relay-if-negotiated' | 'drop' | 'regenerate' | 'stack';

/** How an AVP changes when the First and Second tunnels run different L2TP versions (draft §2). */
export interface AvpVersionSwitch {
  /** The L2TPv2 attribute type to carry an L2TPv3 AVP as on a switch to L2TPv2. */
  readonly toV2?: number;
  /** The L2TPv3 attribute type to carry an L2TPv2 AVP as on a switch to L2TPv3. */
  readonly toV3?: number;
  /** Drop instead of mapping when the value does not fit this many octets (draft §3.1). */
  readonly maxOctets?: number;
  /**
   * The draft's target AVP when it has no assigned number: the v3 Tx/Rx Minimum/Maximum Speed
   * AVPs of its reference [6] (draft-ietf-l2tpext-l2tp-ppp, never published). With no number to
   * write, the AVP is dropped on that switch.
   */
  readonly unassignedTarget?: string;
}

/** One row of the §3.1 table. */
export interface AvpSwitchRule {
  readonly vendorId: number;
  readonly attributeType: number;
  /** The draft's name for the AVP. */
  readonly name: string;
  /** The messages the draft lists for it; `'*'` for the draft's "All Messages". */
  readonly messages: readonly string[];
  /** Our default, among what the draft allows. */
  readonly disposition: AvpDisposition;
  /** Every disposition the draft allows. */
  readonly allowed: readonly AvpDisposition[];
  /** All-or-nothing groups (§3.1 "Proxy LCP AVPs", "Proxy Authentication AVPs"). */
  readonly group?: 'proxy-lcp' | 'proxy-auth';
  /** Present when the draft names another AVP for a version switch. */
  readonly versionSwitch?: AvpVersionSwitch;
  /** Where the draft says so, e.g. 'draft §3.1 "Called Number"'. */
  readonly cite: string;
}

/**
 * A §3.1 row the table cannot hold because its AVP has no assigned attribute type: the
 * L2TPv3 PPP AVPs of the draft's reference [6], which never became an RFC. Listed so the table
 * of the draft is complete; such AVPs cannot be recognised on the wire.
 */
export interface UnnumberedSwitchRule {
  readonly name: string;
  readonly messages: readonly string[];
  readonly disposition: AvpDisposition;
  readonly allowed: readonly AvpDisposition[];
  readonly cite: string;
}

const R: AvpDisposition = 'relay';
const N: AvpDisposition = 'relay-if-negotiated';
const D: AvpDisposition = 'drop';
const G: AvpDisposition = 'regenerate';
const S: AvpDisposition = 'stack';
const ALL = ['*'] as const;
const SCC = ['SCCRQ', 'SCCRP'] as const;
const SESSION_V3 = ['ICRQ', 'ICRP', 'ICCN', 'OCRQ', 'OCRP', 'OCCN'] as const;

interface RowExtra {
  readonly disposition?: AvpDisposition;
  readonly group?: 'proxy-lcp' | 'proxy-auth';
  readonly versionSwitch?: AvpVersionSwitch;
  readonly cite?: string;
}

// `allowed` lists the default first unless `extra.disposition` says otherwise.
function rule(
  attributeType: number,
  name: string,
  messages: readonly string[],
  allowed: readonly AvpDisposition[],
  extra: RowExtra = {},
): AvpSwitchRule {
  const row: {
    -readonly [K in keyof AvpSwitchRule]: AvpSwitchRule[K];
  } = {
    vendorId: 0,
    attributeType,
    name,
    messages,
    disposition: extra.disposition ?? (allowed[0] as AvpDisposition),
    allowed,
    cite: extra.cite ?? `draft §3.1 "${name}"`,
  };
  if (extra.group !== undefined) row.group = extra.group;
  if (extra.versionSwitch !== undefined) row.versionSwitch = extra.versionSwitch;
  return row;
}

const T = AvpType;
const PROXY_LCP = { group: 'proxy-lcp', cite: 'draft §3.1 "Proxy LCP AVPs"' } as const;
const PROXY_AUTH = {
  group: 'proxy-auth',
  cite: 'draft §3.1 "Proxy Authentication AVPs"',
} as const;

/** The draft's §3.1, one row per attribute, in the draft's order. */
export const AVP_SWITCH_RULES: readonly AvpSwitchRule[] = [
  rule(T.MessageType, 'Message Type', ALL, [G]),
  // §5: the TSA may disconnect with its own codes, or pass the peer's on. relayAvps leaves the
  // AVP out either way: the switch writes the CDN's Result Code from carriedResult().
  rule(T.ResultCode, 'Result Code', ['CDN', 'StopCCN'], [R, G], {
    disposition: G,
    cite: 'draft §3.1 "Result Code", §5',
  }),
  rule(T.ProtocolVersion, 'Protocol Version', SCC, [G]),
  rule(T.FramingCapabilities, 'Framing Capabilities', SCC, [G]),
  rule(T.BearerCapabilities, 'Bearer Capabilities', SCC, [G, D]),
  // The draft lists attribute 5 twice: as "Tie Breaker (SCCRQ)" and, under its L2TPv3 name, as
  // "Session Tie Breaker AVP (Version 3) (ICRQ, OCRQ)". One row, same behaviour.
  rule(T.TieBreaker, 'Tie Breaker', ['SCCRQ', 'ICRQ', 'OCRQ'], [G, D], {
    cite: 'draft §3.1 "Tie Breaker", "Session Tie Breaker AVP (Version 3)"',
  }),
  rule(T.FirmwareRevision, 'Firmware Revision', SCC, [G, D]),
  rule(T.HostName, 'Host Name', SCC, [G, D]),
  rule(T.VendorName, 'Vendor Name', SCC, [G, D]),
  rule(T.AssignedTunnelId, 'Assigned Tunnel ID', [...SCC, 'StopCCN'], [G]),
  rule(T.ReceiveWindowSize, 'Receive Window Size', SCC, [G, D]),
  rule(T.Challenge, 'Challenge', SCC, [G, D]),
  rule(T.Q931CauseCode, 'Q.931 Cause Code', ['CDN'], [N, D]),
  rule(T.ChallengeResponse, 'Challenge Response', ['SCCCN', 'SCCRP'], [G, D]),
  rule(T.AssignedSessionId, 'Assigned Session ID', ['CDN', 'ICRP', 'ICRQ', 'OCRP', 'OCRQ'], [G]),
  rule(T.CallSerialNumber, 'Call Serial Number', ['ICRQ', 'OCRQ'], [R]),
  rule(T.MinimumBps, 'Minimum BPS', ['OCRQ'], [N], {
    versionSwitch: { unassignedTarget: 'Tx Minimum Speed' },
  }),
  rule(T.MaximumBps, 'Maximum BPS', ['OCRQ'], [N], {
    versionSwitch: { unassignedTarget: 'Tx Maximum Speed' },
  }),
  rule(T.BearerType, 'Bearer Type', ['ICRQ', 'OCRQ'], [N]),
  rule(T.FramingType, 'Framing Type', ['ICCN', 'OCCN', 'OCRQ'], [R]),
  rule(T.CalledNumber, 'Called Number', ['ICRQ', 'OCRQ'], [N]),
  rule(T.CallingNumber, 'Calling Number', ['ICRQ'], [N]),
  rule(T.SubAddress, 'Sub-Address', ['ICRQ', 'OCRQ'], [N]),
  rule(T.TxConnectSpeed, 'Tx Connect Speed', ['ICCN', 'OCCN'], [R], {
    versionSwitch: { toV3: T.TxConnectSpeedV3 },
  }),
  rule(T.PhysicalChannelId, 'Physical Channel ID', ['ICRQ', 'OCRP'], [N, G, D]),
  rule(T.InitialReceivedLcpConfreq, 'Initial Received LCP CONFREQ', ['ICCN'], [R, G, D], PROXY_LCP),
  rule(T.LastSentLcpConfreq, 'Last Sent LCP CONFREQ', ['ICCN'], [R, G, D], PROXY_LCP),
  rule(T.LastReceivedLcpConfreq, 'Last Received LCP CONFREQ', ['ICCN'], [R, G, D], PROXY_LCP),
  rule(T.ProxyAuthenType, 'Proxy Authen Type', ['ICCN'], [R, G, D], PROXY_AUTH),
  rule(T.ProxyAuthenName, 'Proxy Authen Name', ['ICCN'], [R, G, D], PROXY_AUTH),
  rule(T.ProxyAuthenChallenge, 'Proxy Authen Challenge', ['ICCN'], [R, G, D], PROXY_AUTH),
  rule(T.ProxyAuthenId, 'Proxy Authen ID', ['ICCN'], [R, G, D], PROXY_AUTH),
  rule(T.ProxyAuthenResponse, 'Proxy Authen Response', ['ICCN'], [R, G, D], PROXY_AUTH),
  rule(T.CallErrors, 'Call Errors', ['WEN'], [R]),
  rule(T.Accm, 'ACCM', ['SLI'], [R]),
  rule(T.RandomVector, 'Random Vector', ALL, [G, D]),
  rule(T.PrivateGroupId, 'Private Group ID', ['ICCN'], [N]),
  rule(T.RxConnectSpeed, 'Rx Connect Speed', ['ICCN', 'OCCN'], [N], {
    versionSwitch: { toV3: T.RxConnectSpeedV3 },
  }),
  // Regenerated: the engine decides sequencing for the Second session itself (as Data
  // Sequencing 70 on an L2TPv3 Second tunnel, "TSA should regenerate it as…").
  rule(T.SequencingRequired, 'Sequencing Required', ['ICCN', 'OCCN'], [G, D], {
    versionSwitch: { toV3: T.DataSequencing },
  }),
  rule(T.RxMinimumBps, 'Rx Minimum BPS', ['OCRQ'], [N], {
    versionSwitch: { unassignedTarget: 'Rx Minimum Speed' },
  }),
  rule(T.RxMaximumBps, 'Rx Maximum BPS', ['OCRQ'], [N], {
    versionSwitch: { unassignedTarget: 'Rx Maximum Speed' },
  }),
  rule(T.PppDisconnectCauseCode, 'PPP Disconnect Cause AVP', ['CDN'], [N, D]),
  rule(T.Ccds, 'Control Connection DS AVP', SCC, [N, D]),
  rule(T.Sds, 'Session DS AVP', ['ICRQ', 'ICRP', 'OCRQ', 'OCRP'], [N, D]),
  rule(T.LcpWantOptions, 'LCP Want Options', ['ICCN', 'OCCN'], [N, D]),
  rule(T.LcpAllowOptions, 'LCP Allow Options', ['ICCN', 'OCCN'], [N, D]),
  rule(T.ExtendedVendorId, 'Extended Vendor ID AVP (Version 3)', ALL, [G, D]),
  rule(T.MessageDigest, 'Message Digest AVP (Version 3)', ALL, [G, D]),
  rule(T.RouterId, 'Router Id AVP (Version 3)', SCC, [G, D]),
  rule(
    T.AssignedControlConnectionId,
    'Assigned Control Connection Id AVP (Version 3)',
    [...SCC, 'StopCCN'],
    [G, D],
  ),
  rule(T.PseudowireCapabilitiesList, 'Pseudowire Capabilities List AVP (Version 3)', SCC, [G, D]),
  rule(
    T.LocalSessionId,
    'Local Session Id AVP (Version 3)',
    [...SESSION_V3, 'CDN', 'WEN', 'SLI'],
    [G, D],
  ),
  rule(
    T.RemoteSessionId,
    'Remote Session Id AVP (Version 3)',
    [...SESSION_V3, 'CDN', 'WEN', 'SLI'],
    [G, D],
  ),
  rule(
    T.AssignedCookie,
    'Assigned Cookie AVP (Version 3)',
    ['ICRQ', 'ICRP', 'OCRQ', 'OCRP'],
    [G, D],
  ),
  rule(T.RemoteEndId, 'Remote End Id AVP (Version 3)', ['ICRQ', 'OCRQ'], [G, D]),
  rule(T.PseudowireType, 'Pseudowire Type AVP (Version 3)', ['ICRQ', 'OCRQ'], [G, D]),
  rule(T.L2SpecificSublayer, 'L2-specific Sublayer AVP (Version 3)', SESSION_V3, [G, D]),
  // "equivalent to the Sequencing required AVP (Attribute Type 39) in L2TPv2"; regenerated.
  rule(T.DataSequencing, 'Data Sequencing AVP (Version 3)', SESSION_V3, [G, D], {
    versionSwitch: { toV2: T.SequencingRequired },
  }),
  rule(T.CircuitStatus, 'Circuit Status AVP (Version 3)', [...SESSION_V3, 'SLI'], [G, D]),
  rule(T.PreferredLanguage, 'Preferred Language AVP (Version 3)', SCC, [G, D]),
  // "If value is greater than 4 octets, it SHOULD be dropped": read as the number not fitting
  // 4 octets, since the L2TPv3 field is always 8 (otherwise the mapping could never happen).
  rule(T.TxConnectSpeedV3, 'Tx Connect Speed AVP (Version 3)', SESSION_V3, [R, G, D], {
    versionSwitch: { toV2: T.TxConnectSpeed, maxOctets: 4 },
  }),
  rule(T.RxConnectSpeedV3, 'Rx Connect Speed AVP (Version 3)', SESSION_V3, [N, G, D], {
    versionSwitch: { toV2: T.RxConnectSpeed, maxOctets: 4 },
  }),
  rule(T.FailoverCapability, 'Failover Capability AVP', SCC, [G]),
  rule(T.TunnelRecovery, 'Tunnel Recovery AVP', ['SCCRQ'], [G]),
  rule(T.SuggestedControlSequence, 'Suggested Control Sequence AVP', ['SCCRP'], [G]),
  rule(T.FailoverSessionState, 'Failover Session State AVP', ['FSQ', 'FSR'], [G]),
  // §3.1 gives no message list; §4 checks the stack in ICRQ and OCRQ, so that is where it lives.
  rule(T.TunnelSwitchingAggregatorId, 'TSA ID AVPs', ['ICRQ', 'OCRQ'], [S], {
    cite: 'draft §3.1 "TSA ID AVPs", §4',
  }),
  // Not in §3.1 (the draft misses this RFC 3931 AVP): per control connection like Message
  // Digest, so treated the same way.
  rule(T.ControlMessageAuthenticationNonce, 'Control Message Authentication Nonce', SCC, [G, D], {
    cite: 'not in draft §3.1; as "Message Digest AVP (Version 3)" (RFC 3931 §5.4.1)',
  }),
];

/** §3.1 rows whose AVPs (reference [6], never published) have no assigned attribute type. */
export const UNNUMBERED_SWITCH_RULES: readonly UnnumberedSwitchRule[] = [
  unnumbered('Offset Size', ['ICRQ', 'ICRP', 'OCRQ', 'OCRP'], [G, D]),
  unnumbered('Tx Minimum Speed AVP (Version 3)', ['OCRQ'], [R, G, D]),
  unnumbered('Tx Maximum Speed AVP (Version 3)', ['OCRQ'], [R, G, D]),
  unnumbered('Rx Minimum Speed AVP (Version 3)', ['OCRQ'], [R, G, D]),
  unnumbered('Rx Maximum Speed AVP (Version 3)', ['OCRQ'], [R, G, D]),
];

function unnumbered(
  name: string,
  messages: readonly string[],
  allowed: readonly AvpDisposition[],
): UnnumberedSwitchRule {
  const disposition = allowed[0] as AvpDisposition;
  return { name, messages, disposition, allowed, cite: `draft §3.1 "${name}"` };
}

// Every row is IETF (vendor 0): an array indexed by attribute type is the O(1) lookup.
const IETF_INDEX: (AvpSwitchRule | undefined)[] = [];
for (const r of AVP_SWITCH_RULES) IETF_INDEX[r.attributeType] = r;

/** The §3.1 row for (vendorId, attributeType), or undefined when the draft has none. */
export function avpSwitchRule(vendorId: number, attributeType: number): AvpSwitchRule | undefined {
  return vendorId === 0 ? IETF_INDEX[attributeType] : undefined;
}

// ---------------------------------------------------------------------------------------------
// Carrying a message's AVPs from the First session to the Second

/** The session messages whose AVPs the switch carries from one session to the other. */
export type SwitchedMessage = 'ICRQ' | 'OCRQ' | 'ICCN' | 'OCCN' | 'CDN' | 'WEN' | 'SLI';

/** Local policy for relayAvps (§3.1 lets local policy choose among the allowed behaviours). */
export interface RelayPolicy {
  /** Our TSA ID (§4), at most 64 octets. Absent or empty: the null value (length 0) is stacked. */
  readonly tsaId?: Uint8Array | undefined;
  /** The Proxy LCP AVPs, all or none (§3.1). Default 'relay'. */
  readonly proxyLcp?: 'relay' | 'drop' | undefined;
  /** The Proxy Authentication AVPs, all or none (§3.1). Default 'relay'. */
  readonly proxyAuth?: 'relay' | 'drop' | undefined;
  /** Relay AVPs the table does not know (no §3.1 row) when their M bit is 0. Default false. */
  readonly relayUnknown?: boolean | undefined;
}

/** Longest TSA ID value (§4 "maximum 64 octets"). */
export const TSA_ID_MAX_OCTETS = 64;

const TSA_ID = AvpType.TunnelSwitchingAggregatorId;
const TSA_RULE = avpSwitchRule(0, TSA_ID) as AvpSwitchRule;
const EMPTY = new Uint8Array(0);

const isTsaId = (avp: RawAvp): boolean => avp.vendorId === 0 && avp.attributeType === TSA_ID;

/**
 * Whether a table AVP can be read as the First sent it: unhidden, and in L2TPv2 without reserved
 * header bits (RFC 2661 §4.1 makes such an AVP unrecognised).
 */
function readable(avp: RawAvp, from: 2 | 3): boolean {
  return !avp.hidden && !(from === 2 && (avp.reserved ?? 0) !== 0);
}

function inMessage(rule: AvpSwitchRule, message: string): boolean {
  return rule.messages.includes(message) || rule.messages.includes('*');
}

/**
 * The AVPs the Second session's `message` carries over from the First's (draft §3, §3.1): the
 * relayed ones in the First's order — mapped to the other version's AVP on a version switch —
 * then, in ICRQ and OCRQ, the TSA ID stack with our own id appended (§3 "STACKABLE AVP", §4).
 *
 * `avps` are the First session's AVPs of the corresponding message, already unhidden (an AVP
 * still marked hidden could not be unhidden and is not carried). What the table regenerates or
 * drops is left out: the engine writes its own Message Type, Assigned Session ID, Result Code
 * (see carriedResult) and so on. An AVP is carried only into a message the draft lists for it
 * (for a mapped AVP, for the AVP it becomes). Unknown AVPs (no row) are dropped, or relayed
 * as they are when `policy.relayUnknown` and their M bit is 0.
 *
 * Output AVPs are new objects with copied values, H=0 and clean reserved bits (except unknown
 * AVPs, relayed header and all). Relayed AVPs keep the First's M bit; mapped ones take the M bit
 * the target version's RFC asks for; TSA IDs have M=0.
 *
 * @throws UsageError when `policy.tsaId` is longer than 64 octets.
 */
export function relayAvps(
  message: SwitchedMessage,
  avps: readonly RawAvp[],
  from: 2 | 3,
  to: 2 | 3,
  policy: RelayPolicy = {},
): RawAvp[] {
  const ownId = policy.tsaId ?? EMPTY;
  if (ownId.length > TSA_ID_MAX_OCTETS) {
    throw new UsageError(`TSA ID of ${ownId.length} octets exceeds ${TSA_ID_MAX_OCTETS}`, {
      attributeType: TSA_ID,
    });
  }
  // All-or-nothing (§3.1 proxy groups; §3 "If TSA couldn't copy all of incoming AVPs then it
  // MUST not copy any one of them"): one member that cannot be copied drops its whole set.
  let proxyLcp = policy.proxyLcp !== 'drop';
  let proxyAuth = policy.proxyAuth !== 'drop';
  let wholeStack = true;
  for (const avp of avps) {
    if (avp.vendorId !== 0) continue;
    const ok = readable(avp, from);
    if (avp.attributeType === TSA_ID) {
      if (!ok || avp.value.length > TSA_ID_MAX_OCTETS) wholeStack = false;
      continue;
    }
    const group = avpSwitchRule(0, avp.attributeType)?.group;
    if (group === 'proxy-lcp' && !ok) proxyLcp = false;
    else if (group === 'proxy-auth' && !ok) proxyAuth = false;
  }

  const out: RawAvp[] = [];
  for (const avp of avps) {
    const rule = avpSwitchRule(avp.vendorId, avp.attributeType);
    if (rule === undefined) {
      if (policy.relayUnknown === true && !avp.mandatory && !avp.hidden) {
        out.push({ ...avp, value: avp.value.slice() });
      }
      continue;
    }
    if (rule.disposition !== 'relay' && rule.disposition !== 'relay-if-negotiated') continue;
    if (!readable(avp, from)) continue;
    if (rule.group === 'proxy-lcp' && !proxyLcp) continue;
    if (rule.group === 'proxy-auth' && !proxyAuth) continue;
    const carried = carry(rule, avp, from, to);
    if (carried === undefined) continue;
    const target =
      carried.attributeType === rule.attributeType ? rule : avpSwitchRule(0, carried.attributeType);
    if (target !== undefined && inMessage(target, message)) out.push(carried);
  }

  if (inMessage(TSA_RULE, message)) {
    if (wholeStack) for (const avp of avps) if (isTsaId(avp)) out.push(tsaIdAvp(avp.value));
    out.push(tsaIdAvp(ownId));
  }
  return out;
}

/** A TSA ID AVP as we send it: M=0 (§4 "The M-bit for this AVP MUST be set to 0"), unhidden. */
function tsaIdAvp(id: Uint8Array): RawAvp {
  return {
    mandatory: false,
    hidden: false,
    vendorId: 0,
    attributeType: TSA_ID,
    value: id.slice(),
  };
}

/** A relayed AVP as the Second session sends it, or undefined when it cannot be carried. */
function carry(rule: AvpSwitchRule, avp: RawAvp, from: 2 | 3, to: 2 | 3): RawAvp | undefined {
  const vs = rule.versionSwitch;
  const own = lookupAvp(0, rule.attributeType)?.versions;
  if (from === to || vs === undefined || own === `v${to}` || own === 'both') {
    return {
      mandatory: avp.mandatory,
      hidden: false,
      vendorId: 0,
      attributeType: avp.attributeType,
      value: avp.value.slice(),
    };
  }
  // A version switch of an AVP the draft maps: the connect speeds, 4 octets in L2TPv2
  // (RFC 2661 §4.4.4), 8 in L2TPv3 (RFC 3931 §5.4.4).
  const targetType = to === 3 ? vs.toV3 : vs.toV2;
  if (targetType === undefined) return undefined;
  const target = lookupAvp(0, targetType);
  const speed = unsignedOf(avp.value);
  if (target === undefined || speed === undefined) return undefined;
  const width = Math.min(target.maxLength, vs.maxOctets ?? target.maxLength);
  if (speed >= 1n << BigInt(8 * width)) return undefined; // "SHOULD be dropped"
  const value = new Uint8Array(target.maxLength);
  const view = new DataView(value.buffer);
  if (value.length === 8) view.setBigUint64(0, speed);
  else view.setUint32(0, Number(speed));
  return {
    mandatory: mandatoryBitFor(target, to),
    hidden: false,
    vendorId: 0,
    attributeType: targetType,
    value,
  };
}

/** A 4- or 8-octet unsigned integer; undefined for any other length (malformed). */
function unsignedOf(value: Uint8Array): bigint | undefined {
  const view = new DataView(value.buffer, value.byteOffset, value.byteLength);
  if (value.length === 8) return view.getBigUint64(0);
  if (value.length === 4) return BigInt(view.getUint32(0));
  return undefined;
}

// ---------------------------------------------------------------------------------------------
// Loop detection (§4)

/**
 * The TSA ID stack of a message (§4): the value of every TSA ID AVP in order, first hop first,
 * copied. Malformed ids (longer than 64 octets) are included as they are, so the caller can see
 * them (`id.length > TSA_ID_MAX_OCTETS`); AVPs still marked hidden cannot be read and are left
 * out.
 */
export function tsaIdStack(avps: readonly RawAvp[]): Uint8Array[] {
  const ids: Uint8Array[] = [];
  for (const avp of avps) if (isTsaId(avp) && !avp.hidden) ids.push(avp.value.slice());
  return ids;
}

/**
 * Whether our TSA ID is in the message's stack (§4: a CDN with Result Code 26, Loop Detected, is
 * then due). Always false without a configured, non-empty id: "A match comparison MUST only be
 * performed if TSA has configured non-null TSA ID." Octets are compared exactly.
 */
export function loopDetected(avps: readonly RawAvp[], ownTsaId: Uint8Array | undefined): boolean {
  if (ownTsaId === undefined || ownTsaId.length === 0) return false;
  for (const avp of avps) {
    if (isTsaId(avp) && !avp.hidden && sameOctets(avp.value, ownTsaId)) return true;
  }
  return false;
}

function sameOctets(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

// ---------------------------------------------------------------------------------------------
// Result and Error Codes across a switch (§3.1 "Result Code", §5)

/**
 * CDN Result Codes an L2TPv2 peer knows: RFC 2661 §4.4.2 (0–11), RFC 3308 (12) and the draft's
 * Loop Detected (26, §4). Everything else — RFC 3931's 13–16, the pseudowire RFCs' 17–25 and
 * 27 up — is L2TPv3's.
 */
const V2_CDN_RESULTS: ReadonlySet<number> = new Set([
  ...Array.from({ length: 13 }, (_, code) => code),
  CdnResult.LoopDetected,
]);

/**
 * General Error Codes an L2TPv2 peer knows: RFC 2661 §4.4.2 (0–8) and the draft's §5 (10–12).
 * 9, Try Another Directed, is RFC 3931's.
 */
const V2_GENERAL_ERRORS: ReadonlySet<number> = new Set([
  ...Array.from({ length: 9 }, (_, code) => code),
  GeneralError.NextHopUnreachable,
  GeneralError.NextHopBusy,
  GeneralError.TsaBusy,
]);

/**
 * The Result Code, Error Code and message to disconnect one session with when the other
 * session's CDN carried `codes` (§3.1 "Result Code"; §5: "error code SHOULD be propagated back").
 * Unchanged, except on a switch from L2TPv3 to L2TPv2, where an L2TPv3-only Result Code or
 * Error Code becomes General Error (Result Code 2, Error Code 0) — "MUST be translated into
 * general error" — with the message kept. Returns a new object; absent fields stay absent.
 */
export function carriedResult(codes: ResultCodes, from: 2 | 3, to: 2 | 3): ResultCodes {
  const { resultCode, errorCode, message } = codes;
  const translate =
    from === 3 &&
    to === 2 &&
    (!V2_CDN_RESULTS.has(resultCode) ||
      (errorCode !== undefined && !V2_GENERAL_ERRORS.has(errorCode)));
  const out: { resultCode: number; errorCode?: number; message?: string } = translate
    ? { resultCode: CdnResult.GeneralError, errorCode: GeneralError.NoError }
    : { resultCode };
  if (!translate && errorCode !== undefined) out.errorCode = errorCode;
  if (message !== undefined) out.message = message;
  return out;
}
