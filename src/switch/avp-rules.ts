/**
 * What an L2TP tunnel switch (TSA) does with each AVP of the First session's messages when it
 * builds the Second session's (draft-ietf-l2tpext-tunnel-switching-08 §3, §3.1), as one table,
 * plus the TSA ID stack of §4.
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
import { AvpType } from '../constants.js';

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
