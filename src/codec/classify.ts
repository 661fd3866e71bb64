/**
 * Cheap demultiplexing of a received L2TP datagram: control or data, version, and the ids needed
 * to find the tunnel/control connection or session, without decoding AVPs or session-specific
 * fields (cookie, sublayer). RFC 2661 §3.1; RFC 3931 §4.1.1.2 (Session ID 0 = control over IP),
 * §4.7.2 (v2 and v3 share UDP port 1701; Ver tells them apart).
 * Never throws: garbage gives `{ kind: 'invalid' }` with the DecodeError code a decoder would use.
 * Full decoding lives in header.ts.
 */

import type { L2tpErrorCode } from '../errors.js';
import { readU16, readU32 } from './bytes.js';
import { CONTROL_HEADER_LENGTH, type Encapsulation, HEADER_BITS } from './header.js';

/** An L2TPv2 control message for `tunnelId` (and `sessionId`, 0 = tunnel level). */
export interface ControlV2Class {
  readonly kind: 'control';
  readonly version: 2;
  readonly tunnelId: number;
  readonly sessionId: number;
}

/** An L2TPv3 control message for `connectionId`; `sessionId` is always 0 (sessions are in AVPs). */
export interface ControlV3Class {
  readonly kind: 'control';
  readonly version: 3;
  readonly connectionId: number;
  readonly sessionId: 0;
}

/** An L2TPv2 data message. */
export interface DataV2Class {
  readonly kind: 'data';
  readonly version: 2;
  readonly tunnelId: number;
  readonly sessionId: number;
}

/** An L2TPv3 data message for `sessionId` (1 … 2^32 − 1). */
export interface DataV3Class {
  readonly kind: 'data';
  readonly version: 3;
  readonly sessionId: number;
}

/** A datagram that no decoder would accept; `code` is the DecodeError code the decoder would throw. */
export interface InvalidClass {
  readonly kind: 'invalid';
  readonly code: L2tpErrorCode;
  readonly reason: string;
}

/** Result of `classify`. */
export type Classification =
  | ControlV2Class
  | ControlV3Class
  | DataV2Class
  | DataV3Class
  | InvalidClass;

function invalid(code: L2tpErrorCode, reason: string): InvalidClass {
  return { kind: 'invalid', code, reason };
}

/**
 * Classifies the datagram at `offset`. Never throws.
 *
 * 'control' is returned exactly when `decodeControlHeader(bytes, encap, offset)` would succeed
 * (flags, version and Length are checked), with the same ids. 'data' only checks what is needed to
 * read the ids (version, T bit, enough octets, v3 Session ID ≠ 0): `decodeData` with the session's
 * parameters may still reject it. Ver values other than 2 and 3 (e.g. 1 = L2F) are 'invalid'.
 */
export function classify(bytes: Uint8Array, encap: Encapsulation, offset = 0): Classification {
  const available = bytes.length - offset;
  if (encap === 'ip') {
    if (available < 4) return invalid('L2TP_ERR_TRUNCATED', 'shorter than a Session ID');
    const sessionId = readU32(bytes, offset);
    if (sessionId !== 0) return { kind: 'data', version: 3, sessionId };
    return classifyControl(bytes, offset + 4, true);
  }
  if (available < 2) return invalid('L2TP_ERR_TRUNCATED', 'shorter than the flags word');
  const word = readU16(bytes, offset);
  const version = word & HEADER_BITS.VERSION;
  if (version !== 2 && version !== 3) {
    return invalid('L2TP_ERR_BAD_VERSION', `unsupported L2TP version ${version}`);
  }
  if ((word & HEADER_BITS.T) !== 0) return classifyControl(bytes, offset, false);
  if (version === 3) {
    if (available < 8) return invalid('L2TP_ERR_TRUNCATED', 'shorter than an L2TPv3 data header');
    const sessionId = readU32(bytes, offset + 4);
    if (sessionId === 0) return invalid('L2TP_ERR_BAD_HEADER', 'L2TPv3 data with Session ID 0');
    return { kind: 'data', version: 3, sessionId };
  }
  const ids = (word & HEADER_BITS.L) === 0 ? 2 : 4;
  if (available < ids + 4) return invalid('L2TP_ERR_TRUNCATED', 'shorter than its Session ID');
  return {
    kind: 'data',
    version: 2,
    tunnelId: readU16(bytes, offset + ids),
    sessionId: readU16(bytes, offset + ids + 2),
  };
}

function classifyControl(bytes: Uint8Array, start: number, overIp: boolean): Classification {
  const available = bytes.length - start;
  if (available < 2) return invalid('L2TP_ERR_TRUNCATED', 'shorter than the flags word');
  const word = readU16(bytes, start);
  const version = word & HEADER_BITS.VERSION;
  if (version !== 3 && (version !== 2 || overIp)) {
    return invalid('L2TP_ERR_BAD_VERSION', `unsupported L2TP version ${version}`);
  }
  if ((word & HEADER_BITS.T) === 0) {
    return invalid('L2TP_ERR_BAD_HEADER', 'not a control message: T bit is 0');
  }
  if ((word & (HEADER_BITS.L | HEADER_BITS.S)) !== (HEADER_BITS.L | HEADER_BITS.S)) {
    return invalid('L2TP_ERR_BAD_HEADER', 'control message without both L and S bits');
  }
  if (version === 2 && (word & HEADER_BITS.O) !== 0) {
    return invalid('L2TP_ERR_BAD_HEADER', 'L2TPv2 control message with the O bit set');
  }
  if (available < CONTROL_HEADER_LENGTH) {
    return invalid('L2TP_ERR_TRUNCATED', 'shorter than a control header');
  }
  const length = readU16(bytes, start + 2);
  if (length < CONTROL_HEADER_LENGTH || length > available) {
    return invalid('L2TP_ERR_BAD_LENGTH', `control Length ${length} does not fit`);
  }
  if (version === 2) {
    return {
      kind: 'control',
      version: 2,
      tunnelId: readU16(bytes, start + 4),
      sessionId: readU16(bytes, start + 6),
    };
  }
  return { kind: 'control', version: 3, connectionId: readU32(bytes, start + 4), sessionId: 0 };
}
