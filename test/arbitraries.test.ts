/**
 * The `l2tp-core/arbitraries` subpath (src/arbitraries/index.ts) produces what it promises:
 * values that encode within their bounds and decode back, raw AVPs of every category, typed
 * messages that pass toTyped, encoded messages that parse, near-valid bytes that are rejected
 * (at least sometimes, always for the mutations that cannot leave a valid message), data packets
 * that decode to their fields.
 */
import { fc, test } from '@fast-check/vitest';
import { describe, expect, it } from 'vitest';
import {
  ARBITRARY_VENDOR_IDS,
  controlHeaderArbitrary,
  controlMessageBytesArbitrary,
  dataMessageBytesArbitrary,
  fieldValueArbitrary,
  messageTypesOf,
  type NearValidMutation,
  nearValidControlBytesArbitrary,
  rawAvpArbitrary,
  rawControlMessageArbitrary,
  typedMessageArbitrary,
  valueArbitrary,
} from '../src/arbitraries/index.js';
import {
  FIELD_ATTRIBUTE_TYPE,
  FIELD_KINDS,
  type FieldName,
  fromTyped,
  type KnownMessageName,
  MESSAGE_SPEC,
  toTyped,
} from '../src/avp/messages.js';
import { decodeAvps, encodeAvps } from '../src/avp/raw.js';
import { type AvpInfo, decodeAvpValue, encodeAvpValue, lookupAvp } from '../src/avp/registry.js';
import { decodeValue, encodeValue, VALUE_KINDS, type ValueKind } from '../src/avp/values.js';
import { decodeControl, encodeControl, parseControl } from '../src/codec/control.js';
import { type DataParams, type DataParamsV3, dataCookie, decodeData } from '../src/codec/header.js';
import { DecodeError, ProtocolError, UsageError } from '../src/errors.js';
import { nodeCrypto } from '../src/node/crypto.js';

function plain(value: unknown): unknown {
  if (value instanceof Uint8Array) return `bytes:${Buffer.from(value).toString('hex')}`;
  if (Array.isArray(value)) return value.map(plain);
  if (value !== null && typeof value === 'object') {
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plain(v)]));
  }
  return value;
}

const VERSIONS = [2, 3] as const;
const FIELDS = Object.keys(FIELD_KINDS) as FieldName[];
const SEED = { seed: 42 };

describe('valueArbitrary', () => {
  test.prop(
    [fc.constantFrom(...VALUE_KINDS).chain((k) => fc.tuple(fc.constant(k), valueArbitrary(k)))],
    {
      numRuns: 600,
    },
  )('every kind: decodeValue(encodeValue(v)) equals v', ([kind, value]) => {
    const bytes = encodeValue(kind, value as never);
    expect(plain(decodeValue(kind as ValueKind, bytes))).toEqual(plain(value));
  });

  it('covers every kind', () => {
    for (const kind of VALUE_KINDS)
      expect(fc.sample(valueArbitrary(kind), { numRuns: 3 })).toHaveLength(3);
  });

  test.prop([fc.integer({ min: 0, max: 40 }), fc.integer({ min: 0, max: 40 })])(
    'respects length bounds for variable kinds',
    (a, b) => {
      const [minLength, maxLength] = a <= b ? [a, b] : [b, a];
      for (const kind of ['bytes', 'string', 'pwCapList', 'resultCode', 'messageDigest'] as const) {
        let arb: fc.Arbitrary<unknown>;
        try {
          arb = valueArbitrary(kind, { minLength, maxLength });
        } catch (err) {
          expect(err).toBeInstanceOf(UsageError); // nothing of that kind fits
          continue;
        }
        for (const v of fc.sample(arb, { numRuns: 5, seed: a * 41 + b })) {
          const n = encodeValue(kind, v as never).length;
          expect(n).toBeGreaterThanOrEqual(minLength);
          expect(n).toBeLessThanOrEqual(maxLength);
        }
      }
    },
  );

  it('refuses bounds no value of a fixed-size kind fits', () => {
    expect(() => valueArbitrary('u32', { maxLength: 2 })).toThrow(UsageError);
    expect(() => valueArbitrary('cookie', { minLength: 1, maxLength: 3 })).toThrow(UsageError);
    expect(() => valueArbitrary('pwCapList', { minLength: 1, maxLength: 1 })).toThrow(UsageError);
  });
});

describe('fieldValueArbitrary', () => {
  test.prop(
    [
      fc
        .constantFrom(...FIELDS)
        .chain((f) => fc.tuple(fc.constant(f), fieldValueArbitrary(f) as fc.Arbitrary<unknown>)),
    ],
    { numRuns: 800 },
  )('every field encodes within its catalogue bounds and decodes back', ([field, value]) => {
    const info = lookupAvp(0, FIELD_ATTRIBUTE_TYPE[field]) as AvpInfo;
    const bytes = encodeAvpValue(info, { kind: FIELD_KINDS[field], value } as never);
    expect(plain(decodeAvpValue(info, bytes).value)).toEqual(plain(value));
  });

  test.prop([
    fieldValueArbitrary('assignedTunnelId'),
    fieldValueArbitrary('assignedSessionId'),
    fieldValueArbitrary('localSessionId'),
    fieldValueArbitrary('assignedControlConnectionId'),
    fieldValueArbitrary('receiveWindowSize'),
  ])('never produces a zero identifier or window', (...ids) => {
    for (const id of ids) expect(id).toBeGreaterThan(0);
  });

  it('draws 32-bit ids above 2^31 too', () => {
    const ids = fc.sample(fieldValueArbitrary('localSessionId'), { numRuns: 200, ...SEED });
    expect(ids.some((id) => id >= 0x8000_0000)).toBe(true);
  });
});

describe('rawAvpArbitrary', () => {
  test.prop([fc.array(rawAvpArbitrary(), { maxLength: 10 })], { numRuns: 300 })(
    'AVPs survive encodeAvps/decodeAvps unchanged',
    (avps) => {
      expect(plain(decodeAvps(encodeAvps(avps)))).toEqual(plain(avps));
      for (const avp of avps) if (avp.hidden) expect(avp.value.length).toBeGreaterThanOrEqual(2);
    },
  );

  it('produces known, unknown (≥ 102), vendor and hidden AVPs by default', () => {
    const sample = fc.sample(rawAvpArbitrary(), { numRuns: 1000, ...SEED });
    expect(sample.some((a) => a.vendorId === 0 && a.attributeType <= 101 && !a.hidden)).toBe(true);
    expect(sample.some((a) => a.vendorId === 0 && a.attributeType >= 102)).toBe(true);
    for (const vendor of ARBITRARY_VENDOR_IDS) {
      expect(sample.some((a) => a.vendorId === vendor)).toBe(true);
    }
    expect(sample.some((a) => a.hidden)).toBe(true);
    expect(sample.some((a) => a.reserved !== undefined)).toBe(true);
  });

  it('produces only valid known IETF AVPs when the other categories are off', () => {
    const options = { unknown: false, vendor: false, hidden: false, mandatory: false } as const;
    for (const avp of fc.sample(rawAvpArbitrary(options), { numRuns: 300, ...SEED })) {
      expect(avp.vendorId).toBe(0);
      expect(avp.hidden).toBe(false);
      expect(avp.mandatory).toBe(false);
      const info = lookupAvp(0, avp.attributeType);
      expect(info?.status).toBe('assigned');
      expect(() => decodeAvpValue(info as AvpInfo, avp.value)).not.toThrow();
    }
  });
});

describe('headers and raw control messages', () => {
  for (const version of VERSIONS) {
    test.prop([controlHeaderArbitrary(version)], { numRuns: 100 })(
      `controlHeaderArbitrary(${version}) encodes as a ZLB header that decodes back`,
      (header) => {
        const decoded = decodeControl(encodeControl({ header, avps: [] }));
        expect(decoded.header).toEqual({ ...header, length: 12 });
      },
    );
  }

  for (const [version, encap] of [
    [2, 'udp'],
    [3, 'udp'],
    [3, 'ip'],
  ] as const) {
    test.prop([rawControlMessageArbitrary({ version, encap })], { numRuns: 100 })(
      `rawControlMessageArbitrary L2TPv${version}/${encap} gives bytes that decode to it`,
      (sample) => {
        expect(sample.encap).toBe(encap);
        const decoded = decodeControl(sample.bytes, { encap });
        expect(decoded.header).toMatchObject(sample.header);
        expect(plain(decoded.avps)).toEqual(plain(sample.avps));
      },
    );
  }
});

describe('typed message arbitraries', () => {
  for (const version of VERSIONS) {
    test.prop([typedMessageArbitrary({ version })], { numRuns: 200 })(
      `typedMessageArbitrary L2TPv${version}: toTyped(fromTyped(m)) is m, required fields present`,
      (m) => {
        expect(plain(toTyped(fromTyped(m), version))).toEqual(plain(m));
        const spec = MESSAGE_SPEC[m.type as KnownMessageName][version === 2 ? 'v2' : 'v3'];
        for (const f of spec?.required ?? []) expect(m).toHaveProperty(f);
      },
    );

    it(`draws every message type defined in L2TPv${version}`, () => {
      const seen = new Set(
        fc
          .sample(typedMessageArbitrary({ version, maxGenerated: 4 }), { numRuns: 1500, ...SEED })
          .map((m) => m.type),
      );
      expect([...seen].sort()).toEqual(messageTypesOf(version).sort());
    });

    test.prop([controlMessageBytesArbitrary({ version, types: ['StopCCN', 'CDN', 'HELLO'] })], {
      numRuns: 100,
    })(`controlMessageBytesArbitrary L2TPv${version}: parseControl gives the message`, (s) => {
      expect(['StopCCN', 'CDN', 'HELLO']).toContain(s.message.type);
      expect(plain(parseControl(s.bytes).message)).toEqual(plain(s.message));
      expect(plain(decodeControl(s.bytes).avps)).toEqual(plain(s.avps));
    });
  }

  it('L2TPv2 has no ACK; both versions have the RFC 2661 core messages', () => {
    expect(messageTypesOf(2)).not.toContain('ACK');
    expect(messageTypesOf(3)).toContain('ACK');
    for (const v of VERSIONS)
      expect(messageTypesOf(v)).toEqual(expect.arrayContaining(['SCCRQ', 'ICCN', 'SLI']));
  });

  it('refuses a type the version does not define', () => {
    expect(() => typedMessageArbitrary({ version: 2, types: ['ACK'] })).toThrow(UsageError);
  });
});

const ALWAYS_REJECTED: ReadonlySet<NearValidMutation> = new Set<NearValidMutation>([
  'truncate',
  'length-too-large',
  'avp-length-below-6',
  'avp-length-past-end',
  'hidden-length-too-large',
  'unknown-mandatory-avp',
]);

const SECRET = Uint8Array.from(Buffer.from('shh'));

function verdict(bytes: Uint8Array, encap: 'udp' | 'ip'): 'ok' | 'rejected' {
  try {
    parseControl(bytes, { encap, secret: SECRET, crypto: nodeCrypto });
    return 'ok';
  } catch (err) {
    if (err instanceof DecodeError || err instanceof ProtocolError) return 'rejected';
    throw err;
  }
}

describe('nearValidControlBytesArbitrary', () => {
  for (const [version, encap] of [
    [2, 'udp'],
    [3, 'udp'],
    [3, 'ip'],
  ] as const) {
    it(`L2TPv${version}/${encap}: originals parse, mutants are rejected, every mutation occurs`, () => {
      const arb = nearValidControlBytesArbitrary({
        version,
        encap,
        maxGenerated: 16,
        hiding: { secret: SECRET, crypto: nodeCrypto },
      });
      const seen = new Map<NearValidMutation, { ok: number; rejected: number }>();
      for (const s of fc.sample(arb, { numRuns: 600, ...SEED })) {
        expect(verdict(s.original, encap)).toBe('ok');
        const v = verdict(s.bytes, encap);
        if (ALWAYS_REJECTED.has(s.mutation))
          expect([s.mutation, v]).toEqual([s.mutation, 'rejected']);
        const count = seen.get(s.mutation) ?? { ok: 0, rejected: 0 };
        count[v]++;
        seen.set(s.mutation, count);
      }
      expect(seen.size).toBe(9);
      for (const [mutation, count] of seen) {
        expect([mutation, count.rejected > 0]).toEqual([mutation, true]);
      }
    });
  }

  it('leaves out the hidden-length mutation without a secret', () => {
    const sample = fc.sample(nearValidControlBytesArbitrary({ version: 2, maxGenerated: 4 }), {
      numRuns: 300,
      ...SEED,
    });
    expect(sample.some((s) => s.mutation === 'hidden-length-too-large')).toBe(false);
  });
});

const ALL_PARAMS: DataParams[] = [
  { version: 2 },
  ...(['udp', 'ip'] as const).flatMap((encap) =>
    ([0, 4, 8] as const).flatMap((cookieLength) =>
      (['none', 'default', 'atm'] as const).map(
        (sublayer): DataParamsV3 => ({ version: 3, encap, cookieLength, sublayer }),
      ),
    ),
  ),
];

describe('dataMessageBytesArbitrary', () => {
  test.prop(
    [
      fc
        .constantFrom(...ALL_PARAMS)
        .chain((p) => fc.tuple(fc.constant(p), dataMessageBytesArbitrary(p))),
    ],
    { numRuns: 600 },
  )('packets decode with their session parameters to their fields and payload', ([params, s]) => {
    const d = decodeData(s.bytes, params);
    expect(plain(d.payload)).toEqual(plain(s.payload));
    const f = s.fields;
    if (d.version === 2 && f.version === 2) {
      expect(d).toMatchObject({ tunnelId: f.tunnelId, sessionId: f.sessionId });
      expect(d.length).toBe(f.length);
      expect(d.ns).toBe(f.ns);
      expect(d.offsetSize).toBe(f.offsetSize);
      expect(d.priority).toBe(f.priority ?? false);
    } else if (d.version === 3 && f.version === 3 && params.version === 3) {
      expect(d.sessionId).toBe(f.sessionId);
      expect(d.sessionId).toBeGreaterThan(0);
      expect(plain(dataCookie(s.bytes, d))).toEqual(plain(f.cookie ?? new Uint8Array(0)));
      expect(d.ns).toBe(f.ns);
      expect(d.atmFlags).toBe(f.atmFlags ?? 0);
      expect(f.encap).toBe(params.encap);
    } else {
      throw new Error(`version mismatch: ${d.version} vs ${f.version}`);
    }
  });

  it('draws the optional v2 fields both present and absent', () => {
    const sample = fc.sample(dataMessageBytesArbitrary({ version: 2 }), { numRuns: 200, ...SEED });
    for (const key of ['length', 'ns', 'offsetSize'] as const) {
      expect(sample.some((s) => s.fields.version === 2 && s.fields[key] !== undefined)).toBe(true);
      expect(sample.some((s) => s.fields.version === 2 && s.fields[key] === undefined)).toBe(true);
    }
  });
});
