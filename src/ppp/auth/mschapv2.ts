/**
 * MS-CHAP-V2 (RFC 2759): CHAP algorithm 0x81 with mutual authentication. The §8 routines
 * (NtPasswordHash, ChallengeHash, ChallengeResponse, GenerateNTResponse,
 * GenerateAuthenticatorResponse; NtPasswordHash and the DES key schedule come from RFC 2433
 * §A), the Response Value and Success/Failure message formats (§4–§6), and both sides:
 * MsChapV2Authenticator and MsChapV2Peer, on the CHAP bases of chap.ts.
 *
 * The peer checks the authenticator's "S=" value and fails with PPP_AUTH_BAD_AUTHENTICATOR when it
 * is missing or wrong (§5: "If the authenticator response is either missing or incorrect, the
 * peer MUST end the session"). Not here: the retry a Failure with R=1 offers (§9.1.2) and
 * Change-Password (§7): a Failure ends the exchange; MPPE key derivation (RFC 3079).
 *
 * The primitives (MD4, SHA-1, DES) come from an injected {@link PppAuthCrypto}.
 */
import { constantTimeEqual } from '../../avp/auth.js';
import { DecodeError, UsageError } from '../../errors.js';
import {
  type ChapAnswer,
  ChapAuthenticatorBase,
  type ChapAuthenticatorOptions,
  type ChapDecision,
  ChapPeerBase,
  type ChapPeerOptions,
  type ChapPendingResponse,
  type ChapSuccessCheck,
} from './chap.js';
import type { PppAuthCrypto } from './crypto.js';
import { messageBytes, toText } from './machine.js';
import type { MsChapV2FailureInfo, MsChapV2VerifyRequest, MsChapV2VerifyResult } from './types.js';

/** Octets of the Authenticator Challenge and of the Peer-Challenge (§3, §4). */
export const MSCHAPV2_CHALLENGE_LENGTH = 16;
/** Octets of the NT-Response (§4). */
export const MSCHAPV2_NT_RESPONSE_LENGTH = 24;
/** Value-Size of an MS-CHAP-V2 Response: Peer-Challenge, 8 reserved, NT-Response, Flags (§4). */
export const MSCHAPV2_RESPONSE_LENGTH = 49;
/** ERROR_AUTHENTICATION_FAILURE, the E= of a refused password (§6). */
export const MSCHAPV2_ERROR_AUTHENTICATION_FAILURE = 691;

const ascii = (s: string): Uint8Array => Uint8Array.from(s, (c) => c.charCodeAt(0));

// §8.7 GenerateAuthenticatorResponse: Magic1 is "Magic server to client signing constant"
// (39 octets), Magic2 "Pad to make it do more than one iteration" (41 octets), in ASCII.
const MAGIC1 = ascii('Magic server to client signing constant');
const MAGIC2 = ascii('Pad to make it do more than one iteration');

function needLength(bytes: Uint8Array, length: number, what: string): void {
  if (bytes.length !== length) {
    throw new UsageError(`${what} must be ${length} octets, got ${bytes.length}`);
  }
}

/**
 * The password as the "0-to-256-unicode-char Password" of §8: UTF-16 code units, little-endian,
 * no terminating zero.
 */
export function utf16le(password: string): Uint8Array {
  const out = new Uint8Array(password.length * 2);
  for (let i = 0; i < password.length; i++) {
    const unit = password.charCodeAt(i);
    out[2 * i] = unit & 0xff;
    out[2 * i + 1] = unit >>> 8;
  }
  return out;
}

/** NtPasswordHash (§8.3, RFC 2433 §A.2): MD4 of the UTF-16LE password. 16 octets. */
export function ntPasswordHash(password: string, crypto: Pick<PppAuthCrypto, 'md4'>): Uint8Array {
  return crypto.md4(utf16le(password));
}

/** HashNtPasswordHash (§8.4): MD4 of the 16-octet password hash. 16 octets. */
export function hashNtPasswordHash(
  passwordHash: Uint8Array,
  crypto: Pick<PppAuthCrypto, 'md4'>,
): Uint8Array {
  needLength(passwordHash, 16, 'PasswordHash');
  return crypto.md4(passwordHash);
}

/**
 * The user name that enters ChallengeHash (§8.2: "Only the user name (as presented by the peer
 * and excluding any prepended domain name)"): the octets after the last backslash of the Name
 * ("BIGCO\johndoe" → "johndoe", §4). A view into `name`.
 */
export function msChapV2UserName(name: Uint8Array): Uint8Array {
  const slash = name.lastIndexOf(0x5c);
  return slash < 0 ? name : name.subarray(slash + 1);
}

/**
 * ChallengeHash (§8.2): the first 8 octets of SHA-1(PeerChallenge ‖ AuthenticatorChallenge ‖
 * UserName). `userName` is already without its domain (see {@link msChapV2UserName}).
 */
export function challengeHash(
  peerChallenge: Uint8Array,
  authenticatorChallenge: Uint8Array,
  userName: Uint8Array,
  crypto: Pick<PppAuthCrypto, 'sha1'>,
): Uint8Array {
  needLength(peerChallenge, MSCHAPV2_CHALLENGE_LENGTH, 'PeerChallenge');
  needLength(authenticatorChallenge, MSCHAPV2_CHALLENGE_LENGTH, 'AuthenticatorChallenge');
  return crypto.sha1(peerChallenge, authenticatorChallenge, userName).slice(0, 8);
}

/**
 * A 56-bit key as the 8 octets DES takes (RFC 2433 §A.6 MakeKey, RFC 2759 §8.6): seven key bits
 * in the high bits of each octet; the low (parity) bit, which DES ignores, is left 0.
 */
export function desKeyFrom56(key7: Uint8Array): Uint8Array {
  needLength(key7, 7, 'a 56-bit DES key');
  const k = (i: number): number => key7[i] as number;
  const out = new Uint8Array(8);
  out[0] = k(0) & 0xfe;
  for (let i = 1; i < 7; i++) out[i] = ((k(i - 1) << (8 - i)) | (k(i) >>> i)) & 0xfe;
  out[7] = (k(6) << 1) & 0xfe;
  return out;
}

/**
 * ChallengeResponse (§8.5): the 16-octet hash zero-padded to 21, cut into three 7-octet DES keys,
 * each encrypting the 8-octet challenge. 24 octets.
 */
export function challengeResponse(
  challenge: Uint8Array,
  passwordHash: Uint8Array,
  crypto: Pick<PppAuthCrypto, 'desEncrypt'>,
): Uint8Array {
  needLength(challenge, 8, 'Challenge');
  needLength(passwordHash, 16, 'PasswordHash');
  const z = new Uint8Array(21);
  z.set(passwordHash);
  const out = new Uint8Array(24);
  for (let i = 0; i < 3; i++) {
    out.set(crypto.desEncrypt(desKeyFrom56(z.subarray(7 * i, 7 * i + 7)), challenge), 8 * i);
  }
  return out;
}

/**
 * GenerateNTResponse (§8.1), from the password hash rather than the password (hash a password
 * with {@link ntPasswordHash}). 24 octets.
 */
export function generateNtResponse(
  authenticatorChallenge: Uint8Array,
  peerChallenge: Uint8Array,
  userName: Uint8Array,
  passwordHash: Uint8Array,
  crypto: PppAuthCrypto,
): Uint8Array {
  const challenge = challengeHash(peerChallenge, authenticatorChallenge, userName, crypto);
  return challengeResponse(challenge, passwordHash, crypto);
}

/**
 * GenerateAuthenticatorResponse (§8.7), from the password hash: the 20 octets that the Success
 * packet carries as "S=" and 40 uppercase hex digits ({@link formatAuthenticatorResponse}).
 * SHA-1(SHA-1(PasswordHashHash ‖ NT-Response ‖ Magic1) ‖ ChallengeHash ‖ Magic2).
 */
export function generateAuthenticatorResponse(
  passwordHash: Uint8Array,
  ntResponse: Uint8Array,
  peerChallenge: Uint8Array,
  authenticatorChallenge: Uint8Array,
  userName: Uint8Array,
  crypto: PppAuthCrypto,
): Uint8Array {
  needLength(ntResponse, MSCHAPV2_NT_RESPONSE_LENGTH, 'NT-Response');
  const passwordHashHash = hashNtPasswordHash(passwordHash, crypto);
  const digest = crypto.sha1(passwordHashHash, ntResponse, MAGIC1);
  const challenge = challengeHash(peerChallenge, authenticatorChallenge, userName, crypto);
  return crypto.sha1(digest, challenge, MAGIC2);
}

/** Uppercase hexadecimal, as §5 and §6 require ("A-F … MUST be uppercase"). */
export function upperHex(bytes: Uint8Array): string {
  let s = '';
  for (const b of bytes) s += b.toString(16).toUpperCase().padStart(2, '0');
  return s;
}

function fromHex(hex: string): Uint8Array {
  const out = new Uint8Array(hex.length / 2);
  for (let i = 0; i < out.length; i++) out[i] = Number.parseInt(hex.slice(2 * i, 2 * i + 2), 16);
  return out;
}

/** "S=" and the 40 hex digits of a 20-octet authenticator response (§5). */
export function formatAuthenticatorResponse(authenticatorResponse: Uint8Array): string {
  needLength(authenticatorResponse, 20, 'an authenticator response');
  return `S=${upperHex(authenticatorResponse)}`;
}

/** The fields of an MS-CHAP-V2 Response Value (§4). */
export interface MsChapV2Response {
  /** 16 octets chosen by the peer. */
  readonly peerChallenge: Uint8Array;
  /** 24 octets: GenerateNTResponse. */
  readonly ntResponse: Uint8Array;
  /** Reserved, "MUST be zero"; kept as received. */
  readonly flags: number;
}

/**
 * Reads a 49-octet Response Value (§4). The 8 reserved octets and the Flags are not checked:
 * they carry nothing. Views into `value`.
 * @throws DecodeError `L2TP_ERR_BAD_LENGTH` unless `value` is 49 octets.
 */
export function decodeMsChapV2Response(value: Uint8Array): MsChapV2Response {
  if (value.length !== MSCHAPV2_RESPONSE_LENGTH) {
    throw new DecodeError(
      'L2TP_ERR_BAD_LENGTH',
      `MS-CHAP-V2 Response Value-Size ${value.length}, expected ${MSCHAPV2_RESPONSE_LENGTH}`,
      { offset: 4 },
    );
  }
  return {
    peerChallenge: value.subarray(0, 16),
    ntResponse: value.subarray(24, 48),
    flags: value[48] as number,
  };
}

/** A 49-octet Response Value with zero reserved octets and the given Flags (default 0). */
export function encodeMsChapV2Response(response: {
  readonly peerChallenge: Uint8Array;
  readonly ntResponse: Uint8Array;
  readonly flags?: number;
}): Uint8Array {
  needLength(response.peerChallenge, MSCHAPV2_CHALLENGE_LENGTH, 'Peer-Challenge');
  needLength(response.ntResponse, MSCHAPV2_NT_RESPONSE_LENGTH, 'NT-Response');
  const out = new Uint8Array(MSCHAPV2_RESPONSE_LENGTH);
  out.set(response.peerChallenge, 0);
  out.set(response.ntResponse, 24);
  out[48] = response.flags ?? 0;
  return out;
}

/** The Success Message field (§5): "S=<40 hex digits> M=<message>". */
export function formatMsChapV2Success(authenticatorResponse: string, message: string): Uint8Array {
  if (!/^S=[0-9A-Fa-f]{40}$/.test(authenticatorResponse)) {
    throw new UsageError(
      `an authenticator response is "S=" and 40 hex digits, got ${JSON.stringify(authenticatorResponse)}`,
    );
  }
  const head = ascii(`${authenticatorResponse.toUpperCase()} M=`);
  const text = messageBytes(message);
  const out = new Uint8Array(head.length + text.length);
  out.set(head);
  out.set(text, head.length);
  return out;
}

/** What a Success Message says (§5). */
export interface MsChapV2Success {
  /** The 20 octets after "S=", when the message starts with "S=" and 40 hex digits. */
  readonly authenticatorResponse?: Uint8Array;
  /** The M= text (or whatever text follows the S= value). */
  readonly message: string;
}

/** Reads a Success Message (§5). Never throws: a missing S= value is the caller's to judge. */
export function parseMsChapV2Success(message: Uint8Array): MsChapV2Success {
  const text = toText(message);
  const m = /^S=([0-9A-Fa-f]{40})/.exec(text);
  if (m === null) return { message: text };
  const rest = text.slice(m[0].length);
  const mText = /^\s*M=/.exec(rest);
  return {
    authenticatorResponse: fromHex(m[1] as string),
    message: mText === null ? rest.trim() : rest.slice(mText[0].length),
  };
}

/** The fields of a Failure Message to send (§6). */
export interface MsChapV2FailureFields {
  /** E=: default 691 (ERROR_AUTHENTICATION_FAILURE). */
  readonly error?: number;
  /** R=: a retry is allowed. Default false. */
  readonly retry?: boolean;
  /** C=: 16 octets. */
  readonly challenge: Uint8Array;
  /** V=: default 3 ("For MS-CHAP-V2, this value SHOULD always be 3"). */
  readonly version?: number;
  /** M=: text for people. */
  readonly message: string;
}

/** The Failure Message field (§6): "E=eeee R=r C=<32 hex digits> V=vvvv M=<message>". */
export function formatMsChapV2Failure(fields: MsChapV2FailureFields): Uint8Array {
  const error = fields.error ?? MSCHAPV2_ERROR_AUTHENTICATION_FAILURE;
  const version = fields.version ?? 3;
  if (!Number.isInteger(error) || error < 0 || !Number.isInteger(version) || version < 0) {
    throw new UsageError(`E= and V= must be non-negative integers, got ${error} and ${version}`);
  }
  needLength(fields.challenge, MSCHAPV2_CHALLENGE_LENGTH, 'the C= challenge');
  const head = ascii(
    `E=${error} R=${fields.retry === true ? 1 : 0} C=${upperHex(fields.challenge)} V=${version} M=`,
  );
  const text = messageBytes(fields.message);
  const out = new Uint8Array(head.length + text.length);
  out.set(head);
  out.set(text, head.length);
  return out;
}

/** What a Failure Message says (§6): the fields found, and the M= text. */
export interface MsChapV2Failure extends MsChapV2FailureInfo {
  /** The M= text; the whole message when it has neither M= nor any field. */
  readonly message: string;
}

/**
 * Reads a Failure Message (§6). Never throws; fields that are absent or malformed are left out
 * ("implementations should deal with codes not on this list gracefully").
 */
export function parseMsChapV2Failure(message: Uint8Array): MsChapV2Failure {
  const text = toText(message);
  const m = /(?:^|\s)M=/.exec(text);
  const head = m === null ? text : text.slice(0, m.index);
  const fields: {
    error?: number;
    retry?: boolean;
    challenge?: Uint8Array;
    version?: number;
  } = {};
  for (const token of head.split(/\s+/)) {
    const f = /^([ERCV])=(.*)$/.exec(token);
    const value = f?.[2] ?? '';
    switch (f?.[1]) {
      case 'E':
        if (/^\d{1,9}$/.test(value)) fields.error = Number(value);
        break;
      case 'R':
        if (value === '0' || value === '1') fields.retry = value === '1';
        break;
      case 'C':
        if (/^[0-9A-Fa-f]{32}$/.test(value)) fields.challenge = fromHex(value);
        break;
      case 'V':
        if (/^\d{1,9}$/.test(value)) fields.version = Number(value);
        break;
    }
  }
  const found = Object.keys(fields).length > 0;
  const said = m === null ? (found ? '' : text) : text.slice(m.index + m[0].length);
  return { ...fields, message: said };
}

/** Options of {@link MsChapV2Authenticator}. */
export interface MsChapV2AuthenticatorOptions extends ChapAuthenticatorOptions {
  readonly crypto: PppAuthCrypto;
}

/**
 * The authenticator side of MS-CHAP-V2. Challenges with 16 random octets; the host is asked with
 * an {@link MsChapV2VerifyRequest} and answers with the user's password or NT hash (the machine
 * checks the NT-Response in constant time and computes the "S=" value), a refusal, or its own
 * verdict with the S= value. A refusal is sent as "E=691 R=0 C=… V=3 M=…" (no retry).
 */
export class MsChapV2Authenticator extends ChapAuthenticatorBase<MsChapV2VerifyResult> {
  readonly method = 'mschapv2' as const;
  readonly #crypto: PppAuthCrypto;

  constructor(options: MsChapV2AuthenticatorOptions) {
    super(options);
    this.#crypto = options.crypto;
  }

  protected challengeValue(): Uint8Array {
    const value = this.randomBytes(MSCHAPV2_CHALLENGE_LENGTH);
    if (value.length !== MSCHAPV2_CHALLENGE_LENGTH) {
      throw new UsageError(`randomBytes(16) returned ${value.length} octets`);
    }
    return value;
  }

  protected verifyRequest(
    token: number,
    pending: ChapPendingResponse,
  ): MsChapV2VerifyRequest | DecodeError {
    let response: MsChapV2Response;
    try {
      response = decodeMsChapV2Response(pending.value);
    } catch (err) {
      if (err instanceof DecodeError) return err;
      throw err;
    }
    return {
      type: 'verify',
      method: 'mschapv2',
      token,
      peerName: toText(pending.name),
      peerNameBytes: pending.name,
      userName: toText(msChapV2UserName(pending.name)),
      authenticatorChallenge: pending.challenge,
      peerChallenge: response.peerChallenge,
      ntResponse: response.ntResponse,
    };
  }

  protected decide(result: MsChapV2VerifyResult, pending: ChapPendingResponse): ChapDecision {
    const response = decodeMsChapV2Response(pending.value);
    const userName = msChapV2UserName(pending.name);
    if (result === null || typeof result !== 'object') {
      throw new UsageError('an MS-CHAP-V2 verify result must be an object');
    }
    if ('ok' in result) {
      if (result.ok === true) {
        return this.#success(result.authenticatorResponse, result.message);
      }
      return this.#failure(pending, result.message, result.error);
    }
    let hash: Uint8Array;
    if ('password' in result) hash = ntPasswordHash(result.password, this.#crypto);
    else if ('ntHash' in result) {
      needLength(result.ntHash, 16, 'an NT password hash');
      hash = result.ntHash;
    } else {
      throw new UsageError('an MS-CHAP-V2 verify result needs a password, an ntHash or ok');
    }
    const expected = generateNtResponse(
      pending.challenge,
      response.peerChallenge,
      userName,
      hash,
      this.#crypto,
    );
    if (!constantTimeEqual(expected, response.ntResponse)) return this.#failure(pending);
    const s = generateAuthenticatorResponse(
      hash,
      response.ntResponse,
      response.peerChallenge,
      pending.challenge,
      userName,
      this.#crypto,
    );
    return this.#success(formatAuthenticatorResponse(s));
  }

  #success(authenticatorResponse: string, text?: string): ChapDecision {
    const said = text ?? this.successMessage;
    const message = formatMsChapV2Success(authenticatorResponse, said);
    return { ok: true, message, text: toText(messageBytes(said)) };
  }

  #failure(pending: ChapPendingResponse, text?: string, error?: number): ChapDecision {
    const said = text ?? this.failureMessage;
    const message = formatMsChapV2Failure({
      ...(error === undefined ? {} : { error }),
      challenge: pending.challenge,
      message: said,
    });
    return { ok: false, message, text: toText(messageBytes(said)) };
  }
}

/** Options of {@link MsChapV2Peer}: the password, or its NT hash. */
export type MsChapV2PeerOptions = ChapPeerOptions & {
  /** 16 random octets for each Peer-Challenge. Never Math.random. */
  readonly randomBytes: (n: number) => Uint8Array;
  readonly crypto: PppAuthCrypto;
} & (
    | { readonly password: string; readonly ntHash?: undefined }
    | {
        /** NtPasswordHash of the password (16 octets), for a peer that keeps no plaintext. */
        readonly ntHash: Uint8Array;
        readonly password?: undefined;
      }
  );

/**
 * The peer side of MS-CHAP-V2: answers each Challenge with a fresh Peer-Challenge and the
 * NT-Response, and accepts a Success only with the right "S=" value. The answer's context (the
 * `Uint8Array` of {@link ChapPeerBase}) is what the peer expects in the Success: the 20-octet
 * authenticator response.
 */
export class MsChapV2Peer extends ChapPeerBase<Uint8Array> {
  readonly method = 'mschapv2' as const;
  readonly #hash: Uint8Array;
  readonly #crypto: PppAuthCrypto;
  readonly #randomBytes: (n: number) => Uint8Array;

  constructor(options: MsChapV2PeerOptions) {
    super(options);
    if (typeof options.randomBytes !== 'function') {
      throw new UsageError('an MS-CHAP-V2 peer needs randomBytes(n)');
    }
    this.#crypto = options.crypto;
    this.#randomBytes = options.randomBytes;
    if (typeof options.password === 'string') {
      this.#hash = ntPasswordHash(options.password, options.crypto);
    } else if (options.ntHash !== undefined) {
      needLength(options.ntHash, 16, 'ntHash');
      this.#hash = options.ntHash.slice();
    } else {
      throw new UsageError('an MS-CHAP-V2 peer needs a password or an ntHash');
    }
  }

  protected answer(
    _identifier: number,
    challenge: Uint8Array,
    _authenticatorName: Uint8Array,
  ): ChapAnswer<Uint8Array> | DecodeError {
    if (challenge.length !== MSCHAPV2_CHALLENGE_LENGTH) {
      return new DecodeError(
        'L2TP_ERR_BAD_LENGTH',
        `MS-CHAP-V2 Challenge Value-Size ${challenge.length}, expected 16`,
        { offset: 4 },
      );
    }
    const peerChallenge = this.#randomBytes(MSCHAPV2_CHALLENGE_LENGTH);
    if (peerChallenge.length !== MSCHAPV2_CHALLENGE_LENGTH) {
      throw new UsageError(`randomBytes(16) returned ${peerChallenge.length} octets`);
    }
    const userName = msChapV2UserName(this.name);
    const ntResponse = generateNtResponse(
      challenge,
      peerChallenge,
      userName,
      this.#hash,
      this.#crypto,
    );
    const expected = generateAuthenticatorResponse(
      this.#hash,
      ntResponse,
      peerChallenge,
      challenge,
      userName,
      this.#crypto,
    );
    return { value: encodeMsChapV2Response({ peerChallenge, ntResponse }), context: expected };
  }

  protected checkSuccess(message: Uint8Array, expected: Uint8Array): ChapSuccessCheck {
    const success = parseMsChapV2Success(message);
    if (success.authenticatorResponse === undefined) {
      return {
        ok: false,
        code: 'PPP_AUTH_BAD_AUTHENTICATOR',
        text: 'Success without an authenticator response (S=)',
      };
    }
    if (!constantTimeEqual(success.authenticatorResponse, expected)) {
      return {
        ok: false,
        code: 'PPP_AUTH_BAD_AUTHENTICATOR',
        text: 'wrong authenticator response: the authenticator does not know the password',
      };
    }
    return { ok: true, text: success.message };
  }

  protected readFailure(message: Uint8Array): {
    readonly text: string;
    readonly msChapV2: MsChapV2FailureInfo;
  } {
    const { message: said, ...fields } = parseMsChapV2Failure(message);
    const text = said !== '' ? said : `E=${fields.error ?? '?'}`;
    return { text, msChapV2: fields };
  }
}
