/**
 * One-line human-readable renderings of headers, for debug logs, error messages and test names.
 * Pure string formatting: no decoding happens here, and nothing may depend on the exact text.
 * 32-bit v3 ids print in hex as well, as Wireshark shows them (e.g. "ccid=0x0000abcd").
 */

import type { Classification } from './classify.js';
import type { ControlHeader, DataHeader, DataMessage } from './header.js';

function hex32(value: number): string {
  return `0x${value.toString(16).padStart(8, '0')}`;
}

/** E.g. `v2 control tunnel=1 session=0 Ns=0 Nr=0 len=12` or `v3 control ccid=0x00000001 …`. */
export function describeControlHeader(header: ControlHeader): string {
  const ids =
    header.version === 2
      ? `tunnel=${header.tunnelId} session=${header.sessionId}`
      : `ccid=${hex32(header.connectionId)}`;
  const zlb = header.length === 12 ? ' (ZLB)' : '';
  return `v${header.version} control ${ids} Ns=${header.ns} Nr=${header.nr} len=${header.length}${zlb}`;
}

/** E.g. `v2 data tunnel=1 session=2 Ns=5 P payload=64` or `v3 data session=0x00000007 cookie=8B Ns=3 payload=64`. */
export function describeDataMessage(message: DataMessage): string {
  const parts: string[] = [`v${message.version} data`];
  if (message.version === 2) {
    parts.push(`tunnel=${message.tunnelId} session=${message.sessionId}`);
    if (message.length !== undefined) parts.push(`len=${message.length}`);
    if (message.ns !== undefined) parts.push(`Ns=${message.ns} Nr=${message.nr}`);
    if (message.offsetSize !== undefined) parts.push(`offset=${message.offsetSize}`);
    if (message.priority) parts.push('P');
  } else {
    parts.push(`session=${hex32(message.sessionId)}`);
    if (message.cookieLength !== 0) parts.push(`cookie=${message.cookieLength}B`);
    if (message.ns !== undefined) parts.push(`Ns=${message.ns}`);
    if (message.atmFlags !== 0) parts.push(`atm=0x${message.atmFlags.toString(16)}`);
  }
  parts.push(`payload=${message.payload.length}`);
  return parts.join(' ');
}

/** E.g. `v3/ip data session=0x00000007 cookie=4B sublayer=default Ns=3` (a header about to be sent). */
export function describeDataHeader(fields: DataHeader): string {
  if (fields.version === 2) {
    const parts = [`v2 data tunnel=${fields.tunnelId} session=${fields.sessionId}`];
    if (fields.length !== undefined) parts.push(`len=${fields.length}`);
    if (fields.ns !== undefined) parts.push(`Ns=${fields.ns} Nr=${fields.nr ?? 0}`);
    if (fields.offsetSize !== undefined) parts.push(`offset=${fields.offsetSize}`);
    if (fields.priority === true) parts.push('P');
    return parts.join(' ');
  }
  const parts = [`v3/${fields.encap} data session=${hex32(fields.sessionId)}`];
  if (fields.cookie !== undefined && fields.cookie.length > 0) {
    parts.push(`cookie=${fields.cookie.length}B`);
  }
  parts.push(`sublayer=${fields.sublayer}`);
  if (fields.ns !== undefined) parts.push(`Ns=${fields.ns}`);
  if (fields.atmFlags !== undefined && fields.atmFlags !== 0) {
    parts.push(`atm=0x${fields.atmFlags.toString(16)}`);
  }
  return parts.join(' ');
}

/** E.g. `control v2 tunnel=1 session=0`, `data v3 session=0x00000007`, `invalid L2TP_ERR_TRUNCATED: …`. */
export function describeClassification(c: Classification): string {
  switch (c.kind) {
    case 'invalid':
      return `invalid ${c.code}: ${c.reason}`;
    case 'control':
      return c.version === 2
        ? `control v2 tunnel=${c.tunnelId} session=${c.sessionId}`
        : `control v3 ccid=${hex32(c.connectionId)}`;
    case 'data':
      return c.version === 2
        ? `data v2 tunnel=${c.tunnelId} session=${c.sessionId}`
        : `data v3 session=${hex32(c.sessionId)}`;
  }
}
