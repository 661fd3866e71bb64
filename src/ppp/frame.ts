/**
 * PPP frames as L2TP carries them, and the packet layout every PPP control protocol shares (LCP,
 * IPCP, IPv6CP: RFC 1661 §5, §6; RFC 1332 §2; RFC 5072 §3).
 *
 * A frame here is what is left of an RFC 1662 frame without flags, stuffing and FCS:
 * `[FF 03] Protocol(1 or 2) Information [Padding]`. Received frames may come with or without the
 * address/control octets and with a 1- or 2-octet Protocol field (RFC 1661 §6.5); the reading is
 * src/pw/ppp.ts's `decodePpp`, shared with the data path. Sent frames follow `PppFraming`.
 *
 * Control packets: `Code(1) Identifier(1) Length(2) Data`, Configuration Options `Type(1)
 * Length(1) Data`. Decoders take untrusted bytes and return a value or throw DecodeError (never
 * RangeError); the engines drop what throws, which is RFC 1661's "silently discarded".
 * Not here: what the codes and options mean (automaton.ts, lcp.ts, ipcp.ts, ipv6cp.ts).
 */

import { readU16, writeU16 } from '../codec/bytes.js';
import { DecodeError, UsageError } from '../errors.js';
import { decodePpp, PPP_ADDRESS, PPP_CONTROL, type PppFrame, PppProtocol } from '../pw/ppp.js';

export { type PppFrame, PppProtocol };

/** LCP codes (RFC 1661 §5, RFC 1570 §1). NCPs use 1–7 only (RFC 1332 §2, RFC 5072 §3). */
export const PppCode = {
  ConfigureRequest: 1,
  ConfigureAck: 2,
  ConfigureNak: 3,
  ConfigureReject: 4,
  TerminateRequest: 5,
  TerminateAck: 6,
  CodeReject: 7,
  ProtocolReject: 8,
  EchoRequest: 9,
  EchoReply: 10,
  DiscardRequest: 11,
  Identification: 12,
  TimeRemaining: 13,
} as const;

/**
 * How we frame what we send. One object per link, shared by its protocols and updated by LCP
 * as options are negotiated (so it is mutable on purpose).
 */
export interface PppFraming {
  /**
   * Put FF 03 in front of frames. Over L2TP the data path can add them itself (the session's
   * `pppAddressControl`), so the PPP engines default to false.
   */
  addressControl: boolean;
  /** The peer accepts frames without FF 03 (ACFC acknowledged); never applied to LCP (§6.6). */
  acfc: boolean;
  /** The peer accepts 1-octet Protocol fields (PFC acknowledged); never for LCP (§6.5). */
  pfc: boolean;
  /** The peer's MRU: the largest Information field we may send (RFC 1661 §6.1; 1500 by default). */
  mtu: number;
}

/** A framing with nothing negotiated: no FF 03, 2-octet protocols, MTU 1500. */
export function defaultFraming(addressControl = false): PppFraming {
  return { addressControl, acfc: false, pfc: false, mtu: 1500 };
}

/** One PPP control packet, as read. `data` is a view of the Data field (padding excluded). */
export interface ControlPacket {
  readonly code: number;
  readonly id: number;
  /** The whole packet, Code to the end of Data (a view; without the padding). */
  readonly packet: Uint8Array;
  /** The Data field (a view). */
  readonly data: Uint8Array;
}

/** One Configuration Option: Type and the Data after its Length octet (a view when decoded). */
export interface PppOption {
  readonly type: number;
  readonly data: Uint8Array;
}

/**
 * Reads a frame, with or without FF 03 and with a 1- or 2-octet Protocol field. The views alias
 * `bytes`. Throws DecodeError `L2TP_ERR_TRUNCATED` (no Protocol field) or `L2TP_ERR_BAD_HEADER`
 * (a Protocol field that does not end in an odd octet).
 */
export function decodeFrame(bytes: Uint8Array): PppFrame {
  return decodePpp(bytes);
}

/** Octets before the Information field of a frame of `protocol` sent with `framing`. */
export function frameHeaderLength(protocol: number, framing: PppFraming): number {
  const ac = framing.addressControl && (protocol === PppProtocol.Lcp || !framing.acfc) ? 2 : 0;
  // RFC 1661 §6.5: only values below 0x100 fit one octet; LCP (0xc021) never does.
  return ac + (framing.pfc && protocol < 0x100 ? 1 : 2);
}

/** Writes the frame header for `protocol` at the start of `frame`; returns its length. */
export function writeFrameHeader(frame: Uint8Array, protocol: number, framing: PppFraming): number {
  const h = frameHeaderLength(protocol, framing);
  let i = 0;
  if (h === 4 || h === 3) {
    frame[i++] = PPP_ADDRESS;
    frame[i++] = PPP_CONTROL;
  }
  if ((h & 1) === 0) frame[i++] = protocol >>> 8;
  frame[i] = protocol & 0xff;
  return h;
}

function checkProtocol(protocol: number): void {
  // ISO 3309 extension rule (RFC 1661 §2): low octet odd, high octet even.
  if ((protocol & 0xffff) !== protocol || (protocol & 0x0101) !== 0x0001) {
    throw new UsageError(`invalid PPP protocol 0x${protocol.toString(16)}`);
  }
}

/** A new frame: the header for `protocol` under `framing`, then a copy of `information`. */
export function encodeFrame(
  protocol: number,
  information: Uint8Array,
  framing: PppFraming,
): Uint8Array {
  checkProtocol(protocol);
  const h = frameHeaderLength(protocol, framing);
  const frame = new Uint8Array(h + information.length);
  writeFrameHeader(frame, protocol, framing);
  frame.set(information, h);
  return frame;
}

/**
 * A new frame holding a control packet header (`code`, `id`, Length = 4 + dataLength) for
 * `protocol`; the caller writes the Data into the last `dataLength` octets.
 */
export function controlFrame(
  protocol: number,
  framing: PppFraming,
  code: number,
  id: number,
  dataLength: number,
): Uint8Array {
  checkProtocol(protocol);
  const length = 4 + dataLength;
  if (!Number.isInteger(dataLength) || dataLength < 0 || length > 0xffff) {
    throw new UsageError(`PPP control packet data of ${dataLength} octets does not fit`);
  }
  const h = frameHeaderLength(protocol, framing);
  const frame = new Uint8Array(h + length);
  writeFrameHeader(frame, protocol, framing);
  frame[h] = code;
  frame[h + 1] = id;
  writeU16(frame, h + 2, length);
  return frame;
}

/**
 * Reads a control packet from an Information field. RFC 1661 §5: octets beyond Length are
 * padding and ignored; Length below 4 or beyond the field is invalid (DecodeError
 * `L2TP_ERR_BAD_LENGTH`, which the engines drop silently); fewer than 4 octets:
 * `L2TP_ERR_TRUNCATED`.
 */
export function decodeControl(information: Uint8Array): ControlPacket {
  if (information.length < 4) {
    throw new DecodeError(
      'L2TP_ERR_TRUNCATED',
      `PPP control packet needs 4 octets, got ${information.length}`,
      { offset: 0 },
    );
  }
  const length = readU16(information, 2);
  if (length < 4 || length > information.length) {
    throw new DecodeError(
      'L2TP_ERR_BAD_LENGTH',
      `PPP control packet Length ${length} outside 4…${information.length}`,
      { offset: 2 },
    );
  }
  return {
    code: information[0] as number,
    id: information[1] as number,
    packet: information.subarray(0, length),
    data: information.subarray(4, length),
  };
}

/**
 * Reads the Configuration Options of a Configure-Request/Ack/Nak/Reject Data field. The options'
 * `data` are views of `data`. An option shorter than 2 octets or running past the end throws
 * DecodeError `L2TP_ERR_BAD_AVP_LENGTH` / `L2TP_ERR_TRUNCATED` (RFC 1661 §6: the whole packet is
 * discarded).
 */
export function decodeOptions(data: Uint8Array): PppOption[] {
  const options: PppOption[] = [];
  let i = 0;
  while (i < data.length) {
    if (i + 2 > data.length) {
      throw new DecodeError('L2TP_ERR_TRUNCATED', 'PPP option header cut short', { offset: i });
    }
    const len = data[i + 1] as number;
    if (len < 2) {
      throw new DecodeError('L2TP_ERR_BAD_AVP_LENGTH', `PPP option Length ${len} below 2`, {
        offset: i + 1,
        attributeType: data[i] as number,
      });
    }
    if (i + len > data.length) {
      throw new DecodeError('L2TP_ERR_TRUNCATED', `PPP option Length ${len} runs past the packet`, {
        offset: i + 1,
        attributeType: data[i] as number,
      });
    }
    options.push({ type: data[i] as number, data: data.subarray(i + 2, i + len) });
    i += len;
  }
  return options;
}

/** Octets `options` take on the wire. Throws UsageError for an option that cannot be encoded. */
export function optionsLength(options: readonly PppOption[]): number {
  let n = 0;
  for (const o of options) {
    if ((o.type & 0xff) !== o.type || o.data.length > 253) {
      throw new UsageError(`PPP option ${o.type} with ${o.data.length} data octets cannot be sent`);
    }
    n += 2 + o.data.length;
  }
  return n;
}

/** Writes `options` at `offset` (room checked by the caller); returns the end offset. */
export function writeOptions(
  target: Uint8Array,
  offset: number,
  options: readonly PppOption[],
): number {
  let i = offset;
  for (const o of options) {
    target[i] = o.type;
    target[i + 1] = 2 + o.data.length;
    target.set(o.data, i + 2);
    i += 2 + o.data.length;
  }
  return i;
}

/** `options` as a new Data field. */
export function encodeOptions(options: readonly PppOption[]): Uint8Array {
  const out = new Uint8Array(optionsLength(options));
  writeOptions(out, 0, options);
  return out;
}

/** A control packet (Information field) as a new array: `code`, `id`, Length, `data`. */
export function encodeControl(code: number, id: number, data: Uint8Array): Uint8Array {
  if (data.length > 0xffff - 4) throw new UsageError('PPP control packet too long');
  const out = new Uint8Array(4 + data.length);
  out[0] = code;
  out[1] = id;
  writeU16(out, 2, out.length);
  out.set(data, 4);
  return out;
}

/** True when `a` and `b` hold the same octets. */
export function sameBytes(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** The big-endian u16 at the start of an option's data (caller checked the length). */
export function optionU16(o: PppOption): number {
  return readU16(o.data, 0);
}

/** The big-endian u32 at the start of an option's data (caller checked the length). */
export function optionU32(o: PppOption): number {
  const d = o.data;
  return (
    (d[0] as number) * 0x1000000 +
    (((d[1] as number) << 16) | ((d[2] as number) << 8) | (d[3] as number))
  );
}

/** An option carrying a big-endian u16. */
export function u16Option(type: number, value: number): PppOption {
  return { type, data: Uint8Array.of(value >>> 8, value & 0xff) };
}

/** An option carrying a big-endian u32. */
export function u32Option(type: number, value: number): PppOption {
  return {
    type,
    data: Uint8Array.of(value >>> 24, (value >>> 16) & 0xff, (value >>> 8) & 0xff, value & 0xff),
  };
}
