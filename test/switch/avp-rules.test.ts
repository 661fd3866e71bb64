/**
 * The tunnel-switching AVP table (draft-ietf-l2tpext-tunnel-switching-08 §3.1): each row's
 * allowed dispositions and messages read off the draft's own sentence, quoted here (and, when
 * the draft is in test/fixtures/rfc, checked to be in it); numbers against src/constants.ts. Then
 * relayAvps (version mappings byte for byte, proxy groups, unknown AVPs, properties over
 * arbitrary AVP lists) and the §4 TSA ID stack.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { rawAvpArbitrary } from '../../src/arbitraries/index.js';
import { encodeAvps, type RawAvp } from '../../src/avp/raw.js';
import { lookupAvp } from '../../src/avp/registry.js';
import { AvpType, CdnResult, GeneralError, MessageType } from '../../src/constants.js';
import { UsageError } from '../../src/errors.js';
import {
  AVP_SWITCH_RULES,
  type AvpDisposition,
  type AvpSwitchRule,
  avpSwitchRule,
  carriedResult,
  loopDetected,
  type RelayPolicy,
  relayAvps,
  type SwitchedMessage,
  TSA_ID_MAX_OCTETS,
  tsaIdStack,
  UNNUMBERED_SWITCH_RULES,
} from '../../src/switch/avp-rules.js';
import { hex } from '../helpers/hex.js';

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

  // A copy of the draft travels with the tests (IETF text, redistributable as is).
  const draftPath = fileURLToPath(
    new URL('../fixtures/rfc/draft-ietf-l2tpext-tunnel-switching-08.txt', import.meta.url),
  );
  it('quotes every sentence verbatim', () => {
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

// ---------------------------------------------------------------------------------------------
// relayAvps

function avp(attributeType: number, value: Uint8Array, mandatory = false, vendorId = 0): RawAvp {
  return { mandatory, hidden: false, vendorId, attributeType, value };
}
const text = (s: string) => new TextEncoder().encode(s);
const types = (avps: readonly RawAvp[]) => avps.map((a) => a.attributeType);

describe('relayAvps: what is carried', () => {
  const icrq = [
    avp(T.MessageType, hex`00 0a`, true),
    avp(T.AssignedSessionId, hex`12 34`, true),
    avp(T.CallSerialNumber, hex`00 00 00 07`, true),
    avp(T.BearerType, hex`00 00 00 02`, true),
    avp(T.RandomVector, hex`01 02 03 04`, true),
    avp(T.PhysicalChannelId, hex`00 00 00 09`),
    avp(T.CallingNumber, text('5551234'), true),
    avp(T.CalledNumber, text('100'), true),
  ];

  it('relays the relayable AVPs in order, leaves out the regenerated ones, stacks a TSA ID', () => {
    const out = relayAvps('ICRQ', icrq, 2, 2);
    expect(types(out)).toEqual([15, 18, 25, 22, 21, 93]);
    // Relayed AVPs keep the First's M bit and value, unhidden.
    expect(out[0]).toEqual(avp(T.CallSerialNumber, hex`00 00 00 07`, true));
    expect(out[2]).toEqual(avp(T.PhysicalChannelId, hex`00 00 00 09`, false));
    // No TSA ID configured: the null value (§3 "an AVP with a null value … MUST be appended").
    expect(out[5]).toEqual(avp(T.TunnelSwitchingAggregatorId, new Uint8Array(0), false));
  });

  it('copies values (the First’s datagram may be reused)', () => {
    const value = hex`00 00 00 07`;
    const out = relayAvps('ICRQ', [avp(T.CallSerialNumber, value, true)], 2, 2);
    value[3] = 8;
    expect(out[0]?.value).toEqual(hex`00 00 00 07`);
  });

  it('carries an AVP only into a message the draft lists for it', () => {
    const q931 = avp(T.Q931CauseCode, hex`00 10 00`, true);
    const ppp = avp(T.PppDisconnectCauseCode, hex`00 01 00 c0 21 02`);
    expect(types(relayAvps('CDN', [q931, ppp], 2, 2))).toEqual([12, 46]);
    expect(relayAvps('WEN', [q931, ppp], 2, 2)).toEqual([]);
    const errors = avp(T.CallErrors, new Uint8Array(26), true);
    expect(types(relayAvps('WEN', [errors], 2, 2))).toEqual([34]);
    expect(types(relayAvps('SLI', [avp(T.Accm, new Uint8Array(10), true)], 2, 2))).toEqual([35]);
    expect(types(relayAvps('ICCN', [avp(T.FramingType, hex`00 00 00 01`, true)], 2, 2))).toEqual([
      19,
    ]);
    // Framing Type is not an ICRQ AVP: only the TSA ID stack is left.
    expect(relayAvps('ICRQ', [avp(T.FramingType, hex`00 00 00 01`, true)], 2, 2)).toEqual([
      avp(T.TunnelSwitchingAggregatorId, new Uint8Array(0)),
    ]);
  });

  it('leaves out every regenerated or dropped AVP', () => {
    const regenerated = [
      avp(T.MessageType, hex`00 0c`, true),
      avp(T.SequencingRequired, new Uint8Array(0), true),
      avp(T.LocalSessionId, hex`00 00 00 01`, true),
      avp(T.RemoteSessionId, hex`00 00 00 02`, true),
      avp(T.L2SpecificSublayer, hex`00 01`, true),
      avp(T.DataSequencing, hex`00 02`, true),
      avp(T.CircuitStatus, hex`00 01`, true),
      avp(T.MessageDigest, new Uint8Array(17), true),
    ];
    expect(relayAvps('ICCN', regenerated, 3, 3)).toEqual([]);
    expect(relayAvps('ICCN', regenerated, 2, 3)).toEqual([]);
  });

  it('drops an AVP still marked hidden (it could not be unhidden)', () => {
    const hidden = { ...avp(T.CalledNumber, hex`de ad be ef`, true), hidden: true };
    expect(types(relayAvps('OCRQ', [hidden], 2, 2))).toEqual([93]);
  });

  it('drops a table AVP with reserved header bits from an L2TPv2 First (RFC 2661 §4.1)', () => {
    const flagged: RawAvp = { ...avp(T.CalledNumber, text('1'), true), reserved: 1 };
    expect(types(relayAvps('OCRQ', [flagged], 2, 2))).toEqual([93]);
    expect(relayAvps('OCRQ', [flagged], 3, 3)[0]).toEqual(avp(T.CalledNumber, text('1'), true));
  });

  it('drops unknown AVPs by default; relays M=0 ones when told, header and all', () => {
    const unknown = [
      avp(200, hex`01`),
      avp(201, hex`02`, true),
      avp(1, hex`03`, false, 3561), // BBF Agent-Circuit-Id: not in the draft's table
      avp(T.ServiceName, hex`04`), // RFC 3301, not in the draft
      { ...avp(202, hex`05`), reserved: 2 },
      { ...avp(203, hex`06`), hidden: true },
    ];
    expect(relayAvps('CDN', unknown, 2, 2)).toEqual([]);
    const out = relayAvps('CDN', unknown, 2, 3, { relayUnknown: true });
    expect(out).toEqual([unknown[0], unknown[2], unknown[3], unknown[4]]);
    expect(out[0]?.value).not.toBe(unknown[0]?.value);
  });
});

describe('relayAvps: version switch mappings, byte for byte', () => {
  const wire = (out: readonly RawAvp[]) => encodeAvps(out.filter((a) => a.attributeType !== 93));

  it('v3 Tx Connect Speed 74 → v2 24 in 4 octets, M=1 (RFC 2661 §4.4.4)', () => {
    const speed = avp(T.TxConnectSpeedV3, hex`00 00 00 00 05 f5 e1 00`);
    expect(wire(relayAvps('ICCN', [speed], 3, 2))).toEqual(
      hex`80 0a 00 00 00 18  05 f5 e1 00  // M, Length 10, type 24, 100 000 000 bps`,
    );
  });

  it('v3 Rx Connect Speed 75 → v2 38 in 4 octets, M=0', () => {
    const speed = avp(T.RxConnectSpeedV3, hex`00 00 00 00 ff ff ff ff`);
    expect(wire(relayAvps('OCCN', [speed], 3, 2))).toEqual(hex`00 0a 00 00 00 26  ff ff ff ff`);
  });

  it('drops a v3 speed of 2^32 or more on a switch to v2 ("greater than 4 octets")', () => {
    for (const value of [hex`00 00 00 01 00 00 00 00`, hex`80 00 00 00 00 00 00 00`]) {
      expect(wire(relayAvps('ICCN', [avp(T.TxConnectSpeedV3, value)], 3, 2))).toEqual(hex``);
      expect(wire(relayAvps('ICCN', [avp(T.RxConnectSpeedV3, value)], 3, 2))).toEqual(hex``);
    }
  });

  it('v2 Tx/Rx Connect Speed 24/38 → v3 74/75 in 8 octets, M=0 (RFC 3931 §5.4.4)', () => {
    const out = relayAvps(
      'ICCN',
      [avp(T.TxConnectSpeed, hex`05 f5 e1 00`, true), avp(T.RxConnectSpeed, hex`00 00 fa 00`)],
      2,
      3,
    );
    expect(wire(out)).toEqual(
      hex`00 0e 00 00 00 4a  00 00 00 00 05 f5 e1 00
          00 0e 00 00 00 4b  00 00 00 00 00 00 fa 00`,
    );
  });

  it('reads a 4-octet v3 speed (RFC 3931 §5.4 recoverable malformation); drops other lengths', () => {
    expect(wire(relayAvps('ICCN', [avp(T.TxConnectSpeedV3, hex`00 01 00 00`)], 3, 2))).toEqual(
      hex`80 0a 00 00 00 18  00 01 00 00`,
    );
    expect(wire(relayAvps('ICCN', [avp(T.TxConnectSpeedV3, hex`00 01 00`)], 3, 2))).toEqual(hex``);
    expect(wire(relayAvps('ICCN', [avp(T.TxConnectSpeed, hex`01 00`, true)], 2, 3))).toEqual(hex``);
  });

  it('relays the speeds as they are without a version switch, malformed or not', () => {
    const odd = avp(T.TxConnectSpeedV3, hex`00 00 00 01 00 00 00 00 00`);
    expect(relayAvps('ICCN', [odd], 3, 3)[0]).toEqual(odd);
    const v2 = avp(T.TxConnectSpeed, hex`05 f5 e1 00`, true);
    expect(relayAvps('ICCN', [v2], 2, 2)[0]).toEqual(v2);
  });

  it('maps only into messages the target AVP belongs to', () => {
    // v3 carries connect speeds in ICRQ; L2TPv2 has them only in ICCN/OCCN.
    const speed = avp(T.TxConnectSpeedV3, hex`00 00 00 00 00 00 fa 00`);
    expect(types(relayAvps('ICRQ', [speed], 3, 3))).toEqual([74, 93]);
    expect(types(relayAvps('ICRQ', [speed], 3, 2))).toEqual([93]);
  });

  it('keeps an AVP that already is the target version’s', () => {
    const v2InV3 = avp(T.TxConnectSpeed, hex`05 f5 e1 00`, true);
    expect(relayAvps('ICCN', [v2InV3], 3, 2)[0]).toEqual(v2InV3);
    const v3InV2 = avp(T.TxConnectSpeedV3, hex`00 00 00 00 05 f5 e1 00`);
    expect(relayAvps('ICCN', [v3InV2], 2, 3)[0]).toEqual(v3InV2);
  });

  it('drops Minimum/Maximum BPS and Rx Minimum/Maximum BPS on a switch to v3 (no v3 number)', () => {
    const ocrq = [
      avp(T.MinimumBps, hex`00 00 25 80`, true),
      avp(T.MaximumBps, hex`00 01 00 00`, true),
      avp(T.RxMinimumBps, hex`00 00 25 80`),
      avp(T.RxMaximumBps, hex`00 01 00 00`),
      avp(T.CalledNumber, text('100'), true),
    ];
    expect(types(relayAvps('OCRQ', ocrq, 2, 2))).toEqual([16, 17, 40, 41, 21, 93]);
    expect(types(relayAvps('OCRQ', ocrq, 2, 3))).toEqual([21, 93]);
    expect(types(relayAvps('OCRQ', ocrq, 3, 2))).toEqual([16, 17, 40, 41, 21, 93]);
  });

  it('relays unmapped v2 AVPs to v3 as they are, M bit kept', () => {
    const out = relayAvps('ICRQ', [avp(T.CallingNumber, text('555'), true)], 2, 3);
    expect(out[0]).toEqual(avp(T.CallingNumber, text('555'), true));
  });
});

describe('relayAvps: proxy groups, all or nothing (§3.1)', () => {
  const lcp = [
    avp(T.InitialReceivedLcpConfreq, hex`01 04 05 dc`),
    avp(T.LastSentLcpConfreq, hex`01 04 05 dc`),
    avp(T.LastReceivedLcpConfreq, hex`01 04 05 dc`),
  ];
  const auth = [
    avp(T.ProxyAuthenType, hex`00 02`),
    avp(T.ProxyAuthenName, text('user')),
    avp(T.ProxyAuthenChallenge, hex`aa bb`),
    avp(T.ProxyAuthenId, hex`00 01`),
    avp(T.ProxyAuthenResponse, new Uint8Array(16)),
  ];
  const iccn = [
    avp(T.MessageType, hex`00 0c`, true),
    ...lcp,
    avp(T.FramingType, hex`00 00 00 01`, true),
    ...auth,
  ];

  it('relays both groups by default, in place', () => {
    expect(types(relayAvps('ICCN', iccn, 2, 2))).toEqual([26, 27, 28, 19, 29, 30, 31, 32, 33]);
    expect(types(relayAvps('ICCN', iccn, 2, 3))).toEqual([26, 27, 28, 19, 29, 30, 31, 32, 33]);
  });

  it('drops a whole group by policy', () => {
    expect(types(relayAvps('ICCN', iccn, 2, 2, { proxyLcp: 'drop' }))).toEqual([
      19, 29, 30, 31, 32, 33,
    ]);
    expect(types(relayAvps('ICCN', iccn, 2, 2, { proxyAuth: 'drop' }))).toEqual([26, 27, 28, 19]);
  });

  it('drops a whole group when one member cannot be carried', () => {
    const oneHidden = iccn.map((a) =>
      a.attributeType === T.LastSentLcpConfreq ? { ...a, hidden: true } : a,
    );
    expect(types(relayAvps('ICCN', oneHidden, 2, 2))).toEqual([19, 29, 30, 31, 32, 33]);
    const oneFlagged = iccn.map((a) =>
      a.attributeType === T.ProxyAuthenId ? { ...a, reserved: 4 } : a,
    );
    expect(types(relayAvps('ICCN', oneFlagged, 2, 2))).toEqual([26, 27, 28, 19]);
  });
});

// ---------------------------------------------------------------------------------------------
// The TSA ID stack (§4)

describe('TSA ID stack (§3 STACKABLE AVP, §4)', () => {
  const tsa = (id: string | Uint8Array, extra: Partial<RawAvp> = {}): RawAvp => ({
    ...avp(T.TunnelSwitchingAggregatorId, typeof id === 'string' ? text(id) : id),
    ...extra,
  });
  const ids = (avps: readonly RawAvp[]) =>
    avps.filter((a) => a.attributeType === 93).map((a) => new TextDecoder().decode(a.value));
  const icrq = [avp(T.CallSerialNumber, hex`00 00 00 01`, true), tsa('lac-1'), tsa('tsa-a')];

  it('copies the incoming stack as is and appends ours, last, M=0 H=0', () => {
    const out = relayAvps('ICRQ', icrq, 2, 3, { tsaId: text('tsa-b') });
    expect(types(out)).toEqual([15, 93, 93, 93]);
    expect(ids(out)).toEqual(['lac-1', 'tsa-a', 'tsa-b']);
    for (const a of out.slice(1)) expect([a.mandatory, a.hidden]).toEqual([false, false]);
    expect(relayAvps('OCRQ', icrq, 3, 3, { tsaId: text('x') }).length).toBe(4);
  });

  it('clears the M bit of copied ids', () => {
    const out = relayAvps('ICRQ', [tsa('m', { mandatory: true })], 2, 2);
    expect(out.map((a) => a.mandatory)).toEqual([false, false]);
  });

  it('appends the null value when no id is configured', () => {
    const out = relayAvps('ICRQ', icrq, 2, 2, {});
    expect(ids(out)).toEqual(['lac-1', 'tsa-a', '']);
    expect(relayAvps('ICRQ', [], 2, 2, { tsaId: new Uint8Array(0) })).toEqual([tsa('')]);
  });

  it('copies none of them when one is malformed or unreadable, but still appends ours', () => {
    const long = tsa(new Uint8Array(TSA_ID_MAX_OCTETS + 1).fill(0x41));
    expect(ids(relayAvps('ICRQ', [...icrq, long], 2, 2, { tsaId: text('me') }))).toEqual(['me']);
    const exact = tsa(new Uint8Array(TSA_ID_MAX_OCTETS).fill(0x41));
    expect(ids(relayAvps('ICRQ', [exact], 2, 2, { tsaId: text('me') }))).toHaveLength(2);
    const hidden = tsa('secret', { hidden: true });
    expect(ids(relayAvps('ICRQ', [...icrq, hidden], 2, 2, { tsaId: text('me') }))).toEqual(['me']);
    const flagged = tsa('odd', { reserved: 8 });
    expect(ids(relayAvps('ICRQ', [flagged, ...icrq], 2, 2, { tsaId: text('me') }))).toEqual(['me']);
  });

  it('stacks only in ICRQ and OCRQ (§4)', () => {
    for (const message of ['ICCN', 'OCCN', 'CDN', 'WEN', 'SLI'] as const)
      expect(relayAvps(message, icrq, 2, 2, { tsaId: text('me') }), message).toEqual([]);
  });

  it('refuses an own id over 64 octets', () => {
    expect(() => relayAvps('ICRQ', [], 2, 2, { tsaId: new Uint8Array(65) })).toThrow(UsageError);
  });

  it('reads the stack first hop first, malformed ids included, hidden ones not', () => {
    const long = new Uint8Array(70).fill(0x42);
    const stack = tsaIdStack([
      tsa('a'),
      avp(T.CalledNumber, text('1')),
      tsa(long),
      tsa('h', { hidden: true }),
      tsa(''),
    ]);
    expect(stack).toEqual([text('a'), long, new Uint8Array(0)]);
    expect(stack[1]?.length).toBeGreaterThan(TSA_ID_MAX_OCTETS);
    expect(tsaIdStack([avp(T.TunnelSwitchingAggregatorId, text('v'), false, 9)])).toEqual([]);
  });

  it('detects a loop when our non-empty id is in the stack', () => {
    expect(loopDetected(icrq, text('tsa-a'))).toBe(true);
    expect(loopDetected(icrq, text('tsa-b'))).toBe(false);
    expect(loopDetected(icrq, text('TSA-A'))).toBe(false); // octets, not case-folded
    expect(loopDetected(icrq, text('tsa'))).toBe(false);
    // "A match comparison MUST only be performed if TSA has configured non-null TSA ID."
    expect(loopDetected([tsa('')], new Uint8Array(0))).toBe(false);
    expect(loopDetected([tsa('')], undefined)).toBe(false);
    expect(loopDetected([tsa('tsa-a', { hidden: true })], text('tsa-a'))).toBe(false);
  });
});

// ---------------------------------------------------------------------------------------------
// Properties over arbitrary AVP lists

const MESSAGES: readonly SwitchedMessage[] = ['ICRQ', 'OCRQ', 'ICCN', 'OCCN', 'CDN', 'WEN', 'SLI'];

/** TSA IDs of 0–80 octets (over 64 is malformed), sometimes hidden or flagged. */
const tsaIdArbitrary: fc.Arbitrary<RawAvp> = fc
  .record({
    mandatory: fc.boolean(),
    hidden: fc.oneof({ arbitrary: fc.constant(false), weight: 9 }, fc.constant(true)),
    value: fc.oneof(
      { arbitrary: fc.uint8Array({ maxLength: TSA_ID_MAX_OCTETS }), weight: 9 },
      fc.uint8Array({ minLength: TSA_ID_MAX_OCTETS + 1, maxLength: 80 }),
    ),
  })
  .map(({ mandatory, hidden, value }) => ({
    mandatory,
    hidden,
    vendorId: 0,
    attributeType: 93,
    value,
  }));

/** Speeds and proxy AVPs, so mappings and groups come up often. */
const focusArbitrary: fc.Arbitrary<RawAvp> = fc
  .record({
    attributeType: fc.constantFrom(16, 17, 24, 26, 27, 28, 29, 30, 38, 40, 41, 74, 75),
    value: fc.oneof(
      fc.uint8Array({ minLength: 4, maxLength: 4 }),
      fc.uint8Array({ minLength: 8, maxLength: 8 }),
      fc.uint8Array({ maxLength: 9 }),
    ),
    mandatory: fc.boolean(),
  })
  .map((r) => ({ ...r, hidden: false, vendorId: 0 }));

const avpListArbitrary = fc.array(
  fc.oneof(
    { arbitrary: rawAvpArbitrary(), weight: 6 },
    { arbitrary: tsaIdArbitrary, weight: 2 },
    { arbitrary: focusArbitrary, weight: 2 },
  ),
  { maxLength: 24 },
);

const policyArbitrary: fc.Arbitrary<RelayPolicy> = fc.record(
  {
    tsaId: fc.uint8Array({ maxLength: TSA_ID_MAX_OCTETS }),
    proxyLcp: fc.constantFrom('relay' as const, 'drop' as const),
    proxyAuth: fc.constantFrom('relay' as const, 'drop' as const),
    relayUnknown: fc.boolean(),
  },
  { requiredKeys: [] },
);

const version = fc.constantFrom(2 as const, 3 as const);

/** Whether `out` (TSA IDs removed) is a subsequence of `input`, allowing the version mappings. */
function isOrderedSubsequence(input: readonly RawAvp[], out: readonly RawAvp[]): boolean {
  const carriedAs = (a: RawAvp, o: RawAvp): boolean => {
    if (a.vendorId !== o.vendorId) return false;
    if (a.attributeType === o.attributeType) return true;
    const vs = avpSwitchRule(a.vendorId, a.attributeType)?.versionSwitch;
    return vs?.toV2 === o.attributeType || vs?.toV3 === o.attributeType;
  };
  let i = 0;
  for (const o of out) {
    let found = false;
    while (i < input.length && !found) found = carriedAs(input[i++] as RawAvp, o);
    if (!found) return false;
  }
  return true;
}

describe('relayAvps properties', () => {
  test.prop([fc.constantFrom(...MESSAGES), avpListArbitrary, version, version, policyArbitrary], {
    numRuns: 1000,
  })(
    'never throws; carries only relayable AVPs, unhidden, in order, stack last',
    (message, avps, from, to, policy) => {
      const out = relayAvps(message, avps, from, to, policy);
      const body = out.filter((a) => !(a.vendorId === 0 && a.attributeType === 93));
      for (const a of out) expect(a.hidden).toBe(false);
      for (const a of body) {
        const rule = avpSwitchRule(a.vendorId, a.attributeType);
        if (rule === undefined) {
          expect(policy.relayUnknown).toBe(true);
          expect(a.mandatory).toBe(false);
        } else {
          expect(['relay', 'relay-if-negotiated']).toContain(rule.disposition);
          expect(rule.messages).toContain(message);
        }
      }
      expect(isOrderedSubsequence(avps, body)).toBe(true);
      // The stack comes last.
      expect(out.slice(body.length).every((a) => a.attributeType === 93 && a.vendorId === 0)).toBe(
        true,
      );
      expect(encodeAvps(out).length).toBeGreaterThanOrEqual(0);
    },
  );

  test.prop(
    [
      fc.constantFrom<SwitchedMessage>('ICRQ', 'OCRQ'),
      avpListArbitrary,
      version,
      version,
      policyArbitrary,
    ],
    {
      numRuns: 500,
    },
  )(
    'ICRQ/OCRQ: one more TSA ID than a valid stack, else ours alone',
    (message, avps, from, to, policy) => {
      const incoming = avps.filter((a) => a.vendorId === 0 && a.attributeType === 93);
      const valid = incoming.every(
        (a) =>
          !a.hidden &&
          a.value.length <= TSA_ID_MAX_OCTETS &&
          !(from === 2 && (a.reserved ?? 0) !== 0),
      );
      const out = relayAvps(message, avps, from, to, policy).filter(
        (a) => a.attributeType === 93 && a.vendorId === 0,
      );
      const own = policy.tsaId ?? new Uint8Array(0);
      expect(out.map((a) => a.value)).toEqual(
        valid ? [...incoming.map((a) => a.value), own] : [own],
      );
      for (const a of out) expect([a.mandatory, a.hidden]).toEqual([false, false]);
    },
  );

  test.prop([
    fc.constantFrom<SwitchedMessage>('ICCN', 'OCCN', 'CDN', 'WEN', 'SLI'),
    avpListArbitrary,
    version,
    version,
  ])('other messages: no TSA ID', (message, avps, from, to) => {
    expect(
      relayAvps(message, avps, from, to).some((a) => a.attributeType === 93 && a.vendorId === 0),
    ).toBe(false);
  });

  test.prop([avpListArbitrary, version, version], { numRuns: 500 })(
    'proxy groups: all present members or none',
    (avps, from, to) => {
      const out = relayAvps('ICCN', avps, from, to);
      for (const group of ['proxy-lcp', 'proxy-auth'] as const) {
        const members = (list: readonly RawAvp[]) =>
          list.filter(
            (a) => a.vendorId === 0 && avpSwitchRule(0, a.attributeType)?.group === group,
          );
        const sent = members(out).length;
        expect([0, members(avps).length]).toContain(sent);
      }
    },
  );
});

// ---------------------------------------------------------------------------------------------
// carriedResult (§3.1 "Result Code", §5)

describe('carriedResult', () => {
  it('passes the codes on unchanged without a switch to L2TPv2', () => {
    const codes = [
      { resultCode: CdnResult.UnsupportedPwType },
      { resultCode: 2, errorCode: GeneralError.TryAnotherDirected, message: '192.0.2.1' },
      { resultCode: CdnResult.LoopDetected, message: 'loop' },
      { resultCode: 3 },
    ];
    for (const [from, to] of [
      [2, 2],
      [3, 3],
      [2, 3],
    ] as const)
      for (const c of codes) expect(carriedResult(c, from, to)).toEqual(c);
  });

  it('keeps codes an L2TPv2 peer knows on a switch from L2TPv3', () => {
    for (const resultCode of [0, 1, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 26])
      expect(carriedResult({ resultCode }, 3, 2)).toEqual({ resultCode });
    for (const errorCode of [0, 1, 4, 7, 8, 10, 11, 12])
      expect(carriedResult({ resultCode: 2, errorCode, message: 'm' }, 3, 2)).toEqual({
        resultCode: 2,
        errorCode,
        message: 'm',
      });
  });

  it('translates L2TPv3-only codes to General Error 2/0, message kept', () => {
    for (const resultCode of [13, 14, 15, 16, 17, 20, 22, 25, 27, 29, 30, 31, 999])
      expect(carriedResult({ resultCode, message: 'why' }, 3, 2)).toEqual({
        resultCode: 2,
        errorCode: 0,
        message: 'why',
      });
    expect(carriedResult({ resultCode: 2, errorCode: 9, message: '192.0.2.1' }, 3, 2)).toEqual({
      resultCode: 2,
      errorCode: 0,
      message: '192.0.2.1',
    });
    expect(carriedResult({ resultCode: 14 }, 3, 2)).toEqual({ resultCode: 2, errorCode: 0 });
  });

  it('passes on the draft’s own codes (§5 next hop unreachable / busy, TSA busy)', () => {
    for (const errorCode of [10, 11, 12])
      for (const [from, to] of [
        [2, 3],
        [3, 2],
      ] as const)
        expect(carriedResult({ resultCode: 2, errorCode }, from, to)).toEqual({
          resultCode: 2,
          errorCode,
        });
  });

  it('leaves absent fields absent (exactOptionalPropertyTypes)', () => {
    const out = carriedResult({ resultCode: 1, errorCode: undefined, message: undefined }, 3, 2);
    expect(Object.keys(out)).toEqual(['resultCode']);
  });
});
