/**
 * PppAuthPhase: the Authenticate phase of a PPP link (RFC 1661 §3.5) built from the machines of
 * pap.ts, chap.ts and mschapv2.ts, in the shape of the AuthPhase interface that src/ppp/link.ts
 * plugs in (declared structurally here, so this module does not depend on the link).
 *
 * At `start` LCP says which protocol each direction agreed on: `authenticatePeer` (the peer
 * proves itself to us: an authenticator machine) and `authenticateSelf` (we prove ourselves: a
 * peer machine, from `credentials`). Both run at once; packets of PAP and CHAP go to both (each
 * machine ignores the other role's packets). The phase reports:
 * - `transmit` as the machines send;
 * - `notify` with every host question ({@link VerifyRequest}: answer with `resolveVerify` and
 *   hand its outputs to the link) and every per-direction outcome event;
 * - `success` once every required direction has succeeded (`peerName`: whom we authenticated);
 * - `failure` as soon as one direction fails (also after `success`, when a rechallenge fails).
 *   `by` says who ended it: `local` (we refused the peer), `peer` (the peer refused us), or
 *   `timeout`.
 */
import { UsageError } from '../../errors.js';
import { ChapMd5Authenticator, ChapMd5Peer } from './chap.js';
import type { PppAuthCrypto } from './crypto.js';
import type { RetransmitOptions, WaitOptions } from './machine.js';
import { MsChapV2Authenticator, MsChapV2Peer } from './mschapv2.js';
import { PapAuthenticator, PapPeer } from './pap.js';
import {
  type AuthFailureEvent,
  type AuthMethod,
  type AuthOutput,
  type AuthSuccessEvent,
  type ChapMd5VerifyResult,
  type MsChapV2VerifyResult,
  type PapVerifyResult,
  PPP_CHAP,
  PPP_PAP,
  type PppAuthProtocol,
} from './types.js';

/** What the phase is told when LCP opens (the link's AuthStart, structurally). */
export interface AuthPhaseStart {
  /** The peer must prove itself to us with this protocol; undefined: we don't ask. */
  readonly authenticatePeer: AuthMethod | undefined;
  /** We must prove ourselves with this protocol; undefined: the peer did not ask. */
  readonly authenticateSelf: AuthMethod | undefined;
}

/** What the phase asks the link to do (the link's AuthPhaseOutput, structurally). */
export type AuthPhaseOutput =
  | { readonly type: 'transmit'; readonly protocol: number; readonly packet: Uint8Array }
  | { readonly type: 'success'; readonly peerName?: string | undefined }
  | {
      readonly type: 'failure';
      readonly message: string;
      readonly by?: 'local' | 'peer' | 'timeout' | undefined;
    }
  | {
      readonly type: 'notify';
      /** A VerifyRequest for the host, or an AuthSuccessEvent / AuthFailureEvent. */
      readonly detail: Exclude<AuthOutput, { type: 'transmit' }>;
    };

/** Any host answer; the authenticator machine checks it fits its method. */
export type AnyVerifyResult = PapVerifyResult | ChapMd5VerifyResult | MsChapV2VerifyResult;

/** Options of {@link PppAuthPhase}. */
export interface PppAuthPhaseOptions extends RetransmitOptions, WaitOptions {
  readonly crypto: PppAuthCrypto;
  /** Random octets for Challenges, Identifiers and Peer-Challenges. Never Math.random. */
  readonly randomBytes: (n: number) => Uint8Array;
  /** Our name in CHAP and MS-CHAP-V2 Challenges. Default "l2tp-core". */
  readonly authenticatorName?: string | Uint8Array;
  /**
   * Who we are when the peer asks us to authenticate: the PAP Peer-ID and Password, the CHAP
   * Name and secret (UTF-8), the MS-CHAP-V2 user name and password.
   */
  readonly credentials?: { readonly name: string | Uint8Array; readonly password: string };
  /** Text of our Ack/Success when the host gives none. */
  readonly successMessage?: string;
  /** Text of our Nak/Failure when the host gives none. */
  readonly failureMessage?: string;
}

/** The authenticator machine of a round, whatever its method: it takes {@link AnyVerifyResult}. */
export type Authenticator = PppAuthProtocol<AnyVerifyResult>;

/** The Authenticate phase: see the module documentation. */
export class PppAuthPhase {
  /** The PPP protocols this phase takes. */
  readonly protocols: readonly number[] = [PPP_PAP, PPP_CHAP];

  readonly #options: PppAuthPhaseOptions;
  #authenticator: Authenticator | undefined;
  #peer: PppAuthProtocol<never> | undefined;
  #peerDone: AuthSuccessEvent | undefined;
  #authDone: AuthSuccessEvent | undefined;
  #reported: 'success' | 'failure' | undefined;

  constructor(options: PppAuthPhaseOptions) {
    if (typeof options.randomBytes !== 'function') {
      throw new UsageError('PppAuthPhase needs randomBytes(n)');
    }
    this.#options = options;
  }

  /** The authenticator machine of this round (we check the peer), if any. */
  get authenticator(): Authenticator | undefined {
    return this.#authenticator;
  }

  /** The peer machine of this round (we prove ourselves), if any. */
  get peer(): PppAuthProtocol<never> | undefined {
    return this.#peer;
  }

  /**
   * LCP opened with authentication agreed: builds and starts a machine per direction.
   * @throws UsageError when we must authenticate ourselves but have no `credentials`.
   */
  start(now: number, params: AuthPhaseStart): AuthPhaseOutput[] {
    this.stop(now);
    this.#peerDone = undefined;
    this.#authDone = undefined;
    this.#reported = undefined;
    this.#authenticator =
      params.authenticatePeer === undefined
        ? undefined
        : this.#makeAuthenticator(params.authenticatePeer);
    this.#peer =
      params.authenticateSelf === undefined ? undefined : this.#makePeer(params.authenticateSelf);
    const out: AuthPhaseOutput[] = [];
    if (this.#authenticator !== undefined) this.#take(this.#authenticator.start(now), out);
    if (this.#peer !== undefined) this.#take(this.#peer.start(now), out);
    this.#conclude(out);
    return out;
  }

  /** A PAP or CHAP packet (its Information field). */
  handle(protocol: number, packet: Uint8Array, now: number): AuthPhaseOutput[] {
    const out: AuthPhaseOutput[] = [];
    for (const m of this.#machines()) {
      if (m.protocol === protocol) this.#take(m.handle(packet, now), out);
    }
    this.#conclude(out);
    return out;
  }

  /** The host's answer to the VerifyRequest notified with `token`. */
  resolveVerify(token: number, result: AnyVerifyResult, now: number): AuthPhaseOutput[] {
    const out: AuthPhaseOutput[] = [];
    if (this.#authenticator !== undefined) {
      this.#take(this.#authenticator.resolveVerify(token, result, now), out);
    }
    this.#conclude(out);
    return out;
  }

  /**
   * Challenges the authenticated peer again (CHAP and MS-CHAP-V2 only; RFC 1994 §2).
   * @throws UsageError without a CHAP authenticator that has succeeded.
   */
  rechallenge(now: number): AuthPhaseOutput[] {
    const a = this.#authenticator;
    if (!(a instanceof ChapMd5Authenticator || a instanceof MsChapV2Authenticator)) {
      throw new UsageError('rechallenge() needs a CHAP or MS-CHAP-V2 authenticator');
    }
    const out: AuthPhaseOutput[] = [];
    this.#take(a.rechallenge(now), out);
    return out;
  }

  /** Fires the machines' due timers (retransmissions, give-ups); harmless when early. */
  handleTimeout(now: number): AuthPhaseOutput[] {
    const out: AuthPhaseOutput[] = [];
    for (const m of this.#machines()) this.#take(m.handleTimeout(now), out);
    this.#conclude(out);
    return out;
  }

  /** The machines' earliest deadline: when `handleTimeout` is next due; undefined when idle. */
  nextDeadline(): number | undefined {
    let d: number | undefined;
    for (const m of this.#machines()) {
      const t = m.nextDeadline();
      if (t !== undefined && (d === undefined || t < d)) d = t;
    }
    return d;
  }

  /** LCP left Opened: both machines stop; late host answers are ignored. */
  stop(_now: number): void {
    for (const m of this.#machines()) m.stop();
  }

  *#machines(): Generator<PppAuthProtocol<AnyVerifyResult> | PppAuthProtocol<never>> {
    if (this.#authenticator !== undefined) yield this.#authenticator;
    if (this.#peer !== undefined) yield this.#peer;
  }

  #take(outputs: AuthOutput[], out: AuthPhaseOutput[]): void {
    for (const o of outputs) {
      if (o.type === 'transmit') {
        out.push(o);
        continue;
      }
      out.push({ type: 'notify', detail: o });
      if (o.type === 'auth-success') {
        if (o.role === 'authenticator') this.#authDone = o;
        else this.#peerDone = o;
      } else if (o.type === 'auth-failure' && this.#reported !== 'failure') {
        this.#reported = 'failure';
        out.push({ type: 'failure', message: describe(o), by: blame(o) });
      }
    }
  }

  #conclude(out: AuthPhaseOutput[]): void {
    if (this.#reported !== undefined) return;
    if (this.#authenticator !== undefined && this.#authDone === undefined) return;
    if (this.#peer !== undefined && this.#peerDone === undefined) return;
    this.#reported = 'success';
    const peerName = this.#authDone?.peerName;
    out.push(peerName === undefined ? { type: 'success' } : { type: 'success', peerName });
  }

  #makeAuthenticator(method: AuthMethod): Authenticator {
    const o = this.#options;
    const messages = {
      ...(o.successMessage === undefined ? {} : { successMessage: o.successMessage }),
      ...(o.failureMessage === undefined ? {} : { failureMessage: o.failureMessage }),
    };
    const chap = {
      ...messages,
      ...retransmit(o),
      name: o.authenticatorName ?? 'l2tp-core',
      randomBytes: o.randomBytes,
      crypto: o.crypto,
    };
    switch (method) {
      case 'pap':
        return new PapAuthenticator({
          ...messages,
          ...(o.waitTimeout === undefined ? {} : { waitTimeout: o.waitTimeout }),
        }) as Authenticator;
      case 'chap-md5':
        return new ChapMd5Authenticator(chap) as Authenticator;
      case 'mschapv2':
        return new MsChapV2Authenticator(chap) as Authenticator;
      default:
        throw new UsageError(`unknown authentication protocol ${String(method)}`);
    }
  }

  #makePeer(method: AuthMethod): PppAuthProtocol<never> {
    const o = this.#options;
    const c = o.credentials;
    if (c === undefined) {
      throw new UsageError(`the peer asks us to authenticate with ${method}: credentials needed`);
    }
    const timing = {
      ...retransmit(o),
      ...(o.waitTimeout === undefined ? {} : { waitTimeout: o.waitTimeout }),
    };
    switch (method) {
      case 'pap':
        return new PapPeer({ ...retransmit(o), peerId: c.name, password: c.password });
      case 'chap-md5':
        return new ChapMd5Peer({ ...timing, name: c.name, secret: c.password, crypto: o.crypto });
      case 'mschapv2':
        return new MsChapV2Peer({
          ...timing,
          name: c.name,
          password: c.password,
          randomBytes: o.randomBytes,
          crypto: o.crypto,
        });
      default:
        throw new UsageError(`unknown authentication protocol ${String(method)}`);
    }
  }
}

function retransmit(o: RetransmitOptions): RetransmitOptions {
  return {
    ...(o.restartTimer === undefined ? {} : { restartTimer: o.restartTimer }),
    ...(o.maxTransmissions === undefined ? {} : { maxTransmissions: o.maxTransmissions }),
  };
}

const METHOD_NAMES: Readonly<Record<AuthMethod, string>> = {
  pap: 'PAP',
  'chap-md5': 'CHAP-MD5',
  mschapv2: 'MS-CHAPv2',
};

/** The failure as one line for people: who refused whom, and what was said. */
function describe(e: AuthFailureEvent): string {
  const m = METHOD_NAMES[e.method] ?? e.method;
  let what: string;
  if (e.code === 'PPP_AUTH_TIMEOUT') {
    what =
      e.role === 'authenticator' ? `no ${m} login from the peer` : `no answer to our ${m} login`;
  } else if (e.role === 'authenticator') {
    what = `we refused the peer’s ${m} login`;
  } else if (e.code === 'PPP_AUTH_BAD_AUTHENTICATOR') {
    what = `we refused the peer’s ${m} proof that it knows our password`;
  } else {
    what = `the peer refused our ${m} login`;
  }
  return `${what} (${e.code}): ${e.message}`;
}

function blame(e: AuthFailureEvent): 'local' | 'peer' | 'timeout' {
  if (e.code === 'PPP_AUTH_TIMEOUT') return 'timeout';
  // We refused the peer, or we refused the authenticator's proof (MS-CHAP-V2 S=): our decision.
  if (e.role === 'authenticator' || e.code === 'PPP_AUTH_BAD_AUTHENTICATOR') return 'local';
  return 'peer';
}
