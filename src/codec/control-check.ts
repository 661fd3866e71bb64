/**
 * Allocation-free checks of control headers for the per-datagram paths: the checks
 * `decodeControlHeader` makes (it calls `controlHeaderEnd`), and `classify`'s answer for L2TPv2
 * control over UDP. Not part of the package's API (index.ts does not export this module).
 * RFC 2661 §3.1, RFC 3931 §3.2.1, §4.1.1.2.
 */
import { toHex } from '../avp/describe.js';
import { AvpType, MessageType } from '../constants.js';
import { DecodeError } from '../errors.js';
import { need, readU16, readU32 } from './bytes.js';
import type { Encapsulation } from './header.js';

// header.ts's HEADER_BITS and CONTROL_HEADER_LENGTH (not imported: header.ts imports this).
const T = 0x8000;
const L = 0x4000;
const S = 0x0800;
const O = 0x0200;
const VERSION = 0x000f;
const HEADER_LENGTH = 12;
const V2_CONTROL = T | L | S | 2;
const V2_CONTROL_MASK = T | L | S | O | VERSION;

/**
 * `decodeControlHeader`'s checks (it calls this), without objects: returns the message's `end`
 * (its first AVP octet is 12 after the header start, 16 after `offset` over IP) or throws the
 * DecodeError decodeControlHeader documents.
 */
export function controlHeaderEnd(bytes: Uint8Array, encap: Encapsulation, offset = 0): number {
  let start = offset;
  if (encap === 'ip') {
    need(bytes, offset + 4, offset, 'L2TPv3/IP session id');
    const sessionId = readU32(bytes, offset);
    if (sessionId !== 0) {
      throw new DecodeError(
        'L2TP_ERR_BAD_HEADER',
        `not a control message: L2TPv3/IP session id ${sessionId} (control uses 0, RFC 3931 §4.1.1.2)`,
        { offset },
      );
    }
    start = offset + 4;
  }
  need(bytes, start + 2, start, 'control header');
  const word = readU16(bytes, start);
  const version = word & VERSION;
  if (version !== 3 && (version !== 2 || encap === 'ip')) {
    throw new DecodeError(
      'L2TP_ERR_BAD_VERSION',
      `unsupported L2TP version ${version}${encap === 'ip' ? ' over IP' : ''}`,
      { offset: start + 1 },
    );
  }
  if ((word & T) === 0) {
    throw new DecodeError('L2TP_ERR_BAD_HEADER', 'not a control message: T bit is 0', {
      offset: start,
    });
  }
  // RFC 2661 §3.1 / RFC 3931 §3.2.1: L and S MUST be 1 on control messages; v2 O MUST be 0.
  if ((word & (L | S)) !== (L | S)) {
    throw new DecodeError('L2TP_ERR_BAD_HEADER', 'control message without both L and S bits', {
      offset: start,
    });
  }
  if (version === 2 && (word & O) !== 0) {
    throw new DecodeError('L2TP_ERR_BAD_HEADER', 'L2TPv2 control message with the O bit set', {
      offset: start,
    });
  }
  need(bytes, start + HEADER_LENGTH, start, 'control header');
  const length = readU16(bytes, start + 2);
  if (length < HEADER_LENGTH) {
    throw new DecodeError(
      'L2TP_ERR_BAD_LENGTH',
      `control Length ${length} is shorter than the ${HEADER_LENGTH}-octet header`,
      { offset: start + 2 },
    );
  }
  const end = start + length;
  if (end > bytes.length) {
    throw new DecodeError(
      'L2TP_ERR_BAD_LENGTH',
      `control Length ${length} runs past the datagram (${bytes.length - start} octets)`,
      { offset: start + 2 },
    );
  }
  return end;
}

/**
 * `classify`'s common case without an object: the Tunnel ID of an L2TPv2 control message over
 * UDP at offset 0, exactly when `classify(bytes, 'udp')` would return
 * `{ kind: 'control', version: 2, tunnelId }`; -1 for anything else (classify then says what).
 */
export function v2ControlTunnelId(bytes: Uint8Array): number {
  const available = bytes.length;
  if (available < HEADER_LENGTH) return -1;
  const word = readU16(bytes, 0);
  // T, L, S set; O clear; version 2 (the other bits are ignored, as classifyControl does).
  if ((word & V2_CONTROL_MASK) !== V2_CONTROL) return -1;
  const length = readU16(bytes, 2);
  if (length < HEADER_LENGTH || length > available) return -1;
  return readU16(bytes, 4);
}

const H_BIT = 0x40;
const AVP_HEADER_LENGTH = 6;
// Octets of an identifying value written into a key (longer hidden values are cut, marked "…").
const KEY_VALUE_OCTETS = 64;

/** What identifies a message to Tunnel ID 0 (see {@link tunnelZeroKey}). */
export interface TunnelZeroKey {
  /** Source address, port and the Assigned Tunnel / Control Connection ID as on the wire. */
  readonly id: string;
  /** The message is an SCCRQ (its first AVP is an unhidden Message Type 1). */
  readonly sccrq: boolean;
}

/**
 * Identifies the tunnel a message to Tunnel ID 0 belongs to, without decoding it into objects:
 * the source and the value of its first Assigned Tunnel ID AVP (v2), else of its first Assigned
 * Control Connection ID AVP (v3), as on the wire (a hidden one is byte-identical in
 * retransmissions, which reuse the message). Undefined when the header fails `controlHeaderEnd`,
 * an AVP header is malformed anywhere in the message (as `decodeAvps` would refuse it), or
 * neither AVP is there (a ZLB, for one). Per SCCRQ, so a flood of them costs no AVP objects.
 */
export function tunnelZeroKey(
  bytes: Uint8Array,
  address: string,
  port: number,
  encap: Encapsulation,
): TunnelZeroKey | undefined {
  let end: number;
  try {
    end = controlHeaderEnd(bytes, encap);
  } catch (err) {
    if (err instanceof DecodeError) return undefined;
    throw err;
  }
  let off = (encap === 'ip' ? 4 : 0) + HEADER_LENGTH;
  let sccrq = false;
  let tunnelAt = -1;
  let tunnelLength = 0;
  let connectionAt = -1;
  let connectionLength = 0;
  for (let first = true; off < end; first = false) {
    if (end - off < AVP_HEADER_LENGTH) return undefined;
    const b0 = bytes[off] as number;
    const length = ((b0 & 0x03) << 8) | (bytes[off + 1] as number);
    if (length < AVP_HEADER_LENGTH || length > end - off) return undefined;
    const attributeType = readU16(bytes, off + 4);
    if (readU16(bytes, off + 2) === 0) {
      // RFC 2661 §4.4.1: the Message Type AVP comes first (what messageTypeOf reads).
      if (first && attributeType === 0 && (b0 & H_BIT) === 0 && length === 8) {
        sccrq = readU16(bytes, off + AVP_HEADER_LENGTH) === MessageType.SCCRQ;
      } else if (attributeType === AvpType.AssignedTunnelId && tunnelAt < 0) {
        tunnelAt = off + AVP_HEADER_LENGTH;
        tunnelLength = length - AVP_HEADER_LENGTH;
      } else if (attributeType === AvpType.AssignedControlConnectionId && connectionAt < 0) {
        connectionAt = off + AVP_HEADER_LENGTH;
        connectionLength = length - AVP_HEADER_LENGTH;
      }
    }
    off += length;
  }
  const at = tunnelAt >= 0 ? tunnelAt : connectionAt;
  if (at < 0) return undefined;
  const length = tunnelAt >= 0 ? tunnelLength : connectionLength;
  const value = toHex(bytes.subarray(at, at + length), KEY_VALUE_OCTETS);
  return { id: `${address}|${port}|${value}`, sccrq };
}
