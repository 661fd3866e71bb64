/**
 * The tunnel-switching AVP table (draft-ietf-l2tpext-tunnel-switching-08 §3.1): each row's
 * allowed dispositions and messages read off the draft's own sentence, quoted here (and, when
 * the draft is at ../shared/rfc, checked to be in it); numbers against src/constants.ts.
 */
import { existsSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { lookupAvp } from '../../src/avp/registry.js';
import { AvpType, MessageType } from '../../src/constants.js';
import {
  AVP_SWITCH_RULES,
  type AvpDisposition,
  type AvpSwitchRule,
  avpSwitchRule,
  UNNUMBERED_SWITCH_RULES,
} from '../../src/switch/avp-rules.js';

const T = AvpType;

function ruleOf(type: number): AvpSwitchRule {
  const rule = avpSwitchRule(0, type);
  if (rule === undefined) throw new Error(`no switch rule for ${type}`);
  return rule;
}

// ---------------------------------------------------------------------------------------------
// The draft's sentences

/** The §3.1 sentence(s) for each numbered row, verbatim (whitespace collapsed). */
const SENTENCES: readonly (readonly [number, ...string[]])[] = [
  [T.MessageType, 'Message Type (All Messages) - MUST be REGENERATED'],
  [T.ResultCode, 'Result Code (CDN, StopCCN) - MUST be either RELAYED or REGENERATED'],
  [T.ProtocolVersion, 'Protocol Version (SCCRQ, SCCRP) - MUST be REGENERATED.'],
  [T.FramingCapabilities, 'Framing Capabilities (SCCRQ, SCCRP) - MUST be REGENERATED.'],
  [
    T.BearerCapabilities,
    'Bearer Capabilities (SCCRQ, SCCRP) - MUST be either REGENERATED or DROPPED.',
  ],
  [
    T.TieBreaker,
    'Tie Breaker (SCCRQ) - MUST be either REGENERATED or DROPPED.',
    'Session Tie Breaker AVP (Version 3) (ICRQ, OCRQ) - MUST be either REGENERATED or DROPPED.',
  ],
  [T.FirmwareRevision, 'Firmware Revision (SCCRP, SCCRQ) - MUST be either REGENERATED or DROPPED.'],
  [T.HostName, 'Host Name (SCCRP, SCCRQ) - MUST be either REGENERATED or DROPPED.'],
  [T.VendorName, 'Vendor Name (SCCRP, SCCRQ) - MUST be either REGENERATED or DROPPED.'],
  [T.AssignedTunnelId, 'Assigned tunnel ID (SCCRP, SCCRQ, StopCCN) - MUST be REGENERATED.'],
  [
    T.ReceiveWindowSize,
    'Receive Window Size (SCCRQ, SCCRP) - MUST be either REGENERATED or DROPPED.',
  ],
  [T.Challenge, 'Challenge (SCCRP, SCCRQ) - MUST be either REGENERATED or DROPPED.'],
  [
    T.Q931CauseCode,
    'Q.931 Cause Code (CDN) - MUST be either RELAYED if negotiated by the First session or DROPPED.',
  ],
  [
    T.ChallengeResponse,
    'Challenge Response (SCCCN, SCCRP) - MUST be either REGENERATED or DROPPED.',
  ],
  [T.AssignedSessionId, 'Assigned Session ID (CDN, ICRP, ICRQ, OCRP, OCRQ) - MUST be REGENERATED.'],
  [T.CallSerialNumber, 'Call Serial Number (ICRQ, OCRQ) - MUST be RELAYED.'],
  [T.MinimumBps, 'Minimum BPS (OCRQ) - MUST be RELAYED if negotiated by the First session.'],
  [T.MaximumBps, 'Maximum BPS (OCRQ) - MUST be RELAYED if negotiated by the First session.'],
  [T.BearerType, 'Bearer Type (ICRQ, OCRQ) - MUST be RELAYED if negotiated by the First session.'],
  [T.FramingType, 'Framing Type (ICCN, OCCN, OCRQ) - MUST be RELAYED.'],
  [
    T.CalledNumber,
    'Called Number (ICRQ, OCRQ) - MUST be RELAYED if negotiated by the First session.',
  ],
  [T.CallingNumber, 'Calling Number (ICRQ) - MUST be RELAYED if negotiated by the First session.'],
  [T.SubAddress, 'Sub-Address (ICRQ, OCRQ) - MUST be RELAYED if negotiated by the First session.'],
  [T.TxConnectSpeed, 'Tx Connect Speed (ICCN, OCCN) - MUST be RELAYED.'],
  [
    T.PhysicalChannelId,
    'Physical Channel ID (ICRQ, OCRP) - MUST be either RELAYED if negotiated by the First session, REGENERATED, or DROPPED.',
  ],
  ...[T.InitialReceivedLcpConfreq, T.LastSentLcpConfreq, T.LastReceivedLcpConfreq].map(
    (type) =>
      [
        type,
        'Proxy LCP AVPs (ICCN) - All the Proxy LCP AVPs (Initial Received LCP CONFREQ, Last Sent LCP CONFREQ and Last Received LCP CONFREQ) MUST be either all RELAYED, all REGENERATED or all DROPPED.',
      ] as const,
  ),
  ...[
    T.ProxyAuthenType,
    T.ProxyAuthenName,
    T.ProxyAuthenChallenge,
    T.ProxyAuthenId,
    T.ProxyAuthenResponse,
  ].map(
    (type) =>
      [
        type,
        'Proxy Authentication AVPs (ICCN) - All the Proxy Authentication AVPs (Proxy Authen Type, Proxy Authen Name AVP, Proxy Authen Challenge Proxy Authen ID and Proxy Authen Response AVP) MUST be either all RELAYED, all REGENERATED, or all DROPPED.',
      ] as const,
  ),
  [T.CallErrors, 'Call Errors (WEN) - MUST be RELAYED.'],
  [T.Accm, 'ACCM (SLI) - MUST be RELAYED.'],
  [T.RandomVector, 'Random Vector (All Messages) - MUST be either REGENERATED or DROPPED.'],
  [
    T.PrivateGroupId,
    'Private Group ID (ICCN) - MUST be RELAYED if negotiated by the First session.',
  ],
  [
    T.RxConnectSpeed,
    'Rx Connect Speed (ICCN, OCCN) - MUST be RELAYED if negotiated by the First session.',
  ],
  [
    T.SequencingRequired,
    'Sequencing Required (ICCN, OCCN) - MUST be either REGENERATED or DROPPED.',
  ],
  [
    T.RxMinimumBps,
    'Rx Minimum BPS (OCRQ) (Ref [8]) - MUST be RELAYED if negotiated by the First session.',
  ],
  [
    T.RxMaximumBps,
    'Rx Maximum BPS (OCRQ) (Ref [8]) - MUST be RELAYED if negotiated by the First session.',
  ],
  [
    T.PppDisconnectCauseCode,
    "PPP Disconnect Cause AVP (CDN) (Ref [3])- MUST be either RELAYED if negotiated by the First tunnel/session or DROPPED if it's not supported.",
  ],
  [
    T.Ccds,
    "Control Connection DS AVP (SCCRQ, SCCRP) (Ref [4]) - MUST be either RELAYED if negotiated by the First tunnel or DROPPED if it's not supported.",
  ],
  [
    T.Sds,
    "Session DS AVP (ICRQ, ICRP, OCRQ, OCRP) (Ref [4]) - MUST be either RELAYED if negotiated by the First session or DROPPED if it's not supported.",
  ],
  [
    T.LcpWantOptions,
    "LCP Want Options (ICCN, OCCN) (Ref [5]) - MUST be either RELAYED if negotiated by the First session or DROPPED if it's not supported.",
  ],
  [
    T.LcpAllowOptions,
    "LCP Allow Options (ICCN, OCCN) (Ref [5]) - MUST be either RELAYED if negotiated by the First session or DROPPED if it's not supported.",
  ],
  [
    T.ExtendedVendorId,
    'Extended Vendor ID AVP (Version 3) (All Messages) - MUST be either REGENERATED or DROPPED.',
  ],
  [
    T.MessageDigest,
    'Message Digest AVP (Version 3) (All Messages) - MUST be either REGENERATED or DROPPED.',
  ],
  [T.RouterId, 'Router Id AVP (Version 3) (SCCRQ, SCCRP) - MUST be either REGENERATED or DROPPED.'],
  [
    T.AssignedControlConnectionId,
    'Assigned Control Connection Id AVP (Version 3) (SCCRQ, SCCRP, StopCCN) - MUST be either REGENERATED or DROPPED.',
  ],
  [
    T.PseudowireCapabilitiesList,
    'Pseudowire Capabilities List AVP (Version 3) (SCCRQ, SCCRP) - MUST be either REGENERATED or DROPPED.',
  ],
  [
    T.LocalSessionId,
    'Local Session Id AVP (Version 3) (ICRQ, ICRP, ICCN, OCRQ, OCRP, OCCN, CDN, WEN, SLI) - MUST be either REGENERATED or DROPPED.',
  ],
  [
    T.RemoteSessionId,
    'Remote Session Id AVP (Version 3) (ICRQ, ICRP, ICCN, OCRQ, OCRP, OCCN, CDN, WEN, SLI) - MUST be either REGENERATED or DROPPED.',
  ],
  [
    T.AssignedCookie,
    'Assigned Cookie AVP (Version 3) (ICRQ, ICRP, OCRQ, OCRP) - MUST be either REGENERATED or DROPPED.',
  ],
  [
    T.RemoteEndId,
    'Remote End Id AVP (Version 3) (ICRQ, OCRQ) - MUST be either REGENERATED or DROPPED.',
  ],
  [
    T.PseudowireType,
    'Pseudowire Type AVP (Version 3) (ICRQ, OCRQ) - MUST be either REGENERATED or DROPPED.',
  ],
  [
    T.L2SpecificSublayer,
    'L2-specific Sublayer AVP (Version 3) (ICRQ, ICRP, ICCN, OCRQ, OCRP, OCCN) - MUST be either REGENERATED or DROPPED.',
  ],
  [
    T.DataSequencing,
    'Data Sequencing AVP (Version 3) (ICRQ, ICRP, ICCN, OCRQ, OCRP, OCCN)',
    'As always TSA\'s local policy would take precedence over the default behavior of "REGENERATED or DROPPED"',
  ],
  [
    T.CircuitStatus,
    'Circuit Status AVP (Version 3) (ICRQ, ICRP, ICCN, OCRQ, OCRP, OCCN, SLI) - MUST be either REGENERATED or DROPPED.',
  ],
  [
    T.PreferredLanguage,
    'Preferred Language AVP (Version 3) (SCCRQ, SCCRP) - MUST be either REGENERATED or DROPPED.',
  ],
  [
    T.TxConnectSpeedV3,
    'Tx Connect Speed AVP (Version 3) (ICRQ, ICRP, ICCN, OCRQ, OCRP, OCCN) - MUST be either RELAYED, REGENERATED or DROPPED.',
  ],
  [
    T.RxConnectSpeedV3,
    'Rx Connect Speed AVP (Version 3) (ICRQ, ICRP, ICCN, OCRQ, OCRP, OCCN) - MUST be either RELAYED if negotiated by the First session, REGENERATED or DROPPED.',
  ],
  [
    T.FailoverCapability,
    "Failover Capability AVP (SCCRQ, SCCRP) (Ref [9]) - MUST be REGENERATED based on the TSA's capabilities",
  ],
  [T.TunnelRecovery, 'Tunnel Recovery AVP (SCCRQ) (Ref [9]) - MUST be REGENERATED'],
  [
    T.SuggestedControlSequence,
    'Suggested Control Sequence AVP (SCCRP) (Ref [9]) - MUST be REGENERATED',
  ],
  [T.FailoverSessionState, 'Failover Session State AVP (FSQ, FSR) (Ref [9]) - MUST be REGENERATED'],
  [
    T.TunnelSwitchingAggregatorId,
    'TSA ID AVPs (defined in this document) - MUST be STACKED.',
    // §3.1 lists no messages for it; §4 does.
    'If this AVP was received in an incoming control packet (ICRQ, OCRQ)',
  ],
];

/** The unnumbered rows' sentences, by name. */
const UNNUMBERED_SENTENCES: Readonly<Record<string, string>> = {
  // The draft writes "ORCQ"; the table reads it as OCRQ.
  'Offset Size':
    'Offset Size (Version 3) (ICRQ, ICRP, OCRQ, OCRP) (Ref [6]) - MUST be either REGENERATED or DROPPED.',
  'Tx Minimum Speed AVP (Version 3)':
    'Tx Minimum Speed AVP (Version 3) (OCRQ) (Ref [6]) - MUST be either RELAYED, REGENERATED or DROPPED.',
  'Tx Maximum Speed AVP (Version 3)':
    'Tx Maximum Speed AVP (Version 3) (OCRQ) (Ref [6]) - MUST be either RELAYED, REGENERATED or DROPPED.',
  'Rx Minimum Speed AVP (Version 3)':
    'Rx Minimum Speed AVP (Version 3) (OCRQ) (Ref [6]) - MUST be either RELAYED, REGENERATED or DROPPED.',
  'Rx Maximum Speed AVP (Version 3)':
    'Rx Maximum Speed AVP (Version 3) (OCRQ) (Ref [6]) - MUST be either RELAYED, REGENERATED or DROPPED.',
};

const MESSAGE_NAMES = new Set<string>(Object.keys(MessageType));

/** The dispositions a sentence allows, read off its capitalised words. */
function dispositionsIn(sentence: string): AvpDisposition[] {
  const out: AvpDisposition[] = [];
  if (/RELAYED if negotiated/.test(sentence)) out.push('relay-if-negotiated');
  else if (/RELAYED/.test(sentence)) out.push('relay');
  if (/REGENERATED/.test(sentence)) out.push('regenerate');
  if (/DROPPED/.test(sentence)) out.push('drop');
  if (/STACKED/.test(sentence)) out.push('stack');
  return out;
}

/** The messages in a sentence's parentheses ("All Messages" is '*'). */
function messagesIn(sentence: string): string[] {
  const out: string[] = [];
  for (const [, inner] of sentence.matchAll(/\(([^()]*)\)/g)) {
    if (inner === 'All Messages') out.push('*');
    const names = (inner as string).split(', ');
    if (names.every((name) => MESSAGE_NAMES.has(name))) out.push(...names);
  }
  return out;
}

const sorted = <V>(values: Iterable<V>): V[] => [...new Set(values)].sort();

describe('§3.1 table against the draft text', () => {
  it('has a sentence for every numbered row and a row for every sentence', () => {
    expect(sorted(SENTENCES.map(([type]) => type))).toEqual(
      sorted(
        AVP_SWITCH_RULES.filter((r) => r.cite.startsWith('draft')).map((r) => r.attributeType),
      ),
    );
    expect(sorted(Object.keys(UNNUMBERED_SENTENCES))).toEqual(
      sorted(UNNUMBERED_SWITCH_RULES.map((r) => r.name)),
    );
  });

  it.each(SENTENCES.map(([type, ...sentences]) => [type, sentences] as const))(
    'attribute %i: dispositions and messages as the draft says',
    (type, sentences) => {
      const rule = ruleOf(type);
      const text = sentences.join(' ');
      expect(sorted(rule.allowed), rule.name).toEqual(sorted(dispositionsIn(text)));
      expect(sorted(rule.messages), rule.name).toEqual(sorted(messagesIn(text)));
      expect(rule.allowed).toContain(rule.disposition);
      expect(rule.cite).toMatch(/^draft §/);
    },
  );

  it.each(Object.entries(UNNUMBERED_SENTENCES))('%s (unnumbered)', (name, sentence) => {
    const rule = UNNUMBERED_SWITCH_RULES.find((r) => r.name === name);
    expect(rule).toBeDefined();
    expect(sorted(rule?.allowed ?? [])).toEqual(sorted(dispositionsIn(sentence)));
    expect(sorted(rule?.messages ?? [])).toEqual(sorted(messagesIn(sentence)));
    expect(rule?.allowed).toContain(rule?.disposition);
  });

  const draftPath = fileURLToPath(
    new URL('../../../shared/rfc/draft-ietf-l2tpext-tunnel-switching-08.txt', import.meta.url),
  );
  it.skipIf(!existsSync(draftPath))('quotes every sentence verbatim', () => {
    // Page footers and headers fall mid-sentence; drop them, then collapse whitespace.
    const text = readFileSync(draftPath, 'latin1')
      .split('\n')
      .filter((line) => !/^(Kelkar, et al\.|Internet-Draft {2,}PPP over L2TP)/.test(line))
      .join(' ')
      .replace(/\s+/g, ' ');
    const quotes = [
      ...SENTENCES.flatMap(([, ...sentences]) => sentences),
      // The one deliberate difference: the draft's "ORCQ" typo.
      ...Object.values(UNNUMBERED_SENTENCES).map((s) =>
        s.replace('OCRQ, OCRP) (Ref', 'ORCQ, OCRP) (Ref'),
      ),
    ];
    for (const quote of quotes) expect(text, quote).toContain(quote);
  });
});

describe('§3.1 table: choices within what the draft allows', () => {
  // Most transparent first (§3.1 "In its default behavior TSA needs to be as transparent as
  // possible").
  const transparency: readonly AvpDisposition[] = [
    'relay',
    'relay-if-negotiated',
    'stack',
    'regenerate',
    'drop',
  ];

  it('defaults to the most transparent allowed disposition, except Result Code', () => {
    for (const rule of AVP_SWITCH_RULES) {
      if (rule.attributeType === T.ResultCode) continue;
      const best = transparency.find((d) => rule.allowed.includes(d));
      expect(rule.disposition, rule.name).toBe(best);
    }
    // The switch writes the CDN's Result Code itself, from carriedResult() (§5).
    expect(ruleOf(T.ResultCode).disposition).toBe('regenerate');
  });

  it('relays what the draft says MUST be relayed', () => {
    for (const type of [T.CallSerialNumber, T.FramingType, T.TxConnectSpeed, T.CallErrors, T.Accm])
      expect(ruleOf(type).allowed, ruleOf(type).name).toEqual(['relay']);
  });

  it('regenerates Sequencing Required and Data Sequencing, the same AVP across versions', () => {
    expect(ruleOf(T.SequencingRequired).disposition).toBe('regenerate');
    expect(ruleOf(T.SequencingRequired).versionSwitch).toEqual({ toV3: T.DataSequencing });
    expect(ruleOf(T.DataSequencing).disposition).toBe('regenerate');
    expect(ruleOf(T.DataSequencing).versionSwitch).toEqual({ toV2: T.SequencingRequired });
  });

  it('groups the proxy AVPs', () => {
    const group = (g: string) =>
      AVP_SWITCH_RULES.filter((r) => r.group === g).map((r) => r.attributeType);
    expect(group('proxy-lcp')).toEqual([26, 27, 28]);
    expect(group('proxy-auth')).toEqual([29, 30, 31, 32, 33]);
  });

  it('maps the speeds across versions as the draft says', () => {
    const vs = (type: number) => ruleOf(type).versionSwitch;
    expect(vs(T.TxConnectSpeed)).toEqual({ toV3: 74 });
    expect(vs(T.RxConnectSpeed)).toEqual({ toV3: 75 });
    expect(vs(T.TxConnectSpeedV3)).toEqual({ toV2: 24, maxOctets: 4 });
    expect(vs(T.RxConnectSpeedV3)).toEqual({ toV2: 38, maxOctets: 4 });
    // The L2TPv3 Minimum/Maximum Speed AVPs of the draft's ref [6] have no assigned numbers.
    expect(vs(T.MinimumBps)).toEqual({ unassignedTarget: 'Tx Minimum Speed' });
    expect(vs(T.MaximumBps)).toEqual({ unassignedTarget: 'Tx Maximum Speed' });
    expect(vs(T.RxMinimumBps)).toEqual({ unassignedTarget: 'Rx Minimum Speed' });
    expect(vs(T.RxMaximumBps)).toEqual({ unassignedTarget: 'Rx Maximum Speed' });
  });

  it('treats the Nonce (not in the draft) like Message Digest', () => {
    const nonce = ruleOf(T.ControlMessageAuthenticationNonce);
    expect(nonce.allowed).toEqual(ruleOf(T.MessageDigest).allowed);
    expect(nonce.cite).toMatch(/^not in draft/);
  });
});

describe('§3.1 table: numbers and lookup', () => {
  const avpTypes = new Set<number>(Object.values(AvpType));

  it('uses only AvpType numbers, each once, IETF only', () => {
    for (const rule of AVP_SWITCH_RULES) {
      expect(rule.vendorId, rule.name).toBe(0);
      expect(avpTypes.has(rule.attributeType), rule.name).toBe(true);
      expect(lookupAvp(0, rule.attributeType)?.status, rule.name).toBe('assigned');
    }
    const keys = AVP_SWITCH_RULES.map((r) => `${r.vendorId}/${r.attributeType}`);
    expect(new Set(keys).size).toBe(keys.length);
  });

  it('maps only to AvpType numbers, between a v2 and a v3 AVP', () => {
    for (const rule of AVP_SWITCH_RULES) {
      const vs = rule.versionSwitch;
      if (vs === undefined) continue;
      const own = lookupAvp(0, rule.attributeType)?.versions;
      if (vs.toV3 !== undefined) {
        expect(own, rule.name).toBe('v2');
        expect(lookupAvp(0, vs.toV3)?.versions, rule.name).toBe('v3');
      }
      if (vs.toV2 !== undefined) {
        expect(own, rule.name).toBe('v3');
        expect(lookupAvp(0, vs.toV2)?.versions, rule.name).toBe('v2');
      }
      if (vs.unassignedTarget !== undefined) expect(own, rule.name).toBe('v2');
    }
  });

  it('lists only known message names', () => {
    for (const rule of [...AVP_SWITCH_RULES, ...UNNUMBERED_SWITCH_RULES])
      for (const m of rule.messages)
        expect(m === '*' || MESSAGE_NAMES.has(m), rule.name).toBe(true);
  });

  it('covers every RFC 2661 attribute (0–39 but the reserved 20) and every RFC 3931 one', () => {
    const covered = new Set(AVP_SWITCH_RULES.map((r) => r.attributeType));
    for (let type = 0; type <= 39; type++)
      if (type !== 20) expect(covered.has(type), `${type}`).toBe(true);
    // RFC 3931 §5.4 / §10.1: 58–66 and 68–75 (67 comes from the IANA registry only).
    for (let type = 58; type <= 75; type++)
      if (type !== 67) expect(covered.has(type), `${type}`).toBe(true);
  });

  it('finds rows by (vendor, type) and nothing else', () => {
    expect(avpSwitchRule(0, T.CalledNumber)?.name).toBe('Called Number');
    expect(avpSwitchRule(0, T.TunnelSwitchingAggregatorId)?.disposition).toBe('stack');
    expect(avpSwitchRule(0, 20)).toBeUndefined();
    expect(avpSwitchRule(0, T.ServiceName)).toBeUndefined();
    expect(avpSwitchRule(9, T.CalledNumber)).toBeUndefined();
    expect(avpSwitchRule(3561, 1)).toBeUndefined();
    expect(avpSwitchRule(0, -1)).toBeUndefined();
    expect(avpSwitchRule(0, 0x10000)).toBeUndefined();
  });

  it('keeps the draft order', () => {
    const draftRows = AVP_SWITCH_RULES.filter((r) => r.cite.startsWith('draft'));
    const order = SENTENCES.map(([type]) => type).filter((t, i, all) => all.indexOf(t) === i);
    expect(draftRows.map((r) => r.attributeType)).toEqual(order);
  });
});
