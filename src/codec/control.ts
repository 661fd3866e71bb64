/**
 * Whole control messages: header + AVP list, at the lossless raw level (`decodeControl` /
 * `encodeControl`) and at the typed level (`parseControl` / `buildControl`).
 *
 * The raw level re-encodes byte for byte what it decoded (AVP order, unknown, vendor and hidden
 * AVPs, reserved AVP bits). The typed level validates against the message table
 * (src/avp/messages.ts). Ns/Nr are the reliable channel's business (src/seq); here they are just
 * header fields.
 */
import {
  type ControlMessage,
  type FromTypedOptions,
  fromTyped,
  type ToTypedOptions,
  toTyped,
  toTypedFromWire,
} from '../avp/messages.js';
import { avpsLength, decodeAvps, encodeAvps, type RawAvp } from '../avp/raw.js';
import { UsageError } from '../errors.js';
import { controlHeaderEnd } from './control-check.js';
import {
  CONTROL_HEADER_LENGTH,
  type ControlHeader,
  type ControlHeaderV2,
  type ControlHeaderV3,
  controlHeaderLength,
  decodeControlHeader,
  type Encapsulation,
  encodeControlHeader,
} from './header.js';

/** A control message at the raw level: the header and every AVP as on the wire. */
export interface RawControlMessage {
  readonly header: ControlHeader;
  /** Values are views into the decoded datagram (copy to keep). */
  readonly avps: readonly RawAvp[];
}

/** Header fields to send; Length is computed. */
export type ControlHeaderInit = Omit<ControlHeaderV2, 'length'> | Omit<ControlHeaderV3, 'length'>;

/** Encapsulation option shared by the control codecs. */
export interface EncapsulationOptions {
  /** 'udp' (default; v2 and v3) or 'ip' (L2TPv3 over IP protocol 115, RFC 3931 §4.1.1). */
  readonly encap?: Encapsulation;
}

/**
 * Decodes a control message at the raw level. Bytes after the header's Length are ignored (they
 * are not part of the message). Total: returns or throws DecodeError.
 */
export function decodeControl(
  bytes: Uint8Array,
  options: EncapsulationOptions = {},
): RawControlMessage {
  const { header, avpStart, end } = decodeControlHeader(bytes, options.encap ?? 'udp');
  return { header, avps: decodeAvps(bytes, avpStart, end) };
}

/** Length in octets of the encoded message (with the zero Session ID for v3 over IP). */
export function controlLength(
  header: ControlHeaderInit,
  avps: readonly RawAvp[],
  options: EncapsulationOptions = {},
): number {
  return controlHeaderLength(header.version, options.encap ?? 'udp') + avpsLength(avps);
}

/**
 * Encodes a control message: into `target` at `offset` when given (returns the written view),
 * or into a new array. A message without AVPs is a ZLB.
 * @throws UsageError when a field is out of range or the message exceeds 65535 octets.
 */
export function encodeControl(
  message: { readonly header: ControlHeaderInit; readonly avps: readonly RawAvp[] },
  options: EncapsulationOptions & { readonly target?: Uint8Array; readonly offset?: number } = {},
): Uint8Array {
  const encap = options.encap ?? 'udp';
  const headerLength = controlHeaderLength(message.header.version, encap);
  const bodyLength = avpsLength(message.avps);
  // Over IP the Length field does not count the 4-octet zero Session ID (RFC 3931 §4.1.1.2).
  const length = headerLength - (encap === 'ip' ? 4 : 0) + bodyLength;
  if (length > 0xffff) throw new UsageError(`control message of ${length} octets exceeds 65535`);
  const total = headerLength + bodyLength;
  const offset = options.offset ?? 0;
  const target = options.target ?? new Uint8Array(total);
  const h = message.header;
  const header: ControlHeader =
    h.version === 2
      ? { version: 2, tunnelId: h.tunnelId, sessionId: h.sessionId, ns: h.ns, nr: h.nr, length }
      : { version: 3, connectionId: h.connectionId, ns: h.ns, nr: h.nr, length };
  const avpStart = encodeControlHeader(header, target, offset, encap);
  encodeAvps(message.avps, target, avpStart);
  return target.subarray(offset, offset + total);
}

/** A control message decoded to the typed level, with the raw form kept beside it. */
export interface ParsedControlMessage extends RawControlMessage {
  readonly message: ControlMessage;
}

/**
 * Decodes and validates a control message: raw decode, then unhiding and `toTyped`.
 * @throws DecodeError for unreadable bytes (drop the datagram), ProtocolError for violations the
 *   RFC answers with StopCCN or CDN.
 */
export function parseControl(
  bytes: Uint8Array,
  options: EncapsulationOptions & ToTypedOptions = {},
): ParsedControlMessage {
  const encap = options.encap ?? 'udp';
  const end = controlHeaderEnd(bytes, encap);
  // Fast path: typed values read in place; the header and the raw list are built only if
  // someone asks for them (the engine reads `message` alone).
  const avpStart = (encap === 'ip' ? 4 : 0) + CONTROL_HEADER_LENGTH;
  const version = ((bytes[avpStart - CONTROL_HEADER_LENGTH + 1] as number) & 0x0f) as 2 | 3;
  const fast = toTypedFromWire(bytes, avpStart, end, version);
  if (fast !== undefined) return new LazyParsedControl(fast, bytes, encap, avpStart, end);
  const { header } = decodeControlHeader(bytes, encap);
  const avps = decodeAvps(bytes, avpStart, end);
  return { header, avps, message: toTyped(avps, header.version, options) };
}

/**
 * @internal `parseControl(bytes).message` for a header the caller has decoded already (the
 * engine): the AVPs from `avpStart` to `end` as a typed message. The same errors.
 */
export function parseControlBody(
  bytes: Uint8Array,
  avpStart: number,
  end: number,
  version: 2 | 3,
  options: ToTypedOptions,
): ControlMessage {
  return (
    toTypedFromWire(bytes, avpStart, end, version) ??
    toTyped(decodeAvps(bytes, avpStart, end), version, options)
  );
}

// A parsed message whose header and raw AVP list are decoded on first access (the bytes were
// already validated, so decoding them cannot fail).
class LazyParsedControl implements ParsedControlMessage {
  readonly message: ControlMessage;
  #header: ControlHeader | undefined;
  #avps: readonly RawAvp[] | undefined;
  readonly #bytes: Uint8Array;
  readonly #encap: Encapsulation;
  readonly #start: number;
  readonly #end: number;

  constructor(
    message: ControlMessage,
    bytes: Uint8Array,
    encap: Encapsulation,
    start: number,
    end: number,
  ) {
    this.message = message;
    this.#bytes = bytes;
    this.#encap = encap;
    this.#start = start;
    this.#end = end;
  }

  get header(): ControlHeader {
    this.#header ??= decodeControlHeader(this.#bytes, this.#encap).header;
    return this.#header;
  }

  get avps(): readonly RawAvp[] {
    this.#avps ??= decodeAvps(this.#bytes, this.#start, this.#end);
    return this.#avps;
  }
}

/** Builds the bytes of a typed message with the given header fields (`fromTyped` + encode). */
export function buildControl(
  header: ControlHeaderInit,
  message: ControlMessage,
  options: EncapsulationOptions & FromTypedOptions = {},
): Uint8Array {
  if (message.version !== header.version) {
    throw new UsageError(`L2TPv${message.version} message in an L2TPv${header.version} header`);
  }
  return encodeControl({ header, avps: fromTyped(message, options) }, options);
}
