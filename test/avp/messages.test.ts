/**
 * The typed message level (src/avp/messages.ts): FIELD_KINDS against the catalogue, MESSAGE_SPEC
 * against the RFC lists (RFC 2661 §6, RFC 3931 §6), the typed round trip for every message type,
 * and the validation rules of RFC 2661 §4.2, §4.3, §4.4.1 as typed ProtocolErrors.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import { messageTypesOf, typedMessageArbitrary } from '../../src/arbitraries/index.js';
import { deriveV3HidingKey, padHiddenValuesTo, unhideAvps } from '../../src/avp/hidden.js';
import {
  type ControlMessage,
  FIELD_ATTRIBUTE_TYPE,
  FIELD_KINDS,
  type FieldName,
  fromTyped,
  type KnownMessageName,
  MESSAGE_SPEC,
  toTyped,
} from '../../src/avp/messages.js';
import { decodeAvps, encodeAvps, type RawAvp } from '../../src/avp/raw.js';
import { AVP_CATALOGUE, lookupAvp } from '../../src/avp/registry.js';
import { stringValue } from '../../src/avp/values.js';
import { AvpType, GeneralError, type L2tpVersion, MessageType } from '../../src/constants.js';
import { L2tpError, ProtocolError, UsageError } from '../../src/errors.js';
import { nodeCrypto } from '../../src/node/crypto.js';
import { hex } from '../helpers/hex.js';

/** Structural form for comparisons: Uint8Array views become hex strings (content, not offset). */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return `bytes:${Buffer.from(value).toString('hex')}`;
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

/** Wire round trip of a raw AVP list: encode, then decode from the bytes. */
function viaWire(avps: readonly RawAvp[]): RawAvp[] {
  return decodeAvps(encodeAvps(avps));
}

function specOf(name: KnownMessageName, version: L2tpVersion) {
  return MESSAGE_SPEC[name][version === 2 ? 'v2' : 'v3'];
}

function caught(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

const SESSION_MESSAGES = ['ICRQ', 'ICRP', 'ICCN', 'OCRQ', 'OCRP', 'OCCN', 'CDN', 'WEN', 'SLI'];
const TUNNEL_MESSAGES = ['SCCRQ', 'SCCRP', 'SCCCN', 'StopCCN', 'HELLO', 'ACK'];

/** RFC 2661 §4.2 for the core messages; the extension rows (RFC 3573, 3817, 4045…) say their own. */
function expectedScope(type: string): 'tunnel' | 'session' {
  if (SESSION_MESSAGES.includes(type)) return 'session';
  if (TUNNEL_MESSAGES.includes(type)) return 'tunnel';
  return MESSAGE_SPEC[type as KnownMessageName].scope;
}
const FIELDS = Object.keys(FIELD_KINDS) as FieldName[];
const VERSIONS = [2, 3] as const;

const mt = (type: number, mandatory = true): RawAvp => ({
  mandatory,
  hidden: false,
  vendorId: 0,
  attributeType: 0,
  value: Uint8Array.of(type >> 8, type & 0xff),
});

describe('FIELD_KINDS and the AVP catalogue', () => {
  it('gives every field the value kind of its catalogue row', () => {
    const mismatches = FIELDS.filter(
      (f) => lookupAvp(0, FIELD_ATTRIBUTE_TYPE[f])?.kind !== FIELD_KINDS[f],
    ).map((f) => `${f}: ${FIELD_KINDS[f]} vs ${lookupAvp(0, FIELD_ATTRIBUTE_TYPE[f])?.kind}`);
    expect(mismatches).toEqual([]);
  });

  it('has exactly one field per assigned IETF attribute type 1–101', () => {
    const assigned = AVP_CATALOGUE.filter(
      (r) => r.vendorId === 0 && r.status === 'assigned' && r.attributeType !== AvpType.MessageType,
    ).map((r) => r.attributeType);
    const types = FIELDS.map((f) => FIELD_ATTRIBUTE_TYPE[f]).sort((a, b) => a - b);
    expect(types).toEqual(assigned);
    expect(new Set(types).size).toBe(FIELDS.length);
    expect(types).not.toContain(20); // RFC 2661 §4.4: 20 is reserved
  });

  it('names each field after its AvpType constant', () => {
    expect(FIELD_ATTRIBUTE_TYPE.hostName).toBe(AvpType.HostName);
    expect(FIELD_ATTRIBUTE_TYPE.assignedControlConnectionId).toBe(61);
    expect(FIELD_ATTRIBUTE_TYPE.pwSwitchingPoint).toBe(101);
  });

  it.each(VERSIONS)(
    'lists only decodable fields of the right version in MESSAGE_SPEC (v%i)',
    (version) => {
      const bad: string[] = [];
      for (const name of messageTypesOf(version)) {
        const spec = specOf(name, version);
        for (const f of [...(spec?.required ?? []), ...(spec?.optional ?? [])]) {
          const info = lookupAvp(0, FIELD_ATTRIBUTE_TYPE[f]);
          const tag = version === 2 ? 'v2' : 'v3';
          if (!info?.formatKnown || (info.versions !== 'both' && info.versions !== tag)) {
            bad.push(`${name}.${f}`);
          }
        }
      }
      expect(bad).toEqual([]);
    },
  );
});

describe('MESSAGE_SPEC follows the RFC lists', () => {
  const expectSpec = (
    name: KnownMessageName,
    version: L2tpVersion,
    required: FieldName[],
    optional?: FieldName[],
  ) => {
    const spec = specOf(name, version);
    expect(spec).not.toBeNull();
    expect([...(spec?.required ?? [])].sort()).toEqual([...required].sort());
    if (optional) expect([...(spec?.optional ?? [])].sort()).toEqual([...optional].sort());
  };

  it('RFC 2661 §6.1 SCCRQ requires Protocol Version, Host Name, Framing Capabilities, Assigned Tunnel ID', () => {
    expectSpec(
      'SCCRQ',
      2,
      ['protocolVersion', 'hostName', 'framingCapabilities', 'assignedTunnelId'],
      [
        'bearerCapabilities',
        'receiveWindowSize',
        'challenge',
        'tieBreaker',
        'firmwareRevision',
        'vendorName',
      ],
    );
  });

  it('RFC 2661 §6.2 SCCRP may carry a Challenge Response', () => {
    expect(specOf('SCCRP', 2)?.optional).toContain('challengeResponse');
  });

  it('RFC 2661 §6.4 StopCCN requires Assigned Tunnel ID and Result Code', () => {
    expectSpec('StopCCN', 2, ['assignedTunnelId', 'resultCode'], []);
  });

  it('RFC 2661 §6.5 HELLO carries the Message Type only', () => {
    expectSpec('HELLO', 2, [], []);
  });

  it('RFC 2661 §6.6 ICRQ requires Assigned Session ID and Call Serial Number', () => {
    expectSpec(
      'ICRQ',
      2,
      ['assignedSessionId', 'callSerialNumber'],
      ['bearerType', 'physicalChannelId', 'callingNumber', 'calledNumber', 'subAddress'],
    );
  });

  it('RFC 2661 §6.8 ICCN requires (Tx) Connect Speed and Framing Type, proxy AVPs optional', () => {
    expectSpec('ICCN', 2, ['txConnectSpeed', 'framingType']);
    expect(specOf('ICCN', 2)?.optional).toEqual(
      expect.arrayContaining(['proxyAuthenType', 'proxyAuthenResponse', 'sequencingRequired']),
    );
  });

  it('RFC 2661 §6.9 OCRQ requires seven AVPs besides the Message Type', () => {
    expectSpec(
      'OCRQ',
      2,
      [
        'assignedSessionId',
        'callSerialNumber',
        'minimumBps',
        'maximumBps',
        'bearerType',
        'framingType',
        'calledNumber',
      ],
      ['subAddress'],
    );
  });

  it('RFC 2661 §6.12 CDN requires Result Code and Assigned Session ID, Q.931 Cause Code optional', () => {
    expectSpec('CDN', 2, ['resultCode', 'assignedSessionId']);
    expect(specOf('CDN', 2)?.optional).toContain('q931CauseCode');
  });

  it('RFC 2661 §6.13 WEN requires Call Errors; §6.14 SLI requires ACCM', () => {
    expectSpec('WEN', 2, ['callErrors'], []);
    expectSpec('SLI', 2, ['accm'], []);
  });

  it('RFC 3931 §6.1 SCCRQ requires Host Name, Router ID, Assigned Control Connection ID, Pseudowire Capabilities List', () => {
    expectSpec(
      'SCCRQ',
      3,
      ['hostName', 'routerId', 'assignedControlConnectionId', 'pseudowireCapabilitiesList'],
      [
        'randomVector',
        'controlMessageAuthenticationNonce',
        'messageDigest',
        'tieBreaker',
        'vendorName',
        'receiveWindowSize',
        'preferredLanguage',
      ],
    );
  });

  it('RFC 3931 §6.4 StopCCN requires Result Code only', () => {
    expectSpec(
      'StopCCN',
      3,
      ['resultCode'],
      ['randomVector', 'messageDigest', 'assignedControlConnectionId'],
    );
  });

  it('RFC 3931 §6.6 ICRQ requires Local/Remote Session ID, Serial Number, Pseudowire Type, Remote End ID, Circuit Status', () => {
    expectSpec('ICRQ', 3, [
      'localSessionId',
      'remoteSessionId',
      'callSerialNumber',
      'pseudowireType',
      'remoteEndId',
      'circuitStatus',
    ]);
  });

  it('RFC 3931 §6.12 CDN requires Result Code, Local and Remote Session ID', () => {
    expectSpec(
      'CDN',
      3,
      ['resultCode', 'localSessionId', 'remoteSessionId'],
      ['randomVector', 'messageDigest'],
    );
  });

  it('RFC 3931 §6.13 WEN requires Circuit Errors; §6.14 SLI requires the session ids', () => {
    expectSpec('WEN', 3, ['localSessionId', 'remoteSessionId', 'callErrors']);
    expectSpec(
      'SLI',
      3,
      ['localSessionId', 'remoteSessionId'],
      ['randomVector', 'messageDigest', 'circuitStatus'],
    );
  });

  it('RFC 3931 §6.15 ACK exists in L2TPv3 only', () => {
    expect(specOf('ACK', 2)).toBeNull();
    expectSpec('ACK', 3, [], ['randomVector', 'messageDigest']);
  });

  it('RFC 2661 §4.2: session messages are answered with CDN, the others with StopCCN', () => {
    const sessionScoped = (Object.keys(MESSAGE_SPEC) as KnownMessageName[]).filter(
      (n) => MESSAGE_SPEC[n].scope === 'session',
    );
    expect(sessionScoped).toEqual(expect.arrayContaining(SESSION_MESSAGES));
    for (const n of TUNNEL_MESSAGES)
      expect(MESSAGE_SPEC[n as KnownMessageName].scope).toBe('tunnel');
  });
});

describe('typed round trip: toTyped(decode(encode(fromTyped(m)))) equals m', () => {
  for (const version of VERSIONS) {
    test.prop([typedMessageArbitrary({ version })], { numRuns: 250 })(
      `every L2TPv${version} message type`,
      (m) => {
        expect(plain(toTyped(viaWire(fromTyped(m)), version))).toEqual(plain(m));
      },
    );
  }

  it('puts the Message Type first with M=1 and sends catalogue M bits', () => {
    const avps = fromTyped({
      type: 'SCCRQ',
      version: 2,
      protocolVersion: { version: 1, revision: 0 },
      hostName: { bytes: Uint8Array.of(0x61), text: 'a' },
      framingCapabilities: 3,
      assignedTunnelId: 1,
      firmwareRevision: 0x0690,
    });
    expect(avps[0]).toMatchObject({ attributeType: 0, mandatory: true });
    expect(avps.find((a) => a.attributeType === AvpType.FirmwareRevision)?.mandatory).toBe(false);
    expect(avps.find((a) => a.attributeType === AvpType.HostName)?.mandatory).toBe(true);
  });

  it('gives [] for a ZLB and back a ZLB for []', () => {
    expect(fromTyped({ type: 'ZLB', version: 3 })).toEqual([]);
    expect(toTyped([], 2)).toEqual({ type: 'ZLB', version: 2 });
  });
});

// Catalogue rows with a verified number but no known layout: kept as bytes when M=0, and
// unrecognised (so a teardown) when M=1.
const OPAQUE_ROWS = AVP_CATALOGUE.filter((r) => r.vendorId === 0 && !r.formatKnown);

// Unknown AVPs that must be skipped: unassigned IETF types and vendor AVPs.
const unknownId = fc.oneof(
  fc.record({
    vendorId: fc.constant(0),
    attributeType: fc.integer({ min: 102, max: 0xffff }),
  }),
  fc.record({
    vendorId: fc.constantFrom(9, 193, 3561, 4491),
    attributeType: fc.integer({ min: 0, max: 0xffff }),
  }),
);
const ignorableAvp: fc.Arbitrary<RawAvp> = fc
  .tuple(unknownId, fc.uint8Array({ maxLength: 12 }))
  .map(([id, value]) => ({ mandatory: false, hidden: false, ...id, value }));
// What an implementation cannot honour with M=1: the above plus the opaque rows.
const unrecognisedAvp: fc.Arbitrary<RawAvp> = fc
  .tuple(
    fc.oneof(
      unknownId,
      fc.constantFrom(...OPAQUE_ROWS).map((r) => ({ vendorId: 0, attributeType: r.attributeType })),
    ),
    fc.uint8Array({ maxLength: 12 }),
  )
  .map(([id, value]) => ({ mandatory: false, hidden: false, ...id, value }));

const anyTyped = fc
  .constantFrom(...VERSIONS)
  .chain((version) => typedMessageArbitrary({ version, maxGenerated: 16 }));

describe('unknown AVPs (RFC 2661 §4.2, RFC 3931 §5.2)', () => {
  test.prop(
    [anyTyped, fc.array(fc.tuple(fc.nat(), ignorableAvp), { minLength: 1, maxLength: 5 })],
    {
      numRuns: 300,
    },
  )('unknown AVPs with M=0 anywhere after the Message Type never change the result', (m, extra) => {
    const avps = fromTyped(m);
    for (const [n, avp] of extra) avps.splice(1 + (n % avps.length), 0, avp);
    expect(plain(toTyped(viaWire(avps), m.version))).toEqual(plain(m));
  });

  test.prop([anyTyped, unrecognisedAvp, fc.nat()], { numRuns: 300 })(
    'an unknown AVP with M=1 is a ProtocolError: Result Code 2, Error Code 8, CDN or StopCCN scope',
    (m, avp, n) => {
      const avps = fromTyped(m);
      avps.splice(1 + (n % avps.length), 0, { ...avp, mandatory: true });
      const err = caught(() => toTyped(viaWire(avps), m.version));
      expect(err).toBeInstanceOf(ProtocolError);
      expect(err).toMatchObject({
        code: 'L2TP_ERR_UNKNOWN_MANDATORY_AVP',
        resultCode: 2,
        errorCode: GeneralError.UnknownMandatoryAvp,
        scope: expectedScope(m.type),
        attributeType: avp.attributeType,
        vendorId: avp.vendorId,
      });
    },
  );

  it('accepts unknown mandatory AVPs when asked to tolerate them', () => {
    const avps: RawAvp[] = [
      mt(MessageType.HELLO),
      { mandatory: true, hidden: false, vendorId: 0, attributeType: 500, value: hex`01` },
    ];
    expect(toTyped(avps, 2, { acceptUnknownMandatoryAvps: true })).toEqual({
      type: 'HELLO',
      version: 2,
    });
  });
});

// Typed messages that have at least one required field.
const withRequired = fc
  .constantFrom(
    ...VERSIONS.flatMap((version) =>
      messageTypesOf(version)
        .filter((n) => (specOf(n, version)?.required.length ?? 0) > 0)
        .map((name) => [version, name] as const),
    ),
  )
  .chain(([version, name]) =>
    fc.tuple(typedMessageArbitrary({ version, types: [name], maxGenerated: 16 }), fc.nat()),
  );

describe('validation (RFC 2661 §4.4.1, §6; RFC 3931 §6)', () => {
  test.prop([withRequired], { numRuns: 200 })(
    'a missing required AVP is L2TP_ERR_MISSING_AVP naming its attribute type',
    ([m, n]) => {
      const spec = specOf(m.type as KnownMessageName, m.version);
      const required = spec?.required ?? [];
      const missing = required[n % required.length] as FieldName;
      const type = FIELD_ATTRIBUTE_TYPE[missing];
      const avps = fromTyped(m).filter((a) => a.attributeType !== type);
      const err = caught(() => toTyped(viaWire(avps), m.version));
      expect(err).toBeInstanceOf(ProtocolError);
      expect(err).toMatchObject({ code: 'L2TP_ERR_MISSING_AVP', attributeType: type });
    },
  );

  test.prop([anyTyped, ignorableAvp], { numRuns: 100 })(
    'a Message Type that is not first is L2TP_ERR_MISSING_MESSAGE_TYPE',
    (m, avp) => {
      const avps = [avp, ...fromTyped(m)];
      const err = caught(() => toTyped(viaWire(avps), m.version));
      expect(err).toBeInstanceOf(ProtocolError);
      expect(err).toMatchObject({ code: 'L2TP_ERR_MISSING_MESSAGE_TYPE', scope: 'tunnel' });
    },
  );

  it('a message without a Message Type AVP is L2TP_ERR_MISSING_MESSAGE_TYPE', () => {
    const avps = decodeAvps(hex`80 08 00 00 00 09 00 01  // Assigned Tunnel ID 1`);
    expect(() => toTyped(avps, 2)).toThrow(
      expect.objectContaining({ code: 'L2TP_ERR_MISSING_MESSAGE_TYPE' }),
    );
  });

  const unknownTypes = [0, 5, 13, 30, 31, 255, 0x8000, 0xffff];
  it.each(unknownTypes)(
    'RFC 2661 §4.4.1: unknown Message Type %i with M=1 is answered with StopCCN',
    (type) => {
      for (const version of VERSIONS) {
        const err = caught(() => toTyped([mt(type)], version));
        expect(err).toBeInstanceOf(ProtocolError);
        expect(err).toMatchObject({
          code: 'L2TP_ERR_UNKNOWN_MESSAGE_TYPE',
          scope: 'tunnel',
          resultCode: 2,
          errorCode: GeneralError.OutOfRange,
        });
      }
    },
  );

  it.each(unknownTypes)('unknown Message Type %i with M=0 is ignored as UNKNOWN', (type) => {
    expect(toTyped([mt(type, false)], 3)).toEqual({
      type: 'UNKNOWN',
      version: 3,
      messageType: type,
    });
  });

  it('RFC 3931 ACK (20) is an unknown Message Type in L2TPv2', () => {
    expect(toTyped([mt(MessageType.ACK, false)], 2)).toMatchObject({ type: 'UNKNOWN' });
    expect(() => toTyped([mt(MessageType.ACK)], 2)).toThrow(ProtocolError);
    expect(toTyped([mt(MessageType.ACK)], 3)).toEqual({ type: 'ACK', version: 3 });
  });

  it('a hidden or malformed Message Type AVP is L2TP_ERR_INVALID_AVP', () => {
    expect(() => toTyped([{ ...mt(1), hidden: true }], 2)).toThrow(
      expect.objectContaining({ code: 'L2TP_ERR_INVALID_AVP', attributeType: 0 }),
    );
    expect(() => toTyped([{ ...mt(1), value: Uint8Array.of(1) }], 2)).toThrow(
      expect.objectContaining({ code: 'L2TP_ERR_INVALID_AVP' }),
    );
  });

  // Zero identifiers: RFC 2661 §4.4.3 / §4.4.4, RFC 3931 §5.4.3 / §5.4.4.
  const zeroCases: [string, L2tpVersion, Uint8Array, number, 'tunnel' | 'session'][] = [
    [
      'SCCRQ Assigned Tunnel ID',
      2,
      hex`80 08 0000 0000 0001        // Message Type SCCRQ
          80 08 0000 0002 0100        // Protocol Version 1.0
          80 07 0000 0007 61          // Host Name "a"
          80 0a 0000 0003 00000001    // Framing Capabilities
          80 08 0000 0009 0000        // Assigned Tunnel ID 0`,
      AvpType.AssignedTunnelId,
      'tunnel',
    ],
    [
      'ICRQ Assigned Session ID',
      2,
      hex`80 08 0000 0000 000a        // Message Type ICRQ
          80 08 0000 000e 0000        // Assigned Session ID 0
          80 0a 0000 000f 00000001    // Call Serial Number 1`,
      AvpType.AssignedSessionId,
      'session',
    ],
    [
      'SCCRQ Assigned Control Connection ID',
      3,
      hex`80 08 0000 0000 0001        // Message Type SCCRQ
          80 07 0000 0007 61          // Host Name "a"
          80 0a 0000 003c 0a000001    // Router ID
          80 0a 0000 003d 00000000    // Assigned Control Connection ID 0
          80 08 0000 003e 0005        // Pseudowire Capabilities List: Ethernet`,
      AvpType.AssignedControlConnectionId,
      'tunnel',
    ],
    [
      'ICCN Local Session ID',
      3,
      hex`80 08 0000 0000 000c        // Message Type ICCN
          80 0a 0000 003f 00000000    // Local Session ID 0
          80 0a 0000 0040 00000007    // Remote Session ID 7`,
      AvpType.LocalSessionId,
      'session',
    ],
  ];
  it.each(zeroCases)(
    'a zero %s (L2TPv%i) is L2TP_ERR_INVALID_AVP',
    (_, version, body, type, scope) => {
      const err = caught(() => toTyped(decodeAvps(body), version));
      expect(err).toBeInstanceOf(ProtocolError);
      expect(err).toMatchObject({ code: 'L2TP_ERR_INVALID_AVP', attributeType: type, scope });
    },
  );

  it('StopCCN may name tunnel 0 and CDN session 0 (answers before anything was assigned)', () => {
    const stop = hex`80 08 0000 0000 0004  80 08 0000 0009 0000  80 0a 0000 0001 0002 0006`;
    expect(toTyped(decodeAvps(stop), 2)).toMatchObject({ type: 'StopCCN', assignedTunnelId: 0 });
    const cdn = hex`80 08 0000 0000 000e  80 0a 0000 0001 0002 0006  80 08 0000 000e 0000`;
    expect(toTyped(decodeAvps(cdn), 2)).toMatchObject({ type: 'CDN', assignedSessionId: 0 });
  });

  it('a malformed required value is L2TP_ERR_INVALID_AVP (Error Code 2, bad length)', () => {
    const body = hex`80 08 0000 0000 000a  80 09 0000 000e 000001  80 0a 0000 000f 00000001`;
    const err = caught(() => toTyped(decodeAvps(body), 2));
    expect(err).toMatchObject({
      code: 'L2TP_ERR_INVALID_AVP',
      attributeType: AvpType.AssignedSessionId,
      scope: 'session',
      errorCode: GeneralError.BadLength,
    });
  });

  it('a malformed optional M=0 value is skipped', () => {
    const body = hex`80 08 0000 0000 0006  00 07 0000 0006 06  // Firmware Revision of 1 byte, M=0`;
    expect(toTyped(decodeAvps(body), 2)).toEqual({ type: 'HELLO', version: 2 });
  });
});

describe('Result Code without Error Code (MikroTik, Android)', () => {
  it('accepts a 2-byte Result Code in an L2TPv2 StopCCN', () => {
    const body = hex`80 08 0000 0000 0004  // Message Type StopCCN
                     80 08 0000 0009 0001  // Assigned Tunnel ID 1
                     80 08 0000 0001 0001  // Result Code 1, no Error Code`;
    const m = toTyped(decodeAvps(body), 2);
    expect(m).toEqual({
      type: 'StopCCN',
      version: 2,
      assignedTunnelId: 1,
      resultCode: { resultCode: 1 },
    });
    expect(encodeAvps(fromTyped(m))).toEqual(body);
  });

  it('accepts a 2-byte Result Code in L2TPv2 and L2TPv3 CDNs', () => {
    const v2 = hex`80 08 0000 0000 000e  80 08 0000 0001 0003  80 08 0000 000e 0042`;
    expect(toTyped(decodeAvps(v2), 2)).toMatchObject({
      type: 'CDN',
      resultCode: { resultCode: 3 },
      assignedSessionId: 0x42,
    });
    const v3 = hex`80 08 0000 0000 000e  80 08 0000 0001 0001
                   80 0a 0000 003f 00000001  80 0a 0000 0040 00000002`;
    const m = toTyped(decodeAvps(v3), 3);
    expect(m).toMatchObject({ type: 'CDN', resultCode: { resultCode: 1 } });
    expect(m).not.toHaveProperty('resultCode.errorCode');
  });

  it('rejects a 3-byte Result Code (half an Error Code)', () => {
    const body = hex`80 08 0000 0000 0004  80 08 0000 0009 0001  80 09 0000 0001 000100`;
    expect(() => toTyped(decodeAvps(body), 2)).toThrow(
      expect.objectContaining({ code: 'L2TP_ERR_INVALID_AVP', attributeType: 1 }),
    );
  });
});

const SECRET = Uint8Array.from(Buffer.from('s3cret'));

// Typed messages with the hideable fields they carry (Random Vector left out: fromTyped adds it).
const hideableSample = fc
  .constantFrom(...VERSIONS)
  .chain((version) => typedMessageArbitrary({ version, maxGenerated: 40 }))
  .map((m) => {
    const { randomVector: _, ...rest } = m as ControlMessage & { randomVector?: Uint8Array };
    return rest as ControlMessage;
  })
  .chain((m) => {
    const hideable = FIELDS.filter(
      (f) => f in m && lookupAvp(0, FIELD_ATTRIBUTE_TYPE[f])?.hideable === true,
    );
    return fc.tuple(
      fc.constant(m),
      fc.subarray(hideable, { minLength: Math.min(1, hideable.length) }),
      fc.uint8Array({ minLength: 1, maxLength: 32 }),
      fc.option(fc.uint8Array({ minLength: 1, maxLength: 20 }), { nil: undefined }),
    );
  });

describe('hidden AVPs (RFC 2661 §4.3, RFC 3931 §5.3)', () => {
  test.prop([hideableSample], { numRuns: 200 })(
    'round trip with the secret, v2 and v3 keys, with padding',
    ([m, hide, rv, pad]) => {
      const avps = fromTyped(m, {
        hide,
        secret: SECRET,
        randomVector: rv,
        crypto: nodeCrypto,
        ...(pad === undefined ? {} : { padding: () => pad }),
      });
      expect(avps.filter((a) => a.hidden).length).toBe(hide.length);
      const back = toTyped(viaWire(avps), m.version, { secret: SECRET, crypto: nodeCrypto });
      const expected = hide.length === 0 ? m : { ...m, randomVector: rv };
      expect(plain(back)).toEqual(plain(expected));
    },
  );

  it('padHiddenValuesTo: every hidden value at least the minimum, plaintext unchanged', () => {
    const m: ControlMessage = {
      type: 'ICRQ',
      version: 2,
      assignedSessionId: 7, // 2 octets: hidden 2 + 2, padded by 4 to 8
      callSerialNumber: 1, // 4 octets: 2 + 4, padded by 2
      calledNumber: stringValue(Uint8Array.from(Buffer.from('0123456789'))), // 12 ≥ 8: none
    };
    const seen: [number, number][] = [];
    let drawn = 0;
    const pad = padHiddenValuesTo(8, (n) => {
      drawn += n;
      return new Uint8Array(n + 3).fill(0xee); // more than asked: only n are used
    });
    const avps = fromTyped(m, {
      hide: ['assignedSessionId', 'callSerialNumber', 'calledNumber'],
      secret: SECRET,
      randomVector: hex`00112233445566778899aabbccddeeff`,
      crypto: nodeCrypto,
      padding: (type, length) => {
        seen.push([type, length]);
        return pad(type, length);
      },
    });
    // The padding function learns each value's plaintext length.
    expect(seen).toEqual([
      [14, 2],
      [15, 4],
      [21, 10],
    ]);
    expect(drawn).toBe(6);
    const lengths = avps.filter((a) => a.hidden).map((a) => [a.attributeType, a.value.length]);
    expect(lengths).toEqual([
      [14, 8],
      [15, 8],
      [21, 12],
    ]);
    const back = toTyped(viaWire(avps), 2, { secret: SECRET, crypto: nodeCrypto });
    expect(back).toMatchObject({ assignedSessionId: 7, callSerialNumber: 1 });
    expect(padHiddenValuesTo(0, () => new Uint8Array(0))(14, 2)).toBeUndefined();
    for (const bad of [-1, 1018, 2.5, Number.NaN]) {
      expect(() => padHiddenValuesTo(bad, () => new Uint8Array(0))).toThrow(UsageError);
    }
  });

  it('hides L2TPv3 values with HMAC_MD5(secret, 1), not the secret itself', () => {
    const m: ControlMessage = {
      type: 'ICCN',
      version: 3,
      localSessionId: 0x01020304,
      remoteSessionId: 9,
    };
    const rv = Uint8Array.of(1, 2, 3, 4);
    const avps = fromTyped(m, {
      hide: ['localSessionId'],
      secret: SECRET,
      randomVector: rv,
      crypto: nodeCrypto,
    });
    const v3Key = unhideAvps(avps, deriveV3HidingKey(SECRET, nodeCrypto), nodeCrypto);
    expect(v3Key.find((a) => a.attributeType === 63)?.value).toEqual(hex`01020304`);
    let withSecret: Uint8Array | undefined;
    try {
      withSecret = unhideAvps(avps, SECRET, nodeCrypto).find((a) => a.attributeType === 63)?.value;
    } catch (err) {
      expect(err).toBeInstanceOf(L2tpError);
    }
    expect(withSecret).not.toEqual(hex`01020304`);
  });

  const hiddenIcrq = (version: L2tpVersion) =>
    fromTyped(
      version === 2
        ? { type: 'ICRQ', version: 2, assignedSessionId: 5, callSerialNumber: 1 }
        : {
            type: 'ICRQ',
            version: 3,
            localSessionId: 5,
            remoteSessionId: 0,
            callSerialNumber: 1,
            pseudowireType: 5,
            remoteEndId: Uint8Array.of(1),
            circuitStatus: {
              active: true,
              new: false,
              acRxFault: false,
              acTxFault: false,
              pwRxFault: false,
              pwTxFault: false,
              standby: false,
              reserved: 0,
            },
          },
      {
        hide: ['callSerialNumber'],
        secret: SECRET,
        randomVector: Uint8Array.of(9, 9, 9, 9),
        crypto: nodeCrypto,
      },
    );

  it.each(VERSIONS)('a hidden AVP without a secret is a ProtocolError (v%i)', (version) => {
    const err = caught(() => toTyped(viaWire(hiddenIcrq(version)), version));
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err).toMatchObject({
      code: 'L2TP_ERR_HIDDEN_NO_SECRET',
      scope: 'session',
      attributeType: AvpType.CallSerialNumber,
    });
  });

  it.each(VERSIONS)('a hidden AVP without a Random Vector is a ProtocolError (v%i)', (version) => {
    const avps = hiddenIcrq(version).filter((a) => a.attributeType !== AvpType.RandomVector);
    const err = caught(() =>
      toTyped(viaWire(avps), version, { secret: SECRET, crypto: nodeCrypto }),
    );
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err).toMatchObject({ code: 'L2TP_ERR_HIDDEN_NO_RANDOM_VECTOR', scope: 'session' });
  });

  it('a wrong secret gives a ProtocolError or a different value, never a crash', () => {
    for (let i = 0; i < 20; i++) {
      const wrong = Uint8Array.of(i);
      try {
        const m = toTyped(viaWire(hiddenIcrq(2)), 2, { secret: wrong, crypto: nodeCrypto });
        expect(m).not.toMatchObject({ callSerialNumber: 1 });
      } catch (err) {
        expect(err).toBeInstanceOf(ProtocolError);
      }
    }
  });

  it('refuses to hide AVPs whose H bit MUST be 0', () => {
    expect(() =>
      fromTyped({ type: 'HELLO', version: 2, receiveWindowSize: 4 } as ControlMessage, {
        hide: ['receiveWindowSize'],
        secret: SECRET,
        randomVector: Uint8Array.of(1),
        crypto: nodeCrypto,
      }),
    ).toThrow(expect.objectContaining({ code: 'L2TP_ERR_USAGE' }));
  });
});

describe('catalogue rows without a known layout', () => {
  const opaqueAvp = fc
    .constantFrom(...OPAQUE_ROWS.filter((r) => r.status === 'assigned'))
    .chain((row) =>
      fc.record({
        mandatory: fc.constant(false),
        hidden: fc.constant(false),
        vendorId: fc.constant(0),
        attributeType: fc.constant(row.attributeType),
        value: fc.uint8Array({ minLength: row.minLength, maxLength: Math.min(row.maxLength, 12) }),
      }),
    );
  test.prop([opaqueAvp], { numRuns: 100 })(
    'with M=0 they decode as fields and survive a typed round trip',
    (avp) => {
      const avps = [...fromTyped({ type: 'HELLO', version: 2 }), avp];
      const typed = toTyped(viaWire(avps), 2);
      expect(Object.keys(typed)).toHaveLength(3);
      expect(plain(toTyped(viaWire(fromTyped(typed)), 2))).toEqual(plain(typed));
    },
  );
});
