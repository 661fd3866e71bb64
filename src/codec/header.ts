/**
 * L2TP header codec: control headers (v2, v3 over UDP, v3 over IP) and data headers (v2; v3 over
 * UDP and IP with a 0/4/8-octet cookie and no/default/ATM L2-Specific Sublayer).
 * RFC 2661 §3.1; RFC 3931 §3.2.1, §4.1, §4.1.1.1–2, §4.1.2.1, §4.6; RFC 4454 §4.1.
 * Not here: the AVP body of control messages (src/avp/raw.ts), demultiplexing (classify.ts),
 * sequence-number arithmetic (src/seq). Cookie length and sublayer are session parameters and are
 * never guessed from the bytes (RFC 3931 §4.1: "The Session ID alone provides the necessary context").
 * Decoders are total: any input gives a value or a DecodeError. Encoders write into caller buffers.
 */

import { DecodeError, UsageError } from '../errors.js';
import { isU16, isU32, needRoom, readU16, readU24, readU32, writeU16, writeU32 } from './bytes.js';
import { controlHeaderEnd } from './control-check.js';
import { plainView } from './view.js';

// ---------------------------------------------------------------------------------------------
// Layout constants

/** Bits of the first 16-bit word of every UDP-carried L2TP header (RFC 2661 §3.1, RFC 3931 §3.2.1). */
export const HEADER_BITS = {
  /** Type: 1 = control, 0 = data. */
  T: 0x8000,
  /** Length field present (v2; always 1 on control). */
  L: 0x4000,
  /** Ns/Nr present (v2; always 1 on control). */
  S: 0x0800,
  /** Offset Size present (v2 data only). */
  O: 0x0200,
  /** Priority (v2 data only). */
  P: 0x0100,
  /** The 4-bit Ver field. */
  VERSION: 0x000f,
} as const;

/** Bits of the first octet of the Default (RFC 3931 §4.6) and ATM (RFC 4454 §4.1) sublayers. */
export const SUBLAYER_BITS = {
  /** Sequence Number is valid. */
  S: 0x40,
  /** ATM: fragmentation B bit. */
  B: 0x20,
  /** ATM: fragmentation E bit. */
  E: 0x10,
  /** ATM: transport type (1 = admin cell). */
  T: 0x08,
  /** ATM: EFCI. */
  G: 0x04,
  /** ATM: CLP. */
  C: 0x02,
  /** ATM: command/response. */
  U: 0x01,
} as const;

/** Mask of the ATM sublayer flags carried in `atmFlags` (B, E, T, G, C, U). */
export const ATM_FLAGS_MASK = 0x3f;

/** Octets of a control header (v2, or v3 over UDP; v3 over IP adds the 4-octet zero Session ID). */
export const CONTROL_HEADER_LENGTH = 12;

const V2_CONTROL_WORD = HEADER_BITS.T | HEADER_BITS.L | HEADER_BITS.S | 2; // 0xc802
const V3_CONTROL_WORD = HEADER_BITS.T | HEADER_BITS.L | HEADER_BITS.S | 3; // 0xc803

// ---------------------------------------------------------------------------------------------
// Types

/** How L2TP is carried: over UDP (v2 and v3) or directly over IP protocol 115 (v3 only). */
export type Encapsulation = 'udp' | 'ip';

/** L2-Specific Sublayer of a v3 session (L2-Specific Sublayer AVP: 0 none, 1 default, 2 ATM). */
export type SublayerKind = 'none' | 'default' | 'atm';

/** Cookie length of a v3 session in octets (RFC 3931 §4.1: at most 64 bits). */
export type CookieLength = 0 | 4 | 8;

/** An L2TPv2 control message header (RFC 2661 §3.1): T=L=S=1, O=P=0. */
export interface ControlHeaderV2 {
  readonly version: 2;
  /** Tunnel ID of the recipient, 0 … 65535. */
  readonly tunnelId: number;
  /** Session ID of the recipient, 0 … 65535 (0 = tunnel-level message). */
  readonly sessionId: number;
  /** Send sequence number, 0 … 65535. */
  readonly ns: number;
  /** Next expected sequence number, 0 … 65535. */
  readonly nr: number;
  /** The Length field: octets of the whole message from the T bit on (12 for a ZLB). */
  readonly length: number;
}

/** An L2TPv3 control message header (RFC 3931 §3.2.1). */
export interface ControlHeaderV3 {
  readonly version: 3;
  /** Control Connection ID of the recipient, 0 … 2^32 − 1 (0 in an SCCRQ). */
  readonly connectionId: number;
  /** Send sequence number, 0 … 65535. */
  readonly ns: number;
  /** Next expected sequence number, 0 … 65535. */
  readonly nr: number;
  /**
   * The Length field: octets from the T bit to the end of the message. Over IP it excludes the
   * 4-octet zero Session ID (RFC 3931 §4.1.1.2).
   */
  readonly length: number;
}

/** A control message header of either version. */
export type ControlHeader = ControlHeaderV2 | ControlHeaderV3;

/** Result of `decodeControlHeader`. Offsets index the input array passed in. */
export interface DecodedControlHeader {
  readonly header: ControlHeader;
  /** Index of the first AVP octet (just after the header). */
  readonly avpStart: number;
  /** Index one past the last octet of the message (header start + Length); bytes after it are not part of it. */
  readonly end: number;
}

/** What a session knows about its data packets; L2TPv2 data always runs over UDP. */
export interface DataParamsV2 {
  readonly version: 2;
}

/** What an L2TPv3 session knows about its data packets (negotiated, not read from the packet). */
export interface DataParamsV3 {
  readonly version: 3;
  readonly encap: Encapsulation;
  readonly cookieLength: CookieLength;
  readonly sublayer: SublayerKind;
}

/** Session parameters for `decodeData`. */
export type DataParams = DataParamsV2 | DataParamsV3;

/**
 * Fields of an L2TPv2 data header, for encoding (RFC 2661 §3.1). Absent optional fields clear the
 * matching flag bit: `length` → L, `ns` → S (Nr defaults to 0: it is reserved on data messages),
 * `offsetSize` → O (the padding is written as zeros).
 */
export interface DataHeaderV2 {
  readonly version: 2;
  readonly tunnelId: number;
  readonly sessionId: number;
  /** The Length field value (whole message in octets). Omit to send without the L bit. */
  readonly length?: number | undefined;
  readonly ns?: number | undefined;
  readonly nr?: number | undefined;
  /** Octets of padding after the Offset Size field. Omit to send without the O bit. */
  readonly offsetSize?: number | undefined;
  /** The P bit: preferential treatment (e.g. LCP echo keepalives). */
  readonly priority?: boolean | undefined;
}

/** Fields of an L2TPv3 data header, for encoding (RFC 3931 §4.1.1.1, §4.1.2.1, §4.6; RFC 4454 §4.1). */
export interface DataHeaderV3 {
  readonly version: 3;
  readonly encap: Encapsulation;
  /** Session ID of the recipient, 1 … 2^32 − 1 (0 is reserved for control, RFC 3931 §4.1.1.1). */
  readonly sessionId: number;
  /** The session's cookie, 0, 4 or 8 octets; omitted = no cookie. */
  readonly cookie?: Uint8Array | undefined;
  readonly sublayer: SublayerKind;
  /** Sequence number 0 … 2^24 − 1; sets the sublayer S bit. Needs a default or ATM sublayer. */
  readonly ns?: number | undefined;
  /** ATM sublayer B/E/T/G/C/U bits (`SUBLAYER_BITS`, within `ATM_FLAGS_MASK`); ATM sublayer only. */
  readonly atmFlags?: number | undefined;
}

/** Fields of a data header of either version. */
export type DataHeader = DataHeaderV2 | DataHeaderV3;

/**
 * A decoded L2TPv2 data message. `payload` is a view into the input (zero-copy): it aliases the
 * received datagram, so copy it to keep it beyond the datagram's lifetime.
 */
export interface DataMessageV2 {
  readonly version: 2;
  readonly tunnelId: number;
  readonly sessionId: number;
  /** The Length field when the L bit was set; the payload then ends there. */
  readonly length: number | undefined;
  /** Ns when the S bit was set. */
  readonly ns: number | undefined;
  /** Nr when the S bit was set; reserved on data messages and to be ignored (RFC 2661 §3.1). */
  readonly nr: number | undefined;
  /** Offset Size when the O bit was set; that many padding octets were skipped. */
  readonly offsetSize: number | undefined;
  /** The P bit. */
  readonly priority: boolean;
  readonly payload: Uint8Array;
}

/**
 * A decoded L2TPv3 data message. The cookie is not copied or viewed (that would allocate per
 * packet): it sits at `cookieOffset` in the input; compare it with `cookieMatches` or view it with
 * `dataCookie`. `payload` is a view into the input (zero-copy; copy to keep).
 */
export interface DataMessageV3 {
  readonly version: 3;
  /** Session ID, 1 … 2^32 − 1. */
  readonly sessionId: number;
  /** Index of the cookie's first octet in the input array. */
  readonly cookieOffset: number;
  /** Cookie length from the session parameters. */
  readonly cookieLength: CookieLength;
  /** Sublayer sequence number when the sublayer's S bit was set (RFC 3931 §4.6). */
  readonly ns: number | undefined;
  /** ATM sublayer B/E/T/G/C/U bits; 0 for the default sublayer or none (reserved bits ignored). */
  readonly atmFlags: number;
  readonly payload: Uint8Array;
}

/** A decoded data message of either version. */
export type DataMessage = DataMessageV2 | DataMessageV3;

// ---------------------------------------------------------------------------------------------
// Control headers

/**
 * Decodes the control header at `offset` (v2 or v3 over UDP; v3 over IP when `encap` is 'ip',
 * where the 4-octet zero Session ID comes first).
 *
 * Throws DecodeError: `L2TP_ERR_TRUNCATED` (too short), `L2TP_ERR_BAD_VERSION` (Ver not 2 or 3, or
 * not 3 over IP; RFC 2661 §3.1: such packets are discarded), `L2TP_ERR_BAD_HEADER` (a data message,
 * or T/L/S not all set, or O set on v2), `L2TP_ERR_BAD_LENGTH` (Length below 12 or past the input).
 * Reserved bits (and P) are ignored.
 */
export function decodeControlHeader(
  bytes: Uint8Array,
  encap: Encapsulation,
  offset = 0,
): DecodedControlHeader {
  const end = controlHeaderEnd(bytes, encap, offset);
  const start = encap === 'ip' ? offset + 4 : offset;
  const ns = readU16(bytes, start + 8);
  const nr = readU16(bytes, start + 10);
  const length = end - start;
  const header: ControlHeader =
    ((bytes[start + 1] as number) & HEADER_BITS.VERSION) === 2
      ? {
          version: 2,
          tunnelId: readU16(bytes, start + 4),
          sessionId: readU16(bytes, start + 6),
          ns,
          nr,
          length,
        }
      : { version: 3, connectionId: readU32(bytes, start + 4), ns, nr, length };
  return { header, avpStart: start + CONTROL_HEADER_LENGTH, end };
}

/**
 * Octets a control header takes: 12, or 16 for v3 over IP (zero Session ID included).
 * Throws UsageError for v2 over IP, which does not exist.
 */
export function controlHeaderLength(version: 2 | 3, encap: Encapsulation = 'udp'): number {
  if (encap === 'udp') return CONTROL_HEADER_LENGTH;
  if (version === 3) return CONTROL_HEADER_LENGTH + 4;
  throw new UsageError('L2TPv2 runs over UDP only');
}

/**
 * Writes `header` into `target` at `offset` (preceded by the zero Session ID for v3 over IP) and
 * returns the index just after it; the AVPs go there. `header.length` is written as given: it must
 * count the whole message (12 for a ZLB). Reserved bits are written as 0.
 * Throws UsageError on out-of-range fields or a target too small.
 */
export function encodeControlHeader(
  header: ControlHeader,
  target: Uint8Array,
  offset = 0,
  encap: Encapsulation = 'udp',
): number {
  const size = controlHeaderLength(header.version, encap);
  needRoom(target, offset, size, 'control header');
  if (!isU16(header.ns) || !isU16(header.nr)) {
    throw new UsageError(`Ns/Nr out of range: ${header.ns}/${header.nr}`);
  }
  if (!isU16(header.length) || header.length < CONTROL_HEADER_LENGTH) {
    throw new UsageError(`control Length ${header.length} outside 12 … 65535`);
  }
  let i = offset;
  if (header.version === 2) {
    if (!isU16(header.tunnelId) || !isU16(header.sessionId)) {
      throw new UsageError(`L2TPv2 ids out of range: ${header.tunnelId}/${header.sessionId}`);
    }
    writeU16(target, i, V2_CONTROL_WORD);
    writeU16(target, i + 2, header.length);
    writeU16(target, i + 4, header.tunnelId);
    writeU16(target, i + 6, header.sessionId);
  } else {
    if (!isU32(header.connectionId)) {
      throw new UsageError(`Control Connection ID out of range: ${header.connectionId}`);
    }
    if (encap === 'ip') {
      writeU32(target, i, 0);
      i += 4;
    }
    writeU16(target, i, V3_CONTROL_WORD);
    writeU16(target, i + 2, header.length);
    writeU32(target, i + 4, header.connectionId);
  }
  writeU16(target, i + 8, header.ns);
  writeU16(target, i + 10, header.nr);
  return i + CONTROL_HEADER_LENGTH;
}

// ---------------------------------------------------------------------------------------------
// Data headers: decode

/**
 * Decodes the data message at `offset` with the session's parameters. Dispatches to
 * `decodeDataV2` / `decodeDataV3`; call those directly for a precise result type.
 */
export function decodeData(bytes: Uint8Array, params: DataParams, offset = 0): DataMessage {
  return params.version === 2 ? decodeDataV2(bytes, offset) : decodeDataV3(bytes, params, offset);
}

/**
 * Decodes an L2TPv2 data message at `offset` (RFC 2661 §3.1), honouring the L, S, O and P bits.
 * With L, the message ends at Length (later octets are ignored); without it, at the end of `bytes`.
 * Offset padding is skipped. Throws DecodeError: `L2TP_ERR_BAD_VERSION` (Ver ≠ 2),
 * `L2TP_ERR_BAD_HEADER` (T = 1), `L2TP_ERR_TRUNCATED`, `L2TP_ERR_BAD_LENGTH`.
 * Allocates only the result and the payload view.
 */
export function decodeDataV2(bytes: Uint8Array, offset = 0): DataMessageV2 {
  const n = bytes.length;
  if (offset + 6 > n) throw truncatedData(bytes, offset, 6);
  const word = ((bytes[offset] as number) << 8) | (bytes[offset + 1] as number);
  if ((word & (HEADER_BITS.T | HEADER_BITS.VERSION)) !== 2) throw badDataWord(word, 2, offset);
  if ((word & (HEADER_BITS.L | HEADER_BITS.O)) !== 0) return decodeDataV2Full(bytes, offset, word);
  // Common case, kept small enough for V8 to inline: no Length, no Offset Size.
  let ns: number | undefined;
  let nr: number | undefined;
  let i = offset + 6;
  if (word & HEADER_BITS.S) {
    if (offset + 10 > n) throw truncatedData(bytes, offset, 10);
    ns = readU16(bytes, i);
    nr = readU16(bytes, i + 2);
    i += 4;
  }
  return {
    version: 2,
    tunnelId: readU16(bytes, offset + 2),
    sessionId: readU16(bytes, offset + 4),
    length: undefined,
    ns,
    nr,
    offsetSize: undefined,
    priority: (word & HEADER_BITS.P) !== 0,
    payload: bytes.subarray(i),
  };
}

function decodeDataV2Full(bytes: Uint8Array, offset: number, word: number): DataMessageV2 {
  const n = bytes.length;
  let i = offset + 2;
  let length: number | undefined;
  let ns: number | undefined;
  let nr: number | undefined;
  let offsetSize: number | undefined;
  // Size of everything up to Offset Size, so one bounds check covers all fixed fields.
  const fixed =
    6 +
    (word & HEADER_BITS.L ? 2 : 0) +
    (word & HEADER_BITS.S ? 4 : 0) +
    (word & HEADER_BITS.O ? 2 : 0);
  if (offset + fixed > n) throw truncatedData(bytes, offset, fixed);
  if (word & HEADER_BITS.L) {
    length = readU16(bytes, i);
    i += 2;
  }
  const tunnelId = readU16(bytes, i);
  const sessionId = readU16(bytes, i + 2);
  i += 4;
  if (word & HEADER_BITS.S) {
    ns = readU16(bytes, i);
    nr = readU16(bytes, i + 2);
    i += 4;
  }
  if (word & HEADER_BITS.O) {
    offsetSize = readU16(bytes, i);
    i += 2 + offsetSize;
  }
  let end = n;
  if (length !== undefined) {
    end = offset + length;
    if (end < i || end > n) throw badDataLength(bytes, offset, length, i - offset);
  } else if (i > n) {
    throw truncatedData(bytes, offset, i - offset);
  }
  return {
    version: 2,
    tunnelId,
    sessionId,
    length,
    ns,
    nr,
    offsetSize,
    priority: (word & HEADER_BITS.P) !== 0,
    payload: bytes.subarray(i, end),
  };
}

/**
 * Decodes an L2TPv3 data message at `offset` with the session's encapsulation, cookie length and
 * sublayer (RFC 3931 §4.1.1.1, §4.1.2.1, §4.6; RFC 4454 §4.1). The payload runs to the end of
 * `bytes`. Throws DecodeError: `L2TP_ERR_BAD_VERSION` (UDP: Ver ≠ 3), `L2TP_ERR_BAD_HEADER`
 * (UDP: T = 1; Session ID 0), `L2TP_ERR_TRUNCATED`. Allocates only the result and the payload view
 * (a plain Uint8Array, even for a Buffer `bytes`).
 */
export function decodeDataV3(bytes: Uint8Array, params: DataParamsV3, offset = 0): DataMessageV3 {
  const cookieLength = params.cookieLength;
  const sublayer = params.sublayer;
  const udp = params.encap === 'udp';
  const i = udp ? offset + 4 : offset; // Session ID
  const headerEnd = i + 4 + cookieLength + (sublayer === 'none' ? 0 : 4);
  if (udp) {
    if (offset + 2 > bytes.length) throw truncatedData(bytes, offset, 2);
    // RFC 3931 §4.1.2.1: inspect Ver before any other bit.
    const word = ((bytes[offset] as number) << 8) | (bytes[offset + 1] as number);
    if ((word & (HEADER_BITS.T | HEADER_BITS.VERSION)) !== 3) throw badDataWord(word, 3, offset);
  }
  if (headerEnd > bytes.length) throw truncatedData(bytes, offset, headerEnd - offset);
  const sessionId = readU32(bytes, i);
  if (sessionId === 0) throw zeroSessionId(i);
  let ns: number | undefined;
  let atmFlags = 0;
  if (sublayer !== 'none') {
    const at = headerEnd - 4;
    const flags = bytes[at] as number;
    // RFC 3931 §4.6: with S = 0 the Sequence Number is undefined and MUST be ignored.
    if ((flags & SUBLAYER_BITS.S) !== 0) ns = readU24(bytes, at + 1);
    if (sublayer === 'atm') atmFlags = flags & ATM_FLAGS_MASK;
  }
  return {
    version: 3,
    sessionId,
    cookieOffset: i + 4,
    cookieLength,
    ns,
    atmFlags,
    payload: plainView(bytes, headerEnd, bytes.length - headerEnd),
  };
}

// Cold paths of the data decoders, kept out of line so the hot functions stay small.

function truncatedData(bytes: Uint8Array, offset: number, needed: number): DecodeError {
  return new DecodeError(
    'L2TP_ERR_TRUNCATED',
    `truncated data header: needs ${needed} octets, got ${bytes.length - offset}`,
    { offset },
  );
}

function badDataWord(word: number, version: 2 | 3, offset: number): DecodeError {
  if ((word & HEADER_BITS.VERSION) !== version) {
    return new DecodeError(
      'L2TP_ERR_BAD_VERSION',
      `expected L2TP version ${version}, got ${word & HEADER_BITS.VERSION}`,
      { offset: offset + 1 },
    );
  }
  return new DecodeError('L2TP_ERR_BAD_HEADER', 'not a data message: T bit is 1', { offset });
}

function badDataLength(
  bytes: Uint8Array,
  offset: number,
  length: number,
  header: number,
): DecodeError {
  return new DecodeError(
    'L2TP_ERR_BAD_LENGTH',
    `data Length ${length} outside the ${header}-octet header … ${bytes.length - offset} octets received`,
    { offset: offset + 2 },
  );
}

function zeroSessionId(offset: number): DecodeError {
  return new DecodeError(
    'L2TP_ERR_BAD_HEADER',
    'L2TPv3 data message with Session ID 0 (reserved for control, RFC 3931 §4.1.1.1)',
    { offset },
  );
}

/**
 * True when the cookie of `message` (decoded from `bytes`) equals `expected` octet for octet.
 * No allocation. RFC 3931 §4.5: a packet whose cookie does not match MUST be dropped.
 */
export function cookieMatches(
  bytes: Uint8Array,
  message: DataMessageV3,
  expected: Uint8Array,
): boolean {
  const n = message.cookieLength;
  if (expected.length !== n) return false;
  const at = message.cookieOffset;
  for (let k = 0; k < n; k++) {
    if (bytes[at + k] !== expected[k]) return false;
  }
  return true;
}

/** The cookie of `message` as a view into `bytes` (allocates a view; for logs and tests). */
export function dataCookie(bytes: Uint8Array, message: DataMessageV3): Uint8Array {
  return bytes.subarray(message.cookieOffset, message.cookieOffset + message.cookieLength);
}

// ---------------------------------------------------------------------------------------------
// Data headers: encode

/** Octets the data header described by `fields` takes (offset padding and cookie included). */
export function dataHeaderLength(fields: DataHeader): number {
  if (fields.version === 2) {
    return (
      6 +
      (fields.length === undefined ? 0 : 2) +
      (fields.ns === undefined ? 0 : 4) +
      (fields.offsetSize === undefined ? 0 : 2 + fields.offsetSize)
    );
  }
  return (
    (fields.encap === 'udp' ? 8 : 4) +
    (fields.cookie === undefined ? 0 : fields.cookie.length) +
    (fields.sublayer === 'none' ? 0 : 4)
  );
}

/**
 * Writes the data header described by `fields` into `target` at `offset` and returns the index
 * just after it, where the payload goes. Reserved bits are written as 0, offset padding as zeros.
 * Throws UsageError for out-of-range fields or a target too small. No allocation.
 */
export function encodeDataHeader(fields: DataHeader, target: Uint8Array, offset = 0): number {
  return fields.version === 2
    ? encodeDataHeaderV2(fields, target, offset)
    : encodeDataHeaderV3(fields, target, offset);
}

// The encoders below are the data fast path: bytes are stored inline (measurably faster than
// helper calls here), and the UsageError text is built in cold functions so the hot ones stay
// small enough to inline.

/** `encodeDataHeader` for L2TPv2 (RFC 2661 §3.1). */
export function encodeDataHeaderV2(fields: DataHeaderV2, target: Uint8Array, offset = 0): number {
  if (fields.length !== undefined || fields.offsetSize !== undefined) {
    return encodeDataHeaderV2Full(fields, target, offset);
  }
  // Common case, kept small enough for V8 to inline: no Length, no Offset Size.
  const { tunnelId, sessionId, ns, nr } = fields;
  const size = ns === undefined ? 6 : 10;
  if (
    (tunnelId & 0xffff) !== tunnelId ||
    (sessionId & 0xffff) !== sessionId ||
    (ns === undefined ? nr !== undefined : (ns & 0xffff) !== ns || !isU16(nr ?? 0))
  ) {
    throw badDataHeaderV2(fields, size);
  }
  if (offset >>> 0 !== offset || offset + size > target.length) throw noRoom(target, offset, size);
  target[offset] =
    ((ns === undefined ? 0 : HEADER_BITS.S) | (fields.priority === true ? HEADER_BITS.P : 0)) >>> 8;
  target[offset + 1] = 2;
  target[offset + 2] = tunnelId >>> 8;
  target[offset + 3] = tunnelId;
  target[offset + 4] = sessionId >>> 8;
  target[offset + 5] = sessionId;
  if (ns !== undefined) {
    const r = nr ?? 0; // Nr is reserved on data messages (RFC 2661 §3.1)
    target[offset + 6] = ns >>> 8;
    target[offset + 7] = ns;
    target[offset + 8] = r >>> 8;
    target[offset + 9] = r;
  }
  return offset + size;
}

function encodeDataHeaderV2Full(fields: DataHeaderV2, target: Uint8Array, offset: number): number {
  const { tunnelId, sessionId, length, ns, nr, offsetSize } = fields;
  let word = 2;
  let size = 6;
  if (length !== undefined) {
    word |= HEADER_BITS.L;
    size += 2;
  }
  if (ns !== undefined) {
    word |= HEADER_BITS.S;
    size += 4;
  }
  if (offsetSize !== undefined) {
    word |= HEADER_BITS.O;
    size += 2 + offsetSize;
  }
  if (fields.priority === true) word |= HEADER_BITS.P;
  if (
    !isU16(tunnelId) ||
    !isU16(sessionId) ||
    (ns === undefined ? nr !== undefined : !isU16(ns) || !isU16(nr ?? 0)) ||
    (offsetSize !== undefined && !isU16(offsetSize)) ||
    (length !== undefined && (!isU16(length) || length < size))
  ) {
    throw badDataHeaderV2(fields, size);
  }
  if (offset >>> 0 !== offset || offset + size > target.length) throw noRoom(target, offset, size);
  writeU16(target, offset, word);
  let i = offset + 2;
  if (length !== undefined) {
    writeU16(target, i, length);
    i += 2;
  }
  writeU16(target, i, tunnelId);
  writeU16(target, i + 2, sessionId);
  i += 4;
  if (ns !== undefined) {
    writeU16(target, i, ns);
    writeU16(target, i + 2, nr ?? 0);
    i += 4;
  }
  if (offsetSize !== undefined) {
    writeU16(target, i, offsetSize);
    i += 2;
    target.fill(0, i, i + offsetSize);
    i += offsetSize;
  }
  return i;
}

/** `encodeDataHeader` for L2TPv3 (RFC 3931 §4.1.1.1, §4.1.2.1, §4.6; RFC 4454 §4.1). */
export function encodeDataHeaderV3(fields: DataHeaderV3, target: Uint8Array, offset = 0): number {
  const { sessionId, cookie, ns, sublayer, atmFlags } = fields;
  const cookieLength = cookie === undefined ? 0 : cookie.length;
  const udp = fields.encap === 'udp';
  const size = (udp ? 8 : 4) + cookieLength + (sublayer === 'none' ? 0 : 4);
  if (
    sessionId === 0 ||
    sessionId >>> 0 !== sessionId ||
    (cookieLength !== 0 && cookieLength !== 4 && cookieLength !== 8) ||
    (ns !== undefined && (sublayer === 'none' || (ns & 0xffffff) !== ns)) ||
    (atmFlags !== undefined && atmFlags !== 0 && !validAtmFlags(sublayer, atmFlags))
  ) {
    throw badDataHeaderV3(fields);
  }
  if (offset >>> 0 !== offset || offset + size > target.length) throw noRoom(target, offset, size);
  let i = offset;
  if (udp) {
    writeU32(target, i, 0x00030000); // T = 0, Ver = 3, Reserved = 0 (RFC 3931 §4.1.2.1)
    i += 4;
  }
  writeU32(target, i, sessionId);
  i += 4;
  if (cookieLength !== 0) i = writeCookie(target, i, cookie as Uint8Array, cookieLength);
  if (sublayer !== 'none') {
    const seq = ns ?? 0;
    target[i] = (ns === undefined ? 0 : SUBLAYER_BITS.S) | (atmFlags ?? 0);
    target[i + 1] = seq >>> 16;
    target[i + 2] = seq >>> 8;
    target[i + 3] = seq;
    i += 4;
  }
  return i;
}

function validAtmFlags(sublayer: SublayerKind, atmFlags: number): boolean {
  return sublayer === 'atm' && (atmFlags & ATM_FLAGS_MASK) === atmFlags;
}

/** Copies a 4- or 8-octet cookie; unrolled, as TypedArray#set or a loop costs more here. */
function writeCookie(target: Uint8Array, i: number, c: Uint8Array, length: 4 | 8): number {
  target[i] = c[0] as number;
  target[i + 1] = c[1] as number;
  target[i + 2] = c[2] as number;
  target[i + 3] = c[3] as number;
  if (length === 8) {
    target[i + 4] = c[4] as number;
    target[i + 5] = c[5] as number;
    target[i + 6] = c[6] as number;
    target[i + 7] = c[7] as number;
  }
  return i + length;
}

function badDataHeaderV2(f: DataHeaderV2, size: number): UsageError {
  return new UsageError(
    `invalid L2TPv2 data header: tunnel ${f.tunnelId} session ${f.sessionId} Ns ${f.ns} ` +
      `Nr ${f.nr} Offset Size ${f.offsetSize} Length ${f.length} ` +
      `(ids, Ns, Nr, Offset Size: 0 … 65535; Nr needs Ns; Length ${size} … 65535)`,
  );
}

function badDataHeaderV3(f: DataHeaderV3): UsageError {
  return new UsageError(
    `invalid L2TPv3 data header: session ${f.sessionId} cookie ${f.cookie?.length ?? 0} octets ` +
      `sublayer ${f.sublayer} Ns ${f.ns} ATM flags ${f.atmFlags} (Session ID 1 … 2^32-1; ` +
      'cookie 0/4/8 octets; Ns needs a sublayer and fits 24 bits; ATM flags need the ATM ' +
      'sublayer and fit 0x3f)',
  );
}

function noRoom(target: Uint8Array, offset: number, size: number): UsageError {
  return new UsageError(
    `data header needs ${size} bytes at offset ${offset}, buffer has ${target.length}`,
  );
}

/**
 * Scatter/gather encode: returns `[header, payload]`, where `header` is a new Uint8Array of
 * `dataHeaderLength(fields)` octets and `payload` is the argument itself (never copied), ready for
 * a vectored send such as `socket.send([header, payload])`. For v2 with `length` present (any
 * value), the L bit is set and Length is computed as header + payload octets.
 * To build the whole datagram in one buffer instead, reserve `dataHeaderLength(fields)` octets of
 * headroom before the payload and call `encodeDataHeader`.
 */
export function encodeData(
  fields: DataHeader,
  payload: Uint8Array,
): [header: Uint8Array, payload: Uint8Array] {
  let f = fields;
  if (f.version === 2 && f.length !== undefined) {
    f = { ...f, length: dataHeaderLength(f) + payload.length };
  }
  const header = new Uint8Array(dataHeaderLength(f));
  encodeDataHeader(f, header, 0);
  return [header, payload];
}
