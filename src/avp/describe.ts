/**
 * Human-readable one-liners for control messages and AVPs, for logs, the demo, test names and
 * (later) the CLI. Never used for logic. Formatting is best effort: a value that cannot be decoded
 * is shown as hex with the reason, never thrown.
 */

import type { RawControlMessage } from '../codec/control.js';
import {
  avpTypeName,
  generalErrorName,
  MessageType,
  messageTypeName,
  pseudowireTypeName,
  resultCodeName,
  vendorIdName,
} from '../constants.js';
import { L2tpError } from '../errors.js';
import { messageTypeOf, type RawAvp } from './raw.js';
import { lookupAvp } from './registry.js';
import { decodeValue, type StringValue } from './values.js';

/** Lower-case hex of `bytes`, cut after `max` bytes with a trailing "…". */
export function toHex(bytes: Uint8Array, max = 32): string {
  let out = '';
  const n = Math.min(bytes.length, max);
  for (let i = 0; i < n; i++) out += (bytes[i] as number).toString(16).padStart(2, '0');
  return bytes.length > max ? `${out}…` : out;
}

function isStringValue(v: unknown): v is StringValue {
  return typeof v === 'object' && v !== null && 'text' in v && 'bytes' in v;
}

function formatValue(v: unknown): string {
  if (v === null) return '(present)';
  if (typeof v === 'bigint') return `0x${v.toString(16).padStart(16, '0')}`;
  if (typeof v === 'number') return String(v);
  if (v instanceof Uint8Array) return v.length === 0 ? '(empty)' : toHex(v);
  if (isStringValue(v)) return JSON.stringify(v.text);
  if (Array.isArray(v)) return `[${v.map(formatValue).join(', ')}]`;
  if (typeof v === 'object') {
    const parts: string[] = [];
    for (const [k, x] of Object.entries(v as Record<string, unknown>)) {
      if (x === undefined || (k === 'reserved' && x === 0)) continue;
      parts.push(`${k}=${formatValue(x)}`);
    }
    return parts.join(' ');
  }
  return String(v);
}

/** Options of {@link describeAvp}. */
export interface DescribeAvpOptions {
  /**
   * `avp` is the unhidden form of an AVP that arrived hidden: the H flag stays visible (as on
   * the wire) and the value is followed by `(hidden, unhidden with the secret)`.
   */
  readonly unhidden?: boolean;
}

/**
 * One AVP as `Name (type) [M H] = value`. Hidden AVPs are shown as ciphertext (unhide first to
 * see them, and say so with `options.unhidden`); values of unknown AVPs as hex.
 */
export function describeAvp(
  avp: RawAvp,
  messageKind?: 'StopCCN' | 'CDN',
  options: DescribeAvpOptions = {},
): string {
  const line = describeValue(avp, messageKind, options.unhidden === true);
  return options.unhidden === true ? `${line} (hidden, unhidden with the secret)` : line;
}

function describeValue(
  avp: RawAvp,
  messageKind: 'StopCCN' | 'CDN' | undefined,
  unhidden: boolean,
): string {
  const info = lookupAvp(avp.vendorId, avp.attributeType);
  const name =
    avp.vendorId === 0
      ? avpTypeName(avp.attributeType)
      : `${vendorIdName(avp.vendorId)}:${info?.name ?? avp.attributeType}`;
  const flags = `${avp.mandatory ? 'M' : '-'}${avp.hidden || unhidden ? 'H' : '-'}`;
  const head = `${name} (${avp.vendorId === 0 ? '' : `${avp.vendorId}:`}${avp.attributeType}) [${flags}]`;
  if (avp.hidden) return `${head} = hidden ${toHex(avp.value)}`;
  if (info === undefined) return `${head} = ${toHex(avp.value)}`;
  try {
    const value = decodeValue(info.kind, avp.value);
    let text = formatValue(value);
    if (info.kind === 'messageType' && typeof value === 'number') {
      text = `${messageTypeName(value)} (${value})`;
    } else if (info.kind === 'resultCode' && typeof value === 'object' && value !== null) {
      const rc = value as { resultCode: number; errorCode?: number; errorMessage?: StringValue };
      text = `${rc.resultCode}${messageKind ? ` ${resultCodeName(messageKind, rc.resultCode)}` : ''}`;
      if (rc.errorCode !== undefined)
        text += `, error ${rc.errorCode} ${generalErrorName(rc.errorCode)}`;
      if (rc.errorMessage !== undefined) text += `, ${JSON.stringify(rc.errorMessage.text)}`;
    } else if (avp.vendorId === 0 && avp.attributeType === 68 && typeof value === 'number') {
      text = `${pseudowireTypeName(value)} (0x${value.toString(16).padStart(4, '0')})`;
    }
    return `${head} = ${text}`;
  } catch (err) {
    if (!(err instanceof L2tpError)) throw err;
    return `${head} = ${toHex(avp.value)} (malformed: ${err.message})`;
  }
}

/** A tshark-like summary line: version, ids, Ns/Nr and the message type (or ZLB). */
export function describeControlMessage(message: RawControlMessage): string {
  const h = message.header;
  const ids =
    h.version === 2
      ? `tunnel ${h.tunnelId}, session ${h.sessionId}`
      : `ccid 0x${h.connectionId.toString(16).padStart(8, '0')}`;
  const code = messageTypeOf(message.avps);
  const type =
    message.avps.length === 0
      ? 'ZLB'
      : code === undefined
        ? '(no Message Type)'
        : messageTypeName(code);
  return `L2TPv${h.version} ${type} (${ids}, Ns=${h.ns}, Nr=${h.nr}, ${message.avps.length} AVPs)`;
}

/** The summary line followed by one indented line per AVP. */
export function describeControlMessageVerbose(message: RawControlMessage): string {
  const type = messageTypeOf(message.avps);
  const kind =
    type === MessageType.StopCCN ? 'StopCCN' : type === MessageType.CDN ? 'CDN' : undefined;
  return [
    describeControlMessage(message),
    ...message.avps.map((a) => `  ${describeAvp(a, kind)}`),
  ].join('\n');
}
