/**
 * The Challenge-Handshake Authentication Protocol (RFC 1994, PPP protocol 0xC223): its codec,
 * the two sides common to every CHAP algorithm (ChapAuthenticatorBase, ChapPeerBase), and CHAP
 * with MD5, algorithm 5 (ChapMd5Authenticator, ChapMd5Peer). MS-CHAPv2 builds on the same bases
 * in mschapv2.ts.
 *
 * What the bases own, per RFC 1994 §4.1 and §4.2:
 * - Authenticator: a Challenge with a fresh Identifier and Value, retransmitted unchanged on the
 *   Restart timer until a Response with its Identifier arrives (a changed Identifier would make
 *   the peer's late Response useless); then one host question, then Success or Failure. A
 *   repeated Response for the current Identifier gets the same reply, byte for byte, without
 *   asking again ("any Response packets received having the current Challenge Identifier MUST
 *   return the same reply Code"); one for another Identifier is discarded. `rechallenge` starts
 *   over with a new Identifier and Value after a success.
 * - Peer: answers every Challenge, the first and any rechallenge. Its Response is retransmitted
 *   on the Restart timer until Success or Failure for that Identifier arrives, so a lost Success
 *   is recovered (the authenticator repeats its reply); a repeated Challenge gets the same
 *   Response.
 * What an algorithm adds (the hooks): the Challenge Value, the Response Value, what the host is
 * asked and how its answer turns into Success or Failure, and how the peer reads those.
 */
import { constantTimeEqual } from '../../avp/auth.js';
import { DecodeError, UsageError } from '../../errors.js';
import type { PppAuthCrypto } from './crypto.js';
import {
  AuthMachine,
  checkLength,
  messageBytes,
  type RetransmitOptions,
  retransmitSettings,
  toBytes,
  toText,
  tryDecode,
  type WaitOptions,
  waitSetting,
} from './machine.js';
import { decodeAuthFrame, encodeAuthPacket, octet } from './packet.js';
import {
  type AuthFailureCode,
  type AuthOutput,
  type ChapMd5VerifyRequest,
  type ChapMd5VerifyResult,
  type MsChapV2FailureInfo,
  PPP_CHAP,
  type VerifyRequest,
} from './types.js';

/** CHAP Codes (RFC 1994 §4). */
export const ChapCode = {
  Challenge: 1,
  Response: 2,
  Success: 3,
  Failure: 4,
} as const;

/** A decoded CHAP packet. Octet fields are views into the input. */
export type ChapPacket =
  | {
      readonly kind: 'challenge' | 'response';
      readonly identifier: number;
      readonly value: Uint8Array;
      readonly name: Uint8Array;
    }
  | {
      readonly kind: 'success' | 'failure';
      readonly identifier: number;
      readonly message: Uint8Array;
    }
  | {
      readonly kind: 'unknown';
      readonly code: number;
      readonly identifier: number;
      readonly data: Uint8Array;
    };

/**
 * Decodes a CHAP packet (the Information field of a 0xC223 frame). Codes other than 1–4 (MS-CHAP's
 * Change-Password, say) come back as `unknown`.
 * @throws DecodeError only: the header or Length runs short, Value-Size runs past the packet
 *   (`L2TP_ERR_TRUNCATED`), or Value-Size is 0 (`L2TP_ERR_BAD_LENGTH`: "one or more octets").
 */
export function decodeChap(packet: Uint8Array): ChapPacket {
  const { code, identifier, data } = decodeAuthFrame(packet, 'CHAP');
  switch (code) {
    case ChapCode.Challenge:
    case ChapCode.Response: {
      const kind = code === ChapCode.Challenge ? 'challenge' : 'response';
      if (data.length === 0) {
        throw new DecodeError('L2TP_ERR_TRUNCATED', `truncated CHAP ${kind}: no Value-Size`, {
          offset: 4,
        });
      }
      const size = data[0] as number;
      if (size === 0) {
        throw new DecodeError('L2TP_ERR_BAD_LENGTH', `CHAP ${kind} Value-Size is 0`, {
          offset: 4,
        });
      }
      if (1 + size > data.length) {
        throw new DecodeError(
          'L2TP_ERR_TRUNCATED',
          `truncated CHAP ${kind}: Value-Size ${size}, ${data.length - 1} octets left`,
          { offset: 5 },
        );
      }
      return { kind, identifier, value: data.subarray(1, 1 + size), name: data.subarray(1 + size) };
    }
    case ChapCode.Success:
    case ChapCode.Failure:
      return { kind: code === ChapCode.Success ? 'success' : 'failure', identifier, message: data };
    default:
      return { kind: 'unknown', code, identifier, data };
  }
}

/**
 * A Challenge or Response (RFC 1994 §4.1).
 * @throws UsageError when the value is empty or over 255 octets, or the packet is too long.
 */
export function encodeChapChallengeOrResponse(
  kind: 'challenge' | 'response',
  identifier: number,
  value: Uint8Array,
  name: Uint8Array,
): Uint8Array {
  if (value.length < 1 || value.length > 255) {
    throw new UsageError(`CHAP Value must be 1–255 octets, got ${value.length}`);
  }
  const code = kind === 'challenge' ? ChapCode.Challenge : ChapCode.Response;
  return encodeAuthPacket(code, identifier, octet(value.length), value, name);
}

/** A Success or Failure (RFC 1994 §4.2). */
export function encodeChapResult(
  kind: 'success' | 'failure',
  identifier: number,
  message: Uint8Array,
): Uint8Array {
  return encodeAuthPacket(
    kind === 'success' ? ChapCode.Success : ChapCode.Failure,
    identifier,
    message,
  );
}

/**
 * The CHAP-MD5 Response Value (RFC 1994 §4.1): "the one-way hash calculated over a stream of
 * octets consisting of the Identifier, followed by (concatenated with) the 'secret', followed by
 * (concatenated with) the Challenge Value", MD5 for algorithm 5. 16 octets.
 */
export function chapMd5Response(
  identifier: number,
  secret: Uint8Array,
  challenge: Uint8Array,
  crypto: Pick<PppAuthCrypto, 'md5'>,
): Uint8Array {
  if ((identifier & 0xff) !== identifier) {
    throw new UsageError(`Identifier must be an octet, got ${identifier}`);
  }
  return crypto.md5(Uint8Array.of(identifier), secret, challenge);
}

/**
 * Longest Name we send, in octets. RFC 1994 sets no limit but the packet's; pppd's MAXNAMELEN
 * (256 with its terminating NUL) is the practical one, and RFC 2759 §4 speaks of "0 to
 * (theoretically) 256" characters.
 */
export const MAX_NAME_OCTETS = 255;

/** Options every CHAP authenticator takes. */
export interface ChapAuthenticatorOptions extends RetransmitOptions {
  /** Our name, sent in the Challenge's Name field (UTF-8 for a string; ≤ 255 octets). */
  readonly name: string | Uint8Array;
  /** `n` random octets: Challenge Values and the first Identifier. Never Math.random. */
  readonly randomBytes: (n: number) => Uint8Array;
  /** Success text when the host gives none. Default "Access granted". */
  readonly successMessage?: string;
  /** Failure text when the host gives none. Default "Access denied". */
  readonly failureMessage?: string;
}

/** The Response being verified: what a subclass needs to turn the host's answer into a reply. */
export interface ChapPendingResponse {
  readonly identifier: number;
  /** The Challenge Value we sent. */
  readonly challenge: Uint8Array;
  /** The peer's Response Value (a copy). */
  readonly value: Uint8Array;
  /** The peer's Name (a copy). */
  readonly name: Uint8Array;
}

/** How an algorithm answers: Success or Failure, its Message field, and the text for the event. */
export interface ChapDecision {
  readonly ok: boolean;
  /** The Success/Failure Message field. */
  readonly message: Uint8Array;
  /** The human-readable part, for the auth-success / auth-failure event. */
  readonly text: string;
}

/** The authenticator side of CHAP, for any algorithm; see the module documentation. */
export abstract class ChapAuthenticatorBase<R> extends AuthMachine<R> {
  readonly protocol = PPP_CHAP;
  readonly role = 'authenticator' as const;

  protected readonly successMessage: string;
  protected readonly failureMessage: string;
  /** The `randomBytes` option: for Challenge Values (`challengeValue`) and the first Identifier. */
  protected readonly randomBytes: (n: number) => Uint8Array;
  readonly #name: Uint8Array;
  readonly #restartTimer: number;
  readonly #maxTransmissions: number;
  #identifier = -1;
  #challenge: Uint8Array = new Uint8Array(0);
  #challengePacket: Uint8Array = new Uint8Array(0);
  #transmissions = 0;
  #token = 0;
  #pending: ChapPendingResponse | undefined;
  #reply: Uint8Array | undefined;

  constructor(options: ChapAuthenticatorOptions) {
    super();
    if (typeof options.randomBytes !== 'function') {
      throw new UsageError('a CHAP authenticator needs randomBytes(n)');
    }
    this.randomBytes = options.randomBytes;
    this.#name = checkLength(toBytes(options.name), MAX_NAME_OCTETS, 'CHAP Name');
    this.successMessage = options.successMessage ?? 'Access granted';
    this.failureMessage = options.failureMessage ?? 'Access denied';
    ({ restartTimer: this.#restartTimer, maxTransmissions: this.#maxTransmissions } =
      retransmitSettings(options));
  }

  /** Identifier of the current Challenge (undefined before `start`). */
  get identifier(): number | undefined {
    return this.#identifier < 0 ? undefined : this.#identifier;
  }

  /**
   * Challenges an authenticated peer again (RFC 1994 §2: "at random intervals, the authenticator
   * sends a new challenge"): a new Identifier and Value, retransmitted as the first. A failed
   * rechallenge ends in `auth-failure`; a successful one emits no second `auth-success`.
   * @throws UsageError unless the peer has been authenticated and no challenge is outstanding.
   */
  rechallenge(now: number): AuthOutput[] {
    if (this.currentState !== 'done' || this.currentOutcome !== 'success') {
      throw new UsageError('rechallenge() needs an authenticated peer and no open challenge');
    }
    return this.#newChallenge(now);
  }

  /** A fresh Challenge Value (checked by the base: 1–255 octets). */
  protected abstract challengeValue(): Uint8Array;

  /** The host question for a Response to the current Challenge, or a DecodeError to discard it. */
  protected abstract verifyRequest(
    token: number,
    pending: ChapPendingResponse,
  ): VerifyRequest | DecodeError;

  /** The reply to send for the host's answer. */
  protected abstract decide(result: R, pending: ChapPendingResponse): ChapDecision;

  /** Sends the first Challenge: a random Identifier and a fresh `challengeValue()`. */
  protected onStart(now: number): AuthOutput[] {
    return this.#newChallenge(now);
  }

  /**
   * A Response to the current Challenge: the host is asked once (`verifyRequest`), and a repeat
   * after the decision gets the same reply. Other packets are discarded (malformed) or ignored.
   */
  protected onPacket(packet: Uint8Array, _now: number): AuthOutput[] {
    const p = tryDecode(() => decodeChap(packet));
    if (p instanceof DecodeError || p.kind === 'unknown') return this.discard();
    // Challenges, Successes and Failures are for the peer machine of the other direction; a
    // Response to an earlier Challenge is stale (§4.1 replies only for the current Identifier).
    if (p.kind !== 'response' || p.identifier !== this.#identifier) return [];
    switch (this.currentState) {
      case 'running': {
        const pending: ChapPendingResponse = {
          identifier: p.identifier,
          challenge: this.#challenge,
          value: p.value.slice(),
          name: p.name.slice(),
        };
        const request = this.verifyRequest(this.#token + 1, pending);
        if (request instanceof DecodeError) return this.discard();
        this.#token++;
        this.#pending = pending;
        this.currentState = 'verifying';
        this.deadline = undefined;
        return [request];
      }
      case 'done':
        return this.#reply === undefined ? [] : [this.#transmit(this.#reply)];
      default:
        return []; // verifying: the reply goes out when the host answers
    }
  }

  /** Resends the Challenge unchanged, or fails with `PPP_AUTH_TIMEOUT` after the last one. */
  protected onTimeout(now: number): AuthOutput[] {
    if (this.currentState !== 'running') return [];
    if (this.#transmissions < this.#maxTransmissions) return [this.#sendChallenge(now)];
    return [
      this.fail(
        'PPP_AUTH_TIMEOUT',
        `no Response to ${this.#transmissions} Challenges`,
        this.#pending === undefined ? undefined : toText(this.#pending.name),
      ),
    ];
  }

  /** The host's answer for the current token: the reply `decide` chose, and the event. */
  protected override onVerify(token: number, result: R, _now: number): AuthOutput[] {
    const pending = this.#pending;
    if (this.currentState !== 'verifying' || token !== this.#token || pending === undefined) {
      return [];
    }
    const decision = this.decide(result, pending);
    this.#reply = encodeChapResult(
      decision.ok ? 'success' : 'failure',
      pending.identifier,
      decision.message,
    );
    const out: AuthOutput[] = [this.#transmit(this.#reply)];
    const peerName = toText(pending.name);
    if (decision.ok) {
      const event = this.succeed(peerName, decision.text);
      if (event !== undefined) out.push(event);
    } else {
      out.push(this.fail('PPP_AUTH_REJECTED', decision.text, peerName));
    }
    return out;
  }

  #newChallenge(now: number): AuthOutput[] {
    const value = this.challengeValue();
    if (value.length < 1 || value.length > 255) {
      throw new UsageError(`a Challenge Value must be 1–255 octets, got ${value.length}`);
    }
    // The first Identifier is random, later ones count up: "MUST be changed each time a
    // Challenge is sent" (§4.1); a retransmission resends the same packet.
    this.#identifier = this.#identifier < 0 ? this.#randomOctet() : (this.#identifier + 1) & 0xff;
    this.#challenge = value.slice();
    this.#challengePacket = encodeChapChallengeOrResponse(
      'challenge',
      this.#identifier,
      this.#challenge,
      this.#name,
    );
    this.#transmissions = 0;
    this.#pending = undefined;
    this.#reply = undefined;
    this.currentState = 'running';
    return [this.#sendChallenge(now)];
  }

  #sendChallenge(now: number): AuthOutput {
    this.#transmissions++;
    this.deadline = now + this.#restartTimer;
    return this.#transmit(this.#challengePacket);
  }

  #randomOctet(): number {
    const r = this.randomBytes(1);
    if (r.length < 1) throw new UsageError('randomBytes(1) returned no octet');
    return r[0] as number;
  }

  #transmit(packet: Uint8Array): AuthOutput {
    return { type: 'transmit', protocol: PPP_CHAP, packet };
  }
}

/** Options every CHAP peer takes. */
export interface ChapPeerOptions extends RetransmitOptions, WaitOptions {
  /** Our name, sent in the Response's Name field (UTF-8 for a string; ≤ 255 octets). */
  readonly name: string | Uint8Array;
}

/** How the peer reads a Success: accepted (with its text), or refused with a failure code. */
export type ChapSuccessCheck =
  | { readonly ok: true; readonly text: string }
  | { readonly ok: false; readonly code: AuthFailureCode; readonly text: string };

/** What a peer keeps about the Response it sent, for the algorithm's later checks. */
export interface ChapAnswer<C> {
  /** The Response Value. */
  readonly value: Uint8Array;
  /** Whatever the algorithm needs to check the Success (MS-CHAPv2: the expected S= value). */
  readonly context: C;
}

/** A Response awaiting its Success or Failure. */
interface OpenResponse<C> {
  readonly identifier: number;
  readonly challenge: Uint8Array;
  readonly packet: Uint8Array;
  readonly context: C;
  transmissions: number;
}

/** The peer side of CHAP, for any algorithm; see the module documentation. */
export abstract class ChapPeerBase<C> extends AuthMachine<never> {
  readonly protocol = PPP_CHAP;
  readonly role = 'peer' as const;

  protected readonly name: Uint8Array;
  readonly #restartTimer: number;
  readonly #maxTransmissions: number;
  readonly #waitTimeout: number;
  /** The Challenge we answered and our answer, until Success or Failure for it arrives. */
  #open: OpenResponse<C> | undefined;
  /** The last Challenge answered (to repeat our Response to a repeated Challenge). */
  #last: { identifier: number; challenge: Uint8Array; packet: Uint8Array } | undefined;

  constructor(options: ChapPeerOptions) {
    super();
    this.name = checkLength(toBytes(options.name), MAX_NAME_OCTETS, 'CHAP Name');
    this.#waitTimeout = waitSetting(options);
    ({ restartTimer: this.#restartTimer, maxTransmissions: this.#maxTransmissions } =
      retransmitSettings(options));
  }

  /** The Response Value (and context) for a Challenge, or a DecodeError to discard it. */
  protected abstract answer(
    identifier: number,
    challenge: Uint8Array,
    authenticatorName: Uint8Array,
  ): ChapAnswer<C> | DecodeError;

  /** Reads a Success Message for our Response. */
  protected abstract checkSuccess(message: Uint8Array, context: C): ChapSuccessCheck;

  /** Reads a Failure Message: the text for people and any structured fields. */
  protected abstract readFailure(message: Uint8Array): {
    readonly text: string;
    readonly msChapV2?: MsChapV2FailureInfo;
  };

  /** Sends nothing (the authenticator begins) and waits up to `waitTimeout` for a Challenge. */
  protected onStart(now: number): AuthOutput[] {
    if (Number.isFinite(this.#waitTimeout)) this.deadline = now + this.#waitTimeout;
    return [];
  }

  /**
   * A Challenge gets a Response (`answer`; a repeated Challenge, the same Response); a Success or
   * Failure for our open Response ends the exchange (`checkSuccess`, `readFailure`).
   */
  protected onPacket(packet: Uint8Array, now: number): AuthOutput[] {
    const p = tryDecode(() => decodeChap(packet));
    if (p instanceof DecodeError || p.kind === 'unknown') return this.discard();
    switch (p.kind) {
      case 'response':
        return []; // for the authenticator machine of the other direction
      case 'challenge':
        return this.#onChallenge(p.identifier, p.value, p.name, now);
      default: {
        const open = this.#open;
        if (open === undefined || p.identifier !== open.identifier) return [];
        this.#open = undefined;
        const peerName = toText(this.name);
        if (p.kind === 'failure') {
          const { text, msChapV2 } = this.readFailure(p.message);
          return [this.fail('PPP_AUTH_REJECTED', text || 'Failure', peerName, msChapV2)];
        }
        const check = this.checkSuccess(p.message, open.context);
        if (!check.ok) return [this.fail(check.code, check.text, peerName)];
        const event = this.succeed(peerName, check.text);
        return event === undefined ? [] : [event];
      }
    }
  }

  /**
   * Resends the open Response, or fails with `PPP_AUTH_TIMEOUT`: no Challenge within
   * `waitTimeout`, or no Success or Failure after the last Response.
   */
  protected onTimeout(now: number): AuthOutput[] {
    if (this.currentState !== 'running') return [];
    const open = this.#open;
    if (open === undefined) {
      return [this.fail('PPP_AUTH_TIMEOUT', `no Challenge within ${this.#waitTimeout} ms`)];
    }
    if (open.transmissions < this.#maxTransmissions) return [this.#send(open, now)];
    this.#open = undefined; // a late Success or Failure changes nothing now
    return [
      this.fail(
        'PPP_AUTH_TIMEOUT',
        `no Success or Failure after ${open.transmissions} Responses`,
        toText(this.name),
      ),
    ];
  }

  #onChallenge(
    identifier: number,
    challenge: Uint8Array,
    authenticatorName: Uint8Array,
    now: number,
  ): AuthOutput[] {
    // After a Failure the link is going down (§4.2): answer nothing more.
    if (this.currentOutcome === 'failure') return [];
    const last = this.#last;
    if (
      last !== undefined &&
      last.identifier === identifier &&
      constantTimeEqual(last.challenge, challenge)
    ) {
      // The authenticator repeated its Challenge: our Response was lost (or is late). Answer
      // with the same octets: a new MS-CHAPv2 Peer-Challenge would change the expected S=.
      return [{ type: 'transmit', protocol: PPP_CHAP, packet: last.packet }];
    }
    const answer = this.answer(identifier, challenge, authenticatorName);
    if (answer instanceof DecodeError) return this.discard();
    const { value, context } = answer;
    const packet = encodeChapChallengeOrResponse('response', identifier, value, this.name);
    const kept = challenge.slice();
    this.#last = { identifier, challenge: kept, packet };
    this.#open = { identifier, challenge: kept, packet, context, transmissions: 0 };
    this.currentState = 'running';
    return [this.#send(this.#open, now)];
  }

  #send(open: OpenResponse<C>, now: number): AuthOutput {
    open.transmissions++;
    this.deadline = now + this.#restartTimer;
    return { type: 'transmit', protocol: PPP_CHAP, packet: open.packet };
  }
}

/** Options of {@link ChapMd5Authenticator}. */
export interface ChapMd5AuthenticatorOptions extends ChapAuthenticatorOptions {
  /** Octets of each Challenge Value, 1–255. Default 16 (the MD5 hash length, RFC 1994 §2.3). */
  readonly challengeLength?: number;
  readonly crypto: Pick<PppAuthCrypto, 'md5'>;
}

/**
 * The authenticator side of CHAP with MD5 (algorithm 5). The host is asked with a
 * {@link ChapMd5VerifyRequest} and answers with the peer's secret (the machine compares
 * MD5(Identifier ‖ secret ‖ Challenge) with the Response Value, in constant time) or with its own
 * decision.
 */
export class ChapMd5Authenticator extends ChapAuthenticatorBase<ChapMd5VerifyResult> {
  readonly method = 'chap-md5' as const;
  readonly #crypto: Pick<PppAuthCrypto, 'md5'>;
  readonly #challengeLength: number;

  constructor(options: ChapMd5AuthenticatorOptions) {
    super(options);
    const n = options.challengeLength ?? 16;
    if (!Number.isInteger(n) || n < 1 || n > 255) {
      throw new UsageError(`challengeLength must be 1–255, got ${n}`);
    }
    this.#challengeLength = n;
    this.#crypto = options.crypto;
  }

  protected challengeValue(): Uint8Array {
    const value = this.randomBytes(this.#challengeLength);
    if (value.length !== this.#challengeLength) {
      throw new UsageError(`randomBytes(${this.#challengeLength}) returned ${value.length}`);
    }
    return value;
  }

  protected verifyRequest(token: number, pending: ChapPendingResponse): ChapMd5VerifyRequest {
    return {
      type: 'verify',
      method: 'chap-md5',
      token,
      peerName: toText(pending.name),
      peerNameBytes: pending.name,
      identifier: pending.identifier,
      challenge: pending.challenge,
      response: pending.value,
    };
  }

  protected decide(result: ChapMd5VerifyResult, pending: ChapPendingResponse): ChapDecision {
    let ok: boolean;
    let text: string | undefined;
    if (result !== null && typeof result === 'object' && 'secret' in result) {
      const expected = chapMd5Response(
        pending.identifier,
        toBytes(result.secret),
        pending.challenge,
        this.#crypto,
      );
      ok = constantTimeEqual(expected, pending.value);
    } else if (typeof result?.ok === 'boolean') {
      ok = result.ok;
      text = result.message;
    } else {
      throw new UsageError('a CHAP-MD5 verify result needs a secret, or ok: true or ok: false');
    }
    const message = messageBytes(text ?? (ok ? this.successMessage : this.failureMessage));
    return { ok, message, text: toText(message) };
  }
}

/** Options of {@link ChapMd5Peer}. */
export interface ChapMd5PeerOptions extends ChapPeerOptions {
  /**
   * Our secret (a string is taken as UTF-8), or a function choosing it by the authenticator's
   * Name (RFC 1994 §2.1: names "may be used as an index to locate the proper secret").
   */
  readonly secret: string | Uint8Array | ((authenticatorName: string) => string | Uint8Array);
  readonly crypto: Pick<PppAuthCrypto, 'md5'>;
}

/** The peer side of CHAP with MD5 (algorithm 5). */
export class ChapMd5Peer extends ChapPeerBase<undefined> {
  readonly method = 'chap-md5' as const;
  readonly #secret: Uint8Array | ((authenticatorName: string) => string | Uint8Array);
  readonly #crypto: Pick<PppAuthCrypto, 'md5'>;

  constructor(options: ChapMd5PeerOptions) {
    super(options);
    this.#secret = typeof options.secret === 'function' ? options.secret : toBytes(options.secret);
    this.#crypto = options.crypto;
  }

  protected answer(
    identifier: number,
    challenge: Uint8Array,
    authenticatorName: Uint8Array,
  ): ChapAnswer<undefined> {
    const s = this.#secret;
    const secret = typeof s === 'function' ? toBytes(s(toText(authenticatorName))) : s;
    return {
      value: chapMd5Response(identifier, secret, challenge, this.#crypto),
      context: undefined,
    };
  }

  protected checkSuccess(message: Uint8Array): ChapSuccessCheck {
    return { ok: true, text: toText(message) };
  }

  protected readFailure(message: Uint8Array): { readonly text: string } {
    return { text: toText(message) };
  }
}
