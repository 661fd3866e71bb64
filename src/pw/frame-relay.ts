/**
 * Frame Relay DLCI pseudowire (type 1), RFC 4591 §4.1: the FR PDU without HDLC flags and FCS is
 * the payload, so the Q.922 address field (2 octets REQUIRED, 4 OPTIONAL, as agreed by the Frame
 * Relay Header Length AVP, RFC 4591 §3.5) with DLCI, C/R, FECN, BECN and DE is carried IN the
 * payload, not in the L2-Specific Sublayer (that is the Default one, only for sequencing).
 * The header length is a session parameter and never guessed. Not here: LMI, Q.933 signalling.
 */

import { need } from '../codec/bytes.js';
import { DecodeError, UsageError } from '../errors.js';

/** Frame Relay header length in octets (Frame Relay Header Length AVP values). */
export type FrHeaderLength = 2 | 4;

/** Default header length when the Frame Relay Header Length AVP is absent (RFC 4591 §3.5). */
export const FR_DEFAULT_HEADER_LENGTH: FrHeaderLength = 2;

/** The Q.922 address fields; the same shape is used for encoding. */
export interface FrAddress {
  /** DLCI: 10 bits with a 2-octet header, 23 bits with a 4-octet header. */
  readonly dlci: number;
  /** C/R bit, conveyed transparently (RFC 4591 §4.1: MUST NOT be changed by the LCCE). */
  readonly cr: boolean;
  /** FECN (forward congestion); may be set, never cleared, by an LCCE. */
  readonly fecn: boolean;
  /** BECN (backward congestion); may be set, never cleared, by an LCCE. */
  readonly becn: boolean;
  /** DE (discard eligible); may be set, never cleared, by an LCCE. */
  readonly de: boolean;
}

/** A Frame Relay frame read from the payload. Views alias the payload. */
export interface FrFrame extends FrAddress {
  /** 2 or 4, as configured. */
  readonly headerLength: FrHeaderLength;
  /** The address field octets; view (edit bits in place to set FECN/BECN/DE when forwarding). */
  readonly header: Uint8Array;
  /** The frame after the address field (Q.933 control/NLPID/user data); view. */
  readonly payload: Uint8Array;
}

/** Address bits (RFC 4591 §4.1): CR in octet 0 (bit 6); FECN, BECN, DE in octet 1; EA in every octet. */
export const FR_BITS = { CR: 0x02, FECN: 0x08, BECN: 0x04, DE: 0x02, EA: 0x01 } as const;

function badEa(offset: number): DecodeError {
  return new DecodeError('L2TP_ERR_BAD_HEADER', 'Frame Relay address extension bit mismatch', {
    offset,
  });
}

/**
 * Reads the Frame Relay address field of `headerLength` octets (a session parameter; default 2).
 * Throws DecodeError `L2TP_ERR_TRUNCATED` or `L2TP_ERR_BAD_HEADER` (EA bits not 0…0 1, or the
 * 4-octet D/C bit set, which RFC 4591 fixes at 0).
 */
export function decodeFrameRelay(
  payload: Uint8Array,
  headerLength: FrHeaderLength = FR_DEFAULT_HEADER_LENGTH,
): FrFrame {
  need(payload, headerLength, 0, 'Frame Relay header');
  const b0 = payload[0] as number;
  const b1 = payload[1] as number;
  if ((b0 & FR_BITS.EA) !== 0) throw badEa(0);
  let dlci: number;
  if (headerLength === 2) {
    if ((b1 & FR_BITS.EA) !== 1) throw badEa(1);
    dlci = ((b0 >>> 2) << 4) | (b1 >>> 4);
  } else {
    const b2 = payload[2] as number;
    const b3 = payload[3] as number;
    if ((b1 & FR_BITS.EA) !== 0) throw badEa(1);
    if ((b2 & FR_BITS.EA) !== 0) throw badEa(2);
    if ((b3 & FR_BITS.EA) !== 1) throw badEa(3);
    if ((b3 & 0x02) !== 0) {
      throw new DecodeError('L2TP_ERR_BAD_HEADER', 'Frame Relay D/C bit set', { offset: 3 });
    }
    // 6 + 4 + 7 + 6 = 23 DLCI bits, high to low.
    dlci = ((b0 >>> 2) << 17) | ((b1 >>> 4) << 13) | ((b2 >>> 1) << 6) | (b3 >>> 2);
  }
  return {
    dlci,
    cr: (b0 & FR_BITS.CR) !== 0,
    fecn: (b1 & FR_BITS.FECN) !== 0,
    becn: (b1 & FR_BITS.BECN) !== 0,
    de: (b1 & FR_BITS.DE) !== 0,
    headerLength,
    header: payload.subarray(0, headerLength),
    payload: payload.subarray(headerLength),
  };
}

/**
 * Builds the address field and returns `[header, payload]` (fresh header, payload not copied).
 * Throws UsageError when the DLCI does not fit the header length.
 */
export function encodeFrameRelay(
  address: FrAddress,
  payload: Uint8Array,
  headerLength: FrHeaderLength = FR_DEFAULT_HEADER_LENGTH,
): Uint8Array[] {
  const { dlci } = address;
  const bits = headerLength === 2 ? 10 : 23;
  if (!Number.isInteger(dlci) || dlci < 0 || dlci >= 2 ** bits) {
    throw new UsageError(`DLCI ${dlci} does not fit a ${headerLength}-octet Frame Relay header`);
  }
  const header = new Uint8Array(headerLength);
  const flags =
    (address.fecn ? FR_BITS.FECN : 0) |
    (address.becn ? FR_BITS.BECN : 0) |
    (address.de ? FR_BITS.DE : 0);
  const cr = address.cr ? FR_BITS.CR : 0;
  if (headerLength === 2) {
    header[0] = ((dlci >>> 4) << 2) | cr;
    header[1] = ((dlci & 0x0f) << 4) | flags | FR_BITS.EA;
  } else {
    header[0] = ((dlci >>> 17) << 2) | cr;
    header[1] = (((dlci >>> 13) & 0x0f) << 4) | flags;
    header[2] = ((dlci >>> 6) & 0x7f) << 1;
    header[3] = ((dlci & 0x3f) << 2) | FR_BITS.EA;
  }
  return [header, payload];
}
