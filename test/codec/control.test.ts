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
import { stringValue } from '../../src/avp/values.js';
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
      body.push(b0 & 0xc0, lenLo, vendor >> 8, vendor & 0xff, 0, attr, ...value);
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
