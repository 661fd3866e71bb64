/**
 * Whole control messages (src/codec/control.ts): golden bytes built by hand from RFC 2661 §3.1,
 * §4.1, §4.4 and RFC 3931 §3.2.1, §4.1.1.2, §5.4; the raw round trip byte for byte; the typed
 * round trip through bytes (fast and general decode paths); decoder totality on arbitrary and
 * near-valid bytes.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  controlHeaderArbitrary,
  controlMessageBytesArbitrary,
  nearValidControlBytesArbitrary,
  rawControlMessageArbitrary,
  typedMessageArbitrary,
} from '../../src/arbitraries/index.js';
import { type ControlMessage, fromTyped, toTyped } from '../../src/avp/messages.js';
import type { RawAvp } from '../../src/avp/raw.js';
import { decodeValue, stringValue } from '../../src/avp/values.js';
import {
  buildControl,
  controlLength,
  decodeControl,
  encodeControl,
  parseControl,
} from '../../src/codec/control.js';
import type { Encapsulation } from '../../src/codec/header.js';
import type { L2tpVersion } from '../../src/constants.js';
import { DecodeError, L2tpError, ProtocolError } from '../../src/errors.js';
import { nodeCrypto } from '../../src/node/crypto.js';
import { hex, toHex } from '../helpers/hex.js';

/** Structural form for comparisons: Uint8Array views become hex strings (content, not offset). */
function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return `bytes:${Buffer.from(value).toString('hex')}`;
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

function caught(f: () => unknown): unknown {
  try {
    f();
  } catch (err) {
    return err;
  }
  throw new Error('expected a throw');
}

const CARRIAGES: readonly { version: L2tpVersion; encap: Encapsulation }[] = [
  { version: 2, encap: 'udp' },
  { version: 3, encap: 'udp' },
  { version: 3, encap: 'ip' },
];

const text = (s: string) => stringValue(Uint8Array.from(Buffer.from(s, 'latin1')));

// ---------------------------------------------------------------------------------------------
// Golden bytes

// RFC 2661 §6.1 SCCRQ with 9 AVPs, in the order fromTyped sends them (required, then optional).
const V2_SCCRQ = hex`
  c8 02 00 5e  // T=1 L=1 S=1 Ver=2; Length 94
  00 00 00 00  // Tunnel ID 0 (not yet assigned), Session ID 0
  00 00 00 00  // Ns 0, Nr 0
  80 08 00 00 00 00 00 01        // M, len 8, IETF, Message Type = 1 (SCCRQ)
  80 08 00 00 00 02 01 00        // M, len 8, Protocol Version 1, Revision 0
  80 0a 00 00 00 07 6c 61 63 31  // M, len 10, Host Name "lac1"
  80 0a 00 00 00 03 00 00 00 03  // M, len 10, Framing Capabilities: async | sync
  80 08 00 00 00 09 12 34        // M, len 8, Assigned Tunnel ID 0x1234
  80 0a 00 00 00 04 00 00 00 02  // M, len 10, Bearer Capabilities: analog
  80 08 00 00 00 0a 00 04        // M, len 8, Receive Window Size 4
  00 08 00 00 00 06 06 90        // M=0, len 8, Firmware Revision 0x0690
  00 0c 00 00 00 08 78 6c 32 74 70 64  // M=0, len 12, Vendor Name "xl2tpd"
`;

const V2_SCCRQ_MESSAGE: ControlMessage = {
  type: 'SCCRQ',
  version: 2,
  protocolVersion: { version: 1, revision: 0 },
  hostName: text('lac1'),
  framingCapabilities: 3,
  assignedTunnelId: 0x1234,
  bearerCapabilities: 2,
  receiveWindowSize: 4,
  firmwareRevision: 0x0690,
  vendorName: text('xl2tpd'),
};

const V2_ZLB = hex`
  c8 02 00 0c  // T=1 L=1 S=1 Ver=2; Length 12 (header only)
  00 05 00 00  // Tunnel ID 5, Session ID 0
  00 03 00 07  // Ns 3, Nr 7
`;

// RFC 3931 §6.1 SCCRQ over IP (§4.1.1.2: zero Session ID, then the control header).
const V3_IP_SCCRQ = hex`
  00 00 00 00  // Session ID 0: a control message follows
  c8 03 00 5d  // T=1 L=1 S=1 Ver=3; Length 93 (the Session ID is not counted)
  80 00 00 01  // Control Connection ID 0x80000001 (≥ 2^31: unsigned)
  00 01 00 02  // Ns 1, Nr 2
  80 08 00 00 00 00 00 01              // M, Message Type = 1 (SCCRQ)
  80 0a 00 00 00 07 6c 63 63 65        // M, Host Name "lcce"
  80 0a 00 00 00 3c 0a 00 00 01        // M, Router ID 10.0.0.1
  80 0a 00 00 00 3d fe dc ba 98        // M, Assigned Control Connection ID 0xfedcba98
  80 0a 00 00 00 3e 00 05 00 04        // M, Pseudowire Capabilities List: Ethernet, Ethernet VLAN
  80 0e 00 00 00 05 01 02 03 04 05 06 07 08  // M, Control Connection Tie Breaker
  00 0b 00 00 00 08 4c 69 6e 75 78     // M=0, Vendor Name "Linux"
  80 08 00 00 00 0a 00 10              // M, Receive Window Size 16
`;

const V3_IP_SCCRQ_MESSAGE: ControlMessage = {
  type: 'SCCRQ',
  version: 3,
  hostName: text('lcce'),
  routerId: 0x0a000001,
  assignedControlConnectionId: 0xfedcba98,
  pseudowireCapabilitiesList: [5, 4],
  tieBreaker: 0x0102030405060708n,
  vendorName: text('Linux'),
  receiveWindowSize: 16,
};

describe('golden bytes', () => {
  it('decodes an RFC 2661 SCCRQ with 9 AVPs', () => {
    const raw = decodeControl(V2_SCCRQ);
    expect(raw.header).toEqual({ version: 2, tunnelId: 0, sessionId: 0, ns: 0, nr: 0, length: 94 });
    expect(raw.avps.map((a) => [a.attributeType, a.mandatory])).toEqual([
      [0, true],
      [2, true],
      [7, true],
      [3, true],
      [9, true],
      [4, true],
      [10, true],
      [6, false],
      [8, false],
    ]);
    const parsed = parseControl(V2_SCCRQ);
    expect(plain(parsed.message)).toEqual(plain(V2_SCCRQ_MESSAGE));
    expect(plain(toTyped(parsed.avps, 2))).toEqual(plain(V2_SCCRQ_MESSAGE));
  });

  it('encodes the RFC 2661 SCCRQ byte for byte, raw and typed', () => {
    expect(toHex(encodeControl(decodeControl(V2_SCCRQ)))).toBe(toHex(V2_SCCRQ));
    const header = { version: 2, tunnelId: 0, sessionId: 0, ns: 0, nr: 0 } as const;
    expect(toHex(buildControl(header, V2_SCCRQ_MESSAGE))).toBe(toHex(V2_SCCRQ));
    expect(controlLength(header, fromTyped(V2_SCCRQ_MESSAGE))).toBe(V2_SCCRQ.length);
  });

  it('decodes and encodes an L2TPv2 ZLB', () => {
    const parsed = parseControl(V2_ZLB);
    expect(parsed.header).toEqual({
      version: 2,
      tunnelId: 5,
      sessionId: 0,
      ns: 3,
      nr: 7,
      length: 12,
    });
    expect(parsed.avps).toEqual([]);
    expect(parsed.message).toEqual({ type: 'ZLB', version: 2 });
    const header = { version: 2, tunnelId: 5, sessionId: 0, ns: 3, nr: 7 } as const;
    expect(toHex(buildControl(header, { type: 'ZLB', version: 2 }))).toBe(toHex(V2_ZLB));
    expect(toHex(encodeControl({ header, avps: [] }))).toBe(toHex(V2_ZLB));
  });

  it('decodes an RFC 3931 SCCRQ over IP', () => {
    const parsed = parseControl(V3_IP_SCCRQ, { encap: 'ip' });
    expect(parsed.header).toEqual({
      version: 3,
      connectionId: 0x80000001,
      ns: 1,
      nr: 2,
      length: 93,
    });
    expect(plain(parsed.message)).toEqual(plain(V3_IP_SCCRQ_MESSAGE));
    expect(parsed.avps).toHaveLength(8);
    // Over UDP the zero Session ID reads as a v0 header: dropped.
    expect(() => decodeControl(V3_IP_SCCRQ)).toThrow(DecodeError);
  });

  it('encodes the RFC 3931 SCCRQ over IP byte for byte, raw and typed', () => {
    const header = { version: 3, connectionId: 0x80000001, ns: 1, nr: 2 } as const;
    expect(toHex(buildControl(header, V3_IP_SCCRQ_MESSAGE, { encap: 'ip' }))).toBe(
      toHex(V3_IP_SCCRQ),
    );
    expect(toHex(encodeControl(decodeControl(V3_IP_SCCRQ, { encap: 'ip' }), { encap: 'ip' }))).toBe(
      toHex(V3_IP_SCCRQ),
    );
    // The same message over UDP is the IP form without its first 4 octets.
    expect(toHex(buildControl(header, V3_IP_SCCRQ_MESSAGE))).toBe(toHex(V3_IP_SCCRQ.subarray(4)));
  });

  it('ignores bytes after the Length and encodes into a caller buffer at an offset', () => {
    const padded = new Uint8Array(V2_ZLB.length + 3);
    padded.set(V2_ZLB);
    expect(parseControl(padded).message).toEqual({ type: 'ZLB', version: 2 });
    const target = new Uint8Array(V2_SCCRQ.length + 5);
    const view = encodeControl(decodeControl(V2_SCCRQ), { target, offset: 5 });
    expect(view.byteOffset).toBe(5);
    expect(toHex(view)).toBe(toHex(V2_SCCRQ));
  });

  it('refuses a typed message in a header of the other version', () => {
    expect(() =>
      buildControl({ version: 3, connectionId: 1, ns: 0, nr: 0 }, { type: 'ZLB', version: 2 }),
    ).toThrow(expect.objectContaining({ code: 'L2TP_ERR_USAGE' }));
  });
});

// ---------------------------------------------------------------------------------------------
// Round trips

describe('raw round trip: encodeControl(decodeControl(b)) equals b', () => {
  for (const { version, encap } of CARRIAGES) {
    test.prop([rawControlMessageArbitrary({ version, encap })], { numRuns: 150 })(
      `L2TPv${version}/${encap} with unknown, vendor and hidden AVPs`,
      (sample) => {
        const decoded = decodeControl(sample.bytes, { encap });
        expect(decoded.avps).toHaveLength(sample.avps.length);
        expect(toHex(encodeControl(decoded, { encap }))).toBe(toHex(sample.bytes));
      },
    );
  }
});

describe('typed round trip through bytes', () => {
  for (const { version, encap } of CARRIAGES) {
    test.prop([controlMessageBytesArbitrary({ version, encap })], { numRuns: 200 })(
      `parseControl(buildControl(m)) equals m, L2TPv${version}/${encap}`,
      (sample) => {
        const bytes = buildControl(sample.header, sample.message, { encap });
        expect(toHex(bytes)).toBe(toHex(sample.bytes));
        const parsed = parseControl(bytes, { encap });
        expect(plain(parsed.message)).toEqual(plain(sample.message));
        // The fast path's lazily built raw list is the general path's input.
        expect(plain(parsed.avps)).toEqual(plain(decodeControl(bytes, { encap }).avps));
        expect(plain(toTyped(parsed.avps, version))).toEqual(plain(sample.message));
      },
    );
  }

  // Unknown M=0 AVPs push parseControl off nothing: fast path and general path must agree.
  const unknownAvp = fc
    .tuple(
      fc.constantFrom(0, 9, 193, 3561, 4491),
      fc.integer({ min: 102, max: 0xffff }),
      fc.uint8Array({ maxLength: 8 }),
    )
    .map(
      ([vendorId, attributeType, value]): RawAvp => ({
        mandatory: false,
        hidden: false,
        vendorId,
        attributeType,
        value,
      }),
    );
  test.prop(
    [
      fc
        .constantFrom(...CARRIAGES)
        .chain(({ version, encap }) =>
          fc.tuple(
            fc.constant(encap),
            controlHeaderArbitrary(version),
            typedMessageArbitrary({ version, maxGenerated: 16 }),
          ),
        ),
      fc.array(fc.tuple(fc.nat(), unknownAvp), { minLength: 1, maxLength: 4 }),
    ],
    { numRuns: 200 },
  )(
    'unknown M=0 AVPs after the Message Type do not change parseControl',
    ([encap, header, m], extra) => {
      const avps = fromTyped(m);
      for (const [n, avp] of extra) avps.splice(1 + (n % avps.length), 0, avp);
      const parsed = parseControl(encodeControl({ header, avps }, { encap }), { encap });
      expect(plain(parsed.message)).toEqual(plain(m));
      expect(parsed.avps).toHaveLength(avps.length);
    },
  );
});

// ---------------------------------------------------------------------------------------------
// Reserved AVP header bits: unrecognised in L2TPv2 (RFC 2661 §4.1), ignored in L2TPv3 (RFC 3931 §5.1)

/** An L2TPv2 ICRQ (Assigned Session ID 7, Call Serial Number 1) whose Call Serial Number AVP has `flags`. */
const v2Icrq = (flags: string) => hex`
  c8 02 00 26  00 01 00 02  00 00 00 00  // T L S, Ver 2, Length 38; Tunnel 1, Session 2; Ns 0, Nr 0
  80 08 00 00 00 00 00 0a                // Message Type 10 (ICRQ)
  80 08 00 00 00 0e 00 07                // Assigned Session ID 7
  ${flags} 0a 00 00 00 0f 00 00 00 01   // Call Serial Number 1
`;

/**
 * Sets reserved bits `bits` (1…15), and the M bit when `mandatory` is given, in the header of
 * AVP `index` of an encoded message.
 */
function withReservedBits(
  bytes: Uint8Array,
  avps: readonly RawAvp[],
  index: number,
  bits: number,
  mandatory?: boolean,
) {
  const out = bytes.slice();
  let at = bytes.length - avps.reduce((n, a) => n + 6 + a.value.length, 0);
  for (let i = 0; i < index; i++) at += 6 + (avps[i] as RawAvp).value.length;
  out[at] = ((out[at] as number) & 0xc3) | (bits << 2);
  if (mandatory !== undefined) out[at] = ((out[at] as number) & 0x7f) | (mandatory ? 0x80 : 0);
  return out;
}

describe('reserved AVP header bits (RFC 2661 §4.1, RFC 3931 §5.1)', () => {
  it('L2TPv2: an M=1 AVP with a reserved bit set is an unknown mandatory AVP (CDN 2/8)', () => {
    const bytes = v2Icrq('a0');
    // The raw level keeps the bits, byte for byte.
    expect(decodeControl(bytes).avps[2]).toMatchObject({ mandatory: true, reserved: 0b1000 });
    expect(toHex(encodeControl(decodeControl(bytes)))).toBe(toHex(bytes));
    const err = caught(() => parseControl(bytes));
    expect(err).toBeInstanceOf(ProtocolError);
    expect(err).toMatchObject({
      code: 'L2TP_ERR_UNKNOWN_MANDATORY_AVP',
      scope: 'session',
      resultCode: 2,
      errorCode: 8,
      attributeType: 15,
      vendorId: 0,
    });
    // The same ICRQ without the bit is fine.
    expect(parseControl(v2Icrq('80')).message).toEqual({
      type: 'ICRQ',
      version: 2,
      assignedSessionId: 7,
      callSerialNumber: 1,
    });
  });

  it('L2TPv2: an M=0 AVP with a reserved bit set is ignored, so a required one is missing', () => {
    // "processed as if the AVP had not been present" (RFC 2661 §4.1): the ICRQ then lacks its
    // Call Serial Number, which §6.6 requires: CDN, as for any ICRQ without it.
    const bytes = v2Icrq('20');
    expect(decodeControl(bytes).avps[2]).toMatchObject({ mandatory: false, reserved: 0b1000 });
    expect(caught(() => parseControl(bytes))).toMatchObject({
      code: 'L2TP_ERR_MISSING_AVP',
      scope: 'session',
      resultCode: 2,
      attributeType: 15,
    });
    expect(parseControl(v2Icrq('00')).message).toMatchObject({ callSerialNumber: 1 });
  });

  it('L2TPv2: an ignored optional AVP leaves a valid message without that field', () => {
    const m: ControlMessage = {
      type: 'ICRQ',
      version: 2,
      assignedSessionId: 7,
      callSerialNumber: 1,
      physicalChannelId: 9,
    };
    const header = { version: 2, tunnelId: 1, sessionId: 0, ns: 0, nr: 0 } as const;
    const avps = fromTyped(m);
    const at = avps.findIndex((a) => a.attributeType === 25);
    expect(avps[at]?.mandatory).toBe(false);
    const bytes = withReservedBits(buildControl(header, m), avps, at, 0b0001);
    const { physicalChannelId: _, ...rest } = m;
    expect(parseControl(bytes).message).toEqual(rest);
  });

  it('L2TPv2: with the tolerance for unknown M=1 AVPs, one with reserved bits counts as absent', () => {
    expect(
      caught(() => parseControl(v2Icrq('a0'), { acceptUnknownMandatoryAvps: true })),
    ).toMatchObject({ code: 'L2TP_ERR_MISSING_AVP', attributeType: 15 });
  });

  it('L2TPv2: a hidden AVP with reserved bits and M=0 is dropped without being unhidden', () => {
    const hidden = hex`
      c8 02 00 30  00 01 00 02  00 00 00 00  // Length 48
      80 08 00 00 00 00 00 0a           // ICRQ
      80 08 00 00 00 0e 00 07           // Assigned Session ID 7
      80 0a 00 00 00 0f 00 00 00 01     // Call Serial Number 1
      44 0a 00 00 00 16 01 02 03 04     // H + reserved bit, Calling Number: no secret, no Random Vector
    `;
    expect(parseControl(hidden).message).toEqual({
      type: 'ICRQ',
      version: 2,
      assignedSessionId: 7,
      callSerialNumber: 1,
    });
  });

  it('L2TPv2: a Message Type AVP with reserved bits is no Message Type', () => {
    const header = { version: 2, tunnelId: 1, sessionId: 0, ns: 0, nr: 0 } as const;
    const hello: ControlMessage = { type: 'HELLO', version: 2 };
    const avps = fromTyped(hello);
    const m1 = withReservedBits(buildControl(header, hello), avps, 0, 0b0100);
    expect(caught(() => parseControl(m1))).toMatchObject({
      code: 'L2TP_ERR_UNKNOWN_MANDATORY_AVP',
      scope: 'tunnel',
      errorCode: 8,
      attributeType: 0,
    });
    const m0 = m1.slice();
    m0[12] = (m0[12] as number) & 0x7f;
    expect(caught(() => parseControl(m0))).toMatchObject({
      code: 'L2TP_ERR_MISSING_MESSAGE_TYPE',
      scope: 'tunnel',
    });
  });

  test.prop(
    [
      typedMessageArbitrary({ version: 2, maxGenerated: 16 }),
      fc.nat(),
      fc.integer({ min: 1, max: 15 }),
    ],
    { numRuns: 300 },
  )('L2TPv2: reserved bits on any M=1 AVP refuse the message with Error Code 8', (m, n, bits) => {
    const header = { version: 2, tunnelId: 1, sessionId: 0, ns: 0, nr: 0 } as const;
    const avps = fromTyped(m);
    const mandatory = avps.flatMap((a, i) => (a.mandatory ? [i] : []));
    const index = mandatory[n % mandatory.length] as number;
    const err = caught(() =>
      parseControl(withReservedBits(buildControl(header, m), avps, index, bits)),
    );
    expect(err).toMatchObject({ code: 'L2TP_ERR_UNKNOWN_MANDATORY_AVP', errorCode: 8 });
  });

  for (const encap of ENCAPS) {
    test.prop(
      [
        controlMessageBytesArbitrary({ version: 3, encap, maxGenerated: 16 }),
        fc.array(fc.tuple(fc.nat(), fc.integer({ min: 1, max: 15 })), {
          minLength: 1,
          maxLength: 4,
        }),
      ],
      { numRuns: 200 },
    )(`L2TPv3/${encap}: reserved bits on any AVP change nothing`, (sample, marks) => {
      let bytes = sample.bytes;
      for (const [n, bits] of marks) {
        bytes = withReservedBits(bytes, sample.avps, n % sample.avps.length, bits);
      }
      expect(plain(parseControl(bytes, { encap }).message)).toEqual(plain(sample.message));
    });
  }

  it('L2TPv3: the ICRQ vector with its Call Serial Number flags 0xa0 parses', () => {
    const m: ControlMessage = {
      type: 'ICRQ',
      version: 3,
      localSessionId: 7,
      remoteSessionId: 0,
      callSerialNumber: 1,
      pseudowireType: 5,
      remoteEndId: hex`01`,
      circuitStatus: decodeValue('circuitStatus', hex`00 03`), // A, N
    };
    const avps = fromTyped(m);
    const at = avps.findIndex((a) => a.attributeType === 15);
    const bytes = withReservedBits(
      buildControl({ version: 3, connectionId: 1, ns: 0, nr: 0 }, m),
      avps,
      at,
      0b1000,
      true,
    );
    expect(decodeControl(bytes).avps[at]).toMatchObject({ mandatory: true, reserved: 0b1000 });
    expect(plain(parseControl(bytes).message)).toEqual(plain(m));
  });
});

// ---------------------------------------------------------------------------------------------
// Totality

const SECRET = Uint8Array.from(Buffer.from('s3cret'));

/** Runs a decoder; anything thrown must be a DecodeError or ProtocolError. */
function total(f: () => unknown): 'ok' | 'rejected' {
  try {
    f();
    return 'ok';
  } catch (err) {
    if (err instanceof DecodeError || err instanceof ProtocolError) {
      expect(err).toBeInstanceOf(L2tpError);
      return 'rejected';
    }
    throw err;
  }
}

function decodeAll(bytes: Uint8Array, encap: Encapsulation): void {
  total(() => decodeControl(bytes, { encap }));
  total(() => parseControl(bytes, { encap }));
  total(() => parseControl(bytes, { encap, secret: SECRET, crypto: nodeCrypto }));
  // The lazily decoded raw list of a fast-path result must be readable too.
  total(() => parseControl(bytes, { encap }).avps);
}

const ENCAPS: Encapsulation[] = ['udp', 'ip'];

// Bytes behind a plausible control header, so the AVP walk and validation are reached.
const headedBytes = fc
  .tuple(
    fc.constantFrom(...CARRIAGES),
    fc.uint8Array({ maxLength: 80 }),
    fc.integer({ min: 0, max: 0xffff }),
    fc.boolean(),
  )
  .map(([{ version, encap }, body, ccid, exactLength]) => {
    const prefix = encap === 'ip' ? 4 : 0;
    const bytes = new Uint8Array(prefix + 12 + body.length);
    const length = exactLength ? 12 + body.length : ccid % (12 + body.length + 4);
    bytes.set([0xc8, version, length >> 8, length & 0xff, 0, 0, ccid >> 8, ccid & 0xff], prefix);
    bytes.set(body, prefix + 12);
    return { encap, bytes };
  });

// Bodies of AVP-shaped bytes: a Message Type first, then random AVP headers with small lengths.
const avpShapedBytes = fc
  .tuple(
    fc.constantFrom(...CARRIAGES),
    fc.integer({ min: 0, max: 31 }),
    fc.array(
      fc.tuple(
        fc.integer({ min: 0, max: 0xff }), // flags + length high bits
        fc.integer({ min: 0, max: 40 }), // length low byte
        fc.constantFrom(0, 0, 0, 9, 3561),
        fc.integer({ min: 0, max: 110 }),
        fc.uint8Array({ maxLength: 34 }),
      ),
      { maxLength: 8 },
    ),
  )
  .map(([{ version, encap }, type, parts]) => {
    const body: number[] = [0x80, 8, 0, 0, 0, 0, 0, type];
    for (const [b0, lenLo, vendor, attr, value] of parts) {
      body.push(b0 & 0xfc, lenLo, vendor >> 8, vendor & 0xff, 0, attr, ...value); // M H rsvd
    }
    const prefix = encap === 'ip' ? 4 : 0;
    const bytes = new Uint8Array(prefix + 12 + body.length);
    const length = 12 + body.length;
    bytes.set([0xc8, version, length >> 8, length & 0xff], prefix);
    bytes.set(body, prefix + 12);
    return { encap, bytes };
  });

describe('decoders are total: a value, a DecodeError or a ProtocolError, nothing else', () => {
  test.prop([fc.uint8Array({ maxLength: 64 }), fc.constantFrom(...ENCAPS)], { numRuns: 2000 })(
    'arbitrary bytes',
    (bytes, encap) => decodeAll(bytes, encap),
  );

  test.prop([headedBytes], { numRuns: 2000 })(
    'arbitrary bodies behind a control header',
    ({ encap, bytes }) => decodeAll(bytes, encap),
  );

  test.prop([avpShapedBytes], { numRuns: 2500 })('AVP-shaped bodies', ({ encap, bytes }) =>
    decodeAll(bytes, encap),
  );

  for (const { version, encap } of CARRIAGES) {
    test.prop(
      [
        nearValidControlBytesArbitrary({
          version,
          encap,
          maxGenerated: 16,
          hiding: { secret: SECRET, crypto: nodeCrypto },
        }),
      ],
      { numRuns: 1200 },
    )(`near-valid L2TPv${version}/${encap} messages`, ({ bytes }) => decodeAll(bytes, encap));
  }

  test.prop([fc.constantFrom(...CARRIAGES).chain((c) => rawControlMessageArbitrary(c))], {
    numRuns: 400,
  })('raw messages with unknown, vendor and hidden AVPs', ({ encap, bytes }) =>
    decodeAll(bytes, encap),
  );

  it('rejects every truncation of a valid message with a DecodeError', () => {
    for (const [bytes, encap] of [
      [V2_SCCRQ, 'udp'],
      [V3_IP_SCCRQ, 'ip'],
    ] as const) {
      for (let n = 0; n < bytes.length; n++) {
        expect(() => parseControl(bytes.subarray(0, n), { encap })).toThrow(DecodeError);
      }
    }
  });
});
