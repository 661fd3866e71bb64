/**
 * `l2tp-core/arbitraries`: fast-check arbitraries for hosts that fuzz their L2TP daemons, and for
 * our own property tests. Values per kind and per AVP (within the catalogue's length bounds), raw
 * AVPs (IETF, unknown, vendor, hidden), headers, valid typed messages and their bytes, near-valid
 * bytes (one targeted mutation each) and data packets.
 * `fast-check` is an optional peer dependency: only this subpath imports it. Nothing here reads
 * real randomness; fast-check drives every choice. RFC 2661 §3.1, §4.1–§4.4, §6;
 * RFC 3931 §3.2.1, §4.1, §5.1–§5.4, §6.
 *
 * @module l2tp-core/arbitraries
 */
import fc from 'fast-check';
import { deriveV3HidingKey, hideAvpValue } from '../avp/hidden.js';
import {
  type ControlMessage,
  FIELD_ATTRIBUTE_TYPE,
  FIELD_KINDS,
  type FieldName,
  type FieldValue,
  fromTyped,
  type KnownMessageName,
  MESSAGE_SPEC,
} from '../avp/messages.js';
import { AVP_MAX_VALUE_LENGTH, type RawAvp } from '../avp/raw.js';
import { AVP_CATALOGUE, type AvpInfo, encodeAvpValue, lookupAvp } from '../avp/registry.js';
import { stringValue, type ValueByKind, type ValueKind } from '../avp/values.js';
import { type ControlHeaderInit, encodeControl } from '../codec/control.js';
import {
  controlHeaderLength,
  type DataHeader,
  type DataParams,
  type Encapsulation,
  encodeData,
} from '../codec/header.js';
import { AvpType, type L2tpVersion } from '../constants.js';
import type { L2tpCrypto } from '../crypto.js';
import { UsageError } from '../errors.js';

// ---------------------------------------------------------------------------------------------
// Values

/** Length bounds, in octets, for the encoded value an arbitrary produces. */
export interface LengthBounds {
  /** Smallest encoded length (default 0). */
  readonly minLength?: number;
  /** Largest encoded length (default 1017, the 10-bit AVP Length minus the header). */
  readonly maxLength?: number;
  /**
   * Cap on the variable part of generated values (strings, byte strings, lists), to keep runs
   * fast; the bounds still win when they demand more (default 48).
   */
  readonly maxGenerated?: number;
}

const u8 = fc.integer({ min: 0, max: 0xff });
const u16 = fc.integer({ min: 0, max: 0xffff });
const u32 = fc.integer({ min: 0, max: 0xffff_ffff });
const u64 = fc.bigInt({ min: 0n, max: 0xffff_ffff_ffff_ffffn });

/** Range of a variable tail after `fixed` octets, or undefined when the bounds exclude it. */
function tailRange(fixed: number, bounds: LengthBounds): { min: number; max: number } | undefined {
  const lo = Math.max(0, (bounds.minLength ?? 0) - fixed);
  const hi = Math.min(AVP_MAX_VALUE_LENGTH, bounds.maxLength ?? AVP_MAX_VALUE_LENGTH) - fixed;
  if (hi < lo) return undefined;
  return { min: lo, max: Math.min(hi, lo + (bounds.maxGenerated ?? 48)) };
}

function fits(length: number, bounds: LengthBounds): boolean {
  return tailRange(length, bounds) !== undefined && (bounds.minLength ?? 0) <= length;
}

function octets(range: { min: number; max: number }): fc.Arbitrary<Uint8Array> {
  return fc.uint8Array({ minLength: range.min, maxLength: range.max });
}

// Text AVPs: mostly printable ASCII (what peers send), sometimes arbitrary octets.
function stringOctets(range: { min: number; max: number }): fc.Arbitrary<Uint8Array> {
  const ascii = fc
    .array(fc.integer({ min: 0x20, max: 0x7e }), { minLength: range.min, maxLength: range.max })
    .map((codes) => Uint8Array.from(codes));
  return fc.oneof({ arbitrary: ascii, weight: 3 }, { arbitrary: octets(range), weight: 1 });
}

// An optional non-empty tail: the codecs read an empty tail as "absent" (RFC 2661 §4.4.2).
function optionalText(
  fixed: number,
  bounds: LengthBounds,
): fc.Arbitrary<ReturnType<typeof stringValue> | undefined> {
  const range = tailRange(fixed, bounds);
  if (range === undefined || range.max === 0) return fc.constant(undefined);
  const text = stringOctets({ min: Math.max(1, range.min), max: range.max }).map(stringValue);
  return range.min > 0 ? text : fc.option(text, { nil: undefined });
}

function fixedSize(kind: ValueKind, size: number, bounds: LengthBounds): void {
  if (!fits(size, bounds)) {
    throw new UsageError(
      `valueArbitrary: a '${kind}' value is ${size} octets, outside ${bounds.minLength ?? 0}…${bounds.maxLength ?? AVP_MAX_VALUE_LENGTH}`,
    );
  }
}

function noRoom(kind: ValueKind): never {
  throw new UsageError(`valueArbitrary: no '${kind}' value fits the length bounds`);
}

/**
 * Arbitrary valid values of a value kind (src/avp/values.ts) whose encoding is within `bounds`,
 * and that decode back to themselves: optional trailing texts are non-empty when present,
 * reserved bits stay within their masks, digests have the length their Digest Type demands.
 *
 * @throws UsageError when no value of the kind has an encoded length within `bounds`.
 */
export function valueArbitrary<K extends ValueKind>(
  kind: K,
  bounds: LengthBounds = {},
): fc.Arbitrary<ValueByKind[K]> {
  return anyValue(kind, bounds) as fc.Arbitrary<ValueByKind[K]>;
}

function anyValue(kind: ValueKind, bounds: LengthBounds): fc.Arbitrary<unknown> {
  const fixed = (size: number, arb: fc.Arbitrary<unknown>) => {
    fixedSize(kind, size, bounds);
    return arb;
  };
  switch (kind) {
    case 'empty':
      return fixed(0, fc.constant(null));
    case 'u8':
      return fixed(1, u8);
    case 'u16':
    case 'messageType':
    case 'l2SpecificSublayer':
    case 'dataSequencing':
      return fixed(2, u16);
    case 'u32':
    case 'bitset32':
      return fixed(4, u32);
    case 'u64':
      return fixed(8, u64);
    case 'string': {
      const range = tailRange(0, bounds) ?? noRoom(kind);
      return stringOctets(range).map(stringValue);
    }
    case 'bytes':
      return octets(tailRange(0, bounds) ?? noRoom(kind));
    case 'resultCode': {
      // RFC 2661 §4.4.2: 2 octets (no Error Code), 4, or 4 + message.
      const bare = fc.record({ resultCode: u16 });
      const withCode = fc
        .tuple(u16, u16, optionalText(4, bounds))
        .map(([resultCode, errorCode, errorMessage]) =>
          errorMessage === undefined
            ? { resultCode, errorCode }
            : { resultCode, errorCode, errorMessage },
        );
      const choices: fc.Arbitrary<unknown>[] = [];
      if (fits(2, bounds)) choices.push(bare);
      if (tailRange(4, bounds) !== undefined) choices.push(withCode);
      return choices.length === 0 ? noRoom(kind) : fc.oneof(...choices);
    }
    case 'protocolVersion':
      return fixed(2, fc.record({ version: u8, revision: u8 }));
    case 'q931Cause':
      if (tailRange(3, bounds) === undefined) noRoom(kind);
      return fc
        .tuple(u16, u8, optionalText(3, bounds))
        .map(([causeCode, causeMessage, advisory]) =>
          advisory === undefined
            ? { causeCode, causeMessage }
            : { causeCode, causeMessage, advisory },
        );
    case 'callErrors':
      return fixed(
        26,
        fc.record({
          reserved: u16,
          crcErrors: u32,
          framingErrors: u32,
          hardwareOverruns: u32,
          bufferOverruns: u32,
          timeoutErrors: u32,
          alignmentErrors: u32,
        }),
      );
    case 'accm':
      return fixed(10, fc.record({ reserved: u16, sendAccm: u32, receiveAccm: u32 }));
    case 'proxyAuthenId':
      return fixed(2, fc.record({ reserved: u8, id: u8 }));
    case 'pwCapList': {
      const range = tailRange(0, bounds) ?? noRoom(kind);
      const min = Math.ceil(range.min / 2);
      const max = Math.floor(range.max / 2);
      if (max < min) noRoom(kind);
      return fc.array(u16, { minLength: min, maxLength: max });
    }
    case 'circuitStatus':
      return fixed(
        2,
        fc.record({
          active: fc.boolean(),
          new: fc.boolean(),
          acRxFault: fc.boolean(),
          acTxFault: fc.boolean(),
          pwRxFault: fc.boolean(),
          pwTxFault: fc.boolean(),
          standby: fc.boolean(),
          reserved: fc.integer({ min: 0, max: 0x1ff }).map((n) => n << 7), // mask 0xff80
        }),
      );
    case 'cookie': {
      const sizes = [0, 4, 8].filter((n) => fits(n, bounds));
      if (sizes.length === 0) noRoom(kind);
      return fc.constantFrom(...sizes).chain((n) => fc.uint8Array({ minLength: n, maxLength: n }));
    }
    case 'messageDigest': {
      // RFC 3931 §5.4.1: type 0 HMAC-MD5 (16 octets), 1 HMAC-SHA-1 (20); others carried as is.
      const choices: fc.Arbitrary<unknown>[] = [];
      for (const [digestType, size] of [
        [0, 16],
        [1, 20],
      ] as const) {
        if (fits(1 + size, bounds)) {
          choices.push(
            fc
              .uint8Array({ minLength: size, maxLength: size })
              .map((digest) => ({ digestType, digest })),
          );
        }
      }
      const range = tailRange(1, bounds);
      if (range !== undefined) {
        choices.push(
          fc.record({ digestType: fc.integer({ min: 2, max: 0xff }), digest: octets(range) }),
        );
      }
      return choices.length === 0 ? noRoom(kind) : fc.oneof(...choices);
    }
    case 'extendedVendor':
      return fc.record({
        vendorId: u32,
        attributeType: u16,
        value: octets(tailRange(6, bounds) ?? noRoom(kind)),
      });
    case 'pppDisconnectCause':
      if (tailRange(5, bounds) === undefined) noRoom(kind);
      return fc
        .tuple(u16, u16, u8, optionalText(5, bounds))
        .map(([disconnectCode, controlProtocol, direction, message]) =>
          message === undefined
            ? { disconnectCode, controlProtocol, direction }
            : { disconnectCode, controlProtocol, direction, message },
        );
    case 'failoverCapability':
      return fixed(
        6,
        fc.record({
          control: fc.boolean(),
          data: fc.boolean(),
          reserved: fc.integer({ min: 0, max: 0x3fff }).map((n) => n << 2), // mask 0xfffc
          recoveryTime: u32,
        }),
      );
    case 'tunnelRecovery':
      return fixed(
        10,
        fc.record({ reserved: u16, recoverTunnelId: u32, recoverRemoteTunnelId: u32 }),
      );
    case 'suggestedControlSequence':
      return fixed(6, fc.record({ reserved: u16, ns: u16, nr: u16 }));
    case 'failoverSessionState':
      return fixed(10, fc.record({ reserved: u16, sessionId: u32, remoteSessionId: u32 }));
    case 'atmAlarmStatus':
      return fixed(4, fc.record({ circuitStatusReason: u16, alarmType: u16 }));
    case 'connectSpeedUpdate': {
      // RFC 5515 §6.1: 12 octets on L2TPv2, 20 on L2TPv3.
      const choices: fc.Arbitrary<unknown>[] = [];
      if (fits(12, bounds)) {
        choices.push(
          fc.record({
            format: fc.constant('v2' as const),
            reserved: u16,
            remoteSessionId: u16,
            txConnectSpeed: u32,
            rxConnectSpeed: u32,
          }),
        );
      }
      if (fits(20, bounds)) {
        choices.push(
          fc.record({
            format: fc.constant('v3' as const),
            remoteSessionId: u32,
            txConnectSpeed: u64,
            rxConnectSpeed: u64,
          }),
        );
      }
      return choices.length === 0 ? noRoom(kind) : fc.oneof(...choices);
    }
  }
}

// Identifiers RFC 2661 §4.4.3/§4.4.4, §5.8 and RFC 3931 §5.4.3/§5.4.4 say are non-zero.
const NON_ZERO_FIELDS: ReadonlySet<FieldName> = new Set<FieldName>([
  'assignedTunnelId',
  'assignedSessionId',
  'receiveWindowSize',
  'assignedControlConnectionId',
  'localSessionId',
]);

function boundsOf(info: AvpInfo, maxGenerated?: number): LengthBounds {
  return maxGenerated === undefined
    ? { minLength: info.minLength, maxLength: info.maxLength }
    : { minLength: info.minLength, maxLength: info.maxLength, maxGenerated };
}

/**
 * Arbitrary valid values of a typed message field: the field's kind within its AVP's catalogue
 * length bounds, and non-zero for the identifiers that must not be 0 (Assigned Tunnel ID,
 * Assigned Session ID, Receive Window Size, Assigned Control Connection ID, Local Session ID).
 */
export function fieldValueArbitrary<F extends FieldName>(
  field: F,
  options: { readonly maxGenerated?: number } = {},
): fc.Arbitrary<FieldValue<F>> {
  const info = lookupAvp(0, FIELD_ATTRIBUTE_TYPE[field]) as AvpInfo;
  const kind = FIELD_KINDS[field];
  if (NON_ZERO_FIELDS.has(field)) {
    const max = kind === 'u32' ? 0xffff_ffff : 0xffff;
    return fc.integer({ min: 1, max }) as unknown as fc.Arbitrary<FieldValue<F>>;
  }
  return anyValue(kind, boundsOf(info, options.maxGenerated)) as fc.Arbitrary<FieldValue<F>>;
}

// ---------------------------------------------------------------------------------------------
// Raw AVPs

/** Vendor IDs used for vendor AVPs: Cisco, Ericsson, Broadband Forum, CableLabs. */
export const ARBITRARY_VENDOR_IDS = [9, 193, 3561, 4491] as const;

/** First IETF Attribute Type without a catalogue row. */
const FIRST_UNKNOWN_IETF_TYPE = 102;

/** Options for `rawAvpArbitrary`. */
export interface RawAvpArbitraryOptions {
  /** Also produce IETF AVPs of unassigned types (102 and up), with random values. Default true. */
  readonly unknown?: boolean;
  /** Also produce vendor AVPs (Cisco 9, Ericsson 193, BBF 3561, CableLabs 4491). Default true. */
  readonly vendor?: boolean;
  /** Also produce AVPs with the H bit set and random ciphertext of ≥ 2 octets. Default true. */
  readonly hidden?: boolean;
  /** Force the M bit; default random. */
  readonly mandatory?: boolean;
  /**
   * Sometimes set the 4 reserved header bits (an L2TPv2 receiver then treats the AVP as
   * unrecognised, RFC 2661 §4.1; an L2TPv3 one ignores them). Default true.
   */
  readonly reservedBits?: boolean;
}

const KNOWN_IETF_ROWS = AVP_CATALOGUE.filter((r) => r.vendorId === 0 && r.status === 'assigned');
const KNOWN_VENDOR_ROWS = AVP_CATALOGUE.filter((r) => r.vendorId !== 0 && r.formatKnown);

function rowValue(info: AvpInfo): fc.Arbitrary<Uint8Array> {
  return anyValue(info.kind, boundsOf(info, 24)).map((value) =>
    encodeAvpValue(info, { kind: info.kind, value } as never),
  );
}

/**
 * Arbitrary AVPs at the raw level (src/avp/raw.ts): known IETF AVPs with valid values for their
 * row, and by default unknown IETF types ≥ 102, vendor AVPs (catalogue rows with valid values,
 * other types with random bytes) and hidden AVPs (random ciphertext ≥ 2 octets). Encoding them
 * and decoding gives them back; they are not meant to pass `toTyped` together.
 */
export function rawAvpArbitrary(options: RawAvpArbitraryOptions = {}): fc.Arbitrary<RawAvp> {
  const small = octets({ min: 0, max: 24 });
  const body: fc.Arbitrary<{ vendorId: number; attributeType: number; value: Uint8Array }>[] = [
    fc
      .constantFrom(...KNOWN_IETF_ROWS)
      .chain((info) =>
        rowValue(info).map((value) => ({ vendorId: 0, attributeType: info.attributeType, value })),
      ),
  ];
  if (options.unknown ?? true) {
    body.push(
      fc.record({
        vendorId: fc.constant(0),
        attributeType: fc.integer({ min: FIRST_UNKNOWN_IETF_TYPE, max: 0xffff }),
        value: small,
      }),
    );
  }
  if (options.vendor ?? true) {
    body.push(
      fc.record({
        vendorId: fc.constantFrom(...ARBITRARY_VENDOR_IDS),
        attributeType: u16,
        value: small,
      }),
      fc.constantFrom(...KNOWN_VENDOR_ROWS).chain((info) =>
        rowValue(info).map((value) => ({
          vendorId: info.vendorId,
          attributeType: info.attributeType,
          value,
        })),
      ),
    );
  }
  const clear = fc.oneof(...body).map((b) => ({ ...b, hidden: false }));
  const hidden = fc
    .tuple(
      fc.oneof(
        fc.constantFrom(...KNOWN_IETF_ROWS.filter((r) => r.hideable)).map((r) => r.attributeType),
        fc.integer({ min: FIRST_UNKNOWN_IETF_TYPE, max: 0xffff }),
      ),
      fc.constantFrom(0, ...ARBITRARY_VENDOR_IDS),
      octets({ min: 2, max: 40 }),
    )
    .map(([attributeType, vendorId, value]) => ({ vendorId, attributeType, value, hidden: true }));
  const any = (options.hidden ?? true) ? fc.oneof({ arbitrary: clear, weight: 4 }, hidden) : clear;
  const reserved =
    (options.reservedBits ?? true)
      ? fc.oneof({ arbitrary: fc.constant(0), weight: 9 }, fc.integer({ min: 1, max: 0x0f }))
      : fc.constant(0);
  const mandatory = options.mandatory === undefined ? fc.boolean() : fc.constant(options.mandatory);
  return fc.tuple(any, mandatory, reserved).map(([b, m, r]): RawAvp => {
    const avp = {
      mandatory: m,
      hidden: b.hidden,
      vendorId: b.vendorId,
      attributeType: b.attributeType,
      value: b.value,
    };
    return r === 0 ? avp : { ...avp, reserved: r };
  });
}

// ---------------------------------------------------------------------------------------------
// Headers and raw control messages

/**
 * Arbitrary control header fields to encode (Length is computed by the encoder): 16-bit Tunnel
 * and Session IDs for L2TPv2, a 32-bit Control Connection ID for L2TPv3, 16-bit Ns/Nr.
 */
export function controlHeaderArbitrary(version: L2tpVersion): fc.Arbitrary<ControlHeaderInit> {
  return version === 2
    ? fc.record({
        version: fc.constant(2 as const),
        tunnelId: u16,
        sessionId: u16,
        ns: u16,
        nr: u16,
      })
    : fc.record({ version: fc.constant(3 as const), connectionId: u32, ns: u16, nr: u16 });
}

/** Where and how a control message is carried. */
export interface ControlCarriage {
  readonly version: L2tpVersion;
  /** 'udp' (default) or 'ip' (L2TPv3 only, RFC 3931 §4.1.1). */
  readonly encap?: Encapsulation;
}

/** A raw control message and its encoding. */
export interface RawControlSample {
  readonly encap: Encapsulation;
  readonly header: ControlHeaderInit;
  readonly avps: readonly RawAvp[];
  /** The encoded datagram (fresh array). */
  readonly bytes: Uint8Array;
}

/**
 * Arbitrary raw control messages (`decodeControl` reads them back): a header and 0–12 raw AVPs,
 * usually led by a Message Type AVP, with unknown, vendor and hidden AVPs mixed in.
 */
export function rawControlMessageArbitrary(
  carriage: ControlCarriage,
  options: RawAvpArbitraryOptions = {},
): fc.Arbitrary<RawControlSample> {
  const encap = carriage.encap ?? 'udp';
  const messageType = u16.map(
    (type): RawAvp => ({
      mandatory: true,
      hidden: false,
      vendorId: 0,
      attributeType: 0,
      value: Uint8Array.of(type >> 8, type & 0xff),
    }),
  );
  const avps = fc
    .tuple(
      fc.option(messageType, { freq: 5 }),
      fc.array(rawAvpArbitrary(options), { maxLength: 12 }),
    )
    .map(([first, rest]) => (first === null ? rest : [first, ...rest]));
  return fc.tuple(controlHeaderArbitrary(carriage.version), avps).map(([header, list]) => ({
    encap,
    header,
    avps: list,
    bytes: encodeControl({ header, avps: list }, { encap }),
  }));
}

// ---------------------------------------------------------------------------------------------
// Typed messages

/** Options for the typed message arbitraries. */
export interface TypedMessageArbitraryOptions extends ControlCarriage {
  /** Message types to draw from; default every KnownMessageName defined in `version`. */
  readonly types?: readonly KnownMessageName[];
  /** Cap on the variable part of field values (default 48 octets). */
  readonly maxGenerated?: number;
}

/** The message types with a typed form in `version` (RFC 2661 §6 / RFC 3931 §6 and extensions). */
export function messageTypesOf(version: L2tpVersion): KnownMessageName[] {
  return (Object.keys(MESSAGE_SPEC) as KnownMessageName[]).filter(
    (name) => MESSAGE_SPEC[name][version === 2 ? 'v2' : 'v3'] !== null,
  );
}

function typedOf(
  name: KnownMessageName,
  version: L2tpVersion,
  maxGenerated: number | undefined,
): fc.Arbitrary<ControlMessage> {
  const spec = MESSAGE_SPEC[name][version === 2 ? 'v2' : 'v3'];
  if (spec === null) throw new UsageError(`${name} does not exist in L2TPv${version}`);
  const opts = maxGenerated === undefined ? {} : { maxGenerated };
  const model: Record<string, fc.Arbitrary<unknown>> = {};
  for (const field of [...spec.required, ...spec.optional] as FieldName[]) {
    model[field] = fieldValueArbitrary(field, opts);
  }
  return fc
    .record(model, { requiredKeys: [...spec.required] as string[] })
    .map((fields) => ({ type: name, version, ...fields }) as unknown as ControlMessage);
}

/**
 * Arbitrary valid typed messages: every message type defined in `version` (or `types`), with
 * all required fields, a random subset of the optional ones, and non-zero identifiers where the
 * RFCs require them. `toTyped(fromTyped(m), version)` gives back `m`.
 */
export function typedMessageArbitrary(
  options: TypedMessageArbitraryOptions,
): fc.Arbitrary<ControlMessage> {
  const names = options.types ?? messageTypesOf(options.version);
  if (names.length === 0) throw new UsageError('typedMessageArbitrary: no message types');
  return fc.oneof(...names.map((name) => typedOf(name, options.version, options.maxGenerated)));
}

/** A valid typed message and its encoding. */
export interface ControlMessageSample {
  readonly encap: Encapsulation;
  readonly header: ControlHeaderInit;
  readonly message: ControlMessage;
  /** The raw AVPs that were encoded (`fromTyped(message)`). */
  readonly avps: readonly RawAvp[];
  /** The encoded datagram (fresh array). */
  readonly bytes: Uint8Array;
}

/** Arbitrary encoded valid control messages (`parseControl` accepts them and returns `message`). */
export function controlMessageBytesArbitrary(
  options: TypedMessageArbitraryOptions,
): fc.Arbitrary<ControlMessageSample> {
  const encap = options.encap ?? 'udp';
  return fc
    .tuple(controlHeaderArbitrary(options.version), typedMessageArbitrary(options))
    .map(([header, message]) => {
      const avps = fromTyped(message);
      return { encap, header, message, avps, bytes: encodeControl({ header, avps }, { encap }) };
    });
}

// ---------------------------------------------------------------------------------------------
// Near-valid control messages

/** The mutation applied to a valid message by `nearValidControlBytesArbitrary`. */
export type NearValidMutation =
  | 'bit-flip'
  | 'truncate'
  | 'length-too-large'
  | 'length-too-small'
  | 'avp-length-below-6'
  | 'avp-length-past-end'
  | 'hidden-length-too-large'
  | 'unknown-mandatory-avp'
  | 'message-type-removed';

/** Options for `nearValidControlBytesArbitrary`. */
export interface NearValidOptions extends TypedMessageArbitraryOptions {
  /**
   * Secret and hash functions for the 'hidden-length-too-large' mutation (a hidden AVP whose
   * decrypted original length exceeds its value); without them that mutation is not produced.
   * Pass the secret as is: the L2TPv3 key is derived here, as `toTyped` derives it.
   */
  readonly hiding?: { readonly secret: Uint8Array; readonly crypto: L2tpCrypto };
}

/** A near-valid datagram and what was done to it. */
export interface NearValidSample {
  readonly encap: Encapsulation;
  readonly mutation: NearValidMutation;
  /** The valid message before the mutation. */
  readonly original: Uint8Array;
  readonly bytes: Uint8Array;
}

function avpOffsets(avps: readonly RawAvp[], start: number): number[] {
  const out: number[] = [];
  let off = start;
  for (const avp of avps) {
    out.push(off);
    off += 6 + avp.value.length;
  }
  return out;
}

function setU16(bytes: Uint8Array, at: number, value: number): void {
  bytes[at] = value >> 8;
  bytes[at + 1] = value & 0xff;
}

// Sets an AVP's 10-bit Length, keeping its M, H and reserved bits.
function setAvpLength(bytes: Uint8Array, at: number, length: number): void {
  bytes[at] = ((bytes[at] as number) & 0xfc) | (length >> 8);
  bytes[at + 1] = length & 0xff;
}

/**
 * Arbitrary near-valid control datagrams: a valid message with one targeted mutation — a bit
 * flip, a truncation, a header Length too large or too small, an AVP Length below 6 or past the
 * end, a hidden AVP whose decrypted length exceeds its value (with `hiding`), an unknown AVP
 * with the M bit inserted after the Message Type, or the Message Type AVP removed. Most are
 * rejected by `parseControl`; some mutations (a flipped reserved bit, a Length cut at an AVP
 * boundary) can leave a valid message.
 */
export function nearValidControlBytesArbitrary(
  options: NearValidOptions,
): fc.Arbitrary<NearValidSample> {
  const encap = options.encap ?? 'udp';
  const version = options.version;
  const headerLength = controlHeaderLength(version, encap);
  const lengthAt = encap === 'ip' ? 6 : 2; // the header's Length field
  const base = fc.tuple(controlHeaderArbitrary(version), typedMessageArbitrary(options));
  const build = (header: ControlHeaderInit, avps: readonly RawAvp[]) =>
    encodeControl({ header, avps }, { encap });
  const sample = (mutation: NearValidMutation, original: Uint8Array, bytes: Uint8Array) => ({
    encap,
    mutation,
    original,
    bytes,
  });

  const mutations: fc.Arbitrary<NearValidSample>[] = [
    fc.tuple(base, fc.nat()).map(([[header, message], n]) => {
      const original = build(header, fromTyped(message));
      const bytes = original.slice();
      const bit = n % (bytes.length * 8);
      bytes[bit >> 3] = (bytes[bit >> 3] as number) ^ (0x80 >> (bit & 7));
      return sample('bit-flip', original, bytes);
    }),
    fc.tuple(base, fc.nat()).map(([[header, message], n]) => {
      const original = build(header, fromTyped(message));
      return sample('truncate', original, original.slice(0, n % original.length));
    }),
    fc.tuple(base, fc.integer({ min: 1, max: 0xffff })).map(([[header, message], extra]) => {
      const original = build(header, fromTyped(message));
      const bytes = original.slice();
      const length = Math.min(0xffff, original.length - (lengthAt - 2) + extra);
      setU16(bytes, lengthAt, length);
      return sample('length-too-large', original, bytes);
    }),
    fc.tuple(base, fc.nat()).map(([[header, message], n]) => {
      const original = build(header, fromTyped(message));
      const bytes = original.slice();
      const current = original.length - (lengthAt - 2);
      setU16(bytes, lengthAt, n % current); // may still end on an AVP boundary
      return sample('length-too-small', original, bytes);
    }),
    fc.tuple(base, fc.nat(), fc.integer({ min: 0, max: 5 })).map(([[header, message], n, len]) => {
      const avps = fromTyped(message);
      const original = build(header, avps);
      const bytes = original.slice();
      const offsets = avpOffsets(avps, headerLength);
      setAvpLength(bytes, offsets[n % offsets.length] as number, len);
      return sample('avp-length-below-6', original, bytes);
    }),
    fc.tuple(base, fc.nat(), fc.nat()).map(([[header, message], n, k]) => {
      const avps = fromTyped(message);
      const original = build(header, avps);
      const bytes = original.slice();
      // AVPs whose Length field can reach past the end (the last one always can here).
      const reachable = avpOffsets(avps, headerLength).filter((at) => original.length - at < 0x3ff);
      const at = reachable[n % reachable.length] as number;
      const left = original.length - at;
      setAvpLength(bytes, at, left + 1 + (k % (0x3ff - left)));
      return sample('avp-length-past-end', original, bytes);
    }),
    fc
      .tuple(base, fc.nat(), fc.boolean(), fc.constantFrom(...ARBITRARY_VENDOR_IDS))
      .map(([[header, message], n, vendor, vendorId]) => {
        const avps = fromTyped(message);
        const original = build(header, avps);
        const unknown: RawAvp = {
          mandatory: true,
          hidden: false,
          vendorId: vendor ? vendorId : 0,
          attributeType: vendor ? n & 0xffff : FIRST_UNKNOWN_IETF_TYPE + (n % 1000),
          value: Uint8Array.of(n & 0xff),
        };
        const at = 1 + (n % avps.length);
        const mutated = [...avps.slice(0, at), unknown, ...avps.slice(at)];
        return sample('unknown-mandatory-avp', original, build(header, mutated));
      }),
    base.map(([header, message]) => {
      const avps = fromTyped(message);
      return sample('message-type-removed', build(header, avps), build(header, avps.slice(1)));
    }),
  ];

  const hiding = options.hiding;
  if (hiding !== undefined) {
    const key = version === 3 ? deriveV3HidingKey(hiding.secret, hiding.crypto) : hiding.secret;
    mutations.push(
      fc
        .tuple(base, fc.uint8Array({ minLength: 16, maxLength: 16 }), octets({ min: 1, max: 40 }))
        .chain(([[header, message], rv, value]) =>
          fc.integer({ min: 2, max: value.length + 1 }).map((cut) => {
            const avps = fromTyped(message);
            const original = build(header, avps);
            // The keystream's first block depends only on type, key and Random Vector: cutting
            // the ciphertext keeps the decrypted original length, now larger than what is left.
            const ciphertext = hideAvpValue(
              value,
              AvpType.VendorName,
              key,
              rv,
              hiding.crypto,
            ).slice(0, cut);
            const extra: RawAvp[] = [
              {
                mandatory: true,
                hidden: false,
                vendorId: 0,
                attributeType: AvpType.RandomVector,
                value: rv,
              },
              {
                mandatory: false,
                hidden: true,
                vendorId: 0,
                attributeType: AvpType.VendorName,
                value: ciphertext,
              },
            ];
            const mutated = [...avps.slice(0, 1), ...extra, ...avps.slice(1)];
            return sample('hidden-length-too-large', original, build(header, mutated));
          }),
        ),
    );
  }
  return fc.oneof(...mutations);
}

// ---------------------------------------------------------------------------------------------
// Data messages

/** A data packet: header fields, payload and the encoded datagram. */
export interface DataMessageSample {
  readonly fields: DataHeader;
  readonly payload: Uint8Array;
  /** Header followed by the payload (fresh array). */
  readonly bytes: Uint8Array;
}

/**
 * Arbitrary data packets for a session with parameters `params` (src/codec/header.ts):
 * L2TPv2 with or without Length, Ns/Nr, Offset Size (zero padding) and the P bit; L2TPv3 over
 * UDP or IP with the session's cookie length and sublayer, a non-zero Session ID, and a
 * sequence number / ATM flags when the sublayer carries them. Payloads are 0–64 octets.
 */
export function dataMessageBytesArbitrary(params: DataParams): fc.Arbitrary<DataMessageSample> {
  const payload = fc.uint8Array({ maxLength: 64 });
  let fields: fc.Arbitrary<DataHeader>;
  if (params.version === 2) {
    fields = fc
      .record(
        {
          tunnelId: u16,
          sessionId: u16,
          length: fc.constant(0), // present: encodeData computes it
          seq: fc.record({ ns: u16, nr: u16 }),
          offsetSize: fc.integer({ min: 0, max: 8 }),
          priority: fc.boolean(),
        },
        { requiredKeys: ['tunnelId', 'sessionId'] },
      )
      .map(({ seq, ...rest }) => ({ version: 2 as const, ...rest, ...(seq ?? {}) }));
  } else {
    const { encap, cookieLength, sublayer } = params;
    fields = fc
      .record(
        {
          sessionId: fc.integer({ min: 1, max: 0xffff_ffff }),
          cookie: fc.uint8Array({ minLength: cookieLength, maxLength: cookieLength }),
          ns: sublayer === 'none' ? fc.constant(undefined) : fc.integer({ min: 0, max: 0xffffff }),
          atmFlags: sublayer === 'atm' ? fc.integer({ min: 0, max: 0x3f }) : fc.constant(0),
        },
        { requiredKeys: ['sessionId', 'cookie', 'atmFlags'] },
      )
      .map(({ ns, atmFlags, ...rest }) => ({
        version: 3 as const,
        encap,
        sublayer,
        ...rest,
        ...(ns === undefined ? {} : { ns }),
        ...(atmFlags === 0 ? {} : { atmFlags }),
      }));
  }
  return fc.tuple(fields, payload).map(([f, p]) => {
    const [header] = encodeData(f, p);
    const bytes = new Uint8Array(header.length + p.length);
    bytes.set(header, 0);
    bytes.set(p, header.length);
    // Report the Length actually sent (encodeData computes it).
    const sent: DataHeader =
      f.version === 2 && f.length !== undefined ? { ...f, length: bytes.length } : f;
    return { fields: sent, payload: p, bytes };
  });
}
