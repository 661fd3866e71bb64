/**
 * The raw AVP level: walk and write the M|H|rsvd|Length / Vendor ID / Attribute Type headers of
 * a control message body (RFC 2661 §4.1, RFC 3931 §5.1), losslessly.
 *
 * Nothing here knows what an attribute means: unknown, vendor and hidden AVPs pass through as
 * bytes, so decode then encode gives back the input byte for byte. Value codecs live in
 * values.ts, the AVP table in the registry, hiding in hidden.ts.
 */
import { DecodeError, UsageError } from '../errors.js';

/** One AVP as on the wire (RFC 2661 §4.1). Shared contract for the whole src/avp layer. */
export interface RawAvp {
  /** M bit (RFC 2661 §4.1). */
  readonly mandatory: boolean;
  /** H bit: value is hidden (RFC 2661 §4.3); `value` is then the ciphertext as on the wire. */
  readonly hidden: boolean;
  /** Vendor ID, 0 = IETF. */
  readonly vendorId: number;
  /** Attribute Type, 0–65535, unique per Vendor ID. */
  readonly attributeType: number;
  /** Value bytes: a view into the received datagram (copy to keep). */
  readonly value: Uint8Array;
  /**
   * The 4 reserved header bits when non-zero, kept so re-encode is lossless. The typed level
   * treats such an L2TPv2 AVP as unrecognised (RFC 2661 §4.1) and ignores the bits in L2TPv3
   * (RFC 3931 §5.1).
   */
  readonly reserved?: number;
}

/** Bytes of the AVP header: flags+Length (2), Vendor ID (2), Attribute Type (2). */
export const AVP_HEADER_LENGTH = 6;
/** Largest AVP Length the 10-bit field can carry, header included. */
export const AVP_MAX_LENGTH = 0x3ff;
/** Largest value an AVP can carry: 1023 - 6 = 1017 bytes. */
export const AVP_MAX_VALUE_LENGTH = AVP_MAX_LENGTH - AVP_HEADER_LENGTH;

const M_BIT = 0x80;
const H_BIT = 0x40;

/**
 * Decodes the AVPs in `bytes[start, end)` (a control message body).
 *
 * Each returned `value` is a zero-copy view into `bytes`: it is valid only as long as the
 * caller keeps that buffer unchanged. The walk is bounded by the input: every AVP consumes at
 * least 6 bytes, so at most (end - start) / 6 AVPs are produced.
 *
 * @throws DecodeError `L2TP_ERR_BAD_AVP_LENGTH` when an AVP Length is below 6 or runs past
 *   `end`, `L2TP_ERR_TRUNCATED` when fewer than 6 bytes remain for a header; `offset` is the
 *   index in `bytes` of the AVP concerned.
 * @throws UsageError when `start`/`end` are not a valid range of `bytes`.
 */
export function decodeAvps(bytes: Uint8Array, start = 0, end: number = bytes.length): RawAvp[] {
  if (
    !Number.isInteger(start) ||
    !Number.isInteger(end) ||
    start < 0 ||
    end < start ||
    end > bytes.length
  ) {
    throw new UsageError(`decodeAvps: bad range [${start}, ${end}) of ${bytes.length} bytes`);
  }
  const avps: RawAvp[] = [];
  let off = start;
  while (off < end) {
    if (end - off < AVP_HEADER_LENGTH) {
      throw new DecodeError(
        'L2TP_ERR_TRUNCATED',
        `AVP header truncated: ${end - off} bytes left at offset ${off}`,
        { offset: off },
      );
    }
    const b0 = bytes[off] as number;
    const length = ((b0 & 0x03) << 8) | (bytes[off + 1] as number);
    const vendorId = ((bytes[off + 2] as number) << 8) | (bytes[off + 3] as number);
    const attributeType = ((bytes[off + 4] as number) << 8) | (bytes[off + 5] as number);
    if (length < AVP_HEADER_LENGTH) {
      throw new DecodeError(
        'L2TP_ERR_BAD_AVP_LENGTH',
        `AVP Length ${length} < 6 at offset ${off}`,
        {
          offset: off,
          attributeType,
          vendorId,
        },
      );
    }
    if (length > end - off) {
      throw new DecodeError(
        'L2TP_ERR_BAD_AVP_LENGTH',
        `AVP Length ${length} runs past the message (${end - off} bytes left) at offset ${off}`,
        { offset: off, attributeType, vendorId },
      );
    }
    const reserved = (b0 >> 2) & 0x0f;
    // A view built from the buffer directly: about twice as fast as subarray() on V8.
    const value = new Uint8Array(
      bytes.buffer,
      bytes.byteOffset + off + AVP_HEADER_LENGTH,
      length - AVP_HEADER_LENGTH,
    );
    // Two literal shapes rather than a conditional property keep the common case monomorphic.
    avps.push(
      reserved === 0
        ? {
            mandatory: (b0 & M_BIT) !== 0,
            hidden: (b0 & H_BIT) !== 0,
            vendorId,
            attributeType,
            value,
          }
        : {
            mandatory: (b0 & M_BIT) !== 0,
            hidden: (b0 & H_BIT) !== 0,
            vendorId,
            attributeType,
            value,
            reserved,
          },
    );
    off += length;
  }
  return avps;
}

function checkAvp(avp: RawAvp, index: number): void {
  const { vendorId, attributeType, value, reserved } = avp;
  if (!Number.isInteger(vendorId) || vendorId < 0 || vendorId > 0xffff) {
    throw new UsageError(`AVP #${index}: Vendor ID ${vendorId} is not a 16-bit unsigned integer`);
  }
  if (!Number.isInteger(attributeType) || attributeType < 0 || attributeType > 0xffff) {
    throw new UsageError(
      `AVP #${index}: Attribute Type ${attributeType} is not a 16-bit unsigned integer`,
      { vendorId },
    );
  }
  if (value.length > AVP_MAX_VALUE_LENGTH) {
    throw new UsageError(
      `AVP #${index}: value of ${value.length} bytes exceeds ${AVP_MAX_VALUE_LENGTH} (10-bit Length)`,
      { attributeType, vendorId },
    );
  }
  if (reserved !== undefined && (!Number.isInteger(reserved) || reserved < 0 || reserved > 0x0f)) {
    throw new UsageError(`AVP #${index}: reserved bits ${reserved} do not fit in 4 bits`, {
      attributeType,
      vendorId,
    });
  }
}

/**
 * Number of bytes `encodeAvps(avps)` writes: the sum of 6 + value length.
 *
 * @throws UsageError when an AVP cannot be encoded (see encodeAvps).
 */
export function avpsLength(avps: readonly RawAvp[]): number {
  let n = 0;
  for (let i = 0; i < avps.length; i++) {
    const avp = avps[i] as RawAvp;
    checkAvp(avp, i);
    n += AVP_HEADER_LENGTH + avp.value.length;
  }
  return n;
}

/**
 * Writes `avps` in order, byte for byte as `decodeAvps` read them (reserved bits included).
 *
 * With `target`, writes into it at `offset` and returns the written region as a view of
 * `target`; without, returns a new array of exactly `avpsLength(avps)` bytes.
 *
 * @throws UsageError when a value is longer than 1017 bytes, an id or type is not a 16-bit
 *   unsigned integer, `reserved` exceeds 4 bits, or `target` is too small from `offset`.
 */
export function encodeAvps(avps: readonly RawAvp[], target?: Uint8Array, offset = 0): Uint8Array {
  const total = avpsLength(avps);
  let out: Uint8Array;
  if (target === undefined) {
    out = new Uint8Array(total);
    offset = 0;
  } else {
    if (!Number.isInteger(offset) || offset < 0 || offset + total > target.length) {
      throw new UsageError(
        `encodeAvps: ${total} bytes do not fit in target of ${target.length} at offset ${offset}`,
      );
    }
    out = target;
  }
  let off = offset;
  for (const avp of avps) {
    const length = AVP_HEADER_LENGTH + avp.value.length;
    out[off] =
      (avp.mandatory ? M_BIT : 0) |
      (avp.hidden ? H_BIT : 0) |
      ((avp.reserved ?? 0) << 2) |
      (length >> 8);
    out[off + 1] = length & 0xff;
    out[off + 2] = avp.vendorId >> 8;
    out[off + 3] = avp.vendorId & 0xff;
    out[off + 4] = avp.attributeType >> 8;
    out[off + 5] = avp.attributeType & 0xff;
    out.set(avp.value, off + AVP_HEADER_LENGTH);
    off += length;
  }
  return target === undefined ? out : out.subarray(offset, off);
}

/**
 * First AVP with the given Attribute Type and Vendor ID (default 0, IETF), or undefined.
 * Returns the element itself (its `value` is still a view of the decoded buffer).
 */
export function findAvp(
  avps: readonly RawAvp[],
  attributeType: number,
  vendorId = 0,
): RawAvp | undefined {
  for (const avp of avps) {
    if (avp.attributeType === attributeType && avp.vendorId === vendorId) return avp;
  }
  return undefined;
}

/**
 * The Message Type of a raw message: the value of its first AVP when that is a well-formed,
 * unhidden IETF Message Type AVP (RFC 2661 §4.4.1: it MUST come first); undefined otherwise,
 * including for a ZLB. Validation proper is the typed layer's job (messages.ts).
 */
export function messageTypeOf(avps: readonly RawAvp[]): number | undefined {
  const first = avps[0];
  if (
    first === undefined ||
    first.vendorId !== 0 ||
    first.attributeType !== 0 ||
    first.hidden ||
    first.value.length !== 2
  ) {
    return undefined;
  }
  return ((first.value[0] as number) << 8) | (first.value[1] as number);
}
