/**
 * AuthLink: a peer machine and an authenticator machine joined by an in-memory link on a virtual
 * clock, with an async host answering the authenticator's verify requests. The loop delivers
 * packets after `latency`, asks the host `verifyDelay` ms after a request (awaiting its promise,
 * as a shell would), fires deadlines, and stops when nothing is left to do, or at `until`.
 */

import type {
  AuthFailureEvent,
  AuthOutput,
  AuthSuccessEvent,
  PppAuthProtocol,
  VerifyRequest,
} from '../../../src/ppp/auth/types.js';
import { VirtualClock } from '../../../src/testing/clock.js';

export type End = 'peer' | 'authenticator';

export interface Sent {
  readonly at: number;
  readonly from: End;
  readonly packet: Uint8Array;
  readonly dropped: boolean;
}

export interface AuthLinkOptions<R> {
  /** The host's answer to a verify request. */
  readonly host?: (request: VerifyRequest) => Promise<R>;
  /** One-way delay, ms. Default 10. */
  readonly latency?: number;
  /** Virtual ms between a verify request and the host's answer. Default 0. */
  readonly verifyDelay?: number;
  /** Drops a packet when true; `n` counts the packets `from` that end has sent, from 0. */
  readonly drop?: (from: End, packet: Uint8Array, n: number) => boolean;
}

export class AuthLink<R> {
  readonly clock = new VirtualClock();
  readonly sent: Sent[] = [];
  readonly outputs: Record<End, AuthOutput[]> = { peer: [], authenticator: [] };
  readonly hostCalls: VerifyRequest[] = [];
  readonly #peer: PppAuthProtocol<never>;
  readonly #auth: PppAuthProtocol<R>;
  readonly #opts: AuthLinkOptions<R>;
  readonly #inFlight: { at: number; to: End; packet: Uint8Array }[] = [];
  readonly #verifies: { at: number; request: VerifyRequest }[] = [];
  readonly #count: Record<End, number> = { peer: 0, authenticator: 0 };

  constructor(peer: PppAuthProtocol<never>, auth: PppAuthProtocol<R>, opts: AuthLinkOptions<R>) {
    this.#peer = peer;
    this.#auth = auth;
    this.#opts = opts;
  }

  /** Events of one end. */
  events(end: End): (AuthSuccessEvent | AuthFailureEvent)[] {
    return this.outputs[end].filter(
      (o): o is AuthSuccessEvent | AuthFailureEvent =>
        o.type === 'auth-success' || o.type === 'auth-failure',
    );
  }

  /** Packets `from` sent with Code `code` (dropped ones too). */
  sentWithCode(from: End, code: number): Sent[] {
    return this.sent.filter((s) => s.from === from && s.packet[0] === code);
  }

  /** Starts both ends at the current time. */
  start(): void {
    const now = this.clock.now();
    this.#take('authenticator', this.#auth.start(now));
    this.#take('peer', this.#peer.start(now));
  }

  /** Runs until quiet or `until` (virtual ms). */
  async run(until = 600_000): Promise<void> {
    for (let steps = 0; steps < 10_000; steps++) {
      const next = this.#next();
      if (next === undefined || next > until) return;
      const now = this.clock.advanceTo(Math.max(next, this.clock.now()));
      for (let i = 0; i < this.#inFlight.length; ) {
        const p = this.#inFlight[i] as { at: number; to: End; packet: Uint8Array };
        if (p.at > now) {
          i++;
          continue;
        }
        this.#inFlight.splice(i, 1);
        const machine = p.to === 'peer' ? this.#peer : this.#auth;
        this.#take(p.to, machine.handle(p.packet, now));
      }
      for (let i = 0; i < this.#verifies.length; ) {
        const v = this.#verifies[i] as { at: number; request: VerifyRequest };
        if (v.at > now) {
          i++;
          continue;
        }
        this.#verifies.splice(i, 1);
        const host = this.#opts.host;
        if (host === undefined) throw new Error('verify request without a host');
        const result = await host(v.request);
        this.#take('authenticator', this.#auth.resolveVerify(v.request.token, result, now));
      }
      this.#take('peer', this.#peer.handleTimeout(now));
      this.#take('authenticator', this.#auth.handleTimeout(now));
    }
    throw new Error('AuthLink did not settle in 10000 steps');
  }

  #next(): number | undefined {
    const times = [
      ...this.#inFlight.map((p) => p.at),
      ...this.#verifies.map((v) => v.at),
      this.#peer.nextDeadline(),
      this.#auth.nextDeadline(),
    ].filter((t): t is number => t !== undefined);
    return times.length === 0 ? undefined : Math.min(...times);
  }

  #take(from: End, outputs: AuthOutput[]): void {
    const now = this.clock.now();
    for (const o of outputs) {
      this.outputs[from].push(o);
      if (o.type === 'transmit') {
        const n = this.#count[from]++;
        const dropped = this.#opts.drop?.(from, o.packet, n) ?? false;
        this.sent.push({ at: now, from, packet: o.packet, dropped });
        if (!dropped) {
          this.#inFlight.push({
            at: now + (this.#opts.latency ?? 10),
            to: from === 'peer' ? 'authenticator' : 'peer',
            packet: o.packet,
          });
        }
      } else if (o.type === 'verify') {
        this.hostCalls.push(o);
        this.#verifies.push({ at: now + (this.#opts.verifyDelay ?? 0), request: o });
      }
    }
  }
}

/** Random octets from a counter: deterministic, distinct, never Math.random. */
export function counterBytes(seed = 1): (n: number) => Uint8Array {
  let x = seed;
  return (n: number) => {
    const out = new Uint8Array(n);
    for (let i = 0; i < n; i++) {
      x = (Math.imul(x, 1103515245) + 12345) >>> 0;
      out[i] = x >>> 24;
    }
    return out;
  };
}
