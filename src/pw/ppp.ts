/**
 * PPP framing on the L2TP data channel: L2TPv2 sessions (RFC 2661 §1, §5.4) and the L2TPv3 PPP
 * pseudowire (type 7). The payload is the PPP frame without flags, FCS or byte stuffing; peers
 * differ on whether the HDLC address/control octets 0xFF 0x03 precede the Protocol field, so both
 * forms are accepted on receive and adding them on send is an option. Protocol Field Compression
 * (RFC 1661 §6.5) is understood when reading the protocol. Not here: LCP/NCP negotiation.
 */

import { need } from '../codec/bytes.js';
import { DecodeError, UsageError } from '../errors.js';

/** HDLC all-stations address octet that may precede a PPP frame. */
export const PPP_ADDRESS = 0xff;
/** HDLC unnumbered-information control octet that may precede a PPP frame. */
export const PPP_CONTROL = 0x03;

/** A few PPP protocol numbers (RFC 1661 §2, RFC 1332, RFC 5072). */
export const PppProtocol = {
  Ipv4: 0x0021,
  Ipv6: 0x0057,
  Ipcp: 0x8021,
  Ipv6cp: 0x8057,
  Lcp: 0xc021,
  Pap: 0xc023,
  Chap: 0xc223,
} as const;

/** A PPP frame read from an L2TP payload. All views share the payload's buffer (no copy). */
export interface PppFrame {
  /** True when the frame arrived with the 0xFF 0x03 address/control prefix. */
  readonly addressControl: boolean;
  /** PPP Protocol field value (e.g. 0xc021 LCP, 0x0021 IPv4). */
  readonly protocol: number;
  /** 1 when the Protocol field was compressed (PFC), else 2. */
  readonly protocolLength: 1 | 2;
  /** The PPP packet from the Protocol field on (address/control stripped); view. */
  readonly packet: Uint8Array;
  /** The Information (+ padding) after the Protocol field; view. */
  readonly information: Uint8Array;
}

/**
 * Reads a PPP frame, with or without the 0xFF 0x03 prefix, and its 1- or 2-octet Protocol field.
 * The returned views alias `payload` and live as long as the caller keeps that buffer unchanged.
 * Throws DecodeError `L2TP_ERR_TRUNCATED` when no Protocol field is present and
 * `L2TP_ERR_BAD_HEADER` when the Protocol field breaks the ISO 3309 extension rule.
 */
export function decodePpp(payload: Uint8Array): PppFrame {
  const addressControl =
    payload.length >= 2 && payload[0] === PPP_ADDRESS && payload[1] === PPP_CONTROL;
  const at = addressControl ? 2 : 0;
  need(payload, at + 1, at, 'PPP protocol field');
  const first = payload[at] as number;
  let protocol: number;
  let protocolLength: 1 | 2;
  if ((first & 1) === 1) {
    // RFC 1661 §6.5: an odd first octet is a compressed (single-octet) Protocol field.
    protocol = first;
    protocolLength = 1;
  } else {
    need(payload, at + 2, at, 'PPP protocol field');
    const second = payload[at + 1] as number;
    if ((second & 1) === 0) {
      throw new DecodeError(
        'L2TP_ERR_BAD_HEADER',
        'PPP protocol field does not end in an odd octet',
        {
          offset: at + 1,
        },
      );
    }
    protocol = (first << 8) | second;
    protocolLength = 2;
  }
  return {
    addressControl,
    protocol,
    protocolLength,
    packet: payload.subarray(at),
    information: payload.subarray(at + protocolLength),
  };
}

/** Send options for PPP frames. */
export interface PppEncodeOptions {
  /** Prepend 0xFF 0x03 (some LNS/LAC peers expect it; Linux sends without). Default false. */
  readonly addressControl?: boolean;
  /**
   * Send a 1-octet Protocol field when the value allows it; only after PFC was negotiated
   * (RFC 1661 §6.5). Never applied to LCP (0xc021). Default false.
   */
  readonly compressProtocol?: boolean;
}

/** True when `protocol` is a valid PPP Protocol value: low octet odd, high octet even. */
export function isPppProtocol(protocol: number): boolean {
  return (protocol & 0xffff) === protocol && (protocol & 0x0001) === 1 && (protocol & 0x0100) === 0;
}

/**
 * Frames a PPP packet (Protocol field + Information, as built by the PPP layer) for the data
 * channel. Returns scatter/gather chunks: `[prefix, packet]` with a fresh 2-octet 0xFF 0x03
 * prefix, or `[packet]`; `packet` itself is never copied.
 */
export function encodePpp(packet: Uint8Array, options: PppEncodeOptions = {}): Uint8Array[] {
  if (packet.length === 0) throw new UsageError('PPP packet is empty');
  return options.addressControl === true
    ? [Uint8Array.of(PPP_ADDRESS, PPP_CONTROL), packet]
    : [packet];
}

/**
 * Frames `information` under `protocol`: returns `[prefix, information]`, where the fresh prefix
 * holds the optional 0xFF 0x03 and the 1- or 2-octet Protocol field. Throws UsageError for an
 * invalid protocol number.
 */
export function encodePppPacket(
  protocol: number,
  information: Uint8Array,
  options: PppEncodeOptions = {},
): Uint8Array[] {
  if (!isPppProtocol(protocol))
    throw new UsageError(`invalid PPP protocol 0x${protocol.toString(16)}`);
  const ac = options.addressControl === true;
  // RFC 1661 §6.5: LCP is never compressed; only values below 0x100 fit in one octet.
  const short = options.compressProtocol === true && protocol < 0x100;
  const prefix = new Uint8Array((ac ? 2 : 0) + (short ? 1 : 2));
  let i = 0;
  if (ac) {
    prefix[i++] = PPP_ADDRESS;
    prefix[i++] = PPP_CONTROL;
  }
  if (!short) prefix[i++] = protocol >>> 8;
  prefix[i] = protocol & 0xff;
  return [prefix, information];
}
