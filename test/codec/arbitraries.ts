/**
 * fast-check arbitraries for header tests: valid header fields (with the message each must decode
 * to), their encodings, and "near-valid" datagrams (valid encodings with one mutation: a bit flip,
 * a truncation, extra bytes, or a 16-bit field overwritten) that exercise every reject branch.
 */

import fc from 'fast-check';
import {
  type ControlHeader,
  type CookieLength,
  type DataHeader,
  type DataMessage,
  type DataParams,
  type DataParamsV3,
  dataHeaderLength,
  type Encapsulation,
  encodeControlHeader,
  encodeData,
  type SublayerKind,
} from '../../src/codec/header.js';

const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffffffff });
const payload = fc.uint8Array({ maxLength: 48 });

export const ALL_V3_PARAMS: DataParamsV3[] = (['udp', 'ip'] as const).flatMap((encap) =>
  ([0, 4, 8] as const).flatMap((cookieLength) =>
    (['none', 'default', 'atm'] as const).map((sublayer) => ({
      version: 3 as const,
      encap,
      cookieLength,
      sublayer,
    })),
  ),
);

/** A control message: header, encapsulation and the encoded bytes (header + random body). */
export interface ControlSample {
  encap: Encapsulation;
  header: ControlHeader;
  bytes: Uint8Array;
}

export const controlSample: fc.Arbitrary<ControlSample> = fc
  .tuple(
    fc.constantFrom<[2 | 3, Encapsulation]>([2, 'udp'], [3, 'udp'], [3, 'ip']),
    u16,
    u16,
    u32,
    u16,
    u16,
    payload,
  )
  .map(([[version, encap], tunnelId, sessionId, connectionId, ns, nr, body]) => {
    const length = 12 + body.length;
    const header: ControlHeader =
      version === 2
        ? { version, tunnelId, sessionId, ns, nr, length }
        : { version, connectionId, ns, nr, length };
    const prefix = encap === 'ip' ? 4 : 0;
    const bytes = new Uint8Array(prefix + length);
    const at = encodeControlHeader(header, bytes, 0, encap);
    bytes.set(body, at);
    return { encap, header, bytes };
  });

/** A data message: session parameters, header fields, payload, expected decode, encoded bytes. */
export interface DataSample {
  params: DataParams;
  fields: DataHeader;
  payload: Uint8Array;
  message: DataMessage;
  bytes: Uint8Array;
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a, 0);
  out.set(b, a.length);
  return out;
}

const dataV2Sample: fc.Arbitrary<DataSample> = fc
  .record({
    tunnelId: u16,
    sessionId: u16,
    withLength: fc.boolean(),
    ns: fc.option(u16, { nil: undefined }),
    nr: fc.option(u16, { nil: undefined }),
    offsetSize: fc.option(fc.integer({ min: 0, max: 12 }), { nil: undefined }),
    priority: fc.boolean(),
    payload,
  })
  .map((r) => {
    const nr = r.ns === undefined ? undefined : r.nr;
    const fields: DataHeader = {
      version: 2,
      tunnelId: r.tunnelId,
      sessionId: r.sessionId,
      length: r.withLength ? 0 : undefined, // encodeData computes the real value
      ns: r.ns,
      nr,
      offsetSize: r.offsetSize,
      priority: r.priority,
    };
    const [header] = encodeData(fields, r.payload);
    const message: DataMessage = {
      version: 2,
      tunnelId: r.tunnelId,
      sessionId: r.sessionId,
      length: r.withLength ? header.length + r.payload.length : undefined,
      ns: r.ns,
      nr: r.ns === undefined ? undefined : (nr ?? 0),
      offsetSize: r.offsetSize,
      priority: r.priority,
      payload: r.payload,
    };
    return {
      params: { version: 2 },
      fields: { ...fields, length: message.length },
      payload: r.payload,
      message,
      bytes: concat(header, r.payload),
    };
  });

const dataV3Sample: fc.Arbitrary<DataSample> = fc
  .record({
    encap: fc.constantFrom<Encapsulation>('udp', 'ip'),
    sessionId: fc.integer({ min: 1, max: 0xffffffff }),
    cookieLength: fc.constantFrom<CookieLength>(0, 4, 8),
    omitEmptyCookie: fc.boolean(),
    sublayer: fc.constantFrom<SublayerKind>('none', 'default', 'atm'),
    ns: fc.option(fc.integer({ min: 0, max: 0xffffff }), { nil: undefined }),
    atmFlags: fc.option(fc.integer({ min: 0, max: 0x3f }), { nil: undefined }),
    cookieSeed: fc.uint8Array({ minLength: 8, maxLength: 8 }),
    payload,
  })
  .map((r) => {
    const cookie =
      r.cookieLength === 0 && r.omitEmptyCookie ? undefined : r.cookieSeed.slice(0, r.cookieLength);
    const ns = r.sublayer === 'none' ? undefined : r.ns;
    const atmFlags = r.sublayer === 'atm' ? r.atmFlags : undefined;
    const fields: DataHeader = {
      version: 3,
      encap: r.encap,
      sessionId: r.sessionId,
      cookie,
      sublayer: r.sublayer,
      ns,
      atmFlags,
    };
    const [header] = encodeData(fields, r.payload);
    return {
      params: { version: 3, encap: r.encap, cookieLength: r.cookieLength, sublayer: r.sublayer },
      fields,
      payload: r.payload,
      message: {
        version: 3,
        sessionId: r.sessionId,
        cookieOffset: r.encap === 'udp' ? 8 : 4,
        cookieLength: r.cookieLength,
        ns,
        atmFlags: atmFlags ?? 0,
        payload: r.payload,
      },
      bytes: concat(header, r.payload),
    };
  });

export const dataSample: fc.Arbitrary<DataSample> = fc.oneof(dataV2Sample, dataV3Sample);

/** Header length of a sample (for mutations that target header fields). */
export function sampleHeaderLength(s: DataSample): number {
  return dataHeaderLength(s.fields);
}

/** One mutation of `bytes`: flip a bit, truncate, append, or overwrite a 16-bit word. */
export function mutated(bytes: Uint8Array): fc.Arbitrary<Uint8Array> {
  const n = Math.max(bytes.length, 1);
  return fc.oneof(
    fc.tuple(fc.nat(n - 1), fc.nat(7)).map(([i, bit]) => {
      const out = bytes.slice();
      if (i < out.length) out[i] = (out[i] as number) ^ (1 << bit);
      return out;
    }),
    fc.nat(bytes.length).map((k) => bytes.slice(0, k)),
    fc.uint8Array({ minLength: 1, maxLength: 8 }).map((extra) => {
      const out = new Uint8Array(bytes.length + extra.length);
      out.set(bytes);
      out.set(extra, bytes.length);
      return out;
    }),
    fc
      .tuple(fc.nat(n - 1), fc.constantFrom(0, 1, 5, 6, 7, 11, 12, 0xfffe, 0xffff), u16)
      .map(([i, v, w]) => {
        const out = bytes.slice();
        const value = w % 3 === 0 ? w : v;
        if (i < out.length) out[i] = value >>> 8;
        if (i + 1 < out.length) out[i + 1] = value & 0xff;
        return out;
      }),
  );
}

/** Any bytes: fully random, or a valid control/data encoding, mutated or not. */
export const datagram: fc.Arbitrary<Uint8Array> = fc.oneof(
  fc.uint8Array({ maxLength: 40 }),
  controlSample.map((s) => s.bytes),
  dataSample.map((s) => s.bytes),
  controlSample.chain((s) => mutated(s.bytes)),
  dataSample.chain((s) => mutated(s.bytes)),
);

/** T, L, S, O, P × every Ver × reserved bits (0x34f0) clear or set: 1024 words. */
export const FIRST_WORDS: number[] = [];
for (let bits = 0; bits < 32; bits++) {
  const flags =
    (bits & 1 ? 0x8000 : 0) |
    (bits & 2 ? 0x4000 : 0) |
    (bits & 4 ? 0x0800 : 0) |
    (bits & 8 ? 0x0200 : 0) |
    (bits & 16 ? 0x0100 : 0);
  for (let ver = 0; ver < 16; ver++) FIRST_WORDS.push(flags | ver, flags | ver | 0x34f0);
}
