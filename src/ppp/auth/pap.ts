/**
 * The Password Authentication Protocol (RFC 1334 §2, PPP protocol 0xC023): its codec and both
 * sides, PapPeer (sends Peer-ID and Password until acknowledged) and PapAuthenticator (asks the
 * host, answers Ack or Nak, and answers repeats the same way without asking again).
 *
 * See types.ts for how a shell drives a machine. Neither side reads a clock or a random source.
 */
import { DecodeError, UsageError } from '../../errors.js';
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
import { decodeAuthFrame, encodeAuthPacket, octet, readCounted } from './packet.js';
import { type AuthOutput, type PapVerifyRequest, type PapVerifyResult, PPP_PAP } from './types.js';

/** PAP Codes (RFC 1334 §2.2). */
export const PapCode = {
  AuthenticateRequest: 1,
  AuthenticateAck: 2,
  AuthenticateNak: 3,
} as const;

/** A decoded PAP packet. Octet fields are views into the input. */
export type PapPacket =
  | {
      readonly kind: 'request';
      readonly identifier: number;
      readonly peerId: Uint8Array;
      readonly password: Uint8Array;
    }
  | { readonly kind: 'ack' | 'nak'; readonly identifier: number; readonly message: Uint8Array }
  | {
      readonly kind: 'unknown';
      readonly code: number;
      readonly identifier: number;
      readonly data: Uint8Array;
    };

/**
 * Decodes a PAP packet (the Information field of a 0xC023 frame).
 *
 * An Ack or Nak without even the Msg-Length octet is taken as an empty message: such replies
 * exist in the field, and the Message "MUST NOT affect operation of the protocol" (§2.2.2).
 * @throws DecodeError only: the header, Length, or a counted field runs short.
 */
export function decodePap(packet: Uint8Array): PapPacket {
  const { code, identifier, data } = decodeAuthFrame(packet, 'PAP');
  switch (code) {
    case PapCode.AuthenticateRequest: {
      const id = readCounted(data, 0, 'PAP Peer-ID');
      const pw = readCounted(data, id.end, 'PAP Password');
      return { kind: 'request', identifier, peerId: id.value, password: pw.value };
    }
    case PapCode.AuthenticateAck:
    case PapCode.AuthenticateNak: {
      const kind = code === PapCode.AuthenticateAck ? 'ack' : 'nak';
      const message = data.length === 0 ? data : readCounted(data, 0, 'PAP Message').value;
      return { kind, identifier, message };
    }
    default:
      return { kind: 'unknown', code, identifier, data };
  }
}

/**
 * An Authenticate-Request (RFC 1334 §2.2.1).
 * @throws UsageError when Peer-ID or Password exceeds 255 octets.
 */
export function encodePapRequest(
  identifier: number,
  peerId: Uint8Array,
  password: Uint8Array,
): Uint8Array {
  checkLength(peerId, 255, 'PAP Peer-ID');
  checkLength(password, 255, 'PAP Password');
  return encodeAuthPacket(
    PapCode.AuthenticateRequest,
    identifier,
    octet(peerId.length),
    peerId,
    octet(password.length),
    password,
  );
}

/**
 * An Authenticate-Ack or Authenticate-Nak (RFC 1334 §2.2.2).
 * @throws UsageError when the message exceeds 255 octets.
 */
export function encodePapReply(
  kind: 'ack' | 'nak',
  identifier: number,
  message: Uint8Array,
): Uint8Array {
  checkLength(message, 255, 'PAP Message');
  const code = kind === 'ack' ? PapCode.AuthenticateAck : PapCode.AuthenticateNak;
  return encodeAuthPacket(code, identifier, octet(message.length), message);
}

/** Options of {@link PapPeer}. */
export interface PapPeerOptions extends RetransmitOptions {
  /** Our name (Peer-ID), at most 255 octets; a string is sent as UTF-8. */
  readonly peerId: string | Uint8Array;
  /** Our password, at most 255 octets; a string is sent as UTF-8. */
  readonly password: string | Uint8Array;
  /** Identifier of the first Authenticate-Request; each retransmission adds one. Default 1. */
  readonly firstIdentifier?: number;
}

/**
 * The peer side of PAP: sends Authenticate-Request at `start` and again on every Restart timer
 * expiry, each time with a new Identifier as RFC 1334 §2.2.1 requires, until an Ack or Nak to any
 * of them arrives or `maxTransmissions` went unanswered.
 */
export class PapPeer extends AuthMachine<never> {
  readonly protocol = PPP_PAP;
  readonly method = 'pap' as const;
  readonly role = 'peer' as const;

  readonly #peerId: Uint8Array;
  readonly #password: Uint8Array;
  readonly #restartTimer: number;
  readonly #maxTransmissions: number;
  #identifier: number;
  #transmissions = 0;
  /** Identifiers we sent: a late reply to an earlier one answers the same credentials. */
  readonly #sent = new Set<number>();

  constructor(options: PapPeerOptions) {
    super();
    this.#peerId = checkLength(toBytes(options.peerId), 255, 'PAP Peer-ID');
    this.#password = checkLength(toBytes(options.password), 255, 'PAP Password');
    const first = options.firstIdentifier ?? 1;
    if ((first & 0xff) !== first) {
      throw new UsageError(`firstIdentifier must be an octet, got ${first}`);
    }
    this.#identifier = first;
    ({ restartTimer: this.#restartTimer, maxTransmissions: this.#maxTransmissions } =
      retransmitSettings(options));
  }

  /** Sends the first Authenticate-Request. */
  protected onStart(now: number): AuthOutput[] {
    return [this.#transmit(now)];
  }

  /** An Ack or Nak to any Identifier we sent: success, or failure with `PPP_AUTH_REJECTED`. */
  protected onPacket(packet: Uint8Array, _now: number): AuthOutput[] {
    const p = tryDecode(() => decodePap(packet));
    if (p instanceof DecodeError) return this.discard();
    if (p.kind === 'unknown') return this.discard();
    // A request is for the authenticator in the other direction; replies after the outcome are
    // duplicates; a reply to an Identifier we never sent answers someone else.
    if (p.kind === 'request' || this.currentState !== 'running' || !this.#sent.has(p.identifier)) {
      return [];
    }
    const peerName = toText(this.#peerId);
    const message = toText(p.message);
    if (p.kind === 'ack') {
      const event = this.succeed(peerName, message);
      return event === undefined ? [] : [event];
    }
    return [this.fail('PPP_AUTH_REJECTED', message || 'Authenticate-Nak', peerName)];
  }

  /** Resends the request with a new Identifier, or fails with `PPP_AUTH_TIMEOUT` after the last. */
  protected onTimeout(now: number): AuthOutput[] {
    if (this.currentState !== 'running') return [];
    if (this.#transmissions < this.#maxTransmissions) return [this.#transmit(now)];
    return [
      this.fail(
        'PPP_AUTH_TIMEOUT',
        `no reply to ${this.#transmissions} Authenticate-Requests`,
        toText(this.#peerId),
      ),
    ];
  }

  #transmit(now: number): AuthOutput {
    const identifier = this.#identifier;
    this.#identifier = (identifier + 1) & 0xff;
    this.#sent.add(identifier);
    this.#transmissions++;
    this.deadline = now + this.#restartTimer;
    return {
      type: 'transmit',
      protocol: PPP_PAP,
      packet: encodePapRequest(identifier, this.#peerId, this.#password),
    };
  }
}

/** Options of {@link PapAuthenticator}. */
export interface PapAuthenticatorOptions extends WaitOptions {
  /** Authenticate-Ack text when the host gives none. Default "Login ok". */
  readonly successMessage?: string;
  /** Authenticate-Nak text when the host gives none. Default "Login incorrect". */
  readonly failureMessage?: string;
}

/**
 * The authenticator side of PAP. Waits for an Authenticate-Request, asks the host (a `verify`
 * output; answer with `resolveVerify`), then sends Authenticate-Ack or Authenticate-Nak.
 *
 * Requests repeated while the host thinks are not asked again; the reply goes to the latest
 * Identifier. Requests after the decision get the same Code and message without asking the host
 * (RFC 1334 §2.2.1: "the authenticator MUST allow repeated Authenticate-Request packets after
 * completing the Authentication phase … MUST return the same reply Code").
 */
export class PapAuthenticator extends AuthMachine<PapVerifyResult> {
  readonly protocol = PPP_PAP;
  readonly method = 'pap' as const;
  readonly role = 'authenticator' as const;

  readonly #waitTimeout: number;
  readonly #successMessage: string;
  readonly #failureMessage: string;
  #token = 0;
  #replyTo = 0;
  #peerName = '';
  #reply: { kind: 'ack' | 'nak'; message: Uint8Array } | undefined;

  constructor(options: PapAuthenticatorOptions = {}) {
    super();
    this.#waitTimeout = waitSetting(options);
    this.#successMessage = options.successMessage ?? 'Login ok';
    this.#failureMessage = options.failureMessage ?? 'Login incorrect';
  }

  /** Sends nothing and waits up to `waitTimeout` for an Authenticate-Request. */
  protected onStart(now: number): AuthOutput[] {
    if (Number.isFinite(this.#waitTimeout)) this.deadline = now + this.#waitTimeout;
    return [];
  }

  /**
   * An Authenticate-Request: the host is asked the first time; a repeat while it decides moves the
   * reply to the repeat's Identifier; a repeat after the decision gets the same reply.
   */
  protected onPacket(packet: Uint8Array, _now: number): AuthOutput[] {
    const p = tryDecode(() => decodePap(packet));
    if (p instanceof DecodeError) return this.discard();
    if (p.kind === 'unknown') return this.discard();
    if (p.kind !== 'request') return []; // an Ack or Nak is for the peer in the other direction
    switch (this.currentState) {
      case 'running': {
        this.currentState = 'verifying';
        this.deadline = undefined;
        this.#replyTo = p.identifier;
        this.#peerName = toText(p.peerId);
        const request: PapVerifyRequest = {
          type: 'verify',
          method: 'pap',
          token: ++this.#token,
          peerName: this.#peerName,
          peerNameBytes: p.peerId.slice(),
          password: toText(p.password),
          passwordBytes: p.password.slice(),
        };
        return [request];
      }
      case 'verifying':
        this.#replyTo = p.identifier;
        return [];
      default: {
        const reply = this.#reply;
        if (reply === undefined) return [];
        return [this.#transmit(reply.kind, p.identifier, reply.message)];
      }
    }
  }

  /** No Authenticate-Request within `waitTimeout`: failure with `PPP_AUTH_TIMEOUT`. */
  protected onTimeout(_now: number): AuthOutput[] {
    if (this.currentState !== 'running') return [];
    return [
      this.fail('PPP_AUTH_TIMEOUT', `no Authenticate-Request within ${this.#waitTimeout} ms`),
    ];
  }

  /** The host's answer for the current token: Authenticate-Ack or -Nak, and the event. */
  protected override onVerify(token: number, result: PapVerifyResult, _now: number): AuthOutput[] {
    if (this.currentState !== 'verifying' || token !== this.#token) return [];
    if (typeof result?.ok !== 'boolean') {
      throw new UsageError('a PAP verify result needs ok: true or ok: false');
    }
    const text = result.message ?? (result.ok ? this.#successMessage : this.#failureMessage);
    const reply = {
      kind: result.ok ? ('ack' as const) : ('nak' as const),
      message: messageBytes(text),
    };
    this.#reply = reply;
    const transmit = this.#transmit(reply.kind, this.#replyTo, reply.message);
    const sent = toText(reply.message);
    if (result.ok) {
      const event = this.succeed(this.#peerName, sent);
      return event === undefined ? [transmit] : [transmit, event];
    }
    return [transmit, this.fail('PPP_AUTH_REJECTED', sent, this.#peerName)];
  }

  #transmit(kind: 'ack' | 'nak', identifier: number, message: Uint8Array): AuthOutput {
    return {
      type: 'transmit',
      protocol: PPP_PAP,
      packet: encodePapReply(kind, identifier, message),
    };
  }
}
