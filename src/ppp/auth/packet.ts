/**
 * The packet header PAP and CHAP share (RFC 1334 §2.2, RFC 1994 §4): Code, Identifier, a
 * two-octet Length that counts the whole packet, then Data. Octets past Length are Data Link
 * Layer padding and are ignored on reception.
 *
 * Decoders here and in pap.ts / chap.ts / mschapv2.ts read untrusted bytes and throw nothing but
 * DecodeError. The Data they return are views into the input (no copy): machines copy what they
 * keep beyond the call.
 */
import { need, readU16, writeU16 } from '../../codec/bytes.js';
import { DecodeError, UsageError } from '../../errors.js';

/** Octets before Data: Code, Identifier, Length. */
export const AUTH_HEADER_LENGTH = 4;

/** A PAP or CHAP packet cut at its Length. */
export interface AuthPacketFrame {
  readonly code: number;
  readonly identifier: number;
  /** The Data field (a view; Length − 4 octets). */
  readonly data: Uint8Array;
}

/**
 * Splits `packet` into Code, Identifier and Data. `what` names the protocol in error messages.
 * @throws DecodeError `L2TP_ERR_TRUNCATED` when the header or the Length runs past the input,
 *   `L2TP_ERR_BAD_LENGTH` when Length is below 4.
 */
export function decodeAuthFrame(packet: Uint8Array, what: string): AuthPacketFrame {
  need(packet, AUTH_HEADER_LENGTH, 0, `${what} header`);
  const length = readU16(packet, 2);
  if (length < AUTH_HEADER_LENGTH) {
    throw new DecodeError('L2TP_ERR_BAD_LENGTH', `${what} Length ${length} is below 4`, {
      offset: 2,
    });
  }
  need(packet, length, 2, `${what} packet (Length ${length})`);
  return {
    code: packet[0] as number,
    identifier: packet[1] as number,
    data: packet.subarray(AUTH_HEADER_LENGTH, length),
  };
}

/**
 * Reads a one-octet length and that many octets at `offset` of `data` (PAP's Peer-ID, Password
 * and Message fields; CHAP's Value).
 * @throws DecodeError `L2TP_ERR_TRUNCATED` when either runs past `data`.
 */
export function readCounted(
  data: Uint8Array,
  offset: number,
  what: string,
): { readonly value: Uint8Array; readonly end: number } {
  need(data, offset + 1, AUTH_HEADER_LENGTH + offset, `${what} length`);
  const end = offset + 1 + (data[offset] as number);
  need(data, end, AUTH_HEADER_LENGTH + offset, what);
  return { value: data.subarray(offset + 1, end), end };
}

/**
 * A packet with Code `code`, Identifier `identifier` and the concatenated `fields` as Data.
 * @throws UsageError when the identifier is not an octet or the packet exceeds 65535 octets.
 */
export function encodeAuthPacket(
  code: number,
  identifier: number,
  ...fields: readonly Uint8Array[]
): Uint8Array {
  if ((identifier & 0xff) !== identifier) {
    throw new UsageError(`Identifier must be an octet, got ${identifier}`);
  }
  let length = AUTH_HEADER_LENGTH;
  for (const f of fields) length += f.length;
  if (length > 0xffff) throw new UsageError(`packet of ${length} octets exceeds Length's range`);
  const out = new Uint8Array(length);
  out[0] = code;
  out[1] = identifier;
  writeU16(out, 2, length);
  let at = AUTH_HEADER_LENGTH;
  for (const f of fields) {
    out.set(f, at);
    at += f.length;
  }
  return out;
}

/** One octet holding `n`, for the counted fields (callers keep n ≤ 255). */
export function octet(n: number): Uint8Array {
  return Uint8Array.of(n);
}
