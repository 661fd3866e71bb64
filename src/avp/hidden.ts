/**
 * AVP hiding (RFC 2661 §4.3, RFC 3931 §5.3): the MD5 "mixing in the plaintext" stream over the
 * Hidden AVP Subformat (2-byte original length, value, optional padding), one AVP at a time and
 * over a whole AVP list with the "most recent preceding Random Vector" rule.
 *
 * L2TPv2 keys the stream with the shared secret itself; L2TPv3 with HMAC_MD5(secret, 1)
 * (deriveV3HidingKey). Which AVPs may be hidden is the registry's business, not this file's.
 * Randomness (Random Vector, padding) comes in as arguments.
 */
import type { L2tpCrypto } from '../crypto.js';
import { DecodeError, ProtocolError, UsageError } from '../errors.js';
import { AVP_MAX_VALUE_LENGTH, type RawAvp } from './raw.js';

/** Attribute Type of the Random Vector AVP (RFC 2661 §4.4.1, RFC 3931 §5.4.1). */
const RANDOM_VECTOR = 36;
const BLOCK = 16;
// StopCCN Result Code 2 / CDN Result Code 2: "reason indicated in Error Code" (RFC 2661 §4.4.2).
const RESULT_GENERAL_ERROR = 2;
const ERROR_BAD_LENGTH = 2;
const ERROR_BAD_FIELD = 3;

function attributeBytes(attributeType: number): Uint8Array {
  if (!Number.isInteger(attributeType) || attributeType < 0 || attributeType > 0xffff) {
    throw new UsageError(`Attribute Type ${attributeType} is not a 16-bit unsigned integer`);
  }
  return Uint8Array.of(attributeType >> 8, attributeType & 0xff);
}

/**
 * L2TPv3 hiding key: HMAC_MD5(shared_secret, 0x01) (RFC 3931 §5.3). Pass the result as the
 * `secret` of the functions below for L2TPv3 control connections; L2TPv2 uses the secret as is.
 * Returns 16 fresh bytes.
 */
export function deriveV3HidingKey(secret: Uint8Array, crypto: L2tpCrypto): Uint8Array {
  return crypto.hmac('md5', secret, Uint8Array.of(1));
}

/**
 * Padding for hidden values (RFC 2661 §4.3: the subformat "MAY be padded" with random octets to
 * mask the value's length): enough random octets that every hidden value — 2-octet original
 * length, value, padding — is at least `minLength` octets; none when it already is. Some peers
 * need this: l2tpns refuses hidden values shorter than 8 octets. The result is the `padding`
 * option of `fromTyped` (src/avp/messages.ts).
 *
 * @param minLength 0 (no padding) … 1017 (the largest AVP value).
 * @param randomBytes fresh random octets, `n` at a time.
 * @throws UsageError when `minLength` is not an integer in that range.
 */
export function padHiddenValuesTo(
  minLength: number,
  randomBytes: (n: number) => Uint8Array,
): (attributeType: number, valueLength: number) => Uint8Array | undefined {
  if (!Number.isInteger(minLength) || minLength < 0 || minLength > AVP_MAX_VALUE_LENGTH) {
    throw new UsageError(
      `hidden value minimum length ${minLength} is not an integer in 0…${AVP_MAX_VALUE_LENGTH}`,
    );
  }
  return (_attributeType, valueLength) => {
    const missing = minLength - 2 - valueLength;
    return missing > 0 ? randomBytes(missing).slice(0, missing) : undefined;
  };
}

/**
 * Hides one AVP value (RFC 2661 §4.3). Builds the subformat `[length u16][value][padding]` and
 * XORs it with b1 = MD5(type + secret + RV), b(i) = MD5(secret + c(i-1)), where c(i-1) is the
 * previous 16-byte ciphertext block. The last block may be partial: only the octets present
 * are XORed, so the result is exactly 2 + value.length + padding.length bytes (a fresh array).
 *
 * @param attributeType the AVP's Attribute Type (vendor-independent: only the 2 octets are hashed).
 * @param secret L2TPv2 shared secret, or deriveV3HidingKey(secret) for L2TPv3.
 * @param randomVector the value of the Random Vector AVP that will precede this AVP.
 * @param padding optional random octets appended to mask the value length.
 * @throws UsageError when the hidden value would exceed 1017 bytes or the type is out of range.
 */
export function hideAvpValue(
  value: Uint8Array,
  attributeType: number,
  secret: Uint8Array,
  randomVector: Uint8Array,
  crypto: L2tpCrypto,
  padding?: Uint8Array,
): Uint8Array {
  const attr = attributeBytes(attributeType);
  const padLength = padding?.length ?? 0;
  const n = 2 + value.length + padLength;
  if (n > AVP_MAX_VALUE_LENGTH) {
    throw new UsageError(
      `hidden value of ${n} bytes (2 + ${value.length} + ${padLength} padding) exceeds ${AVP_MAX_VALUE_LENGTH}`,
      { attributeType },
    );
  }
  const out = new Uint8Array(n);
  out[0] = value.length >> 8;
  out[1] = value.length & 0xff;
  out.set(value, 2);
  if (padding !== undefined) out.set(padding, 2 + value.length);
  let b = crypto.md5(attr, secret, randomVector);
  for (let i = 0; i < n; i += BLOCK) {
    if (i > 0) b = crypto.md5(secret, out.subarray(i - BLOCK, i)); // chain on ciphertext c(i-1)
    const stop = Math.min(i + BLOCK, n);
    for (let j = i; j < stop; j++) out[j] = (out[j] as number) ^ (b[j - i] as number);
  }
  return out;
}

/**
 * Reverses hideAvpValue: returns the original value without the length prefix and padding, as a
 * view of a fresh array (the input is not modified). Only the blocks that hold the value are
 * hashed; padding blocks are skipped.
 *
 * @throws DecodeError `L2TP_ERR_HIDDEN_BAD_LENGTH` when the ciphertext is shorter than the
 *   2-byte length prefix.
 * @throws ProtocolError `L2TP_ERR_HIDDEN_BAD_LENGTH` (Result Code 2, Error Code 2) when the
 *   decrypted original length exceeds the bytes available — typically a wrong secret.
 */
export function unhideAvpValue(
  ciphertext: Uint8Array,
  attributeType: number,
  secret: Uint8Array,
  randomVector: Uint8Array,
  crypto: L2tpCrypto,
): Uint8Array {
  const attr = attributeBytes(attributeType);
  const n = ciphertext.length;
  if (n < 2) {
    throw new DecodeError(
      'L2TP_ERR_HIDDEN_BAD_LENGTH',
      `hidden AVP value of ${n} bytes has no room for the 2-byte original length`,
      { attributeType },
    );
  }
  const out = new Uint8Array(n);
  let b = crypto.md5(attr, secret, randomVector);
  let stop = Math.min(BLOCK, n);
  for (let j = 0; j < stop; j++) out[j] = (ciphertext[j] as number) ^ (b[j] as number);
  const length = ((out[0] as number) << 8) | (out[1] as number);
  if (length > n - 2) {
    throw new ProtocolError(
      'L2TP_ERR_HIDDEN_BAD_LENGTH',
      `hidden AVP ${attributeType}: original length ${length} exceeds the ${n - 2} bytes hidden (wrong secret?)`,
      { attributeType, resultCode: RESULT_GENERAL_ERROR, errorCode: ERROR_BAD_LENGTH },
    );
  }
  const end = 2 + length;
  for (let i = BLOCK; i < end; i += BLOCK) {
    b = crypto.md5(secret, ciphertext.subarray(i - BLOCK, i));
    stop = Math.min(i + BLOCK, end);
    for (let j = i; j < stop; j++) out[j] = (ciphertext[j] as number) ^ (b[j - i] as number);
  }
  return out.subarray(2, end);
}

function isRandomVector(avp: RawAvp): boolean {
  return avp.attributeType === RANDOM_VECTOR && avp.vendorId === 0;
}

function withValue(avp: RawAvp, hidden: boolean, value: Uint8Array): RawAvp {
  const { mandatory, vendorId, attributeType, reserved } = avp;
  return reserved === undefined
    ? { mandatory, hidden, vendorId, attributeType, value }
    : { mandatory, hidden, vendorId, attributeType, value, reserved };
}

/**
 * Unhides every AVP with the H bit set, each with the value of the Random Vector AVP most
 * closely preceding it (RFC 2661 §4.3, §4.4.1). Unhidden AVPs come back with `hidden: false` and
 * their plaintext value (a fresh array); the others are the same objects. Returns `avps`
 * itself when nothing is hidden.
 *
 * @param secret L2TPv2 shared secret, deriveV3HidingKey(secret) for L2TPv3, or undefined when
 *   none is configured.
 * @throws ProtocolError `L2TP_ERR_HIDDEN_NO_SECRET` / `L2TP_ERR_HIDDEN_NO_RANDOM_VECTOR`
 *   (Result Code 2, Error Code 3) and the errors of unhideAvpValue.
 */
export function unhideAvps(
  avps: readonly RawAvp[],
  secret: Uint8Array | undefined,
  crypto: L2tpCrypto,
): readonly RawAvp[] {
  let out: RawAvp[] | undefined;
  let rv: Uint8Array | undefined;
  for (let i = 0; i < avps.length; i++) {
    let avp = avps[i] as RawAvp;
    if (avp.hidden) {
      const { attributeType, vendorId } = avp;
      if (secret === undefined) {
        throw new ProtocolError(
          'L2TP_ERR_HIDDEN_NO_SECRET',
          `AVP ${vendorId}:${attributeType} is hidden but no shared secret is configured`,
          { attributeType, vendorId, resultCode: RESULT_GENERAL_ERROR, errorCode: ERROR_BAD_FIELD },
        );
      }
      if (rv === undefined) {
        throw new ProtocolError(
          'L2TP_ERR_HIDDEN_NO_RANDOM_VECTOR',
          `AVP ${vendorId}:${attributeType} is hidden but no Random Vector AVP precedes it`,
          { attributeType, vendorId, resultCode: RESULT_GENERAL_ERROR, errorCode: ERROR_BAD_FIELD },
        );
      }
      avp = withValue(avp, false, unhideAvpValue(avp.value, attributeType, secret, rv, crypto));
      out ??= avps.slice(0, i);
    }
    // A (non-conforming) hidden Random Vector counts with its plaintext value.
    if (isRandomVector(avp)) rv = avp.value;
    out?.push(avp);
  }
  return out ?? avps;
}

/**
 * Hides the AVPs selected by `which` with one Random Vector, and inserts a Random Vector AVP
 * (type 36, M=1) immediately before the first of them, as RFC 2661 §4.3 requires. Returns a
 * new list; `avps` is not modified.
 *
 * @param which selects the AVPs to hide (by element and index in `avps`).
 * @param secret L2TPv2 shared secret or deriveV3HidingKey(secret) for L2TPv3.
 * @param randomVector fresh random octets (at least 16 recommended, RFC 2661 §4.4.1).
 * @param padding optional per-AVP random padding (undefined = none).
 * @throws UsageError when a selected AVP is already hidden, `randomVector` is empty, or a
 *   Random Vector AVP already sits at or after the first hidden AVP (it would shadow ours).
 */
export function hideAvps(
  avps: readonly RawAvp[],
  which: (avp: RawAvp, index: number) => boolean,
  secret: Uint8Array,
  randomVector: Uint8Array,
  crypto: L2tpCrypto,
  padding?: (avp: RawAvp, index: number) => Uint8Array | undefined,
): RawAvp[] {
  if (randomVector.length === 0) throw new UsageError('hideAvps: empty Random Vector');
  if (randomVector.length > AVP_MAX_VALUE_LENGTH) {
    throw new UsageError(`hideAvps: Random Vector longer than ${AVP_MAX_VALUE_LENGTH} bytes`);
  }
  const out: RawAvp[] = [];
  let inserted = false;
  for (let i = 0; i < avps.length; i++) {
    const avp = avps[i] as RawAvp;
    if (inserted && isRandomVector(avp)) {
      throw new UsageError(`hideAvps: a Random Vector AVP at #${i} would shadow the inserted one`);
    }
    if (!which(avp, i)) {
      out.push(avp);
      continue;
    }
    if (avp.hidden) {
      throw new UsageError(`hideAvps: AVP #${i} is already hidden`, {
        attributeType: avp.attributeType,
        vendorId: avp.vendorId,
      });
    }
    if (isRandomVector(avp)) throw new UsageError('hideAvps: a Random Vector AVP cannot be hidden');
    if (!inserted) {
      out.push({
        mandatory: true,
        hidden: false,
        vendorId: 0,
        attributeType: RANDOM_VECTOR,
        value: randomVector,
      });
      inserted = true;
    }
    const pad = padding?.(avp, i);
    out.push(
      withValue(
        avp,
        true,
        hideAvpValue(avp.value, avp.attributeType, secret, randomVector, crypto, pad),
      ),
    );
  }
  return out;
}
