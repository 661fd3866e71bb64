/**
 * Differential oracle (test-only): the L2TP header and AVP-header layouts described a second time,
 * declaratively, with binary-parser's bit-field API, independent of src/codec/header.ts.
 * RFC 2661 §3.1, §4.1; RFC 3931 §3.2.1, §4.1.1.1–2, §4.1.2.1, §4.6; RFC 4454 §4.1.
 * Each oracle returns the same shape as the production decoder, or `undefined` where the
 * production decoder must throw DecodeError. The acceptance rules are written as rule lists over
 * the parsed record, not as the production code's control flow. Slow (binary-parser compiles
 * code and builds dictionary-mode objects); never use it outside tests.
 * The AVP-header oracle is exported for the AVP codec's tests too.
 */

import { Parser } from 'binary-parser';
import type {
  CookieLength,
  DataMessageV2,
  DataMessageV3,
  DecodedControlHeader,
  Encapsulation,
  SublayerKind,
} from '../../src/codec/header.js';

// ---------------------------------------------------------------------------------------------
// Layouts

const nothing = new Parser();

/** RFC 2661 §3.1, Figure 3.1: |T|L|x|x|S|x|O|P|x|x|x|x| Ver | Length(opt) | Tunnel | Session | … */
const v2Layout = new Parser()
  .endianness('big')
  .bit1('t')
  .bit1('l')
  .bit2('x1')
  .bit1('s')
  .bit1('x2')
  .bit1('o')
  .bit1('p')
  .bit4('x3')
  .bit4('ver')
  .choice({ tag: 'l', choices: { 0: nothing, 1: new Parser().uint16('length') } })
  .uint16('tunnelId')
  .uint16('sessionId')
  .choice({ tag: 's', choices: { 0: nothing, 1: new Parser().uint16('ns').uint16('nr') } })
  .choice({
    tag: 'o',
    choices: {
      0: nothing,
      1: new Parser().uint16('offsetSize').buffer('pad', { length: 'offsetSize' }),
    },
  })
  .saveOffset('headerEnd');

interface V2Record {
  t: number;
  l: number;
  s: number;
  o: number;
  p: number;
  ver: number;
  length?: number;
  tunnelId: number;
  sessionId: number;
  ns?: number;
  nr?: number;
  offsetSize?: number;
  headerEnd: number;
}

/** RFC 3931 §3.2.1, Figure 3.2.1: |T|L|x|x|S|x|x|x|x|x|x|x| Ver | Length | CCID | Ns | Nr */
const v3ControlLayout = new Parser()
  .endianness('big')
  .bit1('t')
  .bit1('l')
  .bit2('x1')
  .bit1('s')
  .bit7('x2')
  .bit4('ver')
  .uint16('length')
  .uint32('connectionId')
  .uint16('ns')
  .uint16('nr');

interface V3ControlRecord {
  t: number;
  l: number;
  s: number;
  ver: number;
  length: number;
  connectionId: number;
  ns: number;
  nr: number;
}

/** RFC 3931 §4.1.1.2, Figure 4.1.1.2: 32 zero bits, then the control header. */
const v3IpControlLayout = new Parser()
  .endianness('big')
  .uint32('zero')
  .nest('control', { type: v3ControlLayout });

/** RFC 3931 §4.1.2.1, Figure 4.1.2.1: |T|x…x| Ver | Reserved | Session ID | */
const v3UdpSessionLayout = new Parser()
  .endianness('big')
  .bit1('t')
  .bit11('x1')
  .bit4('ver')
  .uint16('reserved')
  .uint32('sessionId');

/** RFC 3931 §4.1.1.1, Figure 4.1.1.1: | Session ID | */
const v3IpSessionLayout = new Parser().endianness('big').uint32('sessionId');

/** RFC 3931 §4.6, Figure 4.6: |x|S|x|x|x|x|x|x| Sequence Number (24) | */
const defaultSublayer = new Parser()
  .endianness('big')
  .bit1('x1')
  .bit1('s')
  .bit6('x2')
  .bit24('sequence');

/** RFC 4454 §4.1, Figure 2: |x|S|B|E|T|G|C|U| Sequence Number (24) | */
const atmSublayer = new Parser()
  .endianness('big')
  .bit1('x1')
  .bit1('s')
  .bit1('b')
  .bit1('e')
  .bit1('t')
  .bit1('g')
  .bit1('c')
  .bit1('u')
  .bit24('sequence');

interface V3DataRecord {
  t?: number;
  ver?: number;
  sessionId: number;
  cookieStart: number;
  cookie?: Uint8Array;
  sublayer?: {
    s: number;
    b?: number;
    e?: number;
    t?: number;
    g?: number;
    c?: number;
    u?: number;
    sequence: number;
  };
  headerEnd: number;
}

const v3DataLayouts = new Map<string, Parser>();

function v3DataLayout(encap: Encapsulation, cookieLength: CookieLength, sublayer: SublayerKind) {
  const key = `${encap}/${cookieLength}/${sublayer}`;
  let layout = v3DataLayouts.get(key);
  if (layout === undefined) {
    layout = new Parser()
      .endianness('big')
      .nest({ type: encap === 'udp' ? v3UdpSessionLayout : v3IpSessionLayout })
      .saveOffset('cookieStart');
    // binary-parser refuses a zero-length buffer field, so a 0-octet cookie is simply absent.
    if (cookieLength !== 0) layout = layout.buffer('cookie', { length: cookieLength });
    if (sublayer !== 'none') {
      layout = layout.nest('sublayer', {
        type: sublayer === 'default' ? defaultSublayer : atmSublayer,
      });
    }
    layout = layout.saveOffset('headerEnd');
    v3DataLayouts.set(key, layout);
  }
  return layout;
}

/** RFC 2661 §4.1: |M|H| rsvd |  Length (10)  | Vendor ID | Attribute Type | Value … */
const avpHeaderLayout = new Parser()
  .endianness('big')
  .bit1('m')
  .bit1('h')
  .bit4('reserved')
  .bit10('length')
  .uint16('vendorId')
  .uint16('attributeType');

const avpLayout = new Parser()
  .endianness('big')
  .bit1('m')
  .bit1('h')
  .bit4('reserved')
  // The assert stops binary-parser's array loop from stepping backwards on a length below 6.
  .bit10('length', { assert: (n: number | string) => Number(n) >= 6 })
  .uint16('vendorId')
  .uint16('attributeType')
  .buffer('value', {
    length: function (this: { length: number }) {
      return this.length - 6;
    },
  });

const avpListLayout = new Parser().array('avps', { type: avpLayout, readUntil: 'eof' });

// ---------------------------------------------------------------------------------------------
// Oracles

/** Runs a layout on `bytes` from `offset`; any binary-parser failure (RangeError, assert) → undefined. */
function run<T>(layout: Parser, bytes: Uint8Array, offset: number): T | undefined {
  try {
    return layout.parse(bytes.subarray(offset)) as T;
  } catch {
    return undefined;
  }
}

/** Oracle for `decodeControlHeader`: same result, or `undefined` where it must throw. */
export function oracleControlHeader(
  bytes: Uint8Array,
  encap: Encapsulation,
  offset = 0,
): DecodedControlHeader | undefined {
  const available = bytes.length - offset;
  if (encap === 'ip') {
    const rec = run<{ zero: number; control: V3ControlRecord }>(v3IpControlLayout, bytes, offset);
    if (rec === undefined) return undefined;
    const c = rec.control;
    const ok = [
      rec.zero === 0,
      c.ver === 3,
      c.t === 1 && c.l === 1 && c.s === 1,
      c.length >= 12 && 4 + c.length <= available,
    ].every(Boolean);
    if (!ok) return undefined;
    return {
      header: { version: 3, connectionId: c.connectionId, ns: c.ns, nr: c.nr, length: c.length },
      avpStart: offset + 16,
      end: offset + 4 + c.length,
    };
  }
  const v2 = run<V2Record>(v2Layout, bytes, offset);
  if (v2 !== undefined && v2.ver === 2) {
    const ok = [
      v2.t === 1 && v2.l === 1 && v2.s === 1 && v2.o === 0,
      v2.length !== undefined && v2.length >= 12 && v2.length <= available,
    ].every(Boolean);
    if (!ok) return undefined;
    return {
      header: {
        version: 2,
        tunnelId: v2.tunnelId,
        sessionId: v2.sessionId,
        ns: v2.ns as number,
        nr: v2.nr as number,
        length: v2.length as number,
      },
      avpStart: offset + 12,
      end: offset + (v2.length as number),
    };
  }
  const c = run<V3ControlRecord>(v3ControlLayout, bytes, offset);
  if (c === undefined) return undefined;
  const ok = [
    c.ver === 3,
    c.t === 1 && c.l === 1 && c.s === 1,
    c.length >= 12 && c.length <= available,
  ].every(Boolean);
  if (!ok) return undefined;
  return {
    header: { version: 3, connectionId: c.connectionId, ns: c.ns, nr: c.nr, length: c.length },
    avpStart: offset + 12,
    end: offset + c.length,
  };
}

/** Oracle for `decodeDataV2`: same result, or `undefined` where it must throw. */
export function oracleDataV2(bytes: Uint8Array, offset = 0): DataMessageV2 | undefined {
  const r = run<V2Record>(v2Layout, bytes, offset);
  if (r === undefined) return undefined;
  const available = bytes.length - offset;
  const messageLength = r.length ?? available;
  const ok = [
    r.ver === 2,
    r.t === 0,
    r.length === undefined || r.length <= available,
    r.headerEnd <= messageLength,
  ].every(Boolean);
  if (!ok) return undefined;
  return {
    version: 2,
    tunnelId: r.tunnelId,
    sessionId: r.sessionId,
    length: r.length,
    ns: r.ns,
    nr: r.nr,
    offsetSize: r.offsetSize,
    priority: r.p === 1,
    payload: bytes.subarray(offset + r.headerEnd, offset + messageLength),
  };
}

/** Oracle for `decodeDataV3`: same result, or `undefined` where it must throw. */
export function oracleDataV3(
  bytes: Uint8Array,
  params: { encap: Encapsulation; cookieLength: CookieLength; sublayer: SublayerKind },
  offset = 0,
): DataMessageV3 | undefined {
  const layout = v3DataLayout(params.encap, params.cookieLength, params.sublayer);
  const r = run<V3DataRecord>(layout, bytes, offset);
  if (r === undefined) return undefined;
  const ok = [
    params.encap === 'ip' || (r.ver === 3 && r.t === 0),
    r.sessionId !== 0,
    r.headerEnd <= bytes.length - offset,
  ].every(Boolean);
  if (!ok) return undefined;
  const sl = r.sublayer;
  const atmFlags =
    params.sublayer === 'atm' && sl !== undefined
      ? [sl.b, sl.e, sl.t, sl.g, sl.c, sl.u].reduce<number>((acc, bit) => acc * 2 + (bit ?? 0), 0)
      : 0;
  return {
    version: 3,
    sessionId: r.sessionId,
    cookieOffset: offset + r.cookieStart,
    cookieLength: params.cookieLength,
    ns: sl !== undefined && sl.s === 1 ? sl.sequence : undefined,
    atmFlags,
    payload: bytes.subarray(offset + r.headerEnd),
  };
}

/** The six-octet AVP header as the oracle reads it (RFC 2661 §4.1). */
export interface OracleAvpHeader {
  readonly mandatory: boolean;
  readonly hidden: boolean;
  /** The 4 reserved bits, 0 … 15. */
  readonly reserved: number;
  /** The 10-bit Length (header included); not validated here. */
  readonly length: number;
  readonly vendorId: number;
  readonly attributeType: number;
}

/** Reads one AVP header at `offset`; `undefined` when fewer than 6 octets remain. */
export function oracleAvpHeader(bytes: Uint8Array, offset = 0): OracleAvpHeader | undefined {
  const r = run<{
    m: number;
    h: number;
    reserved: number;
    length: number;
    vendorId: number;
    attributeType: number;
  }>(avpHeaderLayout, bytes, offset);
  if (r === undefined) return undefined;
  return {
    mandatory: r.m === 1,
    hidden: r.h === 1,
    reserved: r.reserved,
    length: r.length,
    vendorId: r.vendorId,
    attributeType: r.attributeType,
  };
}

/** One AVP as the oracle reads it: the header plus a view of the value octets. */
export interface OracleAvp extends OracleAvpHeader {
  readonly value: Uint8Array;
}

/**
 * Reads the AVP list in `bytes[start, end)`; `undefined` when any AVP has Length < 6 or runs past
 * `end`, or when a partial header is left over (how an AVP decoder must reject).
 */
export function oracleAvps(bytes: Uint8Array, start: number, end: number): OracleAvp[] | undefined {
  let rec: { avps: (OracleAvpHeaderRecord & { value: Uint8Array })[] };
  try {
    rec = avpListLayout.parse(bytes.subarray(start, end));
  } catch {
    return undefined;
  }
  const out: OracleAvp[] = [];
  for (const a of rec.avps) {
    if (a.value.length !== a.length - 6) return undefined; // binary-parser clamps short buffers
    out.push({
      mandatory: a.m === 1,
      hidden: a.h === 1,
      reserved: a.reserved,
      length: a.length,
      vendorId: a.vendorId,
      attributeType: a.attributeType,
      value: a.value,
    });
  }
  return out;
}

interface OracleAvpHeaderRecord {
  m: number;
  h: number;
  reserved: number;
  length: number;
  vendorId: number;
  attributeType: number;
}
