/**
 * Allocation-free checks of control headers for the per-datagram paths: the checks
 * `decodeControlHeader` makes (it calls `controlHeaderEnd`), and `classify`'s answer for L2TPv2
 * control over UDP. Not part of the package's API (index.ts does not export this module).
 * RFC 2661 §3.1, RFC 3931 §3.2.1, §4.1.1.2.
 */
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
