// Reading what engines put on the wire in tests: message type names, raw AVPs (H bits), typed
// messages (unhidden with the secret), and hand-built control datagrams to inject.

import { type ControlMessage, fromTyped } from '../../src/avp/messages.js';
import type { RawAvp } from '../../src/avp/raw.js';
import { decodeControl, encodeControl, parseControl } from '../../src/codec/control.js';
import type { ControlHeaderV2 } from '../../src/codec/header.js';
import { nodeCrypto } from '../../src/node/crypto.js';
import type { EngineNode, Sent } from './pair.js';

/** True for a control datagram (T bit). */
export function isControl(bytes: Uint8Array): boolean {
  return ((bytes[0] as number) & 0x80) !== 0;
}

/** The typed message of a control datagram (hidden AVPs unhidden with `secret`). */
export function typed(bytes: Uint8Array, secret?: string): ControlMessage {
  return parseControl(
    bytes,
    secret === undefined ? {} : { secret: new TextEncoder().encode(secret), crypto: nodeCrypto },
  ).message;
}

/** Header of a control datagram. */
export function headerOf(bytes: Uint8Array): ControlHeaderV2 {
  return decodeControl(bytes).header as ControlHeaderV2;
}

/** Raw AVPs of a control datagram as on the wire. */
export function rawAvps(bytes: Uint8Array): readonly RawAvp[] {
  return decodeControl(bytes).avps;
}

/** Message type name of a sent datagram: 'SCCRQ', …, 'ZLB', or 'DATA'. */
export function nameOf(bytes: Uint8Array, secret?: string): string {
  if (!isControl(bytes)) return 'DATA';
  return typed(bytes, secret).type;
}

/** `[time, name]` of everything a node sent. */
export function timeline(node: EngineNode, secret?: string): [number, string][] {
  return node.sent.map((s: Sent) => [s.at, nameOf(s.bytes, secret)]);
}

/** Times at which a node sent messages named `name`. */
export function sentTimes(node: EngineNode, name: string, secret?: string): number[] {
  return node.sent.filter((s) => nameOf(s.bytes, secret) === name).map((s) => s.at);
}

/** Typed messages of one type a node sent. */
export function sentOf<T extends ControlMessage['type']>(
  node: EngineNode,
  type: T,
  secret?: string,
): Extract<ControlMessage, { type: T }>[] {
  return node.sent
    .filter((s) => isControl(s.bytes) && typed(s.bytes, secret).type === type)
    .map((s) => typed(s.bytes, secret) as Extract<ControlMessage, { type: T }>);
}

/** Encodes a typed message (plus extra raw AVPs) under a v2 header. */
export function build(
  header: Omit<ControlHeaderV2, 'length' | 'version'>,
  message: ControlMessage,
  extraAvps: readonly RawAvp[] = [],
): Uint8Array {
  return encodeControl({
    header: { version: 2, ...header },
    avps: [...fromTyped(message), ...extraAvps],
  });
}

/** An AVP no catalogue knows, with the M bit set (vendor 0, attribute 4000). */
export const UNKNOWN_MANDATORY: RawAvp = {
  mandatory: true,
  hidden: false,
  vendorId: 0,
  attributeType: 4000,
  value: Uint8Array.of(1, 2),
};
