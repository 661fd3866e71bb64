/**
 * The AVP catalogue and the protocol constants: completeness of the table, M/H flags checked
 * against quoted RFC text, length bounds, lookups, and docs/avp-catalogue.md kept in sync.
 * Set L2TP_UPDATE_DOCS=1 to rewrite the doc from the table.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  AVP_CATALOGUE,
  type AvpInfo,
  decodeAvpValue,
  encodeAvpValue,
  LAST_IETF_AVP_TYPE,
  lookupAvp,
  mandatoryBitFor,
} from '../../src/avp/registry.js';
import { isValueKind, stringValue, VALUE_CODECS, type ValueKind } from '../../src/avp/values.js';
import {
  AvpType,
  avpTypeName,
  CdnResult,
  GeneralError,
  MessageType,
  messageTypeName,
  nameOf,
  PseudowireType,
  pseudowireTypeName,
  resultCodeName,
  StopCcnResult,
  VendorId,
  vendorIdName,
} from '../../src/constants.js';
import { DecodeError, UsageError } from '../../src/errors.js';

const ietfRows = AVP_CATALOGUE.filter((row) => row.vendorId === 0);

function info(vendorId: number, type: number): AvpInfo {
  const row = lookupAvp(vendorId, type);
  if (row === undefined) throw new Error(`no row for ${vendorId}/${type}`);
  return row;
}

describe('catalogue completeness', () => {
  it('has every IETF attribute type 0–101 exactly once, in order', () => {
    expect(ietfRows.map((row) => row.attributeType)).toEqual(
      Array.from({ length: 102 }, (_, i) => i),
    );
    expect(LAST_IETF_AVP_TYPE).toBe(101);
    for (let type = 0; type <= 101; type++) expect(info(0, type).attributeType).toBe(type);
  });

  it('has one row per (vendor, type) and unique names per vendor', () => {
    const keys = AVP_CATALOGUE.map((row) => `${row.vendorId}/${row.attributeType}`);
    expect(new Set(keys).size).toBe(keys.length);
    for (const vendor of new Set(AVP_CATALOGUE.map((row) => row.vendorId))) {
      const names = AVP_CATALOGUE.filter((row) => row.vendorId === vendor).map((row) => row.name);
      expect(new Set(names).size, `vendor ${vendor}`).toBe(names.length);
    }
  });

  it('agrees with the AvpType constants', () => {
    expect(Object.keys(AvpType)).toHaveLength(102);
    expect(new Set(Object.values(AvpType)).size).toBe(102);
    // Spot-check that the constant names and the table names describe the same attribute.
    expect(info(0, AvpType.HostName).name).toBe('Host Name');
    expect(info(0, AvpType.Q931CauseCode).name).toBe('Q.931 Cause Code');
    expect(info(0, AvpType.ControlMessageAuthenticationNonce).name).toBe(
      'Control Message Authentication Nonce',
    );
    expect(info(0, AvpType.TunnelSwitchingAggregatorId).name).toBe(
      'Tunnel Switching Aggregator ID',
    );
    expect(info(0, AvpType.PwSwitchingPoint).name).toBe('PW Switching Point');
  });

  it('marks only 20 as reserved', () => {
    expect(
      ietfRows.filter((row) => row.status === 'reserved').map((row) => row.attributeType),
    ).toEqual([20]);
    expect(info(0, 20).versions).toBe('none');
  });

  it('names a kind with a codec on every row', () => {
    for (const row of AVP_CATALOGUE) {
      expect(isValueKind(row.kind), row.name).toBe(true);
      expect(VALUE_CODECS[row.kind]).toBeDefined();
    }
  });

  it('has consistent length bounds, matching the size of fixed-size kinds', () => {
    const fixed: Partial<Record<ValueKind, number>> = {
      empty: 0,
      u8: 1,
      u16: 2,
      u32: 4,
      u64: 8,
      messageType: 2,
      protocolVersion: 2,
      bitset32: 4,
      callErrors: 26,
      accm: 10,
      proxyAuthenId: 2,
      circuitStatus: 2,
      l2SpecificSublayer: 2,
      dataSequencing: 2,
      failoverCapability: 6,
      tunnelRecovery: 10,
      suggestedControlSequence: 6,
      failoverSessionState: 10,
      atmAlarmStatus: 4,
    };
    for (const row of AVP_CATALOGUE) {
      expect(row.minLength, row.name).toBeGreaterThanOrEqual(0);
      expect(row.minLength, row.name).toBeLessThanOrEqual(row.maxLength);
      expect(row.maxLength, row.name).toBeLessThanOrEqual(1017);
      const size = fixed[row.kind];
      if (size !== undefined)
        expect([row.minLength, row.maxLength], row.name).toEqual([size, size]);
    }
  });

  it('looks up vendor AVPs and returns undefined for unknown pairs', () => {
    expect(info(VendorId.Cisco, 1).name).toBe('Assigned Connection ID');
    expect(info(VendorId.Cisco, 7).kind).toBe('u16');
    expect(info(VendorId.BroadbandForum, 1).name).toBe('Agent-Circuit-Id');
    expect(info(VendorId.BroadbandForum, 129).kind).toBe('u64');
    expect(info(VendorId.BroadbandForum, 145).kind).toBe('u32');
    expect(lookupAvp(0, 102)).toBeUndefined();
    expect(lookupAvp(0, -1)).toBeUndefined();
    expect(lookupAvp(VendorId.Cisco, 11)).toBeUndefined();
    expect(lookupAvp(VendorId.Ericsson, 0)).toBeUndefined();
    expect(lookupAvp(12345, 1)).toBeUndefined();
  });
});

describe('M and H bits against the RFC text', () => {
  const expectFlags = (type: number, v2: boolean, v3: boolean, hideable: boolean) => {
    const row = info(0, type);
    expect(row.mandatory).toEqual({ v2, v3 });
    expect(row.hideable).toBe(hideable);
  };

  it('RFC 2661 §4.4.1 Message Type: "The M-bit MUST be set to 1 … the H-bit MUST be 0"', () => {
    expectFlags(0, true, true, false);
  });
  it('RFC 2661 §4.4.1 Random Vector: "The M-bit for this AVP MUST be set to 1. This AVP MUST NOT be hidden"', () => {
    expectFlags(36, true, true, false);
  });
  it('RFC 2661 §4.4.3 Tie Breaker "M-bit … MUST be set to 0"; RFC 3931 §5.4.3 "SHOULD be set to 1"', () => {
    expectFlags(5, false, true, false);
    expect(mandatoryBitFor(info(0, 5), 2)).toBe(false);
    expect(mandatoryBitFor(info(0, 5), 3)).toBe(true);
  });
  it('RFC 2661 §4.4.3 Vendor Name: "may be hidden … The M-bit for this AVP MUST be set to 0"', () => {
    expectFlags(8, false, false, true);
  });
  it('RFC 2661 §4.4.3 Host Name: "MUST NOT be hidden … M-bit MUST be set to 1"', () => {
    expectFlags(7, true, true, false);
  });
  it('RFC 2661 §4.4.4 Call Serial Number M=1; RFC 3931 §5.4.4 Serial Number "SHOULD be set to 0"', () => {
    expectFlags(15, true, false, true);
    expect(info(0, 15).v3Name).toBe('Serial Number');
  });
  it('RFC 2661 §4.4.4 Sequencing Required: "MUST NOT be hidden … M-bit MUST be set to 1 … Length 6"', () => {
    expectFlags(39, true, true, false);
    expect([info(0, 39).minLength, info(0, 39).maxLength]).toEqual([0, 0]);
  });
  it('RFC 3931 §5.4.1 Message Digest: "MUST NOT be hidden … M bit SHOULD be set to 1"', () => {
    expectFlags(59, true, true, false);
  });
  it('RFC 3931 §5.4.3 Assigned Control Connection ID: "MAY be hidden … SHOULD be set to 1"', () => {
    expectFlags(61, true, true, true);
  });
  it('RFC 3931 §5.4.4 Tx Connect Speed: "MAY be hidden … SHOULD be set to 0 … Length 14"', () => {
    expectFlags(74, false, false, true);
    expect(info(0, 74).kind).toBe('u64');
  });
  it('RFC 3145 §2 PPP Disconnect Cause Code: "MUST NOT be marked Mandatory", "MAY be 1 if hidden"', () => {
    expectFlags(46, false, false, true);
  });
  it('RFC 4951 §5.2 Tunnel Recovery: "MUST not be hidden … mandatory (the M-bit is set to 1)"', () => {
    expectFlags(77, true, true, false);
  });
  it('tunnel-switching draft §4 TSA ID: "M-bit … MUST be set to 0", at most 64 octets', () => {
    expectFlags(93, false, false, true);
    expect(info(0, 93).maxLength).toBe(64);
  });
  it('unverified formats are raw, not mandatory and tolerate hiding', () => {
    for (const row of AVP_CATALOGUE.filter((r) => !r.formatKnown && r.status === 'assigned')) {
      expect(row.mandatory, row.name).toEqual({ v2: false, v3: false });
      expect(row.hideable, row.name).toBe(true);
    }
  });
});

describe('decodeAvpValue / encodeAvpValue', () => {
  it('decodes with the row kind', () => {
    expect(decodeAvpValue(info(0, 10), Uint8Array.of(0, 8))).toEqual({ kind: 'u16', value: 8 });
    const host = decodeAvpValue(info(0, 7), new TextEncoder().encode('lac1'));
    expect(host.kind === 'string' && host.value.text).toBe('lac1');
  });

  it('rejects lengths outside the row bounds with attribute type, vendor and offset', () => {
    const cases: Array<[number, number, number]> = [
      [0, 13, 15], // Challenge Response is 16 bytes (RFC 2661 §4.4.3, Length 22)
      [0, 7, 0], // Host Name "MUST be at least 1 octet"
      [0, 93, 65], // TSA ID at most 64 octets
      [VendorId.BroadbandForum, 1, 64], // Agent-Circuit-Id at most 63 octets
    ];
    for (const [vendorId, type, length] of cases) {
      let caught: unknown;
      try {
        decodeAvpValue(info(vendorId, type), new Uint8Array(length), 40);
      } catch (error) {
        caught = error;
      }
      expect(caught).toBeInstanceOf(DecodeError);
      expect(caught).toMatchObject({
        code: 'L2TP_ERR_BAD_AVP_VALUE',
        attributeType: type,
        vendorId,
        offset: 40,
      });
    }
  });

  it('passes codec errors through with the attribute type', () => {
    expect(() => decodeAvpValue(info(0, 65), new Uint8Array(5))).toThrow(
      expect.objectContaining({ code: 'L2TP_ERR_BAD_AVP_VALUE', attributeType: 65 }),
    );
  });

  it('encodes with the row kind and checks the result', () => {
    expect(encodeAvpValue(info(0, 9), { kind: 'u16', value: 0x1234 })).toEqual(
      Uint8Array.of(0x12, 0x34),
    );
    expect(() => encodeAvpValue(info(0, 9), { kind: 'u32', value: 1 })).toThrow(UsageError);
    expect(() =>
      encodeAvpValue(info(0, 93), { kind: 'string', value: stringValue('x'.repeat(65)) }),
    ).toThrow(UsageError);
  });
});

describe('constants', () => {
  it('names message types as in the RFCs, with UNKNOWN(n) fallback', () => {
    expect(messageTypeName(1)).toBe('SCCRQ');
    expect(messageTypeName(4)).toBe('StopCCN');
    expect(messageTypeName(6)).toBe('HELLO');
    expect(messageTypeName(20)).toBe('ACK');
    expect(messageTypeName(29)).toBe('CSURQ');
    expect(messageTypeName(13)).toBe('RESERVED_13');
    expect(messageTypeName(30)).toBe('UNKNOWN(30)');
    expect(Object.values(MessageType)).toEqual(Array.from({ length: 30 }, (_, i) => i));
  });

  it('names result codes per message, error codes, PW types and vendors', () => {
    expect(resultCodeName('StopCCN', 5)).toBe('UnsupportedVersion');
    expect(resultCodeName('CDN', 26)).toBe('LoopDetected');
    expect(resultCodeName('CDN', 29)).toBe('UNKNOWN(29)');
    expect(nameOf(GeneralError, 8)).toBe('UnknownMandatoryAvp');
    expect(pseudowireTypeName(0x0005)).toBe('Ethernet');
    expect(pseudowireTypeName(0x0008)).toBe('UNKNOWN(8)');
    expect(vendorIdName(3561)).toBe('BroadbandForum');
    expect(avpTypeName(73)).toBe('ControlMessageAuthenticationNonce');
    expect(StopCcnResult.GeneralError).toBe(CdnResult.GeneralError);
    expect(PseudowireType.EthernetVlan).toBe(4);
  });
});

// ---- docs/avp-catalogue.md --------------------------------------------------------------------

const DOC_PATH = new URL('../../docs/avp-catalogue.md', import.meta.url);

function renderCatalogue(): string {
  const vendorNames: Record<number, string> = { 0: 'IETF', 9: 'Cisco', 3561: 'Broadband Forum' };
  const bit = (b: boolean) => (b ? '1' : '0');
  const lines = [
    '# AVP catalogue',
    '',
    '<!-- Generated from src/avp/registry.ts by test/avp/registry.test.ts; do not edit by hand.',
    '     Rewrite with: L2TP_UPDATE_DOCS=1 npx vitest run test/avp/registry.test.ts, then biome --write. -->',
    '',
    'Every IETF attribute type 0–101 and the vendor AVPs l2tp-core knows. _M sent_ is the M bit',
    'l2tp-core sets when sending (v2 / v3 when they differ). _Length_ is the value length in bytes',
    'before hiding (1017 = only the 10-bit AVP Length limits it). A kind marked (raw) means only',
    'the number and name are verified (IANA registry via Wireshark): the value is kept as octets',
    '(or read at the size other texts imply), M=0 is sent and hiding is tolerated.',
    '',
    '| Vendor | Type | Name | Kind | Versions | M sent | Hideable | Length | Reference |',
    '| --- | ---: | --- | --- | --- | --- | --- | --- | --- |',
  ];
  for (const row of AVP_CATALOGUE) {
    const name = row.v3Name === undefined ? row.name : `${row.name} (v3: ${row.v3Name})`;
    const m =
      row.mandatory.v2 === row.mandatory.v3
        ? bit(row.mandatory.v2)
        : `${bit(row.mandatory.v2)} / ${bit(row.mandatory.v3)}`;
    const length =
      row.minLength === row.maxLength ? `${row.minLength}` : `${row.minLength}–${row.maxLength}`;
    const kind = row.formatKnown ? `\`${row.kind}\`` : `\`${row.kind}\` (raw)`;
    const vendor = vendorNames[row.vendorId] ?? String(row.vendorId);
    lines.push(
      `| ${vendor} | ${row.attributeType} | ${name} | ${kind} | ${row.versions} | ${m} | ${row.hideable ? 'yes' : 'no'} | ${length} | ${row.reference} |`,
    );
  }
  return `${lines.join('\n')}\n`;
}

// The formatter pads table columns; compare cell by cell so padding does not matter.
function normalizeMarkdown(markdown: string): string {
  return markdown
    .split('\n')
    .map((line) =>
      line.startsWith('|')
        ? line
            .split('|')
            .map((cell) => cell.trim().replace(/^-+(:?)$/, '---$1'))
            .join('|')
        : line,
    )
    .join('\n');
}

describe('docs/avp-catalogue.md', () => {
  it('is in sync with the table', () => {
    const rendered = renderCatalogue();
    if (process.env.L2TP_UPDATE_DOCS === '1') writeFileSync(DOC_PATH, rendered);
    expect(normalizeMarkdown(readFileSync(DOC_PATH, 'utf8'))).toBe(normalizeMarkdown(rendered));
  });
});
