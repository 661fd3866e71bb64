/**
 * AVP value codecs, one per value kind: pure functions from value bytes to a typed value and back.
 *
 * Lives here: the list of kinds, their TypeScript value types, `decodeValue` / `encodeValue` and
 * the per-kind codecs in `VALUE_CODECS`. Not here: which attribute uses which kind, lengths per
 * attribute and M/H rules (registry.ts), AVP headers (raw.ts), hiding (hidden.ts).
 * Every codec is lossless: for any bytes a decoder accepts, encoding the result gives the same
 * bytes back (reserved fields are kept in the value). Formats: RFC 2661 §4.4, RFC 3931 §5.4,
 * RFC 3145 §2, RFC 4454 §8.1, RFC 4951 §5, RFC 5515 §6.1, RFC 5641 §2.
 */
import { readU16, readU32, writeU16, writeU32 } from '../codec/bytes.js';
import { DecodeError, UsageError } from '../errors.js';

/** Every value kind the registry can name. */
export const VALUE_KINDS = [
  'empty',
  'u8',
  'u16',
  'u32',
  'u64',
  'string',
  'bytes',
  'messageType',
  'resultCode',
  'protocolVersion',
  'bitset32',
  'q931Cause',
  'callErrors',
  'accm',
  'proxyAuthenId',
  'pwCapList',
  'circuitStatus',
  'cookie',
  'l2SpecificSublayer',
  'dataSequencing',
  'messageDigest',
  'extendedVendor',
  'pppDisconnectCause',
  'failoverCapability',
  'tunnelRecovery',
  'suggestedControlSequence',
  'failoverSessionState',
  'atmAlarmStatus',
  'connectSpeedUpdate',
] as const;

/** Name of a value kind. */
export type ValueKind = (typeof VALUE_KINDS)[number];

/**
 * Text AVP value. `bytes` is authoritative (RFC 2661 calls Host Name and Private Group ID
 * arbitrary octets, and peers send Latin-1 or worse); `text` is a UTF-8 reading of them, with
 * U+FFFD for invalid sequences, for display and comparison. Encoding writes `bytes`.
 * After decode, `bytes` is a view into the input (copy to keep).
 */
export interface StringValue {
  readonly bytes: Uint8Array;
  readonly text: string;
}

/** Result Code AVP (RFC 2661 §4.4.2, RFC 3931 §5.4.2). Error Code and message are optional. */
export interface ResultCodeValue {
  readonly resultCode: number;
  /** Absent when the AVP is 2 bytes long (MikroTik and Android send that). */
  readonly errorCode?: number;
  /** Only with an Error Code; an empty message is the same as none. */
  readonly errorMessage?: StringValue;
}

/** Protocol Version AVP (RFC 2661 §4.4.3): L2TPv2 sends version 1, revision 0. */
export interface ProtocolVersionValue {
  readonly version: number;
  readonly revision: number;
}

/** Q.931 Cause Code AVP (RFC 2661 §4.4.4). */
export interface Q931CauseValue {
  readonly causeCode: number;
  readonly causeMessage: number;
  /** Optional advisory text; an empty one is the same as none. */
  readonly advisory?: StringValue;
}

/** Call Errors / Circuit Errors AVP (RFC 2661 §4.4.6, RFC 3931 §5.4.5): six 32-bit counters. */
export interface CallErrorsValue {
  /** 2 reserved octets (MUST be 0 on send), kept for lossless re-encoding. */
  readonly reserved: number;
  readonly crcErrors: number;
  readonly framingErrors: number;
  readonly hardwareOverruns: number;
  readonly bufferOverruns: number;
  readonly timeoutErrors: number;
  readonly alignmentErrors: number;
}

/** ACCM AVP (RFC 2661 §4.4.6). */
export interface AccmValue {
  readonly reserved: number;
  readonly sendAccm: number;
  readonly receiveAccm: number;
}

/** Proxy Authen ID AVP (RFC 2661 §4.4.5): the high octet MUST be 0, the low one is the ID. */
export interface ProxyAuthenIdValue {
  readonly reserved: number;
  readonly id: number;
}

/** Circuit Status AVP (RFC 3931 §5.4.5, RFC 5641 §2). */
export interface CircuitStatusValue {
  /** A: the circuit is up. */
  readonly active: boolean;
  /** N: status is for a new circuit (deprecated by RFC 5641: ignore on receipt). */
  readonly new: boolean;
  /** R: local attachment circuit (ingress) receive fault. */
  readonly acRxFault: boolean;
  /** T: local attachment circuit (egress) transmit fault. */
  readonly acTxFault: boolean;
  /** I: local PSN-facing PW (ingress) receive fault. */
  readonly pwRxFault: boolean;
  /** E: local PSN-facing PW (egress) transmit fault. */
  readonly pwTxFault: boolean;
  /** S: the pseudowire is in standby. */
  readonly standby: boolean;
  /** The unassigned bits (mask 0xff80) as on the wire. */
  readonly reserved: number;
}

/** Message Digest AVP (RFC 3931 §5.4.1). */
export interface MessageDigestValue {
  /** 0 HMAC-MD5 (16-byte digest), 1 HMAC-SHA-1 (20 bytes); other types are kept as is. */
  readonly digestType: number;
  /** After decode, a view into the input. */
  readonly digest: Uint8Array;
}

/** Extended Vendor ID AVP (RFC 3931 §5.1): a vendor AVP with a 32-bit Vendor ID. */
export interface ExtendedVendorValue {
  readonly vendorId: number;
  readonly attributeType: number;
  /** After decode, a view into the input. */
  readonly value: Uint8Array;
}

/** PPP Disconnect Cause Code AVP (RFC 3145 §2). */
export interface PppDisconnectCauseValue {
  readonly disconnectCode: number;
  /** PPP control protocol number, e.g. 0xc021 for LCP; 0 for global errors. */
  readonly controlProtocol: number;
  /** 0 global, 1 at peer, 2 at local. */
  readonly direction: number;
  /** Optional UTF-8 text; an empty one is the same as none. */
  readonly message?: StringValue;
}

/** Failover Capability AVP (RFC 4951 §5.1). */
export interface FailoverCapabilityValue {
  /** C bit: control channel failover supported. */
  readonly control: boolean;
  /** D bit: data channel (sequence number) recovery supported. */
  readonly data: boolean;
  /** Other bits of the first 16-bit word (mask 0xfffc) as on the wire. */
  readonly reserved: number;
  /** Recovery Time in milliseconds. */
  readonly recoveryTime: number;
}

/**
 * Tunnel Recovery AVP (RFC 4951 §5.2). For L2TPv2 the ids are 16 bits in the low half of each
 * 32-bit field (the high half is reserved); they are read as 32-bit values either way.
 */
export interface TunnelRecoveryValue {
  readonly reserved: number;
  readonly recoverTunnelId: number;
  readonly recoverRemoteTunnelId: number;
}

/** Suggested Control Sequence AVP (RFC 4951 §5.3). */
export interface SuggestedControlSequenceValue {
  readonly reserved: number;
  readonly ns: number;
  readonly nr: number;
}

/** Failover Session State AVP (RFC 4951 §5.4); v2 session ids sit in the low 16 bits. */
export interface FailoverSessionStateValue {
  readonly reserved: number;
  readonly sessionId: number;
  readonly remoteSessionId: number;
}

/** ATM Alarm Status AVP (RFC 4454 §8.1). */
export interface AtmAlarmStatusValue {
  readonly circuitStatusReason: number;
  readonly alarmType: number;
}

/**
 * Connect Speed Update AVP (RFC 5515 §6.1): 12 bytes on L2TPv2 (16-bit session id, 32-bit
 * speeds), 20 bytes on L2TPv3 (32-bit session id, 64-bit speeds). Speeds in bits per second.
 */
export type ConnectSpeedUpdateValue =
  | {
      readonly format: 'v2';
      readonly reserved: number;
      readonly remoteSessionId: number;
      readonly txConnectSpeed: number;
      readonly rxConnectSpeed: number;
    }
  | {
      readonly format: 'v3';
      readonly remoteSessionId: number;
      readonly txConnectSpeed: bigint;
      readonly rxConnectSpeed: bigint;
    };

/** The TypeScript type of a decoded value, per kind. */
export interface ValueByKind {
  /** No Attribute Value (e.g. Sequencing Required): presence is the information. */
  empty: null;
  u8: number;
  u16: number;
  u32: number;
  /** 64-bit counters and speeds, tie breakers. */
  u64: bigint;
  string: StringValue;
  /** Opaque octets; after decode, a view into the input. */
  bytes: Uint8Array;
  messageType: number;
  resultCode: ResultCodeValue;
  protocolVersion: ProtocolVersionValue;
  /** 32-bit mask (Framing / Bearer Capabilities and Types); see FramingBit, BearerBit. */
  bitset32: number;
  q931Cause: Q931CauseValue;
  callErrors: CallErrorsValue;
  accm: AccmValue;
  proxyAuthenId: ProxyAuthenIdValue;
  /** Pseudowire types, in wire order. */
  pwCapList: readonly number[];
  circuitStatus: CircuitStatusValue;
  /** 0, 4 or 8 bytes (RFC 3931 §5.4.4); after decode, a view into the input. */
  cookie: Uint8Array;
  l2SpecificSublayer: number;
  dataSequencing: number;
  messageDigest: MessageDigestValue;
  extendedVendor: ExtendedVendorValue;
  pppDisconnectCause: PppDisconnectCauseValue;
  failoverCapability: FailoverCapabilityValue;
  tunnelRecovery: TunnelRecoveryValue;
  suggestedControlSequence: SuggestedControlSequenceValue;
  failoverSessionState: FailoverSessionStateValue;
  atmAlarmStatus: AtmAlarmStatusValue;
  connectSpeedUpdate: ConnectSpeedUpdateValue;
}

/** A decoded value tagged with its kind. */
export type TypedValue = {
  [K in ValueKind]: { readonly kind: K; readonly value: ValueByKind[K] };
}[ValueKind];

/** Where a value came from, copied into any DecodeError thrown. */
export interface ValueContext {
  readonly attributeType?: number;
  readonly vendorId?: number;
  /** Byte offset of the value in the datagram. */
  readonly offset?: number;
}

/** A pair of pure functions for one kind. */
export interface ValueCodec<T> {
  /** Decodes value bytes; throws DecodeError `L2TP_ERR_BAD_AVP_VALUE`, never anything else. */
  readonly decode: (bytes: Uint8Array, ctx?: ValueContext) => T;
  /** Encodes into a new array; throws UsageError for values that cannot be represented. */
  readonly encode: (value: T) => Uint8Array;
}

const NO_CONTEXT: ValueContext = {};
const utf8 = new TextDecoder('utf-8');
const utf8Encoder = new TextEncoder();

function bad(ctx: ValueContext, message: string): never {
  throw new DecodeError('L2TP_ERR_BAD_AVP_VALUE', message, ctx);
}

function exactly(bytes: Uint8Array, n: number, ctx: ValueContext, what: string): void {
  if (bytes.length !== n) bad(ctx, `${what}: value must be ${n} bytes, got ${bytes.length}`);
}

function atLeast(bytes: Uint8Array, n: number, ctx: ValueContext, what: string): void {
  if (bytes.length < n) bad(ctx, `${what}: value must be at least ${n} bytes, got ${bytes.length}`);
}

function checkUint(value: number, max: number, what: string): void {
  if (!Number.isInteger(value) || value < 0 || value > max) {
    throw new UsageError(`${what} must be an integer in 0…${max}, got ${value}`);
  }
}

const U64_MAX = 0xffff_ffff_ffff_ffffn;

function checkU64(value: bigint, what: string): void {
  if (typeof value !== 'bigint' || value < 0n || value > U64_MAX) {
    throw new UsageError(`${what} must be a bigint in 0…2^64-1, got ${String(value)}`);
  }
}

function readU64(bytes: Uint8Array, i: number): bigint {
  return (BigInt(readU32(bytes, i)) << 32n) | BigInt(readU32(bytes, i + 4));
}

function writeU64(target: Uint8Array, i: number, value: bigint): void {
  writeU32(target, i, Number(value >> 32n));
  writeU32(target, i + 4, Number(value & 0xffff_ffffn));
}

function checkBytes(value: Uint8Array, what: string): void {
  if (!(value instanceof Uint8Array)) throw new UsageError(`${what} must be a Uint8Array`);
}

/** Builds a StringValue from text (encoded as UTF-8) or from raw octets. */
export function stringValue(source: string | Uint8Array): StringValue {
  if (typeof source === 'string') return { bytes: utf8Encoder.encode(source), text: source };
  return { bytes: source, text: decodeText(source) };
}

// Host and vendor names are short ASCII in practice; TextDecoder costs ~200 ns a call on V8.
function decodeText(bytes: Uint8Array): string {
  if (bytes.length > 64) return utf8.decode(bytes);
  let text = '';
  for (let i = 0; i < bytes.length; i++) {
    const c = bytes[i] as number;
    if (c >= 0x80) return utf8.decode(bytes);
    text += String.fromCharCode(c);
  }
  return text;
}

function checkString(value: StringValue, what: string): void {
  if (typeof value !== 'object' || value === null)
    throw new UsageError(`${what} must be a StringValue`);
  checkBytes(value.bytes, `${what}.bytes`);
}

/** Optional trailing text: absent when there are no bytes left (RFC 2661 "presence indicated by the AVP Length"). */
function tail(bytes: Uint8Array, start: number): StringValue | undefined {
  return bytes.length > start ? stringValue(bytes.subarray(start)) : undefined;
}

function tailLength(value: StringValue | undefined, what: string): number {
  if (value === undefined) return 0;
  checkString(value, what);
  return value.bytes.length;
}

function uintCodec(bytesLength: 1 | 2 | 4, what: string): ValueCodec<number> {
  const max = bytesLength === 4 ? 0xffff_ffff : bytesLength === 2 ? 0xffff : 0xff;
  return {
    decode(bytes, ctx = NO_CONTEXT) {
      exactly(bytes, bytesLength, ctx, what);
      return bytesLength === 4
        ? readU32(bytes, 0)
        : bytesLength === 2
          ? readU16(bytes, 0)
          : (bytes[0] as number);
    },
    encode(value) {
      checkUint(value, max, what);
      const out = new Uint8Array(bytesLength);
      if (bytesLength === 4) writeU32(out, 0, value);
      else if (bytesLength === 2) writeU16(out, 0, value);
      else out[0] = value;
      return out;
    },
  };
}

const u64Codec: ValueCodec<bigint> = {
  decode(bytes, ctx = NO_CONTEXT) {
    exactly(bytes, 8, ctx, 'u64');
    return readU64(bytes, 0);
  },
  encode(value) {
    checkU64(value, 'u64');
    const out = new Uint8Array(8);
    writeU64(out, 0, value);
    return out;
  },
};

const bytesCodec: ValueCodec<Uint8Array> = {
  decode: (bytes) => bytes,
  encode(value) {
    checkBytes(value, 'bytes');
    return value.slice();
  },
};

const resultCodeCodec: ValueCodec<ResultCodeValue> = {
  decode(bytes, ctx = NO_CONTEXT) {
    atLeast(bytes, 2, ctx, 'Result Code');
    const resultCode = readU16(bytes, 0);
    if (bytes.length === 2) return { resultCode };
    // RFC 2661 §4.4.2: Length is 8, 10, or 10 + message; a lone extra octet fits none of them.
    if (bytes.length === 3) bad(ctx, 'Result Code: 3-byte value (half an Error Code)');
    const errorCode = readU16(bytes, 2);
    const errorMessage = tail(bytes, 4);
    return errorMessage === undefined
      ? { resultCode, errorCode }
      : { resultCode, errorCode, errorMessage };
  },
  encode(value) {
    checkUint(value.resultCode, 0xffff, 'resultCode');
    const messageLength = tailLength(value.errorMessage, 'errorMessage');
    if (value.errorCode === undefined) {
      if (messageLength > 0)
        throw new UsageError('Result Code: an errorMessage needs an errorCode');
      const out = new Uint8Array(2);
      writeU16(out, 0, value.resultCode);
      return out;
    }
    checkUint(value.errorCode, 0xffff, 'errorCode');
    const out = new Uint8Array(4 + messageLength);
    writeU16(out, 0, value.resultCode);
    writeU16(out, 2, value.errorCode);
    if (value.errorMessage !== undefined) out.set(value.errorMessage.bytes, 4);
    return out;
  },
};

const protocolVersionCodec: ValueCodec<ProtocolVersionValue> = {
  decode(bytes, ctx = NO_CONTEXT) {
    exactly(bytes, 2, ctx, 'Protocol Version');
    return { version: bytes[0] as number, revision: bytes[1] as number };
  },
  encode(value) {
    checkUint(value.version, 0xff, 'version');
    checkUint(value.revision, 0xff, 'revision');
    return Uint8Array.of(value.version, value.revision);
  },
};

const q931CauseCodec: ValueCodec<Q931CauseValue> = {
  decode(bytes, ctx = NO_CONTEXT) {
    atLeast(bytes, 3, ctx, 'Q.931 Cause Code');
    const causeCode = readU16(bytes, 0);
    const causeMessage = bytes[2] as number;
    const advisory = tail(bytes, 3);
    return advisory === undefined
      ? { causeCode, causeMessage }
      : { causeCode, causeMessage, advisory };
  },
  encode(value) {
    checkUint(value.causeCode, 0xffff, 'causeCode');
    checkUint(value.causeMessage, 0xff, 'causeMessage');
    const out = new Uint8Array(3 + tailLength(value.advisory, 'advisory'));
    writeU16(out, 0, value.causeCode);
    out[2] = value.causeMessage;
    if (value.advisory !== undefined) out.set(value.advisory.bytes, 3);
    return out;
  },
};

const CALL_ERROR_FIELDS = [
  'crcErrors',
  'framingErrors',
  'hardwareOverruns',
  'bufferOverruns',
  'timeoutErrors',
  'alignmentErrors',
] as const;

const callErrorsCodec: ValueCodec<CallErrorsValue> = {
  decode(bytes, ctx = NO_CONTEXT) {
    // RFC 2661 §4.4.6: Length 32 = 6 + 2 reserved + 6 × 4. RFC 3931's figure shows only four
    // counters but keeps Length 32, so both versions carry all six.
    exactly(bytes, 26, ctx, 'Call Errors');
    return {
      reserved: readU16(bytes, 0),
      crcErrors: readU32(bytes, 2),
      framingErrors: readU32(bytes, 6),
      hardwareOverruns: readU32(bytes, 10),
      bufferOverruns: readU32(bytes, 14),
      timeoutErrors: readU32(bytes, 18),
      alignmentErrors: readU32(bytes, 22),
    };
  },
  encode(value) {
    checkUint(value.reserved, 0xffff, 'reserved');
    const out = new Uint8Array(26);
    writeU16(out, 0, value.reserved);
    CALL_ERROR_FIELDS.forEach((field, i) => {
      checkUint(value[field], 0xffff_ffff, field);
      writeU32(out, 2 + 4 * i, value[field]);
    });
    return out;
  },
};

const accmCodec: ValueCodec<AccmValue> = {
  decode(bytes, ctx = NO_CONTEXT) {
    exactly(bytes, 10, ctx, 'ACCM');
    return {
      reserved: readU16(bytes, 0),
      sendAccm: readU32(bytes, 2),
      receiveAccm: readU32(bytes, 6),
    };
  },
  encode(value) {
    checkUint(value.reserved, 0xffff, 'reserved');
    checkUint(value.sendAccm, 0xffff_ffff, 'sendAccm');
    checkUint(value.receiveAccm, 0xffff_ffff, 'receiveAccm');
    const out = new Uint8Array(10);
    writeU16(out, 0, value.reserved);
    writeU32(out, 2, value.sendAccm);
    writeU32(out, 6, value.receiveAccm);
    return out;
  },
};

const proxyAuthenIdCodec: ValueCodec<ProxyAuthenIdValue> = {
  decode(bytes, ctx = NO_CONTEXT) {
    exactly(bytes, 2, ctx, 'Proxy Authen ID');
    return { reserved: bytes[0] as number, id: bytes[1] as number };
  },
  encode(value) {
    checkUint(value.reserved, 0xff, 'reserved');
    checkUint(value.id, 0xff, 'id');
    return Uint8Array.of(value.reserved, value.id);
  },
};

const pwCapListCodec: ValueCodec<readonly number[]> = {
  decode(bytes, ctx = NO_CONTEXT) {
    if (bytes.length % 2 !== 0)
      bad(ctx, `Pseudowire Capabilities List: odd length ${bytes.length}`);
    const types: number[] = [];
    for (let i = 0; i < bytes.length; i += 2) types.push(readU16(bytes, i));
    return types;
  },
  encode(value) {
    if (!Array.isArray(value)) throw new UsageError('pseudowire capability list must be an array');
    const out = new Uint8Array(value.length * 2);
    value.forEach((type, i) => {
      checkUint(type, 0xffff, 'pseudowire type');
      writeU16(out, 2 * i, type);
    });
    return out;
  },
};

const CIRCUIT_RESERVED = 0xff80;

const circuitStatusCodec: ValueCodec<CircuitStatusValue> = {
  decode(bytes, ctx = NO_CONTEXT) {
    exactly(bytes, 2, ctx, 'Circuit Status');
    const word = readU16(bytes, 0);
    return {
      active: (word & 0x0001) !== 0,
      new: (word & 0x0002) !== 0,
      acRxFault: (word & 0x0004) !== 0,
      acTxFault: (word & 0x0008) !== 0,
      pwRxFault: (word & 0x0010) !== 0,
      pwTxFault: (word & 0x0020) !== 0,
      standby: (word & 0x0040) !== 0,
      reserved: word & CIRCUIT_RESERVED,
    };
  },
  encode(value) {
    checkUint(value.reserved, 0xffff, 'reserved');
    if ((value.reserved & ~CIRCUIT_RESERVED) !== 0) {
      throw new UsageError('Circuit Status: reserved may only use bits 0xff80');
    }
    const word =
      (value.active ? 0x0001 : 0) |
      (value.new ? 0x0002 : 0) |
      (value.acRxFault ? 0x0004 : 0) |
      (value.acTxFault ? 0x0008 : 0) |
      (value.pwRxFault ? 0x0010 : 0) |
      (value.pwTxFault ? 0x0020 : 0) |
      (value.standby ? 0x0040 : 0) |
      value.reserved;
    const out = new Uint8Array(2);
    writeU16(out, 0, word);
    return out;
  },
};

const cookieCodec: ValueCodec<Uint8Array> = {
  decode(bytes, ctx = NO_CONTEXT) {
    // RFC 3931 §5.4.4: "The value's length (0, 32, or 64 bits) is obtained by the length of the AVP."
    if (bytes.length !== 0 && bytes.length !== 4 && bytes.length !== 8) {
      bad(ctx, `Assigned Cookie: value must be 0, 4 or 8 bytes, got ${bytes.length}`);
    }
    return bytes;
  },
  encode(value) {
    checkBytes(value, 'cookie');
    if (value.length !== 0 && value.length !== 4 && value.length !== 8) {
      throw new UsageError(`cookie must be 0, 4 or 8 bytes, got ${value.length}`);
    }
    return value.slice();
  },
};

// Digest lengths by Digest Type (RFC 3931 §5.4.1); unknown types are carried as they are.
const DIGEST_LENGTHS: readonly number[] = [16, 20];

const messageDigestCodec: ValueCodec<MessageDigestValue> = {
  decode(bytes, ctx = NO_CONTEXT) {
    atLeast(bytes, 1, ctx, 'Message Digest');
    const digestType = bytes[0] as number;
    const expected = DIGEST_LENGTHS[digestType];
    if (expected !== undefined && bytes.length !== 1 + expected) {
      bad(
        ctx,
        `Message Digest: type ${digestType} needs a ${expected}-byte digest, got ${bytes.length - 1}`,
      );
    }
    return { digestType, digest: bytes.subarray(1) };
  },
  encode(value) {
    checkUint(value.digestType, 0xff, 'digestType');
    checkBytes(value.digest, 'digest');
    const expected = DIGEST_LENGTHS[value.digestType];
    if (expected !== undefined && value.digest.length !== expected) {
      throw new UsageError(
        `digest type ${value.digestType} needs ${expected} bytes, got ${value.digest.length}`,
      );
    }
    const out = new Uint8Array(1 + value.digest.length);
    out[0] = value.digestType;
    out.set(value.digest, 1);
    return out;
  },
};

const extendedVendorCodec: ValueCodec<ExtendedVendorValue> = {
  decode(bytes, ctx = NO_CONTEXT) {
    atLeast(bytes, 6, ctx, 'Extended Vendor ID');
    return {
      vendorId: readU32(bytes, 0),
      attributeType: readU16(bytes, 4),
      value: bytes.subarray(6),
    };
  },
  encode(value) {
    checkUint(value.vendorId, 0xffff_ffff, 'vendorId');
    checkUint(value.attributeType, 0xffff, 'attributeType');
    checkBytes(value.value, 'value');
    const out = new Uint8Array(6 + value.value.length);
    writeU32(out, 0, value.vendorId);
    writeU16(out, 4, value.attributeType);
    out.set(value.value, 6);
    return out;
  },
};

const pppDisconnectCauseCodec: ValueCodec<PppDisconnectCauseValue> = {
  decode(bytes, ctx = NO_CONTEXT) {
    // RFC 3145 §2 says "Value … at least 11 octets" but its figure and "Length MUST be at least
    // 11" give 5 value octets (code, protocol, direction): the AVP, not the value, is ≥ 11.
    atLeast(bytes, 5, ctx, 'PPP Disconnect Cause Code');
    const disconnectCode = readU16(bytes, 0);
    const controlProtocol = readU16(bytes, 2);
    const direction = bytes[4] as number;
    const message = tail(bytes, 5);
    return message === undefined
      ? { disconnectCode, controlProtocol, direction }
      : { disconnectCode, controlProtocol, direction, message };
  },
  encode(value) {
    checkUint(value.disconnectCode, 0xffff, 'disconnectCode');
    checkUint(value.controlProtocol, 0xffff, 'controlProtocol');
    checkUint(value.direction, 0xff, 'direction');
    const out = new Uint8Array(5 + tailLength(value.message, 'message'));
    writeU16(out, 0, value.disconnectCode);
    writeU16(out, 2, value.controlProtocol);
    out[4] = value.direction;
    if (value.message !== undefined) out.set(value.message.bytes, 5);
    return out;
  },
};

const failoverCapabilityCodec: ValueCodec<FailoverCapabilityValue> = {
  decode(bytes, ctx = NO_CONTEXT) {
    exactly(bytes, 6, ctx, 'Failover Capability');
    const word = readU16(bytes, 0);
    return {
      control: (word & 0x1) !== 0,
      data: (word & 0x2) !== 0,
      reserved: word & 0xfffc,
      recoveryTime: readU32(bytes, 2),
    };
  },
  encode(value) {
    checkUint(value.reserved, 0xffff, 'reserved');
    if ((value.reserved & 0x3) !== 0)
      throw new UsageError('Failover Capability: reserved may only use bits 0xfffc');
    checkUint(value.recoveryTime, 0xffff_ffff, 'recoveryTime');
    const out = new Uint8Array(6);
    writeU16(out, 0, value.reserved | (value.control ? 0x1 : 0) | (value.data ? 0x2 : 0));
    writeU32(out, 2, value.recoveryTime);
    return out;
  },
};

/** Codec for a reserved u16 followed by two u32 fields (RFC 4951 §5.2 and §5.4 layouts). */
function reservedPairCodec<A extends string, B extends string>(
  what: string,
  a: A,
  b: B,
): ValueCodec<{ readonly reserved: number } & { readonly [K in A | B]: number }> {
  type V = { readonly reserved: number } & { readonly [K in A | B]: number };
  return {
    decode(bytes, ctx = NO_CONTEXT) {
      exactly(bytes, 10, ctx, what);
      return { reserved: readU16(bytes, 0), [a]: readU32(bytes, 2), [b]: readU32(bytes, 6) } as V;
    },
    encode(value) {
      checkUint(value.reserved, 0xffff, 'reserved');
      checkUint(value[a], 0xffff_ffff, a);
      checkUint(value[b], 0xffff_ffff, b);
      const out = new Uint8Array(10);
      writeU16(out, 0, value.reserved);
      writeU32(out, 2, value[a]);
      writeU32(out, 6, value[b]);
      return out;
    },
  };
}

const suggestedControlSequenceCodec: ValueCodec<SuggestedControlSequenceValue> = {
  decode(bytes, ctx = NO_CONTEXT) {
    exactly(bytes, 6, ctx, 'Suggested Control Sequence');
    return { reserved: readU16(bytes, 0), ns: readU16(bytes, 2), nr: readU16(bytes, 4) };
  },
  encode(value) {
    checkUint(value.reserved, 0xffff, 'reserved');
    checkUint(value.ns, 0xffff, 'ns');
    checkUint(value.nr, 0xffff, 'nr');
    const out = new Uint8Array(6);
    writeU16(out, 0, value.reserved);
    writeU16(out, 2, value.ns);
    writeU16(out, 4, value.nr);
    return out;
  },
};

const atmAlarmStatusCodec: ValueCodec<AtmAlarmStatusValue> = {
  decode(bytes, ctx = NO_CONTEXT) {
    exactly(bytes, 4, ctx, 'ATM Alarm Status');
    return { circuitStatusReason: readU16(bytes, 0), alarmType: readU16(bytes, 2) };
  },
  encode(value) {
    checkUint(value.circuitStatusReason, 0xffff, 'circuitStatusReason');
    checkUint(value.alarmType, 0xffff, 'alarmType');
    const out = new Uint8Array(4);
    writeU16(out, 0, value.circuitStatusReason);
    writeU16(out, 2, value.alarmType);
    return out;
  },
};

const connectSpeedUpdateCodec: ValueCodec<ConnectSpeedUpdateValue> = {
  decode(bytes, ctx = NO_CONTEXT) {
    // RFC 5515 §6.1: Length 18 (v2) or 26 (v3); the length alone tells the formats apart.
    if (bytes.length === 12) {
      return {
        format: 'v2',
        reserved: readU16(bytes, 0),
        remoteSessionId: readU16(bytes, 2),
        txConnectSpeed: readU32(bytes, 4),
        rxConnectSpeed: readU32(bytes, 8),
      };
    }
    if (bytes.length === 20) {
      return {
        format: 'v3',
        remoteSessionId: readU32(bytes, 0),
        txConnectSpeed: readU64(bytes, 4),
        rxConnectSpeed: readU64(bytes, 12),
      };
    }
    return bad(
      ctx,
      `Connect Speed Update: value must be 12 (v2) or 20 (v3) bytes, got ${bytes.length}`,
    );
  },
  encode(value) {
    if (value.format === 'v2') {
      checkUint(value.reserved, 0xffff, 'reserved');
      checkUint(value.remoteSessionId, 0xffff, 'remoteSessionId');
      checkUint(value.txConnectSpeed, 0xffff_ffff, 'txConnectSpeed');
      checkUint(value.rxConnectSpeed, 0xffff_ffff, 'rxConnectSpeed');
      const out = new Uint8Array(12);
      writeU16(out, 0, value.reserved);
      writeU16(out, 2, value.remoteSessionId);
      writeU32(out, 4, value.txConnectSpeed);
      writeU32(out, 8, value.rxConnectSpeed);
      return out;
    }
    if (value.format !== 'v3')
      throw new UsageError("Connect Speed Update: format must be 'v2' or 'v3'");
    checkUint(value.remoteSessionId, 0xffff_ffff, 'remoteSessionId');
    checkU64(value.txConnectSpeed, 'txConnectSpeed');
    checkU64(value.rxConnectSpeed, 'rxConnectSpeed');
    const out = new Uint8Array(20);
    writeU32(out, 0, value.remoteSessionId);
    writeU64(out, 4, value.txConnectSpeed);
    writeU64(out, 12, value.rxConnectSpeed);
    return out;
  },
};

const u8Codec = uintCodec(1, 'u8');
const u16Codec = uintCodec(2, 'u16');
const u32Codec = uintCodec(4, 'u32');

/** The codec of every kind. Decoded views (`bytes`, `cookie`, strings, digests) alias the input. */
export const VALUE_CODECS: { readonly [K in ValueKind]: ValueCodec<ValueByKind[K]> } = {
  empty: {
    decode(bytes, ctx = NO_CONTEXT) {
      exactly(bytes, 0, ctx, 'empty AVP');
      return null;
    },
    encode(value) {
      if (value !== null) throw new UsageError('an empty AVP takes the value null');
      return new Uint8Array(0);
    },
  },
  u8: u8Codec,
  u16: u16Codec,
  u32: u32Codec,
  u64: u64Codec,
  string: {
    decode: (bytes) => stringValue(bytes),
    encode(value) {
      checkString(value, 'string');
      return value.bytes.slice();
    },
  },
  bytes: bytesCodec,
  messageType: uintCodec(2, 'Message Type'),
  resultCode: resultCodeCodec,
  protocolVersion: protocolVersionCodec,
  bitset32: uintCodec(4, 'bit set'),
  q931Cause: q931CauseCodec,
  callErrors: callErrorsCodec,
  accm: accmCodec,
  proxyAuthenId: proxyAuthenIdCodec,
  pwCapList: pwCapListCodec,
  circuitStatus: circuitStatusCodec,
  cookie: cookieCodec,
  l2SpecificSublayer: uintCodec(2, 'L2-Specific Sublayer'),
  dataSequencing: uintCodec(2, 'Data Sequencing'),
  messageDigest: messageDigestCodec,
  extendedVendor: extendedVendorCodec,
  pppDisconnectCause: pppDisconnectCauseCodec,
  failoverCapability: failoverCapabilityCodec,
  tunnelRecovery: reservedPairCodec('Tunnel Recovery', 'recoverTunnelId', 'recoverRemoteTunnelId'),
  suggestedControlSequence: suggestedControlSequenceCodec,
  failoverSessionState: reservedPairCodec('Failover Session State', 'sessionId', 'remoteSessionId'),
  atmAlarmStatus: atmAlarmStatusCodec,
  connectSpeedUpdate: connectSpeedUpdateCodec,
};

/** True when `kind` names a value kind. */
export function isValueKind(kind: string): kind is ValueKind {
  return Object.hasOwn(VALUE_CODECS, kind);
}

/**
 * Decodes an AVP value of the given kind. Total: returns a value or throws DecodeError
 * `L2TP_ERR_BAD_AVP_VALUE` carrying `ctx` (attribute type, vendor, offset). Views in the result
 * alias `bytes`.
 */
export function decodeValue<K extends ValueKind>(
  kind: K,
  bytes: Uint8Array,
  ctx: ValueContext = NO_CONTEXT,
): ValueByKind[K] {
  return (VALUE_CODECS[kind] as ValueCodec<ValueByKind[K]>).decode(bytes, ctx);
}

/** Encodes a value of the given kind into a new Uint8Array; UsageError if it cannot be represented. */
export function encodeValue<K extends ValueKind>(kind: K, value: ValueByKind[K]): Uint8Array {
  return (VALUE_CODECS[kind] as ValueCodec<ValueByKind[K]>).encode(value);
}

/** Decodes and tags the result with its kind (for code that switches on `kind`). */
export function decodeTypedValue(
  kind: ValueKind,
  bytes: Uint8Array,
  ctx: ValueContext = NO_CONTEXT,
): TypedValue {
  return { kind, value: decodeValue(kind, bytes, ctx) } as TypedValue;
}

/** Encodes a tagged value. */
export function encodeTypedValue(typed: TypedValue): Uint8Array {
  return encodeValue(typed.kind, typed.value as never);
}
