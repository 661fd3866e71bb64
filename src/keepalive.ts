/**
 * Keepalive for a static L2TPv3 tunnel: the "quiescent" mode of go-l2tp's ql2tpd. No control
 * connection is set up (no SCCRQ/SCCRP/SCCCN): both ends are configured by hand, and the only
 * control messages are HELLOs on the reliable channel (RFC 3931 §4.2, §6.5), Control Connection
 * ID = the peer's tunnel_id, each acknowledged by an explicit ACK. A HELLO goes out after
 * `helloIntervalMs` without any control message from the peer (RFC 2661 §6.5 / RFC 3931 §6.5);
 * when one is never acknowledged within the retransmission budget, or the peer sends StopCCN,
 * the tunnel is down. Only useful when the peer runs the same mode.
 *
 * Sans-I/O: `receive` / `handleTimeout` take `now` and call `send` with encoded datagrams.
 */

import type { ControlMessage } from './avp/messages.js';
import { buildControl, parseControl } from './codec/control.js';
import type { Encapsulation } from './codec/header.js';
import { ChannelError, L2tpError, UsageError } from './errors.js';
import {
  type ChannelOutput,
  ReliableChannel,
  type ReliableChannelOptions,
} from './seq/reliable.js';

/** Options of the keepalive of a static tunnel (`StaticTunnelHostOptions.keepalive`). */
export interface StaticKeepaliveOptions {
  /** Send a HELLO after this long without a control message from the peer, in ms (≥ 1000). */
  readonly helloIntervalMs: number;
  /** Retransmission of the HELLO (RFC 3931 §4.2 defaults: 1 s doubling to 8 s, 5 retries). */
  readonly channel?: ReliableChannelOptions;
}

/** Why a static tunnel's keepalive declared it down. */
export type KeepaliveDownReason = 'retries-exhausted' | 'peer-stopccn';

/** State and counters of a static tunnel's keepalive. */
export interface StaticKeepaliveStats {
  readonly state: 'up' | 'down';
  /** Why it went down (undefined while up). */
  readonly reason: KeepaliveDownReason | undefined;
  readonly hellosSent: number;
  readonly hellosReceived: number;
  readonly retransmissions: number;
  /** Explicit ACKs and ZLBs received. */
  readonly acksReceived: number;
  /** Control messages for this tunnel that could not be read or were not HELLO/ACK/StopCCN. */
  readonly controlIgnored: number;
}

const HELLO = { type: 'HELLO', version: 3 } as ControlMessage;
const ACK = { type: 'ACK', version: 3 } as ControlMessage;

/** The keepalive of one static tunnel. */
export class StaticKeepalive {
  readonly #tunnelId: number;
  readonly #peerTunnelId: number;
  readonly #encap: Encapsulation;
  readonly #intervalMs: number;
  readonly #channel: ReliableChannel<ControlMessage>;
  readonly #send: (datagram: Uint8Array) => void;
  readonly #onDown: (reason: KeepaliveDownReason, error: L2tpError) => void;
  #helloDue: number;
  #reason: KeepaliveDownReason | undefined;
  #hellosSent = 0;
  #hellosReceived = 0;
  #ignored = 0;

  constructor(
    ids: {
      readonly tunnelId: number;
      readonly peerTunnelId: number;
      readonly encap: Encapsulation;
    },
    options: StaticKeepaliveOptions,
    now: number,
    send: (datagram: Uint8Array) => void,
    onDown: (reason: KeepaliveDownReason, error: L2tpError) => void,
  ) {
    const ms = options.helloIntervalMs;
    if (!Number.isInteger(ms) || ms < 1000 || ms > 3_600_000) {
      throw new UsageError(`helloIntervalMs must be an integer in 1000…3600000, got ${String(ms)}`);
    }
    this.#tunnelId = ids.tunnelId;
    this.#peerTunnelId = ids.peerTunnelId;
    this.#encap = ids.encap;
    this.#intervalMs = options.helloIntervalMs;
    // RFC 3931 §4.2, §6.15: v3 acknowledges with the explicit ACK message. The channel checks
    // its own options (UsageError).
    this.#channel = new ReliableChannel<ControlMessage>({
      ...options.channel,
      ackStyle: 'explicit-ack',
    });
    this.#send = send;
    this.#onDown = onDown;
    this.#helloDue = now + this.#intervalMs;
  }

  /** True while the peer answers. */
  get up(): boolean {
    return this.#reason === undefined;
  }

  /**
   * A control message arrived for this tunnel's host (T = 1, or Session ID 0 over IP). Returns
   * false when it is not for this tunnel (another Control Connection ID): the host counts it.
   * Never throws on bad bytes.
   */
  receive(bytes: Uint8Array, now: number): boolean {
    let parsed: ReturnType<typeof parseControl>;
    try {
      parsed = parseControl(bytes, { encap: this.#encap });
    } catch (error) {
      if (!(error instanceof L2tpError)) throw error;
      this.#ignored++;
      return true;
    }
    const { header, message } = parsed;
    if (header.version !== 3 || header.connectionId !== this.#tunnelId) return false;
    if (!this.up) return true;
    // Anything from the peer shows it alive: the next HELLO waits a full interval.
    this.#helloDue = now + this.#intervalMs;
    const bare = message.type === 'ZLB' || message.type === 'ACK';
    this.#run(
      this.#channel.receive(
        { ns: header.ns, nr: header.nr, body: bare ? undefined : message },
        now,
      ),
    );
    return true;
  }

  /** Runs retransmissions, delayed ACKs and the HELLO due at `now`. */
  handleTimeout(now: number): void {
    if (!this.up) return;
    this.#run(this.#channel.handleTimeout(now));
    if (!this.up || now < this.#helloDue) return;
    this.#helloDue = now + this.#intervalMs;
    // One HELLO at a time: an unanswered one is still being retransmitted.
    if (this.#channel.stats().inFlight === 0) {
      this.#hellosSent++;
      this.#run(this.#channel.send(HELLO, now));
    }
  }

  /** When `handleTimeout` next has work, or undefined once down. */
  nextDeadline(): number | undefined {
    if (!this.up) return undefined;
    const channel = this.#channel.nextDeadline();
    return channel === undefined ? this.#helloDue : Math.min(channel, this.#helloDue);
  }

  /** A snapshot of the state and counters. */
  stats(): StaticKeepaliveStats {
    const channel = this.#channel.stats();
    return {
      state: this.up ? 'up' : 'down',
      reason: this.#reason,
      hellosSent: this.#hellosSent,
      hellosReceived: this.#hellosReceived,
      retransmissions: channel.retransmissions,
      acksReceived: channel.acksReceived,
      controlIgnored: this.#ignored,
    };
  }

  #run(outputs: readonly ChannelOutput<ControlMessage>[]): void {
    for (const o of outputs) {
      if (!this.up) return;
      switch (o.type) {
        case 'transmit':
          this.#transmit(o.ns, o.nr, o.body);
          break;
        case 'ack':
          this.#transmit(o.ns, o.nr, ACK);
          break;
        case 'deliver':
          if (o.body.type === 'HELLO') this.#hellosReceived++;
          else if (o.body.type === 'StopCCN') {
            // RFC 3931 §4.2 / RFC 2661 §5.7: acknowledge the StopCCN now; nothing runs after down.
            const { nextNs, nr } = this.#channel.stats();
            this.#transmit(nextNs, nr, ACK);
            this.#down(
              'peer-stopccn',
              new ChannelError('L2TP_ERR_CLOSED', 'the peer sent StopCCN'),
            );
          } else this.#ignored++;
          break;
        case 'failed':
          this.#down('retries-exhausted', o.error);
          break;
        case 'closed':
          break;
      }
    }
  }

  #transmit(ns: number, nr: number, message: ControlMessage): void {
    const header = { version: 3, connectionId: this.#peerTunnelId, ns, nr } as const;
    this.#send(buildControl(header, message, { encap: this.#encap }));
  }

  #down(reason: KeepaliveDownReason, error: L2tpError): void {
    this.#reason = reason;
    this.#onDown(reason, error);
  }
}
