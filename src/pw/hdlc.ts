/**
 * HDLC pseudowire (type 6), RFC 4349 §4.1: the HDLC frame without flags and FCS, unstuffed, is
 * the payload, address and control fields included, passed transparently ("port to port").
 * Decoding exposes the address and first control octet as numbers and the rest as a view.
 * Not here: flags, FCS, bit/byte stuffing (done by the HDLC interface), LAPB or Cisco-HDLC logic.
 */

import { need } from '../codec/bytes.js';
import { UsageError } from '../errors.js';

/** An HDLC frame read from an HDLC pseudowire payload. Views alias the payload. */
export interface HdlcFrame {
  /** The whole frame as carried (the payload itself). */
  readonly frame: Uint8Array;
  /** Address octet (e.g. 0xff all-stations, 0x0f/0x8f Cisco HDLC unicast/broadcast). */
  readonly address: number;
  /** First control octet (an extended 2-octet control field continues in `information`). */
  readonly control: number;
  /** The octets after address and control (protocol field and data); view. */
  readonly information: Uint8Array;
}

/**
 * Reads an HDLC frame. Views live as long as `payload` is unchanged. Throws DecodeError
 * `L2TP_ERR_TRUNCATED` below 2 octets (address + control).
 */
export function decodeHdlc(payload: Uint8Array): HdlcFrame {
  need(payload, 2, 0, 'HDLC address/control');
  return {
    frame: payload,
    address: payload[0] as number,
    control: payload[1] as number,
    information: payload.subarray(2),
  };
}

/**
 * Frames `information` under an address and control octet: returns `[prefix, information]` with
 * a fresh 2-octet prefix; `information` is not copied. Throws UsageError for non-octet values.
 */
export function encodeHdlc(
  address: number,
  control: number,
  information: Uint8Array,
): Uint8Array[] {
  if ((address & 0xff) !== address || (control & 0xff) !== control) {
    throw new UsageError('HDLC address and control must be octets');
  }
  return [Uint8Array.of(address, control), information];
}
