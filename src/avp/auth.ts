/**
 * Tunnel and control-message authentication: the L2TPv2 CHAP-style Challenge Response
 * (RFC 2661 §4.4.3, §5.1.1, RFC 1994 §4.1) and the L2TPv3 Message Digest AVP (RFC 3931 §4.3,
 * §5.4.1: HMAC-MD5 / HMAC-SHA-1 over the whole control message, keyed from the shared secret,
 * with the nonces of both ends).
 *
 * Pure functions over bytes and an injected L2tpCrypto. Deciding when a digest is required,
 * and keeping the nonces of a control connection, belong to the state machines.
 */
import { AvpType, DIGEST_LENGTH } from '../constants.js';
import type { HmacAlgorithm, L2tpCrypto } from '../crypto.js';
import { UsageError } from '../errors.js';
import { AVP_HEADER_LENGTH } from './raw.js';

const MESSAGE_DIGEST = AvpType.MessageDigest;
const DIGEST_SIZE: Readonly<Record<number, number>> = DIGEST_LENGTH;
const DIGEST_ALG: Readonly<Record<number, HmacAlgorithm>> = { 0: 'md5', 1: 'sha1' };
const ZEROS = new Uint8Array(20);
const EMPTY = new Uint8Array(0);

/**
 * Compares two byte strings in time that depends only on their lengths (lengths are not
 * secret: digests and responses have fixed sizes).
 */
export function constantTimeEqual(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  let diff = 0;
  for (let i = 0; i < a.length; i++) diff |= (a[i] as number) ^ (b[i] as number);
  return diff === 0;
}

/**
 * The 16-byte Challenge Response AVP value (RFC 2661 §4.4.3): the CHAP response of RFC 1994
 * §4.1, MD5(Identifier + secret + challenge), where the Identifier octet is the Message Type of
 * the message that *carries the response*: 2 in an SCCRP (answering the SCCRQ's Challenge),
 * 3 in an SCCCN (answering the SCCRP's Challenge). Returns a fresh array.
 *
 * @throws UsageError when `messageType` is not 2 or 3.
 */
export function challengeResponse(
  messageType: 2 | 3,
  secret: Uint8Array,
  challenge: Uint8Array,
  crypto: L2tpCrypto,
): Uint8Array {
  if (messageType !== 2 && messageType !== 3) {
    throw new UsageError(
      `Challenge Response is sent in SCCRP (2) or SCCCN (3), not ${messageType}`,
    );
  }
  return crypto.md5(Uint8Array.of(messageType), secret, challenge);
}

/**
 * Checks a received Challenge Response (RFC 2661 §5.1.1) against the challenge we sent, in
 * constant time. `messageType` is the type of the received message (2 = SCCRP, 3 = SCCCN).
 * A response of the wrong length is simply false.
 */
export function verifyChallengeResponse(
  messageType: 2 | 3,
  secret: Uint8Array,
  challenge: Uint8Array,
  response: Uint8Array,
  crypto: L2tpCrypto,
): boolean {
  return constantTimeEqual(challengeResponse(messageType, secret, challenge, crypto), response);
}

/**
 * The L2TPv3 control-message authentication key: HMAC_MD5(shared_secret, 0x02)
 * (RFC 3931 §5.4.1). Returns 16 fresh bytes. computeMessageDigest derives it itself; this is
 * exported for callers that want to see or cache it.
 */
export function deriveV3DigestKey(secret: Uint8Array, crypto: L2tpCrypto): Uint8Array {
  return crypto.hmac('md5', secret, Uint8Array.of(2));
}

/**
 * The nonces of one control connection, from the point of view of the caller
 * (RFC 3931 §5.4.1): `local` is the nonce we advertised in our Control Message Authentication
 * Nonce AVP (73), `remote` the one the peer advertised.
 */
export interface DigestNonces {
  readonly local: Uint8Array;
  readonly remote: Uint8Array;
}

interface DigestField {
  readonly alg: HmacAlgorithm;
  /** Offset of the digest octets (after the Digest Type octet) in the message. */
  readonly start: number;
  readonly end: number;
}

// Reads the Message Digest AVP at `offset` and, when present, the second one that RFC 3931
// §5.4.1 puts directly after it. Returns a reason string when the bytes are not such AVPs.
function digestFields(message: Uint8Array, offset: number): DigestField[] | string {
  const fields: DigestField[] = [];
  let off = offset;
  while (fields.length < 2) {
    if (!Number.isInteger(off) || off < 0 || off + AVP_HEADER_LENGTH + 1 > message.length) {
      if (fields.length > 0) break;
      return `no Message Digest AVP fits at offset ${off}`;
    }
    const b0 = message[off] as number;
    const length = ((b0 & 0x03) << 8) | (message[off + 1] as number);
    const vendorId = ((message[off + 2] as number) << 8) | (message[off + 3] as number);
    const type = ((message[off + 4] as number) << 8) | (message[off + 5] as number);
    if (vendorId !== 0 || type !== MESSAGE_DIGEST) {
      if (fields.length > 0) break;
      return `AVP at offset ${off} is ${vendorId}:${type}, not a Message Digest (0:59)`;
    }
    const digestType = message[off + AVP_HEADER_LENGTH] as number;
    const size = DIGEST_SIZE[digestType];
    const alg = DIGEST_ALG[digestType];
    if (size === undefined || alg === undefined) {
      return `Message Digest AVP at offset ${off} has unknown Digest Type ${digestType}`;
    }
    if ((b0 & 0x40) !== 0) return `Message Digest AVP at offset ${off} is hidden`;
    if (length !== AVP_HEADER_LENGTH + 1 + size || off + length > message.length) {
      return `Message Digest AVP at offset ${off} has Length ${length}, expected ${AVP_HEADER_LENGTH + 1 + size}`;
    }
    fields.push({ alg, start: off + AVP_HEADER_LENGTH + 1, end: off + length });
    off += length;
  }
  return fields;
}

// RFC 3931 §5.4.1: HMAC_Hash(shared_key, first_nonce + second_nonce + control_message) with
// every Message Digest field of the message taken as zeros (Digest Type octets kept). The
// message is hashed in slices around the digest fields, so it is neither copied nor changed.
function digestOf(
  message: Uint8Array,
  fields: readonly DigestField[],
  alg: HmacAlgorithm,
  key: Uint8Array,
  first: Uint8Array,
  second: Uint8Array,
  crypto: L2tpCrypto,
): Uint8Array {
  const parts: Uint8Array[] = [first, second];
  let pos = 0;
  for (const f of fields) {
    parts.push(message.subarray(pos, f.start), ZEROS.subarray(0, f.end - f.start));
    pos = f.end;
  }
  parts.push(message.subarray(pos));
  return crypto.hmac(alg, key, ...parts);
}

/**
 * Computes the Message Digest of an outgoing L2TPv3 control message (RFC 3931 §4.3, §5.4.1):
 *
 * 1. shared_key = HMAC_MD5(secret, 0x02) (§5.4.1).
 * 2. The algorithm is the Digest Type already written in the AVP (0 HMAC-MD5, 1 HMAC-SHA-1).
 * 3. digest = HMAC_Hash(shared_key, local_nonce + remote_nonce + control_message), or
 *    HMAC_Hash(shared_key, control_message) for the SCCRQ (`nonces` undefined) (§5.4.1).
 * 4. control_message is all of `message` — header and every AVP — with the digest octets of
 *    the Message Digest AVP(s) taken as zeros; a second Message Digest AVP directly after the
 *    first is zeroed too (§5.4.1). Over UDP `message` starts at the T bit; over IP, after the
 *    all-zero Session ID (§4.1.1.2, §4.1.2.1).
 *
 * Without Control Message Authentication, an integrity-only digest uses an empty secret and no
 * nonces (§4.3). `message` is not modified; returns a fresh 16- or 20-byte array.
 *
 * @param digestAvpOffset offset in `message` of the first Message Digest AVP header (placed
 *   right after the Message Type AVP, §5.4.1).
 * @param which 0 for the digest of the first Message Digest AVP, 1 for the second.
 * @throws UsageError when no well-formed Message Digest AVP is at `digestAvpOffset`.
 */
export function computeMessageDigest(
  message: Uint8Array,
  digestAvpOffset: number,
  secret: Uint8Array,
  nonces: DigestNonces | undefined,
  crypto: L2tpCrypto,
  which: 0 | 1 = 0,
): Uint8Array {
  const fields = digestFields(message, digestAvpOffset);
  if (typeof fields === 'string') throw new UsageError(`computeMessageDigest: ${fields}`);
  const field = fields[which];
  if (field === undefined) {
    throw new UsageError(`computeMessageDigest: no Message Digest AVP #${which + 1}`);
  }
  const key = deriveV3DigestKey(secret, crypto);
  return digestOf(
    message,
    fields,
    field.alg,
    key,
    nonces?.local ?? EMPTY,
    nonces?.remote ?? EMPTY,
    crypto,
  );
}

/**
 * Computes the Message Digest (see computeMessageDigest) and writes it into the digest field
 * of Message Digest AVP number `which` of `message`, in place. Any byte already in the digest
 * fields is ignored by the computation, so the order of writing two digests does not matter.
 *
 * @throws UsageError as computeMessageDigest.
 */
export function writeMessageDigest(
  message: Uint8Array,
  digestAvpOffset: number,
  secret: Uint8Array,
  nonces: DigestNonces | undefined,
  crypto: L2tpCrypto,
  which: 0 | 1 = 0,
): void {
  const digest = computeMessageDigest(message, digestAvpOffset, secret, nonces, crypto, which);
  const fields = digestFields(message, digestAvpOffset) as DigestField[];
  message.set(digest, (fields[which] as DigestField).start);
}

/**
 * Verifies a received L2TPv3 control message (RFC 3931 §5.4.1): the same calculation as
 * computeMessageDigest "with the local_nonce and remote_nonce reversed", i.e. the peer's nonce
 * first. `nonces` is from the receiver's point of view ({ local: ours, remote: peer's });
 * undefined for a received SCCRQ. With two Message Digest AVPs the message is accepted if
 * either matches (§5.4.1); for a second configured secret call again with it.
 *
 * Returns false — the message MUST then be dropped (§5.4.1) — on any mismatch and when there
 * is no well-formed Message Digest AVP at `digestAvpOffset`. Compares in constant time.
 */
export function verifyMessageDigest(
  message: Uint8Array,
  digestAvpOffset: number,
  secret: Uint8Array,
  nonces: DigestNonces | undefined,
  crypto: L2tpCrypto,
): boolean {
  const fields = digestFields(message, digestAvpOffset);
  if (typeof fields === 'string') return false;
  const key = deriveV3DigestKey(secret, crypto);
  let ok = false;
  for (const f of fields) {
    const expected = digestOf(
      message,
      fields,
      f.alg,
      key,
      nonces?.remote ?? EMPTY,
      nonces?.local ?? EMPTY,
      crypto,
    );
    if (constantTimeEqual(expected, message.subarray(f.start, f.end))) ok = true;
  }
  return ok;
}
