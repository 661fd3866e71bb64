/**
 * Building and reading control messages for the engine: Result Code values, AVPs read from a
 * message the typed decoder refused, the Circuit Status value and the L2TPv3 call messages
 * (RFC 3931 §6.6–§6.12). Pure functions of their arguments.
 */

import { deriveV3HidingKey, unhideAvps } from '../avp/hidden.js';
import type { ControlMessage, MessageFields } from '../avp/messages.js';
import { decodeAvps, findAvp, type RawAvp } from '../avp/raw.js';
import { type CircuitStatusValue, stringValue } from '../avp/values.js';
import { decodeControlHeader } from '../codec/header.js';
import { AvpType, CdnResult, DataSequencing, GeneralError, PseudowireType } from '../constants.js';
import type { L2tpCrypto } from '../crypto.js';
import type { ResultCodes } from '../fsm/types.js';
import { EMPTY, type SessionRecord, SUBLAYER_VALUES, u16, u32, type V3Session } from './records.js';
export function clean(codes: ResultCodes): ResultCodes {
  const r: { resultCode: number; errorCode?: number; message?: string } = {
    resultCode: codes.resultCode,
  };
  if (codes.errorCode !== undefined) r.errorCode = codes.errorCode;
  if (codes.message !== undefined) r.message = codes.message;
  return r;
}

// The Result Code AVP value; a message needs an Error Code before it (0 = no general error).
export function resultValue(codes: ResultCodes) {
  if (codes.message === undefined || codes.message.length === 0) {
    return codes.errorCode === undefined
      ? { resultCode: codes.resultCode }
      : { resultCode: codes.resultCode, errorCode: codes.errorCode };
  }
  return {
    resultCode: codes.resultCode,
    errorCode: codes.errorCode ?? GeneralError.NoError,
    errorMessage: stringValue(codes.message.slice(0, 256)),
  };
}

// Best effort: an unhidden 2-octet AVP from a message the typed decoder refused (0 if none).
export function rawU16(bytes: Uint8Array, attributeType: number): number {
  try {
    const { avpStart, end } = decodeControlHeader(bytes, 'udp');
    const avp = findAvp(decodeAvps(bytes, avpStart, end), attributeType);
    return avp === undefined || avp.hidden ? 0 : u16(avp.value);
  } catch {
    return 0;
  }
}

// An unhidden AVP's value from a control message (`encap` tells where it starts), without the
// typed decoder: for messages it refused or has not read yet. Undefined when absent or unreadable.
export function rawAvpOf(
  bytes: Uint8Array,
  attributeType: number,
  encap: 'udp' | 'ip',
): Uint8Array | undefined {
  try {
    const { avpStart, end } = decodeControlHeader(bytes, encap);
    const avp = findAvp(decodeAvps(bytes, avpStart, end), attributeType);
    return avp === undefined || avp.hidden ? undefined : avp.value;
  } catch {
    return undefined;
  }
}

// The Message Type of a control message starting at the T bit (first AVP, §5.4.1); -1 if none.
export function messageTypeAt(message: Uint8Array): number {
  if (message.length < 20) return -1;
  const vendor = ((message[14] as number) << 8) | (message[15] as number);
  const attr = ((message[16] as number) << 8) | (message[17] as number);
  if (vendor !== 0 || attr !== AvpType.MessageType) return -1;
  return ((message[18] as number) << 8) | (message[19] as number);
}

// v3: our Session ID a received control message names (Remote Session ID AVP), 0 when none.
export function remoteSessionOf(
  message: ControlMessage | undefined,
  bytes: Uint8Array,
  encap: 'udp' | 'ip',
): number {
  if (message !== undefined) return (message as MessageFields).remoteSessionId ?? 0;
  return u32(rawAvpOf(bytes, AvpType.RemoteSessionId, encap) ?? EMPTY);
}

export const textEncoder = new TextEncoder();

/** A Circuit Status value with just the Active bit chosen (RFC 3931 §5.4.5). */
export function circuitStatus(active: boolean): CircuitStatusValue {
  return {
    active,
    new: false,
    acRxFault: false,
    acTxFault: false,
    pwRxFault: false,
    pwTxFault: false,
    standby: false,
    reserved: 0,
  };
}

export function codesOf(r: {
  resultCode: number;
  errorCode?: number;
  errorMessage?: { text: string };
}) {
  const codes: { resultCode: number; errorCode?: number; message?: string } = {
    resultCode: r.resultCode,
  };
  if (r.errorCode !== undefined) codes.errorCode = r.errorCode;
  if (r.errorMessage !== undefined && r.errorMessage.text.length > 0) {
    codes.message = r.errorMessage.text;
  }
  return codes as ResultCodes;
}

// L2TPv3 call messages (RFC 3931 §6.6–§6.12): both Session IDs everywhere; in requests and
// replies our cookie, the sublayer and sequencing we require on received data, circuit status.
export function callMessageV3(
  rec: SessionRecord,
  p: V3Session,
  type: string,
  codes: ResultCodes | undefined,
  nextSerial: () => number,
): ControlMessage {
  const s = rec.options;
  const m: Record<string, unknown> = {
    type,
    version: 3,
    localSessionId: rec.id,
    remoteSessionId: rec.peerId,
  };
  const offer = () => {
    if (p.cookie.length > 0) m.assignedCookie = p.cookie;
    // RFC 3931 §5.4.4: an absent AVP means no sublayer; RFC 4454 §4.1 adds value 2 (ATM).
    if (p.rxSublayer !== 'none') m.l2SpecificSublayer = SUBLAYER_VALUES[p.rxSublayer];
    if (s.requireSequenceNumbers) m.dataSequencing = DataSequencing.All;
    m.circuitStatus = circuitStatus(s.circuitActive);
    if (p.maxCells !== undefined) m.atmMaximumConcatenatedCells = p.maxCells;
    if (s.atmOamEmulation && p.pwType === PseudowireType.AtmAal5Sdu) m.oamEmulationRequired = null;
  };
  switch (type) {
    case 'ICRQ':
    case 'OCRQ':
      m.callSerialNumber = nextSerial();
      m.pseudowireType = s.pseudowireType;
      m.remoteEndId =
        typeof s.remoteEndId === 'string' ? textEncoder.encode(s.remoteEndId) : s.remoteEndId;
      offer();
      break;
    case 'ICRP':
    case 'OCRP':
      offer();
      break;
    case 'CDN':
      m.resultCode = resultValue(codes ?? { resultCode: CdnResult.Administrative });
      break;
  }
  return m as unknown as ControlMessage;
}

// ---------------------------------------------------------------------------------------------
// AVPs relayed through a call (callAvps, OpenSessionOptions.extraAvps, CloseReason.avps)

/**
 * The AVPs of a received control message with hidden values revealed (callAvps). The message
 * was parsed already, so its AVPs are well formed and revealable; views into `bytes`.
 */
export function revealedAvps(
  bytes: Uint8Array,
  encap: 'udp' | 'ip',
  version: 2 | 3,
  secret: Uint8Array | undefined,
  crypto: L2tpCrypto | undefined,
): readonly RawAvp[] {
  const { avpStart, end } = decodeControlHeader(bytes, encap);
  const avps = decodeAvps(bytes, avpStart, end);
  if (secret === undefined || crypto === undefined) return avps;
  const key = version === 3 ? deriveV3HidingKey(secret, crypto) : secret;
  return unhideAvps(avps, key, crypto);
}

// What identifies and secures the call stays the engine's: extra AVPs of these types are left
// out (ids, Message Type, digest, Random Vector, cookie, sublayer, PW type, sequencing).
const ENGINE_OWNED = new Set<number>([
  AvpType.MessageType,
  AvpType.AssignedSessionId,
  AvpType.RandomVector,
  AvpType.MessageDigest,
  AvpType.LocalSessionId,
  AvpType.RemoteSessionId,
  AvpType.AssignedCookie,
  AvpType.PseudowireType,
  AvpType.L2SpecificSublayer,
  AvpType.DataSequencing,
  AvpType.SequencingRequired,
  AvpType.CircuitStatus,
  AvpType.ResultCode,
]);

/**
 * `avps` (the engine's message) with `extra` added: an extra AVP of an IETF type the message
 * has replaces it (all its instances); engine-owned types are never taken from `extra`.
 */
export function withExtraAvps(avps: readonly RawAvp[], extra: readonly RawAvp[]): RawAvp[] {
  const replaced = new Set<number>();
  const added: RawAvp[] = [];
  for (const a of extra) {
    if (a.vendorId === 0 && ENGINE_OWNED.has(a.attributeType)) continue;
    if (a.vendorId === 0) replaced.add(a.attributeType);
    added.push(a);
  }
  const out = avps.filter((a) => a.vendorId !== 0 || !replaced.has(a.attributeType));
  for (const a of added) out.push(a);
  return out;
}
