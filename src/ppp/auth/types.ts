/**
 * What the PPP authentication protocols share: protocol numbers, the outputs every machine
 * returns, the host verification requests, and the contract of a machine (PppAuthProtocol).
 *
 * ## Driving a machine (sans-I/O)
 *
 * Each machine (PapPeer, PapAuthenticator, ChapMd5Peer, ChapMd5Authenticator, MsChapV2Peer,
 * MsChapV2Authenticator) is one side of one protocol in one direction. It never reads a clock,
 * draws randomness of its own, or touches a socket: `now` (monotonic ms) comes with every call,
 * random octets come from an injected `randomBytes(n)`, and what it wants done comes back as an
 * array of {@link AuthOutput}s, in order:
 *
 * - `transmit`: send `packet` as the Information field of a PPP frame of `protocol` (0xC023 or
 *   0xC223).
 * - `verify` (authenticators only): ask the host about the peer's credentials. The host answers
 *   with `resolveVerify(token, result, now)`, whenever it likes (an async password database, a
 *   RADIUS round trip); the machine meanwhile keeps answering duplicates correctly. A token that
 *   is stale (the machine moved on or was stopped) is ignored. The shell must answer every
 *   request, if only with `{ ok: false }` when the host's lookup threw.
 * - `auth-success` / `auth-failure`: the outcome, once. A failure always carries a stable `code`
 *   ({@link AuthFailureCode}) and a human-readable `message`.
 *
 * After every call, re-arm one timer for `nextDeadline()` and call `handleTimeout(now)` when it
 * fires; an early or repeated `handleTimeout` does nothing. `handle(packet, now)` takes the
 * Information field of a frame of the machine's `protocol` and never throws for what the peer
 * sent: malformed packets are silently discarded (RFC 1661 §5) and counted in `discarded`;
 * packets meant for the other role (a CHAP Response at a CHAP peer, say) are ignored without
 * counting, so one shell may hand every frame of the protocol to both directions' machines.
 */

/** PPP protocol number of the Password Authentication Protocol (RFC 1334 §2.2). */
export const PPP_PAP = 0xc023;
/** PPP protocol number of the Challenge-Handshake Authentication Protocol (RFC 1994 §4). */
export const PPP_CHAP = 0xc223;

/** The CHAP Algorithm octet of the LCP Authentication-Protocol option (RFC 1994 §3). */
export const ChapAlgorithm = {
  /** CHAP with MD5 (RFC 1994 §3). */
  MD5: 5,
  /** MS-CHAP-V2 (RFC 2759 §2). */
  MSCHAPV2: 0x81,
} as const;

/** Which authentication protocol a machine speaks. */
export type AuthMethod = 'pap' | 'chap-md5' | 'mschapv2';

/**
 * The side of the exchange: the `peer` proves its identity, the `authenticator` checks it
 * (RFC 1661 §1.3 terms).
 */
export type AuthRole = 'peer' | 'authenticator';

/**
 * Stable, machine-readable reasons for an `auth-failure`. New codes may be added; existing ones
 * never change.
 *
 * - `PPP_AUTH_REJECTED`: the credentials were refused: at a peer, the authenticator sent
 *   Authenticate-Nak or Failure; at an authenticator, the host refused or the response did not
 *   match.
 * - `PPP_AUTH_TIMEOUT`: the request or challenge went unanswered for every transmission, or
 *   nothing arrived within the wait timeout.
 * - `PPP_AUTH_BAD_AUTHENTICATOR`: MS-CHAPv2 only: the Success packet's authenticator response was
 *   missing or wrong, so the authenticator did not prove it knows the password (RFC 2759 §5: "the
 *   peer MUST end the session").
 */
export type AuthFailureCode =
  | 'PPP_AUTH_REJECTED'
  | 'PPP_AUTH_TIMEOUT'
  | 'PPP_AUTH_BAD_AUTHENTICATOR';

/** Send `packet` as the Information field of a PPP frame of protocol `protocol`. */
export interface TransmitOutput {
  readonly type: 'transmit';
  /** {@link PPP_PAP} or {@link PPP_CHAP}. */
  readonly protocol: number;
  /** The whole PAP or CHAP packet (Code, Identifier, Length, Data). */
  readonly packet: Uint8Array;
}

/** Fields every verify request carries. */
interface VerifyRequestBase {
  readonly type: 'verify';
  /** Pass back to `resolveVerify`. Unique per machine. */
  readonly token: number;
  /** The name the peer gave (Peer-ID or CHAP Name), decoded as UTF-8 (lenient). */
  readonly peerName: string;
  /** The same name as the octets on the wire. */
  readonly peerNameBytes: Uint8Array;
}

/** PAP: is this Peer-ID/Password pair acceptable (RFC 1334 §2.2.2)? Answer with {@link PapVerifyResult}. */
export interface PapVerifyRequest extends VerifyRequestBase {
  readonly method: 'pap';
  /** The password, decoded as UTF-8 (lenient). */
  readonly password: string;
  /** The password octets as sent. */
  readonly passwordBytes: Uint8Array;
}

/**
 * CHAP-MD5: the host either returns the peer's secret (the machine computes and compares
 * MD5(Identifier ‖ secret ‖ Challenge)) or checks the response itself from the fields here (a
 * RADIUS CHAP-Password, say). Answer with {@link ChapMd5VerifyResult}.
 */
export interface ChapMd5VerifyRequest extends VerifyRequestBase {
  readonly method: 'chap-md5';
  /** Identifier of the Challenge and Response. */
  readonly identifier: number;
  /** The Challenge Value we sent. */
  readonly challenge: Uint8Array;
  /** The Response Value the peer sent. */
  readonly response: Uint8Array;
}

/**
 * MS-CHAPv2: the host returns the user's password or its NT hash (the machine computes the
 * NT-Response and the authenticator response), or checks it itself from the fields here.
 * Answer with {@link MsChapV2VerifyResult}.
 */
export interface MsChapV2VerifyRequest extends VerifyRequestBase {
  readonly method: 'mschapv2';
  /**
   * The user name that enters the hash (RFC 2759 §8.2): the Name without a leading
   * "DOMAIN\" part, decoded as UTF-8 (lenient).
   */
  readonly userName: string;
  /** The 16-octet Authenticator Challenge we sent. */
  readonly authenticatorChallenge: Uint8Array;
  /** The 16-octet Peer-Challenge from the Response. */
  readonly peerChallenge: Uint8Array;
  /** The 24-octet NT-Response from the Response. */
  readonly ntResponse: Uint8Array;
}

/** A question to the host; see the module documentation. */
export type VerifyRequest = PapVerifyRequest | ChapMd5VerifyRequest | MsChapV2VerifyRequest;

/** The host's decision, with the text for Authenticate-Ack/Nak or Success/Failure. */
export interface VerifyDecision {
  readonly ok: boolean;
  /** Message to send; the machine's configured success or failure message when absent. */
  readonly message?: string;
}

/** Answer to a {@link PapVerifyRequest}. */
export type PapVerifyResult = VerifyDecision;

/** Answer to a {@link ChapMd5VerifyRequest}: the secret to check against, or a decision. */
export type ChapMd5VerifyResult =
  | VerifyDecision
  | {
      /** The secret shared with this peer (a string is taken as UTF-8). */
      readonly secret: string | Uint8Array;
    };

/**
 * Answer to a {@link MsChapV2VerifyRequest}: the password or its NT hash to check against, a
 * refusal (with the Windows error code for the Failure packet's E=, 691 by default), or a
 * success the host checked itself, with the "S=…" authenticator response it computed.
 */
export type MsChapV2VerifyResult =
  | { readonly password: string }
  | {
      /** NtPasswordHash: MD4 of the UTF-16LE password, 16 octets (RFC 2759 §8.3). */
      readonly ntHash: Uint8Array;
    }
  | { readonly ok: false; readonly message?: string; readonly error?: number }
  | {
      readonly ok: true;
      /** "S=" and 40 hexadecimal digits (RFC 2759 §5). */
      readonly authenticatorResponse: string;
      readonly message?: string;
    };

/** The peer has been authenticated. */
export interface AuthSuccessEvent {
  readonly type: 'auth-success';
  readonly method: AuthMethod;
  readonly role: AuthRole;
  /** The name the peer authenticated as (at a peer: our own name). */
  readonly peerName: string;
  /** The authenticator's message (Ack/Success text; for MS-CHAPv2 the M= text). */
  readonly message: string;
}

/** The fields of an MS-CHAPv2 Failure message (RFC 2759 §6), as far as they were present. */
export interface MsChapV2FailureInfo {
  /** E=: the Windows error code (691 ERROR_AUTHENTICATION_FAILURE, …). */
  readonly error?: number;
  /** R=: whether the authenticator allows a retry. */
  readonly retry?: boolean;
  /** C=: the 16-octet challenge for a retry. */
  readonly challenge?: Uint8Array;
  /** V=: the password-change protocol version. */
  readonly version?: number;
}

/** Authentication failed; the link should be terminated (RFC 1334 §2.2.2, RFC 1994 §4.2). */
export interface AuthFailureEvent {
  readonly type: 'auth-failure';
  readonly method: AuthMethod;
  readonly role: AuthRole;
  readonly code: AuthFailureCode;
  /** For people: the Nak/Failure text, or what went wrong. */
  readonly message: string;
  /** The name the peer gave, when it gave one (at a peer: our own name). */
  readonly peerName?: string;
  /** MS-CHAPv2 Failure fields, at an MS-CHAPv2 peer that received a Failure. */
  readonly msChapV2?: MsChapV2FailureInfo;
}

/** What a call into a machine asks of its shell, in order. */
export type AuthOutput = TransmitOutput | VerifyRequest | AuthSuccessEvent | AuthFailureEvent;

/** Where a machine is. `done` covers success and failure; see `outcome`. */
export type AuthState =
  /** Constructed, `start` not called yet. */
  | 'initial'
  /** Exchanging packets (or waiting for the other side to begin). */
  | 'running'
  /** An authenticator waiting for the host's `resolveVerify`. */
  | 'verifying'
  /** Succeeded or failed; duplicates are still answered. */
  | 'done'
  /** `stop` was called: everything is ignored. */
  | 'stopped';

/** The contract every machine meets; `R` is the host's answer type (never, for peers). */
export interface PppAuthProtocol<R = never> {
  /** {@link PPP_PAP} or {@link PPP_CHAP}. */
  readonly protocol: number;
  readonly method: AuthMethod;
  readonly role: AuthRole;
  readonly state: AuthState;
  /** 'success' or 'failure' once decided (a later failed rechallenge turns it to 'failure'). */
  readonly outcome: 'success' | 'failure' | undefined;
  /** Malformed packets of this protocol discarded so far. */
  readonly discarded: number;
  /** Begins the phase (RFC 1661 §3.5): a peer sends its request, an authenticator its challenge. */
  start(now: number): AuthOutput[];
  /** One packet of this protocol from the other end (the PPP Information field). */
  handle(packet: Uint8Array, now: number): AuthOutput[];
  /** Earliest time `handleTimeout` has work to do, or undefined. */
  nextDeadline(): number | undefined;
  /** Fires due timers: retransmissions and give-ups. Harmless when early or repeated. */
  handleTimeout(now: number): AuthOutput[];
  /** The host's answer to the `verify` output carrying `token`. Stale tokens are ignored. */
  resolveVerify(token: number, result: R, now: number): AuthOutput[];
  /** Ends the machine: no more outputs, deadlines or events (the link went down). */
  stop(): void;
}
