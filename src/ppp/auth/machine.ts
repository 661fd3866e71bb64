/**
 * What the six machines share: option checks, text handling, and a base class holding the state,
 * outcome, discard counter, deadline and the success/failure bookkeeping. Protocol rules live in
 * pap.ts and chap.ts, not here.
 */
import { DecodeError, UsageError } from '../../errors.js';
import type {
  AuthFailureCode,
  AuthFailureEvent,
  AuthMethod,
  AuthOutput,
  AuthRole,
  AuthState,
  AuthSuccessEvent,
  MsChapV2FailureInfo,
  PppAuthProtocol,
} from './types.js';

/** Restart timer default: 3 s, as RFC 1661 §4.6 suggests for the LCP Restart timer. */
export const DEFAULT_RESTART_TIMER = 3000;
/** Transmissions of one request or challenge, the first included: RFC 1661's Max-Configure. */
export const DEFAULT_MAX_TRANSMISSIONS = 10;
/** How long a waiting side (PAP authenticator, CHAP peer) waits for the first packet. */
export const DEFAULT_WAIT_TIMEOUT = 30_000;
/**
 * Messages we send are cut to this many octets: PAP's Msg-Length is one octet, and CHAP's
 * Success/Failure text gains nothing from more (and must fit the peer's MRU).
 */
export const MAX_MESSAGE_OCTETS = 255;

/** Retransmission of the side that sends first (PAP peer, CHAP authenticator, CHAP peer). */
export interface RetransmitOptions {
  /** Milliseconds between transmissions (RFC 1661 §4.6 Restart timer). Default 3000. */
  readonly restartTimer?: number;
  /** Transmissions in all before giving up, the first included. Default 10. */
  readonly maxTransmissions?: number;
}

/** How long the waiting side waits for the other to begin. */
export interface WaitOptions {
  /**
   * Milliseconds from `start` to give up with `PPP_AUTH_TIMEOUT` if the other side has not begun.
   * Default 30000; `Infinity` waits for ever (leaving it to LCP).
   */
  readonly waitTimeout?: number;
}

/** The retransmission settings, checked. */
export function retransmitSettings(o: RetransmitOptions): {
  restartTimer: number;
  maxTransmissions: number;
} {
  const restartTimer = o.restartTimer ?? DEFAULT_RESTART_TIMER;
  const maxTransmissions = o.maxTransmissions ?? DEFAULT_MAX_TRANSMISSIONS;
  if (!Number.isFinite(restartTimer) || restartTimer <= 0) {
    throw new UsageError(`restartTimer must be a positive number of ms, got ${restartTimer}`);
  }
  if (!Number.isInteger(maxTransmissions) || maxTransmissions < 1) {
    throw new UsageError(`maxTransmissions must be an integer ≥ 1, got ${maxTransmissions}`);
  }
  return { restartTimer, maxTransmissions };
}

/** The wait timeout, checked. */
export function waitSetting(o: WaitOptions): number {
  const t = o.waitTimeout ?? DEFAULT_WAIT_TIMEOUT;
  if (Number.isNaN(t) || t <= 0) {
    throw new UsageError(`waitTimeout must be a positive number of ms or Infinity, got ${t}`);
  }
  return t;
}

const encoder = new TextEncoder();
const decoder = new TextDecoder('utf-8', { fatal: false });

/** `value` as octets: strings as UTF-8, arrays copied. */
export function toBytes(value: string | Uint8Array): Uint8Array {
  return typeof value === 'string' ? encoder.encode(value) : value.slice();
}

/** Octets from the wire as text: UTF-8, malformed sequences replaced (never throws). */
export function toText(bytes: Uint8Array): string {
  return decoder.decode(bytes);
}

/**
 * `text` as UTF-8, cut to at most `max` octets on a character boundary (a cut never splits a
 * multi-octet sequence).
 */
export function messageBytes(text: string, max = MAX_MESSAGE_OCTETS): Uint8Array {
  const bytes = encoder.encode(text);
  if (bytes.length <= max) return bytes;
  let end = max;
  // Back off continuation octets (10xxxxxx) so the cut falls before a lead octet.
  while (end > 0 && ((bytes[end] as number) & 0xc0) === 0x80) end--;
  return bytes.slice(0, end);
}

/**
 * Checks a configured octet string against a one-octet length field.
 * @throws UsageError when longer than `max`.
 */
export function checkLength(bytes: Uint8Array, max: number, what: string): Uint8Array {
  if (bytes.length > max) {
    throw new UsageError(`${what} is ${bytes.length} octets; at most ${max} fit`);
  }
  return bytes;
}

/** Runs `decode`, returning a DecodeError instead of throwing it (the packet is discarded). */
export function tryDecode<T>(decode: () => T): T | DecodeError {
  try {
    return decode();
  } catch (err) {
    if (err instanceof DecodeError) return err;
    throw err;
  }
}

/**
 * State, outcome, deadline, discard counter and events for one machine. Subclasses implement
 * `onStart`, `onPacket`, `onTimeout` and, for authenticators, `onVerify`.
 */
export abstract class AuthMachine<R> implements PppAuthProtocol<R> {
  abstract readonly protocol: number;
  abstract readonly method: AuthMethod;
  abstract readonly role: AuthRole;

  protected currentState: AuthState = 'initial';
  protected currentOutcome: 'success' | 'failure' | undefined;
  protected deadline: number | undefined;
  #discarded = 0;

  get state(): AuthState {
    return this.currentState;
  }

  get outcome(): 'success' | 'failure' | undefined {
    return this.currentOutcome;
  }

  get discarded(): number {
    return this.#discarded;
  }

  start(now: number): AuthOutput[] {
    if (this.currentState !== 'initial') {
      throw new UsageError(`start() needs a new machine; this one is ${this.currentState}`);
    }
    this.currentState = 'running';
    return this.onStart(now);
  }

  handle(packet: Uint8Array, now: number): AuthOutput[] {
    // RFC 1334 §2.2.1, RFC 1994 §4.1: packets outside the phase are silently discarded.
    if (this.currentState === 'initial' || this.currentState === 'stopped') return [];
    return this.onPacket(packet, now);
  }

  nextDeadline(): number | undefined {
    return this.deadline;
  }

  handleTimeout(now: number): AuthOutput[] {
    if (this.deadline === undefined || now < this.deadline) return [];
    this.deadline = undefined;
    return this.onTimeout(now);
  }

  resolveVerify(token: number, result: R, now: number): AuthOutput[] {
    if (this.currentState === 'stopped') return [];
    return this.onVerify(token, result, now);
  }

  stop(): void {
    this.currentState = 'stopped';
    this.deadline = undefined;
  }

  /** The work of `start`, the state already `running`: the first outputs. */
  protected abstract onStart(now: number): AuthOutput[];
  /** The work of `handle`, for a packet that arrives after `start` and before `stop`. */
  protected abstract onPacket(packet: Uint8Array, now: number): AuthOutput[];
  /** The work of `handleTimeout` once the deadline is reached (it is cleared first). */
  protected abstract onTimeout(now: number): AuthOutput[];
  /** The work of `resolveVerify` until `stop`; peers keep this one, which does nothing. */
  protected onVerify(_token: number, _result: R, _now: number): AuthOutput[] {
    return [];
  }

  /** Counts a malformed packet; returns no outputs. */
  protected discard(): AuthOutput[] {
    this.#discarded++;
    return [];
  }

  /** Records success and returns its event (once per machine; undefined after). */
  protected succeed(peerName: string, message: string): AuthSuccessEvent | undefined {
    this.currentState = 'done';
    this.deadline = undefined;
    if (this.currentOutcome === 'success') return undefined;
    this.currentOutcome = 'success';
    return { type: 'auth-success', method: this.method, role: this.role, peerName, message };
  }

  /** Records failure and returns its event. */
  protected fail(
    code: AuthFailureCode,
    message: string,
    peerName?: string,
    msChapV2?: MsChapV2FailureInfo,
  ): AuthFailureEvent {
    this.currentState = 'done';
    this.deadline = undefined;
    this.currentOutcome = 'failure';
    return {
      type: 'auth-failure',
      method: this.method,
      role: this.role,
      code,
      message,
      ...(peerName === undefined ? {} : { peerName }),
      ...(msChapV2 === undefined ? {} : { msChapV2 }),
    };
  }
}
