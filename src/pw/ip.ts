/**
 * IP pseudowire (type 11, from an expired draft but used by peers): the payload is one raw IPv4
 * or IPv6 packet, no link header. Decoding checks the version nibble and the header/total length
 * fields against the bytes present and trims link padding; the views alias the payload.
 * Not here: IP options, extension-header walking, checksums, fragmentation.
 */

import { need, readU16 } from '../codec/bytes.js';
import { DecodeError, UsageError } from '../errors.js';

/** Octets of the fixed IPv4 header. */
export const IPV4_MIN_HEADER_LENGTH = 20;
/** Octets of the fixed IPv6 header. */
export const IPV6_HEADER_LENGTH = 40;

/** An IP packet read from an IP pseudowire payload. */
export interface IpPacket {
  /** 4 or 6 (the version nibble). */
  readonly version: 4 | 6;
  /** The packet, trimmed to the length its header declares; view. */
  readonly packet: Uint8Array;
  /** IPv4 IHL × 4, or 40 for IPv6 (extension headers count as payload). */
  readonly headerLength: number;
  /** IPv4 Protocol or IPv6 Next Header. */
  readonly protocol: number;
  /** Total Length (IPv4) or 40 + Payload Length (IPv6), in octets. */
  readonly totalLength: number;
}

function bad(message: string, offset: number): DecodeError {
  return new DecodeError('L2TP_ERR_BAD_LENGTH', message, { offset });
}

/**
 * Reads a raw IPv4/IPv6 packet. Trailing octets beyond the declared length are dropped from the
 * `packet` view. Throws DecodeError: `L2TP_ERR_TRUNCATED`, `L2TP_ERR_BAD_VERSION` (nibble not 4
 * or 6), `L2TP_ERR_BAD_LENGTH` (IHL < 5, or declared length beyond the bytes).
 */
export function decodeIp(payload: Uint8Array): IpPacket {
  need(payload, 1, 0, 'IP version');
  const version = (payload[0] as number) >>> 4;
  if (version === 4) {
    need(payload, IPV4_MIN_HEADER_LENGTH, 0, 'IPv4 header');
    const headerLength = ((payload[0] as number) & 0x0f) * 4;
    if (headerLength < IPV4_MIN_HEADER_LENGTH) throw bad(`IPv4 IHL ${headerLength / 4} < 5`, 0);
    const totalLength = readU16(payload, 2);
    if (totalLength < headerLength || totalLength > payload.length) {
      throw bad(`IPv4 total length ${totalLength} outside ${headerLength}–${payload.length}`, 2);
    }
    return {
      version,
      packet: payload.subarray(0, totalLength),
      headerLength,
      protocol: payload[9] as number,
      totalLength,
    };
  }
  if (version === 6) {
    need(payload, IPV6_HEADER_LENGTH, 0, 'IPv6 header');
    const totalLength = IPV6_HEADER_LENGTH + readU16(payload, 4);
    // Jumbograms (RFC 2675, Payload Length 0) exceed any datagram, so 0 here means no payload.
    if (totalLength > payload.length) {
      throw bad(`IPv6 length ${totalLength} beyond the ${payload.length} octets present`, 4);
    }
    return {
      version,
      packet: payload.subarray(0, totalLength),
      headerLength: IPV6_HEADER_LENGTH,
      protocol: payload[6] as number,
      totalLength,
    };
  }
  throw new DecodeError('L2TP_ERR_BAD_VERSION', `IP version ${version} is neither 4 nor 6`, {
    offset: 0,
  });
}

/** Checks that `packet` starts like an IPv4/IPv6 packet and returns `[packet]` (no copy). */
export function encodeIp(packet: Uint8Array): Uint8Array[] {
  try {
    decodeIp(packet);
  } catch (cause) {
    throw new UsageError('not an IPv4/IPv6 packet', { cause });
  }
  return [packet];
}
